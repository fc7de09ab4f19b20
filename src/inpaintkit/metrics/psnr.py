r"""Peak signal-to-noise ratio, whole image or hole pixels only ("hole-PSNR").

.. math::

    \mathrm{PSNR}(a, b) = 10 \log_{10} \frac{L^2}{\mathrm{MSE}(a, b)}

with ``L`` the data range (255 for uint8, 1 for float images in [0, 1]) and MSE from
:mod:`inpaintkit.metrics.mse`, over hole pixels only (all three channels) when a mask is given.
Identical images (MSE = 0) give ``inf``; an empty mask gives ``nan``. Matches
``skimage.metrics.peak_signal_noise_ratio(a, b, data_range=255)``.
"""
from __future__ import annotations

import math

import numpy as np

from inpaintkit.metrics.mse import mse

__all__ = ["psnr"]


def psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None, data_range: float = 255) -> float:
    """PSNR in dB of two uint8 ``HxWx3`` images; hole-PSNR with a bool ``HxW`` ``mask`` (True = hole).

    Example:
        >>> import numpy as np
        >>> a = np.zeros((4, 4, 3), np.uint8)
        >>> round(psnr(a, a + 1), 4)   # 10 log10(255² / 1)
        48.1308
        >>> psnr(a, a)
        inf
    """
    if data_range <= 0:
        raise ValueError(f"data_range must be positive, got {data_range}")
    m = mse(a, b, mask)
    if m == 0:
        return math.inf
    return 10.0 * math.log10(data_range**2 / m)  # nan stays nan

