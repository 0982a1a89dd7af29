"""Who gets in: the checks every request to ``postil serve`` passes before textual-serve.

Each browser tab's websocket starts a postil session with the user's store, so a request
that reaches textual-serve's routes must come from the user who started the server:

- **the Host**: on loopback or a Unix socket, only requests addressed to a loopback name,
  so a web page whose name is made to resolve to 127.0.0.1 (DNS rebinding) is refused;
- **the token**, in the ``token`` query parameter or in the cookie its first use sets;
- **the Origin** of a websocket: only a page of this very host and port may open one,
  since the cookie alone would also be sent by another site on the same host name.

A refused request gets 403 and a one-sentence text, and no session is started.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware
from yarl import URL

from tui.serve.listen import is_loopback
from tui.serve.token import TOKEN_PARAM, token_matches

COOKIE_PREFIX: Final[str] = "postil-token-"
"""Browsers do not separate cookies by port, so the port is part of the cookie's name."""

NEEDS_TOKEN: Final[str] = (
    "postil: this address needs the link with ?token=… that postil serve printed "
    "(and cookies allowed for it)."
)
WRONG_HOST: Final[str] = (
    "postil: this server answers only requests addressed to 127.0.0.1, ::1 or localhost."
)
WRONG_ORIGIN: Final[str] = (
    "postil: the session's websocket opens only from postil's own page, on the same host and port."
)

SECURITY_HEADERS: Final[dict[str, str]] = {
    # The first page's URL holds the token: never send it on as a Referer.
    "Referrer-Policy": "no-referrer",
    # No other page may frame the terminal and trick clicks or keys into it.
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}


def cookie_name(port: int | None) -> str:
    """The cookie that keeps the token for the server the browser reached on ``port``."""
    return f"{COOKIE_PREFIX}{port or 80}"


def same_origin(origin: str | None, url: URL) -> bool:
    """True if ``origin`` (an Origin header) is the scheme, host and port of ``url``.

    Args:
        origin: The request's Origin header (None when absent: refused, as browsers
            always send one on a websocket).
        url: The request's own URL, built from its Host header.
    """
    if not origin:
        return False
    try:
        source = URL(origin)
    except ValueError:
        return False
    return (
        source.scheme == url.scheme
        and source.host is not None
        and url.host is not None
        and source.host.lower() == url.host.lower()
        and source.port == url.port
    )


def is_websocket(request: web.BaseRequest) -> bool:
    """True for a websocket handshake (an Upgrade request, or textual-serve's ``/ws``)."""
    upgrade = request.headers.get(hdrs.UPGRADE, "").lower()
    return upgrade == "websocket" or request.path == "/ws"


@dataclass(frozen=True, slots=True)
class Gate:
    """The server's token and where it listens: all the checks need."""

    token: str
    """The secret of this run (or of the ``--token-file``)."""

    loopback_only: bool
    """True on loopback or a Unix socket: refuse Host names that are not loopback."""

    def has_token(self, request: web.BaseRequest) -> bool:
        """True if the query or this port's cookie carries the token."""
        return self.query_has_token(request) or token_matches(
            request.cookies.get(cookie_name(request.url.port)), self.token
        )

    def query_has_token(self, request: web.BaseRequest) -> bool:
        """True if the ``token`` query parameter is the token."""
        return token_matches(request.query.get(TOKEN_PARAM), self.token)

    def refusal(self, request: web.BaseRequest) -> str | None:
        """Why ``request`` must be refused (one sentence), or None to let it through."""
        if self.loopback_only and not is_loopback(request.url.host or ""):
            return WRONG_HOST
        if not self.has_token(request):
            return NEEDS_TOKEN
        if is_websocket(request) and not same_origin(request.headers.get(hdrs.ORIGIN), request.url):
            return WRONG_ORIGIN
        return None

    def remember(self, request: web.BaseRequest, response: web.StreamResponse) -> None:
        """Keep a token given in the URL in a cookie, so reloading the page works.

        HttpOnly keeps it from scripts; SameSite=Strict keeps other sites' pages from
        sending it; no Domain keeps it to this host.
        """
        if self.query_has_token(request) and not response.prepared:
            response.set_cookie(
                cookie_name(request.url.port),
                self.token,
                path="/",
                httponly=True,
                samesite="Strict",
                secure=request.secure,
            )


def gate_middleware(gate: Gate) -> Middleware:
    """An aiohttp middleware that applies ``gate`` in front of every route."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        reason = gate.refusal(request)
        if reason is not None:
            return web.Response(
                status=403, text=reason + "\n", content_type="text/plain", headers=SECURITY_HEADERS
            )
        response = await handler(request)
        if not response.prepared:
            response.headers.update(SECURITY_HEADERS)
        gate.remember(request, response)
        return response

    return guard
