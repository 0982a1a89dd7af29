"""Pilot tests of the reader: open, select, highlight, notes, jump, tags, colour, copy."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from annotations.anchor import make_target
from annotations.model import Annotation, PostSnapshot, Target
from annotations.store import AnnotationStore
from tests.tui.conftest import write_posts
from tests.tui.screens.test_reader_support import load_posts, post_named, reader_app, settle
from tests.tui.test_terminals import screen_lines
from tests.tui.widgets.test_ordered_keys import arrive_together
from tui.corpus.model import Post
from tui.drafts import DraftStore
from tui.screens.confirm import ConfirmScreen
from tui.screens.note_editor import NoteEditor
from tui.screens.reader import ReaderScreen
from tui.widgets.post_header import PostHeader

RIVER = (
    "The river is dark at night. Lights move on the water. Nobody speaks on the bridge."
    "\n\nLater the rain comes. It washes the streets clean."
)


def add(store: AnnotationStore, post: Post, text: str, quote: str, **kwargs: object) -> str:
    start = text.index(quote)
    target = make_target(text, start, start + len(quote))
    return store.create(PostSnapshot.from_post(post), target, **kwargs).id  # type: ignore[arg-type]


async def test_open_shows_post_and_marks_it_read(
    river: Post, store: AnnotationStore, drafts: DraftStore
) -> None:
    app = reader_app(river, store, drafts)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReaderScreen)
        assert screen.document is not None
        assert screen.document.text.startswith(RIVER)
        assert "The river at night" in str(screen.query_one(PostHeader).render())
        assert store.reading(river.id).is_read
        assert app.reading_changed == [river.id]


async def test_the_header_breaks_a_chinese_title_as_the_text_is_broken(
    river: Post, store: AnnotationStore, drafts: DraftStore
) -> None:
    """Textual's wrapping started a line of the title with a closing quote (”！) where
    the post's own text never does (DESIGN: no line starts with closing punctuation)."""
    from dataclasses import replace

    from tui.render.wrap import CLOSING

    title = "（25039）" + "".join(f"他说“{'一二三四五六七'[: n % 7 + 1]}”！" for n in range(6))
    app = reader_app(replace(river, title=title), store, drafts)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        header = app.screen.query_one(PostHeader)
        for width in range(40, 101, 3):
            await pilot.resize_terminal(width, 30)
            await pilot.pause()
            lines = [header.render_line(y).text.strip() for y in range(header.size.height)]
            title_lines = lines[: lines.index(next(x for x in lines if "UTC" in x))]
            assert "".join(title_lines) == title, width
            assert not [x for x in title_lines if x[0] in CLOSING], (width, title_lines)


async def test_a_chinese_note_under_the_post_is_broken_as_the_text_is(
    river: Post, store: AnnotationStore, drafts: DraftStore
) -> None:
    """The note bar, a Static, started a line of a Chinese note with ！ or ”."""
    from tui.render.wrap import CLOSING, OPENING

    note = "".join(f"她说“{'一二三四五六七'[: n % 7 + 1]}”！" for n in range(5))
    ann_id = add(store, river, RIVER, "The river is dark at night.", note=note)
    app = reader_app(river, store, drafts, focus_annotation=ann_id)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one("#reader-note")
        for width in range(40, 101, 3):
            await pilot.resize_terminal(width, 30)
            await pilot.pause()
            lines = [bar.render_line(y).text.strip() for y in range(bar.size.height)]
            assert "".join(lines).startswith("✎ " + note), width
            assert not [x for x in lines if x[0] in CLOSING or x[-1] in OPENING], (width, lines)


