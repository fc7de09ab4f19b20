"""The server's routes: ``POST /api/inpaint`` (the fill queue), ``POST /api/select`` and ``POST /api/detect`` (the
page's tools, through the same queue), ``GET /api/models``, ``GET /api/health``, ``GET /``.

:class:`FillService` holds what the routes share: the loaded model (and the others a request names, loaded on
first use through :func:`inpaintkit.model_spec.load_filler`, which keeps the last 4), the limits, the fill queue
(:class:`~inpaintkit.server.queue.FillQueue`: its thread pool, its counters, the dropping of fills whose client has
gone), the JSON decoder (:mod:`.bodies`) and the budget of bodies in progress. Each ``add_*`` function registers
its routes on an app.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Callable, Optional

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import UploadFile

from inpaintkit.errors import InpaintError
from inpaintkit.images import read_mask, read_picture
from inpaintkit.inference import inpaint
from inpaintkit.model_spec import load_filler
from inpaintkit.server.bodies import JsonDecoder
from inpaintkit.server.limits import ApiError, BodyBudget
from inpaintkit.server.queue import ClientGone, FillQueue
from inpaintkit.server.schemas import (Features, HealthResponse, InpaintJSON, ModelInfo, ModelsResponse,
                                       ServerSettings)
from inpaintkit.server.uploads import decode, encode_png, multipart_files, probe

STATIC = Path(__file__).resolve().parent / "static"
SELECTABLE_KINDS = ("pretrained", "classical")  # "network": an architecture without trained weights


def damage_detector() -> Optional[Callable]:
    """The damage detector, ``damage_mask(pixels, sensitivity=...) -> bool [H,W]`` of :mod:`inpaintkit.restore`,
    or ``None`` where that module (or its detector) is not installed: the one place ``/api/detect`` gets it."""
    try:
        from inpaintkit.restore import damage_mask
    except ImportError:
        return None
    return damage_mask


def features() -> Features:
    return Features(select=True, detect=damage_detector() is not None)


def selectable_models() -> list[str]:
    from inpaintkit.models.registry import list_models, model_kind

    return [n for n in list_models() if model_kind(n) in SELECTABLE_KINDS]


def check_model_name(name: str) -> None:
    """422 with one line unless ``name`` is a registered pretrained or classical model."""
    from inpaintkit.models.registry import UnknownModelError, list_models, model_kind

    if name not in list_models():
        raise ApiError(422, str(UnknownModelError(name)))
    if model_kind(name) not in SELECTABLE_KINDS:
        raise ApiError(422, f"model {name!r} is an architecture without trained weights; choose one of: "
                            f"{', '.join(selectable_models())}")


def _text_field(form, name: str) -> Optional[str]:
    value = form.get(name) if form is not None else None
    if value is None:
        return None
    if isinstance(value, UploadFile):
        raise ApiError(422, f"multipart field '{name}' must be text, not a file")
    return value.strip() or None


def _numbers(text: Optional[str], field: str, count: int) -> list[float]:
    try:
        values = [float(v) for v in text.replace(";", ",").split(",")] if text else []
    except ValueError:
        values = []
    if len(values) != count or not all(v == v and abs(v) < 1e9 for v in values):
        raise ApiError(422, f"field '{field}' must be {count} numbers separated by commas, got {str(text)[:80]!r}")
    return values


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
    _load_lock: Any = field(init=False, default_factory=threading.Lock)

    def __post_init__(self):
        self.queue = FillQueue(self.pool, self.limits.max_concurrency, self.limits.max_pending)
        self.json_decoder = JsonDecoder()
        if self.budget is None:
            self.budget = BodyBudget(self.limits.max_buffered_bytes)

    def filler(self, name: Optional[str]) -> tuple[Any, str]:
        """The model a request named (checked by :func:`check_model_name`), loaded on first use; ``None`` or the
        server's own name: the loaded one."""
        if not name or name == self.model_name:
            return self.net, self.model_name
        with self._load_lock:  # one load at a time; load_filler keeps the last few loaded
            return load_filler(name), name

    def run_fill(self, image_src: BinaryIO, mask_src: BinaryIO, gone, model: Optional[str] = None
                 ) -> tuple[bytes, float, str]:
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
        net, name = self.filler(model)
        t0 = time.perf_counter()
        try:
            out = inpaint(pic.pixels, hole, model=net, max_pixels=self.limits.max_pixels)
        except InpaintError as e:  # e.g. a mask that covers every pixel
            raise ApiError(422, str(e)) from None
        seconds = time.perf_counter() - t0
        if gone.is_set():
            raise ClientGone("during its fill")
        return encode_png(out, pic.icc_profile), seconds, name

    async def read_upload(self, request: Request):
        """The ``image`` and ``mask`` files of a request (multipart or JSON), the model it names (or ``None``) and
        the form to close after."""
        form = None
        self.state["uploading"] += 1  # the body is read first, within the time limit (BodyLimits): no slot is held yet
        try:
            ctype = request.headers.get("content-type", "").lower()
            if ctype.startswith("multipart/form-data"):
                form = await request.form(max_files=2, max_fields=2)
                try:
                    return (*multipart_files(form), _text_field(form, "model"), form)
                except BaseException:
                    await form.close()
                    raise
            if ctype.startswith("application/json"):
                return (*await self.json_decoder.read(request), None)  # spooled, decoded in a thread
            raise ApiError(415, "send multipart/form-data with files 'image' and 'mask', "
                                "or application/json {\"image\": base64, \"mask\": base64}")
        finally:
            self.state["uploading"] -= 1

    async def read_tool_form(self, request: Request):
        """The multipart upload of ``/api/select`` and ``/api/detect``: the ``image`` file, header-checked, and the form."""
        if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
            raise ApiError(415, "send multipart/form-data with the file 'image' (and the text fields of this route)")
        self.state["uploading"] += 1
        try:
            form = await request.form(max_files=1, max_fields=4)
            part = form.get("image")
            if not isinstance(part, UploadFile):
                await form.close()
                raise ApiError(422, "multipart field 'image' is missing or not a file")
            try:
                probe(part.file, "image", self.limits.max_pixels)
            except BaseException:
                await form.close()
                raise
            return part.file, form
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
            image_src, mask_src, model, form = await self.read_upload(request)
            if model and model != self.model_name:
                check_model_name(model)
            self.check_upload(image_src, mask_src)
            # the queue counts fills, not connections: only a complete, checked upload takes a place in it; waiting
            # for a worker, the request holds its upload still encoded (spooled to disk over 1 MB)
            png, seconds, name = await self.queue.run(
                request.receive, lambda i, m, gone: self.run_fill(i, m, gone, model), image_src, mask_src)
        finally:
            if form is not None:
                await form.close()
        return Response(png, media_type="image/png", headers={
            "X-Inpaint-Model": name, "X-Inpaint-Ms": f"{1000 * seconds:.0f}", "Cache-Control": "no-store"})

    def run_select(self, image_src: BinaryIO, box, points, gone) -> tuple[bytes, float, int]:
        from inpaintkit.select import SelectError, grabcut_select

        pic = decode(image_src, "image", read_picture)
        if gone.is_set():
            raise ClientGone("before its selection started")
        t0 = time.perf_counter()
        try:
            mask = grabcut_select(pic.pixels, box, points)
        except SelectError as e:
            raise ApiError(422, str(e)) from None
        return encode_png(mask.astype("uint8") * 255), time.perf_counter() - t0, int(mask.sum())

    def run_detect(self, image_src: BinaryIO, detector, sensitivity: float, gone) -> tuple[bytes, float, int]:
        pic = decode(image_src, "image", read_picture)
        if gone.is_set():
            raise ClientGone("before its detection started")
        t0 = time.perf_counter()
        try:
            mask = detector(pic.pixels, sensitivity=sensitivity)
        except ValueError as e:  # RestoreError: an option or photo the detector cannot work with
            raise ApiError(422, str(e).splitlines()[0] if str(e) else "the detector refused this photo") from None
        return encode_png(mask.astype("uint8") * 255), time.perf_counter() - t0, int(mask.sum())

    async def tool(self, request: Request, fn, *fields) -> Response:
        """A page tool's request: read and check the upload, queue ``fn(image, *parsed fields, gone)``, answer the
        mask PNG (white = selected) with ``X-Inpaint-Ms`` and ``X-Mask-Pixels``."""
        image_src, form = await self.read_tool_form(request)
        try:
            args = [parse(_text_field(form, name)) for name, parse in fields]
            png, seconds, count = await self.queue.run(request.receive, fn, image_src, *args)
        finally:
            await form.close()
        return Response(png, media_type="image/png", headers={
            "X-Inpaint-Ms": f"{1000 * seconds:.0f}", "X-Mask-Pixels": str(count), "Cache-Control": "no-store"})


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


