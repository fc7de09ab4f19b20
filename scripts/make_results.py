"""Regenerate ``docs/results.md``: the evaluation protocol for a list of methods on the report's datasets.

    python scripts/make_results.py                                   # the classical methods, both datasets
    python scripts/make_results.py --methods faces general           # add two models; the rest is re-used
    python scripts/make_results.py --methods patchmatch --method-limit patchmatch=500
    python scripts/make_results.py --methods telea --force           # rerun one method
    python scripts/make_results.py --render-only                     # rebuild results.md from the JSON

Each (dataset, size, method) result is cached as ``docs/results/<dataset>-<size>/<method>.json`` (the exact
``inpaintkit eval --json`` shape) with its run details in ``meta.json`` beside it; a cached result is re-used
unless ``--force`` or its image limit differs. ``results.md`` is then rebuilt from *every* cached result, so
methods evaluated on different days stay in one report. The comparison pictures ``docs/img/<dataset>-<size>.png``
are redrawn (6 pairs, every cached method) whenever something ran or the picture is missing.

An optional ``docs/results/training.json`` (``{"<method>": "<training cost, e.g. 2.9 CPU-hours>"}``) adds the
training cost of learned models to the methods table.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MASKS = "masks/nvidia_irregular_test"
DATASETS = {  # name -> (folder under the data root, split, title)
    "celeba": ("celeba", "test", "CelebA test split (faces)"),
    "bsds500": ("scenes/bsds500", "val", "BSDS500 val (natural photos)"),
}
CLASSICAL = ["telea", "ns", "biharmonic", "patchmatch"]


def cpu_info() -> str:
    """``"<model name>, <n> cores"``."""
    from inpaintkit.bench import cpu_name

    return f"{cpu_name()}, {os.cpu_count()} cores"


def load_json(path: Path, default):
    return json.loads(path.read_text()) if path.is_file() else default


def parse_limits(items: list[str]) -> dict[str, int]:
    limits = {}
    for item in items:
        name, _, n = item.partition("=")
        if not n.isdigit() or int(n) < 1:
            sys.exit(f"error: --method-limit wants METHOD=N with N >= 1, got {item!r}")
        limits[name] = int(n)
    return limits


def run_dataset(name: str, args, methods: list[str], limits: dict[str, int]) -> bool:
    """Evaluate the methods whose cache is missing or stale; returns True when something ran."""
    from inpaintkit.data import list_dataset
    from inpaintkit.evaluate import evaluate_pairs, method_label, prepare_pairs
    from inpaintkit.eval_report import write_json

    folder, split, _ = DATASETS[name]
    out = args.docs / "results" / f"{name}-{args.size}"
    meta = load_json(out / "meta.json", {})
    n_all = len(list_dataset(args.data_root / folder, split))
    todo = []
    for m in methods:
        lab = method_label(m)  # "LABEL=PATH" evaluates a model file under LABEL
        limit = limits.get(lab, args.limit)
        if limit is not None and limit >= n_all:
            limit = None  # the whole set
        want = n_all if limit is None else limit
        cached = (out / f"{lab}.json").is_file() and meta.get(lab, {}).get("images") == want
        if args.force or not cached:
            todo.append((m, limit))
        else:
            print(f"{name}: {lab} cached ({out / (lab + '.json')}), skipping; --force reruns it")
    # Methods with the same limit share one set of pairs; the largest set is loaded first.
    for limit in sorted({lim for _, lim in todo}, key=lambda x: -(x or 10**9)):
        group = [m for m, lim in todo if lim == limit]
        pairs = prepare_pairs(args.data_root / folder, split, args.data_root / MASKS, args.size, limit)
        for m in group:
            t0, c0 = time.time(), time.process_time()
            res = evaluate_pairs([m], pairs, batch=args.batch, workers=args.workers)
            lab = method_label(m)
            write_json(out / f"{lab}.json", res)
            meta = load_json(out / "meta.json", {})  # re-read: another run may have added methods meanwhile
            meta[lab] = {
                "spec": m,
                "date": dt.date.today().isoformat(),
                "limit": limit,
                "images": len(pairs),
                "wall_s": round(time.time() - t0, 1),
                "cpu_s": round(time.process_time() - c0, 1),  # this process only (not pool workers)
                "workers": args.workers,
                "cpu": cpu_info(),
                "command": "python scripts/make_results.py " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
            }
            write_json(out / "meta.json", meta)
            print(f"{name}: {lab} done in {meta[lab]['wall_s']} s")
    return bool(todo)


def cached_methods(docs: Path, name: str, size: int) -> dict[str, dict]:
    out = docs / "results" / f"{name}-{size}"
    res = {}
    for p in sorted(out.glob("*.json")):
        if p.name != "meta.json":
            res.update(json.loads(p.read_text()))
    return res


def ordered(results: dict[str, dict]) -> list[str]:
    """Learned models first, then classical methods; each group by mean PSNR, best first."""
    from inpaintkit.models.registry import list_models

    classical = set(list_models("classical"))
    return sorted(results, key=lambda m: (m in classical, -results[m]["mean"]["psnr"]))


def draw_grid(name: str, args, methods: list[str]) -> Path:
    from inpaintkit.evaluate import prepare_pairs
    from inpaintkit.eval_report import write_grid
    from inpaintkit.models.registry import list_models

    folder, split, _ = DATASETS[name]
    pairs = prepare_pairs(args.data_root / folder, split, args.data_root / MASKS, args.size, None, progress=False)
    meta = load_json(args.docs / "results" / f"{name}-{args.size}" / "meta.json", {})
    specs = [meta.get(m, {}).get("spec", m) for m in methods]  # a label evaluated from a file keeps its spec
    known = [s for s in specs if s in list_models() or ("=" in s and Path(s.partition("=")[2]).is_file())]
    return write_grid(known, pairs, args.docs / "img" / f"{name}-{args.size}.png", n=6)


def pivot(results: dict, methods: list[str], key: str, fmt: str, best: str = "max", scale: float = 1.0) -> str:
    """Methods x bands table of one metric (times ``scale``), the best value of each column in bold.

    ``best``: ``"max"``, ``"min"`` or ``"one"`` (closest to 1, for ratios). A result without the metric
    (evaluated before it existed) shows "–".
    """
    import math

    from inpaintkit.eval_report import markdown_table

    bands = list(next(iter(results.values()))["bands"])
    cols = [*bands, "mean"]

    def val(m, c):
        r = results[m]["mean"] if c == "mean" else results[m]["bands"].get(c)
        v = None if r is None else r.get(key)
        return None if v is None or not math.isfinite(v) else v * scale

    score = {"max": lambda v: -v, "min": lambda v: v, "one": lambda v: abs(v - 1.0)}[best]
    top = {}
    for c in cols:
        vals = [v for m in methods if (v := val(m, c)) is not None]
        top[c] = min(vals, key=score) if vals else None
    full = max(results[m]["mean"]["n"] for m in methods)
    rows = []
    for m in methods:
        n = results[m]["mean"]["n"]
        cells = [m if n == full else f"{m} (first {n // len(bands)} images)"]
        for c in cols:
            v = val(m, c)
            s = "–" if v is None else fmt.format(v)
            cells.append(f"**{s}**" if v is not None and len(methods) > 1 and fmt.format(v) == fmt.format(top[c]) else s)
        rows.append(cells)
    return markdown_table(["method", *(f"{c} %" if c != "mean" else "mean" for c in cols)], rows)


# The targets against the best classical method: (dataset, model) -> minimum PSNR margin per band
TARGETS = {
    ("celeba", "faces"): {"0-10": 1.5, "10-20": 1.5, "20-30": 1.5, "30-40": 1.5, "40-50": 3.0, "50-60": 3.0},
    ("bsds500", "general"): {"0-10": 0.0, "10-20": 0.0, "20-30": 0.0, "30-40": 1.5, "40-50": 1.5, "50-60": 1.5},
}
REFERENCE = "biharmonic"


def margins(name: str, results: dict, methods: list[str]) -> str:
    """PSNR and SSIM of each learned method minus biharmonic's, per band, and the targets met or not."""
    from inpaintkit.eval_report import markdown_table
    from inpaintkit.models.registry import list_models, model_kind

    if REFERENCE not in results:
        return ""
    ref = results[REFERENCE]["bands"]
    n_ref = results[REFERENCE]["mean"]["n"]
    learned = [m for m in methods if results[m]["mean"]["n"] == n_ref
               and (m not in list_models() or model_kind(m) != "classical")]
    if not learned:
        return ""
    bands = list(ref)
    rows = []
    for m in learned:
        b = results[m]["bands"]
        rows.append([m, *(f"{b[k]['psnr'] - ref[k]['psnr']:+.2f} / {b[k]['ssim'] - ref[k]['ssim']:+.4f}" for k in bands)])
    out = [f"### Against {REFERENCE} (the best classical method here)", "",
           f"PSNR margin (dB) / SSIM margin of each learned method over {REFERENCE}, per band, on the same pairs.", "",
           markdown_table(["method", *(f"{k} %" for k in bands)], rows), ""]
    for (ds, model), want in TARGETS.items():
        for m in (model, f"{model}+flip"):
            if ds != name or m not in learned:
                continue
            b = results[m]["bands"]
            miss = [k for k in bands if b[k]["psnr"] - ref[k]["psnr"] < want[k]]
            ssim_ok = all(b[k]["ssim"] > ref[k]["ssim"] for k in bands) if ds == "celeba" else True
            need = ", ".join(f"{k} %: ≥ {v:+.1f}" for k, v in want.items())
            verdict = "**met**" if not miss and ssim_ok else (
                "**not met** (" + ", ".join(f"{k} %: {b[k]['psnr'] - ref[k]['psnr']:+.2f} dB" for k in miss)
                + ("" if ssim_ok else "; SSIM not higher in every band") + ")")
            out.append(f"- Target for `{m}` ({need} dB PSNR{', higher SSIM in every band' if ds == 'celeba' else ''}): {verdict}")
    return "\n".join(out) + "\n"


