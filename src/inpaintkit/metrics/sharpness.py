r"""Hole sharpness ratio: how much detail a fill has compared with the truth, inside the hole.

.. math::

    S(f, t, M) = \frac{\operatorname{mean}_{p \in M} \lVert \nabla Y_f(p) \rVert}
                      {\operatorname{mean}_{p \in M} \lVert \nabla Y_t(p) \rVert}

with ``Y`` the luma ``0.299 R + 0.587 G + 0.114 B`` (0-255 scale), ``\nabla`` the 3x3 Sobel gradient
(``cv2.Sobel``, reflected borders, so the pixels next to the hole count too) and ``M`` the hole pixels.
``1.0`` means the fill is as detailed as the truth; a smooth blur scores well below 1, a noisy fill above.
The ratio is not a distance: noise of the right strength also scores 1. Read it beside PSNR and
:mod:`~inpaintkit.metrics.swd`. A flat truth (zero gradient in the hole) gives ``nan``; an empty mask ``nan``.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from inpaintkit.metrics._checks import check_bool_mask, check_uint8_pair

__all__ = ["gradient_magnitude", "hole_gradient", "hole_sharpness"]

_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def gradient_magnitude(image: np.ndarray) -> np.ndarray:
    """Sobel gradient magnitude of the luma of a uint8 ``HxWx3`` image → float32 ``HxW``.

    Example:
        >>> img = np.zeros((5, 5, 3), np.uint8); img[:, 3:] = 255      # a vertical edge
        >>> g = gradient_magnitude(img); float(g[2, 0]), float(g[2, 2]) > 0
        (0.0, True)
    """
    y = image.astype(np.float32) @ _LUMA  # [H,W]
    gx = cv2.Sobel(y, cv2.CV_32F, 1, 0, ksize=3, borderType=cv2.BORDER_REFLECT_101)
    gy = cv2.Sobel(y, cv2.CV_32F, 0, 1, ksize=3, borderType=cv2.BORDER_REFLECT_101)
    return np.sqrt(gx * gx + gy * gy)


def hole_gradient(image: np.ndarray, mask: np.ndarray) -> float:
    """Mean Sobel gradient magnitude of the luma of uint8 ``HxWx3`` ``image`` over the ``mask`` pixels
    (``nan`` for an empty mask): the numerator or denominator of :func:`hole_sharpness`. The evaluator
    pools them over a band (ratio of the band's means) so that a nearly flat truth cannot blow up the mean."""
    if not mask.any():
        return math.nan
    return float(gradient_magnitude(image)[mask].mean())


def hole_sharpness(fill: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> float:
    """Mean Sobel gradient magnitude of ``fill`` over the hole divided by that of ``truth``.

    Args:
        fill, truth: uint8 ``HxWx3`` images (the composited output and the original).
        mask: bool ``HxW``, True = hole.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> t = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8); m = np.zeros((16, 16), bool); m[4:12, 4:12] = True
        >>> hole_sharpness(t, t, m)
        1.0
        >>> flat = t.copy(); flat[m] = 128
        >>> hole_sharpness(flat, t, m) < 0.5
        True
    """
    check_uint8_pair(fill, truth)
    check_bool_mask(mask, truth.shape)
    den = hole_gradient(truth, mask)
    if not den > 0.0:  # empty mask (nan) or flat truth
        return math.nan
    return hole_gradient(fill, mask) / den