def _box(text):
    return _numbers(text, "box", 4)


def _points(text):
    if not text:
        return []
    pairs = [p for p in text.split(";") if p.strip()]
    if len(pairs) > 64:
        raise ApiError(422, "field 'points': at most 64 points")
    return [_numbers(p, "points", 2) for p in pairs]


def _sensitivity(text):
    if text is None:
        return 0.5
    value = _numbers(text, "sensitivity", 1)[0]
    if not 0 <= value <= 1:
        raise ApiError(422, f"field 'sensitivity' must be from 0 to 1, got {value:g}")
    return value


def add_tool_routes(app: FastAPI, service: FillService) -> None:
    @app.post("/api/select", response_class=Response, summary="The object inside a box (GrabCut)",
              responses={200: {"content": {"image/png": {}}, "description": "Mask PNG, white = the object."},
                         413: _ERR, 415: _ERR, 422: _ERR, 503: _ERR})
    async def select_route(request: Request) -> Response:
        """Multipart: file ``image``, text ``box`` = ``x0,y0,x1,y1`` (image pixels) and optionally ``points`` =
        ``x,y;x,y`` on the object. Returns the object's mask (OpenCV GrabCut, :mod:`inpaintkit.select`)."""
        return await service.tool(request, service.run_select, ("box", _box), ("points", _points))

    @app.post("/api/detect", response_class=Response, summary="The damage of an old photo",
              responses={200: {"content": {"image/png": {}}, "description": "Mask PNG, white = damaged."},
                         413: _ERR, 415: _ERR, 422: _ERR, 501: _ERR, 503: _ERR})
    async def detect_route(request: Request) -> Response:
        """Multipart: file ``image``, optional text ``sensitivity`` in [0, 1] (0.5: calibrated). Returns the
        scratches, cracks, dust and stains found (:mod:`inpaintkit.restore`); 501 where it is not installed."""
        detector = damage_detector()
        if detector is None:
            raise ApiError(501, "damage detection is not installed on this server (no inpaintkit.restore module)")
        return await service.tool(request, lambda img, s, gone: service.run_detect(img, detector, s, gone),
                                  ("sensitivity", _sensitivity))


def add_info_routes(app: FastAPI, service: FillService) -> None:
    limits, state = service.limits, service.state

    @app.get("/api/models", response_model=ModelsResponse, summary="The loaded model, the registered ones, the tools")
    def models_route() -> ModelsResponse:
        from inpaintkit.models.registry import describe, list_models, model_kind

        return ModelsResponse(
            loaded=service.model_name, features=features(),
            models=[ModelInfo(name=n, kind=model_kind(n), description=describe(n),
                              selectable=model_kind(n) in SELECTABLE_KINDS) for n in list_models()])

    @app.get("/api/health", response_model=HealthResponse, summary="Liveness, queue length and limits")
    def health_route() -> HealthResponse:
        queue, budget = service.queue, service.budget
        return HealthResponse(status="ok", model=service.model_name, pending=queue.pending,
                              uploading=state["uploading"], dropped=queue.dropped,
                              buffered_mb=round(budget.held / 2**20, 3), max_concurrency=limits.max_concurrency,
                              max_pending=limits.max_pending, max_upload_mb=limits.max_upload_mb,
                              max_pixels=limits.max_pixels, max_buffered_mb=limits.max_buffered_mb,
                              features=features())


def add_page(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
