"""MSE and L1 against scikit-image and closed forms."""
from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest
from skimage.metrics import mean_squared_error

from inpaintkit.metrics import l1, mse

from _metric_images import random_pair, real_pairs


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
