"""``inpaintkit train`` (:mod:`inpaintkit.train`)."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from inpaintkit.cli.common import BACKEND_HELP, MODEL_FORMS, _check_output, _fill_errors, _message, _one_line_warning, app, fail, printable  # noqa: F401


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
            from inpaintkit.checkpoint import state_config

            TrainConfig.from_dict(fields)  # unknown fields and bad values: the same one line as without --resume
            cfg, applied = apply_resume_overrides(TrainConfig.from_dict(state_config(last)), fields)
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
