"""Parsing post files: the fixtures' expected records, problems, and fast == reference."""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import REALWORLD, ROOT, SAMPLE_POSTS
from tests.tui.corpus.scanning import is_post_file
from tui.corpus import files as files_module
from tui.corpus import parse as parse_module
from tui.corpus.files import FM_BOUNDARY
from tui.corpus.ids import post_id
from tui.corpus.parse import HEAD_BYTES, Parsed, front_bounds, make_post, parse_fields, parse_file

FIXTURES = ROOT / "tests" / "fixtures"
POSTS = FIXTURES / "posts"
MALFORMED = FIXTURES / "malformed"


def parse(path: Path, **kwargs: bool) -> Parsed:
    return parse_file(str(path), path.name, path.stat().st_size, path.stat().st_mtime_ns, **kwargs)


def post_files(root: Path) -> list[Path]:
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [Path(folder) / n for n in names if is_post_file(n)]
    return sorted(found)


def test_full_archive_post() -> None:
    parsed = parse(POSTS / "full.md")
    post = parsed.post
    assert parsed.problems == []
    assert post is not None
    assert post.title == "Full archive post"
    assert post.date == datetime(2023, 10, 26, 22, 57, 12, tzinfo=UTC)
    assert post.author == "Lin Wei"
    assert post.tags == ("economy", "trade", "中国")
    assert post.categories == ("analysis",)
    assert post.source == "https://news.example.com/n14103768.htm"
    assert post.extras == (("layout", "post"), ("comments", "true"))
    assert post.id == post_id(post.source, "full.md")
    assert len(post.id) == 12 and int(post.id, 16) >= 0
    assert post.encoding == "utf-8"


def test_aliases_and_case_insensitive_keys() -> None:
    post = parse(POSTS / "offset-date.md").post
    assert post is not None
    assert post.title == "Offset date and aliases"
    assert post.date == datetime(2020, 1, 1, 19, 4, 5, tzinfo=UTC)
    assert post.author == "Ann Smith, Bo Li"
    assert post.tags == ("alpha", "beta", "gamma")
    assert post.categories == ("news",)
    assert post.source == "https://blog.example.org/offset"
    assert post.extras == (("extra_note", "kept as an extra"),)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("fraction.markdown", datetime(2021, 5, 6, 5, 8, 9, 123456, tzinfo=UTC)),
        ("bare-date.html", datetime(2019, 7, 1, tzinfo=UTC)),
        ("folded-title.md", datetime(2018, 3, 4, 5, 6, 7, tzinfo=UTC)),
        ("nested/deeper/2022-02-02-epoch.md", datetime(2022, 2, 2, tzinfo=UTC)),
        ("no-front-matter/2020-05-06-filename-date.md", datetime(2020, 5, 6, tzinfo=UTC)),
        ("no-front-matter/2015-12-25-only-a-file-name.md", datetime(2015, 12, 25, tzinfo=UTC)),
        ("plain.htm", None),
    ],
)
def test_date_sources(name: str, expected: datetime | None) -> None:
    post = parse(POSTS / name).post
    assert post is not None
    assert post.date == expected


def test_title_cleaning() -> None:
    escaped = parse(POSTS / "double-escaped.md").post
    assert escaped is not None
    assert escaped.title == "坂田 & Co"
    assert escaped.author == "Tom & Jerry"
    folded = parse(POSTS / "folded-title.md").post
    assert folded is not None and folded.title == "A title that YAML folds over three lines"
    assert folded.tags == ("block", "list")
    control = parse(POSTS / "control-chars.md").post
    assert control is not None
    assert control.title == "Red [31mtitle[0m with bell"


def test_bom_and_crlf() -> None:
    post = parse(POSTS / "crlf-bom.md").post
    assert post is not None
    assert post.title == "BOM and CRLF" and post.tags == ("crlf",)


def test_no_front_matter_header_with_date_line() -> None:
    path = next((POSTS / "no-front-matter").glob("400447_*.md"))
    post = parse(path).post
    assert post is not None
    assert post.title == "【网络民议】“测试标题” & more"
    assert post.source == "https://chinadigitaltimes.example/chinese/2020/06/x/"
    assert post.date == datetime(2020, 6, 23, 7, 8, 36, tzinfo=UTC)


def test_file_name_title() -> None:
    post = parse(POSTS / "plain.htm").post
    assert post is not None and post.title == "plain" and post.source is None
    post = parse(POSTS / "no-front-matter" / "2015-12-25-only-a-file-name.md").post
    assert post is not None and post.title == "only-a-file-name"


