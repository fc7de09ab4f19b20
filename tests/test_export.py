"""ONNX export (export.py): dynamic sizes, metadata, onnxruntime parity with PyTorch, the cache, the CLI."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from inpaintkit.cli import app
from inpaintkit.export import ExportError, OnnxInpainter, cached_onnx, export_onnx, onnx_filler, weights_key
from inpaintkit.inference import inpaint
from inpaintkit.models.pretrained import weights_path
from inpaintkit.models.registry import create_model

pytest.importorskip("onnxruntime")




def _small_net():
    """An untrained fillnet-s with a non-zero output layer (so the network, not only push-pull, is compared)."""
    torch.manual_seed(0)
    net = create_model("fillnet-s").eval()
    with torch.no_grad():
        net.out.weight.normal_(0, 0.02)
    return net


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    net = _small_net()
    path = tmp_path_factory.mktemp("onnx") / "small.onnx"
    info = export_onnx(net, path)
    return net, path, info


def test_export_writes_a_checked_file_with_metadata(exported):
    net, path, info = exported
    assert path.is_file() and info["max_abs_diff"] < 1e-4
    ort = OnnxInpainter(path)
    assert ort.multiple == 8 and ort.name == "FillNet"
    assert [i.name for i in ort.session.get_inputs()] == ["masked", "mask"]
    assert not list(path.parent.glob(".*.tmp"))  # atomic: no temp file left


@pytest.mark.parametrize("b,h,w", [(1, 64, 64), (2, 40, 120), (1, 136, 72)])
def test_dynamic_batch_height_width_match_pytorch(exported, b, h, w):
    net, path, _ = exported
    g = torch.Generator().manual_seed(h * w)
    image = torch.rand(b, 3, h, w, generator=g)
    mask = (torch.rand(b, 1, h, w, generator=g) > 0.6).float()
    ref = net.fill(image, mask)
    out = OnnxInpainter(path).fill(image, mask)  # through run_contract: padding and compositing included
    assert out.shape == ref.shape
    assert float((out - ref).abs().max()) < 1e-3
    assert torch.equal(out * (1 - mask), image * (1 - mask))


def test_onnx_parity_on_real_faces(data_dir, tmp_path):
    """onnxruntime vs PyTorch within 1e-3 on real CelebA faces, with the bundled faces model when present."""
    from inpaintkit.images import preprocess, read_image

    faces = sorted((data_dir / "celeba" / "img_align_celeba").glob("*.jpg"))[:4]
    if not faces:
        pytest.skip("no CelebA faces in the shared data")
    net = create_model("faces") if weights_path("faces").is_file() else _small_net()
    imgs = torch.stack([torch.from_numpy(preprocess(read_image(p), 128)).permute(2, 0, 1).float() / 255 for p in faces])
    mask = torch.zeros(len(faces), 1, 128, 128)
    mask[:, :, 40:90, 30:100] = 1
    mask[1, :, 10:120, 60:64] = 1
    path = export_onnx(net, tmp_path / "faces.onnx", verify=False)["path"]
    ref = net.fill(imgs, mask)
    out = OnnxInpainter(path).fill(imgs, mask)
    assert float((out - ref).abs().max()) < 1e-3


def test_inpaint_with_the_onnx_backend_matches_torch(exported):
    net, path, _ = exported
    rng = np.random.default_rng(0)
    img = (rng.random((72, 96, 3)) * 255).astype(np.uint8)
    hole = np.zeros((72, 96), bool)
    hole[20:50, 30:70] = True
    a = inpaint(img, hole, net)
    b = inpaint(img, hole, str(path), backend="onnx")
    assert np.array_equal(a[~hole], img[~hole]) and np.array_equal(b[~hole], img[~hole])
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 1  # float differences < 1e-3 may flip a rounding


def test_classical_methods_do_not_export(tmp_path):
    with pytest.raises(ExportError, match="classical"):
        export_onnx("telea", tmp_path / "t.onnx")
    with pytest.raises(ExportError, match="opset"):
        export_onnx(_small_net(), tmp_path / "t.onnx", opset=11)
    with pytest.raises(ExportError, match="not found"):
        OnnxInpainter(tmp_path / "missing.onnx")
    (tmp_path / "bad.onnx").write_bytes(b"not onnx")
    with pytest.raises(ExportError, match="cannot load"):
        OnnxInpainter(tmp_path / "bad.onnx")


def test_cache_exports_once(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    net = _small_net()
    first = cached_onnx(net)
    assert first.parent == tmp_path / "inpaintkit" / "onnx"
    stamp = first.stat().st_mtime_ns
    again = onnx_filler(net)
    assert again.path == first and first.stat().st_mtime_ns == stamp
    key = weights_key(net)
    with torch.no_grad():
        net.out.bias.add_(0.1)  # other weights: another cache entry
    assert weights_key(net) != key and key[:16] in first.name


def test_export_command(tmp_path):
    runner = CliRunner()
    model = tmp_path / "small.safetensors"
    from inpaintkit.checkpoint import save_model

    save_model(_small_net(), model, "fillnet-s")
    r = runner.invoke(app, ["export", "--model", str(model), "-o", str(tmp_path / "m.onnx")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "m.onnx").is_file() and "max |diff|" in r.output
    r = runner.invoke(app, ["export", "--model", str(model), "-o", str(tmp_path / "m.txt")])
    assert r.exit_code == 2 and "error: --out must name a .onnx file" in r.output
    r = runner.invoke(app, ["export", "--model", "telea", "-o", str(tmp_path / "t.onnx")])
    assert r.exit_code == 2 and "classical" in r.output and "Traceback" not in r.output
