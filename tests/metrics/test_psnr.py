"""PSNR and hole-PSNR against scikit-image and closed forms."""
from __future__ import annotations

import doctest
import importlib
import math

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio

from inpaintkit.metrics import psnr

from _metric_images import random_pair, real_pairs


def sk_psnr(a, b):
    return peak_signal_noise_ratio(a, b, data_range=255)


def test_docstring_examples_run():
    assert doctest.testmod(importlib.import_module("inpaintkit.metrics.psnr")).failed == 0


@pytest.mark.parametrize("seed,noise", [(0, 40), (1, 3), (2, 128), (3, 1)])
def test_matches_skimage_on_random_images(seed, noise):
    a, b = random_pair(seed, noise=noise)
    assert abs(psnr(a, b) - sk_psnr(a, b)) < 1e-4


@pytest.mark.data
def test_matches_skimage_on_real_faces(data_dir):
    for a, b in real_pairs(data_dir):
        assert abs(psnr(a, b) - sk_psnr(a, b)) < 1e-4


def test_hole_psnr_matches_skimage_on_hole_pixels():
    a, b = random_pair(5, noise=20)
    hole = np.zeros(a.shape[:2], bool)
    hole[10:20, :7] = True
    b[hole] = a[hole] // 2  # holes much worse than the rest
    assert abs(psnr(a, b, hole) - sk_psnr(a[hole], b[hole])) < 1e-4
    assert psnr(a, b, hole) < psnr(a, b) - 1


def test_closed_forms():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 200, (16, 16, 3), dtype=np.uint8)
    assert psnr(a, a) == math.inf
    for c in (1, 2, 7, 55):
        expected = 10 * math.log10(255**2 / c**2)
        assert abs(psnr(a, a + np.uint8(c)) - expected) < 1e-9
    assert abs(psnr(a, a + np.uint8(1), data_range=1.0) - 0.0) < 1e-12  # 10 log10(1/1)
    hole = np.zeros((16, 16), bool)
    hole[5] = True
    b = a.copy()
    b[hole] += np.uint8(4)
    assert abs(psnr(a, b, hole) - 10 * math.log10(255**2 / 16)) < 1e-9
    assert psnr(a, b, ~hole) == math.inf
    assert math.isnan(psnr(a, b, np.zeros((16, 16), bool)))


def test_bad_inputs_raise_value_error():
    a, b = random_pair(0)
    with pytest.raises(ValueError, match="shapes differ"):
        psnr(a, b[:, :-1])
    with pytest.raises(ValueError, match="uint8"):
        psnr(a.astype(np.int16), b.astype(np.int16))
    with pytest.raises(ValueError, match="HxWx3"):
        psnr(a[None], b[None])
    with pytest.raises(ValueError, match="data_range"):
        psnr(a, b, data_range=0)
