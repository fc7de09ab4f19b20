"""Optical flow between consecutive frames (OpenCV DIS) and its completion inside the hole.

Flow is computed on grey frames reduced by ``scale`` (0.5 by default: four times fewer pixels, and DIS is
robust at that size) and kept at that size: a flow field is float32 ``[h, w, 2]`` with ``(dx, dy)`` in
*reduced* pixels, ``h = round(H * scale)``. :func:`sample` reads it at full-resolution points and returns
full-resolution displacements.

Inside the hole the measured flow follows the object that is to be removed, not the background behind it,
and DIS's coarse pyramid levels carry that motion some way out of the hole. Those values (the hole and a
band around it) are thrown away and rebuilt (:func:`complete_flow`): from the motion around each part of
the hole, a homography fitted with RANSAC to the flow within ``reach`` pixels of it (``"local"``, the default
of :class:`FlowEstimator` and :class:`~inpaintkit.video.propagate.VideoFillConfig`); from the camera's motion,
one homography fitted to the flow everywhere else (``"homography"``, :func:`complete_flow`'s own default); or (``"membrane"``) by a
push-pull pyramid (normalised averaging at halving resolutions, then filling down the pyramid), a smooth
membrane over the hole, which bends with the object.
"""
from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

from inpaintkit.images.mask import grow

