"""``inpaintkit bench``: latency, FLOP efficiency and peak memory of filling, end to end through :func:`inpaint`.

One run measures, on the same machine under the same load:

* the median latency per image of the default model's network (PyTorch eager in fp32 and under bfloat16
  autocast, onnxruntime; the default, ``general-routed``, is two networks routed by hole width: its full-size
  one, ``general``, is what these columns time, and the whole routed fill is timed beside it as
  ``routed/torch``) and of Telea, NS and
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

Without PyTorch (the torch-free install, :mod:`inpaintkit.optional`) the same cases time what runs there: the
model as its shipped ONNX graph (``onnx`` backend, as ``fill`` runs it), Telea and NS (:data:`LIGHT_METHODS`);
the roofline is a dense fp32 ``np.dot`` (2048²), and there is no FLOP count (it needs torch). Without
scikit-image the photos are deterministic synthetic textures (:func:`synthetic_photo`), cropped and resized the
same way.

The harness is here, the report in :mod:`inpaintkit.bench_report`; the acceptance targets and the notes of the
doc live in ``benchmarks/perf_targets.py``. Regenerate the doc: ``python benchmarks/bench.py --markdown
docs/performance.md`` (``inpaintkit bench`` prints the two tables only).
"""
from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from inpaintkit.optional import available, torch_available

SQUARES = (128, 256, 512)
CASES = [
    {"label": f"{s}²", "h": s, "w": s, "ratio": 0.10, "objects": 1, "photo": "astronaut"} for s in SQUARES
] + [
    {"label": "1920x1080 photo, 5 % mask", "h": 1080, "w": 1920, "ratio": 0.05, "objects": 1, "photo": "chelsea"},
    {"label": "4096x4096 photo, 2 % mask", "h": 4096, "w": 4096, "ratio": 0.02, "objects": 2, "photo": "astronaut"},
]
METHODS = [("torch", "default"), ("bf16", "default"), ("onnx", "default"), ("torch", "telea"), ("torch", "ns"), ("torch", "biharmonic")]
# without torch: the model on its shipped ONNX graph; the classical methods run as they are (key "telea/torch")
LIGHT_METHODS = [("onnx", "default"), ("torch", "telea"), ("torch", "ns")]
MATMUL_N = 2048


# --- inputs ----------------------------------------------------------------------------------------


