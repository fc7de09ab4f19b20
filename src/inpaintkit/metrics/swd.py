r"""Hole-patch SWD: the sliced Wasserstein distance between the patches of fill and truth inside the hole.

After Karras et al. 2018 (ProGAN, "multi-scale statistical similarity"): texture is compared as a
*distribution* of small patches, not pixel by pixel, so a sharp fill that paints plausible grass in the
wrong places scores well while a blur (too little band-pass energy) or noise (too much) scores badly.

For each level ``l`` of a Laplacian pyramid (``L_l = G_l - up(G_{l+1})``, ``G`` from ``cv2.pyrDown`` on RGB
in [0, 1]; levels at 1, 1/2, 1/4 of the size), take the ``7x7x3`` patches (147 values) centred on the
level's hole pixels (the mask shrunk with "any hole in the cell"; at most ``max_patches`` centres, the
same ones for both images), project both sets on ``directions`` random unit vectors (fixed seed) and
compare the sorted projections:

.. math::

    \mathrm{SWD}_l = \frac{1}{D} \sum_{d=1}^{D} \frac{1}{N} \sum_{i=1}^{N}
        \big| \operatorname{sort}(P_f\, u_d)_i - \operatorname{sort}(P_t\, u_d)_i \big|,
    \qquad \mathrm{SWD} = \operatorname{mean}_l \mathrm{SWD}_l

Only band-pass levels are used (no low-pass residual): mean colour is what
:mod:`~inpaintkit.metrics.color` measures. Identical images give 0; lower is better; values are small
(reported x1e3 in tables). An empty mask gives ``nan``.
"""
from __future__ import annotations

import math

import cv2
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from inpaintkit.metrics._checks import check_bool_mask, check_uint8_pair

__all__ = ["hole_swd", "laplacian_pyramid"]


def laplacian_pyramid(image: np.ndarray, levels: int = 3) -> list[np.ndarray]:
    """The first ``levels`` band-pass levels of a float32 ``HxWxC`` image (finest first, each half the size)."""
    out, g = [], image
    for _ in range(levels):
        down = cv2.pyrDown(g)
        out.append(g - cv2.pyrUp(down, dstsize=(g.shape[1], g.shape[0])))
        g = down
    return out


def _shrink(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """bool mask at a coarser ``shape``: a cell is hole if any of its pixels is."""
    m = cv2.resize(mask.astype(np.float32), (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    return m > 0


def _patches(level: np.ndarray, ys: np.ndarray, xs: np.ndarray, patch: int) -> np.ndarray:
    r = patch // 2
    padded = np.pad(level, ((r, r), (r, r), (0, 0)), mode="reflect")
    windows = sliding_window_view(padded, (patch, patch), axis=(0, 1))  # [H,W,C,p,p], a view
    return windows[ys, xs].reshape(len(ys), -1)  # [N, C*p*p]


def hole_swd(fill: np.ndarray, truth: np.ndarray, mask: np.ndarray, levels: int = 3, patch: int = 7,
             directions: int = 128, max_patches: int = 4096, seed: int = 0) -> float:
    """Sliced Wasserstein distance between the hole patches of ``fill`` and ``truth`` (uint8 ``HxWx3``).

    Args:
        mask: bool ``HxW``, True = hole.
        levels: Laplacian levels (1, 1/2, 1/4, ... of the size); levels smaller than the patch are skipped.
        patch: patch side (odd). directions: random projections. max_patches: patch centres per level
            (a fixed-seed sample when the hole has more). seed: projections and sample.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> t = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8); m = np.zeros((32, 32), bool); m[8:24, 8:24] = True
        >>> hole_swd(t, t, m)
        0.0
        >>> flat = t.copy(); flat[m] = 128
        >>> hole_swd(flat, t, m) > 0.01
        True
    """
    check_uint8_pair(fill, truth)
    check_bool_mask(mask, truth.shape)
    if patch < 1 or patch % 2 == 0:
        raise ValueError(f"patch must be a positive odd number, got {patch}")
    if levels < 1 or directions < 1 or max_patches < 1:
        raise ValueError(f"levels, directions and max_patches must be positive, got {levels}, {directions}, {max_patches}")
    if not mask.any():
        return math.nan
    rng = np.random.default_rng(seed)
    u = rng.standard_normal((3 * patch * patch, directions)).astype(np.float32)
    u /= np.linalg.norm(u, axis=0, keepdims=True)  # [147, D] unit directions
    pf = laplacian_pyramid(fill.astype(np.float32) / 255.0, levels)
    pt = laplacian_pyramid(truth.astype(np.float32) / 255.0, levels)
    dists = []
    for lf, lt in zip(pf, pt):
        if min(lf.shape[:2]) < patch:
            break
        ys, xs = np.nonzero(_shrink(mask, lf.shape[:2]))
        if len(ys) > max_patches:
            keep = np.sort(rng.choice(len(ys), max_patches, replace=False))
            ys, xs = ys[keep], xs[keep]
        a = np.sort(_patches(lf, ys, xs, patch) @ u, axis=0)  # [N, D]
        b = np.sort(_patches(lt, ys, xs, patch) @ u, axis=0)
        dists.append(float(np.abs(a - b).mean()))
    return float(np.mean(dists)) if dists else math.nan