PRESETS = {"ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST, "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
           "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}
COMPLETIONS = ("homography", "local", "membrane")
_CHUNK = 4096  # cv2.remap maps are at most 32767 per side: points are sampled as rows of this length


def push_pull(values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Fill the pixels of ``values`` float32 ``[h,w]`` or ``[h,w,C]`` where ``known`` (bool ``[h,w]``) is False
    from the known ones; known pixels are returned unchanged. With no known pixel at all, zeros."""
    vals = values.astype(np.float32, copy=False)
    single = vals.ndim == 2
    if single:
        vals = vals[..., None]
    w = known.astype(np.float32)[..., None]
    levels = [(vals * w, w)]
    while min(levels[-1][1].shape[:2]) > 2 and float(levels[-1][1].min()) <= 0.0:
        v, wt = levels[-1]
        size = (max(1, wt.shape[1] // 2), max(1, wt.shape[0] // 2))
        v2 = cv2.resize(v, size, interpolation=cv2.INTER_AREA).reshape(size[1], size[0], -1)
        w2 = cv2.resize(wt, size, interpolation=cv2.INTER_AREA).reshape(size[1], size[0], 1)
        levels.append((v2, w2))
    v, wt = levels[-1]
    if float(wt.max()) <= 0.0:
        out = np.zeros_like(vals)
        return out[..., 0] if single else out
    mean = v.sum(axis=(0, 1)) / wt.sum()
    cur = np.where(wt > 0, v / np.maximum(wt, 1e-8), mean)
    for v, wt in reversed(levels[:-1]):
        up = cv2.resize(cur, (wt.shape[1], wt.shape[0]), interpolation=cv2.INTER_LINEAR).reshape(v.shape)
        a = np.clip(wt * 4.0, 0.0, 1.0)  # a level's pixel with a quarter known is trusted fully
        cur = a * (v / np.maximum(wt, 1e-8)) + (1.0 - a) * up
    out = np.where(known[..., None], vals, cur).astype(np.float32)
    return out[..., 0] if single else out


def _fit(flow: np.ndarray, use: np.ndarray, step: int) -> Optional[np.ndarray]:
    """A homography (3x3) fitted by RANSAC to ``flow`` at a grid of points every ``step`` pixels where ``use``."""
    h, w = use.shape
    gy, gx = np.mgrid[step // 2:h:step, step // 2:w:step]
    keep = use[gy, gx]
    if int(keep.sum()) < 16:
        return None
    src = np.stack([gx[keep], gy[keep]], 1).astype(np.float32)
    H, _ = cv2.findHomography(src, src + flow[gy[keep], gx[keep]], cv2.RANSAC, 0.5, maxIters=500)
    return H


def _apply(H: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    pts = np.stack([xs, ys], 1).astype(np.float32)
    return cv2.perspectiveTransform(pts[:, None], H)[:, 0] - pts


def complete_flow(flow: np.ndarray, hole: np.ndarray, mode: str = "homography", band: int = 8,
                  step: int = 8, reach: int = 32) -> np.ndarray:
    """Replace ``flow`` float32 ``[h,w,2]`` in ``hole`` (bool ``[h,w]``) and a ``band`` of pixels around it
    (where DIS's coarse levels still feel the object) by a completion from the rest.

    ``"homography"``: the camera's motion, one homography fitted by RANSAC to the rest of the flow (a grid of
    points every ``step`` pixels); falls back to the membrane when the fit fails. ``"local"``: for each
    connected part of the replaced region, a homography fitted to the flow within ``reach`` pixels of that
    part: the motion next to the hole, not the whole frame's (the global homography where too few points). ``"membrane"``: a push-pull of the flow itself (bends with whatever
    moves beside the hole).
    """
    if not hole.any():
        return flow
    bad = hole
    if band > 0:
        bad = grow(hole, band)
        if bad.all():
            bad = hole
    if mode == "membrane":
        return push_pull(flow, ~bad)
    out = flow.copy()
    h, w = bad.shape
    if mode == "local":
        n, labels, boxes, _ = cv2.connectedComponentsWithStats(bad.view(np.uint8), connectivity=8)
        for c in range(1, n):
            x, y, bw, bh = boxes[c, :4]
            y0, x0 = max(0, y - reach), max(0, x - reach)  # the part's box and `reach` around it: grow it there
            y1, x1 = min(h, y + bh + reach), min(w, x + bw + reach)
            part = labels[y0:y1, x0:x1] == c
            near = np.zeros_like(bad)
            near[y0:y1, x0:x1] = grow(part, reach) & ~bad[y0:y1, x0:x1]
            H = _fit(flow, near, step)
            if H is None:  # too few points near it: the global fit (or the membrane) for everything
                return complete_flow(flow, hole, "homography", band, step)
            py, px = np.nonzero(part)
            out[py + y0, px + x0] = _apply(H, py + y0, px + x0)
        return out
    H = _fit(flow, ~bad, step)
    if H is None:
        return push_pull(flow, ~bad)
    ys, xs = np.nonzero(bad)
    out[ys, xs] = _apply(H, ys, xs)
    return out


class FlowEstimator:
    """DIS optical flow at ``scale`` of the frame size, with the hole masked out and completed.

    ``prepare(frame [H,W,3] uint8, hole [H,W] bool)`` returns the reduced grey frame (hole pre-filled so the
    object's texture does not drag the flow around it) and the reduced hole (dilated by ``margin`` reduced
    pixels); ``flow(grey_a, grey_b, hole_a)`` returns the completed flow a->b, float32 ``[h,w,2]``.
    """

    def __init__(self, scale: float = 0.5, preset: str = "medium", margin: int = 2, completion: str = "local",
                 reach: int = 32):
        if preset not in PRESETS:
            raise ValueError(f"flow preset must be one of {', '.join(PRESETS)}, got {preset!r}")
        if not 0.05 <= scale <= 1.0:
            raise ValueError(f"flow scale must be in [0.05, 1], got {scale}")
        if completion not in COMPLETIONS:
            raise ValueError(f"flow completion must be one of {', '.join(COMPLETIONS)}, got {completion!r}")
        self.scale, self.preset, self.margin, self.completion = float(scale), preset, int(margin), completion
        self.reach = int(reach)
        self._dis = cv2.DISOpticalFlow_create(PRESETS[preset])

    def reduced_size(self, h: int, w: int) -> tuple[int, int]:
        return max(8, int(round(h * self.scale))), max(8, int(round(w * self.scale)))

    def prepare(self, frame: np.ndarray, hole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h, w = self.reduced_size(*hole.shape)
        grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        if (h, w) != hole.shape:
            grey = cv2.resize(grey, (w, h), interpolation=cv2.INTER_AREA)
            small = cv2.resize(hole.astype(np.uint8), (w, h), interpolation=cv2.INTER_AREA) > 0
        else:
            small = hole.copy()
        if self.margin > 0 and small.any():
            k = 2 * self.margin + 1
            small = cv2.dilate(small.astype(np.uint8), np.ones((k, k), np.uint8)) > 0
        if small.any() and not small.all():
            grey = np.clip(push_pull(grey.astype(np.float32), ~small), 0, 255).astype(np.uint8)
        return grey, small

    def flow(self, grey_a: np.ndarray, grey_b: np.ndarray, hole_a: Optional[np.ndarray] = None) -> np.ndarray:
        f = self._dis.calc(grey_a, grey_b, None)
        if hole_a is not None and hole_a.any():
            f = complete_flow(f, hole_a, self.completion, reach=self.reach)
        return f


def sample(image: np.ndarray, xy: np.ndarray, scale: float = 1.0, interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
    """Values of ``image`` ``[h,w]`` or ``[h,w,C]`` at full-resolution points ``xy`` float32 ``[N,2]`` (x, y).

    ``scale`` is the size of ``image`` relative to full resolution (points are multiplied by it); the image
    border is replicated. Returns ``[N]`` or ``[N,C]`` (float32 for a float image, else the image's dtype).
    """
    n = len(xy)
    channels = 1 if image.ndim == 2 else image.shape[2]
    if n == 0:
        return np.zeros((0,) if image.ndim == 2 else (0, channels), image.dtype)
    rows = -(-n // _CHUNK)
    pad = rows * _CHUNK - n
    pts = xy.astype(np.float32) * np.float32(scale)
    if scale != 1.0:  # pixel centres: x_small = (x + 0.5) * s - 0.5
        pts += np.float32(0.5 * scale - 0.5)
    if pad:
        pts = np.concatenate([pts, np.zeros((pad, 2), np.float32)])
    mx = np.ascontiguousarray(pts[:, 0].reshape(rows, _CHUNK))
    my = np.ascontiguousarray(pts[:, 1].reshape(rows, _CHUNK))
    out = cv2.remap(image, mx, my, interpolation, borderMode=cv2.BORDER_REPLICATE)
    return out.reshape(rows * _CHUNK, *(() if image.ndim == 2 else (channels,)))[:n]


def displacement(flow: np.ndarray, xy: np.ndarray, scale: float) -> np.ndarray:
    """Full-resolution displacements ``[N,2]`` at full-resolution points ``xy`` of a reduced ``flow``."""
    return sample(flow, xy, scale) / np.float32(scale)


def warp(image: np.ndarray, flow: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Backward-warp ``image`` ``[H,W,C]`` by ``flow`` (from the target frame to ``image``; ``[h,w,2]`` at
    ``scale``): ``out(p) = image(p + flow(p))``, bilinear. Returns the image's shape and dtype."""
    h, w = image.shape[:2]
    f = flow
    if f.shape[:2] != (h, w):
        f = cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR) / np.float32(scale)
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(image, gx + f[..., 0], gy + f[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
