"""The training loop: a dataclass config, a short explicit loop, exact resume, optional GAN and DDP.

``inpaintkit train --model fillnet --data ../shared/data/celeba --size 128 --steps 20000 --batch 16 --out runs/faces``

One step (generator ``G``, optional discriminator ``D``)::

    image [B,3,H,W], mask [B,1,H,W]          from InpaintDataset (deterministic per (seed, epoch, index))
    pred  = G(image * (1 - mask), mask)      [B,3,H,W]
    loss  = reconstruction_loss(pred, image, mask, cfg.loss)           (+ adversarial terms with --gan)
    ema   = decay * ema + (1 - decay) * G

Run folder: ``config.json``, ``log.jsonl``, ``curves.png``, ``samples/step-*.png``,
``checkpoint-last.safetensors`` (everything to continue exactly), ``checkpoint-best.safetensors`` and
``model-best.safetensors`` (+ ``.json``; the EMA generator with the best validation PSNR, ready to ship) and
``model-last.safetensors`` (the EMA generator at the latest validation: the one to ship from a GAN run, where
PSNR falls as the fills get sharper).
Under ``torchrun`` (``WORLD_SIZE`` > 1) the same command trains with DDP (gloo on the CPU, NCCL with
``"device": "cuda"``, one GPU per rank); each rank takes its slice of every global batch and only rank 0 writes.
``max_minutes`` ends a run early (validated and checkpointed) after that much wall time.
"""
from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from tqdm import tqdm

from inpaintkit import checkpoint as ckpt
from inpaintkit.fileio import atomic_path, atomic_write_text
from inpaintkit.losses import (
    GAN_TERMS,
    RECON_TERMS,
    d_loss,
    feature_matching_loss,
    g_adv_loss,
    reconstruction_loss,
)


