"""OSC 52 copy: the sequence, tmux passthrough and the size cap."""

from __future__ import annotations

import base64

import pytest
from textual.app import App

from tui.clipboard import MAX_BASE64, CopyResult, copy_text, encode_payload, osc52, tmux_passthrough


def test_sequences() -> None:
    payload = encode_payload("héllo")
    assert base64.b64decode(payload).decode() == "héllo"
    assert osc52(payload) == f"\x1b]52;c;{payload}\a"
    assert tmux_passthrough("\x1b]52;c;QQ==\a") == "\x1bPtmux;\x1b\x1b]52;c;QQ==\a\x1b\\"


@pytest.mark.parametrize("tmux", [None, "/tmp/tmux-0/default,1,0"])
async def test_copy_writes_osc52(tmux: str | None) -> None:
    app: App[None] = App()
    async with app.run_test():
        written: list[str] = []
        assert app._driver is not None
        app._driver.write = written.append  # type: ignore[method-assign,assignment]
        env = {"TMUX": tmux} if tmux else {}
        result = copy_text(app, "a quote", env=env)
        assert result == CopyResult(copied=True, chars=7, via_tmux=bool(tmux))
        assert result.message == "Copied 7 characters to the clipboard."
        assert app.clipboard == "a quote"
        sequence = osc52(encode_payload("a quote"))
        assert sequence in written
        assert (tmux_passthrough(sequence) in written) is bool(tmux)


async def test_too_large_is_not_sent() -> None:
    app: App[None] = App()
    async with app.run_test():
        text = "x" * (MAX_BASE64 // 4 * 3 + 3)
        result = copy_text(app, text, env={})
        assert not result.copied
        assert app.clipboard == ""
        assert "too large" in result.message
