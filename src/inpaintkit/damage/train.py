"""Train the damage detector on damage synthesised over clean photos (:mod:`inpaintkit.damage.synth`).

``python scripts/train_detector.py --out runs/damage --minutes 45`` (``--resume`` continues a run exactly).

One step::

    B clean crops (random photo, random scale, random crop, flip)       uint8 [B,S,S,3]
    synthesize(crop, rng(seed, step, i), scale ~ U(0.6, 1.6))           damaged, mask      (clean_p: no damage)
    logits = DamageNet(damaged)                                          [B,1,S,S]
    loss   = BCE(logits, mask) + soft Dice(sigmoid(logits), mask)

Every batch is a pure function of ``(seed, step)``, so ``--resume`` from ``checkpoint-last.safetensors``
continues bit for bit. Validation (fixed damaged crops of held-out photos) logs F1 at the best threshold;
``model-best.safetensors`` is the network with the best validation F1. :func:`calibrate` then picks the
threshold that maximises F1 on validation damage while flagging at most ``max_false`` of clean pixels.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from inpaintkit.damage.detector import DamageNet, DetectorConfig, load_detector, save_detector
from inpaintkit.damage.synth import synthesize
from inpaintkit.fileio import atomic_write_text

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


@dataclass
class DetectorTrainConfig:
    data: str = "../shared/data"  # the shared data folder (celeba/ and scenes/)
    widths: list = field(default_factory=lambda: [12, 24, 48, 64, 64])
    crop: int = 160
    batch: int = 12
    steps: int = 2000
    lr: float = 2e-3
    warmup: int = 50
    seed: int = 0
    clean_p: float = 0.12  # crops with no damage (negatives)
    scan_p: float = 0.8  # crops through the scan step (blur / noise / JPEG); the rest as clean as the photo
    face_p: float = 0.5  # share of CelebA faces among the training crops
    val_crops: int = 96
    val_every: int = 200
    ckpt_every: int = 100
    log_every: int = 20
    minutes: float = 45.0  # stop (checkpointed, validated) after this much wall time in this process
    threads: int = 1
    init_from: str = ""  # warm-start from a detector file (same widths), e.g. the bundled weights/damage.safetensors


def image_lists(data: str | Path) -> dict[str, list[Path]]:
    """Training / validation photo lists from the shared data: CelebA train/val splits, scenes.

    ``train_faces`` (CelebA split 0), ``train_scenes`` (ImageNet samples but the last 50 by name, BSDS500
    train), ``val`` (150 CelebA val faces + the 50 held-out ImageNet samples). BSDS500 val and CelebA test
    are the test sets and are not used here.
    """
    data = Path(data)
    celeba = data / "celeba"
    parts = {}
    for line in (celeba / "list_eval_partition.txt").read_text().split("\n"):
        if line.strip():
            name, split = line.split()
            parts.setdefault(int(split), []).append(celeba / "img_align_celeba" / name)
    scenes = sorted(p for p in (data / "scenes" / "imagenet_samples").iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    bsds = sorted(p for p in (data / "scenes" / "bsds500" / "train").iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    return {"train_faces": parts[0], "train_scenes": scenes[:-50] + bsds, "val": parts[1][:150] + scenes[-50:]}


def read_rgb(path: Path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f"cannot read image '{path}'")
    return np.ascontiguousarray(img[..., ::-1])


def random_crop(img: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Resize so the short side is ``size`` x U(1, 2.2) (area / cubic), then a random ``size``² crop, maybe flipped."""
    h, w = img.shape[:2]
    s = size * rng.uniform(1.0, 2.2) / min(h, w)
    nh, nw = max(size, int(round(h * s))), max(size, int(round(w * s)))
    img = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)
    y, x = int(rng.integers(0, nh - size + 1)), int(rng.integers(0, nw - size + 1))
    crop = img[y : y + size, x : x + size]
    return np.ascontiguousarray(crop[:, ::-1] if rng.random() < 0.5 else crop)


