"""What the server checks before a route runs: the body's size and time, the Host header, cross-site posts.

Two ASGI middlewares, both answering with the app's error form, JSON ``{"detail": "one line"}``:

* :class:`BodyLimits`: 413 when ``Content-Length`` (or the body streamed so far) passes the size cap, and 408
  when the body has not arrived in full within ``timeout`` seconds of the request's headers. A client that
  sends its headers and then stalls (or trickles its body) so holds no fill slot and no worker: the route reads
  the body first, and only a complete, checked upload joins the fill queue. With a :class:`BodyBudget`, the
  bodies of all requests in progress together (received, in memory or spooled to disk, and not yet answered)
  stay under its limit: a request that would pass it gets 503 with ``Retry-After``.
* :class:`HostGuard`: 400 unless the ``Host`` header names an allowed host (by default the loopback names, so
  a web page on another site cannot reach a local server by rebinding its DNS name to 127.0.0.1), and 403 for a
  state-changing request that a browser marks as cross-site (``Sec-Fetch-Site``) or whose ``Origin`` is not
  this server (a form on another site posting here). Clients other than browsers send neither header.

>>> host_name(b"[::1]:8080"), host_name(b"LocalHost:80"), host_name(b"example.org")
('::1', 'localhost', 'example.org')
"""
from __future__ import annotations

import asyncio
from typing import Iterable, Optional
from urllib.parse import urlsplit

from fastapi import HTTPException
from fastapi.responses import JSONResponse

LOOPBACK = ("127.0.0.1", "localhost", "::1")
WILDCARD = ("0.0.0.0", "::", "")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class ApiError(HTTPException):
    """An error the client caused; FastAPI answers ``{"detail": message}`` with ``status``."""

    def __init__(self, status: int, message: str, headers: Optional[dict] = None):
        super().__init__(status_code=status, detail=message, headers=headers)


class BodyTooLarge(ApiError):
    def __init__(self, limit: int):
        super().__init__(413, f"request body over this server's limit of {limit / 2**20:.1f} MB")


class BodyTimeout(ApiError):
    def __init__(self, seconds: float):
        super().__init__(408, f"the request body did not arrive within {seconds:g} s; send it again",
                         headers={"Connection": "close"})


class ServerBusy(ApiError):
    def __init__(self, held: int, limit: int):
        super().__init__(503, f"server busy: uploads in progress hold {held / 2**20:.0f} MB of its "
                              f"{limit / 2**20:.0f} MB; try again shortly",
                         headers={"Retry-After": "2", "Connection": "close"})


class BodyBudget:
    """The bytes of request bodies received and not yet answered, over all requests, kept under ``limit``."""

    def __init__(self, limit: int):
        self.limit, self.held = limit, 0

    def take(self, n: int) -> None:
        if self.held + n > self.limit:
            raise ServerBusy(self.held, self.limit)
        self.held += n


def _answer(err: ApiError):
    return JSONResponse({"detail": err.detail}, status_code=err.status_code, headers=err.headers)


class BodyLimits:
    """ASGI middleware: a request body over ``limit`` bytes gets 413, one not complete ``timeout`` s after the
    request's headers 408 (raised inside the route's read, so FastAPI answers it; the connection is closed)."""

    def __init__(self, app, limit: int, timeout: float, budget: Optional[BodyBudget] = None):
        self.app, self.limit, self.timeout, self.budget = app, limit, timeout, budget

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.limit:
            return await _answer(BodyTooLarge(self.limit))(scope, receive, send)
        budget = self.budget
        if budget is not None and length.isdigit() and budget.held + int(length) > budget.limit:
            return await _answer(ServerBusy(budget.held, budget.limit))(scope, receive, send)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        seen, complete = 0, False

        async def limited_receive():
            nonlocal seen, complete
            if complete:  # the body is in: what follows is only the client's disconnect, which may take any time
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except asyncio.TimeoutError:
                raise BodyTimeout(self.timeout) from None
            if message["type"] == "http.request":
                n = len(message.get("body", b""))
                if seen + n > self.limit:
                    raise BodyTooLarge(self.limit)
                if budget is not None:
                    budget.take(n)
                seen += n
                complete = not message.get("more_body", False)
            return message

        try:
            await self.app(scope, limited_receive, send)
        finally:
            if budget is not None:
                budget.held -= seen


def host_name(value: bytes) -> str:
    """The host part of a ``Host`` header value (port and IPv6 brackets removed, lower case)."""
    text = value.decode("latin-1").strip().lower()
    if text.startswith("["):
        return text[1:].split("]", 1)[0]
    return text.rsplit(":", 1)[0] if text.count(":") == 1 else text


def default_allowed_hosts(bind_host: str, extra: Iterable[str] = ()) -> list[str]:
    """The hosts a server bound to ``bind_host`` answers: the loopback names, the bound address and ``extra``;
    ``["*"]`` (any) for a wildcard bind (0.0.0.0, ::) unless ``extra`` names hosts."""
    extra = [h.strip().lower() for h in extra if h.strip()]
    if bind_host in WILDCARD and not extra:
        return ["*"]
    hosts = list(LOOPBACK) + ([] if bind_host in WILDCARD else [bind_host.strip("[]").lower()]) + extra
    return list(dict.fromkeys(hosts))


class HostGuard:
    """ASGI middleware: 400 for a ``Host`` not in ``allowed`` (``"*"`` = any), 403 for a cross-site request
    that changes state (any method but GET, HEAD, OPTIONS)."""

    def __init__(self, app, allowed: Iterable[str]):
        self.app = app
        self.allowed = {h.lower() for h in allowed}

    def refuse(self, scope) -> Optional[ApiError]:
        headers = dict(scope["headers"])
        host = headers.get(b"host", b"")
        if "*" not in self.allowed and host_name(host) not in self.allowed:
            shown = host.decode("latin-1")[:80] or "(none)"
            return ApiError(400, f"Host {shown!r} is not served here (allowed: {', '.join(sorted(self.allowed))}; "
                                 "inpaintkit serve --allow-host adds one)")
        if scope.get("method", "GET") in SAFE_METHODS:
            return None
        if headers.get(b"sec-fetch-site", b"").lower() in (b"cross-site", b"same-site"):
            return ApiError(403, "cross-site request refused: post from this server's own page")
        origin = headers.get(b"origin")
        if origin is not None:
            parts = urlsplit(origin.decode("latin-1"))
            if origin == b"null" or parts.netloc.lower() != host.decode("latin-1").lower():
                return ApiError(403, f"cross-site request refused: Origin {origin.decode('latin-1')[:80]!r} "
                                     "is not this server")
        return None

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            err = self.refuse(scope)
            if err is not None:
                if scope["type"] == "websocket":
                    return await send({"type": "websocket.close", "code": 1008})
                return await _answer(err)(scope, receive, send)
        await self.app(scope, receive, send)
