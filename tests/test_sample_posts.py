"""Checks that the bundled sample archive has the variety it promises.

The sample archive is the default corpus and the fixture other tests read, so its
properties (sources, tags, years, every front matter variant and every HTML construct)
are asserted here with plain Python: PyYAML on the front matter, regexes on the bodies.
It deliberately does not use ``tui.corpus``, so a loader bug cannot hide a gap here.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from tests.conftest import SAMPLE_POSTS

POST_SUFFIXES = {".md", ".markdown", ".html", ".htm"}
YEARS = range(2019, 2026)
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"\b[A-Za-z]{3,}\b")
# Characters that only traditional Chinese uses (their simplified forms differ).
TRADITIONAL_ONLY = re.compile(r"[們這個書舊體寫說當點從與東來時對學會長開]")
HEADER_RE = re.compile(
    r"\A(?:<!--(?P<epoch>\d+)-->\n)?"
    r"(?:\[(?P<title>.+)\]\((?P<url>\S+)\)\n-{3,}\n)?"
    r"(?:日期：(?P<date_line>[^\n]+)\n)?"
)
FILE_DATE_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)-")


@dataclass
class SamplePost:
    """One sample post file, parsed just enough for these checks."""

    path: Path
    raw: bytes
    text: str
    meta: dict[str, Any] | None
    body: str
    epoch: int | None = None
    header_title: str | None = None
    header_url: str | None = None
    date_line: str | None = None
    content: str = field(default="")

    @property
    def rel(self) -> str:
        """The path relative to sample_posts/, for messages."""
        return self.path.relative_to(SAMPLE_POSTS).as_posix()

    def meta_get(self, *keys: str) -> Any:
        """The first present front matter value among ``keys``."""
        if self.meta is None:
            return None
        for key in keys:
            if key in self.meta:
                return self.meta[key]
        return None

    @property
    def keys(self) -> set[str]:
        """The front matter keys (empty without front matter)."""
        return set(self.meta or {})

    @property
    def url(self) -> str | None:
        """The source URL from the front matter, else from the header link."""
        value = self.meta_get("from", "source", "url", "link")
        return str(value) if value is not None else self.header_url

    @property
    def title(self) -> str | None:
        """The raw title (front matter first, then the header link)."""
        value = self.meta_get("title")
        return str(value) if value is not None else self.header_title

    @property
    def author(self) -> str | None:
        """The author, under either key."""
        value = self.meta_get("author", "authors")
        return str(value) if value is not None else None

    @property
    def tags(self) -> list[str]:
        """Tags as a list, whether written as a YAML list or one comma-separated string."""
        return _as_list(self.meta_get("tags"))

    @property
    def categories(self) -> list[str]:
        """Categories under either key, as a list."""
        return _as_list(self.meta_get("categories", "category"))

    @property
    def date(self) -> datetime | None:
        """The post's date as an aware UTC datetime, from every place the format allows."""
        value = self.meta_get("date")
        if isinstance(value, datetime):
            return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        if isinstance(value, str):
            return datetime.strptime(value, "%Y-%m-%d %H:%M:%S %z").astimezone(UTC)
        if self.date_line:
            return parsedate_to_datetime(self.date_line).astimezone(UTC)
        if self.epoch is not None:
            return datetime.fromtimestamp(self.epoch / 1000, UTC)
        m = FILE_DATE_RE.match(self.path.name)
        if m:
            return datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=UTC)
        return None


def _host(url: str | None) -> str:
    host = urlparse(url or "").hostname
    assert host is not None, url
    return host


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(item) for item in value]


def _parse(path: Path) -> SamplePost:
    raw = path.read_bytes()
    text = raw.decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    meta: dict[str, Any] | None = None
    body = text
    if text.startswith("---\n"):
        end = text.index("\n---\n", 3)
        loaded = yaml.safe_load(text[4:end])
        assert isinstance(loaded, dict), f"{path}: front matter is not a mapping"
        meta = loaded
        body = text[end + len("\n---\n") :]
    post = SamplePost(path=path, raw=raw, text=text, meta=meta, body=body)
    m = HEADER_RE.match(body)
    assert m is not None  # every group is optional, so this always matches
    post.epoch = int(m["epoch"]) if m["epoch"] else None
    post.header_title, post.header_url, post.date_line = m["title"], m["url"], m["date_line"]
    post.content = body[m.end() :]
    return post