def synthetic_photo(name: str, size: int = 512) -> np.ndarray:
    """A deterministic textured stand-in for a photo, uint8 [size,size,3] (seeded by ``name``): a colour
    gradient, oriented gratings of several frequencies, flat-coloured shapes with hard edges and fine noise."""
    import cv2

    rng = np.random.default_rng(zlib.crc32(name.encode()))
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    img = np.empty((size, size, 3), np.float32)
    for c in range(3):
        v = 110 + 60 * (rng.uniform(-1, 1) * x + rng.uniform(-1, 1) * y)
        for _ in range(4):
            f, th, ph = rng.uniform(3, 40), rng.uniform(0, np.pi), rng.uniform(0, 2 * np.pi)
            v += rng.uniform(6, 20) * np.sin(2 * np.pi * f * (x * np.cos(th) + y * np.sin(th)) + ph)
        img[..., c] = v
    for _ in range(12):
        colour = [float(v) for v in rng.uniform(20, 235, 3)]
        centre = (int(rng.integers(0, size)), int(rng.integers(0, size)))
        if rng.random() < 0.5:
            cv2.circle(img, centre, int(rng.integers(size // 40, size // 8)), colour, -1)
        else:
            half = rng.integers(size // 40, size // 6, 2)
            cv2.rectangle(img, (centre[0] - half[0], centre[1] - half[1]), (centre[0] + half[0], centre[1] + half[1]), colour, -1)
    img += rng.normal(0, 6, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def photo(name: str, h: int, w: int, synthetic: bool = False) -> np.ndarray:
    """A real photo from scikit-image (or, ``synthetic``, :func:`synthetic_photo` of that name), centre-cropped to
    the aspect h:w and resized to uint8 [h,w,3]."""
    import cv2

    if synthetic:
        img = synthetic_photo(name)
    else:
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
    """Time ``inpaint`` for one (case, method): warm-up, then ``repeats`` runs or until ``budget_s``.

    ``spec["torch"]`` false (the torch-free run): torch is not imported; the model runs as the ONNX graph
    ``spec["onnx"]`` (backend ``onnx``), a classical method as it is."""
    if spec.get("torch", True):  # the full install: torch is loaded in every case's process
        import torch

        if spec.get("threads"):
            torch.set_num_threads(spec["threads"])
    from inpaintkit.inference import inpaint
    from inpaintkit.model_spec import load_filler
    from inpaintkit.onnx_backend import OnnxInpainter

    img = photo(spec["photo"], spec["h"], spec["w"], synthetic=bool(spec.get("synthetic")))
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


def _median_s(fn, repeats: int) -> float:
    """Median seconds of ``repeats`` calls of ``fn`` after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


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
    with torch.inference_mode():
        mm = 2 * n**3 / _median_s(lambda: torch.mm(a, b), repeats) / 1e9
        cv = 2 * 256 * 256 * 9 * 64 * 64 / _median_s(lambda: conv(x), repeats) / 1e9
    return {"gflops": max(mm, cv), "mm_gflops": mm, "conv_gflops": cv, "threads": torch.get_num_threads()}


def run_matmul_numpy(n: int = MATMUL_N, repeats: int = 7) -> dict:
    """The torch-free roofline: median GFLOP/s of a dense fp32 ``np.dot`` of two n x n matrices (2 n³ FLOP), on
    numpy's BLAS with its default threads."""
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), np.float32), rng.random((n, n), np.float32)
    mm = 2 * n**3 / _median_s(lambda: np.dot(a, b), repeats) / 1e9
    return {"gflops": mm, "mm_gflops": mm, "kernel": "np.dot"}


def _subprocess(kind: str, spec: dict) -> dict:
    """Run :func:`_main` in a fresh process that imports this same package (even where it is not the installed one)."""
    root = str(Path(__file__).resolve().parents[1])
    code = f"import sys; sys.path.insert(0, {root!r}); from inpaintkit.bench import _main; _main(sys.argv[1:])"
    cmd = [sys.executable, "-c", code, kind, json.dumps(spec)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        tail = (res.stderr.strip().splitlines() or ["?"])[-1]
        return {"error": tail[:200]}
    return json.loads(res.stdout.strip().splitlines()[-1])


# --- the whole run ---------------------------------------------------------------------------------


def network_flops(net, case: dict, synthetic: bool = False) -> float:
    """FLOP of one ``inpaint`` call of ``net`` on ``case`` (every crop it runs), counted by torch's FlopCounterMode."""
    from torch.utils.flop_counter import FlopCounterMode

    from inpaintkit.inference import inpaint

    img = photo(case["photo"], case["h"], case["w"], synthetic)
    hole = object_mask(case["h"], case["w"], case["ratio"], case["objects"])
    with FlopCounterMode(display=False) as counter:
        inpaint(img, hole, net)
    return float(counter.get_total_flops())


def cpu_name() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else what ``platform`` says)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _machine() -> dict:
    """The machine line of the report; ``torch`` is None in the torch-free install."""
    import onnxruntime

    torch = None
    if torch_available():
        import torch as _torch

        torch = _torch.__version__
    return {"cpu": cpu_name(), "cores": os.cpu_count(), "torch": torch, "onnxruntime": onnxruntime.__version__,
            "python": platform.python_version(), "load": list(os.getloadavg()),
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def _subject(model) -> tuple:
    """(the network to time, the routed bundle it belongs to or None): a routed bundle (:data:`~inpaintkit.models.
    pretrained.ROUTED`, the default among them) is timed by its full-size network, the routed fill beside it."""
    from inpaintkit.models.pretrained import ROUTED, routed_name

    routed = routed_name(model)
    return (ROUTED[routed]["accurate"], routed) if routed else (model, None)


def _routed_note(routed: str) -> str:
    from inpaintkit.models.pretrained import ROUTED

    r = ROUTED[routed]
    return (f"{routed} fills with {r['accurate']!r} at full size and {r['realistic']!r} on holes wider than "
            f"{2 * r['near']} px, at most at the same size: the network columns time {r['accurate']!r}, 'routed "
            f"default' the whole fill")


def _prepare_torch(model, tmp: str) -> tuple:
    """The full install: the network (or, bundled weights missing, the same architecture untrained), exported to
    ONNX in ``tmp``. Returns (net, label, note, the spec fields every case gets)."""
    from inpaintkit.export import export_onnx
    from inpaintkit.models.pretrained import load

    note, model_path = "", None
    try:
        net = load(model)
        label = str(model or "default")
    except Exception as e:  # noqa: BLE001 - the bundled weights may be absent in a dev checkout
        if model is not None:
            raise
        from inpaintkit.checkpoint import save_model
        from inpaintkit.models.registry import create_model

        net, label = create_model("fillnet").eval(), "fillnet (untrained: bundled weights missing)"
        note = f"default model unavailable ({e}); timed the same architecture untrained"
        model_path = str(Path(tmp) / "fillnet.safetensors")
        save_model(net, model_path, "fillnet")
    onnx_path = str(Path(tmp) / "model.onnx")
    export_onnx(net, onnx_path)
    return net, label, note, {"model_path": model_path, "onnx": onnx_path, "flip": bool(getattr(net, "flip_average", False))}


def _prepare_light(model) -> tuple:
    """The torch-free install: the model's ONNX graph (a bundled name's shipped graph, or an .onnx file as is);
    anything else raises the one-line "needs PyTorch" error. Returns as :func:`_prepare_torch`."""
    from inpaintkit.models.pretrained import load
    from inpaintkit.onnx_backend import ExportError, OnnxInpainter

    net = load(model)
    if not isinstance(net, OnnxInpainter):
        raise ExportError(f"model {str(model)!r} is a classical method; --model takes a network")
    spec = {"model_path": None, "onnx": str(net.path), "flip": bool(net.flip_average)}
    return net, str(model or "default"), "", spec


def _command(repeats: int, quick: bool, model, threads) -> str:
    return "inpaintkit bench" + (f" --threads {threads}" if threads else "") + (
        f" --repeats {repeats}" if repeats != 7 else "") + (" --quick" if quick else "") + (f" --model {model}" if model else "")


def run_bench(model=None, repeats: int = 7, budget_s: float = 15.0, quick: bool = False, progress: bool = True,
              threads: int | None = None) -> dict:
    """Run every case and method (see the module doc); returns a dict for :func:`inpaintkit.bench_report.format_markdown`.

    ``threads``: torch and onnxruntime intra-op threads in every case (None = their defaults, all cores).
    Without torch: :data:`LIGHT_METHODS`, the numpy roofline, no GFLOP (``gflop`` None).
    """
    from tqdm import tqdm

    with_torch, synthetic = torch_available(), not available("skimage")
    cases, methods = (CASES[:2] if quick else CASES), (METHODS if with_torch else LIGHT_METHODS)
    tmp = tempfile.TemporaryDirectory(prefix="inpaintkit-bench-")
    subject, routed = _subject(model)
    net, label, note, common = _prepare_torch(subject, tmp.name) if with_torch else _prepare_light(subject)
    if routed:
        label, note = f"{label} (the full-size network of {routed})", " ".join(filter(None, [note, _routed_note(routed)]))
        methods = methods + ([("torch", "routed")] if with_torch else [])
    common.update(repeats=repeats, budget_s=budget_s, threads=threads, torch=with_torch, synthetic=synthetic)
    machine = _machine()
    rows = []
    bar = tqdm(total=len(cases) * len(methods) + 2, desc="bench", unit="case", disable=not progress)
    roof_spec = {"n": MATMUL_N, "threads": threads, "torch": with_torch}
    matmul = _subprocess("matmul", roof_spec)
    bar.update()
    for case in cases:
        gflop = network_flops(net, case, synthetic) / 1e9 if with_torch else None
        row = {"case": case["label"], "h": case["h"], "w": case["w"], "gflop": gflop, "methods": {}}
        for backend, method in methods:
            key = f"{method}/{backend}"
            spec = {**case, **common, "backend": backend,
                    "model": {"default": subject, "routed": routed}.get(method, method)}
            spec["model_path"] = common["model_path"] if method == "default" else None
            bar.set_postfix_str(f"{case['label']} {key}")
            row["methods"][key] = _subprocess("case", spec)
            bar.update()
        rows.append(row)
    matmul_end = _subprocess("matmul", roof_spec)
    bar.update()
    bar.close()
    machine["load_end"] = list(os.getloadavg())
    tmp.cleanup()
    machine["threads"] = threads or "default"
    machine["command"] = _command(repeats, quick, model, threads)
    return {"model": label, "note": note, "machine": machine, "matmul": matmul, "matmul_end": matmul_end, "rows": rows,
            "photos": "synthetic" if synthetic else "scikit-image"}


def _main(argv: list[str]) -> None:  # the subprocess entry point (python -m inpaintkit.bench KIND SPEC runs it too)
    kind, spec = argv[0], json.loads(argv[1])
    if kind == "matmul" and spec.get("torch", True):
        print(json.dumps(run_matmul(spec["n"], threads=spec.get("threads"))))
    elif kind == "matmul":
        print(json.dumps(run_matmul_numpy(spec["n"])))
    else:
        print(json.dumps(run_case(spec)))


if __name__ == "__main__":
    _main(sys.argv[1:])
