"""The benchmark's inputs and report (bench.py, bench_report.py); the timed run itself is `inpaintkit bench`, not a
test, except one quick torch-free run (the light install's columns)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from test_light import run_without_torch  # noqa: E402  (tests/ is on sys.path under pytest's rootdir)

from inpaintkit.bench import (
    CASES,
    LIGHT_METHODS,
    METHODS,
    _maxrss_mb,
    object_mask,
    photo,
)
from inpaintkit.bench_report import format_markdown

_spec = importlib.util.spec_from_file_location("perf_targets", Path(__file__).resolve().parents[1] / "benchmarks" / "perf_targets.py")
perf_targets = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(perf_targets)


def test_inputs_are_real_photos_with_object_masks_of_the_asked_ratio():
    for h, w, ratio, objects in [(256, 256, 0.10, 1), (1080, 1920, 0.05, 1), (800, 800, 0.02, 2)]:
        m = object_mask(h, w, ratio, objects)
        assert m.shape == (h, w) and abs(m.mean() - ratio) < 0.2 * ratio
    img = photo("chelsea", 108, 192)
    assert img.shape == (108, 192, 3) and img.dtype == np.uint8 and img.std() > 10


def test_report_has_both_tables_and_judges_the_targets():
    rows = []
    for c in CASES:
        methods = {f"{m}/{b}": {"ms": 10.0 * c["h"] / 128, "n": 3, "peak_mb": 500.0, "loaded_mb": 400.0} for b, m in METHODS}
        methods["default/onnx"]["ms"] /= 2  # 2x faster than eager
        methods["biharmonic/torch"]["ms"] *= 3
        rows.append({"case": c["label"], "h": c["h"], "w": c["w"], "gflop": 2.7 * c["h"] * c["w"] / 128**2, "methods": methods})
    res = {"model": "default", "note": "", "rows": rows, "matmul": {"gflops": 100.0, "threads": 1},
           "matmul_end": {"gflops": 120.0}, "machine": {"cpu": "x", "cores": 2, "torch": "t", "onnxruntime": "o",
                                                         "python": "3", "load": [0.1], "load_end": [0.1], "date": "d"}}
    text = format_markdown(res, [("Targets", perf_targets.targets(res)), ("Notes", perf_targets.NOTES)])
    assert "## Targets" in text and "## Notes" in text and "## Targets" not in format_markdown(res)
    assert "| 128²" in text and "4096x4096" in text and "**120 GFLOP/s**" in text
    assert "Taken under load" not in text
    assert "onnxruntime ≥ 1.5x PyTorch eager: 128²: 2.00x" in text and "faster than biharmonic" in text
    assert "128² fill ≤ 15 ms, fp32: PyTorch 10.0 ms, onnxruntime 5.0 ms (bf16: 10.0 ms) — **met**" in text
    assert "faster than biharmonic at every size, fp32 (faster of PyTorch and onnxruntime): 128²: 5.0 vs 30.0 ms" in text
    assert "faster than biharmonic at every size, bf16 (PyTorch under bfloat16 autocast): 128²: 10.0 vs 30.0 ms" in text
    assert "| model, PyTorch bf16 |" in text.replace("  ", "")
    assert "4096x4096 within 1.5 GB peak memory: 500 MB" in text
    res["machine"]["load"] = [5.0]
    assert "Taken under load" in format_markdown(res)


def test_peak_memory_is_read():
    assert 10 < _maxrss_mb() < 100_000


def _light_header(text: str) -> str:
    """The latency table's header line."""
    return next(line for line in text.splitlines() if line.startswith("| case") and "Telea" in line)


@pytest.mark.light
def test_synthetic_photos_are_deterministic_and_textured():
    a = photo("astronaut", 96, 128, synthetic=True)
    assert a.shape == (96, 128, 3) and a.dtype == np.uint8 and a.std() > 10
    assert (a == photo("astronaut", 96, 128, synthetic=True)).all()
    assert not (a == photo("chelsea", 96, 128, synthetic=True)).all()


@pytest.mark.light
def test_light_report_leaves_out_what_needs_torch():
    rows = [{"case": c["label"], "h": c["h"], "w": c["w"], "gflop": None,
             "methods": {f"{m}/{b}": {"ms": 20.0, "n": 1, "peak_mb": 200.0, "loaded_mb": 150.0} for b, m in LIGHT_METHODS}}
            for c in CASES]
    rows[1]["methods"]["ns/torch"] = {"error": "boom"}
    res = {"model": "default", "note": "", "rows": rows, "photos": "synthetic", "matmul": {"gflops": 90.0, "mm_gflops": 90.0},
           "matmul_end": {"gflops": 80.0, "mm_gflops": 80.0}, "machine": {"cpu": "x", "cores": 2, "torch": None,
           "onnxruntime": "o", "python": "3", "load": [0.1], "load_end": [0.1], "date": "d"}}
    text = format_markdown(res, [("Targets", perf_targets.targets(res))])
    assert "no torch, onnxruntime o" in text and "synthetic textures" in text and "**90 GFLOP/s**" in text
    assert [c.strip() for c in _light_header(text).split("|")[2:-1]] == ["model, onnxruntime", "Telea", "NS"]
    assert "| error |" in text and "GFLOP/s (% of roofline)" not in text and "PyTorch" not in text.split("Practical")[0]
    assert "128² fill ≤ 15 ms, fp32: onnxruntime 20.0 ms — **not met**" in text and "biharmonic" not in text


@pytest.mark.light
def test_bench_runs_without_torch(tmp_path):
    """A quick real ``inpaintkit bench`` where torch (and scikit-image) cannot be imported: the shipped ONNX graph,
    Telea and NS. (In the full install only this process lacks torch; the light install, `make test-light`, runs
    every case's process without it too.)"""
    out = run_without_torch("""
        sys.modules["skimage"] = None  # no scikit-image either: the photos are synthetic
        from typer.testing import CliRunner
        from inpaintkit.cli import app
        r = CliRunner().invoke(app, ["bench", "--quick", "--repeats", "1", "--budget", "1", "--threads", "1", "-q",
                                     "--json", "res.json"])
        res = json.load(open("res.json")) if r.exit_code == 0 else None
        print(json.dumps({"code": r.exit_code, "text": r.output, "res": res, "loaded": loaded(*HEAVY)}))
    """, tmp_path)
    res, text = out["res"], out["text"]
    assert out["code"] == 0, text
    assert out["loaded"] == []
    assert [r["case"] for r in res["rows"]] == ["128²", "256²"]
    for r in res["rows"]:
        assert set(r["methods"]) == {"default/onnx", "telea/torch", "ns/torch"} and r["gflop"] is None
        assert all("ms" in m and m["n"] == 1 for m in r["methods"].values()), r["methods"]
    header = _light_header(text)
    assert "model, onnxruntime" in header and "Telea" in header and "NS" in header
    assert "PyTorch" not in header and "biharmonic" not in header and "speed-up" not in header
    assert "no torch" in text and "synthetic textures" in text and "np.dot" in text and "error" not in text
    assert res["machine"]["torch"] is None and res["matmul"]["gflops"] > 0


def test_under_load_is_one_rule_for_both_reports():
    from inpaintkit.bench_report import under_load

    assert not under_load([0.9, 0, 0], [1.0, 0, 0], cores=2)  # half of 2 cores is not yet "under load"
    assert under_load([0.2, 0, 0], [1.1, 0, 0], cores=2)  # the end counts as much as the start
    assert under_load([0.6, 0, 0], [0.0, 0, 0], cores=1) and not under_load([0.6, 0, 0], [0.0, 0, 0], cores=4)