async def test_select_and_highlight_by_keyboard(
    river: Post, store: AnnotationStore, drafts: DraftStore
) -> None:
    app = reader_app(river, store, drafts)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        view = app.screen.view  # type: ignore[attr-defined]
        await pilot.press("v")
        assert view.selected_text == "The river is dark at night."
        await pilot.press("down")
        assert view.selected_text == "Lights move on the water."
        await pilot.press("up")
        assert view.selected_text == "The river is dark at night."
        await pilot.press("shift+down")
        assert view.selected_text == "The river is dark at night. Lights move on the water."
        await pilot.press("shift+up")
        assert view.selected_text == "The river is dark at night."
        await pilot.press("shift+right")
        assert view.selected_text == "The river is dark at night. Lights"
        await pilot.press("shift+left")
        assert view.selected_text == "The river is dark at night."
        await pilot.press("J", "K", "L", "H")  # the alternatives for terminals without shift+arrows
        assert view.selected_text == "The river is dark at night."
        await pilot.press("h")
        await settle(pilot)
        assert view.selection is None
        [ann] = store.for_post(river.id)
        assert ann.target.exact == "The river is dark at night."
        assert (ann.target.start, ann.target.end) == (0, 27)
        assert ann.note == ""
        assert [h.id for h in view.highlights] == [ann.id]
        assert view.current == ann.id
        assert app.changed == [river.id]


async def test_escape_cancels_selection_then_goes_back(
    river: Post, store: AnnotationStore, drafts: DraftStore
) -> None:
    app = reader_app(river, store, drafts)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        reader = app.screen
        await pilot.press("v", "escape")
        assert app.screen is reader
        assert reader.view.selection is None  # type: ignore[attr-defined]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is not reader


async def test_note_create_edit_delete(
    river: Post, store: AnnotationStore, drafts: DraftStore
) -> None:
    app = reader_app(river, store, drafts)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        # v, down, n: the note editor opens at once; typed keys land in it.
        await pilot.press("v", "down", "n", *"calm water")
        assert isinstance(app.screen, NoteEditor)
        await pilot.press("ctrl+s")
        await settle(pilot)
        [ann] = store.for_post(river.id)
        assert ann.target.exact == "Lights move on the water."
        assert ann.note == "calm water"
        assert drafts.pending() == []
        # e edits the current highlight's note.
        await pilot.press("e")
        assert isinstance(app.screen, NoteEditor)
        assert app.screen.text == "calm water"
        await pilot.press("end", *"!", "f2")
        await settle(pilot)
        assert store.for_post(river.id)[0].note == "calm water!"
        # d asks; "n" keeps it, "y" deletes it.
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert len(store.for_post(river.id)) == 1
        await pilot.press("d", "y")
        await settle(pilot)
        assert store.for_post(river.id) == []
        assert app.screen.view.highlights == []  # type: ignore[attr-defined]


async def test_keys_typed_with_the_key_that_opens_a_dialog_reach_it(
    river: Post, store: AnnotationStore, drafts: DraftStore
) -> None:
    """A note typed right after ``n`` in one read (a fast typist over ssh) went to the
    reader, not the editor; so did the tags after ``t`` and the choice after ``c``."""
    app = reader_app(river, store, drafts)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await arrive_together(pilot, "down", "n", *"calm water")
        assert isinstance(app.screen, NoteEditor)
        assert app.screen.text == "calm water"
        await pilot.press("ctrl+s")
        await settle(pilot)
        [ann] = store.for_post(river.id)
        assert ann.note == "calm water"
        await arrive_together(pilot, "t", *"quiet", "enter")
        await settle(pilot)
        assert store.get(ann.id).tags == ("quiet",)  # type: ignore[union-attr]
        await arrive_together(pilot, "c", "down", "enter")
        await settle(pilot)
        assert store.get(ann.id).color == "green"  # type: ignore[union-attr]


