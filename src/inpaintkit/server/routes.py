"""The server's routes: ``POST /api/inpaint`` (the fill queue), ``GET /api/models``, ``GET /api/health``, ``GET /``.

:class:`FillService` holds what the routes share: the loaded model, the limits, the fill queue
(:class:`~inpaintkit.server.queue.FillQueue`: its thread pool, its counters, the dropping of fills whose client has
gone), the JSON decoder (:mod:`.bodies`) and the budget of bodies in progress. Each ``add_*`` function registers
its routes on an app.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Optional

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from inpaintkit.errors import InpaintError
from inpaintkit.images import read_mask, read_picture
from inpaintkit.inference import inpaint
from inpaintkit.server.bodies import JsonDecoder
from inpaintkit.server.limits import ApiError, BodyBudget
from inpaintkit.server.queue import ClientGone, FillQueue
from inpaintkit.server.schemas import HealthResponse, InpaintJSON, ModelInfo, ModelsResponse, ServerSettings
from inpaintkit.server.uploads import decode, encode_png, multipart_files, probe

STATIC = Path(__file__).resolve().parent / "static"


@dataclass
class FillService:
    """The loaded model, the limits, the pool fills run in (through the fill queue), the JSON decoder, the budget of
    request bodies in progress and the upload counter the routes share."""

    net: Any
    model_name: str
    limits: ServerSettings
    pool: ThreadPoolExecutor
    budget: Optional[BodyBudget] = None
    state: dict = field(default_factory=lambda: {"uploading": 0})
    queue: FillQueue = field(init=False)
    json_decoder: JsonDecoder = field(init=False)

    def __post_init__(self):
        self.queue = FillQueue(self.pool, self.limits.max_concurrency, self.limits.max_pending)
        self.json_decoder = JsonDecoder()
        if self.budget is None:
            self.budget = BodyBudget(self.limits.max_buffered_bytes)

    def run_fill(self, image_src: BinaryIO, mask_src: BinaryIO, gone) -> tuple[bytes, float]:
        """Decode, fill, encode: the library's photo path (any mode and bit depth, kept in the PNG). Stops between
        the stages once ``gone`` (a ``threading.Event``: the client closed its connection) is set."""
        pic = decode(image_src, "image", read_picture)  # pixels uint8/uint16 [H,W] / [H,W,2..4]
        hole = decode(mask_src, "mask", read_mask)  # bool [H,W], True = hole
        (mh, mw), (ih, iw) = hole.shape, pic.pixels.shape[:2]
        if (mh, mw) != (ih, iw):
            raise ApiError(422, f"mask is {mw}x{mh} pixels but the image is {iw}x{ih}; they must be the same size")
        if not hole.any():
            raise ApiError(422, "mask marks no hole: paint the area to fill white (>127) on black, or opaque on transparent")
        if gone.is_set():
            raise ClientGone("before its fill started")
        t0 = time.perf_counter()
        try:
            out = inpaint(pic.pixels, hole, model=self.net, max_pixels=self.limits.max_pixels)
        except InpaintError as e:  # e.g. a mask that covers every pixel
            raise ApiError(422, str(e)) from None
        seconds = time.perf_counter() - t0
        if gone.is_set():
            raise ClientGone("during its fill")
        return encode_png(out, pic.icc_profile), seconds

    async def read_upload(self, request: Request):
        """The ``image`` and ``mask`` files of a request (multipart or JSON) and the form to close after."""
        form = None
        self.state["uploading"] += 1  # the body is read first, within the time limit (BodyLimits): no slot is held yet
        try:
            ctype = request.headers.get("content-type", "").lower()
            if ctype.startswith("multipart/form-data"):
                form = await request.form(max_files=2, max_fields=2)
                try:
                    return (*multipart_files(form), form)
                except BaseException:
                    await form.close()
                    raise
            if ctype.startswith("application/json"):
                return (*await self.json_decoder.read(request), None)  # spooled, decoded in a thread
            raise ApiError(415, "send multipart/form-data with files 'image' and 'mask', "
                                "or application/json {\"image\": base64, \"mask\": base64}")
        finally:
            self.state["uploading"] -= 1

    def check_upload(self, image_src: BinaryIO, mask_src: BinaryIO) -> None:
        """Header checks of both files (the place in the queue, or 503, is :class:`FillQueue`'s)."""
        iw, ih = probe(image_src, "image", self.limits.max_pixels)
        mw, mh = probe(mask_src, "mask", self.limits.max_pixels)
        if (mw, mh) not in ((iw, ih), (ih, iw)):  # only EXIF orientation could still make them agree
            raise ApiError(422, f"mask is {mw}x{mh} pixels but the image is {iw}x{ih}; they must be the same size")

    async def handle(self, request: Request) -> Response:
        """The whole ``POST /api/inpaint``: read the upload, check it, queue the fill, answer the PNG. A client that
        goes while its fill waits or runs ends it with :class:`~inpaintkit.server.queue.ClientGone`."""
        form = None
        try:
            image_src, mask_src, form = await self.read_upload(request)
            self.check_upload(image_src, mask_src)
            # the queue counts fills, not connections: only a complete, checked upload takes a place in it; waiting
            # for a worker, the request holds its upload still encoded (spooled to disk over 1 MB)
            png, seconds = await self.queue.run(request.receive, self.run_fill, image_src, mask_src)
        finally:
            if form is not None:
                await form.close()
        return Response(png, media_type="image/png", headers={
            "X-Inpaint-Model": self.model_name, "X-Inpaint-Ms": f"{1000 * seconds:.0f}", "Cache-Control": "no-store"})


_ERR = {"description": "JSON {\"detail\": message}"}
_BODY_DOC = {
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


def add_inpaint_route(app: FastAPI, service: FillService) -> None:
    @app.post(
        "/api/inpaint",
        response_class=Response,
        summary="Fill the masked holes of an image",
        openapi_extra={"requestBody": _BODY_DOC},
        responses={200: {"content": {"image/png": {}}, "description": "The filled image, PNG, same size."},
                   400: _ERR, 403: _ERR, 408: _ERR, 413: _ERR, 415: _ERR, 422: _ERR, 503: _ERR},
    )
    async def inpaint_route(request: Request) -> Response:
        """Multipart files ``image`` + ``mask``, or JSON with both base64-encoded; returns the filled PNG.

        Known pixels come back unchanged; headers ``X-Inpaint-Model`` and ``X-Inpaint-Ms`` (model time) are set.
        """
        return await service.handle(request)


def add_info_routes(app: FastAPI, service: FillService) -> None:
    limits, state = service.limits, service.state

    @app.get("/api/models", response_model=ModelsResponse, summary="The loaded model and the registered ones")
    def models_route() -> ModelsResponse:
        from inpaintkit.models.registry import list_models, model_kind

        return ModelsResponse(loaded=service.model_name,
                              models=[ModelInfo(name=n, kind=model_kind(n)) for n in list_models()])

    @app.get("/api/health", response_model=HealthResponse, summary="Liveness, queue length and limits")
    def health_route() -> HealthResponse:
        queue, budget = service.queue, service.budget
        return HealthResponse(status="ok", model=service.model_name, pending=queue.pending,
                              uploading=state["uploading"], dropped=queue.dropped,
                              buffered_mb=round(budget.held / 2**20, 3), max_concurrency=limits.max_concurrency,
                              max_pending=limits.max_pending, max_upload_mb=limits.max_upload_mb,
                              max_pixels=limits.max_pixels, max_buffered_mb=limits.max_buffered_mb)


def add_page(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
