"""Smart selection (GrabCut): the object inside a box, on synthetic images with a known answer."""
from __future__ import annotations

import numpy as np
import pytest

from inpaintkit.select import SelectError, as_rgb8, grabcut_select


def disc_scene(h: int, w: int, r: float, seed: int = 0):
    """A noisy orange disc of radius ``r`` on a noisy, textured green background; (image, true mask)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    disc = (x - w / 2) ** 2 + (y - h / 2) ** 2 < r ** 2
    img = np.empty((h, w, 3), np.float64)
    img[:] = (50, 110, 60)
    img[(x // 12 + y // 12) % 2 == 0] += (20, 10, 15)  # texture in the background
    img[disc] = (225, 150, 40)
    img += rng.normal(0, 12, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8), disc


def iou(a, b) -> float:
    return float((a & b).sum() / (a | b).sum())


def test_disc_in_a_box_is_found():
    img, disc = disc_scene(180, 240, 50)
    mask = grabcut_select(img, (60, 30, 180, 150))
    assert iou(mask, disc) >= 0.9


def test_large_photo_is_cut_reduced_and_scaled_back():
    img, disc = disc_scene(1500, 2000, 400, seed=1)
    mask = grabcut_select(img, (500, 250, 1500, 1250), max_side=400)
    assert mask.shape == disc.shape and iou(mask, disc) >= 0.9


def test_corner_order_points_and_other_modes():
    img, disc = disc_scene(120, 160, 30, seed=2)
    a = grabcut_select(img, (120, 100, 40, 20), points=[(80, 60)])  # corners swapped; a click on the object
    assert iou(a, disc) >= 0.9
    grey16 = (img[..., 1].astype(np.uint16) * 257)
    assert as_rgb8(grey16).shape == (120, 160, 3)
    whole = grabcut_select(img, (0, 0, 160, 120))  # the whole image: the rim is taken as background
    assert whole.shape == disc.shape


def test_tiny_box_is_refused_in_one_line():
    img, _ = disc_scene(50, 50, 10)
    with pytest.raises(SelectError, match="at least 4x4"):
        grabcut_select(img, (10, 10, 12, 30))
    with pytest.raises(SelectError):
        grabcut_select(img, (100, 100, 200, 200))  # outside the image
