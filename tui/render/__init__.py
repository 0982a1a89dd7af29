"""Post body -> blocks -> Rich renderables and canonical text (no Textual import)."""
