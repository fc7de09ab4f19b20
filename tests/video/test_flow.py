"""flow.py: push-pull completion, DIS flow on a known shift, point sampling and warping."""
from __future__ import annotations

import numpy as np

from inpaintkit.video.flow import FlowEstimator, displacement, push_pull, sample, warp

from .synthetic import texture


def test_push_pull_keeps_known_and_fills_smoothly():
    yy, xx = np.mgrid[0:40, 0:60].astype(np.float32)
    plane = 0.5 * xx + 0.25 * yy  # a linear ramp: a membrane fill is close to it
    known = np.ones((40, 60), bool)
    known[10:30, 20:40] = False
    out = push_pull(np.where(known, plane, 999.0), known)
    assert np.array_equal(out[known], plane[known])
    assert np.abs(out[~known] - plane[~known]).max() < 4.0  # nowhere near the 999 that was thrown away
    assert np.array_equal(push_pull(plane, np.zeros_like(known)), np.zeros_like(plane))


def test_dis_flow_recovers_a_shift_and_completes_the_hole():
    big = texture(80, 120, seed=3)
    a, b = big[8:72, 8:104], big[10:74, 5:101]  # a(p) = b(p + (3, -2)): the flow a->b is (3, -2)
    hole = np.zeros(a.shape[:2], bool)
    hole[20:40, 30:60] = True
    a_obj = a.copy()
    a_obj[hole] = (255, 0, 255)  # an object that is not there in b: its flow must not leak into the result
    est = FlowEstimator(scale=0.5, preset="medium")
    ga, ha = est.prepare(a_obj, hole)
    gb, _ = est.prepare(b, np.zeros_like(hole))
    f = est.flow(ga, gb, ha)
    ys, xs = np.nonzero(hole)
    d = displacement(f, np.stack([xs, ys], 1).astype(np.float32), est.scale)
    assert np.abs(np.median(d, axis=0) - (3.0, -2.0)).max() < 0.5, np.median(d, axis=0)


def test_sample_and_warp():
    img = np.arange(5 * 7 * 3, dtype=np.float32).reshape(5, 7, 3)
    xy = np.array([[0, 0], [3, 2], [2.5, 1]], np.float32)
    s = sample(img, xy)
    assert np.allclose(s[0], img[0, 0]) and np.allclose(s[1], img[2, 3]) and np.allclose(s[2], (img[1, 2] + img[1, 3]) / 2)
    many = np.zeros((10000, 2), np.float32)  # more points than one remap row
    assert sample(img, many).shape == (10000, 3)
    flow = np.zeros((5, 7, 2), np.float32)
    flow[..., 0] = 1.0
    assert np.allclose(warp(img, flow)[:, :-1], img[:, 1:])


def test_complete_flow_modes_replace_the_hole_and_a_band():
    from inpaintkit.video.flow import complete_flow

    yy, xx = np.mgrid[0:48, 0:64].astype(np.float32)
    true = np.stack([0.05 * xx + 1.0, 0.02 * yy - 0.5], 2)  # an affine motion: a homography fits it exactly
    hole = np.zeros((48, 64), bool)
    hole[16:32, 24:40] = True
    measured = true.copy()
    measured[12:36, 20:44] = (5.0, 5.0)  # the object's motion, leaking a little outside the hole
    for mode, tol in (("homography", 0.01), ("membrane", 1.0)):
        out = complete_flow(measured, hole, mode, band=4)
        assert np.abs(out[hole] - true[hole]).max() < tol, mode
        assert np.array_equal(out[:4], measured[:4])  # far from the hole nothing changes


def test_local_completion_follows_each_part_of_the_hole():
    from inpaintkit.video.flow import complete_flow

    flow = np.zeros((64, 160, 2), np.float32)
    flow[:, :80] = (2.0, 0.0)  # the left half moves right, the right half up: no one homography fits both
    flow[:, 80:] = (0.0, -3.0)
    hole = np.zeros((64, 160), bool)
    hole[24:40, 24:44] = True
    hole[24:40, 116:136] = True
    measured = flow.copy()
    measured[hole] = (9.0, 9.0)
    out = complete_flow(measured, hole, "local", band=4, reach=16)
    assert np.abs(out[hole] - flow[hole]).max() < 0.01  # each part gets the motion around it
    glob = complete_flow(measured, hole, "homography", band=4)
    assert np.abs(glob[hole] - flow[hole]).max() > 1.0  # the global fit follows one half only
