"""Model specs (model_spec.py): every entry point — ``fill``, ``eval``, ``serve``, ``export``, ``inpaint()`` —
takes the same names, files, ``.onnx`` graphs, ``+flip`` / ``+bf16`` / ``+texture`` and ``LABEL=SPEC``, with the
same behaviour and the same error text. Tiny untrained networks and images made here; no real data."""
from __future__ import annotations

import io
import json
import re
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from inpaintkit.cli import app
from inpaintkit.errors import InpaintkitError, ModelSpecError
from inpaintkit.images import mask_to_bool, read_picture
from inpaintkit.inference import inpaint
from inpaintkit.model_spec import ModelSpec, check_spec, load_filler, parse_spec
from inpaintkit.models.registry import UnknownModelError

runner = CliRunner()
H, W = 40, 48


# --- parsing -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text,backend,want", [
    (None, None, ModelSpec("default", "torch", (), "default")),
    ("faces", None, ModelSpec("faces", "torch", (), "faces")),
    ("faces+flip+bf16", None, ModelSpec("faces", "bf16", ("+flip",), "faces+flip+bf16")),
    ("faces", "bf16", ModelSpec("faces", "bf16", (), "faces")),
    ("general+texture", None, ModelSpec("general", "torch", ("+texture",), "general+texture")),
    ("runs/a/model-best.safetensors", None, ModelSpec("runs/a/model-best.safetensors", "torch", (), "model-best")),
    ("runs/a/m.safetensors+flip", None, ModelSpec("runs/a/m.safetensors", "torch", ("+flip",), "m+flip")),
    ("gan=runs/a/m.safetensors", None, ModelSpec("runs/a/m.safetensors", "torch", (), "gan")),
    ("gan=faces+flip", None, ModelSpec("faces", "torch", ("+flip",), "gan")),
    ("runs/lr=1e-3/m.safetensors", None, ModelSpec("runs/lr=1e-3/m.safetensors", "torch", (), "m")),
    ("m.onnx", None, ModelSpec("m.onnx", "onnx", (), "m")),
    ("m.onnx+flip", "onnx", ModelSpec("m.onnx", "onnx", ("+flip",), "m+flip")),
    ("faces+flip", "onnx", ModelSpec("faces", "onnx", ("+flip",), "faces+flip")),
])
def test_parse_spec(text, backend, want):
    assert parse_spec(text, backend) == want


@pytest.mark.parametrize("text,backend,message", [
    ("m.onnx", "torch", "is an ONNX file: it runs with backend 'onnx'"),
    ("m.onnx", "bf16", "is an ONNX file"),
    ("faces+bf16", "onnx", "'+bf16' runs PyTorch under bfloat16 autocast"),
    ("m.onnx+texture", None, "'+texture' runs only with PyTorch"),
    ("faces", "fp8", "unknown backend 'fp8'"),
    ("+flip", None, "follows no model name or file"),
    ("gan=", None, "nothing after '='"),
    ("", None, "empty model name"),
])
def test_bad_specs_fail_on_one_line_before_loading(text, backend, message):
    with pytest.raises(ModelSpecError, match=re.escape(message)) as e:
        parse_spec(text, backend)
    assert isinstance(e.value, InpaintkitError) and "\n" not in str(e.value)


def test_unknown_names_list_the_valid_ones_everywhere(tmp_path):
    """One error text, as timm's create_model: the unknown name and every valid one."""
    want = "unknown model 'nope'; valid names: "
    with pytest.raises(UnknownModelError) as e:
        check_spec("nope+flip")
    assert str(e.value).startswith(want) and "telea" in str(e.value) and isinstance(e.value, InpaintkitError)
    img, hole = _pair()
    with pytest.raises(UnknownModelError, match=want):
        inpaint(img, hole, model="nope")
    from inpaintkit.server import create_app

    with pytest.raises(UnknownModelError, match=want):
        create_app("nope")
    _write_pair(tmp_path)
    data, masks = _eval_folders(tmp_path)
    runs = {
        "fill": ["fill", str(tmp_path / "a.png"), "--mask", str(tmp_path / "m.png"), "-o", str(tmp_path / "o.png"),
                 "--model", "nope"],
        "eval": ["eval", "-m", "nope", "--data", str(data), "--masks", str(masks), "-q"],
        "export": ["export", "--model", "nope", "-o", str(tmp_path / "n.onnx")],
        "serve": ["serve", "--port", "0", "--model", "nope"],
    }
    for command, args in runs.items():
        r = runner.invoke(app, args)
        assert r.exit_code == 2 and want in r.output and "telea" in r.output, (command, r.output)
        assert len(r.output.strip().splitlines()) == 1, (command, r.output)


