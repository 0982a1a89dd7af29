"""The token: fresh and long each run, compared in constant time, or read from a private file."""

from __future__ import annotations

import hmac
import os
import stat
from pathlib import Path

import pytest

from tui.serve.errors import ServeError
from tui.serve.token import new_token, read_token_file, token_matches


def test_new_token_has_at_least_128_bits_and_never_repeats() -> None:
    """32 random bytes, URL-safe: 43 characters, a new one each time."""
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(len(t) >= 43 and t.replace("-", "").replace("_", "").isalnum() for t in tokens)


def test_token_matches_only_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """Equal strings match; a prefix, a longer string, nothing or non-ASCII do not; the
    comparison goes through hmac.compare_digest (constant time)."""
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    token = new_token()
    assert token_matches(token, token)
    assert not token_matches(token[:-1], token)
    assert not token_matches(token + "x", token)
    assert not token_matches("", token)
    assert not token_matches(None, token)
    assert not token_matches(token[:-1] + "é", token)
    assert len(calls) == 5


def _token_file(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "token"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_private_token_file_is_read_without_its_newline(tmp_path: Path) -> None:
    """A 0600 file with one token line gives that token."""
    assert read_token_file(_token_file(tmp_path, "  " + "ab12" * 10 + "\n")) == "ab12" * 10


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o602, 0o700 | 0o004])
def test_token_file_open_to_others_is_refused(tmp_path: Path, mode: int) -> None:
    """Any group or other permission is refused, naming the mode and the fix."""
    path = _token_file(tmp_path, "ab12" * 10, mode)
    with pytest.raises(ServeError) as caught:
        read_token_file(path)
    assert str(caught.value) == (
        f"the token file {path} can be read or changed by other users "
        f"(mode {mode:04o}): make it private with chmod 600 {path}."
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "must hold one line of letters"),
        ("two\nlines" + "x" * 40, "must hold one line of letters"),
        ("space in" + "x" * 40, "must hold one line of letters"),
        ("令牌" * 20, "must hold one line of letters"),
        ("x" * 600, "at most 512 characters"),
        ("short", "is too short (5 characters, at least 32)"),
    ],
)
def test_token_file_that_holds_no_token_is_refused(
    tmp_path: Path, text: str, expected: str
) -> None:
    """Empty, several lines, spaces, non-URL characters, too long or too short."""
    with pytest.raises(ServeError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        read_token_file(_token_file(tmp_path, text))


def test_missing_folder_and_fifo_token_files_are_refused(tmp_path: Path) -> None:
    """One sentence each; a FIFO is refused at once instead of waiting for a writer."""
    with pytest.raises(ServeError, match="does not exist"):
        read_token_file(tmp_path / "nothing")
    folder = tmp_path / "folder"
    folder.mkdir(mode=0o700)
    with pytest.raises(ServeError, match="is not a regular file"):
        read_token_file(folder)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo, 0o600)
    with pytest.raises(ServeError, match="is not a regular file"):
        read_token_file(fifo)


@pytest.mark.skipif(os.getuid() != 0, reason="only root can give a file to another user")
def test_token_file_of_another_user_is_refused(tmp_path: Path) -> None:
    """A 0600 file that belongs to someone else: they know the token."""
    path = _token_file(tmp_path, "ab12" * 10)
    os.chown(path, 65534, 65534)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(ServeError, match="belongs to another user"):
        read_token_file(path)
