"""The ``inpaintkit fill`` command: one file, a folder matched by stem, skips, reruns, user errors."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from inpaintkit.cli import app
from inpaintkit.images import read_picture
from inpaintkit.optional import torch_available

pytestmark = pytest.mark.light  # the torch-free install runs these too (`make test-light`)
needs_torch = pytest.mark.skipif(not torch_available(), reason="needs PyTorch (not in the torch-free install)")

runner = CliRunner()




def _img(h=40, w=56, seed=0, mode="RGB"):
    rng = np.random.default_rng(seed)
    a = (rng.random((h, w, 3)) * 255).astype(np.uint8)
    return Image.fromarray(a).convert(mode)


def _mask(h=40, w=56, box=(8, 20, 10, 30)):
    m = np.zeros((h, w), np.uint8)
    y0, y1, x0, x1 = box
    m[y0:y1, x0:x1] = 255
    return Image.fromarray(m)


def _fill(*args):
    return runner.invoke(app, ["fill", *map(str, args), "--model", "telea", "-q"])


def test_single_file(tmp_path):
    _img().save(tmp_path / "a.png")
    _mask().save(tmp_path / "m.png")
    r = _fill(tmp_path / "a.png", "--mask", tmp_path / "m.png", "-o", tmp_path / "out" / "a.png")
    assert r.exit_code == 0, r.output
    src, out = np.asarray(_img()), read_picture(tmp_path / "out" / "a.png").pixels
    hole = np.asarray(_mask()) > 127
    assert out.shape == src.shape and np.array_equal(out[~hole], src[~hole]) and not np.array_equal(out, src)
    # an existing output is refused unless --overwrite; the input is never overwritten
    r = _fill(tmp_path / "a.png", "--mask", tmp_path / "m.png", "-o", tmp_path / "out" / "a.png")
    assert r.exit_code == 2 and "add --overwrite" in r.output
    r = _fill(tmp_path / "a.png", "--mask", tmp_path / "m.png", "-o", tmp_path / "out" / "a.png", "--overwrite")
    assert r.exit_code == 0
    r = _fill(tmp_path / "a.png", "--mask", tmp_path / "m.png", "-o", tmp_path / "a.png", "--overwrite")
    assert r.exit_code == 2 and "refusing to overwrite the input" in r.output
    # -o an existing folder: same file name inside it
    (tmp_path / "dir").mkdir()
    r = _fill(tmp_path / "a.png", "--mask", tmp_path / "m.png", "-o", tmp_path / "dir")
    assert r.exit_code == 0 and (tmp_path / "dir" / "a.png").is_file()


def test_single_file_user_errors_are_one_line(tmp_path):
    _img().save(tmp_path / "a.png")
    _mask().save(tmp_path / "m.png")
    _mask(30, 56).save(tmp_path / "small.png")
    cases = [
        ([tmp_path / "nope.png", "--mask", tmp_path / "m.png", "-o", tmp_path / "o.png"], "image not found"),
        ([tmp_path / "a.png", "--mask", tmp_path / "small.png", "-o", tmp_path / "o.png"], "mask is 56x30 but image is 56x40"),
        ([tmp_path / "a.png", "--mask", tmp_path / "m.png", "-o", tmp_path / "o.xyz"], "cannot write"),
        ([tmp_path / "a.png", "--mask", tmp_path / "m.png", "-o", tmp_path / "o.png", "--backend", "cuda"], "--backend"),
        ([tmp_path / "a.png", "--mask", tmp_path / "nope.png", "-o", tmp_path / "o.png"], "no such file"),
    ]
    for args, msg in cases:
        r = _fill(*args)
        assert r.exit_code == 2 and msg in r.output and "Traceback" not in r.output, (args, r.output)
        assert len(r.output.strip().splitlines()) == 1
    r = runner.invoke(app, ["fill", str(tmp_path / "a.png"), "--mask", str(tmp_path / "m.png"), "-o",
                            str(tmp_path / "o.png"), "--model", "no-such-model"])
    assert r.exit_code == 2 and "unknown model 'no-such-model'" in r.output


def test_empty_mask_writes_the_image_unchanged_with_a_warning(tmp_path):
    _img().save(tmp_path / "a.png")
    Image.fromarray(np.zeros((40, 56), np.uint8)).save(tmp_path / "m.png")
    r = _fill(tmp_path / "a.png", "--mask", tmp_path / "m.png", "-o", tmp_path / "o.png")
    assert r.exit_code == 0 and "no hole pixels" in r.output
    assert np.array_equal(read_picture(tmp_path / "o.png").pixels, np.asarray(_img()))


@pytest.fixture
def folders(tmp_path):
    imgs, masks = tmp_path / "imgs", tmp_path / "masks"
    imgs.mkdir()
    masks.mkdir()
    _img(seed=1).save(imgs / "cat.jpg")
    _mask().save(masks / "cat.png")  # matched by stem, other suffix
    _img(seed=2, mode="L").save(imgs / "grey.png")
    _mask().save(masks / "grey_mask.png")  # the <stem>_mask convention
    _img(seed=3).save(imgs / "lonely.png")  # no mask
    (imgs / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\ntruncated")
    _mask().save(masks / "broken.png")
    _img(seed=4).save(imgs / "twice.png")
    _mask().save(masks / "twice.png")
    _mask().save(masks / "twice.bmp")  # ambiguous
    (imgs / "notes.txt").write_text("not an image")  # ignored
    return tmp_path, imgs, masks


def test_folder_form_matches_by_stem_and_summarises_skips(folders):
    root, imgs, masks = folders
    out = root / "out"
    r = _fill(imgs, "--mask", masks, "-o", out)
    assert r.exit_code == 1, r.output  # some files failed
    assert sorted(p.name for p in out.iterdir()) == ["cat.jpg", "grey.png"]
    assert "filled 2 of 5 images" in r.output
    assert "lonely.png: no mask named lonely" in r.output
    assert "broken.png: cannot read image" in r.output
    assert "twice.png: several masks match" in r.output
    with Image.open(out / "grey.png") as im:
        assert im.mode == "L"
    # a rerun skips what exists; --overwrite redoes it
    stamp = (out / "cat.jpg").stat().st_mtime_ns
    r = _fill(imgs, "--mask", masks, "-o", out)
    assert "cat.jpg: output exists (use --overwrite)" in r.output and (out / "cat.jpg").stat().st_mtime_ns == stamp
    r = _fill(imgs, "--mask", masks, "-o", out, "--overwrite")
    assert "filled 2 of 5" in r.output


def test_folder_form_refuses_to_write_into_its_inputs(folders):
    root, imgs, masks = folders
    r = _fill(imgs, "--mask", masks, "-o", imgs)
    assert r.exit_code == 2 and "must differ from the images folder" in r.output
    r = _fill(imgs, "--mask", masks, "-o", masks)
    assert r.exit_code == 2 and "must differ from the masks folder" in r.output
    r = _fill(imgs, "--mask", masks / "cat.png", "-o", root / "o")
    assert r.exit_code == 2 and "must be a folder of masks" in r.output
    empty = root / "empty"
    empty.mkdir()
    r = _fill(empty, "--mask", masks, "-o", root / "o")
    assert r.exit_code == 2 and "no images" in r.output


@needs_torch
def test_fill_with_the_onnx_backend(tmp_path):
    pytest.importorskip("onnxruntime")
    from inpaintkit.export import export_onnx
    from inpaintkit.models.registry import create_model

    export_onnx(create_model("fillnet-s").eval(), tmp_path / "s.onnx", verify=False)
    _img().save(tmp_path / "a.png")
    _mask().save(tmp_path / "m.png")
    r = runner.invoke(app, ["fill", str(tmp_path / "a.png"), "--mask", str(tmp_path / "m.png"), "-o",
                            str(tmp_path / "o.png"), "--backend", "onnx", "--model", str(tmp_path / "s.onnx")])
    assert r.exit_code == 0, r.output
    out = read_picture(tmp_path / "o.png").pixels
    hole = np.asarray(_mask()) > 127
    assert np.array_equal(out[~hole], np.asarray(_img())[~hole])
    r = runner.invoke(app, ["fill", str(tmp_path / "a.png"), "--mask", str(tmp_path / "m.png"), "-o",
                            str(tmp_path / "o2.png"), "--model", str(tmp_path / "s.onnx")])
    assert r.exit_code == 0, r.output  # an .onnx file implies --backend onnx
    assert np.array_equal(read_picture(tmp_path / "o2.png").pixels, out)
    r = runner.invoke(app, ["fill", str(tmp_path / "a.png"), "--mask", str(tmp_path / "m.png"), "-o",
                            str(tmp_path / "o3.png"), "--model", str(tmp_path / "s.onnx"), "--backend", "torch"])
    assert r.exit_code == 2 and "is an ONNX file: it runs with backend 'onnx'" in r.output


@pytest.mark.parametrize("model,backend,message", [
    ("telea+flip", "torch", "'+flip' needs a network"),
    ("telea", "bf16", "backend 'bf16' needs a network"),
    ("faces+bf16", "fp8", "--backend must be torch, bf16 or onnx"),
])
def test_model_variants_and_backends_fail_on_one_line(tmp_path, model, backend, message):
    _img().save(tmp_path / "a.png")
    _mask().save(tmp_path / "m.png")
    r = runner.invoke(app, ["fill", str(tmp_path / "a.png"), "--mask", str(tmp_path / "m.png"), "-o",
                            str(tmp_path / "o.png"), "--model", model, "--backend", backend])
    assert r.exit_code == 2 and message in r.output and len(r.output.strip().splitlines()) == 1, r.output
    assert not (tmp_path / "o.png").exists()


@needs_torch
def test_flip_and_bf16_variants_fill_through_the_cli(tmp_path):
    _img().save(tmp_path / "a.png")
    _mask().save(tmp_path / "m.png")
    r = runner.invoke(app, ["fill", str(tmp_path / "a.png"), "--mask", str(tmp_path / "m.png"), "-o",
                            str(tmp_path / "o.png"), "--model", "faces+flip", "--backend", "bf16"])
    assert r.exit_code == 0, r.output
    out = read_picture(tmp_path / "o.png").pixels
    hole = np.asarray(_mask()) > 127
    assert np.array_equal(out[~hole], np.asarray(_img())[~hole])