@dataclass
class TrainConfig:
    model: str = "fillnet"
    model_kwargs: dict = field(default_factory=dict)
    data: list = field(default_factory=list)  # one or more dataset folders (CelebA layout or image folders)
    split: str = "train"
    val_data: str = ""  # default: the CelebA val split, or the last `val_images` of an image folder's list
    val_split: str = "val"
    size: int = 128  # training crop size
    load_size: int = 0  # > size: store images at this size and train on random `size` crops
    limit: int = 0  # use only the first N training images (0 = all)
    steps: int = 1000
    batch: int = 16  # global batch (split across DDP ranks)
    lr: float = 1e-3
    betas: tuple = (0.9, 0.99)
    warmup: int = 200
    lr_schedule: str = "constant"  # constant | cosine (after warmup)
    loss: dict = field(default_factory=lambda: {"l1_hole": 1.0})  # reconstruction (+ "adv", "fm" with gan)
    gan: bool = False
    disc: str = "sn-patchgan"
    disc_kwargs: dict = field(default_factory=dict)  # e.g. {"width": 32}: a lighter discriminator
    d_lr: float = 4e-4
    gan_loss: str = "hinge"  # hinge | nsgan
    ema_decay: float = 0.999
    mask_preset: str = "mixed"
    reframe: bool = False  # random scale / rotation / shift and colour jitter per sample (inpaintkit.augment)
    seed: int = 0
    val_every: int = 500
    val_images: int = 200
    sample_every: int = 500
    ckpt_every: int = 100
    log_every: int = 20
    threads: int = 0  # 0 = torch's default
    workers: int = 1  # DataLoader worker processes
    channels_last: bool = True
    amp: bool = True  # bf16 autocast for the forward pass (about 1.8x faster on CPUs with AVX512-BF16)
    init_from: str = ""  # warm-start the generator (and EMA) from a model file or checkpoint
    cache_dir: str = ""  # where decoded, resized images are cached as .npy ("" = no cache)
    device: str = "cpu"  # cpu | cuda | auto (cuda when available); the data pipeline always runs on the CPU
    max_minutes: float = 0  # > 0: stop after this much wall time (validated and checkpointed), 0 = no limit
    rank_checkpoints: bool = False  # DDP check: every rank r > 0 also writes checkpoint-last.rank{r}.safetensors at the end

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        if not isinstance(d, dict):
            raise ValueError(f"a config must be a JSON object of fields, got {type(d).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"unknown config fields {unknown}; valid: {', '.join(sorted(names))}")
        d = dict(d)
        if isinstance(d.get("data"), str):
            d["data"] = [d["data"]]
        for f in dataclasses.fields(cls):
            if f.name in d:
                _check_field_type(f, d[f.name])
        if "betas" in d:
            d["betas"] = tuple(d["betas"])
        cfg = cls(**d)
        bad_terms = sorted(set(cfg.loss) - set(RECON_TERMS) - set(GAN_TERMS))
        if bad_terms:  # checked here, before a run folder exists, not at the first step
            raise ValueError(f"unknown loss terms {bad_terms}; valid: {', '.join(RECON_TERMS + GAN_TERMS)}")
        if not all(_is_number(w) for w in cfg.loss.values()):
            raise ValueError(f"config field loss must map term names to numbers, got {cfg.loss!r}")
        for name in ("size", "batch", "val_every", "ckpt_every", "log_every", "sample_every"):
            if not isinstance(getattr(cfg, name), int) or getattr(cfg, name) < 1:
                raise ValueError(f"config field {name} must be a positive integer, got {getattr(cfg, name)!r}")
        if cfg.device not in ("cpu", "cuda", "auto"):
            raise ValueError(f"config field device must be cpu, cuda or auto, got {cfg.device!r}")
        if not isinstance(cfg.steps, int) or cfg.steps < 0 or cfg.lr <= 0:
            raise ValueError(f"steps must be >= 0 and lr > 0, got steps={cfg.steps!r} lr={cfg.lr!r}")
        return cfg

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["betas"] = list(self.betas)
        return d


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _check_field_type(f: dataclasses.Field, value) -> None:
    """One ValueError line when a config value has the wrong JSON type for its field (judged by the default)."""
    default = f.default_factory() if f.default is dataclasses.MISSING else f.default
    if isinstance(default, bool):
        ok, want = isinstance(value, bool) or (_is_number(value) and value in (0, 1)), "true or false"
    elif isinstance(default, (int, float)):
        ok, want = _is_number(value), "a number"
    elif isinstance(default, str):
        ok, want = value is None or isinstance(value, str), "a string"
    elif isinstance(default, dict):
        ok, want = isinstance(value, dict), "a JSON object"
    elif isinstance(default, list):
        ok, want = isinstance(value, list) and all(isinstance(x, str) for x in value), "a list of strings"
    elif isinstance(default, tuple):
        ok = isinstance(value, (list, tuple)) and len(value) == len(default) and all(_is_number(x) for x in value)
        want = f"a list of {len(default)} numbers"
    else:
        ok, want = True, ""
    if not ok:
        raise ValueError(f"config field {f.name} must be {want}, got {value!r}"[:200])


# --- data ----------------------------------------------------------------------------------------


class _EpochItems(torch.utils.data.Dataset):
    """Index by ``(epoch, i)`` so every DataLoader worker draws item i's randomness for the right epoch."""

    def __init__(self, ds):
        self.ds = ds

    def __len__(self):
        return len(self.ds)

    def __getitem__(self, key):
        epoch, i = key
        self.ds.set_epoch(epoch)
        return self.ds[i]


class _Batches:
    """The global batches from ``start`` on: batch ``s`` is slice ``s % nb`` of epoch ``s // nb``'s permutation."""

    def __init__(self, n: int, batch: int, seed: int, start: int, stop: int, rank: int = 0, world: int = 1):
        self.n, self.batch, self.seed, self.start, self.stop, self.rank, self.world = n, batch, seed, start, stop, rank, world
        self.nb = max(n // batch, 1)

    def __len__(self):
        return self.stop - self.start

    def __iter__(self):
        for s in range(self.start, self.stop):
            epoch, pos = divmod(s, self.nb)
            perm = np.random.default_rng([self.seed, epoch]).permutation(self.n)
            idx = perm[pos * self.batch:(pos + 1) * self.batch]
            if len(idx) < self.batch:  # fewer images than one batch: wrap around
                idx = np.resize(perm, self.batch)
            yield [(epoch, int(i)) for i in idx[self.rank::self.world]]


def _list_training_images(cfg: TrainConfig):
    from inpaintkit.data import list_dataset

    paths = []
    for root in cfg.data:
        paths += list_dataset(root, cfg.split)
    if not cfg.val_data and not all((Path(r) / "list_eval_partition.txt").exists() for r in cfg.data):
        # image folders have no val split: hold out a fixed, seeded sample of the list
        order = np.random.default_rng(cfg.seed + 7).permutation(len(paths))
        held = set(order[: cfg.val_images].tolist())
        val = [p for i, p in enumerate(paths) if i in held]
        paths = [p for i, p in enumerate(paths) if i not in held]
    else:
        val = list_dataset(cfg.val_data or cfg.data[0], cfg.val_split)[: cfg.val_images]
    if cfg.limit:
        paths = paths[: cfg.limit]
    return paths, val


# --- helpers -------------------------------------------------------------------------------------


def _wants_cuda(device: str) -> bool:
    return device == "cuda" or (device == "auto" and torch.cuda.is_available())


def _resolve_device(device: str, local_rank: int = 0) -> torch.device:
    if not _wants_cuda(device):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise RuntimeError("config device is 'cuda' but torch sees no CUDA GPU (use 'cpu' or 'auto')")
    torch.cuda.set_device(local_rank)
    torch.backends.cudnn.benchmark = True  # fixed training size: let cuDNN pick the fastest kernels
    return torch.device("cuda", local_rank)


def _lr_at(cfg: TrainConfig, step: int, base: float) -> float:
    if step < cfg.warmup:
        return base * (step + 1) / cfg.warmup
    if cfg.lr_schedule == "cosine":
        t = (step - cfg.warmup) / max(cfg.steps - cfg.warmup, 1)
        return base * 0.5 * (1 + math.cos(math.pi * min(t, 1.0)))
    return base


def _out_of_time(cfg: TrainConfig, step: int, t0: float, world: int, device: torch.device) -> bool:
    """True once ``max_minutes`` have passed; checked every ``log_every`` steps and agreed by all DDP ranks."""
    if cfg.max_minutes <= 0 or step % cfg.log_every:
        return False
    late = time.perf_counter() - t0 > 60 * cfg.max_minutes
    if world > 1:  # every rank must leave the loop at the same step
        flag = torch.tensor([float(late)], device=device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        late = bool(flag.item())
    return late


@torch.no_grad()
def _ema_update(ema: torch.nn.Module, net: torch.nn.Module, decay: float) -> None:
    for e, p in zip(ema.parameters(), net.parameters()):
        e.lerp_(p.detach(), 1.0 - decay)


@torch.no_grad()
def validate(net, images: torch.Tensor, masks: torch.Tensor, batch: int = 50) -> dict:
    """PSNR / SSIM / hole-L1 (protocol metrics on uint8) of ``net.fill`` on fixed (image, mask) pairs."""
    from inpaintkit.metrics import l1, psnr, ssim

    dev = next(net.parameters()).device
    outs = []
    for i in range(0, len(images), batch):
        outs.append(net.fill(images[i:i + batch].to(dev), masks[i:i + batch].to(dev)).cpu())
    out = torch.cat(outs)
    to8 = lambda t: (t.permute(0, 2, 3, 1).numpy() * 255).round().clip(0, 255).astype(np.uint8)  # noqa: E731
    o8, t8, m8 = to8(out), to8(images), masks[:, 0].numpy() > 0.5
    ps = [psnr(a, b) for a, b in zip(o8, t8)]
    ps = [p for p in ps if math.isfinite(p)]
    return {
        "val_psnr": float(np.mean(ps)) if ps else float("inf"),
        "val_ssim": float(np.mean([ssim(a, b) for a, b in zip(o8, t8)])),
        "val_l1_hole": float(np.mean([l1(a, b, m) for a, b, m in zip(o8, t8, m8) if m.any()])),
    }, out


def _write_grid(path: Path, images, masks, outs, n: int = 6) -> None:
    """input (hole shown white) / output / truth, one row per pair."""
    from inpaintkit.images import save_image

    rows = []
    for img, m, o in list(zip(images, masks, outs))[:n]:
        shown = img * (1 - m) + m
        rows.append(torch.cat([shown, o, img], 2))
    grid = torch.cat(rows, 1).clamp(0, 1)
    save_image(path, (grid.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))


def _plot_curves(run: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines() if line.strip()]
    train = [r for r in rows if "loss" in r]
    val = [r for r in rows if "val_psnr" in r]
    fig, ax = plt.subplots(1, 3, figsize=(14, 4))
    if train:
        keys = sorted({k for r in train for k in r if k.startswith("loss")})
        for k in keys:
            ax[0].plot([r["step"] for r in train if k in r], [r[k] for r in train if k in r], label=k, lw=0.8)
        ax[0].set_yscale("log")
        ax[0].legend(fontsize=7)
        ax[0].set_title("training losses")
    if val:
        ax[1].plot([r["step"] for r in val], [r["val_psnr"] for r in val], "o-")
        ax[1].set_title("val PSNR (dB)")
        ax[2].plot([r["step"] for r in val], [r["val_ssim"] for r in val], "o-", label="SSIM")
        ax[2].set_title("val SSIM")
    for a in ax:
        a.set_xlabel("step")
        a.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_path(run / "curves.png") as tmp:
        fig.savefig(tmp, dpi=80, format="png")
    plt.close(fig)


# --- the loop ------------------------------------------------------------------------------------


def train(cfg: TrainConfig, out: str | os.PathLike, resume: bool = False, progress: bool = True) -> dict:
    """Train (or continue) a run in ``out``; returns the last validation metrics."""
    from inpaintkit.data import InpaintDataset, load_images
    from inpaintkit.images import mask_to_tensor, to_tensor
    from inpaintkit.masks import MaskGenerator
    from inpaintkit.models.discriminators import create_discriminator
    from inpaintkit.models.registry import create_model

    run = Path(out)
    world = int(os.environ.get("WORLD_SIZE", "1"))  # set by torchrun
    rank = int(os.environ.get("RANK", "0"))
    main = rank == 0
    last = run / "checkpoint-last.safetensors"
    if resume:
        if not last.exists():
            raise ckpt.CheckpointError(f"nothing to resume: {last} does not exist")
        _, saved, _ = ckpt.load_state(last, modules={}, optimizers={})
        steps = cfg.steps
        cfg = TrainConfig.from_dict(saved)
        cfg.steps = steps or cfg.steps  # --steps may extend a resumed run
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if _wants_cuda(cfg.device) else "gloo")
    device = _resolve_device(cfg.device, int(os.environ.get("LOCAL_RANK", "0")))
    if cfg.batch % world:
        raise ValueError(f"batch {cfg.batch} is not divisible by the {world} processes")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)

    # data: decoded once, resized, kept in memory as uint8
    paths, val_paths = _list_training_images(cfg)
    store = cfg.load_size if cfg.load_size > cfg.size else cfg.size
    cache = cfg.cache_dir or None
    train_imgs = load_images(paths, store, cache_dir=cache, progress=progress and main)
    ds = InpaintDataset(train_imgs, MaskGenerator(cfg.size, cfg.mask_preset, cfg.seed), augment=True,
                        seed=cfg.seed, crop=cfg.size if store > cfg.size else None, reframe=cfg.reframe)
    val_imgs = load_images(val_paths, cfg.size, cache_dir=cache, progress=False)
    vmask_gen = MaskGenerator(cfg.size, cfg.mask_preset, cfg.seed + 1000)
    val_x = torch.stack([to_tensor(a) for a in val_imgs])  # [V,3,S,S]
    val_m = torch.stack([mask_to_tensor(vmask_gen(i)) for i in range(len(val_imgs))])  # [V,1,S,S]

    # models and optimisers
    net = create_model(cfg.model, **cfg.model_kwargs)
    cfg.model_kwargs = dict(net.config)
    if cfg.init_from and not resume:
        src = ckpt.load_model(cfg.init_from)
        ckpt.load_weights(net, src.state_dict(), cfg.init_from)
    ema = copy.deepcopy(net).eval().requires_grad_(False)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, betas=cfg.betas)
    modules, optimizers = {"g": net, "ema": ema}, {"opt_g": opt}
    disc = opt_d = None
    if cfg.gan:
        disc = create_discriminator(cfg.disc, **cfg.disc_kwargs)
        opt_d = torch.optim.Adam(disc.parameters(), lr=cfg.d_lr, betas=(0.0, 0.99))
        modules["d"], optimizers["opt_d"] = disc, opt_d
    step, best = 0, -float("inf")
    if resume:
        step, _, extra = ckpt.load_state(last, modules=modules, optimizers=optimizers)
        best = extra.get("best_psnr", best)
    for m in modules.values():
        m.to(device, memory_format=torch.channels_last if cfg.channels_last else torch.preserve_format)
    for o in optimizers.values():  # a resumed optimiser state follows its parameters
        for state in o.state.values():
            for k, v in state.items():
                if isinstance(v, torch.Tensor) and k != "step":
                    state[k] = v.to(device)
    if main:
        run.mkdir(parents=True, exist_ok=True)
        (run / "samples").mkdir(exist_ok=True)
        atomic_write_text(run / "config.json", json.dumps(cfg.to_dict(), indent=2) + "\n")
    g_train = torch.nn.parallel.DistributedDataParallel(net) if world > 1 else net
    d_train = torch.nn.parallel.DistributedDataParallel(disc) if world > 1 and disc is not None else disc

    def save(path: Path) -> None:
        ckpt.save_state(path, config=cfg.to_dict(), step=step, modules=modules, optimizers=optimizers,
                        extra={"best_psnr": best})

    loader = torch.utils.data.DataLoader(
        _EpochItems(ds), batch_sampler=_Batches(len(ds), cfg.batch, cfg.seed, step, cfg.steps, rank, world),
        num_workers=cfg.workers, prefetch_factor=4 if cfg.workers else None, pin_memory=device.type == "cuda",
        generator=torch.Generator().manual_seed(cfg.seed))  # leaves the global RNG (saved in checkpoints) untouched
    bar = tqdm(total=cfg.steps, initial=step, disable=not (progress and main), desc="train", dynamic_ncols=True)
    log = open(run / "log.jsonl", "a") if main else None
    metrics: dict = {}
    t0, seen = time.perf_counter(), 0
    for image, mask in loader:
        image, mask = image.to(device, non_blocking=True), mask.to(device, non_blocking=True)
        if cfg.channels_last:
            image = image.contiguous(memory_format=torch.channels_last)
            mask = mask.contiguous(memory_format=torch.channels_last)
        for group in opt.param_groups:
            group["lr"] = _lr_at(cfg, step, cfg.lr)
        masked = image * (1 - mask)
        with torch.autocast(image.device.type, dtype=torch.bfloat16, enabled=cfg.amp):
            pred = g_train(masked, mask).float()  # [b,3,H,W]
        loss, terms = reconstruction_loss(pred, image, mask, {k: v for k, v in cfg.loss.items() if k not in ("adv", "fm")})
        if cfg.gan:
            filled = mask * pred + (1 - mask) * image
            # discriminator step on real vs filled
            for group in opt_d.param_groups:
                group["lr"] = _lr_at(cfg, step, cfg.d_lr)
            # real and filled in one pass (fp32: under bf16 the non-saturating loss went NaN)
            logits, feats = d_train(torch.cat([image, filled.detach()]), torch.cat([mask, mask]))
            b = image.shape[0]
            real_logits, fake_logits = logits[:b], logits[b:]
            real_feats = [f[:b].detach() for f in feats]  # for feature matching (D before this step)
            ld = d_loss(real_logits, fake_logits, cfg.gan_loss)
            opt_d.zero_grad(set_to_none=True)
            ld.backward()
            opt_d.step()
            # generator's adversarial + feature-matching terms (D frozen)
            disc.requires_grad_(False)
            fake_logits, fake_feats = d_train(filled, mask)
            terms["adv"] = g_adv_loss(fake_logits, cfg.gan_loss)
            terms["fm"] = feature_matching_loss(real_feats, fake_feats)
            loss = loss + cfg.loss.get("adv", 0.01) * terms["adv"] + cfg.loss.get("fm", 1.0) * terms["fm"]
            terms["d"] = ld
            disc.requires_grad_(True)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        _ema_update(ema, net, min(cfg.ema_decay, (1 + step) / (10 + step)))
        step += 1
        seen += image.shape[0] * world
        out_of_time = _out_of_time(cfg, step, t0, world, device)
        if not main:
            if out_of_time:
                break
            continue
        bar.update(1)
        if step % cfg.log_every == 0 or step == cfg.steps:
            ips = seen / (time.perf_counter() - t0)
            rec = {"step": step, "loss": loss.item(), **{f"loss_{k}": v.item() for k, v in terms.items()},
                   "lr": opt.param_groups[0]["lr"], "img_per_s": round(ips, 1), "time": time.time()}
            log.write(json.dumps(rec) + "\n")
            log.flush()
            bar.set_postfix(loss=f"{loss.item():.4f}", ips=f"{ips:.1f}")
        if step % cfg.val_every == 0 or step == cfg.steps or out_of_time:
            metrics, outs = validate(ema, val_x, val_m)
            log.write(json.dumps({"step": step, **metrics}) + "\n")
            log.flush()
            _plot_curves(run)
            if metrics["val_psnr"] > best:
                best = metrics["val_psnr"]
                save(run / "checkpoint-best.safetensors")
                ckpt.save_model(ema, run / "model-best.safetensors", cfg.model, {"step": step, **metrics})
            ckpt.save_model(ema, run / "model-last.safetensors", cfg.model, {"step": step, **metrics})
            bar.write(f"step {step}: " + " ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
            if step % cfg.sample_every == 0 or step == cfg.steps or out_of_time:
                _write_grid(run / "samples" / f"step-{step:07d}.png", val_x, val_m, outs)
        if step % cfg.ckpt_every == 0 or step == cfg.steps or out_of_time:
            save(last)
        if out_of_time:
            bar.write(f"stopping at step {step}: max_minutes {cfg.max_minutes} reached")
            break
    bar.close()
    if log:
        log.close()
    if cfg.rank_checkpoints and not main:
        save(run / f"checkpoint-last.rank{rank}.safetensors")
    if world > 1:
        dist.barrier()
    return metrics
