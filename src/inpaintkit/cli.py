"""The ``inpaintkit`` command line (Typer). Each command is thin: it parses options and calls the library.

Errors a user can cause (bad paths, unknown names, bad images) print one line and exit with code 2; so does a
file the system refuses (no permission, a full disk) in any command, and a warning is one ``warning: ...`` line
(:class:`_Group`), never Python's two lines with a library's path.
"""
from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import List, Optional

import typer
from typer.core import TyperGroup

# the model spec forms every command takes (inpaintkit.model_spec); kept in one place so the helps agree
MODEL_FORMS = ("a name (see `inpaintkit models`), a .safetensors model file, or an .onnx file (runs in onnxruntime); "
               "any may end in +flip (average with the mirrored fill), +bf16 (bfloat16 autocast) or +texture "
               "(PatchMatch texture deep in wide holes)")
BACKEND_HELP = ("torch (PyTorch eager), bf16 (PyTorch under bfloat16 autocast: faster on CPUs with AVX512-BF16/AMX) "
                "or onnx (onnxruntime; a name is exported once to ~/.cache/inpaintkit/onnx). "
                "Default: onnx for an .onnx file, else torch.")


def printable(text: str) -> str:
    """``text`` as one printable line: the bytes of a file name that is not valid UTF-8 as ``\\xff`` escapes,
    control characters (a newline in a name, an escape) as ``\\n``, ``\\x1b`` (:func:`inpaintkit.fileio.shown`)."""
    from inpaintkit.fileio import shown

    return shown(text)


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """``warnings.showwarning`` for the command line: ``warning: message``, one line, no source path."""
    text = str(message).strip()
    typer.echo(printable(f"warning: {text.splitlines()[0] if text else category.__name__}"), err=True)


class _Group(TyperGroup):
    """The command group: warnings as one line each; an OSError or MemoryError that a command did not turn into its
    own message is still ``error: ...`` (exit 2), never a traceback box."""

    def invoke(self, ctx):
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning
            try:
                return super().invoke(ctx)
            except OSError as e:  # no permission, a full disk, a file that vanished, ...
                raise fail(_message(e)) from None
            except MemoryError:
                raise fail("out of memory (the input or the options ask for more than this machine has)") from None


app = typer.Typer(cls=_Group, add_completion=False, no_args_is_help=True,
                  help="Image inpainting: train, evaluate and apply models.")


def fail(message: str) -> "typer.Exit":
    """Print ``error: message`` to stderr and return an Exit(2) to raise."""
    typer.echo(printable(f"error: {message}"), err=True)
    return typer.Exit(code=2)


def _message(e: BaseException) -> str:
    """One line for an error a user caused: an OSError as "reason: 'file'", a plain KeyError without its repr
    quotes, anything else its first line."""
    if isinstance(e, OSError) and e.strerror:
        from inpaintkit.fileio import shown

        return f"{e.strerror}: '{shown(e.filename)}'" if e.filename else e.strerror
    text = str(e.args[0]) if type(e) is KeyError and e.args else str(e)
    return (text.splitlines() or [type(e).__name__])[0]


def _check_output(path: Path, option: str, folder: bool = False) -> None:
    """Fail before any work when ``path`` (a file, or with ``folder`` a folder) cannot be created: one of its folders
    is an existing file, or the nearest existing one refuses a new file (no permission, a read-only disk)."""
    import tempfile

    for parent in ([Path(path)] if folder else []) + list(Path(path).parents):
        if parent.exists():
            if not parent.is_dir():
                raise fail(f"cannot write {option} '{path}': '{parent}' is a file, not a folder")
            try:  # the only sure test (root ignores permission bits; a read-only mount has them): try it
                fd, probe = tempfile.mkstemp(prefix=".inpaintkit-probe-", dir=parent)
            except OSError as e:
                raise fail(f"cannot write {option} '{path}': {(e.strerror or str(e)).lower()} ('{parent}')") from None
            os.close(fd)
            os.unlink(probe)
            return


@app.callback()
def _root() -> None:
    """Image inpainting: train, evaluate and apply encoder-decoder and GAN models."""


