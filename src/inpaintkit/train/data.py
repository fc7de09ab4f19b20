"""What the trainer feeds on: the image lists (train / held-out validation) and the order of the batches.

The batch order is a pure function of ``(seed, step)``, so a resumed run sees exactly the batches an
uninterrupted one would have seen.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

__all__ = ["Batches", "EpochItems", "list_training_images", "val_count"]


class EpochItems(torch.utils.data.Dataset):
    """Index by ``(epoch, i)`` so every DataLoader worker draws item i's randomness for the right epoch."""

    def __init__(self, ds):
        self.ds = ds

    def __len__(self):
        return len(self.ds)

    def __getitem__(self, key):
        epoch, i = key
        self.ds.set_epoch(epoch)
        return self.ds[i]


class Batches:
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


def val_count(n: int, wanted: int) -> int:
    """How many of an image folder's ``n`` images to hold out: ``wanted``, but at most a tenth (at least 1).

    Example:
        >>> val_count(5000, 200), val_count(50, 200), val_count(3, 200)
        (200, 5, 1)
    """
    if n < 2:
        raise ValueError(f"an image folder needs at least 2 images (one to train on, one to validate), found {n}")
    return max(1, min(wanted, n // 10))


def list_training_images(cfg) -> tuple[list[str], list[str], str]:
    """(training paths, validation paths, a line saying where the validation images came from)."""
    from inpaintkit.data import list_dataset

    paths = []
    for root in cfg.data:
        paths += list_dataset(root, cfg.split)
    if not cfg.val_data and not all((Path(r) / "list_eval_partition.txt").exists() for r in cfg.data):
        # image folders have no val split: hold out a fixed, seeded sample of the list
        k = val_count(len(paths), cfg.val_images)
        order = np.random.default_rng(cfg.seed + 7).permutation(len(paths))
        held = set(order[:k].tolist())
        val = [p for i, p in enumerate(paths) if i in held]
        paths = [p for i, p in enumerate(paths) if i not in held]
        note = f"validation: {k} of {len(paths) + k} images held out"
        if k < cfg.val_images:
            note += f" (val_images {cfg.val_images} is capped at a tenth of the folder)"
    else:
        val = list_dataset(cfg.val_data or cfg.data[0], cfg.val_split)[: cfg.val_images]
        note = f"validation: {len(val)} images of the {cfg.val_split} split"
    if cfg.limit:
        paths = paths[: cfg.limit]
    if not paths:
        raise ValueError(f"no training images in {', '.join(cfg.data)} (split {cfg.split!r})")
    return paths, val, note
