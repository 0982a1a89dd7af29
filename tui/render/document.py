"""A post body as a list of blocks and its canonical text, built lazily.

Blocks are produced in order, chunk by chunk, only as far as someone asks: the layout
of a long post's first screen converts only the first few KB of HTML. Anything that
needs the whole post (:attr:`Document.text`, :attr:`Document.blocks`,
:attr:`Document.links`) converts the rest once and caches it.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterator
from dataclasses import replace

from tui.corpus.header import ArchiveHeader, split_archive_header
from tui.render.blocks import Converter
from tui.render.model import Block, Link
from tui.render.text import normalize_newlines

SEPARATOR = "\n\n"
"""What joins two blocks' texts in the canonical text."""


class Document:
    """A rendered post: blocks with canonical offsets, its links and archive header.

    Blocks whose text is empty (rules, images without alt text, untitled embeds) take
    no room in the canonical text: their ``start == end`` is where the previous text
    ended, and no separator is added for them.

    The object is safe to share between a worker thread and the UI thread: block
    production is serialised by a lock.
    """

    def __init__(
        self, header: ArchiveHeader, source: Iterator[Block], converter: Converter
    ) -> None:
        """Wrap a block source; use :func:`build_document` rather than this."""
        self.header = header
        """The archive header split off the top of the body."""
        self._source: Iterator[Block] | None = source
        self._converter = converter
        self._blocks: list[Block] = []
        self._texts: list[str] = []
        self._text_starts: list[int] = []  # starts of blocks with text, for bisect
        self._text_index: list[int] = []  # their indices in _blocks
        self._offset = 0
        self._lock = threading.RLock()
        self._text: str | None = None

    # -- lazy production ---------------------------------------------------------------

    def _produce(self) -> bool:
        """Place one more block; False when the body is exhausted."""
        if self._source is None:
            return False
        block = next(self._source, None)
        if block is None:
            self._source = None
            return False
        if block.text:
            start = self._offset + (len(SEPARATOR) if self._texts else 0)
            self._texts.append(block.text)
            self._text_starts.append(start)
            self._text_index.append(len(self._blocks))
            self._offset = start + len(block.text)
        else:
            start = self._offset
        self._blocks.append(replace(block, start=start, end=start + len(block.text)))
        return True

    def ensure_blocks(self, count: int) -> int:
        """Produce blocks until ``count`` exist or the body ends; return how many exist."""
        with self._lock:
            while len(self._blocks) < count and self._produce():
                pass
            return len(self._blocks)

    def _ensure_offset(self, offset: int) -> None:
        with self._lock:
            while self._offset <= offset and self._produce():
                pass

    def _complete(self) -> None:
        with self._lock:
            while self._produce():
                pass

    @property
    def is_complete(self) -> bool:
        """Whether every block has been produced."""
        return self._source is None

    def block(self, index: int) -> Block | None:
        """Block ``index``, producing blocks up to it; None past the last block."""
        if index < 0:
            return None
        if self.ensure_blocks(index + 1) <= index:
            return None
        return self._blocks[index]

    # -- whole-post views --------------------------------------------------------------

    @property
    def blocks(self) -> list[Block]:
        """All blocks (converts the whole body on first use)."""
        self._complete()
        return self._blocks

    @property
    def links(self) -> list[Link]:
        """The numbered link list (converts the whole body on first use)."""
        self._complete()
        return self._converter.links

    def links_so_far(self) -> list[Link]:
        """The links of the blocks produced so far (no conversion)."""
        return self._converter.links

    @property
    def text(self) -> str:
        """The canonical text: block texts joined by a blank line."""
        if self._text is None:
            self._complete()
            self._text = SEPARATOR.join(self._texts)
        return self._text

    # -- offsets -----------------------------------------------------------------------

    def block_at(self, offset: int) -> int:
        """The index of the block holding canonical ``offset``.

        An offset inside the blank line between two blocks belongs to the block before
        it; offsets past the end belong to the last block with text. Returns -1 for a
        document without text.
        """
        self._ensure_offset(max(offset, 0))
        if not self._text_starts:
            return -1
        k = bisect.bisect_right(self._text_starts, max(offset, 0)) - 1
        return self._text_index[max(k, 0)]

    def locate(self, offset: int) -> tuple[int, int]:
        """(block index, offset inside that block's text) for a canonical offset.

        The in-block offset is clamped to the block's text length.
        """
        index = self.block_at(offset)
        if index < 0:
            return -1, 0
        block = self._blocks[index]
        return index, min(max(offset - block.start, 0), len(block.text))

    def offset_of(self, index: int, offset_in_block: int) -> int:
        """The canonical offset of ``offset_in_block`` in block ``index``."""
        block = self.block(index)
        if block is None:
            raise IndexError(f"there is no block {index}.")
        return block.start + min(max(offset_in_block, 0), len(block.text))


def build_document(body: str) -> Document:
    """Turn a post body (as ``read_body`` returns it) into a lazy :class:`Document`.

    The archive header is split off first. Pure and deterministic: the same body
    always gives the same blocks and canonical text.

    Args:
        body: The text after the front matter.

    Returns:
        The document; blocks are converted as they are asked for.
    """
    # Control characters are removed later, chunk by chunk (and from the header's values
    # when they are shown), so a long body is not scanned whole before its first screen.
    header, rest = split_archive_header(normalize_newlines(body))
    converter = Converter()
    return Document(header, iter(converter.body_blocks(rest)), converter)


def canonical_text(path: str) -> str:
    """The canonical text of the post file at ``path`` (what ``show --plain`` prints).

    Raises:
        CorpusError: The file cannot be read (a `FileProblem` with the reason).
    """
    from tui.corpus.files import read_body

    return build_document(read_body(path)).text
