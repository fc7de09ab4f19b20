r"""Structural similarity (SSIM, Wang et al. 2004), as the evaluation protocol defines it.

.. math::

    \mathrm{SSIM}(x, y) = \frac{(2\mu_x\mu_y + C_1)\,(2\sigma_{xy} + C_2)}
                               {(\mu_x^2 + \mu_y^2 + C_1)\,(\sigma_x^2 + \sigma_y^2 + C_2)},
    \qquad C_1 = (K_1 L)^2,\; C_2 = (K_2 L)^2

``μ``, ``σ²``, ``σxy`` are local means, variances and covariance weighted by a normalised Gaussian
window of 11x11 taps, σ = 1.5 (population statistics: no N/(N-1) sample correction), K1 = 0.01,
K2 = 0.03, L the data range (255 for uint8). The SSIM map is averaged over the valid region only —
5 pixels (the window radius) are left out at every border, so no border padding ever enters the
result — and then over the channels. This is exactly::

    skimage.metrics.structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
        use_sample_covariance=False, data_range=255, channel_axis=-1)

(scikit-image filters with truncate=3.5 → radius int(3.5·1.5 + 0.5) = 5, then crops
``(win_size - 1) // 2 = 5`` pixels per border before the mean). :func:`ssim` does it about 4x
faster (OpenCV separable filtering of all 15 statistic planes in one call, float64, reused buffers).
"""
from __future__ import annotations

import threading

import cv2
import numpy as np

from inpaintkit.metrics._checks import check_uint8_pair

__all__ = ["ssim", "gaussian_window"]

SIGMA = 1.5
RADIUS = 5  # int(3.5 * SIGMA + 0.5), scipy's truncate=3.5 → an 11-tap window
WIN = 2 * RADIUS + 1
K1, K2 = 0.01, 0.03


def gaussian_window(sigma: float = SIGMA, radius: int = RADIUS) -> np.ndarray:
    """Normalised 1-D Gaussian taps ``exp(-x²/2σ²) / Σ``, ``x = -radius..radius`` (float64, as scipy's).

    Example:
        >>> w = gaussian_window()
        >>> w.shape, round(float(w.sum()), 12), round(float(w[5]), 4)
        ((11,), 1.0, 0.266)
    """
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    w = np.exp(-0.5 * (x / sigma) ** 2)
    return w / w.sum()


_G = gaussian_window()
_local = threading.local()  # per-thread scratch buffers: fresh 2 MB arrays per call cost more than the maths


def _buffers(c: int, h: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    key = (c, h, w)
    if getattr(_local, "key", None) != key:
        _local.key = key
        _local.stats = np.empty((5, c, h, w))  # x, y, x², y², xy per channel plane
        _local.filtered = np.empty((5 * c * h, w))
        _local.tmp = np.empty((4, c, h - 2 * RADIUS, w - 2 * RADIUS))
    return _local.stats, _local.filtered, _local.tmp


def _check_size(h: int, w: int) -> None:
    if h < WIN or w < WIN:
        raise ValueError(f"SSIM needs images of at least {WIN}x{WIN}, got {h}x{w}")


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM of two uint8 ``HxWx3`` images (the protocol's definition above), in [-1, 1].

    Example:
        >>> import numpy as np
        >>> a = (np.arange(32 * 32 * 3) % 251).astype(np.uint8).reshape(32, 32, 3)
        >>> ssim(a, a)
        1.0
        >>> round(ssim(a, 255 - a), 4)
        -0.9734
    """
    check_uint8_pair(a, b)
    h, w, c = a.shape
    _check_size(h, w)
    st, filt, tmp = _buffers(c, h, w)
    x, y = st[0], st[1]  # [C,H,W] float64
    x[...] = a.transpose(2, 0, 1)
    y[...] = b.transpose(2, 0, 1)
    np.multiply(x, x, out=st[2])
    np.multiply(y, y, out=st[3])
    np.multiply(x, y, out=st[4])
    # The 15 planes stacked as one tall image: the vertical taps of a kept row (RADIUS..H-RADIUS-1 of
    # its plane) never reach a neighbouring plane, and the border mode only touches cropped pixels.
    cv2.sepFilter2D(st.reshape(5 * c * h, w), cv2.CV_64F, _G, _G, dst=filt, borderType=cv2.BORDER_REFLECT)
    f = filt.reshape(5, c, h, w)[:, :, RADIUS : h - RADIUS, RADIUS : w - RADIUS]
    ux, uy, uxx, uyy, uxy = f
    c1, c2 = (K1 * 255.0) ** 2, (K2 * 255.0) ** 2
    uxuy, ux2, uy2, t = tmp  # in place, same association as the formula: x == y gives exactly 1
    np.multiply(ux, uy, out=uxuy)
    np.multiply(ux, ux, out=ux2)
    np.multiply(uy, uy, out=uy2)
    np.add(ux2, uy2, out=t)
    t += c1  # t = μx² + μy² + C1
    np.subtract(uxx, ux2, out=ux2)  # σx²
    np.subtract(uyy, uy2, out=uy2)  # σy²
    ux2 += uy2
    ux2 += c2  # ux2 = σx² + σy² + C2
    np.subtract(uxy, uxuy, out=uy2)
    uy2 *= 2.0
    uy2 += c2  # uy2 = 2σxy + C2
    uxuy *= 2.0
    uxuy += c1  # uxuy = 2μxμy + C1
    uxuy *= uy2
    t *= ux2
    uxuy /= t  # the SSIM map over the valid region, [C,H-10,W-10]
    return float(uxuy.mean(axis=(1, 2), dtype=np.float64).mean())

