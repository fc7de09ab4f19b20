"""The JSON form of an upload (``POST /api/inpaint``), with bounded memory and off the event loop.

``{"image": base64, "mask": base64}`` is streamed into a spooled temporary file as it arrives (memory up to
:data:`SPOOL_BYTES`, the rest on disk), so a waiting request holds almost no memory; it is then parsed and
decoded in a worker thread, one body at a time (:class:`JsonDecoder`), so the event loop keeps answering
(``/api/health``, other uploads) and a burst of large bodies costs the memory of one. The decoded files are
spooled the same way and wait, still encoded, for their turn in the fill queue, like multipart uploads
(:mod:`.uploads` reads those and checks both forms' files).
"""
from __future__ import annotations

import asyncio
import binascii
import json
import re
import tempfile
from typing import BinaryIO, Optional

from pydantic import ValidationError

from inpaintkit.server.limits import ApiError
from inpaintkit.server.schemas import InpaintJSON

SPOOL_BYTES = 1 << 20  # as Starlette's multipart parts: up to 1 MB in memory, beyond it on disk
_SPACE = re.compile(r"\s+")


def _spool() -> BinaryIO:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, prefix="inpaintkit-upload-")


async def spool_body(request) -> BinaryIO:
    """The request body in a spooled temporary file (at position 0), read chunk by chunk."""
    out = _spool()
    try:
        async for chunk in request.stream():
            out.write(chunk)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


def from_base64(text: str, field: str) -> bytes:
    """Plain base64 or a ``data:image/...;base64,`` URL -> bytes (whitespace, as in wrapped base64, is allowed)."""
    if text.startswith("data:"):
        head, _, text = text.partition(",")
        if not head.endswith(";base64"):
            raise ApiError(422, f"{field}: a data URL must be base64 (data:image/png;base64,...)")
    try:
        try:
            return binascii.a2b_base64(text, strict_mode=True)  # no copy of the text when it is plain base64
        except binascii.Error:
            if not _SPACE.search(text):
                raise
            return binascii.a2b_base64(_SPACE.sub("", text), strict_mode=True)
    except (binascii.Error, ValueError):  # ValueError: characters outside ASCII
        raise ApiError(422, f"{field}: not valid base64") from None


def decode_json(body: BinaryIO) -> tuple[BinaryIO, BinaryIO, Optional[str]]:
    """Parse a spooled JSON body and decode both files into spooled files (runs in a worker thread; closes ``body``);
    also returns the ``model`` asked for (``None``: the server's own)."""
    try:
        data = body.read()
    finally:
        body.close()
    try:
        parsed = InpaintJSON.model_validate(json.loads(data))
    except ValueError as e:  # json.JSONDecodeError and pydantic.ValidationError are both ValueErrors
        if isinstance(e, ValidationError):
            err = e.errors()[0]
            where = ".".join(str(x) for x in err["loc"]) or "body"
            raise ApiError(422, f"JSON {where}: {err['msg']} (expected {{\"image\": base64, \"mask\": base64, \"model\": optional name}})") from None
        raise ApiError(422, f"the body is not valid JSON ({str(e).splitlines()[0][:200]})") from None
    except RecursionError:  # e.g. [[[[...]]]] 100,000 deep: Python's parser gives up; a 422, not a 500
        raise ApiError(422, "the body is not valid JSON (nested too deeply)") from None
    del data
    files = []
    for field in ("image", "mask"):
        f = _spool()
        f.write(from_base64(getattr(parsed, field), field))
        f.seek(0)
        files.append(f)
        setattr(parsed, field, "")  # the text is no longer needed
    return files[0], files[1], parsed.model


class JsonDecoder:
    """Decodes JSON bodies in a thread, ``at_once`` at a time (each costs about 2.5 times its size in memory)."""

    def __init__(self, at_once: int = 1):
        self.at_once = at_once
        self._slots: asyncio.Semaphore | None = None

    async def read(self, request) -> tuple[BinaryIO, BinaryIO, Optional[str]]:
        body = await spool_body(request)
        if self._slots is None:  # created inside the server's event loop
            self._slots = asyncio.Semaphore(self.at_once)
        async with self._slots:
            return await asyncio.get_running_loop().run_in_executor(None, decode_json, body)
