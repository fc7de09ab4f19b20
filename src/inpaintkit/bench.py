"""``inpaintkit bench``: latency, FLOP efficiency and peak memory of filling, end to end through :func:`inpaint`.

One run measures, on the same machine under the same load:

* the median latency per image of the default model (PyTorch eager in fp32 and under bfloat16 autocast,
  onnxruntime) and of Telea, NS and
  biharmonic at 128², 256², 512², a 1920x1080 photo with a 5 % object mask and a 4096x4096 photo with a 2 %
  mask (two objects) — every method through the same :func:`inpaintkit.inference.inpaint` path (so the big
  photos are filled crop by crop at the working size, for the classical methods too);
* the network's GFLOP per call (``torch.utils.flop_counter``, convolutions and matmuls) and the GFLOP/s
  it achieves, against the practical roofline measured in the same run: the faster of a dense fp32
  ``torch.mm`` (2048², BLAS) and a dense fp32 3x3 convolution (256 -> 256 channels at 64², oneDNN — the
  kernel the network spends its time in);
* the peak resident memory (``VmHWM``, or ``ru_maxrss``) of a fresh process per case and method.

Inputs are real photos shipped with scikit-image (``astronaut``, ``chelsea``), centre-cropped and resized
(upscaled for the big cases); masks are seeded irregular blobs ("objects"). Each case runs in its own
subprocess so its peak memory is its own. ``python benchmarks/bench.py`` runs the same thing.

The harness is here; the acceptance targets and the notes of the doc live in ``benchmarks/perf_targets.py``.
Regenerate the doc: ``python benchmarks/bench.py --markdown docs/performance.md`` (``inpaintkit bench`` prints
the two tables only).
"""
from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

import numpy as np

SQUARES = (128, 256, 512)
CASES = [
    {"label": f"{s}²", "h": s, "w": s, "ratio": 0.10, "objects": 1, "photo": "astronaut"} for s in SQUARES
] + [
    {"label": "1920x1080 photo, 5 % mask", "h": 1080, "w": 1920, "ratio": 0.05, "objects": 1, "photo": "chelsea"},
    {"label": "4096x4096 photo, 2 % mask", "h": 4096, "w": 4096, "ratio": 0.02, "objects": 2, "photo": "astronaut"},
]
METHODS = [("torch", "default"), ("bf16", "default"), ("onnx", "default"), ("torch", "telea"), ("torch", "ns"), ("torch", "biharmonic")]
MATMUL_N = 2048


# --- inputs ----------------------------------------------------------------------------------------


