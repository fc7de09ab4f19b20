"""scripts/make_results.py on a tiny fake data root: the report, the per-method cache, --force."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inpaintkit import evaluate as ev

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "make_results.py"


@pytest.fixture
def script():
    spec = importlib.util.spec_from_file_location("make_results", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def data_root(tmp_path):
    """The shared data layout in miniature: 3 CelebA test faces, 2 BSDS val photos, 4 NVIDIA-numbered masks."""
    rng = np.random.default_rng(1)
    root = tmp_path / "data"

    def picture(h, w):
        small = rng.integers(0, 256, (3, 3, 3), dtype=np.uint8)
        return np.asarray(Image.fromarray(small).resize((w, h), Image.BICUBIC))

    faces = root / "celeba" / "img_align_celeba"
    faces.mkdir(parents=True)
    for i in range(1, 5):
        Image.fromarray(picture(44, 36)).save(faces / f"00000{i}.jpg")
    (root / "celeba" / "list_eval_partition.txt").write_text("000001.jpg 0\n000002.jpg 2\n000003.jpg 2\n000004.jpg 2\n")
    val = root / "scenes" / "bsds500" / "val"
    val.mkdir(parents=True)
    for i in range(2):
        Image.fromarray(picture(32, 48)).save(val / f"{i}.jpg")
    masks = root / "masks" / "nvidia_irregular_test"
    masks.mkdir(parents=True)
    for name, rows in {"00001.png": (0, 6), "02001.png": (10, 22), "02002.png": (30, 44), "10001.png": (4, 40)}.items():
        m = np.zeros((64, 64), np.uint8)
        m[rows[0] : rows[1], 8:56] = 255
        Image.fromarray(m).save(masks / name)
    return root


def test_report_cache_and_force(script, data_root, tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    base = ["--data-root", str(data_root), "--docs", str(docs), "--size", "32"]
    script.main([*base, "--methods", "telea", "ns"])
    for name in ("celeba", "bsds500"):
        res = json.loads((docs / "results" / f"{name}-32" / "ns.json").read_text())
        assert list(res) == ["ns"] and list(res["ns"]["bands"]) == ["0-10", "10-20", "50-60"]
        assert (docs / "img" / f"{name}-32.png").is_file()
    assert json.loads((docs / "results" / "celeba-32" / "telea.json").read_text())["telea"]["mean"]["n"] == 9  # 3 faces x 3 bands
    report = (docs / "results.md").read_text()
    assert "## CelebA test split (faces), 32x32" in report and "## BSDS500 val (natural photos), 32x32" in report
    assert "| telea" in report and "img/celeba-32.png" in report

    # A second run re-uses the cache: nothing is evaluated, but a new method is.
    calls = []
    real = ev.evaluate_pairs
    monkeypatch.setattr(ev, "evaluate_pairs", lambda methods, *a, **k: calls.append(methods) or real(methods, *a, **k))
    script.main([*base, "--methods", "telea", "ns", "biharmonic", "--datasets", "celeba"])
    assert calls == [["biharmonic"]]
    report = (docs / "results.md").read_text()
    assert "| biharmonic" in report and "| ns" in report
    # --force reruns; a per-method limit is recorded and shown.
    calls.clear()
    script.main([*base, "--methods", "telea", "--datasets", "celeba", "--force", "--method-limit", "telea=2"])
    assert calls == [["telea"]]
    assert json.loads((docs / "results" / "celeba-32" / "meta.json").read_text())["telea"]["limit"] == 2
    assert "telea (first 2 images)" in (docs / "results.md").read_text()


def test_unknown_method_exits(script, data_root, tmp_path):
    with pytest.raises(SystemExit, match="unknown model 'nope'"):
        script.main(["--data-root", str(data_root), "--docs", str(tmp_path / "docs"), "--methods", "nope"])
