"""The marked-section rule of the benchmarks that write into docs (benchmarks/_sections.py) and the targets of
benchmarks/light_targets.py, from made-up figures. Nothing here is timed."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from inpaintkit.optional import torch_available

pytestmark = pytest.mark.light
BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load(stem: str, name: str | None = None):
    """benchmarks/STEM.py as a module (named ``name``: not ``video``, which is a test package here)."""
    name = name or f"benchmarks_{stem}"
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


sections = load("_sections", "_sections")  # the name the scripts import it by
light_targets = load("light_targets")
HEAD = "# Title\n\nOne paragraph.\n"


def test_a_missing_file_is_created_with_the_head_and_the_section(tmp_path):
    path = tmp_path / "docs" / "new.md"
    sections.write_section(path, "x", "body", HEAD)
    assert path.read_text() == "# Title\n\nOne paragraph.\n\n<!-- x:begin -->\nbody\n<!-- x:end -->\n"
    assert [p.name for p in path.parent.iterdir()] == ["new.md"]  # no temporary file left


def test_the_marked_section_is_replaced_and_the_rest_left_alone(tmp_path):
    path = tmp_path / "doc.md"
    before = "# Doc\n\nintro\n<!-- x:begin -->\nold\nlines\n<!-- x:end -->\n\nafter\n<!-- y:begin -->\nother\n<!-- y:end -->"
    path.write_text(before)
    sections.write_section(path, "x", "new\n", HEAD)  # the head is for a new file only
    after = before.replace("old\nlines\n", "new\n")
    assert path.read_text() == after
    sections.write_section(path, "x", "new\n")
    assert path.read_text() == after  # rewriting is stable


def test_a_file_without_the_markers_gets_the_section_appended(tmp_path):
    path = tmp_path / "doc.md"
    path.write_text("# Doc\n\ntext\n\n\n")
    sections.write_section(path, "x", "body", HEAD)
    assert path.read_text() == "# Doc\n\ntext\n\n<!-- x:begin -->\nbody\n<!-- x:end -->\n"


@pytest.mark.parametrize("text", ["a\n<!-- x:begin -->\nb\n", "<!-- x:end -->\n<!-- x:begin -->\n",
                                  "<!-- x:begin -->\n<!-- x:end -->\n<!-- x:begin -->\n<!-- x:end -->\n"])
def test_broken_markers_are_refused_and_the_file_kept(tmp_path, text):
    path = tmp_path / "doc.md"
    path.write_text(text)
    with pytest.raises(ValueError, match="broken markers"):
        sections.write_section(path, "x", "body")
    assert path.read_text() == text


@pytest.mark.skipif(not torch_available(), reason="needs PyTorch (the two benchmarks import it)")
def test_the_other_benchmarks_write_through_the_helper():
    for stem, name in (("train_throughput", "train_throughput"), ("video", "video_bench")):
        module = load(stem)
        assert module.SECTION == name and module.write_section is sections.write_section
        assert not hasattr(module, "write_markdown")


def figures(cold_s=0.8, site_mb=120.0, own_mb=20.0, numpy_mb=40.0, ort_mb=60.0, ratio=1.5, load=0.1) -> dict:
    busy = [{"install": install, "backend": b, "side": s, "idle_s": 0.01 * s / 128, "busy_s": ratio * 0.01 * s / 128,
             "ratio": ratio} for install, b in (("torch-free", "onnx"), ("full, CLI", "torch"), ("full, CLI", "onnx"),
                                                          ("full, API", "torch"))
            for s in (128, 512)]
    cold = {k: {"python": f"/{k}/bin/python", "floor_s": 0.3, "help_s": 0.5, "fill_s": cold_s, "imports": "[]",
                "site_mb": site_mb if k == "light" else 900.0} for k in ("light", "full")}
    return {"cold": cold, "busy": busy, "own_mb": own_mb, "runs": 1, "repeats": 1, "cpu": "Some CPU", "cores": 2,
            "date": "2026-01-01 00:00 UTC", "load_start": [load, 0.2, 0.3], "load_end": [load, 0.2, 0.3],
            "sizes": {"numpy": numpy_mb, "onnxruntime": ort_mb, "opencv-python-headless": 90.0, "pip": 12.0}}


def test_targets_met():
    cold, install, torch_free, torch, onnx, api, warm = light_targets.targets(figures())
    assert cold.startswith("cold `inpaintkit fill` 600x400") and "0.80 s" in cold and "0.30 s" in cold
    assert cold.endswith("— **met**")
    assert "140 MB (site-packages 120 MB + 20 MB of the inpaintkit package, which this editable" in install and "— **met**" in install
    assert "numpy 40 MB + onnxruntime 60 MB = 100 MB, which leaves 50 MB for everything else" in install
    for line, what in ((torch_free, "onnx, torch-free install"), (torch, "torch, full install, as the `inpaintkit`"),
                       (onnx, "onnx, full install, as the"), (api, "torch, full install, Python API")):
        assert what in line and "128²: 1.50x, 512²: 1.50x — **met**" in line
    assert "not timed by this run" in warm


def test_targets_not_met():
    lines = light_targets.targets(figures(cold_s=1.2, site_mb=400.0, own_mb=0.0, numpy_mb=71.0, ort_mb=80.0, ratio=2.5))
    assert all(line.endswith("— **not met**") for line in lines[:1] + lines[2:6])
    install = lines[1]
    assert "400 MB (site-packages 400 MB;" in install and "— **not met**" in install
    assert "= 151 MB, above 150 MB on its own: the target is out of reach" in install


def test_a_backend_that_did_not_run_is_not_measured():
    res = figures()
    res["busy"] = [r for r in res["busy"] if r["backend"] != "torch"]
    assert light_targets.targets(res)[3].endswith("no rows — **not measured**")


def test_report_has_the_machine_line_the_tables_and_the_targets():
    text = light_targets.report(figures(load=3.0), "python benchmarks/light_targets.py --runs 1", 2)
    assert text.startswith("Generated by `python benchmarks/light_targets.py --runs 1` on 2026-01-01 00:00 UTC: "
                           "Some CPU, 2 cores; load average (1 / 5 / 15 min) 3.00 / 0.20 / 0.30 at the start")
    assert "**taken under load**" in text and "taken under load" not in light_targets.report(figures(), "c")
    assert "| /light/bin/python | 0.30 s | 0.50 s | 0.80 s | [] | 120 MB |" in text
    assert "| torch-free | onnx | 512² | 40 ms | 60 ms | 1.50x |" in text
    assert "opencv-python-headless 90 MB, onnxruntime 60 MB; the inpaintkit package itself" in text
    assert text.count("\n- ") == 7
