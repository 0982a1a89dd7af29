"""Baselines for bench_index: every post file below a folder, read the way a user's script would.

Usage: ``python read_all.py raw|frontmatter FOLDER``. ``raw`` reads every file's bytes
(the floor of anything that opens every file); ``frontmatter`` runs
``frontmatter.load`` on each (the naive loop postil's cold listing is compared with).
Prints the number of files read. Run by path under peakrun.py: it imports nothing of
the project.
"""

from __future__ import annotations

import os
import sys

SUFFIXES = (".md", ".markdown", ".html", ".htm")


def main(argv: list[str]) -> None:
    """Read the files of ``argv[1]`` as ``argv[0]`` says."""
    mode, folder = argv
    paths = [
        os.path.join(here, name)
        for here, dirs, names in os.walk(folder)
        for name in names
        if name.endswith(SUFFIXES)
    ]
    if mode == "raw":
        for path in paths:
            with open(path, "rb") as f:
                f.read()
    elif mode == "frontmatter":
        import frontmatter

        for path in paths:
            frontmatter.load(path)
    else:
        raise SystemExit(f"unknown mode {mode!r}: use raw or frontmatter")
    print(len(paths))


if __name__ == "__main__":
    main(sys.argv[1:])