def photo(name: str, h: int, w: int) -> np.ndarray:
    """A real photo from scikit-image, centre-cropped to the aspect h:w and resized to uint8 [h,w,3]."""
    import cv2
    import skimage.data

    img = getattr(skimage.data, name)()[..., :3]
    ih, iw = img.shape[:2]
    if ih * w > iw * h:  # too tall: crop rows
        ch = iw * h // w
        img = img[(ih - ch) // 2 : (ih - ch) // 2 + ch]
    else:
        cw = ih * w // h
        img = img[:, (iw - cw) // 2 : (iw - cw) // 2 + cw]
    up = h > img.shape[0]
    return cv2.resize(np.ascontiguousarray(img), (w, h), interpolation=cv2.INTER_CUBIC if up else cv2.INTER_AREA)


def object_mask(h: int, w: int, ratio: float, objects: int = 1, seed: int = 0) -> np.ndarray:
    """bool [h,w]: ``objects`` irregular blobs (wobbly ellipses) covering about ``ratio`` of the image."""
    import cv2

    rng = np.random.default_rng(seed)
    mask = np.zeros((h, w), np.uint8)
    area = ratio * h * w / objects
    for k in range(objects):
        b = np.sqrt(area / (np.pi * 1.3))  # semi-axes a = 1.3 b: pi a b = area
        a = 1.3 * b
        cy = h * (0.35 + 0.3 * k / max(1, objects - 1)) if objects > 1 else h * 0.55
        cx = w * (0.4 + 0.25 * k) if objects > 1 else w * 0.45
        t = np.linspace(0, 2 * np.pi, 64, endpoint=False)
        wob = 1 + 0.12 * np.sin(3 * t + rng.uniform(0, 6)) + 0.06 * np.sin(7 * t + rng.uniform(0, 6))
        rot = rng.uniform(0, np.pi)
        x, y = a * wob * np.cos(t), b * wob * np.sin(t)
        pts = np.stack([cx + x * np.cos(rot) - y * np.sin(rot), cy + x * np.sin(rot) + y * np.cos(rot)], 1)
        cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
    return mask.astype(bool)


# --- one case (runs in a fresh process) ----------------------------------------------------------


def _maxrss_mb() -> float:
    """Peak resident memory of this process in MB: ``VmHWM`` from /proc (Linux), else ``ru_maxrss``.

    ``ru_maxrss`` alone is not enough on Linux: a child started by a big parent inherits the parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / (1024 * 1024) if sys.platform == "darwin" else r / 1024  # bytes on macOS, KiB on Linux


def run_case(spec: dict) -> dict:
    """Time ``inpaint`` for one (case, method): warm-up, then ``repeats`` runs or until ``budget_s``."""
    import torch

    from inpaintkit.export import OnnxInpainter
    from inpaintkit.inference import inpaint
    from inpaintkit.model_spec import load_filler

    if spec.get("threads"):
        torch.set_num_threads(spec["threads"])
    img = photo(spec["photo"], spec["h"], spec["w"])
    hole = object_mask(spec["h"], spec["w"], spec["ratio"], spec["objects"])
    if spec["backend"] == "onnx":
        filler = OnnxInpainter(spec["onnx"], threads=spec.get("threads"))
        filler.flip_average = bool(spec.get("flip"))  # the graph is the raw forward: +flip as for PyTorch
    else:
        filler = load_filler(spec.get("model_path") or spec["model"], spec["backend"])
    rss_loaded = _maxrss_mb()
    out = inpaint(img, hole, filler)  # warm-up (first call allocates, picks kernels)
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < spec["repeats"] and (not times or time.perf_counter() - start < spec["budget_s"]):
        t = time.perf_counter()
        out = inpaint(img, hole, filler)
        times.append(time.perf_counter() - t)
    peak = _maxrss_mb()
    if out.shape != img.shape or not (out[~hole] == img[~hole]).all():  # checked after the peak was read
        raise AssertionError("known pixels changed")
    return {"ms": 1000 * statistics.median(times), "n": len(times), "peak_mb": peak, "loaded_mb": rss_loaded,
            "hole": float(hole.mean())}


def run_matmul(n: int = MATMUL_N, repeats: int = 7, threads: int | None = None) -> dict:
    """Dense fp32 kernels, median GFLOP/s: ``torch.mm`` of two n x n matrices (2 n³ FLOP) and a 3x3
    convolution 256 -> 256 channels on 64x64 (2 * 256 * 256 * 9 * 64² FLOP)."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    a, b = torch.rand(n, n, generator=g), torch.rand(n, n, generator=g)
    conv = torch.nn.Conv2d(256, 256, 3, padding=1, bias=False).eval()
    x = torch.rand(1, 256, 64, 64, generator=g)

    def median_s(fn) -> float:
        fn()
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    with torch.inference_mode():
        mm = 2 * n**3 / median_s(lambda: torch.mm(a, b)) / 1e9
        cv = 2 * 256 * 256 * 9 * 64 * 64 / median_s(lambda: conv(x)) / 1e9
    return {"gflops": max(mm, cv), "mm_gflops": mm, "conv_gflops": cv, "threads": torch.get_num_threads()}


def _subprocess(kind: str, spec: dict) -> dict:
    cmd = [sys.executable, "-m", "inpaintkit.bench", kind, json.dumps(spec)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        tail = (res.stderr.strip().splitlines() or ["?"])[-1]
        return {"error": tail[:200]}
    return json.loads(res.stdout.strip().splitlines()[-1])


# --- the whole run ---------------------------------------------------------------------------------


def network_flops(net, case: dict) -> float:
    """FLOP of one ``inpaint`` call of ``net`` on ``case`` (every crop it runs), counted by torch's FlopCounterMode."""
    from torch.utils.flop_counter import FlopCounterMode

    from inpaintkit.inference import inpaint

    img = photo(case["photo"], case["h"], case["w"])
    hole = object_mask(case["h"], case["w"], case["ratio"], case["objects"])
    with FlopCounterMode(display=False) as counter:
        inpaint(img, hole, net)
    return float(counter.get_total_flops())


def _machine() -> dict:
    import onnxruntime
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "torch": torch.__version__, "onnxruntime": onnxruntime.__version__,
            "python": platform.python_version(), "load": list(os.getloadavg()),
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def run_bench(model=None, repeats: int = 7, budget_s: float = 15.0, quick: bool = False, progress: bool = True,
              threads: int | None = None) -> dict:
    """Run every case and method (see the module doc); returns a dict for :func:`format_markdown`.

    ``threads``: torch and onnxruntime intra-op threads in every case (None = their defaults, all cores).
    """
    import tempfile

    from tqdm import tqdm

    from inpaintkit.export import export_onnx
    from inpaintkit.models.pretrained import load

    cases = CASES[:2] if quick else CASES
    note = ""
    try:
        net = load(model)
        label = str(model or "default")
    except Exception as e:  # noqa: BLE001 - the bundled weights may be absent in a dev checkout
        if model is not None:
            raise
        from inpaintkit.models.registry import create_model

        net, label = create_model("fillnet").eval(), "fillnet (untrained: bundled weights missing)"
        note = f"default model unavailable ({e}); timed the same architecture untrained"
    tmp = tempfile.TemporaryDirectory(prefix="inpaintkit-bench-")
    model_path = None
    if model is None and note:
        from inpaintkit.checkpoint import save_model

        model_path = str(Path(tmp.name) / "fillnet.safetensors")
        save_model(net, model_path, "fillnet")
    onnx_path = str(Path(tmp.name) / "model.onnx")
    export_onnx(net, onnx_path)
    machine = _machine()
    rows = []
    jobs = [(c, b, m) for c in cases for b, m in METHODS]
    bar = tqdm(total=len(jobs) + 2, desc="bench", unit="case", disable=not progress)
    matmul = _subprocess("matmul", {"n": MATMUL_N, "threads": threads})
    bar.update()
    for case in cases:
        row = {"case": case["label"], "h": case["h"], "w": case["w"], "gflop": network_flops(net, case) / 1e9, "methods": {}}
        for backend, method in METHODS:
            key = f"{method}/{backend}"
            spec = {**case, "backend": backend, "model": method if method != "default" else model,
                    "model_path": model_path if method == "default" else None, "onnx": onnx_path,
                    "repeats": repeats, "budget_s": budget_s, "threads": threads,
                    "flip": bool(getattr(net, "flip_average", False))}
            bar.set_postfix_str(f"{case['label']} {key}")
            row["methods"][key] = _subprocess("case", spec)
            bar.update()
        rows.append(row)
    matmul_end = _subprocess("matmul", {"n": MATMUL_N, "threads": threads})
    bar.update()
    bar.close()
    machine["load_end"] = list(os.getloadavg())
    tmp.cleanup()
    machine["threads"] = threads or "default"
    machine["command"] = "inpaintkit bench" + (f" --threads {threads}" if threads else "") + (
        f" --repeats {repeats}" if repeats != 7 else "") + (" --quick" if quick else "") + (f" --model {model}" if model else "")
    return {"model": label, "note": note, "machine": machine, "matmul": matmul, "matmul_end": matmul_end, "rows": rows}


# --- reporting -------------------------------------------------------------------------------------


def _ms(r: dict) -> str:
    if "error" in r:
        return "error"
    return f"{r['ms']:.0f}" if r["ms"] >= 100 else f"{r['ms']:.1f}"


def _roofline(res: dict) -> float:
    vals = [m["gflops"] for m in (res["matmul"], res["matmul_end"]) if "gflops" in m]
    return max(vals) if vals else float("nan")


def _kernel(res: dict, key: str) -> str:
    vals = [f"{m[key]:.0f}" for m in (res["matmul"], res["matmul_end"]) if key in m]
    return " / ".join(vals) or "?"


def format_markdown(res: dict, sections: Sequence[tuple[str, Sequence[str]]] = ()) -> str:
    """The bench result as markdown: latency table, efficiency / memory table, then each ``(title, lines)`` of
    ``sections`` as a list (``benchmarks/bench.py`` adds the acceptance targets and the notes of
    docs/performance.md)."""
    from inpaintkit.eval_report import markdown_table

    mach, roof = res["machine"], _roofline(res)
    keys = [f"{m}/{b}" for b, m in METHODS]
    names = ["model, PyTorch", "model, PyTorch bf16", "model, onnxruntime", "ORT speed-up", "Telea", "NS", "biharmonic"]
    lat = []
    for r in res["rows"]:
        ms = {k: r["methods"].get(k, {}) for k in keys}
        t, o = ms["default/torch"], ms["default/onnx"]
        speed = f"{t['ms'] / o['ms']:.2f}x" if "ms" in t and "ms" in o else "-"
        lat.append([r["case"], _ms(t), _ms(ms["default/bf16"]), _ms(o), speed, _ms(ms["telea/torch"]), _ms(ms["ns/torch"]),
                    _ms(ms["biharmonic/torch"])])
    eff = []
    for r in res["rows"]:
        t, o = r["methods"]["default/torch"], r["methods"]["default/onnx"]
        cells = [r["case"], f"{r['gflop']:.1f}"]
        for x in (t, o):
            if "ms" in x:
                gf = r["gflop"] / (x["ms"] / 1000)
                cells.append(f"{gf:.0f} ({100 * gf / roof:.0f} %)")
            else:
                cells.append("-")
        for x in (t, o):
            cells.append(f"{x['peak_mb']:.0f} (+{x['peak_mb'] - x['loaded_mb']:.0f})" if "peak_mb" in x else "-")
        cells.append(f"{max((m.get('peak_mb', 0) for m in r['methods'].values()), default=0):.0f}")
        eff.append(cells)
    loaded = max(mach["load"][0], mach.get("load_end", [0])[0]) > 0.5 * (mach["cores"] or 1)
    out = [
        "# Performance",
        "",
        f"Generated by `{mach.get('command', 'python benchmarks/bench.py --markdown docs/performance.md')}` on {mach['date']}: {mach['cpu']}, "
        f"{mach['cores']} cores, Python {mach['python']}, torch {mach['torch']}, onnxruntime {mach['onnxruntime']}. "
        f"Model: `{res['model']}`.",
        "",
    ]
    if res.get("note"):
        out += [f"Note: {res['note']}.", ""]
    if loaded:
        out += [f"**Taken under load**: the 1-minute load average was {mach['load'][0]:.1f} at the start and "
                f"{mach.get('load_end', [0])[0]:.1f} at the end on {mach['cores']} cores (other processes were running), "
                "so absolute times are slower and noisier than on an idle machine; the ratios between columns were "
                "measured in the same run and are the meaningful part.", ""]
    out += [
        "Median latency per image in milliseconds, end to end through `inpaintkit.inpaint` (numpy in, numpy out; "
        "images above 512 px are filled crop by crop at the 512 px working size, for every method). "
        "Square cases: astronaut photo with a 10 % object mask; 1920x1080: chelsea photo upscaled, one object (5 %); "
        "4096x4096: astronaut upscaled, two objects (2 %).",
        "",
        markdown_table(["case"] + names, lat),
        "",
        f"Practical roofline: **{roof:.0f} GFLOP/s**, the faster dense fp32 kernel measured at the start and the end "
        f"of the run (medians: `torch.mm` {MATMUL_N}² {_kernel(res, 'mm_gflops')} GFLOP/s, 3x3 convolution "
        f"256→256 at 64² {_kernel(res, 'conv_gflops')} GFLOP/s; "
        f"{res['matmul'].get('threads', '?')} torch threads; the model and "
        f"onnxruntime ran with {mach.get('threads', 'default')} threads). "
        "GFLOP = the network's convolution/matmul FLOP for the whole `inpaint` call (all crops), counted by "
        "`torch.utils.flop_counter`; GFLOP/s = GFLOP / median latency (so the end-to-end overhead counts against it). "
        "Peak RSS = the high-water mark (`VmHWM`) of a fresh process per case and method (Python, torch, the model, the input photo "
        "and the output included); in brackets how much of it came after the model and the photo were loaded, "
        "i.e. what filling itself added.",
        "",
        markdown_table(["case", "GFLOP", "PyTorch GFLOP/s (% of roofline)", "onnxruntime GFLOP/s (% of roofline)",
                        "peak RSS MB (+ by filling), PyTorch", "same, onnxruntime", "peak RSS MB, any method"], eff),
    ]
    for title, lines in sections:
        out += ["", f"## {title}", ""] + [f"- {line}" for line in lines]
    return "\n".join(out) + "\n"


def _main(argv: list[str]) -> None:  # the subprocess entry point: python -m inpaintkit.bench KIND SPEC
    kind, spec = argv[0], json.loads(argv[1])
    if kind == "matmul":
        print(json.dumps(run_matmul(spec["n"], threads=spec.get("threads"))))
    else:
        print(json.dumps(run_case(spec)))


if __name__ == "__main__":
    _main(sys.argv[1:])
