r"""Hole metrics as the medical inpainting challenges report them (BraTS 2023 "local synthesis"), for grey data
of any range: MSE, PSNR and SSIM inside the hole after normalising by the *known* tissue's intensities.

Both images are zeroed outside the hole and mapped to [0, 1] by the 0.5th and 99.5th percentiles
``(p_lo, p_hi)`` of the voided truth (the truth with the hole set to 0, the image a model is given; ``p_lo``
is raised to 0 when ``nonnegative``), values outside clipped:

.. math::

    n(x) = \mathrm{clip}\left(\frac{x \cdot m - p_{lo}}{p_{hi} - p_{lo}}, 0, 1\right), \qquad
    \mathrm{MSE} = \frac{1}{|m|} \sum_{m} (n(\hat{x}) - n(x))^2, \qquad \mathrm{PSNR} = 10 \log_{10} \frac{1}{\mathrm{MSE}}

and SSIM (Gaussian window, sigma 1.5, data range 1) is averaged over the hole pixels. Without that
normalisation an MSE would depend on the scanner's intensity scale.

Example:
    >>> import numpy as np
    >>> truth = np.tile(np.linspace(100, 1100, 32), (32, 1))
    >>> hole = np.zeros((32, 32), bool); hole[8:24, 8:24] = True
    >>> m = hole_metrics_medical(truth + 10 * hole, truth, hole)
    >>> round(m["mse"] * 1e5, 2), round(m["psnr"], 1)
    (8.26, 40.8)
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["hole_metrics_medical", "percentile_normalise"]


def percentile_normalise(x: np.ndarray, reference: np.ndarray, p: tuple[float, float] = (0.5, 99.5),
                         nonnegative: bool = True) -> np.ndarray:
    """``x`` mapped to [0, 1] by the ``p`` percentiles of ``reference`` (clipped), float64."""
    lo, hi = np.percentile(reference, p)
    lo = max(float(lo), 0.0) if nonnegative else float(lo)
    span = float(hi) - lo
    if span <= 0:
        raise ValueError(f"the reference's {p[0]}-{p[1]} percentile range is empty ({lo:g}..{float(hi):g})")
    return np.clip((x.astype(np.float64) - lo) / span, 0.0, 1.0)


def _ssim_map(a: np.ndarray, b: np.ndarray, sigma: float = 1.5, data_range: float = 1.0) -> np.ndarray:
    """The SSIM map of two float [H,W] images: Gaussian window (sigma 1.5, 11 taps), population covariances,
    reflected borders (as ``skimage.metrics.structural_similarity(..., gaussian_weights=True, full=True)``)."""
    import cv2

    blur = lambda x: cv2.GaussianBlur(x, (11, 11), sigma, borderType=cv2.BORDER_REFLECT)  # noqa: E731
    a, b = a.astype(np.float64), b.astype(np.float64)
    mu_a, mu_b = blur(a), blur(b)
    var_a, var_b, cov = blur(a * a) - mu_a**2, blur(b * b) - mu_b**2, blur(a * b) - mu_a * mu_b
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    return ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))


def hole_metrics_medical(pred: np.ndarray, truth: np.ndarray, hole: np.ndarray, nonnegative: bool = True) -> dict:
    """MSE, PSNR (dB) and SSIM inside ``hole`` (bool ``[H,W]``) of grey ``[H,W]`` images of any numeric type.

    ``nonnegative=False`` keeps a negative lower percentile (signed data such as CT in Hounsfield units).
    """
    pred, truth, hole = np.asarray(pred), np.asarray(truth), np.asarray(hole, bool)
    if pred.shape != truth.shape or truth.shape != hole.shape or truth.ndim != 2:
        raise ValueError(f"pred, truth and hole must be grey [H,W] of one shape, got {pred.shape}, "
                         f"{truth.shape}, {hole.shape}")
    if not hole.any():
        return {"mse": math.nan, "psnr": math.nan, "ssim": math.nan}
    voided = np.where(hole, 0, truth)
    n_pred = percentile_normalise(np.where(hole, pred, 0), voided, nonnegative=nonnegative)
    n_truth = percentile_normalise(np.where(hole, truth, 0), voided, nonnegative=nonnegative)
    mse = float(np.mean((n_pred[hole] - n_truth[hole]) ** 2))
    smap = _ssim_map(n_truth, n_pred)
    return {"mse": mse, "psnr": 10 * math.log10(1.0 / mse) if mse > 0 else math.inf,
            "ssim": float(smap[hole].mean())}
