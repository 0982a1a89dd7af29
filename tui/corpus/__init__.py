"""Scanning, parsing, the metadata cache and the query language (no Textual import)."""
