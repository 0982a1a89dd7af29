"""The help screen: every key of the screen underneath, from its bindings, plus HELP texts.

Nothing here is a hand-kept key list: keys and descriptions come from the ``BINDINGS`` of
the app, the screen and each widget on it, and the prose from their ``HELP`` markdown
(written by us, so rendering it as Markdown is safe).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from tui.widgets.key_bar import KeyBar


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


def help_renderable(sections: Iterable[HelpSection]) -> Group:
    """The help page: each section's prose (our own Markdown), then a table of its keys.

    Rich renderables in one ``Static`` keep the page compact; Textual's ``Markdown``
    widget spends a screen's worth of margins on two tables.
    """
    parts: list[RenderableType] = []
    for section in sections:
        heading = section.title
        prose = section.help
        if prose.startswith("## "):
            heading, _, prose = prose[3:].partition("\n")
        parts.append(Text(heading, style="bold underline"))
        if prose.strip():
            parts.append(Markdown(prose.strip()))
        if section.keys:
            table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=True)
            table.add_column("keys", style="bold", no_wrap=True, min_width=10)
            table.add_column("action", no_wrap=True)
            table.add_column("tooltip", style="dim", ratio=1)
            for key in section.keys:
                table.add_row(Text(" ".join(key.keys)), Text(key.description), Text(key.tooltip))
            parts.append(table)
        parts.append(Text(""))
    return Group(*parts)


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
            yield Static(help_renderable(self.sections), id="help-text")
        yield KeyBar()

    def on_mount(self) -> None:
        """Focus the panel so arrows and page keys scroll it."""
        self.query_one("#help-panel").focus()

    def action_close(self) -> None:
        """Back to the screen underneath."""
        self.dismiss()
