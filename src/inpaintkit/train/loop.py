"""The training loop: setup, a short explicit loop over steps, validation, checkpoints, stopping cleanly.

``inpaintkit train --config configs/faces.json --out runs/faces``

Run folder: ``config.json``, ``log.jsonl``, ``curves.png``, ``samples/step-*.png``,
``checkpoint-last.safetensors`` (everything to continue exactly), ``checkpoint-best.safetensors`` and
``model-best.safetensors`` (+ ``.json``; the EMA generator with the best validation PSNR, ready to ship) and
``model-last.safetensors`` (the EMA generator at the latest validation: the one to ship from a GAN run, where
PSNR falls as the fills get sharper).
Under ``torchrun`` (``WORLD_SIZE`` > 1) the same command trains with DDP (gloo on the CPU, NCCL with
``"device": "cuda"``, one GPU per rank); each rank takes its slice of every global batch and only rank 0 writes.
A run stops early, validated and checkpointed, after ``max_minutes`` or on SIGINT / SIGTERM (Ctrl-C):
``--resume`` then continues exactly.
"""
from __future__ import annotations

import json
import os
import signal
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import torch
import torch.distributed as dist
from tqdm import tqdm

from inpaintkit import checkpoint as ckpt
from inpaintkit.train.config import TrainConfig, apply_resume_overrides
from inpaintkit.train.data import Batches, EpochItems
from inpaintkit.train.report import plot_curves, validate, write_grid
from inpaintkit.train.setup import Run, build, check_config, load_data, prepare_folder
from inpaintkit.train.step import train_step

__all__ = ["TrainingInterrupted", "train"]


class TrainingInterrupted(KeyboardInterrupt):
    """SIGINT / SIGTERM stopped the run after a checkpoint; ``--resume`` continues it exactly."""

    def __init__(self, step: int, signum: int):
        super().__init__(f"stopped by {signal.Signals(signum).name} at step {step}; "
                         "checkpoint saved: --resume continues exactly")
        self.step, self.signum = step, signum


