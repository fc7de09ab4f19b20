"""The Python API's input rules, in one place: what an image array, a mask and the limits may be.

:func:`inpaintkit.inpaint` (and :func:`~inpaintkit.inference.fill_array`, ``fill_file``, the video filler) take
their inputs through these functions, so every entry point applies the same rule and refuses the same inputs with
the same one-line :class:`~inpaintkit.errors.InpaintError`.

**Image** (:func:`check_image`): ``[H,W]`` or ``[H,W,1..4]`` of a pixel type of :data:`inpaintkit.pixels.DTYPES`
(uint8/16/32, int8/16/32, float32/64). Which values the network sees is :mod:`inpaintkit.pixels`' rule: 0..255 for
uint8, [0, 1] for float data inside it, else the known pixels' own range (so a float image on a 0..255 scale, or
with negative values, is filled by its own range, not refused). A NaN or infinite pixel anywhere is refused (one
would spread into every filled pixel).

**Mask** (:func:`mask_to_bool`, the rule of :mod:`inpaintkit.images.mask`, which also reads mask files): every
value is first put on the 0..255 scale *by its dtype*, whatever the shape (:func:`mask_levels`): ``bool`` True =
255; ``uint8`` as is; ``uint16`` divided by 257; other integers as they are (clipped to 0..255, so 1 is *not* a
hole: give a bool array for 0/1 masks); floats must be in [0, 1] (times 255; NaN / inf refused). Then ``[H,W]``
(or ``[H,W,1]``): hole = level > 127 (float: > 0.5); ``[H,W,2]`` / ``[H,W,4]`` with an alpha that is not fully
opaque: hole = alpha > 127 (a brush layer on transparency); otherwise the grey (luma) level > 127 — the rule of
:func:`inpaintkit.images.read_mask` for files.

    >>> import numpy as np
    >>> int(mask_to_bool(np.full((2, 2), 100, np.int64)).sum()), int(mask_to_bool(np.full((2, 2, 3), 100, np.int64)).sum())
    (0, 0)
    >>> check_max_pixels(0)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    inpaintkit.errors.InpaintError: max_pixels must be a positive whole number or None, got 0

**Limits**: ``max_pixels`` is a positive whole number, or None for Pillow's ``Image.MAX_IMAGE_PIXELS``
(:func:`check_max_pixels`); ``working_size`` a whole number of at least 8; an output format's largest side
(:data:`SIDE_LIMITS`, :func:`check_output_size`: WebP 16383, JPEG 65500) is checked before the fill.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
from PIL import Image

from inpaintkit.errors import InpaintError
from inpaintkit.fileio import shown
from inpaintkit.images.mask import mask_levels, mask_to_bool
from inpaintkit.pixels import DTYPES

__all__ = ["SIDE_LIMITS", "check_finite", "check_image", "check_max_pixels", "check_output_size", "check_pair",
           "check_working_size", "mask_levels", "mask_to_bool"]


def _whole(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_finite(a: np.ndarray, what: str) -> None:
    """NaN / inf in a float array -> InpaintError (one line)."""
    if a.dtype.kind != "f":
        return
    bad = ~np.isfinite(a)
    if bad.any():
        n = int(np.count_nonzero(bad))
        raise InpaintError(f"{what} holds {n:,} NaN or infinite value{'s' if n != 1 else ''}; give finite values")


def check_image(arr: np.ndarray) -> None:
    """The image rule (module doc); InpaintError with one line otherwise."""
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 2, 3, 4)):
        raise InpaintError(f"image must be [H,W], [H,W,1..4], got shape {arr.shape}")
    if arr.dtype.type not in DTYPES:
        names = ", ".join(np.dtype(d).name for d in DTYPES)
        raise InpaintError(f"image dtype must be one of {names}, got {arr.dtype}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise InpaintError(f"image is empty (shape {arr.shape})")
    check_finite(arr, "image")


def check_max_pixels(max_pixels) -> Optional[int]:
    """``max_pixels`` as the limit to apply: a positive whole number, or None -> Pillow's ``MAX_IMAGE_PIXELS``
    (None again when Pillow's own limit is switched off)."""
    if max_pixels is None:
        return None if Image.MAX_IMAGE_PIXELS is None else int(Image.MAX_IMAGE_PIXELS)
    if not _whole(max_pixels) or max_pixels < 1:
        raise InpaintError(f"max_pixels must be a positive whole number or None, got {max_pixels!r}")
    return int(max_pixels)


def check_working_size(working_size) -> int:
    if not _whole(working_size) or working_size < 8:
        raise InpaintError(f"working_size must be a whole number of at least 8, got {working_size!r}")
    return int(working_size)


def check_pair(arr: np.ndarray, hole: np.ndarray, max_pixels) -> None:
    """Image and bool mask of the same height and width, and not over the pixel limit."""
    h, w = arr.shape[:2]
    if hole.shape != (h, w):
        msg = f"mask is {hole.shape[1]}x{hole.shape[0]} but image is {w}x{h} (width x height)"
        if hole.shape == (w, h):
            msg += "; rotated? files are read with their EXIF orientation applied"
        raise InpaintError(msg)
    limit = check_max_pixels(max_pixels)
    if limit is not None and h * w > limit:
        raise InpaintError(f"image has {h * w:,} pixels, over the limit of {limit:,} (max_pixels)")


# --- what an output format can hold -----------------------------------------------------------------

# pixels per side the encoders write (WebP: 14-bit sizes; libjpeg: JPEG_MAX_DIMENSION); PNG, TIFF, BMP: no such limit
SIDE_LIMITS = {"WEBP": 16383, "JPEG": 65500}
_FORMAT_NAMES = {"WEBP": "WebP"}


def check_output_size(fmt: str, width: int, height: int, path=None) -> None:
    """InpaintError (one line) when ``fmt`` cannot hold a ``width`` x ``height`` picture — checked before the fill."""
    limit = SIDE_LIMITS.get(fmt)
    if limit is not None and max(width, height) > limit:
        where = f"'{shown(path)}'" if path is not None else f"a {fmt} file"
        raise InpaintError(f"cannot write {where}: {width}x{height} pixels, but {_FORMAT_NAMES.get(fmt, fmt)} "
                           f"holds at most {limit} pixels per side (write PNG or TIFF)")
