"""MSE and L1 against scikit-image and closed forms; torch versions against the numpy ones."""
from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest
import torch
from skimage.metrics import mean_squared_error

from inpaintkit.metrics import l1, l1_torch, mse, mse_torch

from _metric_images import random_pair, real_pairs


def to_tensor(*imgs: np.ndarray, dtype=torch.float64) -> torch.Tensor:
    """uint8 HxWx3 images → float [B,3,H,W] in [0, 1]."""
    return torch.stack([torch.from_numpy(x).permute(2, 0, 1) for x in imgs]).to(dtype) / 255.0


def test_docstring_examples_run():
    for name in ("inpaintkit.metrics.mse", "inpaintkit.metrics"):
        assert doctest.testmod(importlib.import_module(name)).failed == 0


@pytest.mark.parametrize("seed", range(4))
def test_mse_matches_skimage_on_random_images(seed):
    a, b = random_pair(seed)
    assert mse(a, b) == pytest.approx(mean_squared_error(a, b), rel=1e-12)
    assert l1(a, b) == pytest.approx(np.abs(a.astype(float) - b.astype(float)).mean(), rel=1e-12)


@pytest.mark.data
def test_mse_matches_skimage_on_real_faces(data_dir):
    for a, b in real_pairs(data_dir):
        assert mse(a, b) == pytest.approx(mean_squared_error(a, b), rel=1e-12)


def test_hole_mse_is_over_hole_pixels_all_channels():
    a, b = random_pair(7)
    hole = np.zeros(a.shape[:2], bool)
    hole[3:9, 5:20] = True
    hole[-1, -1] = True
    assert mse(a, b, hole) == pytest.approx(mean_squared_error(a[hole], b[hole]), rel=1e-12)
    assert l1(a, b, hole) == pytest.approx(np.abs(a[hole].astype(float) - b[hole]).mean(), rel=1e-12)
    assert mse(a, b, hole) != pytest.approx(mse(a, b))


def test_closed_forms():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 200, (16, 16, 3), dtype=np.uint8)
    assert mse(a, a) == 0.0 and l1(a, a) == 0.0
    for c in (1, 7, 55):
        b = a + np.uint8(c)  # no overflow: a < 200
        assert mse(a, b) == c * c and mse(b, a) == c * c
        assert l1(a, b) == c
    # an offset only inside the hole: hole MSE = c², whole MSE = c² · hole share
    hole = np.zeros((16, 16), bool)
    hole[:4] = True
    b = a.copy()
    b[hole] += np.uint8(10)
    assert mse(a, b, hole) == 100.0
    assert mse(a, b) == pytest.approx(100.0 * 4 / 16)
    assert mse(a, b, ~hole) == 0.0


def test_empty_mask_gives_nan():
    a, b = random_pair(1)
    assert np.isnan(mse(a, b, np.zeros(a.shape[:2], bool)))
    assert np.isnan(l1(a, b, np.zeros(a.shape[:2], bool)))


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-10), (torch.float32, 1e-4)])
def test_torch_matches_numpy(dtype, tol):
    pairs = [random_pair(s) for s in range(3)]
    x = to_tensor(*[p[0] for p in pairs], dtype=dtype)
    y = to_tensor(*[p[1] for p in pairs], dtype=dtype)
    got = mse_torch(x, y) * 255**2
    got_l1 = l1_torch(x, y) * 255
    assert got.shape == (3,) and got.dtype == dtype
    for i, (a, b) in enumerate(pairs):
        assert got[i].item() == pytest.approx(mse(a, b), rel=tol)
        assert got_l1[i].item() == pytest.approx(l1(a, b), rel=tol)
    # hole version, a different hole per image
    holes = np.zeros((3, 32, 40), bool)
    holes[0, :5] = True
    holes[1, :, 30:] = True
    holes[2, 10:20, 10:20] = True
    m = torch.from_numpy(holes)[:, None].to(dtype)
    got = mse_torch(x, y, m) * 255**2
    for i, (a, b) in enumerate(pairs):
        assert got[i].item() == pytest.approx(mse(a, b, holes[i]), rel=tol)
    assert torch.equal(mse_torch(x, y, m.bool()), mse_torch(x, y, m))  # bool masks work too


def test_torch_is_differentiable_and_nan_without_holes():
    x = torch.rand(2, 3, 8, 8, requires_grad=True)
    y = torch.rand(2, 3, 8, 8)
    mse_torch(x, y).sum().backward()
    assert torch.allclose(x.grad, 2 * (x - y).detach() / (3 * 8 * 8))
    m = torch.zeros(2, 1, 8, 8)
    m[0, :, :2] = 1
    out = mse_torch(x.detach(), y, m)
    assert torch.isfinite(out[0]) and torch.isnan(out[1])


def test_bad_inputs_raise_value_error():
    a, b = random_pair(0)
    with pytest.raises(ValueError, match="shapes differ"):
        mse(a, b[:-1])
    with pytest.raises(ValueError, match="uint8"):
        mse(a.astype(np.float32), b)
    with pytest.raises(ValueError, match="HxWx3"):
        l1(a[..., 0], b[..., 0])
    with pytest.raises(ValueError, match="HxWx3"):
        mse(a[..., :2], b[..., :2])
    with pytest.raises(ValueError, match="numpy array"):
        mse(a.tolist(), b)
    with pytest.raises(ValueError, match="bool"):
        mse(a, b, np.zeros(a.shape[:2], np.uint8))
    with pytest.raises(ValueError, match="HxW"):
        mse(a, b, np.zeros((4, 4), bool))
    x = torch.rand(1, 3, 8, 8)
    with pytest.raises(ValueError, match="shapes differ"):
        mse_torch(x, torch.rand(1, 3, 8, 9))
    with pytest.raises(ValueError, match="floating"):
        mse_torch((x * 255).to(torch.uint8), x)
    with pytest.raises(ValueError, match=r"\[B,C,H,W\]"):
        l1_torch(x[0], x[0])
    with pytest.raises(ValueError, match="mask"):
        mse_torch(x, x, torch.ones(1, 3, 8, 8))
