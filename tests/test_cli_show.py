"""``postil show``: paths and ids, plain and formatted output, errors and exit codes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.cells import cell_len
from rich.console import Console

from tests.corpus_posts import corpus_posts
from tui.cli import main
from tui.render import build_document
from tui.render.console import render_console

POST = """---
title: "[red]Not red[/red] &amp;amp; more"
date: 2024-05-06T07:08:09Z
author: "A. Writer"
tags: [one, two]
from: https://example.org/posts/1
---
<!--1714979289000-->
[[red]Not red[/red]](https://example.org/posts/1)
------

<p>First <b>bold</b> paragraph with a <a href="https://example.org/x">link</a>.</p>
<p>中文段落，测试宽度。这一段比较长，需要在窄的终端里换行才能显示完整的内容。</p>
"""


@pytest.fixture
def post_file(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus" / "_posts"
    folder.mkdir(parents=True)
    path = folder / "2024-05-06-post.md"
    path.write_text(POST, encoding="utf-8")
    return path


def test_show_plain_prints_exactly_the_canonical_text(post_file: Path) -> None:
    result = CliRunner().invoke(main, ["show", "--plain", str(post_file)])
    assert result.exit_code == 0
    body = POST.split("---", 2)[2]
    assert result.stdout == build_document(body).text + "\n"
    assert result.stdout.startswith("First bold paragraph with a link.\n\n中文段落")


def test_show_piped_is_plain_text_with_header_and_links(post_file: Path) -> None:
    result = CliRunner().invoke(main, ["show", "--width", "40", str(post_file)])
    assert result.exit_code == 0
    out = result.stdout
    assert "\x1b" not in out
    lines = out.splitlines()
    assert lines[0] == "[red]Not red[/red] & more"
    assert lines[1].startswith("A. Writer · 2024-05-06 07:08 UTC · #one,")
    assert lines[2] == "#two"  # the header wraps at --width too
    assert "https://example.org/posts/1" in out
    assert "link[1]" in out and "[1] link — https://example.org/x" in out
    assert all(cell_len(line) <= 40 for line in lines)


def test_show_by_id_and_prefix(post_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = post_file.parent.parent
    monkeypatch.setenv("POSTIL_CORPUS", str(corpus))
    post_id = corpus_posts([corpus])[0].id
    runner = CliRunner()
    for ref in (post_id, post_id[:6]):
        result = runner.invoke(main, ["show", "--plain", ref])
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("First bold paragraph")


def test_unknown_id_exits_2_with_one_sentence(
    post_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTIL_CORPUS", str(post_file.parent.parent))
    result = CliRunner().invoke(main, ["show", "ffffffffffff"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "ffffffffffff" in result.stderr
    assert f"in {post_file.parent.parent.resolve()}." in result.stderr  # where it looked
    assert "Traceback" not in result.output


def test_missing_file_and_folder_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(main, ["show", str(tmp_path / "nope.md")])
    assert missing.exit_code == 2 and "Traceback" not in missing.output
    folder = runner.invoke(main, ["show", str(tmp_path)])
    assert folder.exit_code == 2 and "folder" in folder.stderr


@pytest.mark.parametrize(
    "content", [b"\x00\x01binary", b"", b"---\ntitle: [unclosed\n---\nbody\n", b"\xff\xfe\xfa" * 3]
)
def test_problem_file_exits_1_with_one_sentence(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.md"
    path.write_bytes(content)
    result = CliRunner().invoke(main, ["show", str(path)])
    if result.exit_code == 0:  # a file the loader recovers (e.g. bad YAML) still shows
        assert "\x1b" not in result.stdout
        return
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("postil: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_formatted_output_on_a_terminal_has_styles_links_and_literal_brackets(
    post_file: Path,
) -> None:
    doc = build_document(POST.split("---", 2)[2])
    out = io.StringIO()
    console = Console(file=out, width=60, force_terminal=True, color_system="256")
    render_console(doc, console, 60)
    text = out.getvalue()
    assert "\x1b[" in text  # styled
    assert "\x1b]8;" in text and "https://example.org/x" in text  # OSC 8 hyperlink
    assert "[red]Not red[/red]" in text


def test_control_characters_in_title_never_reach_the_terminal(tmp_path: Path) -> None:
    path = tmp_path / "ctl.md"
    path.write_text('---\ntitle: "Bad\\e[31m title\\x07"\n---\n<p>x\x1b]0;pwned\x07</p>\n')
    result = CliRunner().invoke(main, ["show", str(path)])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout


def test_the_header_breaks_a_chinese_title_as_the_body_is_broken(tmp_path: Path) -> None:
    """Rich's wrapping of the header started a line with ！ or ended one with “."""
    from tui.render.wrap import CLOSING, OPENING

    title = "（25039）" + "".join(f"他说“{'一二三四五六七'[: n + 1]}”！" for n in range(6))
    path = tmp_path / "2024-01-01-title.md"
    path.write_text(f'---\ntitle: "{title}"\ndate: 2024-01-01\n---\n<p>正文。</p>\n', "utf-8")
    for width in range(24, 61):
        result = CliRunner().invoke(main, ["show", "--width", str(width), str(path)])
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        title_lines = lines[: next(i for i, x in enumerate(lines) if "UTC" in x)]
        assert "".join(title_lines) == title, width
        assert all(cell_len(x) <= width for x in title_lines), width
        assert not [x for x in title_lines if x[0] in CLOSING or x[-1] in OPENING], width