@cache
def _posts() -> tuple[SamplePost, ...]:
    files = sorted(
        p for p in SAMPLE_POSTS.rglob("*") if p.is_file() and p.suffix.lower() in POST_SUFFIXES
    )
    return tuple(_parse(p) for p in files)


@pytest.fixture(scope="module")
def posts() -> tuple[SamplePost, ...]:
    """Every sample post, parsed once."""
    return _posts()


def _is_chinese(post: SamplePost) -> bool:
    return len(CJK.findall(post.content)) > len(
        LATIN_WORD.findall(re.sub(r"<[^>]*>", " ", post.content))
    )


# --- size, count and loadability -------------------------------------------------------


def test_at_least_forty_posts(posts: tuple[SamplePost, ...]) -> None:
    assert len(posts) >= 44


def test_every_post_has_title_url_and_date(posts: tuple[SamplePost, ...]) -> None:
    for post in posts:
        assert post.title, post.rel
        assert post.url and post.url.startswith("https://"), post.rel
        assert _host(post.url).endswith(".example"), post.rel
        assert post.date is not None, post.rel
        if post.meta is not None:
            assert post.meta.get("layout") == "post", post.rel
            assert post.author, post.rel


def test_sizes_are_substantive(posts: tuple[SamplePost, ...]) -> None:
    sizes = {post.rel: len(post.raw) for post in posts}
    long_ones = [rel for rel, size in sizes.items() if size > 100_000]
    assert len(long_ones) == 1, long_ones
    for rel, size in sizes.items():
        assert size >= 1500, f"{rel} is only {size} bytes"
        if rel not in long_ones:
            assert size <= 10_000, f"{rel} is {size} bytes"


def test_long_article_has_many_distinct_paragraphs(posts: tuple[SamplePost, ...]) -> None:
    (long_post,) = (post for post in posts if len(post.raw) > 100_000)
    paragraphs = re.findall(r"<p>(.*?)</p>", long_post.content)
    assert len(paragraphs) >= 100
    assert len(set(paragraphs)) == len(paragraphs), "the long article repeats a paragraph"
    assert len(re.findall(r"<h2[\s>]", long_post.content)) >= 20


def test_no_two_files_identical(posts: tuple[SamplePost, ...]) -> None:
    digests = Counter(hashlib.sha256(post.raw).hexdigest() for post in posts)
    assert max(digests.values()) == 1
    urls = Counter(post.url for post in posts)
    assert max(urls.values()) == 1, [u for u, n in urls.items() if n > 1]
    titles = Counter(post.title for post in posts)
    assert max(titles.values()) == 1


# --- sources, authors, tags, years -------------------------------------------------------


def test_at_least_six_sources_each_with_a_few_authors(posts: tuple[SamplePost, ...]) -> None:
    authors: dict[str, set[str]] = {}
    for post in posts:
        host = _host(post.url)
        authors.setdefault(host, set())
        if post.author:
            authors[host].add(post.author)
    assert len(authors) >= 6, sorted(authors)
    for host, names in authors.items():
        assert len(names) <= 4, (host, names)
    # a source's authors are its own
    owners = Counter(name for names in authors.values() for name in names)
    assert max(owners.values()) == 1


def test_files_are_nested_by_source_and_year(posts: tuple[SamplePost, ...]) -> None:
    for post in posts:
        parts = post.path.relative_to(SAMPLE_POSTS).parts
        assert len(parts) == 3, post.rel
        assert post.date is not None
        # the folder year is the post's local year; allow the UTC date to fall a day either side
        assert abs(int(parts[1]) - post.date.year) <= 1, post.rel
    folders = {post.path.relative_to(SAMPLE_POSTS).parts[0] for post in posts}
    assert len(folders) >= 6
    assert any(CJK.search(post.path.name) for post in posts), "no Chinese file names"


def test_tags_and_categories(posts: tuple[SamplePost, ...]) -> None:
    counts = Counter(tag for post in posts for tag in post.tags)
    assert len(counts) >= 30, len(counts)
    assert sum(1 for n in counts.values() if n >= 2) >= 10, "too few shared tags"
    differing = [
        post for post in posts if post.categories and set(post.categories) != set(post.tags)
    ]
    assert len(differing) >= 10


