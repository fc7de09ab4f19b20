"""TIFF files of any pixel type, read and written exactly (tifffile): signed 16-bit (CT in Hounsfield units),
32-bit integers, 32/64-bit floats, as well as the 8/16-bit unsigned data Pillow reads too.

Pillow decodes some of these lossily (signed 16-bit as unsigned, 32-bit float refused), so a TIFF whose pixels
are not 8/16-bit unsigned goes through tifffile instead; the array keeps its dtype and values.
"""
from __future__ import annotations

import io
from typing import Optional

import numpy as np

from inpaintkit.errors import ImageReadError
from inpaintkit.fileio import shown

__all__ = ["EXACT_ONLY", "encode_tiff", "read_tiff_exact"]

# dtypes that only the TIFF path holds (PNG and the others stop at 16-bit unsigned)
EXACT_ONLY = (np.int8, np.int16, np.int32, np.uint32, np.float32, np.float64)


def read_tiff_exact(path) -> Optional[np.ndarray]:
    """The pixels of a TIFF in their own dtype when that is one of :data:`EXACT_ONLY`; None otherwise
    (8/16-bit unsigned: the ordinary reader handles those, with ICC profile and orientation).

    Planes come out ``[H,W]`` or ``[H,W,C]`` (a ``[C,H,W]`` planar file is moved to channels-last).
    """
    import tifffile

    try:
        with open(path, "rb") as f, tifffile.TiffFile(f) as tf:
            page = tf.pages[0]
            if np.dtype(page.dtype).type not in EXACT_ONLY:
                return None
            a = page.asarray()
    except (tifffile.TiffFileError, ValueError, OSError, IndexError) as e:
        raise ImageReadError(f"cannot read image '{shown(path)}': corrupt TIFF ({str(e).splitlines()[0][:120]})") from None
    if a.ndim == 3 and a.shape[0] in (1, 3, 4) and a.shape[2] not in (1, 3, 4):
        a = np.moveaxis(a, 0, -1)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3):
        raise ImageReadError(f"cannot read image '{shown(path)}': a TIFF of shape {a.shape} is not one picture")
    return np.ascontiguousarray(a)


def encode_tiff(pixels: np.ndarray) -> bytes:
    """TIFF bytes of ``pixels`` in their own dtype (lossless, zlib-compressed)."""
    import tifffile

    buf = io.BytesIO()
    photometric = "rgb" if pixels.ndim == 3 and pixels.shape[2] in (3, 4) else "minisblack"
    extra = ["unassalpha"] if pixels.ndim == 3 and pixels.shape[2] in (2, 4) else None
    tifffile.imwrite(buf, pixels, photometric=photometric, compression="zlib", extrasamples=extra)
    return buf.getvalue()