@app.command("models")
def models_cmd() -> None:
    """List the registered models (networks, pretrained bundles and classical methods)."""
    from inpaintkit.models.registry import describe, list_models, model_kind

    for name in list_models():
        typer.echo(f"{name:16s} {model_kind(name):10s} {describe(name)}")


# --- commands are added below, one block per concern ------------------------------------------


@app.command("demo")
def demo_cmd(
    out: Path = typer.Option(Path("demo.png"), "-o", "--out", help="Where to write the before/after picture."),
    model: Optional[str] = typer.Option(None, help=f"The model: {MODEL_FORMS}. Default: the bundled default model."),
    photo: str = typer.Option("astronaut", help="Bundled photo: astronaut, chelsea or coffee."),
    seed: int = typer.Option(3, help="Seed of the generated mask."),
) -> None:
    """Fill a real photo (scikit-image's astronaut) under a generated mask with the bundled model, offline."""
    from inpaintkit.demo import run_demo

    try:
        res = run_demo(out, model=model, photo=photo, seed=seed)
    except (ValueError, KeyError, OSError) as e:
        raise fail(_message(e))
    typer.echo(f"filled {res['photo']} ({100 * res['hole_ratio']:.1f}% hole) with {res['model']} in "
               f"{res['seconds_model']:.2f} s: PSNR {res['psnr_model']:.2f} dB "
               f"(OpenCV Telea {res['psnr_telea']:.2f} dB); wrote {out}")


@app.command("train")
def train_cmd(
    model: Optional[str] = typer.Option(None, help="Registered generator name (see `inpaintkit models`)."),
    data: Optional[List[Path]] = typer.Option(None, help="Dataset folder (CelebA layout or any image folder); repeatable."),
    out: Path = typer.Option(..., help="Run folder (config, log, curves, samples, checkpoints)."),
    config: Optional[Path] = typer.Option(None, help="JSON file of TrainConfig fields (e.g. configs/faces.json); \"base\": \"other.json\" inherits another file's fields."),
    size: Optional[int] = typer.Option(None, help="Training image size."),
    steps: Optional[int] = typer.Option(None, help="Total optimisation steps (with --resume: extend the run to this many)."),
    batch: Optional[int] = typer.Option(None, help="Global batch size."),
    lr: Optional[float] = typer.Option(None, help="Generator learning rate (Adam)."),
    gan: bool = typer.Option(False, "--gan", help="Train adversarially against an SN-PatchGAN discriminator."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out exactly where it stopped (after Ctrl-C, a crash or max_minutes); only operational fields (steps, max_minutes, *_every, threads, workers, ...) may change."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Start afresh in a run folder that already holds a run (its files are removed)."),
    init_from: Optional[Path] = typer.Option(None, help="Warm-start the generator from a model file or checkpoint, e.g. a bundled one: src/inpaintkit/weights/general.safetensors (fine-tuning)."),
    limit: Optional[int] = typer.Option(None, help="Use only the first N training images."),
    threads: Optional[int] = typer.Option(None, help="torch threads per process (0 = default)."),
    set_: Optional[List[str]] = typer.Option(None, "--set", help="Override any config field: key=JSON value, e.g. --set 'loss={\"l1_hole\":1}'."),
    progress: bool = typer.Option(True, help="Show a progress bar."),
) -> None:
    """Train a generator (reconstruction losses, or --gan) with checkpoints, validation and exact --resume.

    Ctrl-C (or SIGTERM) saves a checkpoint and stops; --resume continues exactly.
    """
    import json

    from inpaintkit.checkpoint import CheckpointError
    from inpaintkit.train import TrainConfig, TrainingInterrupted, apply_resume_overrides, load_config_file, train

    given = {"model": model, "data": [str(d) for d in data] if data else None, "size": size, "steps": steps,
             "batch": batch, "lr": lr, "limit": limit, "threads": threads, "gan": True if gan else None,
             "init_from": str(init_from) if init_from else None}
    try:
        fields = load_config_file(config) if config else {}
        fields.update({k: v for k, v in given.items() if v is not None})
        for item in set_ or []:
            key, _, val = item.partition("=")
            try:
                fields[key] = json.loads(val)
            except ValueError:
                fields[key] = val
        if out.exists() and not out.is_dir():
            raise ValueError(f"--out '{out}' is a file; give a run folder")
        _check_output(out, "--out", folder=True)
        if resume:
            last = out / "checkpoint-last.safetensors"
            if not last.exists():
                raise CheckpointError(f"nothing to resume: {last} does not exist")
            from inpaintkit.checkpoint import load_state

            TrainConfig.from_dict(fields)  # unknown fields and bad values: the same one line as without --resume
            cfg, applied = apply_resume_overrides(TrainConfig.from_dict(load_state(last, modules={}, optimizers={})[1]), fields)
            for line in applied:
                typer.echo(f"resume: {line}", err=True)
        else:
            cfg = TrainConfig.from_dict(fields)
        metrics = train(cfg, out, resume=resume, progress=progress, overwrite=overwrite)
    except TrainingInterrupted as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(code=130)
    except (ValueError, KeyError, CheckpointError) as e:
        raise fail(_message(e))
    typer.echo(json.dumps(metrics))


