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
import torch
from torch import Tensor

from inpaintkit.metrics.mse import mse, mse_torch

__all__ = ["psnr", "psnr_torch"]


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


def psnr_torch(pred: Tensor, target: Tensor, mask: Tensor | None = None, data_range: float = 1.0) -> Tensor:
    """Per-image PSNR in dB of float ``[B,C,H,W]`` tensors → ``[B]`` (``inf`` where identical).

    ``data_range`` is the inputs' scale: 1.0 for [0, 1] images, 255.0 for 0–255 values.

    Example:
        >>> import torch
        >>> x = torch.zeros(2, 3, 4, 4)
        >>> psnr_torch(x, x + 0.1).round()   # 10 log10(1 / 0.01)
        tensor([20., 20.])
    """
    if data_range <= 0:
        raise ValueError(f"data_range must be positive, got {data_range}")
    m = mse_torch(pred, target, mask)  # [B]
    return 10.0 * torch.log10(data_range**2 / m)
