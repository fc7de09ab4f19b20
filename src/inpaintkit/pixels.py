r"""Pixel values of any type for a network that works in [0, 1], and the fill mapped back exactly.

A network sees ``u = clip((v - lo) / (hi - lo), 0, 1)`` and its fill ``u'`` is written back as
``v' = lo + u' (hi - lo)`` (rounded and clipped for integer types), so every filled value lies inside
``[lo, hi]`` and the image's own type holds it. Known pixels are never converted: the caller keeps them.

``[lo, hi]`` is, in order of precedence:

* a *window* the caller gives (e.g. ``(-1000, 2000)`` Hounsfield units for CT, in the array's units);
* ``[0, 255]`` for ``uint8`` and ``[0, 1]`` for float data inside ``[0, 1]`` (photos: the usual scales);
* otherwise the known pixels' own minimum and maximum — so 12-bit MR data stored in ``uint16``
  (values 0..4095) fills like a full-range picture, and signed CT data keeps its negative values.

Example:
    >>> import numpy as np
    >>> mr = np.array([[127, 2145], [900, 0]], np.uint16)        # 12-bit data in 16 bits; 0 = hole
    >>> known = np.array([[True, True], [True, False]])
    >>> r = value_range(mr, known)
    >>> (r.lo, r.hi)
    (127.0, 2145.0)
    >>> from_unit(np.array([0.5]), r, mr.dtype)                   # a mid-grey fill
    array([1136], dtype=uint16)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from inpaintkit.errors import InpaintkitError

__all__ = ["DTYPES", "PixelError", "ValueRange", "from_unit", "parse_window", "to_unit", "value_range"]

DTYPES = (np.uint8, np.uint16, np.uint32, np.int8, np.int16, np.int32, np.float32, np.float64)


class PixelError(InpaintkitError, ValueError):
    """An array whose values cannot be filled as they are (type, NaN, window)."""


@dataclass(frozen=True)
class ValueRange:
    lo: float
    hi: float

    @property
    def span(self) -> float:
        return self.hi - self.lo if self.hi > self.lo else 1.0


def parse_window(text: str) -> tuple[float, float]:
    """``"LO,HI"`` → ``(lo, hi)``; one-line :class:`PixelError` unless two numbers with ``lo < hi``.

    >>> parse_window("-1000,2000")
    (-1000.0, 2000.0)
    """
    parts = str(text).replace(":", ",").split(",")
    try:
        lo, hi = (float(p) for p in parts)
    except ValueError:
        raise PixelError(f"window must be two numbers LO,HI (e.g. -1000,2000), got {text!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo >= hi:
        raise PixelError(f"window must have LO < HI, got {text!r}")
    return lo, hi


def check_dtype(arr: np.ndarray) -> None:
    if arr.dtype.type not in DTYPES:
        names = ", ".join(np.dtype(d).name for d in DTYPES)
        raise PixelError(f"pixel type {arr.dtype} is not supported (supported: {names})")


def value_range(arr: np.ndarray, known: Optional[np.ndarray] = None,
                window: Optional[tuple[float, float]] = None) -> ValueRange:
    """The ``[lo, hi]`` the network's [0, 1] stands for (see the module's rules); ``known`` bool ``[H,W]``."""
    check_dtype(arr)
    if window is not None:
        lo, hi = float(window[0]), float(window[1])
        if not lo < hi:
            raise PixelError(f"window must have LO < HI, got {lo:g},{hi:g}")
        return ValueRange(lo, hi)
    if arr.dtype == np.uint8:
        return ValueRange(0.0, 255.0)
    vals = arr if known is None else arr[known]
    if vals.size == 0:
        raise PixelError("there are no known pixels to take the value range from")
    if np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(vals).all():
            raise PixelError("the image's known pixels include NaN or infinite values")
        lo, hi = float(vals.min()), float(vals.max())
        return ValueRange(0.0, 1.0) if lo >= 0.0 and hi <= 1.0 else ValueRange(lo, hi)
    return ValueRange(float(vals.min()), float(vals.max()))


def to_unit(arr: np.ndarray, r: ValueRange) -> np.ndarray:
    """float32 copy of ``arr`` mapped to [0, 1] by ``r`` (values outside the range are clipped)."""
    u = (arr.astype(np.float64) - r.lo) / r.span
    return np.clip(np.nan_to_num(u, nan=0.0), 0.0, 1.0).astype(np.float32)


def from_unit(u: np.ndarray, r: ValueRange, dtype) -> np.ndarray:
    """Values ``u`` in [0, 1] back in ``dtype``, inside ``[lo, hi]`` and the type's limits (rounded for integers)."""
    dtype = np.dtype(dtype)
    v = r.lo + np.clip(u.astype(np.float64), 0.0, 1.0) * r.span
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        lo, hi = max(np.ceil(r.lo), info.min), min(np.floor(r.hi), info.max)
        return np.clip(np.rint(v), lo, hi).astype(dtype)
    return np.clip(v, r.lo, r.hi).astype(dtype)
