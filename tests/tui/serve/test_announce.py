"""What postil serve prints: the token only where nobody else can read it."""

from __future__ import annotations

import io
import os
import stat
import sys
from pathlib import Path

import pytest

from tui.serve.announce import (
    is_private_stream,
    socket_announcement,
    tcp_announcement,
    write_link_file,
)

TOKEN = "T" * 43


def test_pipes_ptys_and_0600_files_are_private(tmp_path: Path) -> None:
    """A pipe (0600), a terminal (0620: its group may only write) and a 0600 file."""
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "w") as pipe, os.fdopen(read_end):
        assert is_private_stream(pipe)
    controller, terminal = os.openpty()
    with os.fdopen(terminal, "w") as pty, os.fdopen(controller):
        assert is_private_stream(pty)
    private = tmp_path / "private.log"
    with private.open("w") as file:
        private.chmod(0o600)
        assert is_private_stream(file)


def test_files_others_can_read_and_non_files_are_not_private(tmp_path: Path) -> None:
    """A 0644 or 0640 file, /dev/null, and a stream with no descriptor."""
    for mode in (0o644, 0o640, 0o604):
        shared = tmp_path / f"shared-{mode:o}.log"
        with shared.open("w") as file:
            shared.chmod(mode)
            assert not is_private_stream(file)
    with open(os.devnull, "w") as null:
        assert not is_private_stream(null)
    assert not is_private_stream(io.StringIO())


def test_private_output_gets_the_link() -> None:
    """Where the server is, and the link with the token."""
    lines = tcp_announcement("127.0.0.1", [("127.0.0.1", 8123)], None).lines(TOKEN, private=True)
    assert lines == [
        "postil: serving on http://127.0.0.1:8123/ (Ctrl+C stops)",
        f"  open http://127.0.0.1:8123/?token={TOKEN}",
    ]


def test_shared_output_gets_no_token(tmp_path: Path) -> None:
    """Output others can read names the 0600 file instead, or the token file."""
    announcement = tcp_announcement("::1", [("::1", 8000, 0, 0)], None)
    lines = announcement.lines(TOKEN, private=False, link_file=tmp_path / "serve.url")
    assert lines[0] == "postil: serving on http://[::1]:8000/ (Ctrl+C stops)"
    assert f"is in {tmp_path / 'serve.url'} (readable only by you)" in lines[1]
    token_file = tmp_path / "token"
    lines = tcp_announcement("127.0.0.1", [], token_file).lines(TOKEN, private=False)
    assert lines[1] == f"  open http://127.0.0.1:8000/?token=<the token in {token_file}>"
    assert all(TOKEN not in line for line in lines)


def test_socket_output_says_how_to_forward_it(tmp_path: Path) -> None:
    """The socket's path, the ssh command that forwards it, and the tunnel's link."""
    lines = socket_announcement(tmp_path / "s.sock", None).lines(TOKEN, private=True)
    assert lines[0] == f"postil: serving on the Unix socket {tmp_path / 's.sock'} (Ctrl+C stops)"
    assert lines[1].startswith(f"  from your machine: ssh -N -L 8000:{tmp_path / 's.sock'} ")
    assert lines[2] == f"  open http://127.0.0.1:8000/?token={TOKEN}"


@pytest.mark.skipif(sys.platform != "linux", reason="modes as on Linux")
def test_link_file_is_0600_in_a_0700_folder(tmp_path: Path) -> None:
    """Written whole, readable only by its owner."""
    old = os.umask(0)
    try:
        path = write_link_file(tmp_path / "run", "http://127.0.0.1:8000/?token=x")
    finally:
        os.umask(old)
    assert path.read_text() == "http://127.0.0.1:8000/?token=x\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