# --- eval (evaluate.py) ---


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


@app.command("serve")
def serve_cmd(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (127.0.0.1: this machine only)."),
    port: int = typer.Option(8080, "--port", help="TCP port."),
    model: Optional[str] = typer.Option(None, "--model", help=f"The model: {MODEL_FORMS}. Default: the bundled default model."),
    backend: Optional[str] = typer.Option(None, "--backend", help=BACKEND_HELP),
    max_upload_mb: float = typer.Option(100.0, "--max-upload-mb", help="Largest request (image + mask) in MB."),
    max_pixels: int = typer.Option(25_000_000, "--max-pixels", help="Largest image in pixels (width x height)."),
    max_concurrency: int = typer.Option(1, "--max-concurrency", help="Fills that run at the same time."),
    body_timeout: float = typer.Option(60.0, "--body-timeout", help="Seconds a request's upload may take (408 after)."),
    allow_host: Optional[List[str]] = typer.Option(None, "--allow-host", help="Also answer this Host name (repeatable; '*' = any). Default: loopback names and --host."),
    max_buffered_mb: Optional[float] = typer.Option(None, "--max-buffered-mb", help="Request bodies in progress at once, all together, in MB (503 past it). Default: 1024 or twice --max-upload-mb."),
) -> None:
    """Serve the web page (paint a hole, Fill, compare, download) and its API at http://HOST:PORT/."""
    from pydantic import ValidationError

    from inpaintkit.server.schemas import ServerSettings

    try:
        settings = ServerSettings(host=host, port=port, model=model, max_upload_mb=max_upload_mb,
                                  max_pixels=max_pixels, max_concurrency=max_concurrency,
                                  body_timeout_s=body_timeout, allowed_hosts=allow_host or None,
                                  max_buffered_mb=max_buffered_mb)
    except ValidationError as e:
        err = e.errors()[0]
        where = str(err["loc"][0]) if err["loc"] else "max_buffered_mb"  # the model's own check has no field
        option = {"body_timeout_s": "body-timeout", "allowed_hosts": "allow-host"}.get(where)
        raise fail(f"--{option or where.replace('_', '-')}: {err['msg'].removeprefix('Value error, ')}")
    from inpaintkit.errors import InpaintkitError
    from inpaintkit.server.app import bind, create_app, run

    try:
        sock = bind(settings.host, settings.port)  # first, so a taken port fails before the model loads
    except OSError as e:
        raise fail(f"cannot listen on {host}:{port}: {e.strerror or e}")
    try:
        web = create_app(settings.model, backend=backend, max_upload_mb=settings.max_upload_mb, max_pixels=settings.max_pixels,
                         max_concurrency=settings.max_concurrency, body_timeout_s=settings.body_timeout_s,
                         allowed_hosts=settings.hosts, max_buffered_mb=settings.max_buffered_mb)
    except (InpaintkitError, OSError) as e:
        sock.close()
        raise fail(_message(e))
    if host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo(f"warning: listening on {host}: other machines can reach this server (no authentication)", err=True)
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"inpaintkit: {web.state.model_name} loaded; open http://{shown}:{sock.getsockname()[1]}/ (Ctrl+C stops)")
    run(web, sock)


