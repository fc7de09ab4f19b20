"""Tiny synthetic clips where the truth is known: a textured background (optionally panning) and a square
that moves over it. Made by the tests themselves; nothing is read from disk."""
from __future__ import annotations

import cv2
import numpy as np


def texture(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A smooth-plus-fine random texture, uint8 [h,w,3] (no two places alike, so copying the wrong one shows)."""
    rng = np.random.default_rng(seed)
    coarse = cv2.resize(rng.random((h // 8 + 1, w // 8 + 1, 3)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    fine = cv2.GaussianBlur(rng.random((h, w, 3)).astype(np.float32), (0, 0), 1.2)
    return np.clip((0.65 * coarse + 0.35 * fine) * 255, 0, 255).astype(np.uint8)


def moving_square(n: int = 12, h: int = 64, w: int = 96, side: int = 16, speed=(3, 1), pan=(0, 0), seed: int = 0):
    """(frames, masks, truth): ``n`` uint8 [h,w,3] frames with a grey square moving by ``speed`` px per frame
    over a background that pans by ``pan`` px per frame (integers: the truth is an exact crop), bool masks
    [h,w] marking the square, and the clean frames."""
    px, py = abs(pan[0]) * n + 1, abs(pan[1]) * n + 1
    big = texture(h + 2 * py, w + 2 * px, seed)
    frames, masks, truth = [], [], []
    for t in range(n):
        ox, oy = px + pan[0] * t, py + pan[1] * t
        bg = big[oy: oy + h, ox: ox + w].copy()
        x0, y0 = 8 + speed[0] * t, 16 + speed[1] * t
        m = np.zeros((h, w), bool)
        m[y0: y0 + side, x0: x0 + side] = True
        f = bg.copy()
        f[m] = (200, 60, 60)
        frames.append(f)
        masks.append(m)
        truth.append(bg)
    return frames, masks, truth


def static_box(n: int = 8, h: int = 48, w: int = 64, seed: int = 1):
    """A still shot (with small sensor noise) and one watermark box for every frame: (frames, mask, truth)."""
    bg = texture(h, w, seed)
    rng = np.random.default_rng(seed)
    frames, truth = [], []
    m = np.zeros((h, w), bool)
    m[12:28, 20:44] = True
    for _ in range(n):
        clean = np.clip(bg.astype(np.int16) + rng.integers(-2, 3, bg.shape), 0, 255).astype(np.uint8)
        f = clean.copy()
        f[m] = 255
        frames.append(f)
        truth.append(clean)
    return frames, m, truth


def hole_psnr(out, truth, mask) -> float:
    """PSNR (dB) over the hole pixels of a list of frames."""
    err = [((o.astype(np.float64) - g.astype(np.float64))[m] ** 2) for o, g, m in
           zip(out, truth, mask if isinstance(mask, list) else [mask] * len(out))]
    mse = float(np.mean(np.concatenate([e.ravel() for e in err])))
    return 10 * np.log10(255.0 ** 2 / max(mse, 1e-10))
