"""High-resolution filling: which crops of a large photo the network is given (as IOPaint's ``crop`` strategy).

An image whose longest side is at most ``working_size`` (:data:`WORKING_SIZE`, 512) is filled in one network
call. A larger image is never given to the network whole: hole pixels closer than :data:`MERGE_GAP` pixels are
merged into one region (``cv2.connectedComponentsWithStats`` on a dilated, block-reduced mask), and each region
is filled from a crop around it of twice its size per axis (at least :data:`MIN_CROP` = 128), resized with
``INTER_AREA`` so its longest side is at most ``working_size``, filled, resized back (bilinear) — and only that
region's hole pixels are pasted. A long but thin hole (a wire, a scratch: at most ``working_size / 4`` thick)
is instead cut into cells of ``working_size / 2`` that are each filled at full resolution. Memory beyond the
input and output arrays is bounded by the working size (crops) plus a labels image of at most ~4 MP.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator, Optional

import cv2
import numpy as np

if TYPE_CHECKING:  # models.base imports torch; a filler with fill_numpy never needs it
    from inpaintkit.models.base import Inpainter

WORKING_SIZE = 512  # longest side of what the network is given (it was trained at 128², runs at any multiple of 8)
MIN_CROP = 128  # smallest crop side around a hole (context)
MERGE_GAP = 16  # pixels: holes closer than this are filled from one crop
LABEL_PIXELS = 4_000_000  # connected components run on a mask block-reduced to at most this many pixels


@dataclass
class Crop:
    """One network call: the window ``[y0:y1, x0:x1]`` and ``paste``, the hole pixels it fills (bool, window-sized)."""

    y0: int
    y1: int
    x0: int
    x1: int
    paste: np.ndarray = field(repr=False)


def _window(start: int, extent: int, full: int) -> tuple[int, int]:
    """A window of side ``max(2 * extent, MIN_CROP)`` centred on ``[start, start+extent)``, kept inside ``[0, full)``."""
    side = min(full, max(2 * extent, MIN_CROP))
    lo = int(round(start + extent / 2 - side / 2))
    lo = min(max(lo, 0), full - side)
    return lo, lo + side


def _bbox(m: np.ndarray) -> Optional[tuple[int, int, int, int]]:
    """``(y0, y1, x0, x1)`` of the True pixels of a 2-D array, or None when there are none."""
    rows, cols = np.flatnonzero(m.any(axis=1)), np.flatnonzero(m.any(axis=0))
    if rows.size == 0:
        return None
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def plan_crops(hole: np.ndarray, working_size: int = WORKING_SIZE) -> Iterator[Crop]:
    """The windows to fill for a bool hole mask [H,W] (see the module doc). Whole image when it is small.

    Regions are found on a block-reduced mask (blocks of f x f pixels, f chosen so it has <= ~4 MP). A region
    whose window would have to be reduced is *tiled* instead when it is thin (at most ``working_size / 4``
    pixels thick, e.g. a wire or a scratch across the photo): it is cut into cells of ``working_size / 2``
    and each cell is filled at full resolution. Every hole pixel is pasted by exactly one crop.
    """
    h, w = hole.shape
    if max(h, w) <= working_size:
        yield Crop(0, h, 0, w, hole)
        return
    f = max(1, int(np.ceil(np.sqrt(h * w / LABEL_PIXELS))))  # block factor: labels stay <= ~4 MP
    hb, wb = -(-h // f), -(-w // f)
    if f == 1:
        small = hole.astype(np.uint8)
    else:  # any hole pixel in an f x f block marks the block
        small = np.zeros((hb, wb), np.uint8)
        for dy in range(f):
            for dx in range(f):
                sub = hole[dy::f, dx::f]
                small[: sub.shape[0], : sub.shape[1]] |= sub.view(np.uint8)
    gap = max(1, int(round(MERGE_GAP / f)))
    merged = cv2.dilate(small, np.ones((2 * gap + 1, 2 * gap + 1), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(merged, connectivity=8, ltype=cv2.CV_32S)
    step = max(1, (working_size // 2) // f)  # tile side in blocks
    for i in range(1, n):
        bx, by, bw, bh = (int(v) for v in stats[i, :4])  # box of the merged (dilated) region, in blocks
        comp = (small[by : by + bh, bx : bx + bw] > 0) & (labels[by : by + bh, bx : bx + bw] == i)  # its hole blocks
        box = _bbox(comp)
        if box is None:
            continue
        cells = [box]
        if 2 * max(box[1] - box[0], box[3] - box[2]) * f > working_size:  # its window would be reduced
            inner = comp[box[0] : box[1], box[2] : box[3]]
            depth = cv2.distanceTransform(np.pad(inner, 1).astype(np.uint8), cv2.DIST_L2, 3).max()
            if 2 * depth * f <= working_size / 4:  # thin: tile at full resolution
                cells = []
                for ty in range(box[0], box[1], step):
                    for tx in range(box[2], box[3], step):
                        cb = _bbox(comp[ty : min(ty + step, box[1]), tx : min(tx + step, box[3])])
                        if cb is not None:
                            cells.append((ty + cb[0], ty + cb[1], tx + cb[2], tx + cb[3]))
        for cy0, cy1, cx0, cx1 in cells:
            Y0, Y1 = (by + cy0) * f, min(h, (by + cy1) * f)  # the cell in full-resolution pixels
            X0, X1 = (bx + cx0) * f, min(w, (bx + cx1) * f)
            y0, y1 = _window(Y0, Y1 - Y0, h)
            x0, x1 = _window(X0, X1 - X0, w)
            rows, cols = np.arange(y0, y1), np.arange(x0, x1)
            member = labels[(rows // f)[:, None], (cols // f)[None, :]] == i  # [y1-y0, x1-x0]
            member &= ((rows >= Y0) & (rows < Y1))[:, None] & ((cols >= X0) & (cols < X1))[None, :]
            paste = hole[y0:y1, x0:x1] & member
            if paste.any():
                yield Crop(y0, y1, x0, x1, paste)



def fill_window(filler: Inpainter, colour: np.ndarray, hole: np.ndarray, working_size: int) -> np.ndarray:
    """Fill float32 [h,w,3] ``colour`` (holes included) at ≤ working size; returns float32 [h,w,3] in [0,1]."""
    h, w = hole.shape
    s = min(1.0, working_size / max(h, w))
    if s < 1.0:
        nh, nw = max(1, int(round(h * s))), max(1, int(round(w * s)))
        small = cv2.resize(colour, (nw, nh), interpolation=cv2.INTER_AREA)
        # a reduced pixel is a hole if any of its source pixels is: known reduced pixels carry no hole colour
        small_hole = cv2.resize(hole.astype(np.float32), (nw, nh), interpolation=cv2.INTER_AREA) > 0
    else:
        small, small_hole = colour, hole
    pred = fill_one(filler, small, small_hole)
    if s < 1.0:
        pred = cv2.resize(pred, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.clip(pred, 0.0, 1.0)


def fill_one(filler: Inpainter, colour: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """One network call: float32 [h,w,3] and bool [h,w] -> float32 [h,w,3]. A filler with ``fill_numpy`` (ONNX
    graphs, classical methods: :mod:`inpaintkit.models.arrays`) is given numpy arrays and torch is never
    imported; any other (a PyTorch network, an object with ``.fill``) torch tensors, as always."""
    if hasattr(filler, "fill_numpy"):
        x = np.ascontiguousarray(np.transpose(colour, (2, 0, 1))[None], np.float32)  # [1,3,h,w]
        m = hole.astype(np.float32)[None, None]  # [1,1,h,w]
        return np.transpose(filler.fill_numpy(x, m)[0], (1, 2, 0)).astype(np.float32, copy=False)
    import torch

    x = torch.from_numpy(np.ascontiguousarray(colour)).permute(2, 0, 1)[None]  # [1,3,h',w']
    m = torch.from_numpy(np.ascontiguousarray(hole)).float()[None, None]  # [1,1,h',w']
    with torch.inference_mode():
        return filler.fill(x, m)[0].permute(1, 2, 0).float().numpy()  # [h',w',3]