@pytest.mark.parametrize(
    ("name", "kind", "fragment"),
    [
        ("bad-yaml.md", "yaml", "line 3"),
        ("not-mapping.md", "not-mapping", "a list"),
        ("latin1.md", "encoding", "not UTF-8"),
        ("empty.md", "empty", "empty"),
        ("binary.md", "binary", "NUL"),
        ("unclosed.md", "yaml", "no closing"),
    ],
)
def test_unreadable_fixtures_are_problems(name: str, kind: str, fragment: str) -> None:
    parsed = parse(MALFORMED / name)
    assert parsed.post is None
    assert len(parsed.problems) == 1
    problem = parsed.problems[0]
    assert problem.kind == kind and not problem.recovered
    assert fragment in problem.reason
    assert problem.path == str(MALFORMED / name)
    assert problem.reason.endswith(".")


def test_impossible_date_is_listed_with_fallback_date() -> None:
    parsed = parse(MALFORMED / "2021-03-04-impossible-date.md")
    assert parsed.post is not None
    assert parsed.post.title == "Impossible date"
    assert parsed.post.date == datetime(2021, 3, 4, tzinfo=UTC)
    [problem] = parsed.problems
    assert problem.kind == "fields" and problem.recovered
    assert problem.reason == (
        "the date '2023-13-45' is not a date postil reads (use YYYY-MM-DD, with a time if"
        " any); ignored."
    )


@pytest.mark.parametrize("reference", [False, True])
@pytest.mark.parametrize(
    ("header", "where"),
    [
        ("title: x\x01y\n", "line 2: the character U+0001 is not allowed"),
        ("title: ok\ntags: [a, \ufffe]\n", "line 3: the character U+FFFE is not allowed"),
        ('author: a\nx: 1\ntitle: "\x9f"\n', "line 4: the character U+009F is not allowed"),
    ],
)
def test_a_character_yaml_rejects_is_named_with_its_line(
    tmp_path: Path, header: str, where: str, reference: bool
) -> None:
    path = tmp_path / "post.md"
    path.write_text(f"---\n{header}---\n<p>Body.</p>\n", encoding="utf-8")
    [problem] = parse(path, reference=reference).problems
    assert problem.kind == "yaml"
    assert problem.reason == f"the front matter is not valid YAML ({where})."


def test_broken_front_matter_recovered_from_header() -> None:
    parsed = parse(MALFORMED / "broken-with-header.md")
    assert parsed.post is not None
    assert parsed.post.title == "Recovered from the header"
    assert parsed.post.source == "https://example.com/recovered"
    assert parsed.post.date == datetime(2020, 2, 2, tzinfo=UTC)
    [problem] = parsed.problems
    assert problem.kind == "yaml" and problem.recovered


@pytest.mark.parametrize(("name", "encoding"), [("gb18030.md", "gb18030"), ("big5.md", "big5")])
def test_fallback_encodings_are_listed_and_reported(name: str, encoding: str) -> None:
    parsed = parse(MALFORMED / "recovered" / name)
    assert parsed.post is not None
    assert parsed.post.encoding == encoding
    assert parsed.post.title in ("简体中文标题", "繁體中文標題")
    [problem] = parsed.problems
    assert problem.kind == "encoding" and problem.recovered


def test_permission_denied_simulated(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files_module, "_open_fd", refuse)
    parsed = parse(POSTS / "full.md")
    assert parsed.post is None
    [problem] = parsed.problems
    assert problem.kind == "unreadable" and "permission denied" in problem.reason


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_permission_denied_real(tmp_path: Path) -> None:
    path = tmp_path / "locked.md"
    path.write_text("---\ntitle: x\n---\n")
    path.chmod(0)
    try:
        parsed = parse(path)
    finally:
        path.chmod(0o600)
    assert parsed.post is None and parsed.problems[0].kind == "unreadable"


