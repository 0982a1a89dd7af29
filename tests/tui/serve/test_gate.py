"""The gate: the Host, token and Origin checks each request passes, and the cookie."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from yarl import URL

from tui.serve.gate import (
    NEEDS_TOKEN,
    WRONG_HOST,
    WRONG_ORIGIN,
    Gate,
    cookie_name,
    same_origin,
)

TOKEN = "t0k3n-" + "x" * 40
GATE = Gate(TOKEN, loopback_only=True)


def request(
    path: str = "/",
    *,
    host: str = "127.0.0.1:8000",
    cookie: str | None = None,
    origin: str | None = None,
    websocket: bool = False,
) -> web.Request:
    headers = {"Host": host}
    if cookie is not None:
        headers["Cookie"] = cookie
    if origin is not None:
        headers["Origin"] = origin
    if websocket:
        headers |= {"Upgrade": "websocket", "Connection": "Upgrade"}
    return make_mocked_request("GET", path, headers=headers)


@pytest.mark.parametrize(
    ("case", "req"),
    [
        ("no token", request("/")),
        ("wrong token", request(f"/?token={TOKEN[:-1]}y")),
        ("token as another parameter", request(f"/?tok={TOKEN}")),
        ("static file, no token", request("/static/js/textual.js")),
        ("cookie for another port", request("/", cookie=f"postil-token-8001={TOKEN}")),
        ("cookie with a wrong token", request("/", cookie=f"postil-token-8000={TOKEN}z")),
        ("websocket, no token", request("/ws", origin="http://127.0.0.1:8000", websocket=True)),
    ],
)
def test_requests_without_the_token_are_refused(case: str, req: web.Request) -> None:
    """Whatever the path, nothing passes without the token."""
    assert GATE.refusal(req) == NEEDS_TOKEN, case


@pytest.mark.parametrize(
    "req",
    [
        request(f"/?token={TOKEN}"),
        request(f"/static/css/xterm.css?token={TOKEN}"),
        request("/", cookie=f"postil-token-8000={TOKEN}"),
        request("/", host="localhost:8000", cookie=f"postil-token-8000={TOKEN}"),
        request("/", host="[::1]:9000", cookie=f"postil-token-9000={TOKEN}"),
        request(f"/ws?token={TOKEN}", origin="http://127.0.0.1:8000", websocket=True),
        request(
            "/ws?width=80",
            host="localhost:9000",
            cookie=f"postil-token-9000={TOKEN}",
            origin="http://localhost:9000",
            websocket=True,
        ),
    ],
)
def test_the_token_in_the_url_or_this_ports_cookie_lets_in(req: web.Request) -> None:
    """The query parameter or the cookie named for the port the browser used."""
    assert GATE.refusal(req) is None


@pytest.mark.parametrize(
    "origin",
    [
        None,
        "null",
        "http://evil.example",
        "http://127.0.0.1:8001",
        "https://127.0.0.1:8000",
        "http://localhost:8000",
        "http://127.0.0.1",
        "not a url at all",
    ],
)
def test_websocket_from_another_origin_is_refused(origin: str | None) -> None:
    """Only the page's own scheme, host and port may open the session websocket."""
    req = request(f"/ws?token={TOKEN}", origin=origin, websocket=True)
    assert GATE.refusal(req) == WRONG_ORIGIN


def test_ws_path_is_checked_even_without_an_upgrade_header() -> None:
    """textual-serve's /ws route gets the Origin check whatever its headers say."""
    assert GATE.refusal(request(f"/ws?token={TOKEN}")) == WRONG_ORIGIN


@pytest.mark.parametrize("host", ["rebound.example:8000", "192.168.1.9:8000", "0.0.0.0:8000"])
def test_host_that_is_not_loopback_is_refused_on_a_private_server(host: str) -> None:
    """DNS rebinding: a name of the attacker's that resolves to 127.0.0.1 is refused,
    even with the token; a server bound elsewhere (--host 0.0.0.0) takes any name."""
    req = request(f"/?token={TOKEN}", host=host)
    assert GATE.refusal(req) == WRONG_HOST
    assert Gate(TOKEN, loopback_only=False).refusal(req) is None


def test_same_origin_compares_scheme_host_and_port() -> None:
    """Host names compare without case; default ports count."""
    url = URL("http://LocalHost:8000/ws")
    assert same_origin("http://localhost:8000", url)
    assert not same_origin("http://localhost:8000", URL("http://localhost/ws"))
    assert same_origin("http://localhost", URL("http://localhost:80/ws"))


def test_cookie_is_set_only_for_a_token_in_the_url() -> None:
    """HttpOnly, SameSite=Strict, Path=/, no Domain, named for the port."""
    response = web.Response()
    GATE.remember(request(f"/?token={TOKEN}", host="127.0.0.1:8123"), response)
    morsel = response.cookies["postil-token-8123"]
    assert morsel.value == TOKEN
    assert morsel["httponly"] and morsel["samesite"] == "Strict" and morsel["path"] == "/"
    assert not morsel["domain"] and not morsel["secure"]
    untouched = web.Response()
    GATE.remember(request("/", cookie=f"postil-token-8000={TOKEN}"), untouched)
    assert not untouched.cookies


def test_cookie_name_carries_the_port() -> None:
    """Two servers on one host keep two cookies."""
    assert cookie_name(8000) != cookie_name(8001)
    assert cookie_name(None) == cookie_name(80)
