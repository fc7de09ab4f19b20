"""Known-answer tests of the damage synthesis: masks cover exactly the changed pixels, types are labelled."""
from __future__ import annotations

import numpy as np
import pytest

from inpaintkit.damage.synth import (DAMAGE_TYPES, DELTA, TYPE_IDS, apply_damage, random_path, scan, smooth_noise,
                                     synthesize, tone)


def photo(h=96, w=128, seed=0) -> np.ndarray:
    """A smooth mid-tone test picture (gradient + soft blobs) the tests make themselves."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = 70 + 80 * x / w + 30 * np.sin(y / 9.0)
    img = np.stack([base, base * 0.9 + 10, base * 0.8 + 20], 2) + rng.normal(0, 2, (h, w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def change(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a.astype(int) - b.astype(int)).max(axis=2)


@pytest.mark.parametrize("seed", range(6))
def test_mask_is_exactly_the_changed_pixels(seed):
    img = photo(seed=seed)
    damaged, mask, types = synthesize(img, np.random.default_rng(seed), tone_p=0, paper_p=0, scan_p=0)
    d = change(damaged, img)
    level = DELTA * 255
    assert mask.any()
    assert (d[~mask] <= np.ceil(level)).all()  # unmasked pixels changed by less than DELTA (+ rounding)
    assert (d[mask] >= np.floor(level)).all()  # every masked pixel visibly changed
    assert ((types > 0) == mask).all()


@pytest.mark.parametrize("name", DAMAGE_TYPES)
def test_each_type_alone_is_labelled_with_its_id(name):
    img = photo()
    found = False
    for seed in range(4):
        damaged, mask, types = synthesize(img, np.random.default_rng(seed), types=[name], tone_p=0, paper_p=0, scan_p=0)
        assert set(np.unique(types[mask])) <= {TYPE_IDS[name]}
        assert not types[~mask].any()
        found |= bool(mask.any())
    assert found, f"{name} never changed a pixel in 4 tries"


def test_deterministic_given_the_seed():
    img = photo()
    a = synthesize(img, np.random.default_rng(7))
    b = synthesize(img, np.random.default_rng(7))
    for x, y in zip(a, b):
        assert np.array_equal(x, y)
    damaged, mask, types = a
    assert damaged.dtype == np.uint8 and damaged.shape == img.shape
    assert mask.dtype == bool and mask.shape == img.shape[:2] and types.dtype == np.uint8


def test_clean_example_has_an_empty_mask_and_unchanged_pixels():
    img = photo()
    damaged, mask, types = synthesize(img, np.random.default_rng(1), clean_p=1.0, tone_p=0, paper_p=0, scan_p=0)
    assert not mask.any() and not types.any()
    assert np.array_equal(damaged, img)


def test_apply_damage_known_answer():
    img = np.zeros((20, 30, 3), np.float32)
    alpha = np.zeros((20, 30), np.float32)
    alpha[5:10, 4:12] = 1.0
    alpha[15, 20] = 0.5 * DELTA  # too faint to count
    out, mask, types = apply_damage(img, [("spot", alpha, np.ones((20, 30, 3), np.float32))])
    assert np.array_equal(mask, alpha >= 1.0)
    assert (types[mask] == TYPE_IDS["spot"]).all() and not types[~mask].any()
    assert np.allclose(out[5:10, 4:12], 1.0) and out[15, 20, 0] > 0


def test_apply_damage_labels_the_layer_that_changed_a_pixel_most():
    img = np.full((8, 8, 3), 0.5, np.float32)
    a1 = np.ones((8, 8), np.float32) * 0.2
    a2 = np.zeros((8, 8), np.float32)
    a2[:4] = 1.0
    out, mask, types = apply_damage(img, [("stain", a1, np.zeros((8, 8, 3), np.float32)),
                                          ("scratch", a2, np.ones((8, 8, 3), np.float32))])
    assert mask.all()
    assert (types[:4] == TYPE_IDS["scratch"]).all() and (types[4:] == TYPE_IDS["stain"]).all()


def test_photo_level_variants_keep_shape_and_range():
    rng = np.random.default_rng(0)
    img = photo().astype(np.float32) / 255
    for _ in range(8):
        t = tone(img, rng)
        assert t.shape == img.shape and t.dtype == np.float32 and 0 <= t.min() and t.max() <= 1
    s = scan(img, rng)
    assert s.dtype == np.uint8 and s.shape == img.shape


def test_helpers():
    rng = np.random.default_rng(0)
    f = smooth_noise(30, 40, rng, 8)
    assert f.shape == (30, 40) and np.isclose(f.min(), 0) and np.isclose(f.max(), 1)
    pts = random_path(50, 50, rng, 40, step=2)
    assert pts.shape == (20, 2) and np.allclose(np.hypot(*np.diff(pts, axis=0).T), 2)
    assert random_path(50, 50, rng, 3, step=2).shape == (2, 2)  # shorter than the smoothing window


@pytest.mark.parametrize("bad, why", [(np.zeros((8, 8), np.uint8), "image must be"), (np.zeros((4, 4, 3), np.uint8), "at least 8x8")])
def test_bad_images(bad, why):
    with pytest.raises(ValueError, match=why):
        synthesize(bad, np.random.default_rng(0))


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown damage types"):
        synthesize(photo(), np.random.default_rng(0), types=["mould"])
    with pytest.raises(ValueError, match="scale"):
        synthesize(photo(), np.random.default_rng(0), scale=0)