# The realism issue's targets at 256x256: (dataset, model) pairs judged per band
REALISM_TARGETS = {"bsds500": ["general"], "celeba": ["faces"]}


def realism_targets(name: str, size: int, results: dict) -> str:
    """Per band: sharpness ratio in 0.85-1.15, SWD <= PatchMatch's, PSNR >= and colour error <= biharmonic's."""
    if size != 256:
        return ""
    out = []
    for m in REALISM_TARGETS.get(name, []):
        if m not in results or "swd" not in results[m]["mean"]:
            continue
        b = results[m]["bands"]
        checks = [("sharpness in 0.85-1.15", lambda k, r: 0.85 <= r["sharpness"] <= 1.15)]
        if "swd" in results.get("patchmatch", {}).get("mean", {}):
            checks.append(("SWD <= patchmatch", lambda k, r: r["swd"] <= results["patchmatch"]["bands"][k]["swd"]))
        if "swd" in results.get("biharmonic", {}).get("mean", {}):
            checks.append(("PSNR >= biharmonic", lambda k, r: r["psnr"] >= results["biharmonic"]["bands"][k]["psnr"]))
            checks.append(("colour error <= biharmonic",
                           lambda k, r: r["color_error"] <= results["biharmonic"]["bands"][k]["color_error"]))
        for label, ok in checks:
            missed = [k for k in b if not ok(k, b[k])]
            verdict = "**met** in every band" if not missed else f"**not met** in {len(missed)} of {len(b)} bands ({', '.join(missed)} %)"
            out.append(f"- Realism target for `{m}`, {label}: {verdict}")
    return "\n".join(out) + "\n" if out else ""


