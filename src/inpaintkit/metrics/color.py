r"""Hole colour error: the CIEDE2000 colour difference between the mean colours of fill and truth in the hole.

.. math::

    \Delta E(f, t, M) = \Delta E_{00}\big(\bar{L}^*_f, \bar{a}^*_f, \bar{b}^*_f;\ \bar{L}^*_t, \bar{a}^*_t, \bar{b}^*_t\big),
    \qquad \bar{X}_f = \operatorname{mean}_{p \in M} \operatorname{Lab}(f)(p)

Each image is converted from sRGB (IEC 61966-2-1, D65 white) to CIELAB per pixel in float64 (L* in 0-100;
greys have a* = b* = 0), the hole's pixels are averaged, and the two mean colours are compared with CIEDE2000
(Sharma et al. 2005). It catches colour casts — a fill that is a shade too pink or too grey overall —
that PSNR mixes up with texture error; detail does not count (a blur of the right colour scores 0).
About 1 is the smallest difference people notice side by side. An empty mask gives ``nan``.
"""
from __future__ import annotations

import math

import numpy as np

from inpaintkit.metrics._checks import check_bool_mask, check_uint8_pair

__all__ = ["ciede2000", "hole_color_error", "mean_lab", "srgb_to_lab"]

# linear sRGB -> XYZ (D65), rows scaled by the white point so that white maps to (1, 1, 1) before f()
_RGB2XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                     [0.2126729, 0.7151522, 0.0721750],
                     [0.0193339, 0.1191920, 0.9503041]])
_RGB2XYZ_N = _RGB2XYZ / _RGB2XYZ.sum(1, keepdims=True)


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of sRGB values in [0, 1], any shape ``[..., 3]`` → float64 ``[..., 3]``.

    Example:
        >>> srgb_to_lab(np.array([1.0, 1.0, 1.0])).round(6).tolist()
        [100.0, 0.0, 0.0]
    """
    c = np.asarray(rgb, np.float64)
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = lin @ _RGB2XYZ_N.T  # [..., 3], relative to the white point
    eps, kappa = 216 / 24389, 24389 / 27
    f = np.where(xyz > eps, np.cbrt(xyz), (kappa * xyz + 16) / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def mean_lab(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean CIELAB colour (L*, a*, b*) of the ``mask`` pixels of a uint8 ``HxWx3`` sRGB image → float64 [3]."""
    return srgb_to_lab(image[mask] / 255.0).mean(0)  # [N,3] -> [3]


def ciede2000(lab1, lab2) -> float:
    """The CIEDE2000 difference of two CIELAB colours (kL = kC = kH = 1).

    Example (pair 1 of Sharma et al.'s test data):
        >>> round(ciede2000((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485)), 4)
        2.0425
    """
    L1, a1, b1 = (float(v) for v in lab1)
    L2, a2, b2 = (float(v) for v in lab2)
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar**7 / (c_bar**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if c2p else 0.0
    dL, dC = L2 - L1, c2p - c1p
    dh = 0.0
    if c1p * c2p:
        dh = h2p - h1p
        dh = dh - 360 if dh > 180 else dh + 360 if dh < -180 else dh
    dH = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    L_bar, c_bar_p = (L1 + L2) / 2, (c1p + c2p) / 2
    h_bar = h1p + h2p
    if c1p * c2p:
        h_bar = (h1p + h2p) / 2 if abs(h1p - h2p) <= 180 else (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (1 - 0.17 * math.cos(math.radians(h_bar - 30)) + 0.24 * math.cos(math.radians(2 * h_bar))
         + 0.32 * math.cos(math.radians(3 * h_bar + 6)) - 0.20 * math.cos(math.radians(4 * h_bar - 63)))
    d_theta = 30 * math.exp(-(((h_bar - 275) / 25) ** 2))
    r_c = 2 * math.sqrt(c_bar_p**7 / (c_bar_p**7 + 25.0**7))
    s_l = 1 + 0.015 * (L_bar - 50) ** 2 / math.sqrt(20 + (L_bar - 50) ** 2)
    s_c, s_h = 1 + 0.045 * c_bar_p, 1 + 0.015 * c_bar_p * t
    r_t = -math.sin(math.radians(2 * d_theta)) * r_c
    return math.sqrt((dL / s_l) ** 2 + (dC / s_c) ** 2 + (dH / s_h) ** 2 + r_t * (dC / s_c) * (dH / s_h))


def hole_color_error(fill: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> float:
    """CIEDE2000 between the mean CIELAB colours of ``fill`` and ``truth`` over the hole (bool ``HxW`` mask).

    Example:
        >>> t = np.full((8, 8, 3), 120, np.uint8); m = np.zeros((8, 8), bool); m[2:6, 2:6] = True
        >>> hole_color_error(t, t, m)
        0.0
        >>> pink = t.copy(); pink[m, 0] = 150
        >>> hole_color_error(pink, t, m) > 5
        True
    """
    check_uint8_pair(fill, truth)
    check_bool_mask(mask, truth.shape)
    if not mask.any():
        return math.nan
    return ciede2000(mean_lab(fill, mask), mean_lab(truth, mask))
