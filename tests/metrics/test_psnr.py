"""PSNR and hole-PSNR against scikit-image and closed forms; torch version against the numpy one."""
from __future__ import annotations

import doctest
import importlib
import math

import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio

from inpaintkit.metrics import psnr, psnr_torch

from _metric_images import random_pair, real_pairs


def to_tensor(*imgs: np.ndarray, dtype=torch.float64) -> torch.Tensor:
    return torch.stack([torch.from_numpy(x).permute(2, 0, 1) for x in imgs]).to(dtype) / 255.0


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


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_torch_matches_numpy(dtype):
    pairs = [random_pair(s, noise=n) for s, n in ((0, 40), (1, 3), (2, 90))]
    x = to_tensor(*[p[0] for p in pairs], dtype=dtype)
    y = to_tensor(*[p[1] for p in pairs], dtype=dtype)
    got = psnr_torch(x, y)
    assert got.shape == (3,)
    for i, (a, b) in enumerate(pairs):
        assert abs(got[i].item() - psnr(a, b)) < 1e-4
    # on the 0–255 scale with data_range=255 the numbers are the same
    got255 = psnr_torch(x * 255, y * 255, data_range=255.0)
    assert torch.allclose(got255, got, atol=1e-4)
    hole = np.zeros((3, 32, 40), bool)
    hole[:, 4:12, 8:30] = True
    got = psnr_torch(x, y, torch.from_numpy(hole)[:, None])
    for i, (a, b) in enumerate(pairs):
        assert abs(got[i].item() - psnr(a, b, hole[i])) < 1e-4


def test_torch_identical_is_inf():
    x = torch.rand(2, 3, 8, 8)
    assert torch.isinf(psnr_torch(x, x.clone())).all()


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
    x = torch.rand(1, 3, 8, 8)
    with pytest.raises(ValueError, match="data_range"):
        psnr_torch(x, x, data_range=-1.0)
    with pytest.raises(ValueError, match="shapes differ"):
        psnr_torch(x, x[:, :2])
    with pytest.raises(ValueError, match="torch tensor"):
        psnr_torch(x.numpy(), x)
