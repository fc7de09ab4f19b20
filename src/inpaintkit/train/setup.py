"""Everything a run needs before its first step: the device, the run folder, the data and the networks.

``build`` returns a :class:`Run`: the config, the generator and its EMA copy, the optional discriminator,
their optimisers, the step reached and the best validation PSNR so far (all restored on ``--resume``).
"""
from __future__ import annotations

import copy
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.distributed as dist

from inpaintkit import checkpoint as ckpt
from inpaintkit.fileio import atomic_write_text
from inpaintkit.train.config import TrainConfig

__all__ = ["RUN_FILES", "Run", "build", "check_config", "load_data", "prepare_folder", "resolve_device"]

MAX_LOAD_SIZE = 4096  # px: a stored training image is load_size² x 3 bytes, held in memory

# what a run writes into its folder (``--overwrite`` removes exactly these)
RUN_FILES = ("config.json", "log.jsonl", "curves.png", "checkpoint-last.safetensors", "checkpoint-best.safetensors",
             "model-best.safetensors", "model-best.json", "model-last.safetensors", "model-last.json", "samples")


@dataclass
class Run:
    cfg: TrainConfig
    folder: Path
    device: torch.device
    modules: dict  # "g", "ema" (+ "d"): the networks a checkpoint holds
    optimizers: dict  # "opt_g" (+ "opt_d")
    step: int = 0
    best: float = -float("inf")
    rank: int = 0
    world: int = 1
    wrappers: dict = field(default_factory=dict)  # DDP-wrapped "g" / "d" (the modules themselves without DDP)

    @property
    def main(self) -> bool:
        return self.rank == 0

    def save(self, path: Path) -> None:
        ckpt.save_state(path, config=self.cfg.to_dict(), step=self.step, modules=self.modules,
                        optimizers=self.optimizers, extra={"best_psnr": self.best})


def wants_cuda(device: str) -> bool:
    return device == "cuda" or (device == "auto" and torch.cuda.is_available())


def resolve_device(device: str, local_rank: int = 0) -> torch.device:
    if not wants_cuda(device):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise RuntimeError("config device is 'cuda' but torch sees no CUDA GPU (use 'cpu' or 'auto')")
    torch.cuda.set_device(local_rank)
    torch.backends.cudnn.benchmark = True  # fixed training size: let cuDNN pick the fastest kernels
    return torch.device("cuda", local_rank)


def check_config(cfg: TrainConfig) -> None:
    """One ``ValueError`` line for a config that cannot train, before anything is loaded or written."""
    from inpaintkit.models.registry import create_model, model_kind

    if not cfg.data:
        raise ValueError("--data is required")
    for d in cfg.data:
        if not Path(d).is_dir():
            raise ValueError(f"data folder not found: {d}")
    if model_kind(cfg.model) != "network":
        raise ValueError(f"model {cfg.model!r} is {model_kind(cfg.model)}, not a trainable network; "
                         f"trainable: {', '.join(_trainable())}")
    from inpaintkit.models.configs import check_config as check_model_config

    check_model_config(cfg.model, cfg.model_kwargs)  # sane bounds before anything is built
    try:
        net = create_model(cfg.model, **cfg.model_kwargs)  # a bad config fails here, before any data is read
    except TypeError as e:
        raise ValueError(f"model_kwargs {cfg.model_kwargs} do not fit model '{cfg.model}' ({e})") from None
    if cfg.size < 16 or cfg.size % net.multiple:
        raise ValueError(f"size must be at least 16 and a multiple of {net.multiple} for {cfg.model}, got {cfg.size}")
    if cfg.load_size > MAX_LOAD_SIZE:
        raise ValueError(f"load_size must be at most {MAX_LOAD_SIZE}, got {cfg.load_size}")
    if cfg.cache_dir and Path(cfg.cache_dir).exists() and not Path(cfg.cache_dir).is_dir():
        raise ValueError(f"cache_dir {cfg.cache_dir} is a file, not a folder")
    if cfg.device == "cuda" and not torch.cuda.is_available():
        raise ValueError("config device is 'cuda' but torch sees no CUDA GPU (use 'cpu' or 'auto')")
    if cfg.init_from and not Path(cfg.init_from).is_file():
        raise ValueError(f"init_from file not found: {cfg.init_from}")


def _trainable() -> list[str]:
    from inpaintkit.models.registry import list_models

    return list_models("network")


def prepare_folder(run: Path, resume: bool, overwrite: bool) -> None:
    """Refuse to start a new run over an old one unless ``overwrite`` (then its files are removed first)."""
    if run.exists() and not run.is_dir():
        raise ValueError(f"run folder {run} is a file")
    old = [name for name in RUN_FILES if (run / name).exists()]
    if resume or not old:
        return
    if not overwrite:
        raise ValueError(f"run folder {run} already holds a run ({', '.join(old[:3])}); "
                         "--resume to continue it or --overwrite to start afresh")
    for name in old:
        p = run / name
        shutil.rmtree(p) if p.is_dir() else p.unlink()


