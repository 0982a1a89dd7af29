"""Tests for tui.corpus.files: decoding, front matter splitting, body reading."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from frontmatter.default_handlers import YAMLHandler
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.corpus import files
from tui.corpus.errors import (
    BinaryFile,
    CorpusError,
    EmptyFile,
    UndecodableFile,
    UnreadableFile,
)
from tui.corpus.files import decode_bytes, read_body, read_text, split_front_matter


def write(tmp_path: Path, data: bytes, name: str = "p.md") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_utf8_with_bom_and_crlf(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbf---\r\ntitle: x\r\n---\r\nbody\rline\r\n")
    text, encoding = read_text(path)
    assert encoding == "utf-8"
    assert text == "---\ntitle: x\n---\nbody\nline\n"


def test_gb18030_fallback(tmp_path: Path) -> None:
    path = write(tmp_path, "---\ntitle: 中文标题\n---\n正文".encode("gb18030"))
    text, encoding = read_text(path)
    assert encoding == "gb18030"
    assert "中文标题" in text


def test_big5_fallback(tmp_path: Path) -> None:
    path = write(tmp_path, "---\ntitle: 繁體中文標題\n---\n內容說明".encode("big5"))
    text, encoding = read_text(path)
    assert encoding == "big5"
    assert "繁體中文標題" in text


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_with_a_byte_order_mark(tmp_path: Path, encoding: str) -> None:
    """What Windows editors save as "Unicode": it was called a binary file (its NULs)."""
    post = "---\r\ntitle: 雨季\r\n---\r\n<p>河水涨了。</p>\r\n"
    path = write(tmp_path, ("\ufeff" + post).encode(encoding))
    text, name = read_text(path)
    assert text == post.replace("\r\n", "\n")
    assert name == encoding[:6]
    head = path.read_bytes()[:13]  # a listing's partial read, cut inside a character
    start = decode_bytes(head, partial=True)[0]
    assert start in {"--", "---\n"} and text.startswith(start)  # whole characters only
    with pytest.raises(UndecodableFile, match=encoding[:6].upper()):
        decode_bytes(head)


def test_a_byte_order_mark_alone_is_empty() -> None:
    with pytest.raises(EmptyFile):
        decode_bytes(codecs.BOM_UTF16_LE + " \n".encode("utf-16-le"))


def test_latin1_is_undecodable(tmp_path: Path) -> None:
    path = write(tmp_path, "café au lait ÿ".encode("latin-1"))
    with pytest.raises(UndecodableFile, match="not UTF-8"):
        read_text(path)


def test_empty_and_whitespace_only(tmp_path: Path) -> None:
    with pytest.raises(EmptyFile):
        read_text(write(tmp_path, b""))
    with pytest.raises(EmptyFile):
        read_text(write(tmp_path, b" \n\n\t", "w.md"))


def test_nul_bytes_are_binary(tmp_path: Path) -> None:
    with pytest.raises(BinaryFile):
        read_text(write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00"))


def test_missing_and_folder_are_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile):
        read_text(tmp_path / "nope.md")
    with pytest.raises(UnreadableFile):
        read_text(tmp_path)


def test_permission_denied_simulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, b"hello")

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files, "_open_fd", refuse)
    with pytest.raises(UnreadableFile, match="permission denied"):
        read_text(path)


def test_partial_decode_drops_a_cut_character() -> None:
    data = "标题".encode()[:-1]
    with pytest.raises(CorpusError):
        decode_bytes(data)
    assert decode_bytes(data, partial=True) == ("标", "utf-8")


def test_split_front_matter_basic() -> None:
    fm, body = split_front_matter("---\ntitle: a\n---\nbody text\n")
    assert fm is not None and fm.strip() == "title: a"
    assert body.strip() == "body text"


def test_split_front_matter_absent_or_unclosed() -> None:
    text = "[t](u)\n------\nbody"
    assert split_front_matter(text) == (None, text)
    text = "---\ntitle: a\nno closing line\n"
    assert split_front_matter(text) == (None, text)


def test_split_front_matter_leading_whitespace_and_long_rules() -> None:
    fm, body = split_front_matter("\n\n-----\ntitle: a\n-----   \nbody")
    assert fm is not None and "title: a" in fm
    assert body.strip() == "body"


def test_read_body_keeps_archive_header(tmp_path: Path) -> None:
    path = write(tmp_path, b"---\ntitle: a\n---\n<!--1-->\n[a](http://x)\n------\n<p>x</p>\n")
    body = read_body(path)
    assert body.lstrip().startswith("<!--1-->")
    assert body.rstrip().endswith("<p>x</p>")


_lines = st.lists(
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=20).filter(
        lambda s: "\n" not in s and "\r" not in s
    ),
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(_lines, _lines, st.sampled_from(["---", "----", "------"]))
def test_split_matches_python_frontmatter(fm_lines: list[str], body: list[str], rule: str) -> None:
    """Our split agrees with python-frontmatter's whenever it finds front matter."""
    text = "\n".join([rule, *fm_lines, rule, *body])
    ours_fm, ours_body = split_front_matter(text)
    handler = YAMLHandler()
    try:
        ref_fm, ref_body = handler.split(text.strip())
    except ValueError:
        return
    if not handler.detect(text.strip()):
        return
    assert ours_fm == ref_fm
    assert ours_body.strip() == ref_body.strip()