# --- a tiny network, saved as a model file and exported to ONNX -----------------------------------------


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """(model file, ONNX file) of one small untrained ``fillnet-s``."""
    pytest.importorskip("onnxruntime")
    import torch

    from inpaintkit.checkpoint import save_model
    from inpaintkit.export import export_onnx
    from inpaintkit.models.registry import create_model

    torch.manual_seed(0)
    net = create_model("fillnet-s").eval()
    with torch.no_grad():  # a fresh fillnet's correction starts at zero: perturb it so fills depend on the side
        for p in net.parameters():
            p.add_(0.05 * torch.randn_like(p))
    folder = tmp_path_factory.mktemp("spec")
    save_model(net, folder / "tiny.safetensors", "fillnet-s")
    export_onnx(net, folder / "tiny.onnx")
    return folder / "tiny.safetensors", folder / "tiny.onnx"


def _pair():
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    img = np.asarray(Image.fromarray(small).resize((W, H), Image.BICUBIC))
    hole = np.zeros((H, W), bool)
    hole[10:26, 8:30] = True  # off-centre: the mirrored image sees it elsewhere
    return img, hole


def _write_pair(folder):
    img, hole = _pair()
    Image.fromarray(img).save(folder / "a.png")
    Image.fromarray(hole.astype(np.uint8) * 255).save(folder / "m.png")
    return img, hole


