"""Datasets: CelebA's real layout, any folder of images, loading with the protocol preprocessing, and the
training Dataset that pairs images with generated masks.

Typical use (the trainer builds the DataLoader itself)::

    paths = list_dataset("../shared/data/celeba", "train")       # sorted by file name
    images = load_images(paths, 128, workers=2)                  # uint8 [N,128,128,3], centre crop + area resize
    ds = InpaintDataset(images, MaskGenerator(128, "mixed", seed=0), augment=True, seed=0)
    ds.set_epoch(epoch)                                          # before each epoch's DataLoader iterator
    image, mask = ds[0]                                          # float [3,128,128] in [0,1], float [1,128,128]
"""
from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import numpy as np
from tqdm import tqdm

from inpaintkit.errors import InpaintkitError
from inpaintkit import augment
from inpaintkit.fileio import atomic_path
from inpaintkit.images import IMAGE_SUFFIXES, list_images, preprocess, read_image
from inpaintkit.masks import MaskGenerator
from inpaintkit.optional import torch_available

if torch_available():  # InpaintDataset (training) is a torch Dataset; listing and loading images need no torch
    import torch

    _Dataset = torch.utils.data.Dataset
else:  # the torch-free install: `eval` lists and loads images here
    _Dataset = object

SPLITS = {"train": 0, "val": 1, "test": 2}


class DatasetError(InpaintkitError, ValueError):
    """A dataset folder that cannot be used (missing, no images, bad partition file, unknown split)."""


