"""SSIM against scikit-image's Wang et al. configuration and closed forms."""
from __future__ import annotations

import doctest
import importlib
import threading

import numpy as np
import pytest
from skimage.metrics import structural_similarity

from inpaintkit.metrics import ssim

from _metric_images import random_pair, real_pairs


def sk_ssim(a, b):
    return structural_similarity(
        a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255, channel_axis=-1
    )


def test_docstring_examples_run():
    assert doctest.testmod(importlib.import_module("inpaintkit.metrics.ssim")).failed == 0


@pytest.mark.parametrize(
    "seed,shape,noise",
    [(0, (32, 40, 3), 40), (1, (11, 11, 3), 20), (2, (11, 29, 3), 100), (3, (57, 13, 3), 5), (4, (128, 128, 3), 60)],
)
def test_matches_skimage_on_random_images(seed, shape, noise):
    a, b = random_pair(seed, shape, noise)
    assert abs(ssim(a, b) - sk_ssim(a, b)) < 1e-5
    assert abs(ssim(b, a) - sk_ssim(a, b)) < 1e-5  # symmetric


def test_matches_skimage_on_smooth_images():
    # large smooth areas: the local variances are tiny, where cancellation errors would show
    yy, xx = np.mgrid[0:64, 0:64]
    a = np.stack([xx * 3, yy * 2, (xx + yy) % 256], -1).clip(0, 255).astype(np.uint8)
    b = np.clip(a.astype(int) + (xx // 16)[..., None], 0, 255).astype(np.uint8)
    assert abs(ssim(a, b) - sk_ssim(a, b)) < 1e-5


def test_is_the_wang_variant_not_a_neighbouring_one():
    # low-contrast noise, σ² comparable to C2: here the variants differ by far more than 1e-5
    rng = np.random.default_rng(0)
    a = (120 + rng.integers(0, 5, (32, 32, 3))).astype(np.uint8)
    b = (120 + rng.integers(0, 5, (32, 32, 3))).astype(np.uint8)
    kw = dict(data_range=255, channel_axis=-1)
    sample_cov = structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=True, **kw)
    uniform7 = structural_similarity(a, b, use_sample_covariance=False, **kw)
    got = ssim(a, b)
    assert abs(got - sk_ssim(a, b)) < 1e-5
    assert abs(got - sample_cov) > 1e-4 and abs(got - uniform7) > 1e-4


@pytest.mark.data
def test_matches_skimage_on_real_faces(data_dir):
    values = []
    for a, b in real_pairs(data_dir):
        values.append(ssim(a, b))
        assert abs(values[-1] - sk_ssim(a, b)) < 1e-5
    assert len(set(round(v, 3) for v in values)) == len(values)  # the pairs are really different


def test_closed_forms():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)
    assert ssim(a, a) == 1.0
    # constant images v and v + c: σ = 0, so SSIM = (2v(v+c) + C1) / (v² + (v+c)² + C1)
    c1 = (0.01 * 255) ** 2
    for v, c in ((100, 20), (0, 255), (10, 1)):
        x = np.full((16, 16, 3), v, np.uint8)
        y = np.full((16, 16, 3), v + c, np.uint8)
        expected = (2 * v * (v + c) + c1) / (v**2 + (v + c) ** 2 + c1)
        assert ssim(x, y) == pytest.approx(expected, abs=1e-12)
    # a constant offset keeps all (co)variances: only the luminance term drops, SSIM < 1
    a = rng.integers(0, 200, (24, 24, 3), dtype=np.uint8)
    assert 0.9 < ssim(a, a + np.uint8(30)) < 1.0


def test_buffers_are_reused_safely_across_shapes_and_threads():
    pairs = [random_pair(s, shape) for s, shape in ((0, (20, 30, 3)), (1, (40, 16, 3)), (2, (20, 30, 3)))]
    expected = [sk_ssim(a, b) for a, b in pairs]
    for _ in range(2):
        assert [ssim(a, b) for a, b in pairs] == pytest.approx(expected, abs=1e-12)
    results = {}

    def work(i):
        results[i] = [ssim(a, b) for a, b in pairs * 5]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(3):
        assert results[i] == pytest.approx(expected * 5, abs=1e-12)


def test_bad_inputs_raise_value_error():
    a, b = random_pair(0, (16, 16, 3))
    with pytest.raises(ValueError, match="at least 11x11"):
        ssim(a[:10], b[:10])
    with pytest.raises(ValueError, match="shapes differ"):
        ssim(a, b[:, :12])
    with pytest.raises(ValueError, match="uint8"):
        ssim(a.astype(np.float64), b.astype(np.float64))
    with pytest.raises(ValueError, match="HxWx3"):
        ssim(a[..., 0], b[..., 0])
