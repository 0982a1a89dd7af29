"""Tests for tui.corpus.header: the archive header at the top of a body."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.corpus.header import (
    ArchiveHeader,
    parse_header_date,
    parse_title_link,
    split_archive_header,
)


def test_full_header() -> None:
    body = "\n<!--1698361032000-->\n[The title](https://x.org/n1.htm)\n------\n\n<div>a</div>\nb"
    header, rest = split_archive_header(body)
    assert header == ArchiveHeader(
        title="The title", url="https://x.org/n1.htm", date=None, epoch_ms=1698361032000
    )
    assert rest == "<div>a</div>\nb"


def test_header_with_date_line_and_no_marker() -> None:
    body = (
        "[标题 | 副题](https://c.net/a/)\n------\n日期：Tue, 23 Jun 2020 07:08:36 +0000\n\n<p>x</p>"
    )
    header, rest = split_archive_header(body)
    assert header.title == "标题 | 副题"
    assert header.url == "https://c.net/a/"
    assert header.date == datetime(2020, 6, 23, 7, 8, 36, tzinfo=UTC)
    assert header.epoch_ms is None
    assert rest == "<p>x</p>"


def test_title_with_brackets_and_short_rule() -> None:
    header, rest = split_archive_header("[【网络民议】a [b]](http://u/(x))\n---\nbody")
    assert header.title == "【网络民议】a [b]"
    assert header.url == "http://u/(x)"
    assert rest == "body"


def test_link_without_rule_is_body_text() -> None:
    body = "[a link](http://x)\nsome text"
    assert split_archive_header(body) == (
        ArchiveHeader(title=None, url=None, date=None, epoch_ms=None),
        body,
    )


def test_marker_only() -> None:
    header, rest = split_archive_header("<!--1593739394000-->\n<p>x</p>")
    assert header.epoch_ms == 1593739394000
    assert header.title is None
    assert rest == "<p>x</p>"


def test_no_header_returns_body_unchanged() -> None:
    body = "\n\n<p>plain</p>\n"
    header, rest = split_archive_header(body)
    assert header.title is None and header.epoch_ms is None and header.date is None
    assert rest == body


def test_parse_title_link_rejects_non_links() -> None:
    assert parse_title_link("plain") is None
    assert parse_title_link("[a](b c)") is None
    assert parse_title_link("[](u)") == ("", "u")


def test_parse_header_date_forms() -> None:
    assert parse_header_date("Sat, 27 Jun 2020 20:02:47 +0800") == datetime(
        2020, 6, 27, 12, 2, 47, tzinfo=UTC
    )
    assert parse_header_date("2020-06-27T20:02:47Z") == datetime(2020, 6, 27, 20, 2, 47, tzinfo=UTC)
    assert parse_header_date("2020-06-27") == datetime(2020, 6, 27, tzinfo=UTC)
    assert parse_header_date("yesterday") is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_never_raises_and_rest_is_a_suffix(body: str) -> None:
    header, rest = split_archive_header(body)
    assert isinstance(header, ArchiveHeader)
    assert body.endswith(rest)
