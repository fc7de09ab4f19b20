"""Any pixel type in and out: the range the network sees, the fill inside it, integer rounding."""
from __future__ import annotations

import numpy as np
import pytest

from inpaintkit.pixels import PixelError, ValueRange, from_unit, parse_window, to_unit, value_range


def test_uint8_and_unit_floats_keep_their_usual_scales():
    a = np.array([[3, 200]], np.uint8)
    assert value_range(a) == ValueRange(0.0, 255.0)
    assert value_range(np.array([0.2, 0.7], np.float32)) == ValueRange(0.0, 1.0)


def test_other_types_use_the_known_pixels_own_range():
    mr = np.array([[127, 2145], [900, 65535]], np.uint16)  # 65535: garbage under the hole
    known = np.array([[True, True], [True, False]])
    assert value_range(mr, known) == ValueRange(127.0, 2145.0)
    ct = np.array([-1024, -1000, 40, 1800], np.int16)
    assert value_range(ct) == ValueRange(-1024.0, 1800.0)
    photo255 = np.array([0.0, 128.0, 255.0])  # float64 on a 0..255 scale: its own range, not [0, 1]
    assert value_range(photo255) == ValueRange(0.0, 255.0)


def test_round_trip_is_exact_on_integer_grids():
    for dtype, lo, hi in ((np.uint16, 0, 4095), (np.int16, -1024, 3071), (np.int32, -70000, 90000),
                          (np.uint32, 795000, 1254000), (np.uint8, 0, 255)):
        v = np.arange(lo, hi + 1, max(1, (hi - lo) // 997), dtype=np.int64).astype(dtype)
        r = value_range(v)
        back = from_unit(to_unit(v, r), r, dtype)
        assert back.dtype == dtype and np.abs(back.astype(np.int64) - v.astype(np.int64)).max() <= max(1, (hi - lo) // 2**23)


def test_fills_stay_inside_the_range_and_the_type():
    r = ValueRange(-1024.0, 1800.0)
    out = from_unit(np.array([-0.5, 0.0, 0.5, 1.0, 7.0]), r, np.int16)
    assert out.tolist() == [-1024, -1024, 388, 1800, 1800]
    big = ValueRange(0.0, 1e12)  # a window wider than the type: clipped to the type, never wrapped
    assert from_unit(np.array([1.0]), big, np.uint16).tolist() == [65535]
    f = from_unit(np.array([0.25]), ValueRange(-2.0, 2.0), np.float32)
    assert f.dtype == np.float32 and f.tolist() == [-1.0]


def test_a_window_overrides_and_clips_what_the_network_sees():
    ct = np.array([-3000, -1000, 500, 2000, 4000], np.int16)
    r = value_range(ct, window=(-1000, 2000))
    assert to_unit(ct, r).tolist() == [0.0, 0.0, 0.5, 1.0, 1.0]


def test_bad_inputs_are_one_line():
    with pytest.raises(PixelError, match="NaN or infinite"):
        value_range(np.array([0.5, np.nan], np.float32))
    with pytest.raises(PixelError, match="not supported"):
        value_range(np.zeros(3, np.complex64))
    with pytest.raises(PixelError, match="LO < HI"):
        parse_window("2000,-1000")
    with pytest.raises(PixelError, match="two numbers"):
        parse_window("abc")
    assert parse_window("-1000:2000") == (-1000.0, 2000.0)


def test_a_constant_image_fills_with_its_constant():
    a = np.full((3, 3), 700, np.uint16)
    r = value_range(a)
    assert from_unit(np.array([0.3, 0.9]), r, np.uint16).tolist() == [700, 700]
