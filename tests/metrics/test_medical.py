"""The medical (BraTS-style) hole metrics: known answers, range independence, input checks."""
from __future__ import annotations

import math

import numpy as np
import pytest

from inpaintkit.metrics.medical import hole_metrics_medical, percentile_normalise


def scene():
    truth = np.tile(np.linspace(100, 1100, 32), (32, 1))
    hole = np.zeros((32, 32), bool)
    hole[8:24, 8:24] = True
    return truth, hole


def test_known_answer_for_a_constant_offset():
    truth, hole = scene()
    voided = np.where(hole, 0, truth)
    lo, hi = np.percentile(voided, [0.5, 99.5])
    m = hole_metrics_medical(truth + 10 * hole, truth, hole)
    # inside the hole both normalised values stay in (0, 1): the error is 10 / (hi - lo) everywhere
    assert m["mse"] == pytest.approx((10 / (hi - lo)) ** 2)
    assert m["psnr"] == pytest.approx(-20 * math.log10(10 / (hi - lo)))
    assert 0 < m["ssim"] < 1


def test_exact_fill_and_scanner_scale_independence():
    truth, hole = scene()
    exact = hole_metrics_medical(truth, truth, hole)
    assert exact["mse"] == 0 and exact["psnr"] == math.inf and exact["ssim"] == pytest.approx(1.0)
    pred = truth + np.where(hole, 25.0, 0)
    a = hole_metrics_medical(pred, truth, hole)
    b = hole_metrics_medical(pred * 3.7, truth * 3.7, hole)  # the same images on another intensity scale
    assert a["mse"] == pytest.approx(b["mse"]) and a["ssim"] == pytest.approx(b["ssim"])


def test_signed_data_and_checks():
    ct = np.tile(np.linspace(-1000, 1000, 16), (16, 1))
    assert percentile_normalise(ct, ct, nonnegative=False).min() == 0.0
    assert percentile_normalise(np.array([-500.0]), ct).tolist() == [0.0]  # nonnegative: floor at 0
    with pytest.raises(ValueError, match="one shape"):
        hole_metrics_medical(np.zeros((4, 4)), np.zeros((4, 5)), np.zeros((4, 4), bool))
    assert math.isnan(hole_metrics_medical(ct, ct, np.zeros((16, 16), bool))["psnr"])


def test_ssim_map_matches_scikit_image():
    skm = pytest.importorskip("skimage.metrics")
    from inpaintkit.metrics.medical import _ssim_map

    rng = np.random.default_rng(0)
    a = rng.random((40, 50))
    b = np.clip(a + rng.normal(0, 0.1, a.shape), 0, 1)
    _, ref = skm.structural_similarity(a, b, data_range=1.0, gaussian_weights=True, sigma=1.5,
                                       use_sample_covariance=False, full=True)
    assert np.abs(_ssim_map(a, b) - ref).max() < 1e-6
