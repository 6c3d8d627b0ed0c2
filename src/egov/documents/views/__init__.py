"""Officer screens of the documents app."""
