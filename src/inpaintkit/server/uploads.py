"""Reading the uploads of ``POST /api/inpaint`` (multipart here; base64 JSON spooled and decoded in a thread by
:mod:`.bodies`), header checks before decoding, and the PNG answer. Every refusal is an
:class:`~inpaintkit.server.limits.ApiError` with a one-line detail."""
from __future__ import annotations

import io
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import BinaryIO, Optional

import cv2
import numpy as np
from PIL import Image
from starlette.datastructures import FormData, UploadFile

from inpaintkit.images import FORMATS_TEXT, ImageReadError, UnsupportedFormatError, encode_picture, open_image
from inpaintkit.server.bodies import JsonDecoder, from_base64  # noqa: F401 - the JSON form, read by .bodies
from inpaintkit.server.limits import ApiError

# --- filling -----------------------------------------------------------------------------------------


def encode_png(pixels, icc_profile: Optional[bytes] = None) -> bytes:
    """The filled picture as PNG. Plain 8-bit RGB / grey goes through OpenCV at zlib level 1 (a 12 MP photo:
    ~1.4 s instead of ~6 s at Pillow's level 6, ~15 % larger); alpha, 16 bits or an ICC profile go through
    the library's :func:`~inpaintkit.images.encode_picture`, which keeps them."""
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
