"""The mask rule, defined once: which pixels of a mask (a file, a PIL image or an array) are holes.

A mask's level is read on a 0..255 scale (16-bit masks are scaled, 32-bit integer masks above 255 too) and a
pixel is a hole when its level is above :data:`HOLE_LEVEL` (127): white = hole, the NVIDIA convention. A mask
with an alpha channel that is not fully opaque everywhere uses its alpha instead (opaque = hole: a brush layer
painted on a transparent background). Bool arrays are used as they are; a number array is put on the 0..255
scale by its dtype whatever its shape (:func:`mask_levels`: uint16 scaled, other integers clipped, floats on
[0, 1], so hole = value > 0.5; NaN / inf and floats outside [0, 1] refused). :mod:`inpaintkit.validate` gathers
this rule with the Python API's other input rules. The web page (``server/static/app.js``) applies the same rule before it sends a mask;
``tests/test_model_spec.py`` checks that the two agree.

>>> import numpy as np
>>> mask_to_bool(np.array([[0, 127, 128, 255]], np.uint8)).tolist()
[[False, False, True, True]]
"""
from __future__ import annotations

import os
from typing import Optional, Tuple

import cv2
import numpy as np
from PIL import Image

from inpaintkit.errors import InpaintError
from inpaintkit.images.read import _high_bit_to_uint8, convert, decoded, open_checked

HOLE_LEVEL = 127  # a mask level (0..255) above this is a hole


def grow(mask: np.ndarray, radius: int) -> np.ndarray:
    """bool [H,W]: ``mask`` (bool [H,W]) grown by ``radius`` pixels (a disc: OpenCV's elliptic dilation).

    >>> m = np.zeros((5, 5), bool); m[2, 2] = True
    >>> int(grow(m, 1).sum()), bool(grow(m, 0)[2, 2])
    (5, True)
    """
    k = 2 * int(radius) + 1
    return cv2.dilate(mask.view(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))) > 0


def is_hole(plane: np.ndarray) -> np.ndarray:
    """bool: the pixels of a uint8 mask plane (0..255) that are holes (level > :data:`HOLE_LEVEL`)."""
    return plane > HOLE_LEVEL


def mask_plane(im: Image.Image) -> np.ndarray:
    """The uint8 [H,W] plane that carries the mask (see :func:`read_mask` for the rule)."""
    if im.mode == "P":
        im = im.convert("RGBA") if "transparency" in im.info else im.convert("L")
    if im.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        alpha = np.asarray(im.getchannel("A"), dtype=np.uint8)
        if alpha.min() < 255:  # transparency present: the alpha channel is the mask
            return alpha
        im = im.convert("L" if im.mode.startswith("L") else "RGB")
    if im.mode.startswith("I") or im.mode == "F":
        return _high_bit_to_uint8(np.asarray(im), im.mode.startswith("I;16"))
    if im.mode != "L":
        im = convert(im, "L")  # ITU-R 601 luma; a black/white mask stays 0/255 (LAB, HSV: through RGB)
    return np.asarray(im, dtype=np.uint8)


def read_mask(path, size: Optional[Tuple[int, int]] = None) -> np.ndarray:
    """Read a mask file as bool [H,W], True = hole.

    Rule: hole = value > 127, where value is the grayscale level (white = hole, the NVIDIA convention), except
    when the file has an alpha channel that is not fully opaque everywhere: then the alpha channel carries the
    mask and opaque pixels (alpha > 127) are holes, transparent ones are known (a brush layer painted on a
    transparent background). 16-bit masks are scaled to 8 bits first.

    With ``size=(h, w)`` the plane is resized with ``cv2.INTER_NEAREST`` *before* thresholding, exactly the
    protocol (source pixel ``floor(i * 512 / 128)`` for 512 -> 128).
    """
    plane = decoded(path, mask_plane, open_checked(path))
    if size is not None:
        h, w = _check_hw(size)
        if plane.shape != (h, w):
            plane = cv2.resize(plane, (w, h), interpolation=cv2.INTER_NEAREST)
    return is_hole(plane)


def _check_hw(size) -> Tuple[int, int]:
    if isinstance(size, (int, np.integer)):
        size = (int(size), int(size))
    if len(size) != 2 or min(size) < 1:
        raise ValueError(f"size must be (height, width) with positive values, got {size!r}")
    return int(size[0]), int(size[1])



def _unit_floats(a: np.ndarray) -> None:
    """A float mask: finite, in [0, 1]; InpaintError with one line otherwise."""
    bad = ~np.isfinite(a)
    if bad.any():
        n = int(np.count_nonzero(bad))
        raise InpaintError(f"mask holds {n:,} NaN or infinite value{'s' if n != 1 else ''}; give finite values in [0, 1]")
    lo, hi = (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)
    if lo < 0.0 or hi > 1.0:
        hint = " (a 0..255 mask: divide it by 255, or give uint8)" if 1.0 < hi <= 255.0 and lo >= 0.0 else ""
        raise InpaintError(f"float mask values must be in [0, 1], got {lo:g}..{hi:g}{hint}")


def mask_levels(m: np.ndarray) -> np.ndarray:
    """A number array (any shape) on the 0..255 scale of its dtype, as uint8 (the mask rule's first step)."""
    if m.dtype == bool:
        return m.astype(np.uint8) * np.uint8(255)
    if m.dtype == np.uint8:
        return m
    if m.dtype == np.uint16:
        return np.rint(m / 257.0).astype(np.uint8)
    if m.dtype.kind in "iu":
        return np.clip(m, 0, 255).astype(np.uint8)
    if m.dtype.kind == "f":
        _unit_floats(m)
        return np.ceil(m.astype(np.float64) * 255.0 - 0.5).astype(np.uint8)  # half rounds down: 0.5 is no hole
    raise InpaintError(f"mask dtype {m.dtype} is not supported (give bool, an integer type or float in [0, 1])")


def mask_to_bool(mask, shape: Optional[tuple] = None) -> np.ndarray:
    """Any mask (bool / number array, torch tensor, PIL image, image file path) -> bool [H,W], True = hole (rule
    in the module doc: one rule, by dtype, for every shape)."""
    if isinstance(mask, (str, os.PathLike)):
        return read_mask(mask)
    if isinstance(mask, Image.Image):
        im = mask.convert("L") if mask.mode == "1" else mask
        if im.mode.startswith("I;16"):
            return mask_to_bool(np.asarray(im).astype(np.uint16))
        return is_hole(mask_plane(im))
    if hasattr(mask, "detach") and hasattr(mask, "numpy"):  # a torch tensor (torch is not imported here)
        mask = mask.detach().cpu().numpy()
    if not isinstance(mask, np.ndarray):
        raise InpaintError(f"mask must be an array, a PIL image or a file path, got {type(mask).__name__}")
    m = np.squeeze(mask) if mask.ndim > 2 and mask.shape[-1] == 1 else mask
    if m.ndim == 3 and m.shape[2] in (2, 3, 4):
        modes = {2: "LA", 3: "RGB", 4: "RGBA"}
        return is_hole(mask_plane(Image.fromarray(np.ascontiguousarray(mask_levels(m)), mode=modes[m.shape[2]])))
    if m.ndim != 2:
        raise InpaintError(f"mask must be [H,W] (or an image), got shape {mask.shape}")
    if m.dtype == bool:
        return m
    return is_hole(mask_levels(m))