def test_reads_only_the_head(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.md"
    path.write_text("---\ntitle: big\n---\n" + "<p>" + "x" * (HEAD_BYTES * 20) + "</p>\n")
    limits: list[int | None] = []
    real = files_module.read_bytes

    def spy(p: str, limit: int | None = None) -> bytes:
        limits.append(limit)
        return real(p, limit)

    monkeypatch.setattr("tui.corpus.parse.read_bytes", spy)
    post = parse(path).post
    assert post is not None and post.title == "big"
    assert limits == [HEAD_BYTES]


def test_long_front_matter_reads_on(tmp_path: Path) -> None:
    path = tmp_path / "long.md"
    filler = "".join(f"k{i}: {'v' * 50}\n" for i in range(HEAD_BYTES // 40))
    path.write_text(f"---\n{filler}title: at the end\n---\nbody\n")
    post = parse(path).post
    assert post is not None and post.title == "at the end"


def test_utf8_character_cut_at_head_boundary(tmp_path: Path) -> None:
    path = tmp_path / "cut.md"
    head = "---\ntitle: 中\n---\n"
    pad = "x" * (HEAD_BYTES - len(head.encode()) - 1)
    path.write_text(head + pad + "中文" * 100)
    parsed = parse(path)
    assert parsed.post is not None and parsed.post.encoding == "utf-8" and not parsed.problems


def _assert_fast_equals_reference(paths: list[Path]) -> None:
    assert paths
    for path in paths:
        fast = parse(path)
        reference = parse(path, reference=True)
        assert fast == reference, path


def test_fast_equals_reference_on_every_fixture() -> None:
    _assert_fast_equals_reference(post_files(FIXTURES))


def test_fast_equals_reference_on_sample_posts() -> None:
    files = post_files(SAMPLE_POSTS) if SAMPLE_POSTS.is_dir() else []
    if not files:
        pytest.skip("sample_posts/ has no posts yet")
    _assert_fast_equals_reference(files)


def test_plain_headers_never_reach_pyyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    """The archive's usual header takes the hand-written path (PyYAML is not called)."""

    def forbidden(text: str) -> None:
        raise AssertionError("PyYAML was called")

    monkeypatch.setattr(parse_module, "load_yaml", forbidden)
    for name in ("full.md", "offset-date.md", "double-escaped.md", "crlf-bom.md"):
        post = parse(POSTS / name).post
        assert post is not None and post.title


@pytest.mark.skipif(not REALWORLD.is_dir(), reason=f"{REALWORLD} is absent on this machine")
def test_fast_equals_reference_on_realworld() -> None:
    _assert_fast_equals_reference(post_files(REALWORLD))


def test_header_cut_by_the_head_read_is_read_whole(tmp_path: Path) -> None:
    """A title link running past the bytes first read is still read in full."""
    path = tmp_path / "long-title.md"
    title = "长" * HEAD_BYTES  # three bytes each: the line ends far beyond the head
    path.write_text(f"<!--1698361032000-->\n[{title}](https://x.example/a)\n------\n<p>x</p>\n")
    parsed = parse(path)
    assert parsed.post is not None and parsed.post.title == title
    assert parsed.post.source == "https://x.example/a"
    assert parsed == parse(path, reference=True)


def test_long_body_line_after_the_header_needs_no_second_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "no-front-matter.md"
    path.write_text("[T](https://x.example/t)\n------\n日期：2020-06-23\n\n<p>" + "字" * 5000)
    limits: list[int | None] = []
    real = files_module.read_bytes

    def spy(p: str, limit: int | None = None) -> bytes:
        limits.append(limit)
        return real(p, limit)

    monkeypatch.setattr("tui.corpus.parse.read_bytes", spy)
    post = parse(path).post
    assert post is not None and post.title == "T" and post.date is not None
    assert limits == [HEAD_BYTES]


_BOUNDARY_LINES = st.sampled_from(
    [
        "---",
        "----",
        "------",
        "--- ",
        "---\t",
        "---\x1c",
        "---\u3000",
        "--- x",
        "-- -",
        "---a",
        "---\x85",
    ]
)
_OTHER_LINES = st.text(
    alphabet=st.sampled_from(["a", " ", "-", ":", "\t", "\u3000", "\x85", "中", "#"]), max_size=6
)


@settings(max_examples=400, deadline=None)
@given(
    st.text(alphabet=st.sampled_from([" ", "\n", "\t", "\u3000"]), max_size=3),
    st.lists(st.one_of(_BOUNDARY_LINES, _OTHER_LINES), max_size=10),
)
def test_front_bounds_cut_where_the_regex_split_does(lead: str, lines: list[str]) -> None:
    """`front_bounds` (str.find) gives the same parts as `FM_BOUNDARY.split`, whatever
    the dashes, trailing (Unicode) whitespace and blank lines around them."""
    text = lead + "\n".join(lines)
    bounds = front_bounds(text)
    stripped = text.lstrip()
    if not FM_BOUNDARY.match(stripped):
        assert bounds is None
        return
    assert bounds is not None
    parts = FM_BOUNDARY.split(stripped, 2)
    source, start, end, body = bounds
    assert source == stripped
    if len(parts) < 3:
        assert (end, body) == (-1, -1)
    else:
        assert source[start:end] == parts[1]
        assert source[body:] == parts[2]


def test_parse_fields_are_parse_file_without_the_scan_fields() -> None:
    for path in post_files(FIXTURES):
        parsed = parse(path)
        fields, problems = parse_fields(str(path), len(str(path)) - len(path.name))
        assert problems == parsed.problems
        if parsed.post is None:
            assert fields is None
        else:
            assert fields is not None
            rel_start = len(str(path)) - len(parsed.post.rel_path)
            post = make_post(fields, str(path), rel_start, parsed.post.size, 0)
            assert post == dataclasses.replace(parsed.post, mtime_ns=0)


def test_parse_file_checks_the_relative_path() -> None:
    with pytest.raises(ValueError, match="does not end with"):
        parse_file(str(POSTS / "full.md"), "other.md")
