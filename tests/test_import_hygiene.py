"""The pure layers never import Textual (and annotations/ not Rich either)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("annotations", ("textual", "rich", "tui")),
        ("tui.corpus", ("textual",)),
        ("tui.render", ("textual",)),
        ("tui.reading", ("textual",)),
        # postil serve only relays the app's screen: the app runs in its own processes.
        ("tui.serve", ("textual",)),
    ],
)
def test_pure_package_imports_no_ui(module: str, forbidden: tuple[str, ...]) -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        f"pkg = importlib.import_module({module!r})\n"
        "for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "    importlib.import_module(info.name)\n"
        "print(' '.join(sorted(m.split('.')[0] for m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split())
    for name in forbidden:
        if module.startswith(name):
            continue
        assert name not in loaded, f"{module} imports {name}"


def test_listing_does_not_load_the_renderer_or_the_parser() -> None:
    # What ``postil ls`` imports when no file changed: fitting cells needs Rich's cell
    # widths, not the rendering pipeline, and a sync with nothing to read needs no parser.
    code = (
        "import sys\n"
        "import tui.cli.corpus, tui.cli.corpus_output, tui.corpus.index, tui.render.cells\n"
        "print(' '.join(sorted(m.split('.')[0] for m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split())
    assert not loaded & {"markdown_it", "html2text", "yaml", "frontmatter"}
