"""postil: a terminal reader and annotator for archives of post files."""

from __future__ import annotations

__version__ = "0.1.0"