@contextmanager
def _stop_on_signals():
    """Yield a dict whose ``"signum"`` is set by SIGINT / SIGTERM (then the loop saves and stops)."""
    flag: dict = {"signum": 0}
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return
    old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum, frame):
        if flag["signum"]:  # a second Ctrl-C: the user means it
            signal.signal(signum, old[signum])
            os.kill(os.getpid(), signum)
        flag["signum"] = signum

    for s in old:
        signal.signal(s, handler)
    try:
        yield flag
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _should_stop(run: Run, t0: float, flag: dict) -> bool:
    """True after ``max_minutes`` or a signal; checked every ``log_every`` steps, agreed by all DDP ranks."""
    if run.step % run.cfg.log_every and (run.world > 1 or not flag["signum"]):
        return False
    late = run.cfg.max_minutes > 0 and time.perf_counter() - t0 > 60 * run.cfg.max_minutes
    stop = bool(flag["signum"]) or late
    if run.world > 1:  # every rank must leave the loop at the same step
        t = torch.tensor([float(stop)], device=run.device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        stop = bool(t.item())
    return stop


def _resolve_config(cfg: TrainConfig | None, run: Path, resume: bool) -> TrainConfig:
    """The config to train with: ``cfg``, or on resume the saved one with ``cfg``'s operational changes."""
    if not resume:
        return cfg
    last = run / "checkpoint-last.safetensors"
    if not last.exists():
        raise ckpt.CheckpointError(f"nothing to resume: {last} does not exist")
    saved = TrainConfig.from_dict(ckpt.state_config(last))  # the header only: build() restores the tensors
    if cfg is None:
        return saved
    return apply_resume_overrides(saved, cfg.to_dict())[0]


def _log(run: Run, log, loss, terms: dict, ips: float) -> None:
    rec = {"step": run.step, "loss": loss.item(), **{f"loss_{k}": v.item() for k, v in terms.items()},
           "lr": run.optimizers["opt_g"].param_groups[-1]["lr"], "img_per_s": round(ips, 1), "time": time.time()}
    log.write(json.dumps(rec) + "\n")
    log.flush()


def _validate_and_save(run: Run, log, val_x, val_m, samples: bool) -> dict:
    """Validate the EMA generator; save model-last (and model-/checkpoint-best on a new best PSNR)."""
    ema, folder = run.modules["ema"], run.folder
    metrics, outs = validate(ema, val_x, val_m)
    log.write(json.dumps({"step": run.step, **metrics}) + "\n")
    log.flush()
    plot_curves(folder)
    if metrics["val_psnr"] > run.best:
        run.best = metrics["val_psnr"]
        run.save(folder / "checkpoint-best.safetensors")
        ckpt.save_model(ema, folder / "model-best.safetensors", run.cfg.model, {"step": run.step, **metrics})
    ckpt.save_model(ema, folder / "model-last.safetensors", run.cfg.model, {"step": run.step, **metrics})
    if samples:
        write_grid(folder / "samples" / f"step-{run.step:07d}.png", val_x, val_m, outs)
    return metrics


def train(cfg: TrainConfig | None, out: str | os.PathLike, resume: bool = False, progress: bool = True,
          overwrite: bool = False) -> dict:
    """Train (or continue) a run in ``out``; returns the last validation metrics.

    On ``resume`` the saved config is used; ``cfg`` (may be None) can change only its operational fields
    (``config.OPERATIONAL``). A folder that already holds a run is refused unless ``overwrite``.
    """
    folder = Path(out)
    cfg = _resolve_config(cfg, folder, resume)
    if not resume:
        check_config(cfg)
    prepare_folder(folder, resume, overwrite)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    ds, val_x, val_m, note = load_data(cfg, progress and int(os.environ.get("RANK", "0")) == 0)
    run = build(cfg, folder, resume)
    loader = torch.utils.data.DataLoader(
        EpochItems(ds), batch_sampler=Batches(len(ds), cfg.batch, cfg.seed, run.step, cfg.steps, run.rank, run.world),
        num_workers=cfg.workers, prefetch_factor=4 if cfg.workers else None, pin_memory=run.device.type == "cuda",
        generator=torch.Generator().manual_seed(cfg.seed))  # leaves the global RNG (saved in checkpoints) untouched
    bar = tqdm(total=cfg.steps, initial=run.step, disable=not (progress and run.main), desc="train", dynamic_ncols=True)
    if run.main:
        bar.write(note)
    log = open(folder / "log.jsonl", "a") if run.main else None
    metrics, t0, seen = {}, time.perf_counter(), 0
    with _stop_on_signals() as flag:
        for image, mask in loader:
            loss, terms = train_step(run, image.to(run.device, non_blocking=True), mask.to(run.device, non_blocking=True))
            seen += image.shape[0] * run.world
            stop, end, step = _should_stop(run, t0, flag), run.step == cfg.steps, run.step
            if not run.main:
                if stop:
                    break
                continue
            bar.update(1)
            if step % cfg.log_every == 0 or end:
                _log(run, log, loss, terms, seen / (time.perf_counter() - t0))
                bar.set_postfix(loss=f"{loss.item():.4f}")
            if step % cfg.val_every == 0 or end or stop:
                metrics = _validate_and_save(run, log, val_x, val_m, step % cfg.sample_every == 0 or end or stop)
                bar.write(f"step {step}: " + " ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
            if step % cfg.ckpt_every == 0 or end or stop:
                run.save(folder / "checkpoint-last.safetensors")
            if stop:
                bar.write(f"stopping at step {step}: " + ("signal" if flag["signum"] else f"max_minutes {cfg.max_minutes}"))
                break
    bar.close()
    if log:
        log.close()
    if cfg.rank_checkpoints and not run.main:
        run.save(folder / f"checkpoint-last.rank{run.rank}.safetensors")
    if run.world > 1:
        dist.barrier()
    if flag["signum"]:
        raise TrainingInterrupted(run.step, flag["signum"])
    return metrics
