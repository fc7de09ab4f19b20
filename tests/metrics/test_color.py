"""Hole colour error: CIEDE2000 against Sharma et al.'s published test pairs, greys, casts."""
import math

import cv2
import numpy as np
import pytest

from inpaintkit.metrics import hole_color_error
from inpaintkit.metrics.color import ciede2000, mean_lab, srgb_to_lab

# (Lab1, Lab2, ΔE00) from Sharma, Wu & Dalal (2005), Table 1: pairs 1, 7, 13, 17, 25, 34
SHARMA = [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.4900, -0.0010), (50.0, -2.4900, 0.0011), 7.2195),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((22.7233, 20.0904, -46.6940), (23.0331, 14.9730, -42.5619), 2.0373),
]


@pytest.mark.parametrize("lab1,lab2,expected", SHARMA)
def test_ciede2000_matches_published_pairs(lab1, lab2, expected):
    assert ciede2000(lab1, lab2) == pytest.approx(expected, abs=1e-4)
    assert ciede2000(lab2, lab1) == pytest.approx(expected, abs=1e-4)  # symmetric


def test_srgb_to_lab_matches_scikit_image():
    from skimage.color import rgb2lab

    rng = np.random.default_rng(5)
    rgb = rng.random((50, 3))
    assert np.abs(srgb_to_lab(rgb) - rgb2lab(rgb[None])[0]).max() < 0.01  # its white point is rounded to 5 digits


def test_identical_fill_has_zero_error():
    rng = np.random.default_rng(0)
    t = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    m = np.zeros((16, 16), bool)
    m[3:12, 4:10] = True
    assert hole_color_error(t, t, m) == 0.0


def test_grey_fills_differ_by_lightness_alone():
    # greys have a* = b* = 0, so ΔE00 = |ΔL*| / S_L with S_L = 1 + 0.015 (L̄ - 50)² / sqrt(20 + (L̄ - 50)²)
    t, f = np.full((8, 8, 3), 118, np.uint8), np.full((8, 8, 3), 124, np.uint8)
    m = np.ones((8, 8), bool)
    lt, lf = mean_lab(t, m)[0], mean_lab(f, m)[0]
    d = (lt + lf) / 2 - 50
    assert hole_color_error(f, t, m) == pytest.approx(abs(lf - lt) / (1 + 0.015 * d * d / math.sqrt(20 + d * d)), rel=1e-9)
    assert mean_lab(t, m)[1:] == pytest.approx([0, 0], abs=1e-9)


def test_only_the_hole_counts_and_texture_does_not():
    rng = np.random.default_rng(3)
    t = cv2.GaussianBlur(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8), (0, 0), 2)
    m = np.zeros((32, 32), bool)
    m[8:24, 8:24] = True
    outside = t.copy()
    outside[~m] = 0  # a change outside the hole is not measured
    assert hole_color_error(outside, t, m) == 0.0
    shuffled = t.copy()
    shuffled[m] = rng.permutation(t[m])  # same colours, other places: mean colour unchanged
    assert hole_color_error(shuffled, t, m) < 0.05
    cast = t.copy()
    cast[m] = np.clip(t[m].astype(int) + [25, 0, 0], 0, 255).astype(np.uint8)  # a red cast
    assert hole_color_error(cast, t, m) > 3


def test_empty_mask_is_nan():
    t = np.zeros((4, 4, 3), np.uint8)
    assert math.isnan(hole_color_error(t, t, np.zeros((4, 4), bool)))
