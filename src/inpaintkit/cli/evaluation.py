"""``inpaintkit eval``, ``masks`` and ``bench``: measuring methods and making test masks."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from inpaintkit.cli.common import BACKEND_HELP, MODEL_FORMS, _check_output, _fill_errors, _message, _one_line_warning, app, fail, printable  # noqa: F401


@app.command("eval")
def eval_cmd(
    method: Optional[List[str]] = typer.Option(None, "--method", "-m", help=f"Method to evaluate (repeat for several): {MODEL_FORMS}. A file is reported under its file stem; LABEL=SPEC reports it under LABEL (e.g. gan=runs/gan/model-best.safetensors)."),
    data: Optional[Path] = typer.Option(None, "--data", help="CelebA-layout folder (img_align_celeba/ + list_eval_partition.txt) or any folder of images."),
    split: str = typer.Option("test", "--split", help="CelebA split (train/val/test); for a plain folder, a subfolder if it exists."),
    masks: Optional[Path] = typer.Option(None, "--masks", help="Folder of mask files (NVIDIA numbering, or banded by hole ratio)."),
    size: int = typer.Option(128, "--size", help="Square evaluation size (centre crop, area resize)."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Use only the first N images (sorted by name)."),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Write the per-band results as JSON here."),
    grid: Optional[Path] = typer.Option(None, "--grid", help="Write a comparison picture (PNG) here."),
    batch: int = typer.Option(32, "--batch", help="Batch size for learned models (classical methods go one image at a time)."),
    workers: int = typer.Option(1, "--workers", help="Processes for classical methods (ms/img is still per-image compute time)."),
    metrics: str = typer.Option("protocol", "--metrics", help="Table columns: protocol (PSNR, SSIM, realism ...) or medical (BraTS-style hole MSE / PSNR / SSIM of the grey values, normalised by the known tissue's 0.5-99.5 percentiles). The JSON has both."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Evaluate methods with the protocol: per-band MSE, PSNR, hole-PSNR, SSIM, L1 and ms per image."""
    from inpaintkit.errors import InpaintkitError
    from inpaintkit.evaluate import check_methods, evaluate_pairs, prepare_pairs
    from inpaintkit.eval_report import format_table, write_grid, write_json

    if not method:
        raise fail("give at least one --method (see `inpaintkit models`, or a model file)")
    if metrics not in ("protocol", "medical"):
        raise fail(f"--metrics must be protocol or medical, got '{metrics}'")
    if data is None or masks is None:
        raise fail("--data and --masks are required")
    if batch < 1 or workers < 1:
        raise fail("--batch and --workers must be at least 1")
    if grid is not None and grid.suffix.lower() != ".png":
        raise fail(f"--grid must name a .png file, got '{grid}'")
    if json_path is not None and json_path.is_dir():
        raise fail(f"--json '{json_path}' is a folder; give a file name")
    for path, option in ((json_path, "--json"), (grid, "--grid")):
        if path is not None:
            _check_output(path, option)
    try:
        methods = check_methods(method)
        pairs = prepare_pairs(data, split, masks, size, limit, progress=not quiet)
        results = evaluate_pairs(methods, pairs, batch=batch, progress=not quiet, workers=workers)
    except InpaintkitError as e:
        raise fail(_message(e))
    typer.echo(format_table(results, metrics))
    if json_path is not None:
        write_json(json_path, results)
        typer.echo(f"wrote {json_path}")
    if grid is not None:
        write_grid(methods, pairs, grid)
        typer.echo(f"wrote {grid}")


# --- masks (masks.py) ---


@app.command("masks")
def masks_cmd(
    out: Path = typer.Option(..., "--out", "-o", help="Folder to write the sample masks and contact_sheet.png into."),
    n: int = typer.Option(16, "--n", help="Number of sample masks to write (mask_00000.png, ...; 255 = hole)."),
    size: int = typer.Option(256, "--size", help="Mask side in pixels."),
    preset: str = typer.Option("mixed", "--preset", help="thin, medium, thick, mixed, box, object or wide."),
    seed: int = typer.Option(0, "--seed", help="Generator seed; mask i is a pure function of (seed, i)."),
    stats: int = typer.Option(1000, "--stats", help="Masks the hole-ratio histogram counts (indices 0..max(n, stats)-1; the written ones are the first n)."),
) -> None:
    """Write sample generated masks and a contact sheet, and print their hole-ratio histogram over the bands."""
    from inpaintkit.masks import MAX_SAMPLES, MAX_SIZE, MAX_STATS, write_samples

    for option, value, lo, hi in (("--n", n, 1, MAX_SAMPLES), ("--size", size, 8, MAX_SIZE),
                                  ("--stats", stats, 0, MAX_STATS), ("--seed", seed, 0, None)):
        if value < lo or (hi is not None and value > hi):  # before anything is created or allocated
            raise fail(f"{option} must be from {lo} to {hi:,}, got {value:,}" if hi is not None
                       else f"{option} must be >= {lo}, got {value}")
    if out.exists() and not out.is_dir():
        raise fail(f"--out '{out}' exists and is not a folder")
    _check_output(out, "--out", folder=True)
    try:
        report = write_samples(out, n=n, size=size, preset=preset, seed=seed, stats=stats)
    except ValueError as e:
        raise fail(str(e))
    typer.echo(report)


# --- serve (server/) ---



@app.command("bench")
def bench_cmd(
    markdown: Optional[Path] = typer.Option(None, "--markdown", help="Also write the report here (e.g. docs/performance.md)."),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Also write the raw results as JSON here."),
    model: Optional[str] = typer.Option(None, "--model", help="Network to time (default: the bundled default model; without PyTorch a bundled name or an .onnx file)."),
    repeats: int = typer.Option(7, "--repeats", help="Timed runs per case and method (after one warm-up); the median is reported."),
    budget: float = typer.Option(15.0, "--budget", help="Stop repeating a case after this many seconds (at least one run)."),
    quick: bool = typer.Option(False, "--quick", help="Only the 128² and 256² cases (a smoke run)."),
    threads: Optional[int] = typer.Option(None, "--threads", help="torch / onnxruntime threads per case (default: all cores; 1 is steadier on a busy machine)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Latency (model in PyTorch and onnxruntime, Telea, NS, biharmonic), GFLOP/s vs the roofline, peak memory.

    Without PyTorch: the model's shipped ONNX graph, Telea and NS, and a numpy roofline (no GFLOP count).
    """
    import json

    from inpaintkit.bench import run_bench
    from inpaintkit.bench_report import format_markdown
    from inpaintkit.fileio import atomic_write_text

    if repeats < 1 or budget <= 0 or (threads is not None and threads < 1):
        raise fail("--repeats and --threads must be >= 1 and --budget > 0")
    for path, option in ((markdown, "--markdown"), (json_path, "--json")):
        if path is not None:
            _check_output(path, option)
    try:
        res = run_bench(model, repeats=repeats, budget_s=budget, quick=quick, progress=not quiet, threads=threads)
    except _fill_errors() as e:
        raise fail(_message(e))
    text = format_markdown(res)
    typer.echo(text)
    if markdown is not None:
        atomic_write_text(markdown, text)
        typer.echo(f"wrote {markdown}")
    if json_path is not None:
        atomic_write_text(json_path, json.dumps(res, indent=2) + "\n")
        typer.echo(f"wrote {json_path}")


# --- fill-video (video/) ---
