"""Every real-world post loads with a title and a date, or is reported as a problem."""

from __future__ import annotations

import pytest

from tests.conftest import REALWORLD
from tests.corpus_posts import load_corpus

pytestmark = pytest.mark.skipif(
    not REALWORLD.is_dir(), reason=f"the real-world archive {REALWORLD} is absent on this machine"
)


def test_every_realworld_file_loads_or_is_reported() -> None:
    result = load_corpus([REALWORLD])
    files = {
        str(p)
        for p in REALWORLD.rglob("*")
        if p.suffix.lower() in (".md", ".markdown", ".html", ".htm") and p.is_file()
    }
    readme = str(REALWORLD / "README.md")  # the folder's own notes, not a post
    listed = {p.path for p in result.posts}
    reported = {p.path for p in result.problems}
    assert listed | reported == files
    assert len(files) > 100
    for post in result.posts:
        if post.path == readme:
            continue
        assert post.title.strip(), post.path
        assert post.date is not None or post.path in reported, post.path
        assert post.date is None or post.date.tzinfo is not None


def test_realworld_layouts_give_the_expected_fields() -> None:
    result = load_corpus([REALWORLD])
    by_folder: dict[str, list[str]] = {}
    for post in result.posts:
        by_folder.setdefault(post.rel_path.split("/", 1)[0], []).append(post.source or "")
    # No-front-matter archives take their source URL from the [title](url) header.
    assert all(s.startswith("http") for s in by_folder["duty-machine-chinadigitaltimes"])
    assert len({p.id for p in result.posts}) == len(result.posts)


def test_words_of_every_realworld_post_find_it() -> None:
    """Search on real posts of every layout: random Chinese words (one to four
    characters of a run), as written and in simplified characters (character by
    character, as the index folds them), and whole Latin words, each taken from a post's
    canonical text, find that post through the index, the way the app and `ls -q` ask."""
    import random
    import re

    from tui.corpus.errors import CorpusError
    from tui.corpus.index import CorpusIndex
    from tui.corpus.query import parse_query
    from tui.render.document import canonical_text
    from tui.render.script import fold_script

    index = CorpusIndex([REALWORLD])
    index.sync(workers=1)
    index.feed_fields()
    index.feed_text(workers=1)
    chinese = re.compile(r"[\u4e00-\u9fff]+")
    latin = re.compile(r"(?<!\w)[A-Za-z]{4,}(?!\w)")
    pick = random.Random(12)
    missed: list[tuple[str, str]] = []
    tried = 0
    for post in index.db.posts_newest_first():
        try:
            text = canonical_text(post.path)
        except CorpusError:
            continue
        runs, words = chinese.findall(text), latin.findall(text)
        terms = []
        for run in pick.sample(runs, min(3, len(runs))):
            size = min(pick.randint(1, 4), len(run))
            start = pick.randrange(len(run) - size + 1)
            word = run[start : start + size]
            terms += [word, fold_script(word)]
        terms += pick.sample(words, min(2, len(words)))
        for term in terms:
            tried += 1
            found = index.search(parse_query(f'"{term}"')).keys(0, None)
            if post.id not in {p.id for p in index.db.posts_by_key(found)}:
                missed.append((post.rel_path, term))
    assert tried > 800
    assert missed == []
