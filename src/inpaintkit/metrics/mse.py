r"""Mean squared error and mean absolute error (L1), whole image or hole pixels only.

numpy (the evaluation protocol): uint8 RGB ``HxWx3``, computed in float64 on the 0–255 scale.

.. math::

    \mathrm{MSE}(a, b) = \frac{1}{N} \sum_i (a_i - b_i)^2, \qquad
    \mathrm{L1}(a, b) = \frac{1}{N} \sum_i |a_i - b_i|

where ``i`` runs over every pixel and channel (``N = 3HW``), or, given a bool ``HxW`` ``mask``, over
the hole pixels only, all three channels (``N = 3 · mask.sum()``). An empty mask gives ``nan``.
"""
from __future__ import annotations

import numpy as np

from inpaintkit.metrics._checks import check_bool_mask, check_uint8_pair

__all__ = ["mse", "l1"]


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

