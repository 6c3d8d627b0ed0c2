"""Reads of the documents app that other code may reuse."""
