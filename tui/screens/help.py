"""The help screen: every key of the screen underneath, from its bindings, plus HELP texts.

Nothing here is a hand-kept key list: keys and descriptions come from the ``BINDINGS`` of
the app, the screen and each widget on it, and the prose from their ``HELP`` markdown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Markdown


@dataclass(frozen=True, slots=True)
class KeyHelp:
    """One action's keys and what it does."""

    keys: tuple[str, ...]
    """The keys as the footer shows them (``^p``, ``/``)."""
    description: str
    tooltip: str


@dataclass(frozen=True, slots=True)
class HelpSection:
    """The help of one node class: its HELP markdown and its keys."""

    title: str
    help: str
    keys: tuple[KeyHelp, ...]


def _nodes(screen: Screen[Any]) -> list[DOMNode]:
    """The screen, its widgets (first of each class) and the app, in that order."""
    nodes: list[DOMNode] = [screen]
    seen: set[type[DOMNode]] = {type(screen)}
    for widget in screen.walk_children(with_self=False):
        if type(widget) not in seen:
            seen.add(type(widget))
            nodes.append(widget)
    nodes.append(screen.app)
    return nodes


def _own_bindings(node: DOMNode) -> Iterable[Binding]:
    """Bindings declared by the node's own class hierarchy, in declaration order."""
    for bindings in node._bindings.key_to_bindings.values():  # noqa: SLF001 - no public view
        yield from bindings


def _key_help(node: DOMNode) -> tuple[KeyHelp, ...]:
    """The node's bindings grouped by action; ones without a description are skipped."""
    app = node.app
    grouped: dict[str, list[Binding]] = {}
    for binding in _own_bindings(node):
        if binding.system or not binding.description:
            continue
        grouped.setdefault(binding.action, []).append(binding)
    result = []
    for bindings in grouped.values():
        first = bindings[0]
        keys = tuple(dict.fromkeys(app.get_key_display(b) for b in bindings))
        result.append(KeyHelp(keys, first.description, first.tooltip))
    return tuple(result)


def collect_help(screen: Screen[Any]) -> list[HelpSection]:
    """The help sections of ``screen``: one per node class with keys or HELP text."""
    sections = []
    for node in _nodes(screen):
        keys = _key_help(node)
        help_text = (type(node).HELP or "").strip()
        if not keys and not help_text:
            continue
        title = "Everywhere" if node is screen.app else type(node).__name__
        sections.append(HelpSection(title, help_text, keys))
    return sections


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "'")


def help_markdown(sections: Iterable[HelpSection]) -> str:
    """The help page as Markdown: each section's prose, then a table of its keys."""
    parts = ["# Keys"]
    for section in sections:
        parts.append(
            section.help
            if section.help.startswith("#")
            else f"## {section.title}\n\n{section.help}"
        )
        if section.keys:
            rows = ["| Key | Action | What it does |", "|---|---|---|"]
            for key in section.keys:
                keys = " ".join(f"`{_cell(k)}`" if k.strip("`") else k for k in key.keys)
                rows.append(f"| {keys} | {_cell(key.description)} | {_cell(key.tooltip)} |")
            parts.append("\n".join(rows))
    return "\n\n".join(parts) + "\n"


class HelpScreen(ModalScreen[None]):
    """Every key of the screen it was opened over, with what it does."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape,question_mark,q", "close", "Close", tooltip="Close the help.", id="help.close"
        ),
    ]

    def __init__(self, target: Screen[Any]) -> None:
        """Build the help for ``target`` (the screen underneath)."""
        super().__init__()
        self.target = target
        """The screen whose keys are listed."""
        self.sections = collect_help(target)
        """What the page shows."""

    def compose(self) -> ComposeResult:
        """The help text in a scrolling panel, and the footer."""
        with VerticalScroll(id="help-panel"):
            yield Markdown(help_markdown(self.sections), id="help-text")
        yield Footer()

    def on_mount(self) -> None:
        """Focus the panel so arrows and page keys scroll it."""
        self.query_one("#help-panel").focus()

    def action_close(self) -> None:
        """Back to the screen underneath."""
        self.dismiss()
