"""Messages that unrelated parts of the app send and receive.

A message that only one widget sends is nested in that widget's class; the ones here
cross screens: the reader changes annotations or reading state, and the library (which
did not send them) refreshes its marks.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class AnnotationsChanged(Message):
    """The annotations of one post were created, edited or deleted."""

    post_id: str
    """The id of the post whose annotations changed."""


@dataclass
class ReadingChanged(Message):
    """The reading state (read/unread, position) of one post changed."""

    post_id: str
    """The id of the post whose reading state changed."""
