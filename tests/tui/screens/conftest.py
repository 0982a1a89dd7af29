"""Fixtures shared by the screen tests: the fixed corpus, its river post, a store, drafts.

A test module that needs something else (say, a store already holding annotations)
defines a fixture of the same name, which takes precedence over these.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from annotations.store import AnnotationStore
from tests.tui.conftest import FIXED_POSTS, write_posts
from tests.tui.screens.test_reader_support import load_posts, post_named
from tui.corpus.model import Post
from tui.drafts import DraftStore


@pytest.fixture
def corpus(tmp_path: Path) -> list[Post]:
    """The fixed test posts, loaded."""
    return load_posts(write_posts(tmp_path / "posts", FIXED_POSTS))


@pytest.fixture
def river(corpus: list[Post]) -> Post:
    """The English river post of the fixed corpus."""
    return post_named(corpus, "2023-10-26-river.md")


@pytest.fixture
def store(tmp_path: Path) -> AnnotationStore:
    """An empty annotation store in the test's folder."""
    return AnnotationStore(tmp_path / "annotations.json")


@pytest.fixture
def drafts(tmp_path: Path) -> DraftStore:
    """An empty draft store in the test's folder."""
    return DraftStore(tmp_path / "drafts.json")
