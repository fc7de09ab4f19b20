"""Hole sharpness ratio: closed-form ramps, identical images, blur and noise."""
import math

import cv2
import numpy as np
import pytest

from inpaintkit.metrics import hole_sharpness
from inpaintkit.metrics.sharpness import gradient_magnitude


def _ramp(slope: float, shape=(24, 24)) -> np.ndarray:
    x = np.arange(shape[1], dtype=np.float64) * slope
    return np.repeat(np.broadcast_to(x, shape)[..., None], 3, 2).round().astype(np.uint8)


def _hole(shape=(24, 24)) -> np.ndarray:
    m = np.zeros(shape, bool)
    m[6:18, 6:18] = True
    return m


def test_sobel_of_a_ramp_is_eight_times_its_slope():
    g = gradient_magnitude(_ramp(3.0))
    assert np.allclose(g[5:-5, 5:-5], 24.0, atol=1e-3)  # Sobel-x weights sum (1+2+1) * 2 = 8


def test_ramp_twice_as_steep_has_ratio_two():
    assert hole_sharpness(_ramp(6.0), _ramp(3.0), _hole()) == pytest.approx(2.0, abs=1e-6)


def test_identical_images_score_one():
    rng = np.random.default_rng(1)
    t = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    assert hole_sharpness(t, t, _hole((32, 32))) == 1.0


def test_blur_scores_below_one_and_noise_above():
    rng = np.random.default_rng(2)
    t = cv2.GaussianBlur(rng.integers(0, 256, (48, 48, 3), dtype=np.uint8), (0, 0), 1.0)
    m = _hole((48, 48))
    blurred, noisy = t.copy(), t.copy()
    blurred[m] = cv2.GaussianBlur(t, (0, 0), 3.0)[m]
    noisy[m] = np.clip(t.astype(int) + rng.integers(-60, 61, t.shape), 0, 255).astype(np.uint8)[m]
    assert hole_sharpness(blurred, t, m) < 0.6
    assert hole_sharpness(noisy, t, m) > 1.5


def test_flat_truth_or_empty_mask_is_nan():
    flat = np.full((16, 16, 3), 90, np.uint8)
    assert math.isnan(hole_sharpness(flat, flat, _hole((16, 16))))
    assert math.isnan(hole_sharpness(flat, flat, np.zeros((16, 16), bool)))


def test_bad_inputs_raise_one_line():
    a = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(ValueError, match="uint8"):
        hole_sharpness(a.astype(np.float32), a, np.ones((8, 8), bool))
    with pytest.raises(ValueError, match="mask"):
        hole_sharpness(a, a, np.ones((4, 4), bool))
