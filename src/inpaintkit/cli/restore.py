"""``inpaintkit restore``: find the damage of old photos (scratches, cracks, creases, dust, spots, stains,
tears) and fill it. The work is in :mod:`inpaintkit.restore`."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from inpaintkit.cli.common import _check_output, _fill_errors, _message, app, fail, printable


@app.command("restore")
def restore_cmd(
    photo: Path = typer.Argument(..., help="An old photo or scan (jpg, png 8/16-bit, webp, bmp, tif), or a folder of them."),
    out: Path = typer.Option(..., "--out", "-o", help="Restored photo (format from its suffix), or a folder for the folder form."),
    mask_out: Optional[Path] = typer.Option(None, "--mask-out", help="Also write the damage mask (PNG, white = damaged; edit it and give it to `fill --mask`). A folder for the folder form (<stem>_mask.png)."),
    sensitivity: float = typer.Option(0.5, "--sensitivity", "-s", help="0..1: higher marks more as damage (0.5: the calibrated threshold)."),
    grow: int = typer.Option(2, "--grow", help="Grow the detected damage by this many pixels before filling (its soft rim)."),
    model: Optional[str] = typer.Option(None, "--model", help="Inpainting model for the fill (see `inpaintkit models`; default: the bundled default model). Specks of at most 400 px are filled by OpenCV's Telea."),
    detector: Optional[Path] = typer.Option(None, "--detector", help="Damage detector file (.safetensors; default: the bundled one)."),
    detect_size: int = typer.Option(1600, "--detect-size", help="Photos with a longer side are looked at reduced to this many pixels (0 = full resolution)."),
    working_size: int = typer.Option(512, "--working-size", help="Longest side the inpainting model is given (crop by crop above it)."),
    threads: Optional[int] = typer.Option(None, "--threads", help="CPU threads (default: all cores; 1 is faster on a busy machine)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace outputs that already exist."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Restore old photos: detect scratches, cracks, creases, dust, spots, stains and torn corners, then fill them.

    Exit code: 0 done, 1 some photos of a folder failed (listed), 2 usage error.
    """
    from inpaintkit.damage.detector import DetectorError
    from inpaintkit.restore import RestoreError, restore_file

    errors = (_fill_errors(), DetectorError, RestoreError, OSError)
    if not 0 <= sensitivity <= 1:
        raise fail(f"--sensitivity must be from 0 to 1, got {sensitivity}")
    if not 0 <= grow <= 64 or detect_size < 0 or working_size < 8:
        raise fail("--grow must be 0..64, --detect-size >= 0 and --working-size >= 8")
    if threads is not None:
        if threads < 1:
            raise fail(f"--threads must be at least 1, got {threads}")
        import torch

        torch.set_num_threads(threads)
    if not photo.exists():
        raise fail(f"photo not found: {photo}")
    kw = dict(model=model, detector=detector, sensitivity=sensitivity, grow=grow, working_size=working_size,
              detect_size=detect_size)
    try:
        if photo.is_dir():
            return _restore_folder(photo, out, mask_out, overwrite, quiet, kw)
        target = out / photo.name if out.is_dir() else out
        for path, option in ((target, "--out"), (mask_out, "--mask-out")):
            if path is None:
                continue
            _check_output(path, option)
            if path.exists() and path.resolve() == photo.resolve():
                raise fail(f"refusing to overwrite the input '{photo}'; choose another {option}")
            if path.exists() and not overwrite:
                raise fail(f"'{path}' exists; add --overwrite to replace it")
        fraction = restore_file(photo, target, mask_out, **kw)
    except errors as e:
        raise fail(_message(e))
    extra = f" and {mask_out}" if mask_out is not None else ""
    typer.echo(printable(f"wrote {target}{extra} ({100 * fraction:.2f}% of the pixels marked as damage and filled)"))


def _restore_folder(photo: Path, out: Path, mask_out: Optional[Path], overwrite: bool, quiet: bool, kw: dict) -> None:
    """The folder form of ``restore``: every photo of ``photo`` into the folder ``out``; exit 1 if some failed."""
    from inpaintkit.restore import restore_folder

    for path, option in ((out, "--out"), (mask_out, "--mask-out")):
        if path is not None and path.exists() and not path.is_dir():
            raise fail(f"'{photo}' is a folder, so {option} must be a folder too ('{path}' is a file)")
        if path is not None:
            _check_output(path, option, folder=True)
    done, skipped = restore_folder(photo, out, mask_out, overwrite=overwrite, progress=not quiet, **kw)
    typer.echo(printable(f"restored {len(done)} of {len(done) + len(skipped)} photos -> {out}"))
    for name, why in skipped:
        typer.echo(printable(f"  skipped {name}: {why}"))
    if any(not why.startswith("output exists") for _, why in skipped):
        raise typer.Exit(code=1)
