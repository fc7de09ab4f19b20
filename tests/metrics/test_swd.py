"""Hole-patch SWD: zero for identical images and for texture moved by a period, larger for blur and noise."""
import math

import cv2
import numpy as np
import pytest

from inpaintkit.metrics import hole_swd, psnr
from inpaintkit.metrics.swd import laplacian_pyramid


def _texture(shape=(64, 64), seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return cv2.GaussianBlur(rng.integers(0, 256, (*shape, 3), dtype=np.uint8), (0, 0), 0.8)


def _hole(shape=(64, 64)) -> np.ndarray:
    m = np.zeros(shape, bool)
    m[16:48, 16:48] = True
    return m


def test_identical_images_give_zero():
    t = _texture()
    assert hole_swd(t, t, _hole()) == 0.0


def test_laplacian_levels_halve_and_sum_back_for_a_flat_image():
    levels = laplacian_pyramid(np.full((32, 32, 3), 0.5, np.float32), 3)
    assert [lv.shape[:2] for lv in levels] == [(32, 32), (16, 16), (8, 8)]
    assert all(np.abs(lv).max() < 1e-6 for lv in levels)  # a flat image has no band-pass energy


def test_periodic_texture_moved_by_half_a_period_scores_zero_but_psnr_is_low():
    x = np.arange(128)
    stripes = (127 + 100 * np.sin(2 * np.pi * x / 8)).round().astype(np.uint8)
    t = np.repeat(np.broadcast_to(stripes, (128, 128))[..., None], 3, 2).copy()
    f = np.roll(t, 4, axis=1)  # the same stripes out of phase: the same patches, in other places
    m = np.zeros((128, 128), bool)
    m[48:80, 48:80] = True  # far from the border, where the pyramid's reflection would differ
    assert psnr(f, t, mask=m) < 10
    assert hole_swd(f, t, m) < 1e-6
    flat = np.where(m[..., None], 127, t).astype(np.uint8)
    assert hole_swd(flat, t, m) > 0.05


def test_blur_and_noise_score_worse_than_the_truth_and_blur_grows_with_strength():
    t, m = _texture(), _hole()
    scores = []
    for sigma in (1.0, 2.0, 4.0):
        f = t.copy()
        f[m] = cv2.GaussianBlur(t, (0, 0), sigma)[m]
        scores.append(hole_swd(f, t, m))
    assert 0 < scores[0] < scores[1] < scores[2]
    rng = np.random.default_rng(1)
    noisy = t.copy()
    noisy[m] = np.clip(t.astype(int) + rng.integers(-80, 81, t.shape), 0, 255).astype(np.uint8)[m]
    assert hole_swd(noisy, t, m) > scores[0]


def test_is_symmetric_and_deterministic():
    t, m = _texture(), _hole()
    f = t.copy()
    f[m] = cv2.GaussianBlur(t, (0, 0), 2.0)[m]
    assert hole_swd(f, t, m) == pytest.approx(hole_swd(t, f, m), rel=1e-6)
    assert hole_swd(f, t, m, max_patches=50) == hole_swd(f, t, m, max_patches=50)


def test_empty_mask_is_nan_and_bad_arguments_raise():
    t = _texture((16, 16))
    assert math.isnan(hole_swd(t, t, np.zeros((16, 16), bool)))
    with pytest.raises(ValueError, match="odd"):
        hole_swd(t, t, np.ones((16, 16), bool), patch=4)
    with pytest.raises(ValueError, match="uint8"):
        hole_swd(t.astype(np.float64), t, np.ones((16, 16), bool))
