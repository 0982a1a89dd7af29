"""The ``postil`` command (``[project.scripts]`` names :func:`main`; ``python -m tui`` runs it).

The click group and ``postil [PATH ...]`` are in :mod:`tui.cli.base`; importing this
package registers the subcommands of :mod:`tui.cli.corpus`, :mod:`tui.cli.notes` and
:mod:`tui.cli.serve`. The Textual app is imported only by the command that opens it, so
``postil ls`` stays quick.
"""

from __future__ import annotations

from tui.cli import corpus, notes, serve
from tui.cli.base import main

__all__ = ["corpus", "main", "notes", "serve"]
