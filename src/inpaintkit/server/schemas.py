"""Pydantic models of the web server: its settings (the ``serve`` command's options) and the JSON request.

The CLI builds :class:`ServerSettings` from its options, so the limits are checked in one place for both the
command line and :func:`inpaintkit.server.create_app`.

>>> ServerSettings().host
'127.0.0.1'
>>> ServerSettings(max_concurrency=0)  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
pydantic_core.ValidationError: ...
"""
from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

from inpaintkit.server.limits import default_allowed_hosts


class ServerSettings(BaseModel):
    """What ``inpaintkit serve`` and ``create_app`` accept; defaults suit one person on a laptop."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    host: str = Field("127.0.0.1", description="Address to bind; 127.0.0.1 keeps the server private to this machine.")
    port: int = Field(8080, ge=0, le=65535, description="TCP port (0 = any free port).")
    model: Optional[str] = Field(None, description="Model name or model file; None = the bundled default model.")
    # 100 MB: a filled 25 MP photo comes back as a PNG of up to ~75 MB, and "fill again" sends it back.
    max_upload_mb: float = Field(100.0, gt=0, description="Largest request body in MB (image and mask together).")
    max_pixels: int = Field(25_000_000, ge=1, description="Largest image or mask in pixels (width x height).")
    max_concurrency: int = Field(1, ge=1, le=64, description="Fills that run at the same time (model threads).")
    max_pending: int = Field(256, ge=1, description="Fills queued or running before new ones get 503.")
    body_timeout_s: float = Field(60.0, gt=0, le=3600, description="Seconds a request's body may take to arrive (408 after).")
    allowed_hosts: Optional[list[str]] = Field(None, description="Host header values answered ('*' = any); "
                                               "None = the loopback names, the bound address (any for 0.0.0.0).")
    max_buffered_mb: Optional[float] = Field(None, gt=0, description="Request bodies in progress at once, all "
                                             "together (in memory or spooled to disk), in MB; a request past it gets "
                                             "503. None = 1024 or twice max_upload_mb, whichever is more.")

    @model_validator(mode="after")
    def _budget_holds_one_upload(self) -> "ServerSettings":
        if self.max_buffered_mb is None:
            self.max_buffered_mb = max(1024.0, 2 * self.max_upload_mb)
        elif self.max_buffered_mb < self.max_upload_mb:
            raise ValueError(f"max_buffered_mb ({self.max_buffered_mb:g}) must be at least max_upload_mb "
                             f"({self.max_upload_mb:g})")
        return self

    @property
    def max_buffered_bytes(self) -> int:
        return int(self.max_buffered_mb * 1024 * 1024)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def hosts(self) -> list[str]:
        """The Host names answered: ``allowed_hosts`` given, else from the bound ``host``."""
        if self.allowed_hosts and "*" in self.allowed_hosts:
            return ["*"]
        return default_allowed_hosts(self.host, self.allowed_hosts or ())


class InpaintJSON(BaseModel):
    """The JSON form of ``POST /api/inpaint``: both files base64-encoded (a ``data:...;base64,`` prefix is allowed)."""

    model_config = ConfigDict(extra="forbid")

    image: str = Field(..., min_length=1, description="The photo (PNG, JPEG, WebP, BMP or TIFF), base64.")
    mask: str = Field(..., min_length=1, description="Same size as the image; white (>127) or opaque alpha = hole, base64.")
    model: Optional[str] = Field(None, description="A registered pretrained or classical model to fill with "
                                 "(`GET /api/models`); None = the server's own.")


class ModelInfo(BaseModel):
    name: str
    kind: str = Field(..., description="pretrained (trained weights), classical (no network) or network "
                                       "(an architecture without weights: not offered for filling).")
    description: str = Field("", description="One line on what the model is.")
    selectable: bool = Field(False, description="Whether a fill request may name it (`model` field).")


class Features(BaseModel):
    select: bool = Field(True, description="`POST /api/select`: the object in a box (GrabCut).")
    detect: bool = Field(False, description="`POST /api/detect`: the damage of an old photo (needs inpaintkit.restore).")


class ModelsResponse(BaseModel):
    loaded: str = Field(..., description="The model this server fills with unless a request names another.")
    models: list[ModelInfo] = Field(..., description="Every registered model (`inpaintkit models`).")
    features: Features = Field(default_factory=Features, description="The page's optional tools this server offers.")


class HealthResponse(BaseModel):
    status: str
    model: str
    pending: int = Field(..., description="Fill requests queued or running now (their uploads complete).")
    uploading: int = Field(0, description="Requests whose body is still arriving (they hold no place in the queue).")
    dropped: int = Field(0, description="Fills dropped (never started, or stopped) because their client had gone.")
    buffered_mb: float = Field(0.0, description="Bodies of the requests in progress, in MB (max_buffered_mb at most).")
    max_concurrency: int
    max_pending: int
    max_upload_mb: float
    max_pixels: int
    max_buffered_mb: float = 0.0
    features: Features = Field(default_factory=Features)
