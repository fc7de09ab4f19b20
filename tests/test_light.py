"""The torch-free install (#14): filling, folders, the CLI, the server and eval never import torch.

Each test runs Python in a subprocess where ``import torch`` fails (``sys.modules["torch"] = None``), so it
proves the torch-free paths even in the full install; in the light one (`make test-light`) it runs the same.
The heavy modules a command does not need (matplotlib, scikit-image, scipy, FastAPI for ``fill``) are checked
to stay unimported too (cold start).
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.light

SRC = Path(__file__).resolve().parents[1] / "src"
PRELUDE = textwrap.dedent("""
    import json, sys
    sys.modules["torch"] = None  # `import torch` raises ImportError: this is the torch-free install
    sys.path.insert(0, {src!r})

    def loaded(*names):
        return sorted({{k.split(".")[0] for k, v in sys.modules.items() if v is not None and k.split(".")[0] in names}})

    HEAVY = ("torch", "matplotlib", "skimage", "scipy", "safetensors", "onnx")
""")


def run_without_torch(code: str, cwd: Path) -> dict:
    """Run ``code`` without torch; it prints one JSON object last, which is returned."""
    script = PRELUDE.format(src=str(SRC)) + textwrap.dedent(code)
    res = subprocess.run([sys.executable, "-c", script], cwd=cwd, capture_output=True, text=True, timeout=300,
                         env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin", "HOME": str(cwd)})
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


def _photo_and_mask(folder: Path, name: str = "photo", size=(96, 64)):
    rng = np.random.default_rng(0)
    w, h = size
    img = np.clip(rng.normal(120, 40, (h, w, 3)), 0, 255).astype(np.uint8)
    m = np.zeros((h, w), np.uint8)
    m[20:40, 30:60] = 255
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(folder / f"{name}.png")
    Image.fromarray(m).save(folder / f"{name}_mask.png")
    return img, m > 127


def test_inpaint_without_torch_uses_the_shipped_graphs(tmp_path):
    img, hole = _photo_and_mask(tmp_path)
    out = run_without_torch("""
        import numpy as np
        from PIL import Image
        import inpaintkit
        from inpaintkit.model_spec import load_filler, parse_spec
        img = np.asarray(Image.open("photo.png")); hole = np.asarray(Image.open("photo_mask.png")) > 127
        res = {}
        for model in (None, "general", "faces", "faces-gan", "faces+flip", "telea", "ns", "patchmatch"):
            out = inpaintkit.inpaint(img, hole, model=model)
            res[str(model)] = [bool((out[~hole] == img[~hole]).all()), bool((out[hole] != img[hole]).any()),
                               parse_spec(model).backend, type(load_filler(model)).__name__]
        res["same session"] = load_filler("faces") is load_filler("faces")
        res["default parts"] = [type(p).__name__ for p in (load_filler(None).accurate, load_filler(None).realistic)]
        res["models"] = inpaintkit.list_models()
        print(json.dumps({"res": res, "loaded": loaded(*HEAVY, "fastapi")}))
    """, tmp_path)
    assert out["loaded"] == []
    res = out["res"]
    for model in ("general", "faces", "faces-gan", "faces+flip"):
        assert res[model] == [True, True, "onnx", "OnnxInpainter"], model
    assert res["None"] == [True, True, "onnx", "WidthRoute"]  # the default: two shipped graphs routed by hole width
    assert res["default parts"] == ["OnnxInpainter", "OnnxInpainter"]
    for model in ("telea", "ns", "patchmatch"):
        assert res[model][:2] == [True, True] and res[model][3] == "ClassicalInpainter", model
    assert res["same session"]
    assert {"default", "general", "faces", "faces-gan", "telea"} <= set(res["models"]) and "fillnet" not in res["models"]


def test_what_needs_torch_says_so_in_one_line(tmp_path):
    out = run_without_torch("""
        import numpy as np
        from inpaintkit.errors import InpaintkitError
        from inpaintkit.model_spec import load_filler
        msgs = {}
        for model, backend in (("faces", "torch"), ("faces+texture", None), ("faces+bf16", None),
                               ("seed-unet-faces", None), ("runs/x/model.safetensors", None)):
            try:
                load_filler(model, backend)
                msgs[model] = "loaded"
            except InpaintkitError as e:
                msgs[model] = str(e)
        print(json.dumps({"msgs": msgs}))
    """, tmp_path)
    for model, msg in out["msgs"].items():
        assert "needs PyTorch" in msg or "not found" in msg, (model, msg)
        assert "\n" not in msg
    assert "pip install 'inpaintkit[torch]'" in out["msgs"]["faces+texture"]


def test_cli_fill_and_folders_without_torch(tmp_path):
    _photo_and_mask(tmp_path / "in", "a")
    _photo_and_mask(tmp_path / "in", "b")
    out = run_without_torch("""
        from typer.testing import CliRunner
        from inpaintkit.cli import app
        one = CliRunner().invoke(app, ["fill", "in/a.png", "-m", "in/a_mask.png", "-o", "a.png", "--threads", "1"])
        many = CliRunner().invoke(app, ["fill", "in", "-m", "in", "-o", "out", "-q"])
        print(json.dumps({"one": [one.exit_code, one.output], "many": [many.exit_code, many.output],
                          "loaded": loaded(*HEAVY, "fastapi")}))
    """, tmp_path)
    assert out["one"][0] == 0, out["one"][1]
    assert out["many"][0] == 0 and "filled 2 of 2" in out["many"][1], out["many"][1]
    assert (tmp_path / "a.png").is_file() and sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "b.png"]
    assert out["loaded"] == []


def test_server_without_torch(tmp_path):
    _photo_and_mask(tmp_path)
    out = run_without_torch("""
        from fastapi.testclient import TestClient
        from inpaintkit.server import create_app
        client = TestClient(create_app(), base_url="http://127.0.0.1")
        r = client.post("/api/inpaint", files={"image": open("photo.png", "rb"), "mask": open("photo_mask.png", "rb")})
        health = client.get("/api/health").json()
        print(json.dumps({"status": r.status_code, "type": r.headers.get("content-type"), "model": health["model"],
                          "loaded": loaded(*HEAVY)}))
    """, tmp_path)
    assert out == {"status": 200, "type": "image/png", "model": "default", "loaded": []}


def test_eval_without_torch(tmp_path):
    for i in range(3):
        _photo_and_mask(tmp_path / "data", f"im{i}", size=(64, 64))
    masks = tmp_path / "masks"  # a plain folder: banded by measured hole ratio
    masks.mkdir()
    for f in (tmp_path / "data").glob("*_mask.png"):
        f.rename(masks / f.name)
    out = run_without_torch("""
        from inpaintkit.evaluate import evaluate
        res = evaluate(["telea", "default", "faces+flip"], "data", "test", "masks", size=32, progress=False)
        print(json.dumps({"psnr": {k: v["mean"]["psnr"] for k, v in res.items()}, "loaded": loaded(*HEAVY, "fastapi")}))
    """, tmp_path)
    assert set(out["psnr"]) == {"telea", "default", "faces+flip"}
    assert all(10 < v < 100 for v in out["psnr"].values()), out["psnr"]
    assert out["loaded"] == []


def test_commands_that_need_torch_say_what_to_install(tmp_path):
    out = run_without_torch("""
        import contextlib, io
        from inpaintkit.cli import main
        codes = {}
        for argv in (["export", "-o", "x.onnx"], ["train", "--out", "run", "--steps", "1"]):
            sys.argv = ["inpaintkit", *argv]
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                try:
                    main()
                except SystemExit as e:
                    codes[argv[0]] = [e.code, err.getvalue()]
        print(json.dumps(codes))
    """, tmp_path)
    for cmd in ("export", "train"):
        code, err = out[cmd]
        assert code == 2 and "pip install 'inpaintkit[torch]'" in err and len(err.strip().splitlines()) == 1, (cmd, err)
