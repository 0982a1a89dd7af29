"""Scanning, parsing, the index and the query language (no Textual import)."""
