"""The damage detector network: shapes, size, files (safetensors + JSON, no pickle), ONNX export."""
from __future__ import annotations

import json

import pytest
import torch

from inpaintkit.damage.detector import (BUNDLED, DamageNet, DetectorConfig, DetectorError, export_onnx, load_detector, n_params,
                                        pad_to, read_info, save_detector)


def small() -> DamageNet:
    torch.manual_seed(0)
    net = DamageNet(DetectorConfig(widths=(4, 4, 8, 8, 8), dilations=(2,)))
    for m in net.modules():  # non-trivial batch-norm statistics, so a file round trip tests them too
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    return net.eval()


@pytest.mark.parametrize("h, w", [(16, 16), (37, 50), (64, 23)])
def test_any_size_through_pad_to(h, w):
    net = small()
    x, oh, ow = pad_to(torch.rand(2, 3, h, w))
    assert (oh, ow) == (h, w) and x.shape[-2] % 16 == 0 and x.shape[-1] % 16 == 0
    with torch.no_grad():
        y = net(x)
    assert y.shape == (2, 1, *x.shape[-2:]) and torch.isfinite(y).all()


def test_default_network_is_small():
    assert n_params(DamageNet()) < 350_000


def test_save_load_round_trip(tmp_path):
    net = small()
    path = tmp_path / "det.safetensors"
    save_detector(net, path, {"threshold": 0.4}, dtype=None)
    loaded, info = load_detector(path)
    x = torch.rand(1, 3, 32, 48)
    with torch.no_grad():
        assert torch.equal(net(x), loaded(x))
    assert info["threshold"] == 0.4 and info["config"]["widths"] == [4, 4, 8, 8, 8]
    assert json.loads(path.with_suffix(".json").read_text()) == info == read_info(path)


def test_fp16_file_is_close(tmp_path):
    net = small()
    save_detector(net, tmp_path / "d.safetensors")  # fp16 by default: what ships
    loaded, _ = load_detector(tmp_path / "d.safetensors")
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        assert (torch.sigmoid(net(x)) - torch.sigmoid(loaded(x))).abs().max() < 1e-2


def test_bad_files_are_one_line_errors(tmp_path):
    with pytest.raises(DetectorError, match="not found"):
        load_detector(tmp_path / "missing.safetensors")
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x80\x04not a safetensors file")
    with pytest.raises(DetectorError, match="not a safetensors detector"):
        load_detector(junk)
    from safetensors.torch import save_file

    other = tmp_path / "other.safetensors"
    save_file({"a": torch.zeros(1)}, str(other), metadata={"format": "something-else"})
    with pytest.raises(DetectorError, match="not a damage detector"):
        load_detector(other)


def test_config_and_shapes_are_checked_before_building(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "big.safetensors"
    info = {"model": "damage-unet", "config": {"widths": [100000, 1, 1, 1, 1], "dilations": [2]}}
    save_file({"a": torch.zeros(1)}, str(path), metadata={"format": "inpaintkit-damage-detector", "info": json.dumps(info)})
    with pytest.raises(DetectorError, match="refused before building: widths"):
        load_detector(path)
    net = small()
    save_detector(net, path, dtype=None)
    info = read_info(path)
    info["config"]["widths"] = [4, 4, 8, 8, 16]
    from safetensors.torch import load_file

    save_file(load_file(str(path)), str(path), metadata={"format": "inpaintkit-damage-detector", "info": json.dumps(info)})
    with pytest.raises(DetectorError, match="do not fit"):
        load_detector(path)


def test_onnx_export_matches(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    net = small()
    path = export_onnx(net, tmp_path / "d.onnx")
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = torch.rand(2, 3, 80, 32)  # another size and batch than the export's: dynamic axes
    with torch.no_grad():
        ref = net(x).numpy()
    assert abs(sess.run(None, {"image": x.numpy()})[0] - ref).max() < 1e-4


def test_bundled_detector_ships_with_a_threshold():
    assert BUNDLED.is_file(), f"bundled detector missing: {BUNDLED}"
    assert BUNDLED.stat().st_size < 2_000_000
    net, info = load_detector()
    assert 0 < info["threshold"] < 1 and n_params(net) < 350_000
