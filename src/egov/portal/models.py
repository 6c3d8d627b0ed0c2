"""The portal composes the domain apps; it keeps no tables of its own."""
