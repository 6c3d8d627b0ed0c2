"""Writes of the documents app: one module per use-case family."""
