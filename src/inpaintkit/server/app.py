"""The web server: a FastAPI app that fills the painted holes of a photo with one shared model.

Routes
    ``POST /api/inpaint``  multipart files ``image`` + ``mask``, or JSON ``{"image": b64, "mask": b64}`` -> PNG
    ``GET  /api/models``   the loaded model and every registered one
    ``GET  /api/health``   liveness, queue length and limits
    ``GET  /``             the page (``static/``); ``/docs`` and ``/redoc`` document the API (offline)

Limits (:mod:`.limits`): the request body is capped (413) before it is read in full and must arrive within
``body_timeout_s`` of the headers (408); the ``Host`` must be an allowed one (400: loopback names by default)
and a browser's cross-site post is refused (403). An image or mask over ``max_pixels`` is
refused from its header, before decoding (413; decompression bombs included); a file that is not an image
gets 415, a damaged one or a mask of another size 422. Every error is JSON ``{"detail": "one line"}``.

Concurrency: the model is loaded once, in :func:`create_app`. Fills run in a pool of ``max_concurrency``
threads, so the event loop keeps answering; at most ``max_pending`` fill requests wait or run at a time,
the next get 503. A request joins that queue only once its body is in and checked, so stalled uploads take
no place in it (they get 408). A waiting multipart request holds only its upload, still encoded (Starlette spools a
part over 1 MB to disk); it is decoded when its turn comes, so a burst of requests cannot exhaust memory.

Example (a server for tests, with OpenCV's Telea method instead of the bundled network):
    >>> from fastapi.testclient import TestClient
    >>> from inpaintkit.server import create_app
    >>> TestClient(create_app("telea"), base_url="http://127.0.0.1").get("/api/health").json()["model"]
    'telea'
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import io
import json
import logging
import shutil
import socket
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, BinaryIO, Optional

import cv2
import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from PIL import Image
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from inpaintkit.images import FORMATS_TEXT, ImageReadError, UnsupportedFormatError, open_image, read_mask
from inpaintkit.inference import InpaintError, encode_picture, inpaint, load_filler, read_picture
from inpaintkit.server.limits import ApiError, BodyLimits, HostGuard
from inpaintkit.server.schemas import HealthResponse, InpaintJSON, ModelInfo, ModelsResponse, ServerSettings

STATIC = Path(__file__).resolve().parent / "static"
log = logging.getLogger("inpaintkit.server")


# --- filling -----------------------------------------------------------------------------------------


def encode_png(pixels, icc_profile: Optional[bytes] = None) -> bytes:
    """The filled picture as PNG. Plain 8-bit RGB / grey goes through OpenCV at zlib level 1 (a 12 MP photo:
    ~1.4 s instead of ~6 s at Pillow's level 6, ~15 % larger); alpha, 16 bits or an ICC profile go through
    the library's :func:`~inpaintkit.inference.encode_picture`, which keeps them."""
    plain = pixels.dtype == np.uint8 and (pixels.ndim == 2 or pixels.shape[2] == 3)
    if not plain or icc_profile:
        return encode_picture(pixels, "PNG", icc_profile)
    bgr = pixels if pixels.ndim == 2 else np.ascontiguousarray(pixels[..., ::-1])
    ok, buf = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 array
        return encode_picture(pixels, "PNG", icc_profile)
    return buf.tobytes()


# --- reading the uploads -----------------------------------------------------------------------------


def probe(src: BinaryIO, field: str, max_pixels: int) -> tuple[int, int]:
    """Header-only checks of an uploaded file: an image, and not too many pixels. Returns (width, height).

    Pillow reads only the header here, so a decompression bomb is refused before any memory is spent on it.
    """
    src.seek(0, io.SEEK_END)
    empty = src.tell() == 0
    src.seek(0)
    if empty:
        raise ApiError(422, f"{field}: the file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with open_image(src) as im:  # a file object: Pillow leaves it open; only the documented formats
                w, h = im.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ApiError(413, f"{field}: too many pixels (over {max_pixels:,}, refused before decoding)") from None
    except UnsupportedFormatError as e:
        what = f"unsupported format {e.format}" if e.format else "not an image"
        raise ApiError(415, f"{field}: {what} (send {FORMATS_TEXT})") from None
    except Exception as e:  # Pillow raises assorted errors on malformed headers
        raise ApiError(422, f"{field}: damaged image ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
    finally:
        src.seek(0)
    if w * h > max_pixels:
        raise ApiError(413, f"{field}: {w}x{h} is {w * h:,} pixels, over this server's limit of {max_pixels:,}")
    return w, h


def decode(src: BinaryIO, field: str, reader):
    """Decode an upload with the library's file reader (``read_picture`` or ``read_mask``), from a temporary file."""
    with tempfile.TemporaryDirectory(prefix="inpaintkit-upload-") as tmp:
        path = Path(tmp) / field
        with open(path, "wb") as f:
            shutil.copyfileobj(src, f)
        try:
            return reader(path)
        except ImageReadError as e:
            why = str(e).split("': ", 1)[-1]  # drop the temporary file name
            raise ApiError(422, f"{field}: {why}") from None


def from_base64(text: str, field: str) -> bytes:
    """Plain base64 or a ``data:image/...;base64,`` URL -> bytes."""
    if text.startswith("data:"):
        head, _, text = text.partition(",")
        if not head.endswith(";base64"):
            raise ApiError(422, f"{field}: a data URL must be base64 (data:image/png;base64,...)")
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, f"{field}: not valid base64") from None


def multipart_files(form: FormData) -> tuple[BinaryIO, BinaryIO]:
    """The ``image`` and ``mask`` parts as files (Starlette spools a part over 1 MB to disk)."""
    out = []
    for field in ("image", "mask"):
        part = form.get(field)
        if part is None:
            raise ApiError(422, f"multipart field '{field}' is missing (send files 'image' and 'mask')")
        if not isinstance(part, UploadFile):
            raise ApiError(422, f"multipart field '{field}' must be a file, not text")
        out.append(part.file)
    return out[0], out[1]


async def read_json(request: Request) -> tuple[BinaryIO, BinaryIO]:
    """The JSON form; its body is held in memory (multipart is the better form for large photos)."""
    try:
        body = InpaintJSON.model_validate(json.loads(await request.body()))
    except ValueError as e:  # json.JSONDecodeError and pydantic.ValidationError are both ValueErrors
        if isinstance(e, ValidationError):
            err = e.errors()[0]
            where = ".".join(str(x) for x in err["loc"]) or "body"
            raise ApiError(422, f"JSON {where}: {err['msg']} (expected {{\"image\": base64, \"mask\": base64}})") from None
        raise ApiError(422, f"the body is not valid JSON ({e})") from None
    except RecursionError:  # e.g. [[[[...]]]] 100,000 deep: Python's parser gives up; a 422, not a 500
        raise ApiError(422, "the body is not valid JSON (nested too deeply)") from None
    return io.BytesIO(from_base64(body.image, "image")), io.BytesIO(from_base64(body.mask, "mask"))


# --- the app -----------------------------------------------------------------------------------------


def _resolve_model(model) -> tuple[Any, str]:
    """A name / path / None (-> bundled default) is loaded; an object with ``.fill`` is used as is."""
    if model is None or isinstance(model, (str, Path)):
        return load_filler(None if model is None else str(model)), str(model) if model is not None else "default"
    if not callable(getattr(model, "fill", None)):
        raise TypeError(f"model must be a name, a model file or an object with .fill(), got {type(model).__name__}")
    return model, str(getattr(model, "name", type(model).__name__))


def create_app(
    model=None,
    *,
    max_upload_mb: float = ServerSettings.model_fields["max_upload_mb"].default,
    max_pixels: int = ServerSettings.model_fields["max_pixels"].default,
    max_concurrency: int = ServerSettings.model_fields["max_concurrency"].default,
    max_pending: int = ServerSettings.model_fields["max_pending"].default,
    body_timeout_s: float = ServerSettings.model_fields["body_timeout_s"].default,
    allowed_hosts: Optional[list[str]] = None,
) -> FastAPI:
    """Build the app; the model (a name, a model file, ``None`` = bundled default, or a model object) loads now.

    Raises ``pydantic.ValidationError`` for bad limits and the loader's error (``KeyError`` subclass for an
    unknown name, ``CheckpointError`` for a bad file) when the model cannot be loaded. ``allowed_hosts``: the
    ``Host`` header values answered (default: the loopback names; ``["*"]``: any), see :mod:`.limits`.
    """
    limits = ServerSettings(max_upload_mb=max_upload_mb, max_pixels=max_pixels, max_concurrency=max_concurrency,
                            max_pending=max_pending, body_timeout_s=body_timeout_s, allowed_hosts=allowed_hosts)
    net, model_name = _resolve_model(model)
    pool = ThreadPoolExecutor(max_workers=limits.max_concurrency, thread_name_prefix="inpaintkit-fill")
    state = {"pending": 0, "uploading": 0}

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
    app.add_middleware(BodyLimits, limit=limits.max_upload_bytes, timeout=limits.body_timeout_s)
    app.add_middleware(HostGuard, allowed=limits.hosts)  # added last: runs first

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception):  # pragma: no cover - a bug, not a bad request
        log.exception("fill failed")  # the details go to the server's log, never to the client
        return JSONResponse({"detail": "internal error (the server's log has the details)"}, status_code=500)

    def run_fill(image_src: BinaryIO, mask_src: BinaryIO) -> tuple[bytes, float]:
        """Decode, fill, encode: the library's photo path (any mode and bit depth, kept in the PNG)."""
        pic = decode(image_src, "image", read_picture)  # pixels uint8/uint16 [H,W] / [H,W,2..4]
        hole = decode(mask_src, "mask", read_mask)  # bool [H,W], True = hole
        (mh, mw), (ih, iw) = hole.shape, pic.pixels.shape[:2]
        if (mh, mw) != (ih, iw):
            raise ApiError(422, f"mask is {mw}x{mh} pixels but the image is {iw}x{ih}; they must be the same size")
        if not hole.any():
            raise ApiError(422, "mask marks no hole: paint the area to fill white (>127) on black, or opaque on transparent")
        t0 = time.perf_counter()
        try:
            out = inpaint(pic.pixels, hole, model=net, max_pixels=limits.max_pixels)
        except InpaintError as e:  # e.g. a mask that covers every pixel
            raise ApiError(422, str(e)) from None
        seconds = time.perf_counter() - t0
        return encode_png(out, pic.icc_profile), seconds

    body_doc = {
        "required": True,
        "content": {
            "multipart/form-data": {"schema": {
                "type": "object", "required": ["image", "mask"],
                "properties": {"image": {"type": "string", "format": "binary", "description": "The photo."},
                               "mask": {"type": "string", "format": "binary",
                                        "description": "Same size; white (>127) or opaque alpha = hole."}}}},
            "application/json": {"schema": InpaintJSON.model_json_schema()},
        },
    }
    err = {"description": "JSON {\"detail\": message}"}

    @app.post(
        "/api/inpaint",
        response_class=Response,
        summary="Fill the masked holes of an image",
        openapi_extra={"requestBody": body_doc},
        responses={200: {"content": {"image/png": {}}, "description": "The filled image, PNG, same size."},
                   400: err, 403: err, 408: err, 413: err, 415: err, 422: err, 503: err},
    )
    async def inpaint_route(request: Request) -> Response:
        """Multipart files ``image`` + ``mask``, or JSON with both base64-encoded; returns the filled PNG.

        Known pixels come back unchanged; headers ``X-Inpaint-Model`` and ``X-Inpaint-Ms`` (model time) are set.
        """
        form = None
        state["uploading"] += 1  # the body is read first, within the time limit (BodyLimits): no slot is held yet
        try:
            try:
                ctype = request.headers.get("content-type", "").lower()
                if ctype.startswith("multipart/form-data"):
                    form = await request.form(max_files=2, max_fields=2)
                    image_src, mask_src = multipart_files(form)
                elif ctype.startswith("application/json"):
                    image_src, mask_src = await read_json(request)
                else:
                    raise ApiError(415, "send multipart/form-data with files 'image' and 'mask', "
                                        "or application/json {\"image\": base64, \"mask\": base64}")
            finally:
                state["uploading"] -= 1
            iw, ih = probe(image_src, "image", limits.max_pixels)
            mw, mh = probe(mask_src, "mask", limits.max_pixels)
            if (mw, mh) not in ((iw, ih), (ih, iw)):  # only EXIF orientation could still make them agree
                raise ApiError(422, f"mask is {mw}x{mh} pixels but the image is {iw}x{ih}; they must be the same size")
            # the queue counts fills, not connections: only a complete, checked upload takes a place in it
            if state["pending"] >= limits.max_pending:
                raise ApiError(503, f"server busy ({state['pending']} fills queued); try again shortly",
                               headers={"Retry-After": "2"})
            state["pending"] += 1
            try:  # waiting for a worker, the request holds its upload still encoded (spooled to disk over 1 MB)
                png, seconds = await asyncio.get_running_loop().run_in_executor(pool, run_fill, image_src, mask_src)
            finally:
                state["pending"] -= 1
        finally:
            if form is not None:
                await form.close()
        return Response(png, media_type="image/png", headers={
            "X-Inpaint-Model": model_name, "X-Inpaint-Ms": f"{1000 * seconds:.0f}", "Cache-Control": "no-store"})

    @app.get("/api/models", response_model=ModelsResponse, summary="The loaded model and the registered ones")
    def models_route() -> ModelsResponse:
        from inpaintkit.models.registry import list_models, model_kind

        return ModelsResponse(loaded=model_name, models=[ModelInfo(name=n, kind=model_kind(n)) for n in list_models()])

    @app.get("/api/health", response_model=HealthResponse, summary="Liveness, queue length and limits")
    def health_route() -> HealthResponse:
        return HealthResponse(status="ok", model=model_name, pending=state["pending"], uploading=state["uploading"],
                              max_concurrency=limits.max_concurrency, max_pending=limits.max_pending,
                              max_upload_mb=limits.max_upload_mb, max_pixels=limits.max_pixels)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


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