def load_data(cfg: TrainConfig, progress: bool):
    """(training dataset, val images [V,3,S,S], val masks [V,1,S,S], a line about the validation split)."""
    from inpaintkit.data import InpaintDataset, load_images
    from inpaintkit.images import mask_to_tensor, to_tensor
    from inpaintkit.masks import MaskGenerator
    from inpaintkit.train.data import list_training_images

    paths, val_paths, note = list_training_images(cfg)
    store = cfg.load_size if cfg.load_size > cfg.size else cfg.size  # decoded once, resized, kept as uint8
    cache = cfg.cache_dir or None
    train_imgs = load_images(paths, store, cache_dir=cache, progress=progress)
    ds = InpaintDataset(train_imgs, MaskGenerator(cfg.size, cfg.mask_preset, cfg.seed), augment=True,
                        seed=cfg.seed, crop=cfg.size if store > cfg.size else None, reframe=cfg.reframe,
                        reframe_p=cfg.reframe_p)
    val_imgs = load_images(val_paths, cfg.size, cache_dir=cache, progress=False)
    vmask_gen = MaskGenerator(cfg.size, cfg.mask_preset, cfg.seed + 1000)
    val_x = torch.stack([to_tensor(a) for a in val_imgs])
    val_m = torch.stack([mask_to_tensor(vmask_gen(i)) for i in range(len(val_imgs))])
    return ds, val_x, val_m, note


def param_groups(net: torch.nn.Module, lr_mult: dict[str, float]) -> list[dict]:
    """Adam parameter groups: one per ``lr_mult`` prefix that matches (``"lr_mult"`` key), then the rest (x 1).

    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1))
    >>> [(g["lr_mult"], len(g["params"])) for g in param_groups(net, {"1.": 10.0})]
    [(10.0, 2), (1.0, 2)]
    """
    groups: dict[str, list] = {prefix: [] for prefix in lr_mult}
    rest = []
    for name, param in net.named_parameters():
        prefix = next((k for k in lr_mult if name.startswith(k)), None)
        (rest if prefix is None else groups[prefix]).append(param)
    out = [{"params": ps, "lr_mult": float(lr_mult[k])} for k, ps in groups.items() if ps]
    unmatched = [k for k, ps in groups.items() if not ps]
    if unmatched:
        raise ValueError(f"lr_mult prefixes match no generator parameter: {unmatched}")
    return out + [{"params": rest, "lr_mult": 1.0}]


def build(cfg: TrainConfig, folder: Path, resume: bool) -> Run:
    """Device, networks and optimisers (restored from ``checkpoint-last`` on resume); writes ``config.json``."""
    from inpaintkit.models.discriminators import create_discriminator
    from inpaintkit.models.registry import create_model

    world = int(os.environ.get("WORLD_SIZE", "1"))  # set by torchrun
    rank = int(os.environ.get("RANK", "0"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if wants_cuda(cfg.device) else "gloo")
    device = resolve_device(cfg.device, int(os.environ.get("LOCAL_RANK", "0")))
    if cfg.batch % world:
        raise ValueError(f"batch {cfg.batch} is not divisible by the {world} processes")
    net = create_model(cfg.model, **cfg.model_kwargs)
    cfg.model_kwargs = dict(net.config)
    if cfg.init_from and not resume:
        ckpt.load_weights(net, ckpt.load_model(cfg.init_from).state_dict(), cfg.init_from, new_ok=True)
    ema = copy.deepcopy(net).eval().requires_grad_(False)
    modules = {"g": net, "ema": ema}
    optimizers = {"opt_g": torch.optim.Adam(param_groups(net, cfg.lr_mult), lr=cfg.lr, betas=cfg.betas)}
    if cfg.gan:
        modules["d"] = create_discriminator(cfg.disc, **cfg.disc_kwargs)
        optimizers["opt_d"] = torch.optim.Adam(modules["d"].parameters(), lr=cfg.d_lr, betas=(0.0, 0.99))
    run = Run(cfg, folder, device, modules, optimizers, rank=rank, world=world)
    if resume:
        run.step, _, extra = ckpt.load_state(folder / "checkpoint-last.safetensors", modules=modules,
                                             optimizers=optimizers)
        run.best = extra.get("best_psnr", run.best)
    fmt = torch.channels_last if cfg.channels_last else torch.preserve_format
    for m in modules.values():
        m.to(device, memory_format=fmt)
    for o in optimizers.values():  # a resumed optimiser state follows its parameters
        for state in o.state.values():
            for k, v in state.items():
                if isinstance(v, torch.Tensor) and k != "step":
                    state[k] = v.to(device)
    ddp = torch.nn.parallel.DistributedDataParallel
    run.wrappers = {k: ddp(m) if world > 1 else m for k, m in modules.items() if k in ("g", "d")}
    if run.main:
        (folder / "samples").mkdir(parents=True, exist_ok=True)
        atomic_write_text(folder / "config.json", json.dumps(cfg.to_dict(), indent=2) + "\n")
    return run
