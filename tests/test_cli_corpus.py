"""``postil ls`` and ``postil check`` through click's runner and one real subprocess."""

from __future__ import annotations

import fcntl
import io
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.cells import cell_len

from tests.conftest import ROOT
from tui.cli import main
from tui.cli.corpus_output import write_table
from tui.corpus.index.db import date_to_us

POSTS = ROOT / "tests" / "fixtures" / "posts"
MALFORMED = ROOT / "tests" / "fixtures" / "malformed"
KEYS = {"id", "path", "title", "date", "author", "tags", "categories", "source"}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_ls_json(runner: CliRunner) -> None:
    result = runner.invoke(main, ["ls", str(POSTS), "--json"])
    assert result.exit_code == 0, result.output
    posts = json.loads(result.stdout)
    assert len(posts) == 16
    assert all(set(p) == KEYS for p in posts)
    full = next(p for p in posts if p["path"].endswith("/full.md"))
    assert full["path"] == str(POSTS / "full.md")
    assert full["date"] == "2023-10-26T22:57:12Z"
    assert full["tags"] == ["economy", "trade", "中国"]
    assert full["source"] == "https://news.example.com/n14103768.htm"
    assert posts[-1]["date"] is None
    assert result.stderr == ""


def test_ls_drops_bidi_controls_from_titles_and_authors(runner: CliRunner, tmp_path: Path) -> None:
    """U+202E in a title would make a terminal draw ``txt.exe`` as ``exe.txt``; neither the
    table nor the JSON keeps it (nor an isolate in an author or a tag)."""
    (tmp_path / "evil.md").write_text(
        '---\ntitle: "Invoice \\u202etxt.exe"\nauthor: "\\u2067Ali\\u2069"\n'
        'tags: ["a\\u202eb"]\n---\nBody.\n',
        encoding="utf-8",
    )
    table = runner.invoke(main, ["ls", str(tmp_path)])
    [row] = json.loads(runner.invoke(main, ["ls", str(tmp_path), "--json"]).stdout)
    for shown in (table.stdout, json.dumps(row, ensure_ascii=False)):
        assert not set(shown) & {"\u202e", "\u2067", "\u2069"}
    assert (row["title"], row["author"], row["tags"]) == ("Invoice txt.exe", "Ali", ["ab"])


def test_ls_limit(runner: CliRunner) -> None:
    result = runner.invoke(main, ["ls", str(POSTS), "--json", "--limit", "3"])
    assert len(json.loads(result.stdout)) == 3
    result = runner.invoke(main, ["ls", str(POSTS), "--limit", "-1"])
    assert result.exit_code == 2


def test_ls_table_is_sanitized_and_aligned(runner: CliRunner) -> None:
    result = runner.invoke(main, ["ls", str(POSTS)], env={"COLUMNS": "90"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 16
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    cjk = next(line for line in lines if "这是一个" in line)
    assert cjk.endswith("王五")
    assert cell_len(cjk) <= 90
    # the author column starts at the same cell in every line with an author
    starts = {cell_len(line[: line.rindex("Lin Wei")]) for line in lines if "Lin Wei" in line}
    assert starts == {cell_len(cjk) - cell_len("王五")}


def test_ls_query_table_fits_the_author_column_to_its_rows(runner: CliRunner) -> None:
    """The author column was as wide as the archive's widest author for any query, and
    reading every author cost 0.23 s at 500k posts; a query's rows are read first."""
    env = {"COLUMNS": "90"}
    whole = runner.invoke(main, ["ls", str(POSTS)], env=env).stdout.splitlines()
    one = runner.invoke(main, ["ls", str(POSTS), "-q", 'author:"Lin Wei"'], env=env)
    [line] = one.stdout.splitlines()
    assert line.endswith("  Lin Wei") and cell_len(line) == 90
    [same] = [shown for shown in whole if shown.startswith(line[:12])]
    assert same.endswith("  Lin Wei") and cell_len(same) < 90  # a wider author elsewhere


def test_ls_table_dates_are_the_utc_days_of_the_json_dates(runner: CliRunner) -> None:
    table = runner.invoke(main, ["ls", str(POSTS)], env={"COLUMNS": "120"})
    listing = runner.invoke(main, ["ls", str(POSTS), "--json"])
    assert table.exit_code == 0 and listing.exit_code == 0
    days = {p["id"]: (p["date"] or "")[:10] for p in json.loads(listing.stdout)}
    shown = {line[:12].strip(): line[14:24].strip() for line in table.stdout.splitlines()}
    assert shown == days
    assert "" in shown.values()  # an undated post


@pytest.mark.parametrize(
    "moment",
    [
        datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),  # just before the epoch
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC),
        datetime(9999, 12, 31, 12, tzinfo=UTC),
    ],
)
def test_table_day_of_any_date(moment: datetime) -> None:
    out = io.StringIO()
    write_table([(1, "abc", date_to_us(moment), "t", "a")], out, 1)
    assert out.getvalue().split()[1] == moment.date().isoformat()


