"""masks.py: generated stroke, object and box masks, the `inpaintkit masks` command."""
from __future__ import annotations

import time

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

import inpaintkit.masks as M
from inpaintkit.cli import app
from inpaintkit.images import read_mask
from inpaintkit.mask_bands import BANDS, hole_ratio, ratio_histogram
from inpaintkit.masks import PRESETS, MaskGenerator, box_mask, stroke_mask


def _touches_border(m):
    return bool(m[0].any() or m[-1].any() or m[:, 0].any() or m[:, -1].any())


# --- generated masks ----------------------------------------------------------------------------------


def test_generator_is_reproducible_and_order_free():
    g = MaskGenerator(64, "mixed", seed=3)
    later = g(41)
    first = [g(i) for i in range(5)]
    assert later.dtype == bool and later.shape == (64, 64)
    np.testing.assert_array_equal(MaskGenerator(64, "mixed", seed=3)(41), later)  # fresh object, same mask
    np.testing.assert_array_equal(g(0), first[0])
    assert not np.array_equal(first[0], first[1])
    assert not np.array_equal(MaskGenerator(64, "mixed", seed=4)(41), later)


def test_non_square_and_bad_arguments():
    m = stroke_mask((48, 80), np.random.default_rng(0), "medium")
    assert m.shape == (48, 80)
    with pytest.raises(ValueError, match="unknown mask preset"):
        MaskGenerator(64, "huge")
    with pytest.raises(ValueError, match="size"):
        MaskGenerator((0, 5))


def _mean_half_width(masks):
    # mean distance transform over hole pixels ~ a third of the brush width, whatever the hole ratio
    vals = [cv2.distanceTransform(m.astype(np.uint8), cv2.DIST_L2, 3)[m].mean() for m in masks if m.any()]
    return float(np.mean(vals))


def test_presets_differ_in_stroke_width():
    w = {p: _mean_half_width([MaskGenerator(128, p, seed=1)(i) for i in range(40)]) for p in PRESETS}
    assert w["thin"] * 1.5 < w["medium"] and w["medium"] * 1.3 < w["thick"], w


def test_preset_ratio_ranges():
    for name, p in PRESETS.items():
        r = np.array([hole_ratio(MaskGenerator(96, name, seed=2)(i)) for i in range(60)])
        assert r.min() >= p.ratio[0] * 0.5, name
        assert r.max() <= p.ratio[1] + 0.1, name  # the last stroke may overshoot a little


def test_mixed_histogram_covers_all_bands_evenly():
    g = MaskGenerator(64, "mixed", seed=0)
    ratios = [hole_ratio(g(i)) for i in range(600)]
    counts = ratio_histogram(ratios)
    for b in BANDS:  # ~1/6 each (100 of 600) when the target is uniform over 1-60 %
        assert 60 <= counts[b] <= 140, counts
    assert counts["60+"] <= 30, counts


def test_half_the_masks_touch_the_border_and_the_rest_stay_inside(monkeypatch):
    g = MaskGenerator(64, "mixed", seed=5)
    share = np.mean([_touches_border(g(i)) for i in range(300)])
    assert 0.35 < share < 0.75, share
    monkeypatch.setattr(M, "BORDER_PROB", 0.0)
    for p in PRESETS:
        assert not any(_touches_border(stroke_mask(48, np.random.default_rng(i), p)) for i in range(60)), p


def test_generator_is_fast():
    g = MaskGenerator(128, "mixed", seed=0)
    g(0)
    t = time.perf_counter()
    for i in range(200):
        g(i)
    ms = (time.perf_counter() - t) / 200 * 1e3
    assert ms < 5.0, f"{ms:.2f} ms per 128x128 mask (about 0.25 ms on an idle core)"


def test_box_masks():
    m = box_mask(10, box_frac=0.4)
    assert m.sum() == 16 and m[3:7, 3:7].all()
    rng = np.random.default_rng(0)
    tops = set()
    for _ in range(20):
        r = box_mask((20, 30), rng, box_frac=0.5)
        ys, xs = np.nonzero(r)
        assert r.sum() == 10 * 15 and ys.max() - ys.min() == 9 and xs.max() - xs.min() == 14
        tops.add(int(ys.min()))
    assert len(tops) > 3
    b = MaskGenerator(32, "box", seed=0)
    np.testing.assert_array_equal(b(3), b(3))
    assert 0.25**2 * 0.8 <= hole_ratio(b(3)) <= 0.5**2 * 1.2
    with pytest.raises(ValueError):
        box_mask(10, box_frac=0)


# --- command ------------------------------------------------------------------------------------------


def test_masks_command(tmp_path):
    res = CliRunner().invoke(app, ["masks", "-o", str(tmp_path / "out"), "--n", "5", "--size", "48", "--stats", "120"])
    assert res.exit_code == 0, res.output
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["contact_sheet.png"] + [f"mask_{i:05d}.png" for i in range(5)]
    m = read_mask(tmp_path / "out" / "mask_00003.png")
    np.testing.assert_array_equal(m, MaskGenerator(48, "mixed", seed=0)(3))
    assert "hole ratios of 120 masks" in res.output
    total = sum(int(line.split()[1]) for line in res.output.splitlines() if line.split() and line.split()[0] in BANDS + ["60+"])
    assert total == 120


def test_masks_command_errors(tmp_path):
    res = CliRunner().invoke(app, ["masks", "-o", str(tmp_path), "--preset", "huge"])
    assert res.exit_code == 2 and "unknown mask preset" in res.output
    res = CliRunner().invoke(app, ["masks", "-o", str(tmp_path), "--n", "0"])
    assert res.exit_code == 2


def test_object_masks_are_one_or_two_solid_blobs():
    for i in range(20):
        m = M.object_mask(128, np.random.default_rng(i))
        n, _ = cv2.connectedComponents(m.astype(np.uint8))
        assert 2 <= n <= 3  # background + one or two blobs
        assert 0.02 < hole_ratio(m) < 0.8
        n_bg, labels = cv2.connectedComponents((~m).astype(np.uint8))
        edge = set(np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])))
        assert set(range(1, n_bg)) <= edge  # every known region reaches the border: no gaps inside a blob


def test_wide_preset_mixes_strokes_objects_and_large_boxes():
    gen = MaskGenerator(96, "wide", seed=3)
    ratios = np.array([hole_ratio(gen(i)) for i in range(200)])
    assert (gen(5) == MaskGenerator(96, "wide", seed=3)(5)).all()
    assert (ratios < 0.1).mean() > 0.05 and (ratios > 0.3).mean() > 0.3  # thin scratches and wide holes
    with pytest.raises(ValueError, match="wide"):
        MaskGenerator(32, "nope")
