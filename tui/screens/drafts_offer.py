"""The question asked at a start when notes typed last time were never saved."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from textual.app import App

from tui.corpus.model import Post
from tui.drafts import Draft
from tui.render.cells import clean_cell
from tui.screens.confirm import ConfirmScreen, UnaskedConfirmScreen


def offer_drafts(
    app: App[Any],
    drafts: Sequence[Draft],
    find: Callable[[str], Post | None],
    open_post: Callable[[Post, Draft], None],
    *,
    asked: bool = False,
) -> None:
    """Ask whether to reopen the notes recovered from last time.

    "Restore" opens the first draft's post with its note editor (the reader resumes it);
    the others stay in the draft store and are offered again. "Later" keeps them all:
    nothing typed is ever thrown away without being asked. Drafts of posts no longer in
    the index are not offered (they stay in the store). Unless ``asked`` (the palette), the
    question comes up unasked, so keys typed for the screen under it do not answer it
    (`UnaskedDialog`).

    Args:
        app: The app to ask in.
        drafts: The drafts recovered.
        find: The post of an id, if the index has it.
        open_post: Opens a post in the reader, resuming a draft.
        asked: Whether the user asked for the offer (then a plain question, and a notice
            when no draft's post is here).
    """
    found = [find(draft.post_id) for draft in drafts]
    posts: dict[str, Post] = {post.id: post for post in found if post is not None}
    usable = [draft for draft in drafts if draft.post_id in posts]
    if not usable:
        if asked:
            app.notify(
                "The note drafts are of posts not in these folders; they are kept.", markup=False
            )
        return
    count = len(usable)
    noun = "note" if count == 1 else "notes"
    titles = ", ".join(sorted({clean_cell(d.title or posts[d.post_id].title) for d in usable}))

    def answered(restore: bool | None) -> None:
        if restore:
            draft = usable[0]
            open_post(posts[draft.post_id], draft)
        else:
            app.notify(
                "The drafts are kept; the palette command 'Restore note drafts' reopens them.",
                markup=False,
            )

    question = ConfirmScreen if asked else UnaskedConfirmScreen
    app.push_screen(
        question(
            f"{count} unsaved {noun} from last time ({titles}). Reopen now?",
            yes="Restore",
            no="Later",
            default_yes=True,
        ),
        answered,
    )
