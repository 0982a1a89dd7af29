"""What the library's status line says, from the library screen's state.

The screen knows how far indexing is, the applied query, the chosen order, the counts
and the store; the status line knows how to word a `Status`. The mapping between them
(when a filter waits for the index, when a text query's answer is partial, which order
the list is really in) is policy of its own, kept apart from the screen's widgets and
workers so it reads, and changes, in one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.widgets.status_line import Status

if TYPE_CHECKING:
    from annotations.store import AnnotationStore
    from tui.config import SortOrder
    from tui.corpus.query import Query, SortKey
    from tui.listing import IndexState


def list_order(sort: SortOrder, query: Query | None) -> SortKey:
    """The order the list is in: the query's ``sort:``, else the chosen ``sort``."""
    return sort if query is None or query.sort is None else query.sort


def open_store(app: object) -> AnnotationStore | None:
    """The app's annotation store if it is open, else None: asking an app for its store
    opens it, and the status line must not be what opens it (it opens after the first
    list is shown)."""
    if not getattr(app, "store_is_open", True):
        return None
    store: AnnotationStore | None = getattr(app, "store", None)
    return store


def library_status(
    state: IndexState,
    *,
    shown: int,
    total: int,
    problems: int,
    store: AnnotationStore | None,
    loading: bool,
    query: Query | None,
    query_text: str,
    sort: SortOrder,
) -> Status:
    """What the status line shows for the library in this state.

    Args:
        state: How far the app's indexing process is.
        shown: The posts listed.
        total: The posts there are in all.
        problems: The files that did not load.
        store: The annotation store if it is open (its path is shown when read-only).
        loading: Whether the list is not there yet.
        query: The applied query; None shows everything.
        query_text: The applied query as typed.
        sort: The chosen sort order.

    Returns:
        The status to show.
    """
    return Status(
        shown=shown,
        total=total,
        problems=problems,
        store_path=str(store.path) if store is not None else "",
        read_only=store is not None and bool(store.read_only),
        loading=loading,
        indexing=query is not None and not state.fields,
        fields_indexed=state.fields_done,
        checking=not loading and not state.checked,
        text_indexed=(
            (state.text_done, state.text_total)
            if state.fields and not state.text_complete
            else None
        ),
        text_left=state.text_left,
        partial=query is not None and query.has_text_terms and not state.text_complete,
        sort=list_order(sort, query),
        query=query_text if query is not None else "",
    )