# --- fill / export / bench (inference.py, export.py, bench.py) ---


def _fill_errors():
    """The errors a user can cause (:class:`~inpaintkit.errors.InpaintkitError`, the base of every package error)."""
    from inpaintkit.errors import InpaintkitError

    return InpaintkitError


@app.command("fill")
def fill_cmd(
    image: Path = typer.Argument(..., help="A photo (jpg, png 8/16-bit, webp, bmp, tif of any pixel type), a DICOM file (.dcm), or a folder of them."),
    mask: Path = typer.Option(..., "--mask", "-m", help="Mask file (hole = grey > 127, or the alpha channel when it has transparency), or a folder of masks matched by file stem (photo.jpg <- photo.png or photo_mask.png)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output file (format from its suffix), or output folder for the folder form."),
    model: Optional[str] = typer.Option(None, "--model", help=f"The model: {MODEL_FORMS}. Default: the bundled default model."),
    backend: Optional[str] = typer.Option(None, "--backend", help=BACKEND_HELP),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace outputs that already exist (default: refuse / skip them)."),
    working_size: int = typer.Option(512, "--working-size", help="Longest side the model is given; bigger photos are filled crop by crop around each hole."),
    threads: Optional[int] = typer.Option(None, "--threads", help="CPU threads for the model (default: all cores; 1 is much faster when other programs keep the CPU busy)."),
    window: Optional[str] = typer.Option(None, "--window", help="LO,HI: the values the model's black and white stand for, e.g. -1000,2000 (HU) for CT (default: 0..255 for 8-bit, else the known pixels' own range). DICOM: in its output units."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Fill the holes of a photo (or of every photo in a folder) given a mask; known pixels stay bit-identical.

    Exit code: 0 done (a rerun skips existing outputs), 1 some photos of a folder failed (listed; the rest written), 2 usage error.
    """
    import warnings

    from inpaintkit.batch import fill_folder
    from inpaintkit.errors import InpaintError, LossyOutputWarning
    from inpaintkit.images import output_format
    from inpaintkit.inference import fill_file
    from inpaintkit.model_spec import BACKENDS, check_threads, load_filler

    errors = _fill_errors()
    win = None
    if window is not None:
        from inpaintkit.pixels import PixelError, parse_window

        try:
            win = parse_window(window)
        except PixelError as e:
            raise fail(f"--{e}")
    if backend is not None and backend not in BACKENDS:
        raise fail(f"--backend must be torch, bf16 or onnx, got '{backend}'")
    if working_size < 8:
        raise fail("--working-size must be at least 8")
    if threads is not None:
        try:
            check_threads(threads)
        except InpaintError as e:
            raise fail(f"--{e}")
        from inpaintkit.optional import torch_available

        if torch_available():  # PyTorch's threads (onnxruntime's are given to load_filler below)
            import torch

            torch.set_num_threads(threads)
    try:
        if image.is_dir():
            if not mask.is_dir():
                raise fail(f"'{image}' is a folder, so --mask must be a folder of masks too")
            _check_output(out, "--out")
            filler = load_filler(model, backend, threads)
            report = fill_folder(image, mask, out, filler, overwrite=overwrite, working_size=working_size,
                                 progress=not quiet, window=win)
            typer.echo("\n".join(printable(line) for line in report.summary(out).splitlines()))
            _lossy_note([out / name for name in report.filled])
            if report.failed:
                raise typer.Exit(code=1)
            return
        if not image.exists():
            raise fail(f"image not found: {image}")
        if mask.is_dir():
            raise fail(f"--mask '{mask}' is a folder; give a mask file (or give a folder of images)")
        target = out / image.name if out.is_dir() else out
        from inpaintkit.dicom import is_dicom

        if is_dicom(image) != is_dicom(target):
            raise fail(f"a DICOM input is written as DICOM (.dcm) and a photo as a photo: '{image}' -> '{target}'")
        if not is_dicom(image):
            output_format(target)
        _check_output(target, "--out")
        for src in (image, mask):
            if target.exists() and target.resolve() == src.resolve():
                raise fail(f"refusing to overwrite the input '{src}'; choose another --out")
        if target.exists() and not overwrite:
            raise fail(f"'{target}' exists; add --overwrite to replace it")
        filler = load_filler(model, backend, threads)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", LossyOutputWarning)
            filled = fill_file(image, mask, target, filler, working_size=working_size, window=win)
        said = set()
        for w in caught:
            if issubclass(w.category, LossyOutputWarning):
                typer.echo(printable(f"warning: {w.message}"), err=True)
            elif "PIL" in Path(w.filename).parts and str(w.message) not in said:  # e.g. corrupt EXIF data
                said.add(str(w.message))  # once, though the file is opened more than once
                _one_line_warning(w.message, w.category, w.filename, w.lineno)
        if not filled:
            typer.echo(printable(f"warning: mask '{mask}' has no hole pixels; wrote the image unchanged"), err=True)
    except errors as e:
        raise fail(_message(e))
    except OSError as e:  # the file system refused (a full disk, no permission, ...)
        raise fail(_message(e))
    typer.echo(printable(f"wrote {target}"))
    _lossy_note([target])


def _lossy_note(outputs) -> None:
    """Say once that a lossy output format re-encodes the known pixels too."""
    from inpaintkit.images.write import LOSSY_FORMATS, output_format

    lossy = sorted({fmt for p in outputs if (fmt := _format_or_none(p, output_format)) in LOSSY_FORMATS})
    if lossy:
        typer.echo(f"note: {'/'.join(lossy)} re-encodes every pixel, so known pixels change slightly "
                   "(write PNG or TIFF for a lossless result)")


def _format_or_none(path, output_format):
    try:
        return output_format(path)
    except Exception:  # noqa: BLE001 - a DICOM or other non-photo output has no Pillow format
        return None


@app.command("export")
def export_cmd(
    out: Path = typer.Option(..., "--out", "-o", help="The .onnx file to write."),
    model: Optional[str] = typer.Option(None, "--model", help="Model name (see `inpaintkit models`) or .safetensors model file (default: the bundled default model). +flip is applied when filling: fill with --model FILE.onnx+flip."),
    opset: int = typer.Option(17, "--opset", help="ONNX opset (17 to 20: what PyTorch's exporter writes)."),
) -> None:
    """Export a network to ONNX (dynamic batch/height/width; raw forward(masked, mask)) and check it against PyTorch."""
    from inpaintkit.export import ExportError, check_opset, export_onnx

    try:
        check_opset(opset)  # before the model loads: an opset the exporter lacks would fail deep inside it
    except ExportError as e:
        raise fail(f"--{e}")
    if out.suffix.lower() != ".onnx":
        raise fail(f"--out must name a .onnx file, got '{out}'")
    if out.is_dir():
        raise fail(f"--out '{out}' is a folder; give a file name")
    _check_output(out, "--out")
    try:
        info = export_onnx(model, out, opset=opset)
    except _fill_errors() as e:
        raise fail(_message(e))
    size_mb = out.stat().st_size / 1e6
    typer.echo(printable(f"wrote {out}") + f" ({size_mb:.1f} MB, opset {opset}); onnxruntime vs PyTorch max |diff| = {info['max_abs_diff']:.1e}")


@app.command("bench")
def bench_cmd(
    markdown: Optional[Path] = typer.Option(None, "--markdown", help="Also write the report here (e.g. docs/performance.md)."),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Also write the raw results as JSON here."),
    model: Optional[str] = typer.Option(None, "--model", help="Network to time (default: the bundled default model)."),
    repeats: int = typer.Option(7, "--repeats", help="Timed runs per case and method (after one warm-up); the median is reported."),
    budget: float = typer.Option(15.0, "--budget", help="Stop repeating a case after this many seconds (at least one run)."),
    quick: bool = typer.Option(False, "--quick", help="Only the 128² and 256² cases (a smoke run)."),
    threads: Optional[int] = typer.Option(None, "--threads", help="torch / onnxruntime threads per case (default: all cores; 1 is steadier on a busy machine)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Latency (model in PyTorch and onnxruntime, Telea, NS, biharmonic), GFLOP/s vs the roofline, peak memory."""
    import json

    from inpaintkit.bench import format_markdown, run_bench
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


@app.command("fill-video")
def fill_video_cmd(
    input: Path = typer.Argument(..., help="A video (mp4, mov, mkv, webm, avi) or a folder of frames (name order)."),
    mask: Path = typer.Option(..., "--mask", "-m", help="One mask image for every frame (a watermark), a folder of per-frame masks (name order) or a mask video; hole = grey > 127."),
    out: Path = typer.Option(..., "--out", "-o", help="Output video (same frame rate; audio copied where the container allows) or folder of PNG frames."),
    model: Optional[str] = typer.Option(None, "--model", help=f"Image model for what is never seen: {MODEL_FORMS}. Default: the bundled default model."),
    window: int = typer.Option(8, "--window", help="Frames looked at on each side for the background behind the hole."),
    dilate: int = typer.Option(0, "--dilate", help="Grow the masks by this many pixels (object outlines miss shadows and motion blur)."),
    per_frame: bool = typer.Option(False, "--per-frame", help="No propagation: the image model on every frame (the baseline)."),
    fps: Optional[float] = typer.Option(None, "--fps", help="Frame rate of a folder input (default 25)."),
    codec: Optional[str] = typer.Option(None, "--codec", help="Video codec (default: libx264 for mp4/mov/mkv, libvpx-vp9 for webm, mpeg4 for avi)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output."),
    threads: Optional[int] = typer.Option(None, "--threads", help="CPU threads for the model (1 is faster on a busy machine)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Remove an object or a watermark from a clip: background seen in other frames is copied along the optical flow, the rest filled once by the image model and carried along."""
    from inpaintkit.video import VideoFillConfig, fill_video_file

    try:
        if threads is not None:
            if threads < 1:
                raise ValueError(f"--threads must be at least 1, got {threads}")
            import torch

            torch.set_num_threads(threads)
        if fps is not None and not fps > 0:
            raise ValueError(f"--fps must be > 0, got {fps}")
        config = VideoFillConfig(window=window, dilate=dilate, propagate=not per_frame)
        res = fill_video_file(input, mask, out, model, config=config, fps=fps, codec=codec, overwrite=overwrite,
                              progress=not quiet)
    except (_fill_errors(), ValueError, OSError) as e:
        raise fail(_message(e))
    audio = ", audio copied" if res["audio_copied"] else ""
    typer.echo(f"wrote {out} ({res['frames']} frames, {res['fps']:.1f} frames/s{audio})")



def main() -> None:
    """The ``inpaintkit`` command (console script and ``python -m inpaintkit``): :data:`app` with the process's
    thread wait policy set first. OpenMP threads (PyTorch's) that wait *passively* sleep instead of spinning
    between operators, so a core that another program keeps busy does not multiply a fill's latency (on a busy
    2-core machine: 128² fills ~6x faster, benchmarks/busy_machine.py). It must be in the environment before torch
    loads, so it is set here, at the entry point, never when the library is imported; a value already set wins.
    onnxruntime's threads are told the same by their session options (:func:`inpaintkit.onnx_backend.session_options`).
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        app()
    except ModuleNotFoundError as e:  # the torch-free install: train, export, demo, ... say what to install
        if (e.name or "").split(".")[0] not in TORCH_EXTRA:
            raise
        typer.echo(f"error: this command needs {e.name.split('.')[0]}, which is not installed: "
                   "pip install 'inpaintkit[torch]'", err=True)
        sys.exit(2)


TORCH_EXTRA = ("torch", "safetensors", "onnx", "skimage", "matplotlib")  # what pip install 'inpaintkit[torch]' adds


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