def make_batch(cfg: DetectorTrainConfig, lists: dict, step: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The batch of ``step`` (a pure function of (seed, step)): images [B,3,S,S] in [0,1], masks [B,1,S,S]."""
    xs, ms = [], []
    for i in range(cfg.batch):
        rng = np.random.default_rng([cfg.seed, step, i])
        pool = lists["train_faces"] if rng.random() < cfg.face_p else lists["train_scenes"]
        crop = random_crop(read_rgb(pool[int(rng.integers(len(pool)))]), cfg.crop, rng)
        damaged, mask, _ = synthesize(crop, rng, scale=rng.uniform(0.6, 1.6), clean_p=cfg.clean_p, scan_p=cfg.scan_p)
        xs.append(damaged)
        ms.append(mask)
    x = torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2).float().div_(255.0)
    m = torch.from_numpy(np.stack(ms)).unsqueeze(1).float()
    return x.contiguous(memory_format=torch.channels_last), m


def val_set(cfg: DetectorTrainConfig, lists: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """Fixed damaged validation crops (``val_crops``, one in eight undamaged)."""
    xs, ms = [], []
    for i in range(cfg.val_crops):
        rng = np.random.default_rng([cfg.seed + 1000, i])
        crop = random_crop(read_rgb(lists["val"][i % len(lists["val"])]), cfg.crop, rng)
        damaged, mask, _ = synthesize(crop, rng, scale=rng.uniform(0.6, 1.6), clean_p=0.125)
        xs.append(damaged)
        ms.append(mask)
    return (torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2).float().div_(255.0),
            torch.from_numpy(np.stack(ms)).unsqueeze(1))


def loss_fn(logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Pixel BCE + soft Dice over the batch (Dice keeps the rare damaged pixels from being ignored)."""
    bce = F.binary_cross_entropy_with_logits(logits, mask)
    p = torch.sigmoid(logits)
    dice = 1 - (2 * (p * mask).sum() + 1) / (p.sum() + mask.sum() + 1)
    return bce + dice


@torch.no_grad()
def predict(net: DamageNet, x: torch.Tensor, batch: int = 16) -> torch.Tensor:
    net.eval()
    out = torch.cat([torch.sigmoid(net(x[i : i + batch])) for i in range(0, len(x), batch)])
    return out


def f1_curve(prob: torch.Tensor, mask: torch.Tensor, thresholds=None) -> list[dict]:
    """Precision, recall, F1 and flagged fraction of all pixels at each threshold."""
    thresholds = np.round(np.arange(0.05, 0.96, 0.05), 2) if thresholds is None else thresholds
    m = mask.bool()
    out = []
    for t in thresholds:
        p = prob >= float(t)
        tp, fp, fn = int((p & m).sum()), int((p & ~m).sum()), int((~p & m).sum())
        prec, rec = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
        out.append({"threshold": float(t), "precision": prec, "recall": rec,
                    "f1": 2 * prec * rec / max(prec + rec, 1e-9), "flagged": float(p.float().mean())})
    return out


def lr_at(cfg: DetectorTrainConfig, step: int) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    t = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    return cfg.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(t, 1.0))))


def train(cfg: DetectorTrainConfig, out: Path, resume: bool = False, override: Optional[dict] = None) -> dict:
    """Run (or continue) a training run in ``out``; returns the last validation figures.

    With ``resume`` the run's own config is used, updated with ``override`` (e.g. more ``steps`` or ``minutes``)."""
    from inpaintkit.checkpoint import load_state, save_state

    torch.set_num_threads(cfg.threads)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    net = DamageNet(DetectorConfig(widths=tuple(cfg.widths))).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=1e-4)
    step, best = 0, -1.0
    last = out / "checkpoint-last.safetensors"
    if cfg.init_from and not resume:
        src, _ = load_detector(cfg.init_from)
        if tuple(src.config.widths) != tuple(cfg.widths):
            raise ValueError(f"init_from {cfg.init_from} has widths {list(src.config.widths)}, the run {list(cfg.widths)}")
        net.load_state_dict({k: v.float() for k, v in src.state_dict().items()})
    if resume:
        step, saved, extra = load_state(last, modules={"net": net}, optimizers={"opt": opt})
        cfg = DetectorTrainConfig(**{**saved, **(override or {})})
        best = float(extra.get("best_f1", -1.0))
    atomic_write_text(out / "config.json", json.dumps(asdict(cfg), indent=2) + "\n")
    lists = image_lists(cfg.data)
    vx, vm = val_set(cfg, lists)
    log = (out / "log.jsonl").open("a")
    t0, seen, res = time.time(), time.time(), {}

    def checkpoint() -> None:
        save_state(last, config=asdict(cfg), step=step, modules={"net": net}, optimizers={"opt": opt},
                   extra={"best_f1": best})

    while step < cfg.steps:
        net.train()
        x, m = make_batch(cfg, lists, step)
        for g in opt.param_groups:
            g["lr"] = lr_at(cfg, step)
        loss = loss_fn(net(x), m)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if step % cfg.log_every == 0:
            rec = {"step": step, "loss": round(float(loss.detach()), 4), "lr": round(lr_at(cfg, step), 6),
                   "s_per_step": round((time.time() - seen) / cfg.log_every, 3)}
            seen = time.time()
            log.write(json.dumps(rec) + "\n")
            log.flush()
        done = step >= cfg.steps or (time.time() - t0) / 60 > cfg.minutes
        if step % cfg.val_every == 0 or done:
            curve = f1_curve(predict(net, vx), vm)
            res = max(curve, key=lambda r: r["f1"])
            if res["f1"] > best:
                best = res["f1"]
                save_detector(net, out / "model-best.safetensors", {"step": step, "val": res}, dtype=None)
            log.write(json.dumps({"step": step, "val": res, "best_f1": best}) + "\n")
            log.flush()
        if step % cfg.ckpt_every == 0 or done:
            checkpoint()
        if done:
            break
    save_detector(net, out / "model-last.safetensors", {"step": step, "val": res}, dtype=None)
    log.close()
    return res


def calibrate(net: DamageNet, damaged: torch.Tensor, mask: torch.Tensor, clean: torch.Tensor,
              max_false: float = 0.005) -> dict:
    """The threshold with the best F1 on ``damaged`` among those flagging <= ``max_false`` of ``clean``'s pixels."""
    thresholds = np.round(np.arange(0.1, 0.951, 0.025), 3)
    curve = f1_curve(predict(net, damaged), mask, thresholds)
    pc = predict(net, clean)
    ok = [r for r in curve if float((pc >= r["threshold"]).float().mean()) <= max_false] or curve[-1:]
    best = max(ok, key=lambda r: r["f1"])
    return {**best, "clean_flagged": float((pc >= best["threshold"]).float().mean())}
