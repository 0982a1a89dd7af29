"""The corpus package's exception family.

Every message is one sentence a user can read: the CLI prints ``str(error)`` as is.
"""

from __future__ import annotations

from tui.corpus.model import ProblemKind


class CorpusError(Exception):
    """Base of every error the corpus package raises on purpose."""


class PostNotFound(CorpusError):
    """A post reference (path, id or id prefix) that matches no post, or several."""


class FileProblem(CorpusError):
    """A file that cannot be read as a post; ``kind`` is the problem kind to report."""

    kind: ProblemKind = "unreadable"
    """The `Problem.kind` a loader records for this error."""


class EmptyFile(FileProblem):
    """A file with nothing (or only whitespace) in it."""

    kind: ProblemKind = "empty"


class BinaryFile(FileProblem):
    """A file with NUL bytes: not text at all."""

    kind: ProblemKind = "binary"


class UndecodableFile(FileProblem):
    """Bytes that are neither UTF-8 nor one of the accepted fallback encodings."""

    kind: ProblemKind = "encoding"


class UnreadableFile(FileProblem):
    """The operating system refused to open or read the file (permissions, I/O error)."""

    kind: ProblemKind = "unreadable"
