"""``inpaintkit fill`` (photos, folders, DICOM) and ``fill-video``."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from inpaintkit.cli.common import BACKEND_HELP, MODEL_FORMS, _check_output, _fill_errors, _message, _one_line_warning, app, fail, printable  # noqa: F401


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
    from inpaintkit.errors import InpaintError
    from inpaintkit.model_spec import BACKENDS, check_threads

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
    spec = (model, backend, threads)
    try:
        if image.is_dir():
            _fill_folder_cmd(image, mask, out, spec, overwrite, working_size, win, quiet)
            return
        target = _fill_one_cmd(image, mask, out, spec, overwrite, working_size, win)
    except _fill_errors() as e:
        raise fail(_message(e))
    except OSError as e:  # the file system refused (a full disk, no permission, ...)
        raise fail(_message(e))
    typer.echo(printable(f"wrote {target}"))
    _lossy_note([target])


def _fill_folder_cmd(image: Path, mask: Path, out: Path, spec: tuple, overwrite: bool, working_size: int, win,
                     quiet: bool) -> None:
    """The folder form of ``fill``: a summary, exit 1 when some photos failed."""
    from inpaintkit.batch import fill_folder
    from inpaintkit.model_spec import load_filler

    if not mask.is_dir():
        raise fail(f"'{image}' is a folder, so --mask must be a folder of masks too")
    _check_output(out, "--out")
    report = fill_folder(image, mask, out, load_filler(*spec), overwrite=overwrite, working_size=working_size,
                         progress=not quiet, window=win)
    typer.echo("\n".join(printable(line) for line in report.summary(out).splitlines()))
    _lossy_note([out / name for name in report.filled])
    if report.failed:
        raise typer.Exit(code=1)


def _fill_one_cmd(image: Path, mask: Path, out: Path, spec: tuple, overwrite: bool, working_size: int, win) -> Path:
    """One photo (or DICOM file): checks before the work, the fill, its warnings; returns the file written."""
    import warnings

    from inpaintkit.dicom import is_dicom
    from inpaintkit.errors import LossyOutputWarning
    from inpaintkit.images import output_format
    from inpaintkit.inference import fill_file
    from inpaintkit.model_spec import load_filler

    if not image.exists():
        raise fail(f"image not found: {image}")
    if mask.is_dir():
        raise fail(f"--mask '{mask}' is a folder; give a mask file (or give a folder of images)")
    target = out / image.name if out.is_dir() else out
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
    filler = load_filler(*spec)
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
    return target


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



@app.command("fill-video")
def fill_video_cmd(
    input: Path = typer.Argument(..., help="A video (mp4, mov, mkv, webm, avi) or a folder of frames (name order)."),
    mask: Path = typer.Option(..., "--mask", "-m", help="One mask image for every frame (a watermark), a folder of per-frame masks (name order) or a mask video; hole = grey > 127."),
    out: Path = typer.Option(..., "--out", "-o", help="Output video (same frame rate; audio copied where the container allows) or folder of PNG frames."),
    model: Optional[str] = typer.Option(None, "--model", help=f"Image model for what is never seen: {MODEL_FORMS}. Default: general (the photo default paints a new texture on each keyframe)."),
    backend: Optional[str] = typer.Option(None, "--backend", help=BACKEND_HELP + " Default for the default model: bf16 on CPUs that run it natively (AVX512-BF16, AMX), else torch."),
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
        res = fill_video_file(input, mask, out, model, backend=backend, config=config, fps=fps, codec=codec, overwrite=overwrite,
                              progress=not quiet)
    except (_fill_errors(), ValueError, OSError) as e:
        raise fail(_message(e))
    audio = ", audio copied" if res["audio_copied"] else ""
    typer.echo(f"wrote {out} ({res['frames']} frames, {res['fps']:.1f} frames/s{audio})")
