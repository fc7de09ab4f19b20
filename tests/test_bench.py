"""The benchmark's inputs and report (bench.py); the timed run itself is `inpaintkit bench`, not a test."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from inpaintkit.bench import (
    CASES,
    METHODS,
    _maxrss_mb,
    format_markdown,
    object_mask,
    photo,
)

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