def reference_check(name: str, size: int, results: dict, data_root: Path) -> str:
    """How far the cached classical results are from the independent reference run (same images only)."""
    ref_file = {"bsds500": "classical_128_bsds500_val.json"}.get(name)
    if ref_file is None or size != 128 or not (data_root / "reference" / ref_file).is_file():
        return ""
    ref = json.loads((data_root / "reference" / ref_file).read_text())["methods"]
    dp, ds = 0.0, 0.0
    used = []
    for m, bands in ref.items():
        if m not in results or results[m]["bands"]["0-10"]["n"] != 100:
            continue
        used.append(m)
        for b, v in bands.items():
            dp = max(dp, abs(results[m]["bands"][b]["psnr"] - v["psnr"]), abs(results[m]["bands"][b]["hole_psnr"] - v["hole_psnr"]))
            ds = max(ds, abs(results[m]["bands"][b]["ssim"] - v["ssim"]))
    if not used:
        return ""
    return (f"Check against the independent reference run (`../shared/data/reference/{ref_file}`, "
            f"{', '.join(used)}): largest difference {dp:.3f} dB (PSNR and hole-PSNR, reference rounded to 0.01) "
            f"and {ds:.4f} SSIM (reference rounded to 0.001) over all bands.\n")


def regenerate_command(docs: Path) -> str:
    """The one command that reproduces every cached result (methods and their image limits)."""
    methods, limits = [], {}
    for d in sorted((docs / "results").glob("*-*")):
        if d.is_dir():
            for m, info in load_json(d / "meta.json", {}).items():
                if m not in methods:
                    methods.append(m)
                if info.get("limit"):
                    limits[m] = max(limits.get(m, 0), info["limit"])
    methods.sort(key=lambda m: (m not in CLASSICAL, CLASSICAL.index(m) if m in CLASSICAL else m))
    cmd = "nice -n 10 python scripts/make_results.py --methods " + " ".join(methods or CLASSICAL)
    return cmd + "".join(f" --method-limit {m}={n}" for m, n in limits.items())


