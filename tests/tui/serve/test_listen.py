"""The Unix socket: 0600 in a 0700 folder whatever the umask; stale ones replaced."""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui.serve.errors import ListenError, ServeError
from tui.serve.listen import UnixListener, default_socket_path


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that would leave new files and folders open to everyone."""
    old = os.umask(0)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.mark.usefixtures("open_umask")
def test_socket_is_0600_in_a_new_0700_folder(tmp_path: Path) -> None:
    """Made with umask 0: the folder is still 0700 and the socket 0600 from the start."""
    path = tmp_path / "run" / "postil.sock"
    listener = UnixListener(path)
    try:
        assert stat.S_ISSOCK(path.lstat().st_mode)
        assert mode(path) == 0o600
        assert mode(path.parent) == 0o700
        assert listener.loopback_only
    finally:
        listener.close()
    assert not path.exists()


def test_default_socket_is_in_the_runtime_folder() -> None:
    """$XDG_RUNTIME_DIR/postil/serve.sock (the tests point XDG_RUNTIME_DIR at tmp)."""
    assert default_socket_path() == Path(os.environ["XDG_RUNTIME_DIR"]) / "postil" / "serve.sock"


@pytest.mark.parametrize("folder_mode", [0o755, 0o1777, 0o710, 0o701])
def test_folder_open_to_others_is_refused(tmp_path: Path, folder_mode: int) -> None:
    """A folder others may enter (like /tmp) is refused in one sentence, nothing bound."""
    folder = tmp_path / "open"
    folder.mkdir()
    folder.chmod(folder_mode)
    with pytest.raises(ServeError) as caught:
        UnixListener(folder / "s.sock")
    message = str(caught.value)
    assert message.startswith(
        f"the socket's folder {folder} is open to other users (mode {folder_mode:04o}): "
    )
    assert message.endswith(f"chmod 700 {folder}.") and message.count(". ") == 0
    assert not (folder / "s.sock").exists()


def test_stale_socket_is_replaced_and_a_live_one_is_not(tmp_path: Path) -> None:
    """A socket nobody listens on (a killed server) is replaced; a listening one is an
    error, and so is a path that is not a socket."""
    tmp_path.chmod(0o700)
    path = tmp_path / "s.sock"
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))
    stale.close()
    listener = UnixListener(path)
    try:
        listener.sock.listen()
        with pytest.raises(ListenError, match="another server is already listening on"):
            UnixListener(path)
        assert path.exists()
    finally:
        listener.close()
    path.write_text("not a socket")
    with pytest.raises(ServeError, match="exists and is not a socket"):
        UnixListener(path)
    assert path.read_text() == "not a socket"


def test_too_long_a_path_is_one_sentence(tmp_path: Path) -> None:
    """AF_UNIX paths hold about 107 bytes."""
    tmp_path.chmod(0o700)
    with pytest.raises(ListenError, match="cannot listen on .*: AF_UNIX path too long"):
        UnixListener(tmp_path / ("s" * 120))
