"""routed: hole depth, the blend by depth, loading the two networks, ONNX export."""
from __future__ import annotations

import pytest
import torch

from inpaintkit.models import create_model
from inpaintkit.models.routed import RoutedFill, hole_depth

TINY = {"widths": (8, 16, 32), "n_blocks": 1}


def test_hole_depth_is_the_chessboard_distance_to_known_pixels():
    m = torch.zeros(1, 1, 9, 9)
    m[..., 1:8, 1:8] = 1  # a 7x7 hole
    d = hole_depth(m, far=10)[0, 0]
    assert d[4, 4] == 4 and d[1, 1] == 1 and d[1, 4] == 1 and d[2, 3] == 2 and d[0, 0] == 0
    assert hole_depth(m, far=2)[0, 0].max() == 2  # capped at far
    full = torch.ones(1, 1, 5, 5)  # nothing known: as deep as allowed everywhere
    assert (hole_depth(full, far=6) == 6).all()




def test_thin_holes_come_from_accurate_and_wide_interiors_from_realistic(monkeypatch):
    net = RoutedFill(TINY, TINY, near=2, far=6)
    monkeypatch.setattr(net.accurate, "forward", lambda x, m: torch.zeros_like(x))
    monkeypatch.setattr(net.realistic, "forward", lambda x, m: torch.ones_like(x))
    mask = torch.zeros(1, 1, 32, 32)
    mask[..., 4:8, 2:30] = 1  # a 4-pixel-wide stroke: depth <= 2 everywhere
    mask[..., 12:30, 4:22] = 1  # an 18x18 box: depth up to 9
    out = net(torch.zeros(1, 3, 32, 32), mask)
    assert out[..., 4:8, 2:30].abs().max() == 0  # the stroke: accurate only
    assert (out[..., 18:24, 10:16] == 1).all()  # deep inside the box: realistic only
    assert 0 < float(out[0, 0, 14, 13]) < 1  # depth 3 blends


def test_state_dict_holds_both_networks_and_a_file_round_trips(tmp_path):
    from inpaintkit.checkpoint import load_model, save_model

    net = create_model("routed", accurate=TINY, realistic=TINY, near=3, far=9)
    keys = net.state_dict().keys()
    assert any(k.startswith("accurate.") for k in keys) and any(k.startswith("realistic.") for k in keys)
    save_model(net, tmp_path / "r.safetensors", "routed")
    back = load_model(tmp_path / "r.safetensors")
    assert back.config == net.config
    x, m = torch.rand(1, 3, 32, 32), torch.zeros(1, 1, 32, 32)
    m[..., 8:24, 8:24] = 1
    assert torch.equal(back.fill(x, m), net.eval().fill(x, m))


def test_bad_near_far_raise():
    with pytest.raises(ValueError, match="near"):
        RoutedFill(TINY, TINY, near=5, far=5)


def test_exports_to_onnx_with_dynamic_size(tmp_path):
    pytest.importorskip("onnxruntime")
    from inpaintkit.export import export_onnx

    net = create_model("routed", accurate=TINY, realistic=TINY, near=2, far=6).eval()
    info = export_onnx(net, tmp_path / "r.onnx")
    assert info["max_abs_diff"] < 1e-4
