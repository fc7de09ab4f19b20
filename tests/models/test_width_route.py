"""width_route: hole depth and width (known answers), the blend by width, the realistic model at its own scale,
and the bundled ``general-routed`` on both backends."""
from __future__ import annotations

import numpy as np
import pytest

from inpaintkit.models.width_route import WidthRoute, hole_depth, hole_width, width_weight


class Constant:
    """A filler that fills every hole pixel with one value and records the sizes it was given."""

    def __init__(self, value: float):
        self.value, self.sizes = value, []

    def fill_numpy(self, x, m):
        self.sizes.append(x.shape[-2:])
        return np.where(m > 0.5, np.float32(self.value), x).astype(np.float32)


def test_hole_depth_is_the_chessboard_distance_to_known_pixels():
    hole = np.zeros((9, 9), bool)
    hole[1:8, 1:8] = True  # a 7x7 hole
    d = hole_depth(hole, far=10)
    assert d[4, 4] == 4 and d[1, 1] == 1 and d[1, 4] == 1 and d[2, 3] == 2 and d[0, 0] == 0
    assert hole_depth(hole, far=2).max() == 2  # capped at far
    assert (hole_depth(np.ones((5, 5), bool), far=6) == 6).all()  # the border is not a known pixel


def test_hole_width_is_the_deepest_reachable_depth_and_does_not_cross_known_pixels():
    hole = np.zeros((40, 40), bool)
    hole[2:6, 2:38] = True  # a 4-pixel-wide stroke
    hole[7:37, 5:35] = True  # a 30x30 box, one known row below the stroke
    w = hole_width(hole, far=8)
    assert (w[2:6, 2:38] == 2).all()  # the whole stroke, its edges included
    assert (w[7:37, 5:35] == 8).all()  # the box up to its rim (capped at far)
    assert (w[~hole] == 0).all()
    assert (hole_width(hole, far=1)[hole] == 1).all()
    uncapped = hole_depth(hole, 40)  # what WidthRoute computes once and passes on
    assert np.array_equal(hole_width(hole, far=8, depth=uncapped), w)


def test_width_weight_is_zero_up_to_near_and_one_from_far():
    hole = np.zeros((32, 32), bool)
    hole[2:4, :] = True  # 2 px wide: half-width 1
    hole[8:30, 4:26] = True  # 22 px: half-width capped at far
    w = width_weight(hole, near=1, far=6)
    assert (w[2:4] == 0).all() and (w[8:30, 4:26] == 1).all() and (w[~hole] == 0).all()
    assert w.dtype == np.float32


def test_thin_strokes_come_from_accurate_and_wide_holes_from_realistic_up_to_their_edge():
    acc, real = Constant(0.0), Constant(1.0)
    route = WidthRoute(acc, real, near=2, far=6, max_depth=64)
    x = np.full((1, 3, 48, 48), 0.5, np.float32)
    m = np.zeros((1, 1, 48, 48), np.float32)
    m[..., 4:8, 2:46] = 1  # a 4-pixel-wide stroke: half-width 2 = near
    m[..., 14:44, 6:36] = 1  # a 30x30 box
    out = route.fill_numpy(x, m)
    assert (out[..., 4:8, 2:46] == 0).all() and (out[..., 14:44, 6:36] == 1).all()
    assert (out[m.repeat(3, 1) == 0] == 0.5).all()  # known pixels as given


def test_the_realistic_model_sees_holes_at_most_max_depth_deep_and_runs_only_when_needed():
    acc, real = Constant(0.2), Constant(0.8)
    route = WidthRoute(acc, real, near=2, far=6, max_depth=10)
    x = np.zeros((1, 3, 128, 192), np.float32)
    m = np.zeros((1, 1, 128, 192), np.float32)
    m[..., 10, 5:180] = 1  # a 1-pixel line: the accurate model alone
    route.fill_numpy(x, m)
    assert acc.sizes == [(128, 192)] and real.sizes == []
    m[..., 40:60, 20:60] = 1  # a 20-px-wide hole, 10 deep: the realistic model at full size
    route.fill_numpy(x, m)
    assert real.sizes == [(128, 192)]
    m[..., 40:100, 20:100] = 1  # 30 deep: reduced by 10/30, to a long side of 64
    route.fill_numpy(x, m)
    assert real.sizes[-1] == (43, 64) and acc.sizes[-1] == (128, 192)
    assert route.realistic_side(np.zeros((128, 192), bool)) == 192


def test_bad_settings_raise():
    with pytest.raises(ValueError, match="near"):
        WidthRoute(Constant(0), Constant(1), near=4, far=4)
    with pytest.raises(ValueError, match="max_depth must be at least far"):
        WidthRoute(Constant(0), Constant(1), far=8, max_depth=4)


def test_general_routed_is_general_on_thin_holes_on_both_backends():
    pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    import inpaintkit
    from inpaintkit.demo import demo_photo

    img = demo_photo("astronaut")[:192, :192]
    thin = np.zeros(img.shape[:2], bool)
    thin[60:63, 10:180] = True  # a 3-pixel scratch
    assert np.array_equal(inpaintkit.inpaint(img, thin, model="general-routed"), inpaintkit.inpaint(img, thin, model="general"))
    wide = thin.copy()
    wide[100:160, 40:120] = True
    a = inpaintkit.inpaint(img, wide, model="general-routed")
    b = inpaintkit.inpaint(img, wide, model="general-routed", backend="onnx")
    assert np.array_equal(a[~wide], img[~wide]) and np.abs(a.astype(int) - b.astype(int)).max() <= 1
    assert not np.array_equal(a, inpaintkit.inpaint(img, wide, model="general"))  # the wide part is general-gan's