def test_flip_under_onnx_equals_flip_under_pytorch(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    st, onnx = tiny
    img, hole = _pair()
    x = img.astype(np.float32) / 255  # float in, float out: compared before any rounding
    torch_flip = inpaint(x, hole, model=f"{st}+flip")
    plain = inpaint(x, hole, model=str(st))
    assert np.abs(torch_flip - plain).max() > 1e-3  # +flip changes the fill
    for model, backend in ((f"{onnx}+flip", None), (f"{onnx}+flip", "onnx"), (f"{st}+flip", "onnx")):
        got = inpaint(x, hole, model=model, backend=backend)
        assert np.abs(got - torch_flip).max() < 1e-4, (model, backend)
    assert np.abs(inpaint(x, hole, model=str(onnx)) - plain).max() < 1e-4  # and plain ONNX is the plain model
    assert np.array_equal(inpaint(x, hole, model=f"{st}+flip", backend="bf16")[~hole], x[~hole])


def test_fill_serve_and_inpaint_give_the_same_flip_fill(tiny, tmp_path):
    from fastapi.testclient import TestClient

    from inpaintkit.server import create_app

    st, onnx = tiny
    img, hole = _write_pair(tmp_path)
    want = inpaint(img, hole, model=f"{st}+flip")
    for i, model in enumerate((f"{st}+flip", f"{onnx}+flip")):
        r = runner.invoke(app, ["fill", str(tmp_path / "a.png"), "--mask", str(tmp_path / "m.png"),
                                "-o", str(tmp_path / f"o{i}.png"), "--model", model])
        assert r.exit_code == 0, r.output
        got = read_picture(tmp_path / f"o{i}.png").pixels
        assert np.abs(got.astype(int) - want).max() <= 1, model
    client = TestClient(create_app(f"x={onnx}+flip"), base_url="http://127.0.0.1")
    r = client.post("/api/inpaint", files={"image": (tmp_path / "a.png").read_bytes(), "mask": (tmp_path / "m.png").read_bytes()})
    assert r.status_code == 200 and r.headers["x-inpaint-model"] == "x"
    got = np.asarray(Image.open(io.BytesIO(r.content)))
    assert np.abs(got.astype(int) - want).max() <= 1


def _eval_folders(root):
    """A plain folder of 3 images and a mask folder of 2 masks (one band), 32x32."""
    rng = np.random.default_rng(1)
    data, masks = root / "data", root / "masks"
    data.mkdir(exist_ok=True)
    masks.mkdir(exist_ok=True)
    for i in range(3):
        small = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
        Image.fromarray(small).resize((32, 32), Image.BICUBIC).save(data / f"{i}.png")
    for i in range(2):
        m = np.zeros((32, 32), np.uint8)
        m[4 + 4 * i : 20, 6:22 + 2 * i] = 255
        Image.fromarray(m).save(masks / f"m{i}.png")
    return data, masks


def test_eval_takes_plain_paths_labels_onnx_and_suffixes(tiny, tmp_path):
    st, onnx = tiny
    data, masks = _eval_folders(tmp_path)
    out = tmp_path / "r.json"
    r = runner.invoke(app, ["eval", "-m", str(st), "-m", f"best={st}+flip", "-m", f"{onnx}+flip", "-m", "telea",
                            "--data", str(data), "--masks", str(masks), "--size", "32", "--json", str(out), "-q"])
    assert r.exit_code == 0, r.output
    res = json.loads(out.read_text())
    assert list(res) == ["tiny", "best", "tiny+flip", "telea"]  # a plain path is reported under its file stem
    assert abs(res["best"]["mean"]["psnr"] - res["tiny+flip"]["mean"]["psnr"]) < 0.01  # ONNX +flip = PyTorch +flip
    assert res["best"]["mean"]["psnr"] != res["tiny"]["mean"]["psnr"]
    r = runner.invoke(app, ["eval", "-m", str(st), "-m", f"tiny={onnx}", "--data", str(data), "--masks", str(masks), "-q"])
    assert r.exit_code == 2 and "both reported as 'tiny'" in r.output
    r = runner.invoke(app, ["eval", "-m", str(tmp_path / "missing.safetensors"), "--data", str(data), "--masks", str(masks)])
    assert r.exit_code == 2 and "model file not found" in r.output


def test_export_refuses_fill_time_variants(tiny, tmp_path):
    st, onnx = tiny
    r = runner.invoke(app, ["export", "--model", f"{st}+flip", "-o", str(tmp_path / "f.onnx")])
    assert r.exit_code == 2 and "'+flip' is applied when filling" in r.output and "FILE.onnx+flip" in r.output
    r = runner.invoke(app, ["export", "--model", str(onnx), "-o", str(tmp_path / "g.onnx")])
    assert r.exit_code == 2 and "already an ONNX file" in r.output


def test_bf16_backend_on_an_object_runs_a_copy_in_bf16():
    from inpaintkit.models.registry import create_model

    net = create_model("fillnet-s").eval()
    filler = load_filler(net, "bf16")
    assert filler is not net and filler.bf16 and not net.bf16
    assert load_filler(net) is net
    with pytest.raises(ModelSpecError, match="backend 'bf16' needs a network"):
        load_filler(create_model("telea"), "bf16")
    with pytest.raises(ModelSpecError, match="needs a network"):
        inpaint(*_pair(), model="telea+flip")


@pytest.mark.parametrize("command", ["fill", "eval", "serve", "fill-video"])
def test_help_names_the_model_forms(command):
    r = runner.invoke(app, [command, "--help"], terminal_width=400)
    text = " ".join(r.output.split())
    assert r.exit_code == 0
    for form in (".safetensors", ".onnx", "+flip", "+bf16", "+texture"):
        assert form in text, (command, form)
    if command == "eval":
        assert "LABEL=SPEC" in text and "file stem" in text


# --- the mask rule: Python and the web page agree ---------------------------------------------------------


def test_the_web_page_mask_rule_agrees_with_the_python_rule(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (the web page's mask rule runs in a browser)")
    from inpaintkit.server.routes import STATIC

    src = (STATIC / "app.js").read_text()
    fn = re.search(r"^function maskIsHole\(.*?^}\n", src, re.S | re.M)
    assert fn, "app.js has no maskIsHole function"
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    rgb[0, :] = [[v, v, v] for v in range(120, 136)] * 4  # grey levels around the threshold
    alpha = rng.integers(0, 256, (64, 64), dtype=np.uint8)
    cases = {"opaque": np.dstack([rgb, np.full((64, 64), 255, np.uint8)]), "transparent": np.dstack([rgb, alpha])}
    for name, rgba in cases.items():
        want = mask_to_bool(Image.fromarray(rgba, "RGBA"))  # the Python rule (alpha when not fully opaque)
        script = fn.group(0) + (
            f"const px = {json.dumps(rgba.reshape(-1).tolist())}; const t = px.some((v, i) => i % 4 === 3 && v < 255);"
            "const out = []; for (let i = 0; i < px.length; i += 4) out.push(maskIsHole(px[i], px[i+1], px[i+2], px[i+3], t) ? 1 : 0);"
            "console.log(JSON.stringify(out));")
        got = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True, timeout=60).stdout
        assert np.array_equal(np.array(json.loads(got), bool).reshape(64, 64), want), name