def test_ls_query(runner: CliRunner) -> None:
    result = runner.invoke(main, ["ls", str(POSTS), "--json", "-q", "tag:economy"])
    assert result.exit_code == 0, result.output
    assert [p["title"] for p in json.loads(result.stdout)] == ["Full archive post"]


def test_ls_bad_query_exits_2(runner: CliRunner) -> None:
    result = runner.invoke(main, ["ls", str(POSTS), "-q", "nosuchkey:x"])
    assert result.exit_code == 2
    assert "nosuchkey" in result.stderr
    assert "Traceback" not in result.output


def test_ls_with_problems_exits_0_and_says_so(runner: CliRunner) -> None:
    result = runner.invoke(main, ["ls", str(MALFORMED), "--json"])
    assert result.exit_code == 0
    assert "6 files could not be read (run postil check)" in result.stderr
    assert "4 files were listed with problems" in result.stderr
    assert len(json.loads(result.stdout)) == 4


def test_ls_table_of_a_folder_with_unreadable_files_lists_the_others(
    runner: CliRunner,
) -> None:
    result = runner.invoke(main, ["ls", str(MALFORMED)])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 4
    assert "6 files could not be read (run postil check)" in result.stderr


def test_check_lists_problems_and_exits_1(runner: CliRunner) -> None:
    result = runner.invoke(main, ["check", str(MALFORMED)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert f"{MALFORMED / 'empty.md'}: the file is empty." in lines
    assert any(line.startswith(f"{MALFORMED / 'bad-yaml.md'}: ") for line in lines)
    assert len(lines) == 10


def test_check_clean_corpus(runner: CliRunner) -> None:
    result = runner.invoke(main, ["check", str(POSTS)])
    assert result.exit_code == 0
    assert result.stdout.strip() == "no problems in 16 files"


@pytest.mark.parametrize("command", ["ls", "check"])
def test_missing_path_exits_2(runner: CliRunner, command: str, tmp_path: Path) -> None:
    result = runner.invoke(main, [command, str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "no file or folder named" in result.stderr


def test_default_corpus_from_environment(runner: CliRunner, tmp_path: Path) -> None:
    shutil.copy(POSTS / "full.md", tmp_path / "only.md")
    result = runner.invoke(main, ["ls", "--json"], env={"POSTIL_CORPUS": str(tmp_path)})
    assert [p["title"] for p in json.loads(result.stdout)] == ["Full archive post"]


def test_ls_json_real_subprocess(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = subprocess.run(
        [sys.executable, "-m", "tui", "ls", "--json", str(POSTS)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    posts = json.loads(proc.stdout)
    assert len(posts) == 16 and all(set(p) == KEYS for p in posts)
    assert (tmp_path / "cache" / "postil").is_dir()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("args", [["ls"], ["ls", "--json"], ["show", "--plain"]])
def test_a_full_disk_under_the_output_is_one_sentence(tmp_path: Path, args: list[str]) -> None:
    """Output sent to a full disk (/dev/full fails every write with ENOSPC): one sentence
    and status 1, no traceback (there was one, from the write in click or the table)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    target = str(POSTS / "full.md") if args[0] == "show" else str(POSTS)
    with open("/dev/full", "w", encoding="utf-8") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "tui", *args, target],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
    assert proc.returncode == 1
    assert proc.stderr == "postil: the output could not be written: No space left on device.\n"


@pytest.mark.parametrize("args", [["ls"], ["ls", "--json"], ["show", "--plain"]])
def test_a_closed_output_is_one_sentence(tmp_path: Path, args: list[str]) -> None:
    """``postil ls >&-``: standard output closed before postil starts gave a traceback
    (``ls``) or nothing at all with status 0 (``show``)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    target = str(POSTS / "full.md") if args[0] == "show" else str(POSTS)
    proc = subprocess.run(
        [sys.executable, "-m", "tui", *args, target],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        timeout=60,
        check=False,
        preexec_fn=lambda: os.close(1),
    )
    assert proc.returncode == 1
    assert proc.stderr == "postil: the output could not be written: standard output is closed.\n"


def test_ls_json_with_undecodable_file_name(runner: CliRunner, tmp_path: Path) -> None:
    with open(os.path.join(os.fsencode(tmp_path), b"bad\xffname.md"), "wb") as f:
        f.write(b"---\ntitle: ok\n---\n")
    result = runner.invoke(main, ["ls", "--json", str(tmp_path)])
    assert result.exit_code == 0, result.output
    [post] = json.loads(result.stdout)
    assert post["path"] == f"{tmp_path}/bad\ufffdname.md"


def test_a_renamed_post_keeps_its_annotations(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A post without a source URL takes its id from its path: after a rename, its
    annotations move to the new id (the index tells the rename apart from a new post)."""
    folder = tmp_path / "posts"
    folder.mkdir()
    (folder / "before.md").write_text(
        "---\ntitle: No source\ndate: 2020-01-01\n---\n<p>The quince tree flowers early.</p>\n"
    )
    monkeypatch.setenv("POSTIL_CORPUS", str(folder))
    made = runner.invoke(main, ["highlight", str(folder / "before.md"), "--quote", "quince tree"])
    assert made.exit_code == 0, made.output
    listed = runner.invoke(main, ["ls", "--json"])
    old_id = json.loads(listed.stdout)[0]["id"]
    (folder / "before.md").rename(folder / "after.md")
    listed = runner.invoke(main, ["ls", "--json"])
    new_id = json.loads(listed.stdout)[0]["id"]
    assert new_id != old_id
    notes = json.loads(runner.invoke(main, ["notes", "--json"]).stdout)
    assert [(n["post"]["id"], n["post"]["path"]) for n in notes] == [
        (new_id, str(folder / "after.md"))
    ]
    assert notes[0]["anchor"]["status"] == "anchored"


def test_ls_says_it_waits_for_another_postil_reading_the_files(tmp_path: Path) -> None:
    from tui.corpus.index import SYNC_WAIT_NOTICE, CorpusIndex

    index = CorpusIndex([str(POSTS)])
    fd = os.open(index.db.folder / "sync.lock", os.O_CREAT | os.O_RDWR, 0o600)
    index.close()
    fcntl.flock(fd, fcntl.LOCK_EX)  # another postil's sync
    errors = tmp_path / "stderr"
    with errors.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tui", "ls", str(POSTS)],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while SYNC_WAIT_NOTICE not in errors.read_text() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert SYNC_WAIT_NOTICE in errors.read_text()
            assert proc.poll() is None  # still waiting
        finally:
            os.close(fd)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert len(out.splitlines()) == 16
