"""The post view's key map: scrolling, selecting by sentence and word, and going from one
highlight to the next.

:class:`~tui.widgets.post_view.PostView` binds these keys; the reader screen adds the
keys that act on a selection or a highlight (``h``, ``n``, ``y``, ``e``...).
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

KEYS: list[BindingType] = [
    Binding(
        "down,j",
        "down",
        "Down",
        show=False,
        tooltip="Scroll down, or select the next sentence.",
    ),
    Binding("up,k", "up", "Up", show=False, tooltip="Scroll up, or select the previous sentence."),
    Binding(
        "space,pagedown", "page_down", "Page down", show=False, tooltip="Scroll one page down."
    ),
    Binding("b,pageup", "page_up", "Page up", show=False, tooltip="Scroll one page up."),
    Binding("g,home", "top", "Top", show=False, tooltip="Go to the start of the post."),
    Binding("G,end", "bottom", "Bottom", show=False, tooltip="Go to the end of the post."),
    Binding(
        "v",
        "select",
        "Select",
        tooltip="Select the first sentence at the top.",
        id="reader.select",
    ),
    Binding(
        "shift+down,J",
        "extend_sentence",
        "Extend",
        show=False,
        tooltip="Extend the selection by one sentence (J).",
    ),
    Binding(
        "shift+up,K",
        "shrink_sentence",
        "Shrink",
        show=False,
        tooltip="Shrink the selection by one sentence (K).",
    ),
    Binding(
        "shift+right,L",
        "extend_word",
        "Extend word",
        show=False,
        tooltip="Extend the selection by one word (L).",
    ),
    Binding(
        "shift+left,H",
        "shrink_word",
        "Shrink word",
        show=False,
        tooltip="Shrink the selection by one word (H).",
    ),
    Binding(
        "right_square_bracket",
        "next_highlight",
        "Next",
        tooltip="Jump to the next highlight.",
        id="reader.next",
    ),
    Binding(
        "left_square_bracket",
        "previous_highlight",
        "Previous",
        show=False,
        tooltip="Jump to the previous highlight.",
    ),
    Binding("escape", "cancel_selection", "Cancel", show=False, tooltip="Cancel the selection."),
]
"""The view's bindings (``PostView.BINDINGS``)."""
SELECTING = frozenset(
    {"extend_sentence", "shrink_sentence", "extend_word", "shrink_word", "cancel_selection"}
)
"""The actions that apply only while selecting."""
