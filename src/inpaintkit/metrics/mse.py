r"""Mean squared error and mean absolute error (L1), whole image or hole pixels only.

numpy (the evaluation protocol): uint8 RGB ``HxWx3``, computed in float64 on the 0–255 scale.

.. math::

    \mathrm{MSE}(a, b) = \frac{1}{N} \sum_i (a_i - b_i)^2, \qquad
    \mathrm{L1}(a, b) = \frac{1}{N} \sum_i |a_i - b_i|

where ``i`` runs over every pixel and channel (``N = 3HW``), or, given a bool ``HxW`` ``mask``, over
the hole pixels only, all three channels (``N = 3 · mask.sum()``). An empty mask gives ``nan``.

torch (training / validation): float ``[B,C,H,W]``, one value per image ``[B]``, on the scale of the
inputs: for images in [0, 1], ``mse(a, b) == mse_torch(a / 255, b / 255) * 255**2``. Differentiable.
"""
from __future__ import annotations

import numpy as np
from torch import Tensor

from inpaintkit.metrics._checks import check_bool_mask, check_float_pair, check_tensor_mask, check_uint8_pair

__all__ = ["mse", "l1", "mse_torch", "l1_torch"]


def _diff(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """``a - b`` in float64 over all pixels, or over the hole pixels ([N,3]) when ``mask`` is given."""
    check_uint8_pair(a, b)
    if mask is not None:
        check_bool_mask(mask, a.shape)
        a, b = a[mask], b[mask]  # [N,3]
    return a.astype(np.float64) - b.astype(np.float64)


def mse(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean squared error of two uint8 ``HxWx3`` images (0–255 scale), over hole pixels if ``mask``.

    Example:
        >>> import numpy as np
        >>> a = np.zeros((4, 4, 3), np.uint8); b = a + 3
        >>> mse(a, b)
        9.0
        >>> hole = np.zeros((4, 4), bool); hole[0, 0] = True
        >>> b[0, 0] = 13
        >>> mse(a, b, hole)
        169.0
    """
    d = _diff(a, b, mask)
    return float(np.mean(d * d)) if d.size else float("nan")


def l1(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean absolute error of two uint8 ``HxWx3`` images (0–255 scale), over hole pixels if ``mask``.

    Example:
        >>> import numpy as np
        >>> a = np.zeros((4, 4, 3), np.uint8)
        >>> l1(a, a + 5)
        5.0
    """
    d = _diff(a, b, mask)
    return float(np.mean(np.abs(d))) if d.size else float("nan")


def _reduce(err: Tensor, mask: Tensor | None, pred: Tensor) -> Tensor:
    """Per-image mean of ``err`` [B,C,H,W] over all pixels, or over the hole pixels of ``mask`` → [B]."""
    if mask is None:
        return err.mean(dim=(1, 2, 3))
    m = check_tensor_mask(mask, pred)  # [B,1,H,W] {0,1}
    # sum over holes / (C * hole count): an image without holes gives 0/0 = nan
    return (err * m).sum(dim=(1, 2, 3)) / (m.sum(dim=(1, 2, 3)) * err.shape[1])


def mse_torch(pred: Tensor, target: Tensor, mask: Tensor | None = None) -> Tensor:
    """Per-image MSE of float ``[B,C,H,W]`` tensors → ``[B]`` on the inputs' scale; hole-only with ``mask``.

    ``mask`` is ``[B,1,H,W]``, 1 / True = hole; an image without hole pixels gives ``nan``.

    Example:
        >>> import torch
        >>> x = torch.zeros(2, 3, 4, 4)
        >>> mse_torch(x, x + 0.5)
        tensor([0.2500, 0.2500])
    """
    check_float_pair(pred, target)
    return _reduce((pred - target) ** 2, mask, pred)


def l1_torch(pred: Tensor, target: Tensor, mask: Tensor | None = None) -> Tensor:
    """Per-image mean absolute error of float ``[B,C,H,W]`` tensors → ``[B]``; hole-only with ``mask``.

    Example:
        >>> import torch
        >>> x = torch.zeros(1, 3, 4, 4)
        >>> l1_torch(x, x - 0.25)
        tensor([0.2500])
    """
    check_float_pair(pred, target)
    return _reduce((pred - target).abs(), mask, pred)