async def test_a_find_typed_before_the_post_arrives_runs_when_it_does(
    river: Post, store: AnnotationStore, drafts: DraftStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``/water`` and Enter typed ahead while a slow disk holds the post back: the find
    waits for the text (it was dropped: there was no text to search yet)."""
    import tui.corpus.files

    gate = threading.Event()
    read_body = tui.corpus.files.read_body

    def held_read_body(path: Path) -> object:
        gate.wait(10)
        return read_body(path)

    monkeypatch.setattr(tui.corpus.files, "read_body", held_read_body)
    app = reader_app(river, store, drafts)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            screen = app.screen
            assert isinstance(screen, ReaderScreen)
            while not screen.is_mounted:
                await pilot.pause(0.01)
            await arrive_together(pilot, "slash", *"water", "enter")
            assert screen.document is None
            gate.set()
            await settle(pilot)
            assert screen.document is not None
            assert [screen.document.text[s:e] for s, e in screen.matches] == ["water"]
    finally:
        gate.set()


async def test_the_note_editor_shows_a_long_quote_on_several_lines(
    river: Post, store: AnnotationStore, drafts: DraftStore
) -> None:
    """The quote over the note wraps in the dialog (it was one line as wide as the quote,
    cut off at the dialog's edge with nothing to say so)."""
    app = reader_app(river, store, drafts)
    async with app.run_test(size=(60, 24)) as pilot:  # the smallest terminal supported
        await settle(pilot)
        await pilot.press("v", "J", "J", "n")
        await settle(pilot)
        assert isinstance(app.screen, NoteEditor)
        quote = app.screen.query_one("#note-quote").region
        box = app.screen.query_one("#note-box").content_region
        assert quote.height == 2 and box.contains_region(quote)
        await pilot.press(*"long", "ctrl+s")
        await settle(pilot)
        await pilot.press("d")  # the question quotes the highlight: wrapped too
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        question = app.screen.query_one("#confirm-question").region
        box = app.screen.query_one("#confirm-box").content_region
        assert question.height == 3 and box.contains_region(question)


async def test_a_long_chinese_quote_over_the_note_starts_beside_its_mark_and_is_cut_marked(
    tmp_path: Path, store: AnnotationStore, drafts: DraftStore
) -> None:
    """A Chinese sentence is one word to the wrapper: the quote's first line held only
    the ``>`` mark, and what did not fit the quote's four lines was cut with no sign."""
    sentence = "河水在夜里涨了三尺，堤上的人提着马灯来回走，" * 8 + "天亮时大家都还醒着。"
    text = f"---\ntitle: 防汛\ndate: 2024-01-01\n---\n<p>{sentence}</p>\n"
    [post] = load_posts(write_posts(tmp_path / "zh", {"2024-01-01-flood.md": text}))
    app = reader_app(post, store, drafts)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v", "n")
        await settle(pilot)
        assert isinstance(app.screen, NoteEditor)
        # Inside the dialog's box (the reader shows around it).
        shown = [line.split("│")[1].strip() if "│" in line else "" for line in screen_lines(app)]
        first = next(line for line in shown if line.startswith(">"))
        assert first.startswith("> 河水在夜里涨了三尺")
        quote = app.screen.query_one("#note-quote").region
        assert quote.height <= 4
        last = shown[quote.bottom - 1]
        assert last.endswith("…")


async def test_a_passage_highlighted_already_is_not_copied(
    river: Post, store: AnnotationStore, drafts: DraftStore
) -> None:
    """``h`` on a passage that is highlighted already made a second, identical highlight
    (twice in every export); it makes the first current. ``n`` edits its note."""
    app = reader_app(river, store, drafts)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("v", "h")
        await settle(pilot)
        [first] = store.for_post(river.id)
        await pilot.press("v", "down", "h", "v", "h")
        await settle(pilot)
        assert len(store.for_post(river.id)) == 2
        assert app.screen.view.current == first.id  # type: ignore[attr-defined]
        await pilot.press("v", "n")
        assert isinstance(app.screen, NoteEditor)
        await pilot.press(*"dark", "ctrl+s")
        await settle(pilot)
        notes = {a.target.exact: a.note for a in store.for_post(river.id)}
        assert notes == {"The river is dark at night.": "dark", "Lights move on the water.": ""}


async def test_note_editor_escape_asks_before_discarding(
    river: Post, store: AnnotationStore, drafts: DraftStore
) -> None:
    app = reader_app(river, store, drafts)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("v", "n", *"typed")
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # keep editing
        assert isinstance(app.screen, NoteEditor)
        assert app.screen.text == "typed"
        await pilot.press("escape", "y")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        # The highlight was saved by n; the discarded note was not.
        [ann] = store.for_post(river.id)
        assert ann.note == ""
        assert drafts.pending() == []


async def test_jump_between_highlights(
    river: Post, store: AnnotationStore, drafts: DraftStore
) -> None:
    text = RIVER
    first = add(store, river, text, "Lights move on the water.")
    second = add(store, river, text, "Nobody speaks")
    app = reader_app(river, store, drafts)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        view = app.screen.view  # type: ignore[attr-defined]
        assert view.current is None
        await pilot.press("right_square_bracket")
        assert view.current == first
        await pilot.press("right_square_bracket")
        assert view.current == second
        await pilot.press("left_square_bracket")
        assert view.current == first


async def test_a_jump_typed_as_the_post_appears_waits_for_its_highlights(
    river: Post, store: AnnotationStore, drafts: DraftStore
) -> None:
    """``]`` pressed before the stored highlights are placed jumps once they are.

    The reader shows the text first and places the highlights a moment later; the key
    was dropped in that moment (keys typed ahead over ssh arrive in it).
    """
    first = add(store, river, RIVER, "Lights move on the water.")
    second = add(store, river, RIVER, "Nobody speaks")
    gate = threading.Event()
    for_post = store.for_post

    def held_for_post(post_id: str) -> list[Annotation]:
        gate.wait(10)
        return for_post(post_id)

    store.for_post = held_for_post  # type: ignore[method-assign]
    app = reader_app(river, store, drafts)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            while app.screen.view.document is None:  # type: ignore[attr-defined]
                await pilot.pause(0.01)
            view = app.screen.view  # type: ignore[attr-defined]
            await pilot.press("right_square_bracket", "right_square_bracket")
            assert view.current is None
            gate.set()
            await settle(pilot)
            assert view.current == second
            await pilot.press("left_square_bracket")
            assert view.current == first
    finally:
        gate.set()


async def test_tags_and_color(river: Post, store: AnnotationStore, drafts: DraftStore) -> None:
    ann_id = add(store, river, RIVER, "Nobody speaks")
    app = reader_app(river, store, drafts, focus_annotation=ann_id)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.screen.view.current == ann_id  # type: ignore[attr-defined]
        await pilot.press("t", *"quiet, night ,, quiet", "enter")
        await settle(pilot)
        assert store.get(ann_id).tags == ("quiet", "night")  # type: ignore[union-attr]
        await pilot.press("c", "3")
        await settle(pilot)
        assert store.get(ann_id).color == "blue"  # type: ignore[union-attr]
        await pilot.press("c", "down", "enter")
        await settle(pilot)
        assert store.get(ann_id).color == "pink"  # type: ignore[union-attr]


async def test_copy_quote_with_citation(
    river: Post, store: AnnotationStore, drafts: DraftStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMUX", "/tmp/tmux-1000/default,1,0")
    app = reader_app(river, store, drafts)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        written: list[str] = []
        assert app._driver is not None
        monkeypatch.setattr(app._driver, "write", written.append)
        await pilot.press("v", "y")
        expected = (
            "> The river is dark at night.\n"
            "— The river at night, Ada Lovelace, https://example.com/news/n1001.htm"
        )
        assert app.clipboard == expected
        import base64

        payload = base64.b64encode(expected.encode()).decode()
        assert f"\x1b]52;c;{payload}\a" in written
        assert f"\x1bPtmux;\x1b\x1b]52;c;{payload}\a\x1b\\" in written


async def test_copy_current_highlight(
    river: Post, store: AnnotationStore, drafts: DraftStore
) -> None:
    ann_id = add(store, river, RIVER, "Nobody speaks on the bridge.")
    app = reader_app(river, store, drafts, focus_annotation=ann_id)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("y")
        assert app.clipboard.startswith("> Nobody speaks on the bridge.\n— The river at night")


async def test_orphan_is_counted_not_painted(
    river: Post, store: AnnotationStore, drafts: DraftStore
) -> None:
    target = Target(
        exact="A sentence that is not in the post at all.", prefix="", suffix="", start=3, end=45
    )
    store.create(PostSnapshot.from_post(river), target)
    app = reader_app(river, store, drafts)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReaderScreen)
        assert [a.target.exact for a in screen.placed.orphans] == [target.exact]
        assert screen.view.highlights == []
        notice = screen.query_one("#reader-orphans")
        assert notice.display
        assert "1 highlight could not be placed" in str(notice.render())


async def test_moved_highlight_is_reanchored_and_saved(
    river: Post, store: AnnotationStore, drafts: DraftStore
) -> None:
    quote = "Nobody speaks on the bridge."
    start = RIVER.index(quote)
    # Highlighted when the post began with one more sentence (edited since): found
    # again by its quote and context, and the new offsets are saved.
    old_text = "Intro. " + RIVER
    old_start = old_text.index(quote)
    stale = make_target(old_text, old_start, old_start + len(quote))
    ann = store.create(PostSnapshot.from_post(river), stale)
    app = reader_app(river, store, drafts)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        [highlight] = app.screen.view.highlights  # type: ignore[attr-defined]
        assert (highlight.start, highlight.end) == (start, start + len(quote))
    saved = store.get(ann.id)
    assert saved is not None
    assert (saved.target.start, saved.target.end) == (start, start + len(quote))
    assert saved.target.exact == quote


async def test_position_restored_on_reopening(
    tmp_path: Path, store: AnnotationStore, drafts: DraftStore
) -> None:
    paragraphs = "".join(
        f"<p>Paragraph {n} says something long enough to wrap a little.</p>" for n in range(120)
    )
    folder = write_posts(tmp_path / "long", {"long.md": f"---\ntitle: Long\n---\n{paragraphs}\n"})
    post = load_posts(folder)[0]
    app = reader_app(post, store, drafts)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = app.screen.view  # type: ignore[attr-defined]
        await pilot.press("pagedown", "pagedown", "j", "j")
        position = view.position
        assert position > 0
        await pilot.press("escape")
        await settle(pilot)
    assert store.reading(post.id).position == position
    app = reader_app(post, store, drafts)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.view.position == position  # type: ignore[attr-defined]


async def test_scroll_keys(tmp_path: Path, store: AnnotationStore, drafts: DraftStore) -> None:
    paragraphs = "".join(f"<p>Paragraph {n}.</p>" for n in range(200))
    folder = write_posts(tmp_path / "long", {"long.md": f"---\ntitle: Long\n---\n{paragraphs}\n"})
    post = load_posts(folder)[0]
    app = reader_app(post, store, drafts)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = app.screen.view  # type: ignore[attr-defined]
        await pilot.press("j", "down")
        assert view.scroll_offset.y == 2
        await pilot.press("k")
        assert view.scroll_offset.y == 1
        await pilot.press("space")
        assert view.scroll_offset.y > 10
        await pilot.press("b", "g")
        assert view.scroll_offset.y == 0
        await pilot.press("G")
        assert view.scroll_offset.y == view.max_scroll_y > 300
        await pilot.press("home")
        assert view.scroll_offset.y == 0
        await pilot.press("end")
        assert view.scroll_offset.y == view.max_scroll_y


async def test_a_post_with_no_text_says_so(
    tmp_path: Path, store: AnnotationStore, drafts: DraftStore
) -> None:
    """A body of markup alone (an archived video page: an empty <div>) is not a blank
    screen with keys that do nothing: the line under it says why."""
    body = "---\ntitle: A video\nfrom: https://example.com/v/1\n---\n<div>\n\n</div>\n"
    post = load_posts(write_posts(tmp_path / "video", {"video.md": body}))[0]
    app = reader_app(post, store, drafts)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        note = str(app.screen.query_one("#reader-note").render())
        assert note.startswith("this post has no text · o opens its source")


async def test_mouse_drag_selects_then_h_highlights(
    river: Post, store: AnnotationStore, drafts: DraftStore
) -> None:
    app = reader_app(river, store, drafts)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        view = app.screen.view  # type: ignore[attr-defined]
        # The text starts after the 2-cell gutter.
        await pilot.mouse_down(view, offset=(2, 0))
        await pilot.hover(view, offset=(18, 0))
        await pilot.mouse_up(view, offset=(18, 0))
        await pilot.pause()
        assert view.selected_text.startswith("The river is dark")
        await pilot.press("h")
        await settle(pilot)
        [ann] = store.for_post(river.id)
        assert ann.target.exact.startswith("The river is dark")
        assert ann.target.start == 0


async def test_click_on_highlight_makes_it_current(
    river: Post, store: AnnotationStore, drafts: DraftStore
) -> None:
    first = add(store, river, RIVER, "The river is dark at night.")
    add(store, river, RIVER, "Later the rain comes.")
    app = reader_app(river, store, drafts)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        view = app.screen.view  # type: ignore[attr-defined]
        await pilot.click(view, offset=(6, 0))
        await pilot.pause()
        assert view.current == first


async def test_markup_in_title_and_note_shown_literally(
    corpus: list[Post], store: AnnotationStore, drafts: DraftStore
) -> None:
    post = post_named(corpus, "2022-05-01-markup.md")
    text = "Titles with square brackets must show literally."
    ann_id = add(store, post, text, "square brackets", note="[red]not red[/red]")
    app = reader_app(post, store, drafts, focus_annotation=ann_id)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        header = str(app.screen.query_one(PostHeader).render())
        assert "[red]Not markup[/red] and [b]brackets[/b]" in header
        assert "[bold]Mallory" in header
        note_bar = str(app.screen.query_one("#reader-note").render())
        assert "[red]not red[/red]" in note_bar


async def test_cjk_selection_by_character(
    corpus: list[Post], store: AnnotationStore, drafts: DraftStore
) -> None:
    post = post_named(corpus, "2023-09-14-harbour.md")
    app = reader_app(post, store, drafts)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = app.screen.view  # type: ignore[attr-defined]
        await pilot.press("v")
        assert view.selected_text == "清晨的港口很安静。"
        await pilot.press("shift+right", "shift+right")
        assert view.selected_text == "清晨的港口很安静。渔船"
        await pilot.press("down")
        assert view.selected_text == "海鸥在天上飞。"


async def test_unreadable_post_says_so(
    tmp_path: Path, store: AnnotationStore, drafts: DraftStore
) -> None:
    folder = write_posts(
        tmp_path / "gone", {"gone.md": "---\ntitle: Gone\n---\n<p>Soon gone.</p>\n"}
    )
    post = load_posts(folder)[0]
    Path(post.path).unlink()
    app = reader_app(post, store, drafts)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        assert any("could not be read" in str(n.message) for n in app._notifications)


async def test_open_source_without_display_shows_and_copies(
    river: Post, store: AnnotationStore, drafts: DraftStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "TMUX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22")
    opened: list[str] = []

    def fake_open(url: str) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr("webbrowser.open", fake_open)
    app = reader_app(river, store, drafts)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert opened == []
        assert app.clipboard == "https://example.com/news/n1001.htm"
        assert any("n1001.htm" in str(n.message) for n in app._notifications)


async def test_highlight_then_escape_at_once_still_saves(
    river: Post, store: AnnotationStore, drafts: DraftStore
) -> None:
    app = reader_app(river, store, drafts)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("v", "h", "escape")
        await settle(pilot)
        assert not isinstance(app.screen, ReaderScreen)
    assert [a.target.exact for a in store.for_post(river.id)] == ["The river is dark at night."]
