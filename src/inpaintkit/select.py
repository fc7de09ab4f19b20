"""Smart selection: the mask of the object inside a box, by OpenCV's GrabCut (no network, no downloaded weights).

    >>> import numpy as np
    >>> y, x = np.mgrid[0:120, 0:160]
    >>> img = np.full((120, 160, 3), (40, 90, 40), np.uint8)
    >>> img[(x - 80) ** 2 + (y - 60) ** 2 < 30 ** 2] = (230, 200, 40)
    >>> mask = grabcut_select(img, (40, 20, 120, 100))
    >>> round(float(mask.mean()), 2)  # the disc: pi * 30^2 / (160 * 120) = 0.15
    0.15

GrabCut models the colours inside and outside the box as Gaussian mixtures and cuts the box's pixels into
object and background along strong edges. Large photos are cut on the box's neighbourhood only, reduced so its
longer side is at most ``max_side`` pixels (GrabCut costs about a second per megapixel), and the mask is
scaled back up with a smooth edge. ``points`` (image pixels inside the box) are marked as sure object: a click
on the object, where the box alone is ambiguous.
"""
from __future__ import annotations

from typing import Iterable, Optional, Sequence

import cv2
import numpy as np

MAX_SIDE = 800  # the cut runs on at most this many pixels along the longer side of the box's neighbourhood
MARGIN = 0.1  # context around the box (a fraction of its size) the colour model of the background learns from


class SelectError(ValueError):
    """A box or image GrabCut cannot work with; the message is one line."""


def as_rgb8(pixels: np.ndarray) -> np.ndarray:
    """Any picture array (grey, grey+alpha, RGB, RGBA; uint8 or uint16) as uint8 RGB [H,W,3]."""
    a = np.asarray(pixels)
    if a.dtype == np.uint16:
        a = (a >> 8).astype(np.uint8)
    elif a.dtype != np.uint8:
        a = np.clip(np.asarray(a, np.float64) * (255 if a.dtype.kind == "f" else 1), 0, 255).astype(np.uint8)
    if a.ndim == 2:
        a = a[..., None]
    if a.shape[2] in (2, 4):
        a = a[..., :-1]  # alpha is no hint of what the object is
    if a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    return np.ascontiguousarray(a)


def grabcut_select(image: np.ndarray, box: Sequence[float], points: Optional[Iterable[Sequence[float]]] = None,
                   *, iterations: int = 5, max_side: int = MAX_SIDE) -> np.ndarray:
    """bool [H,W], True = the object inside ``box`` = (x0, y0, x1, y1) in image pixels (any corner order).

    ``points``: (x, y) pixels known to be on the object. Raises :class:`SelectError` for a box under 4x4
    pixels or outside the image.
    """
    rgb = as_rgb8(image)
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = (float(v) for v in box)
    (x0, x1), (y0, y1) = sorted((x0, x1)), sorted((y0, y1))
    x0, x1, y0, y1 = max(0.0, x0), min(float(w), x1), max(0.0, y0), min(float(h), y1)
    if x1 - x0 < 4 or y1 - y0 < 4:
        raise SelectError(f"the box must cover at least 4x4 pixels of the {w}x{h} image")
    # the neighbourhood: the box and a margin of context, reduced to max_side
    mx, my = MARGIN * (x1 - x0) + 8, MARGIN * (y1 - y0) + 8
    cx0, cy0 = int(max(0, x0 - mx)), int(max(0, y0 - my))
    cx1, cy1 = int(min(w, np.ceil(x1 + mx))), int(min(h, np.ceil(y1 + my)))
    crop = rgb[cy0:cy1, cx0:cx1]
    s = min(1.0, max_side / max(crop.shape[:2]))
    small = crop if s == 1 else cv2.resize(crop, (max(1, round(crop.shape[1] * s)), max(1, round(crop.shape[0] * s))),
                                           interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    rx0, ry0 = int(round((x0 - cx0) * s)), int(round((y0 - cy0) * s))
    rx1, ry1 = min(sw, int(round((x1 - cx0) * s))), min(sh, int(round((y1 - cy0) * s)))
    cut = np.full((sh, sw), cv2.GC_BGD, np.uint8)
    cut[ry0:ry1, rx0:rx1] = cv2.GC_PR_FGD
    for px, py in points or ():
        qx, qy = int((float(px) - cx0) * s), int((float(py) - cy0) * s)
        if 0 <= qx < sw and 0 <= qy < sh:
            cv2.circle(cut, (qx, qy), max(2, round(0.02 * max(sw, sh))), int(cv2.GC_FGD), -1)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    bgr = np.ascontiguousarray(small[..., ::-1])
    if not (cut == cv2.GC_BGD).any():  # the box is the whole image: GrabCut needs some background, take the rim
        cut[[0, -1], :] = cv2.GC_BGD
        cut[:, [0, -1]] = cv2.GC_BGD
    try:
        cv2.grabCut(bgr, cut, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    except cv2.error:  # e.g. a box of one flat colour: nothing to tell object from background
        raise SelectError("could not tell an object from its background in this box; draw a larger one") from None
    fg = np.isin(cut, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.float32)
    if s != 1:
        fg = cv2.resize(fg, (crop.shape[1], crop.shape[0]), interpolation=cv2.INTER_LINEAR)
    out = np.zeros((h, w), bool)
    out[cy0:cy1, cx0:cx1] = fg >= 0.5
    return out