def list_celeba(root, split: str) -> List[Path]:
    """CelebA's layout: ``root/img_align_celeba/*.jpg`` and ``root/list_eval_partition.txt`` (``<file> <0|1|2>``,
    0 = train, 1 = val, 2 = test). Returns the split's image paths sorted by file name.

    Files named in the partition file but absent from the folder are skipped (a subset of CelebA is fine); a
    split with no image at all is an error.
    """
    root = Path(root)
    if split not in SPLITS:
        raise DatasetError(f"unknown split {split!r}; choose from {', '.join(SPLITS)}")
    folder, part = root / "img_align_celeba", root / "list_eval_partition.txt"
    if not root.is_dir():
        raise DatasetError(f"dataset folder '{root}' does not exist")
    if not folder.is_dir():
        raise DatasetError(f"'{folder}' does not exist (CelebA layout: img_align_celeba/ + list_eval_partition.txt)")
    if not part.is_file():
        raise DatasetError(f"'{part}' does not exist (CelebA layout: img_align_celeba/ + list_eval_partition.txt)")
    want = str(SPLITS[split])
    names = []
    for n, line in enumerate(part.read_text().splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2 or fields[1] not in ("0", "1", "2"):
            raise DatasetError(f"'{part}' line {n}: expected '<file> <0|1|2>', got {line.strip()!r}")
        if fields[1] == want:
            names.append(fields[0])
    paths = [folder / name for name in sorted(names) if (folder / name).is_file()]
    if not paths:
        raise DatasetError(f"no images of split '{split}' in '{folder}'")
    return paths


def _image_folder(root: Path) -> List[Path]:
    """Every image file under ``root`` (recursive, :func:`inpaintkit.images.list_images`); DatasetError when none."""
    paths = list_images(root, recursive=True)
    if not paths:
        raise DatasetError(f"no images ({', '.join(IMAGE_SUFFIXES)}) under '{root}'")
    return paths


def list_dataset(root, split: Optional[str] = None) -> List[Path]:
    """CelebA layout when ``root/list_eval_partition.txt`` exists (``split`` defaults to "test"), otherwise a
    plain image folder: ``root/<split>`` when ``split`` is given and that subfolder exists (e.g.
    ``bsds500/val``), else all images under ``root`` (``split`` is then ignored). A plain folder is listed
    recursively (any suffix case, hidden files and folders skipped), sorted by path relative to it."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"dataset folder '{root}' does not exist")
    if (root / "list_eval_partition.txt").is_file():
        return list_celeba(root, split or "test")
    if split is not None and (root / split).is_dir():
        return _image_folder(root / split)
    return _image_folder(root)


def _load_one(args: Tuple[str, int]) -> np.ndarray:
    path, size = args
    return preprocess(read_image(path), size)


def _cache_file(cache_dir, paths: Sequence[Path], size: int) -> Path:
    """Cache key: sha1 over size and each file's resolved path, byte size and mtime (so edits invalidate it)."""
    h = hashlib.sha1(f"inpaintkit-images-v1 size={size}\n".encode())
    for p in paths:
        st = Path(p).stat()
        h.update(f"{Path(p).resolve()}\t{st.st_size}\t{st.st_mtime_ns}\n".encode())
    return Path(cache_dir) / f"images_{len(paths)}x{size}_{h.hexdigest()[:16]}.npy"


def load_images(paths: Sequence, size: int, workers: int = 2, cache_dir=None, progress: bool = True) -> np.ndarray:
    """Decode and :func:`~inpaintkit.images.preprocess` (centre square crop, area resize) every image.

    Returns uint8 [N,size,size,3] in the order of ``paths``. ``workers`` > 1 decodes in a thread pool.
    ``cache_dir``: optional folder for a ``.npy`` cache keyed by (paths, file sizes, mtimes, size); a second
    call with the same files loads in well under a second. Unreadable images raise ImageReadError.
    """
    paths = [Path(p) for p in paths]
    if not paths:
        raise DatasetError("no images to load")
    size = int(size)
    if size < 1:
        raise ValueError(f"size must be positive, got {size}")
    cache = None
    if cache_dir is not None:
        cache = _cache_file(cache_dir, paths, size)
        if cache.is_file():
            arr = np.load(cache, allow_pickle=False)
            if arr.shape == (len(paths), size, size, 3) and arr.dtype == np.uint8:
                return arr
    out = np.empty((len(paths), size, size, 3), np.uint8)
    jobs = [(str(p), size) for p in paths]
    bar = tqdm(total=len(jobs), desc=f"loading images at {size}", unit="img", disable=not progress)
    workers = max(1, min(int(workers), len(jobs) // 64 + 1))
    if workers == 1:
        for i, job in enumerate(jobs):
            out[i] = _load_one(job)
            bar.update()
    else:
        # Threads, not processes: decoding (Pillow) and resizing (OpenCV) release the GIL, and forking a
        # process that already runs threads (torch, onnxruntime, a server) can deadlock the children.
        with ThreadPoolExecutor(workers) as pool:
            for i, img in enumerate(pool.map(_load_one, jobs)):
                out[i] = img
                bar.update()
    bar.close()
    if cache is not None:
        with atomic_path(cache) as tmp, open(tmp, "wb") as f:
            np.save(f, out, allow_pickle=False)
    return out


class InpaintDataset(_Dataset):
    """Images paired with generated masks, for training.

    ``images``: uint8 [N,H,W,3] (from :func:`load_images`); kept as a torch tensor so DataLoader workers
    share it instead of copying. ``masks``: a :class:`MaskGenerator` of the output size. Item ``i`` of epoch
    ``e`` draws everything from ``np.random.default_rng([seed, e, i])``: the mask index, the horizontal flip
    (``augment``), with ``reframe`` a random scale / rotation / shift and colour jitter
    (:func:`inpaintkit.augment.reframe`) for a share ``reframe_p`` of the samples and, with ``crop`` < H/W, the top-left of a ``crop x crop`` window (random when ``augment``,
    centred otherwise). So a resumed run sees exactly the same samples: call ``set_epoch(e)`` before creating
    each epoch's DataLoader iterator (do not use ``persistent_workers``, which would keep the old epoch).

    ``ds[i]`` -> ``(image float [3,h,w] in [0,1], mask float [1,h,w] with 1 = hole)``.
    """

    def __init__(self, images: np.ndarray, masks: MaskGenerator, augment: bool = True, seed: int = 0,
                 crop: Optional[int] = None, reframe: bool = False, reframe_p: float = 1.0):
        if not 0.0 <= float(reframe_p) <= 1.0:
            raise ValueError(f"reframe_p must be in [0, 1], got {reframe_p}")
        if not isinstance(images, (np.ndarray, torch.Tensor)) or images.ndim != 4 or images.shape[3] != 3 \
                or images.dtype not in (np.uint8, torch.uint8):
            raise ValueError(f"images must be uint8 [N,H,W,3], got {getattr(images, 'dtype', type(images))} {tuple(getattr(images, 'shape', ()))}")
        if len(images) == 0:
            raise ValueError("images is empty")
        self.images = images if isinstance(images, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(images))
        _, h, w, _ = self.images.shape
        if crop is not None and not (1 <= int(crop) <= min(h, w)):
            raise ValueError(f"crop must be between 1 and {min(h, w)} (the stored image size), got {crop}")
        self.crop = None if crop is None else int(crop)
        out = (self.crop, self.crop) if self.crop else (h, w)
        if tuple(masks.size) != out:
            raise ValueError(f"mask generator size {tuple(masks.size)} does not match the sample size {out}")
        self.masks = masks
        self.augment = bool(augment)
        self.reframe = bool(reframe)
        self.reframe_p = float(reframe_p)  # the share of samples re-framed (the rest keep the source framing)
        self.seed = int(seed)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose randomness ``__getitem__`` uses."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def __getitem__(self, i: int):
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"index {i} out of range for {n} images")
        i = int(i) % n
        rng = np.random.default_rng([self.seed, self.epoch, i])
        mask_index = int(rng.integers(0, 2**62))
        flip = self.augment and rng.random() < 0.5
        img = self.images[i].numpy()  # uint8 [H,W,3], a view
        if self.crop is not None:
            h, w = img.shape[:2]
            if self.augment:
                top, left = int(rng.integers(0, h - self.crop + 1)), int(rng.integers(0, w - self.crop + 1))
            else:
                top, left = (h - self.crop) // 2, (w - self.crop) // 2
            img = img[top : top + self.crop, left : left + self.crop]
        if flip:
            img = img[:, ::-1]
        # drawn after the flip and crop, so runs without it see exactly the samples they did; the coin is tossed
        # only when reframe_p < 1, so runs with every sample re-framed are unchanged too
        if self.reframe and (self.reframe_p >= 1.0 or rng.random() < self.reframe_p):
            img = augment.reframe(np.ascontiguousarray(img), rng)
        # one numpy pass (crop, flip, HWC -> CHW, / 255): small torch ops are slow on a busy 2-core machine
        image = torch.from_numpy(np.divide(img.transpose(2, 0, 1), np.float32(255), dtype=np.float32, order="C"))  # [3,h,w]
        mask = torch.from_numpy(self.masks(mask_index)[None].astype(np.float32))  # [1,h,w], 1 = hole
        return image, mask