def test_every_year_present(posts: tuple[SamplePost, ...]) -> None:
    years = Counter(post.date.year for post in posts if post.date)
    for year in YEARS:
        assert years[year] >= 3, (year, years)
    assert set(years) <= set(YEARS)


def test_chinese_and_english_mix(posts: tuple[SamplePost, ...]) -> None:
    chinese = [post for post in posts if _is_chinese(post)]
    share = len(chinese) / len(posts)
    assert 0.5 <= share <= 0.7, share
    assert len(posts) - len(chinese) >= 12
    traditional = [post for post in chinese if len(TRADITIONAL_ONLY.findall(post.content)) >= 10]
    assert 3 <= len(traditional) < len(chinese) / 2


# --- header and front matter variants ---------------------------------------------------


def test_epoch_marker_equals_date_and_header_link_equals_source(
    posts: tuple[SamplePost, ...],
) -> None:
    for post in posts:
        if post.epoch is not None:
            assert post.date is not None
            assert post.epoch == int(post.date.timestamp() * 1000), post.rel
        if post.header_url is not None:
            assert post.header_url == post.url, post.rel


def test_date_forms(posts: tuple[SamplePost, ...]) -> None:
    raw_dates = [
        m[1]
        for post in posts
        if post.meta is not None
        for m in [re.search(r"^date: (.+)$", post.text, re.M)]
        if m
    ]
    assert sum(1 for d in raw_dates if d.endswith("Z")) >= 20
    assert any(re.fullmatch(r"\S+T\S+\+08:00", d) for d in raw_dates)
    assert any(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0800", d) for d in raw_dates)
    assert any(re.fullmatch(r"\d{4}-\d\d-\d\d", d) for d in raw_dates)


def test_front_matter_variants(posts: tuple[SamplePost, ...]) -> None:
    with_meta = [post for post in posts if post.meta is not None]
    assert sum(1 for p in with_meta if isinstance(p.meta_get("tags"), str)) >= 2
    assert sum(1 for p in with_meta if isinstance(p.meta_get("tags"), list)) >= 30
    assert sum(1 for p in with_meta if "category" in p.keys) == 1
    assert sum(1 for p in with_meta if "authors" in p.keys) == 1
    assert sum(1 for p in with_meta if "source" in p.keys) == 1
    folded = [p for p in with_meta if re.search(r"^title: >-?\n", p.text, re.M)]
    assert len(folded) == 1
    assert "\n" not in str(folded[0].title) and "  " not in str(folded[0].title)
    titles = [str(p.title) for p in with_meta]
    assert any("&amp;" in t and "&amp;#" not in t for t in titles)
    assert any(re.search(r"&amp;#\d+;", t) for t in titles)
    assert any("[red]" in t for t in titles)


def test_posts_without_front_matter(posts: tuple[SamplePost, ...]) -> None:
    bare = [post for post in posts if post.meta is None]
    assert len(bare) == 3
    for post in bare:
        assert post.text.startswith("["), post.rel
        assert post.header_title and post.header_url, post.rel
        assert post.epoch is None
    assert sum(1 for post in bare if post.date_line) == 2
    (undated,) = (post for post in bare if not post.date_line)
    assert FILE_DATE_RE.match(undated.path.name)


def test_line_ends_and_bom(posts: tuple[SamplePost, ...]) -> None:
    crlf = [post for post in posts if b"\r\n" in post.raw]
    assert len(crlf) == 1
    assert b"\n" not in crlf[0].raw.replace(b"\r\n", b""), "mixed line ends in the CRLF file"
    bom = [post for post in posts if post.raw.startswith(b"\xef\xbb\xbf")]
    assert len(bom) == 1
    assert bom[0] is not crlf[0]


def test_body_layouts(posts: tuple[SamplePost, ...]) -> None:
    with_meta = [post for post in posts if post.meta is not None]
    pretty = [p for p in with_meta if p.epoch is None and p.header_url is None]
    assert len(pretty) == 1
    assert pretty[0].content.count("\n") > 50, "the prettified body should span many lines"
    one_line = [p for p in with_meta if p.content.strip().count("\n") == 0]
    assert len(one_line) >= 30
    mixed = [p for p in posts if re.search(r"^#{2,3} \S", p.content, re.M) and "<p>" in p.content]
    assert len(mixed) == 1
    liquid = [
        p
        for p in posts
        if re.search(r"\{\{ [^}]+ \}\}", p.content) and re.search(r"\{% [^%]+ %\}", p.content)
    ]
    assert len(liquid) >= 1


# --- HTML constructs ---------------------------------------------------------------------

S = re.S
CONSTRUCTS: dict[str, re.Pattern[str]] = {
    "h2": re.compile(r"<h2[\s>]"),
    "h3": re.compile(r"<h3[\s>]"),
    "h4": re.compile(r"<h4[\s>]"),
    "p": re.compile(r"<p[\s>]"),
    "strong": re.compile(r"<strong[\s>]"),
    "em": re.compile(r"<em[\s>]"),
    "a": re.compile(r"<a\s[^>]*href=\"https?://"),
    "img with alt": re.compile(r"<img\s[^>]*\balt=\"[^\"]+\""),
    "lazy img (data-src)": re.compile(r"<img\s[^>]*\bdata-src=\"https?://"),
    "figure with figcaption": re.compile(r"<figure[\s>](?:(?!</figure>).)*<figcaption[\s>]", S),
    "ul": re.compile(r"<ul[\s>]"),
    "ol": re.compile(r"<ol[\s>]"),
    "nested list": re.compile(r"<li[\s>](?:(?!</li>).)*<(?:ul|ol)[\s>]", S),
    "blockquote": re.compile(r"<blockquote[\s>]"),
    "nested blockquote": re.compile(r"<blockquote[\s>](?:(?!</blockquote>).)*<blockquote[\s>]", S),
    "table": re.compile(r"<table[\s>]"),
    "pre/code": re.compile(r"<pre[^>]*>\s*<code[\s>]"),
    "inline code": re.compile(r"<p[\s>](?:(?!</p>).)*<code>", S),
    "br": re.compile(r"<br\s*/?>"),
    "hr": re.compile(r"<hr\s*/?>"),
    "iframe embed": re.compile(r"<iframe\s[^>]*src=\"https://"),
    "video": re.compile(r"<video[\s>]"),
    "audio": re.compile(r"<audio[\s>]"),
    "script": re.compile(r"<script[\s>](?:(?!</script>).)+</script>", S),
    "style": re.compile(r"<style[\s>](?:(?!</style>).)+</style>", S),
    "noscript": re.compile(r"<noscript>(?:(?!</noscript>).)+</noscript>", S),
    "html comment": re.compile(r"<!--(?!\d+-->).*?-->", S),
    "nbsp entity": re.compile(r"&nbsp;"),
    "zero-width space": re.compile("\u200b"),
    "mdash entity": re.compile(r"&mdash;"),
    "literal square brackets": re.compile(r"\[red\]not markup\[/red\]"),
}


@pytest.mark.parametrize("name", sorted(CONSTRUCTS))
def test_construct_present(name: str) -> None:
    pattern = CONSTRUCTS[name]
    holders = [post.rel for post in _posts() if pattern.search(post.content)]
    assert holders, f"no sample post uses {name}"


def test_many_links(posts: tuple[SamplePost, ...]) -> None:
    links = sum(len(CONSTRUCTS["a"].findall(post.content)) for post in posts)
    assert links >= 30
    assert sum(1 for post in posts if CONSTRUCTS["a"].search(post.content)) >= 25


def _tables(content: str) -> list[tuple[int, int]]:
    """(rows, columns of the widest row) for every table in ``content``."""
    shapes = []
    for table in re.findall(r"<table[\s>].*?</table>", content, S):
        rows = re.findall(r"<tr[\s>].*?</tr>", table, S)
        cols = max(len(re.findall(r"<t[hd][\s>]", row)) for row in rows)
        shapes.append((len(rows), cols))
    return shapes


def test_small_and_wide_tables(posts: tuple[SamplePost, ...]) -> None:
    shapes = [shape for post in posts for shape in _tables(post.content)]
    assert any(rows <= 6 and cols <= 4 for rows, cols in shapes), shapes
    assert any(rows >= 20 and cols >= 6 for rows, cols in shapes), shapes


def test_scripts_and_styles_hold_no_article_text(posts: tuple[SamplePost, ...]) -> None:
    # whatever a script/style holds is code, never sentences a reader should see
    for post in posts:
        for block in re.findall(r"<(script|style)[\s>](.*?)</\1>", post.content, S):
            assert not CJK.search(block[1]), post.rel
