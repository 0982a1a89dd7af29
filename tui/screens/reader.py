"""ReaderScreen: one post, selected, highlighted and annotated from the keyboard.

:class:`~tui.screens.post_screen.PostScreen` shows the post and its highlights; this
screen adds the selection keys' results: highlights, notes (kept as drafts while they
are typed), tags, colours and deletes. A new highlight or an edit is shown at once and
written through the app's writer (`tui.store_writer`), in order; the store's answer
comes back as a message. The keys of both screens (the contract the e2e tests rely on)
are listed in ``BINDINGS`` here and in :mod:`tui.widgets.post_view_keys`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.message import Message

from annotations.anchor import make_target
from annotations.model import Annotation, Target
from annotations.store import AnnotationNotFound, AnnotationStore, StoreError
from tui.corpus.model import Post
from tui.corpus.query import Query
from tui.drafts import Draft, DraftStore, drafts_for
from tui.messages import AnnotationsChanged
from tui.reading.shown import delete_question, draft_for, new_highlight
from tui.screens.color_dialog import ColorDialog
from tui.screens.confirm import ConfirmScreen
from tui.screens.note_editor import NoteEditor
from tui.screens.post_screen import PostScreen
from tui.screens.tags_dialog import TagsDialog


class ReaderScreen(PostScreen):
    """Read one post; select, highlight and annotate it from the keyboard.

    Args:
        post: The post to show.
        store: The annotation store (highlights, notes, reading state).
        focus_annotation: An annotation id to scroll to and make current.
        resume_draft: A note draft left by a crash, reopened in the note editor.
        search: The library's text query the post was opened from.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "h",
            "highlight",
            "Highlight",
            tooltip="Save the selection as a highlight.",
            id="reader.highlight",
        ),
        Binding(
            "n",
            "note",
            "Note",
            tooltip="Save the selection as a highlight and write a note.",
            id="reader.note",
        ),
        Binding(
            "n",
            "next_match",
            "Next match",
            tooltip="Go to the next place the search found.",
            id="reader.next-match",
        ),
        Binding(
            "N",
            "previous_match",
            "Previous",
            show=False,
            tooltip="Go to the previous place the search found.",
            id="reader.previous-match",
        ),
        Binding(
            "slash",
            "find",
            "Find",
            tooltip="Find words in this post.",
            id="reader.find",
        ),
        Binding(
            "e",
            "edit_note",
            "Edit",
            tooltip="Edit the current highlight's note.",
            id="reader.edit",
        ),
        Binding(
            "t",
            "tags",
            "Tags",
            show=False,
            tooltip="Edit the current highlight's tags.",
            id="reader.tags",
        ),
        Binding(
            "c",
            "color",
            "Color",
            show=False,
            tooltip="Change the current highlight's colour.",
            id="reader.color",
        ),
        Binding(
            "d",
            "delete",
            "Delete",
            show=False,
            tooltip="Delete the current highlight.",
            id="reader.delete",
        ),
        Binding(
            "y",
            "copy",
            "Copy",
            tooltip="Copy the selection or highlight as a quote.",
            id="reader.copy",
        ),
        Binding(
            "s",
            "cycle_script",
            "简/繁",
            show=False,
            tooltip="Show Chinese as written, in simplified or in traditional characters.",
            id="reader.script",
        ),
        Binding(
            "o",
            "open_source",
            "Open",
            show=False,
            tooltip="Open the source URL in a browser.",
            id="reader.open",
        ),
        Binding(
            "escape",
            "clear_find",
            "Clear",
            show=False,
            tooltip="Clear the search's marks.",
            id="reader.clear-find",
        ),
        # Last, so the key bar lists it after the commands.
        Binding("escape", "back", "Back", tooltip="Go back to the library.", id="reader.back"),
    ]

    HELP = """\
## Reader

`v` selects the first sentence on screen; `down`/`up` move it, `shift+down`/`shift+up`
(or `J`/`K`) grow and shrink it by a sentence, `shift+right`/`shift+left` (or `L`/`H`) by a word.
`h` saves a highlight, `n` a highlight with a note. `]`/`[` jump between highlights; `e`, `t`,
`c`, `d` edit the current one's note, tags, colour, or delete it. `y` copies a quote.
`s` shows Chinese as written, in simplified or in traditional characters (remembered).
`/` finds words in the post (as the library's filter finds them); `n`/`N` go to the next
and previous place, Escape clears the marks. A post opened from a text query opens at its
first match, every match marked.
"""

    @dataclass
    class Saved(Message):
        """An annotation was changed in the store (from a thread): the stored version."""

        annotation: Annotation

    @dataclass
    class Created(Message):
        """A highlight shown before it was saved is in the store now (from a thread)."""

        annotation: Annotation

    @dataclass
    class CreateFailed(Message):
        """A highlight shown before it was saved could not be saved (from a thread)."""

        annotation_id: str
        reason: str

    @dataclass
    class Deleted(Message):
        """An annotation was deleted from the store (from a thread)."""

        annotation_id: str

    def __init__(
        self,
        post: Post,
        store: AnnotationStore,
        *,
        focus_annotation: str | None = None,
        resume_draft: Draft | None = None,
        search: Query | None = None,
    ) -> None:
        super().__init__(post, store, focus_annotation=focus_annotation, search=search)
        self.resume_draft = resume_draft
        """A note draft left by a crash, reopened once the annotations are placed."""

    @property
    def drafts(self) -> DraftStore:
        """The app's draft store."""
        return drafts_for(self.app)

    # -- store results ---------------------------------------------------------------------

    @on(Saved)
    def _saved(self, event: Saved) -> None:
        if self.placed.saved(event.annotation):
            self._paint()
            self._show_current_note()

    @on(Created)
    def _created(self, event: Created) -> None:
        """Take the stored version of a new highlight, keeping edits made meanwhile."""
        if self.placed.created(event.annotation):
            self._show_current_note()

    @on(CreateFailed)
    def _create_failed(self, event: CreateFailed) -> None:
        """Take back a highlight that could not be saved, and say why."""
        self.placed.remove(event.annotation_id)
        self._paint()
        self._show_current_note()
        self.notify(
            f"The highlight was not saved: {event.reason}",
            title="Not saved",
            severity="error",
            markup=False,
        )

    @on(Deleted)
    def _deleted(self, event: Deleted) -> None:
        self.placed.remove(event.annotation_id)
        self._paint()
        self.notify("Highlight deleted.")

    # -- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey out the keys that need a selection or a current highlight."""
        allowed = super().check_action(action, parameters)
        if allowed is not True:
            return allowed
        if action in {"highlight", "note"}:
            return True if self.view.selection is not None else None
        if action in {"edit_note", "tags", "color", "delete"}:
            return True if self._current() is not None else None
        return True

    def action_highlight(self) -> None:
        """Save the selection as a highlight (ends the selection); a passage highlighted
        already is made current instead."""
        target = self._take_selection()
        if target is not None and self._existing(target) is None:
            self._create(target)

    def action_note(self) -> None:
        """Save the selection as a highlight and open the note editor at once.

        The highlight is shown and current before the store write returns, and the
        editor opens at once, so keys typed right after ``n`` land in the editor and
        ``e`` right after ``ctrl+s`` edits this note; the note is written after the
        highlight (store writes run in order).
        """
        target = self._take_selection()
        if target is None:
            return
        existing = self._existing(target)
        if existing is not None:
            self._edit(existing)
            return
        ann = self._create(target)
        draft = draft_for(self.post, None, target)
        self.app.push_screen(
            NoteEditor(quote=target.exact, drafts=self.drafts, draft=draft),
            partial(self._note_written, ann.id, draft.key),
        )

    def action_edit_note(self) -> None:
        """Edit the current highlight's note."""
        ann = self._current()
        if ann is not None:
            self._edit(ann)

    def action_tags(self) -> None:
        """Edit the current highlight's tags."""
        ann = self._current()
        if ann is None:
            return

        def answered(tags: tuple[str, ...] | None) -> None:
            if tags is not None and tags != ann.tags:
                self._update(ann.id, tags=tags)

        self.app.push_screen(TagsDialog(ann.tags), answered)

    def action_color(self) -> None:
        """Change the current highlight's colour."""
        ann = self._current()
        if ann is None:
            return

        def answered(color: str | None) -> None:
            if color is not None and color != ann.color:
                self._update(ann.id, color=color)

        self.app.push_screen(ColorDialog(ann.color), answered)

    def action_delete(self) -> None:
        """Delete the current highlight, after a confirmation."""
        ann = self._current()
        if ann is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(ann.id)

        self.app.push_screen(ConfirmScreen(delete_question(ann), yes="Delete", no="Keep"), answered)

    # -- private: selection and notes ------------------------------------------------------

    def _take_selection(self) -> Target | None:
        """The selection as a store target, ending the selection; None if nothing to save."""
        view = self.view
        if view.selection is None or self.document is None:
            return None
        if self.store.read_only:
            self.notify(
                "The annotation store is read-only; nothing can be saved.", severity="error"
            )
            return None
        start, end = view.selection
        view.clear_selection()
        try:
            return make_target(self.document.text, start, end)
        except ValueError:
            return None

    def _edit(
        self, ann: Annotation, text: str | None = None, *, replaces: str | None = None
    ) -> None:
        """Open the note editor on ``ann``.

        Args:
            ann: The annotation whose note is edited.
            text: Text from a draft to start with (the stored note otherwise).
            replaces: The key of that draft, when it differs from this note's key
                (dropped once the user saves or discards).
        """
        draft = draft_for(self.post, ann, ann.target)

        def answered(note: str | None) -> None:
            if note is not None and note != ann.note:
                self._update(ann.id, note=note, draft_key=draft.key)
            elif note is not None:
                self._discard_draft(draft.key)
            if replaces is not None and replaces != draft.key:
                self._discard_draft(replaces)

        editor = NoteEditor(
            ann.note if text is None else text,
            original=ann.note,
            quote=ann.target.exact,
            drafts=self.drafts,
            draft=draft,
        )
        self.app.push_screen(editor, answered)

    def _note_written(self, ann_id: str, key: str, note: str | None) -> None:
        """The editor opened by ``n`` answered: show the note now, store it after the highlight."""
        if note:
            self._update(ann_id, note=note, draft_key=key)
        elif note is not None:
            self._discard_draft(key)

    def _resume(self, draft: Draft) -> None:
        """Reopen the note editor with a draft left by a crash."""
        ann = self.placed.for_draft(draft)
        if ann is not None:
            self.view.set_current(ann.id)
            self._edit(ann, draft.text, replaces=draft.key)
            return
        # The highlight was never saved (or is gone): recreate it at its place.
        if (
            self.document is None
            or self.document.text[draft.start : draft.end] != draft.quote
            or not draft.quote
        ):
            self.notify("The highlight of the restored note is gone; the note is kept as a draft.")
            return
        target = make_target(self.document.text, draft.start, draft.end)
        ann = self._create(target)
        editor = NoteEditor(
            draft.text, original="", quote=target.exact, drafts=self.drafts, draft=draft
        )
        self.app.push_screen(editor, partial(self._note_written, ann.id, draft.key))

    def _after_placing(self) -> None:
        """Reopen the note draft the screen was opened with."""
        if self.resume_draft is not None:
            self._resume(self.resume_draft)

    # -- private: store writes (threads) ---------------------------------------------------

    def _existing(self, target: Target) -> Annotation | None:
        """The highlight of exactly ``target``'s passage, made current and said so."""
        ann = self.placed.at((target.start, target.end))
        if ann is not None:
            self.view.set_current(ann.id, scroll=False)
            self._show_current_note()
            self.notify("That passage is highlighted already.", timeout=3)
        return ann

    def _create(self, target: Target) -> Annotation:
        """Show a new highlight at once, current, and save it through the app's writer.

        It gets its id here and the store takes it (``AnnotationStore.create(ann_id=)``),
        so the keys that act on the current highlight (``e``, ``t``, ``c``, ``d``, ``y``)
        work on it at once, and what they write is queued behind the create
        (``CreateFailed`` takes it back with the reason).
        """
        ann = new_highlight(self.post, target)
        self.placed.add(ann)
        self._paint()
        self.view.set_current(ann.id, scroll=False)
        self._show_current_note()
        self._write(partial(self._create_thread, ann), "save highlight")
        return ann

    def _write(self, work: Callable[[], None], description: str) -> None:
        """Hand a store write to the app's writer: it runs after the writes handed over
        before it, and even if the reader closes at once."""
        self._writer.run(self.app, work, description)

    def _create_thread(self, ann: Annotation) -> None:
        try:
            saved = self.store.create(
                ann.post,
                ann.target,
                note=ann.note,
                color=ann.color,
                ann_id=ann.id,
                created=ann.created,
            )
        except StoreError as error:
            self.post_message(self.CreateFailed(ann.id, str(error)))
            return
        self.post_message(self.Created(saved))
        self.app.post_message(AnnotationsChanged(self.post.id))

    def _update(self, ann_id: str, *, draft_key: str | None = None, **changes: object) -> None:
        """Show the change at once, write it through the app's writer (``Saved`` brings the
        result)."""
        if self.placed.change(ann_id, **changes):
            self._paint()
            self._show_current_note()
        self._write(partial(self._update_thread, ann_id, changes, draft_key), "update highlight")

    def _update_thread(self, ann_id: str, changes: Mapping[str, object], key: str | None) -> None:
        try:
            ann = self.store.update(ann_id, **changes)  # type: ignore[arg-type]
        except AnnotationNotFound:  # the highlight itself was not saved (or was deleted)
            if "note" in changes:
                # notify is thread-safe.
                self.app.notify("The note was kept as a draft.", severity="warning")
            return
        except StoreError as error:
            self.post_message(self.StoreFailed(str(error)))
            # Show what the store holds again, not the change that failed.
            try:
                stored = self.store.get(ann_id)
            except StoreError:
                return
            if stored is not None:
                self.post_message(self.Saved(stored))
            return
        if key is not None:
            self.drafts.discard(key)
        self.post_message(self.Saved(ann))
        self.app.post_message(AnnotationsChanged(self.post.id))

    def _delete(self, ann_id: str) -> None:
        """Delete through the app's writer, after the writes queued before."""
        self._write(partial(self._delete_thread, ann_id), "delete highlight")

    def _delete_thread(self, ann_id: str) -> None:
        try:
            self.store.delete(ann_id)
        except StoreError as error:
            self.post_message(self.StoreFailed(str(error)))
            return
        self.post_message(self.Deleted(ann_id))
        self.app.post_message(AnnotationsChanged(self.post.id))

    def _discard_draft(self, key: str) -> None:
        self.app.run_worker(
            partial(self.drafts.discard, key), thread=True, group="drafts", exit_on_error=False
        )