def render(args) -> None:
    from inpaintkit.eval_report import format_table, markdown_table
    from inpaintkit.fileio import atomic_write_text
    from inpaintkit.models.registry import list_models, model_kind

    import torch

    docs = args.docs
    training = load_json(docs / "results" / "training.json", {})
    lines = [
        "# Results",
        "",
        "<!-- generated by scripts/make_results.py; edit that script, not this file -->",
        "",
        "The evaluation protocol of `../shared/data/README.md`: images sorted by name, centre square crop, "
        "`cv2.INTER_AREA` resize; the NVIDIA irregular test masks (`masks/nvidia_irregular_test`, 500 per band) "
        "resized with `cv2.INTER_NEAREST`, hole = value > 127; the i-th image is paired with mask `i mod 500` of "
        "each band; the method sees the image with the holes zeroed and its output is composited and rounded to "
        "uint8; metrics per image on uint8 RGB, averaged per band; `mean` is the mean over the six bands. "
        "SSIM: Gaussian 11x11, sigma 1.5, data range 255. `ms/img` is the wall time of the method's `fill` per "
        "image (classical methods one image at a time, learned models in batches of 32) on the machine below, "
        "which was shared with a model training at the time, so timings are indicative only.",
        "",
        "Regenerate (everything cached under `docs/results/` is re-used; `--force` reruns):",
        "",
        "```",
        regenerate_command(docs),
        "```",
        "",
        "The same numbers for a single method come from "
        "`inpaintkit eval --method NAME --data ../shared/data/celeba --split test "
        "--masks ../shared/data/masks/nvidia_irregular_test --size 128`.",
        "",
    ]
    for name, (folder, split, title) in DATASETS.items():
        for d in sorted((docs / "results").glob(f"{name}-*")):
            size = int(d.name.rsplit("-", 1)[1])
            results = cached_methods(docs, name, size)
            if not results:
                continue
            meta = load_json(d / "meta.json", {})
            methods = ordered(results)
            n_img = max(r["bands"][b]["n"] for r in results.values() for b in r["bands"])
            lines += [f"## {title}, {size}x{size}", "",
                      f"{n_img} images (`{(Path('../shared/data') / folder).as_posix()}`, split `{split}` where the "
                      f"folder has splits) x {len(next(iter(results.values()))['bands'])} mask bands; every method "
                      f"sees the same pairs. Best value of each column in bold.", ""]
            lines += ["### PSNR (dB, whole image)", "", pivot(results, methods, "psnr", "{:.2f}"), ""]
            lines += ["### Hole-PSNR (dB, hole pixels only)", "", pivot(results, methods, "hole_psnr", "{:.2f}"), ""]
            lines += ["### SSIM", "", pivot(results, methods, "ssim", "{:.4f}"), ""]
            real = [m for m in methods if "swd" in results[m]["mean"]]  # results from before the metrics: left out
            if real:
                lines += ["### Realism inside the hole", "",
                          "Sharpness ratio (mean Sobel gradient of the fills over that of the truths in the hole; "
                          "1 = as detailed as the truth, bold = closest to 1), patch SWD x1e3 (7x7 patches of three "
                          "Laplacian levels; lower is better) and the CIEDE2000 difference of the hole's mean colour "
                          "(lower is better); `src/inpaintkit/metrics/`. Methods evaluated before these metrics existed are left out.", "",
                          "Sharpness ratio:", "", pivot(results, real, "sharpness", "{:.2f}", best="one"), "",
                          "Patch SWD x1e3:", "", pivot(results, real, "swd", "{:.2f}", best="min", scale=1e3), "",
                          "Hole colour error (ΔE00):", "", pivot(results, real, "color_error", "{:.2f}", best="min"), ""]
                lines += [realism_targets(name, size, results)]
            if size == 128:
                lines += [margins(name, results, methods)]
            lines += ["### All metrics", "", format_table({m: results[m] for m in methods}), ""]
            rows = []
            for m in methods:
                info = meta.get(m, {})
                kind = model_kind(m) if m in list_models() else "?"
                lim = info.get("limit")
                images = info.get("images", results[m]["bands"]["0-10"]["n"])
                note = f"first {images} images only" if lim else f"all {images} images"
                share = (f"{100 * info['cpu_s'] / info['wall_s']:.0f} %" if info.get("cpu_s") and info.get("wall_s")
                         and info.get("workers", 1) == 1 else "?")
                rows.append([m, kind, training.get(m, "–" if kind == "classical" else "not recorded"), note,
                             info.get("date", "?"), info.get("cpu", "?"), f"{info.get('wall_s', float('nan')) / 60:.1f}", share])
            lines += ["### Runs", "", markdown_table(["method", "kind", "training cost", "images", "date", "CPU", "wall (min)",
                                                      "CPU time / wall"], rows, left=6), "",
                      "`CPU time / wall`: a classical method runs on one core, so near 100 % means it had that core to "
                      "itself and far below means other work (training runs) held the CPU and inflated `ms/img`; "
                      "learned models use two threads (up to 200 %). `?`: not recorded (older run, or a process pool).", ""]
            check = reference_check(name, size, results, args.data_root)
            if check:
                lines += [check]
            grid = docs / "img" / f"{name}-{size}.png"
            if grid.is_file():
                lines += [f"![{title}: input with the hole in white, each method's output, truth; "
                          f"PSNR / hole-PSNR under each output]({grid.relative_to(docs).as_posix()})", "",
                          "Rows: one pair from each band (0-10 % at the top to 50-60 % at the bottom); columns: "
                          "the input with its hole painted white, each method's output (PSNR / hole-PSNR of that "
                          "pair below it), the truth.", ""]
    notes = docs / "results" / "notes.md"
    if notes.is_file():
        lines += ["## Notes", "", notes.read_text().strip(), ""]
    lines += [f"Machine: {cpu_info()}; Python {platform.python_version()}, torch {torch.__version__}. "
              f"Rendered {dt.date.today().isoformat()}.", ""]
    text = "\n".join(lines)
    atomic_write_text(docs / "results.md", text)
    print(f"wrote {docs / 'results.md'}")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--methods", nargs="+", default=CLASSICAL, help="methods to evaluate (default: the classical ones)")
    p.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--limit", type=int, default=None, help="first N images for every method (quick tries)")
    p.add_argument("--method-limit", action="append", default=[], metavar="METHOD=N",
                   help="first N images for one slow method (noted in results.md)")
    p.add_argument("--force", action="store_true", help="rerun even when a cached result exists")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--workers", type=int, default=1, help="processes for classical methods")
    p.add_argument("--data-root", type=Path, default=(ROOT / ".." / "shared" / "data").resolve())
    p.add_argument("--docs", type=Path, default=ROOT / "docs", help="where results.md, results/ and img/ go")
    p.add_argument("--render-only", action="store_true", help="only rebuild results.md from the cached JSON")
    args = p.parse_args(argv)

    from inpaintkit.data import DatasetError
    from inpaintkit.evaluate import EvalError, check_methods
    from inpaintkit.images import ImageReadError

    try:
        methods = check_methods(args.methods)
        limits = parse_limits(args.method_limit)
        if not args.render_only:
            for name in args.datasets:
                ran = run_dataset(name, args, methods, limits)
                grid = args.docs / "img" / f"{name}-{args.size}.png"
                if ran or args.force or not grid.is_file():
                    print(f"{name}: drawing {draw_grid(name, args, ordered(cached_methods(args.docs, name, args.size)))}")
    except (EvalError, DatasetError, ImageReadError) as e:
        sys.exit(f"error: {e}")
    render(args)


if __name__ == "__main__":
    main()
