"""The web server: a FastAPI app that fills the painted holes of a photo with one shared model.

Routes
    ``POST /api/inpaint``  multipart files ``image`` + ``mask`` (+ text ``model``), or JSON ``{"image": b64, "mask": b64}``
                           -> PNG; ``model`` names another registered model than the loaded one
    ``POST /api/select``   file ``image`` + text ``box`` -> the mask PNG of the object in the box (GrabCut)
    ``POST /api/detect``   file ``image`` -> the mask PNG of an old photo's damage (501 without inpaintkit.restore)
    ``GET  /api/models``   the loaded model, every registered one (kind, one-line description) and the tools
    ``GET  /api/health``   liveness, queue length and limits
    ``GET  /``             the page (``static/``); ``/docs`` and ``/redoc`` document the API (offline)

Limits (:mod:`.limits`): the request body is capped (413) before it is read in full and must arrive within
``body_timeout_s`` of the headers (408); the ``Host`` must be an allowed one (400: loopback names by default)
and a browser's cross-site post is refused (403). An image or mask over ``max_pixels`` is
refused from its header, before decoding (413; decompression bombs included); a file that is not an image
gets 415, a damaged one or a mask of another size 422. Every error is JSON ``{"detail": "one line"}``.

The model is any model spec (:mod:`inpaintkit.model_spec`), as for ``inpaintkit fill``. The routes are in
:mod:`.routes`, the reading of uploads in :mod:`.uploads`.

Concurrency: the model is loaded once, in :func:`create_app`. Fills run in a pool of ``max_concurrency``
threads, so the event loop keeps answering; at most ``max_pending`` fill requests wait or run at a time,
the next get 503. A request joins that queue only once its body is in and checked, so stalled uploads take
no place in it (they get 408). A waiting multipart request holds only its upload, still encoded (Starlette spools a
part over 1 MB to disk); it is decoded when its turn comes, so a burst of requests cannot exhaust memory. A JSON
body is spooled the same way and decoded in a thread, one at a time (:mod:`.bodies`); the bodies in progress
together stay under ``max_buffered_mb`` (503 past it). A client that closes its connection leaves the queue at
once and its fill is not started, or stopped between its stages (:mod:`.queue`); that is logged as one info line.

Example (a server for tests, with OpenCV's Telea method instead of the bundled network):
    >>> from fastapi.testclient import TestClient
    >>> from inpaintkit.server import create_app
    >>> TestClient(create_app("telea"), base_url="http://127.0.0.1").get("/api/health").json()["model"]
    'telea'
"""
from __future__ import annotations

import logging
import socket
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, Optional

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline
from starlette.requests import ClientDisconnect

from inpaintkit.model_spec import load_filler, parse_spec
from inpaintkit.server.limits import BodyBudget, BodyLimits, HostGuard
from inpaintkit.server.queue import ClientGone
from inpaintkit.server.routes import FillService, add_info_routes, add_inpaint_route, add_page, add_tool_routes
from inpaintkit.server.schemas import ServerSettings

log = logging.getLogger("inpaintkit.server")


def resolve_model(model, backend: Optional[str] = None) -> tuple[Any, str]:
    """The filler and the name it is reported under, for any model spec (``None`` -> the bundled default)."""
    spec = parse_spec(model, backend)
    return load_filler(spec), spec.label


def create_app(
    model=None,
    *,
    backend: Optional[str] = None,
    max_upload_mb: float = ServerSettings.model_fields["max_upload_mb"].default,
    max_pixels: int = ServerSettings.model_fields["max_pixels"].default,
    max_concurrency: int = ServerSettings.model_fields["max_concurrency"].default,
    max_pending: int = ServerSettings.model_fields["max_pending"].default,
    body_timeout_s: float = ServerSettings.model_fields["body_timeout_s"].default,
    allowed_hosts: Optional[list[str]] = None,
    max_buffered_mb: Optional[float] = ServerSettings.model_fields["max_buffered_mb"].default,
) -> FastAPI:
    """Build the app; the model (any model spec: a name, a model file, an ``.onnx`` file, ``+flip`` ...,
    ``None`` = bundled default, or a model object) loads now, on ``backend`` (as ``inpaintkit fill --backend``).

    Raises ``pydantic.ValidationError`` for bad limits and the loader's error (``KeyError`` subclass for an
    unknown name, ``CheckpointError`` for a bad file) when the model cannot be loaded. ``allowed_hosts``: the
    ``Host`` header values answered (default: the loopback names; ``["*"]``: any), see :mod:`.limits`.
    ``max_buffered_mb``: the request bodies in progress, all together (``None``: 1024 or twice ``max_upload_mb``).
    """
    limits = ServerSettings(max_upload_mb=max_upload_mb, max_pixels=max_pixels, max_concurrency=max_concurrency,
                            max_pending=max_pending, body_timeout_s=body_timeout_s, allowed_hosts=allowed_hosts,
                            max_buffered_mb=max_buffered_mb)
    net, model_name = resolve_model(model, backend)
    pool = ThreadPoolExecutor(max_workers=limits.max_concurrency, thread_name_prefix="inpaintkit-fill")
    budget = BodyBudget(limits.max_buffered_bytes)
    service = FillService(net, model_name, limits, pool, budget)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        pool.shutdown(wait=False, cancel_futures=True)

    app = FastAPIOffline(  # FastAPI whose /docs and /redoc use bundled files, not a CDN: works offline
        title="inpaintkit",
        version=__import__("inpaintkit").__version__,
        summary="Paint a hole on a photo and fill it with an inpainting network.",
        lifespan=lifespan,
    )
    app.state.model = net
    app.state.model_name = model_name
    app.state.limits = limits
    app.add_middleware(BodyLimits, limit=limits.max_upload_bytes, timeout=limits.body_timeout_s, budget=budget)
    app.add_middleware(HostGuard, allowed=limits.hosts)  # added last: runs first
    app.add_exception_handler(Exception, internal_error)
    app.add_exception_handler(ClientDisconnect, client_gone)
    add_inpaint_route(app, service)
    add_tool_routes(app, service)
    add_info_routes(app, service)
    add_page(app)
    return app


async def internal_error(request: Request, exc: Exception):  # pragma: no cover - a bug, not a bad request
    log.exception("fill failed")  # the details go to the server's log, never to the client
    return JSONResponse({"detail": "internal error (the server's log has the details)"}, status_code=500)


async def client_gone(request: Request, exc: ClientDisconnect):
    """A client that closed its connection: one info line, no traceback; the answer reaches no one."""
    stage = exc.stage if isinstance(exc, ClientGone) else "while sending its request"
    who = f"{request.client.host}:{request.client.port}" if request.client else "a client"
    log.info("%s closed the connection %s: %s %s dropped", who, stage, request.method, request.url.path)
    return Response(status_code=499)  # nginx's "client closed request"; never sent (the connection is gone)


def bind(host: str = "127.0.0.1", port: int = 8080) -> socket.socket:
    """A listening-ready TCP socket on ``host:port`` (port 0: any free one); OSError when the port is taken."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def run(app: FastAPI, sock: socket.socket, log_level: str = "info") -> None:
    """Serve ``app`` with uvicorn on the bound socket ``sock`` until Ctrl+C."""
    import uvicorn

    uvicorn.Server(uvicorn.Config(app, log_level=log_level)).run(sockets=[sock])
