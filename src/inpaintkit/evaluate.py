"""The evaluation protocol of ``../shared/data/README.md``: per-band metrics of inpainting methods on fixed pairs.

1. The images (sorted by file name) are preprocessed once: centre square crop, ``cv2.INTER_AREA`` to ``size``.
2. The masks of each band (sorted by file name) are resized with ``cv2.INTER_NEAREST``, hole = value > 127.
   The i-th image is paired with mask ``i mod count`` of every band, so every method sees identical pairs.
3. Each method fills through the inference contract (``model.fill``: holes zeroed, output composited);
   the output is rounded to uint8.
4. MSE, PSNR, hole-PSNR, SSIM and L1 are computed per image on uint8 RGB and averaged per band;
   so are the realism metrics inside the hole: patch SWD (:mod:`~inpaintkit.metrics.swd`) and mean-colour
   CIEDE2000 (:mod:`~inpaintkit.metrics.color`); the sharpness ratio (:mod:`~inpaintkit.metrics.sharpness`)
   of a band is the band's mean hole gradient of the fills over that of the truths.
   ``mean`` is the plain mean of the band values. ``ms_per_image`` is the wall time of ``fill`` per image
   (learned models run in batches and the batch time is divided; classical methods run one image at a time).

Example (needs ``../shared/data``):

    >>> pairs = prepare_pairs("../shared/data/celeba", "test",
    ...                       "../shared/data/masks/nvidia_irregular_test", 128, limit=20)  # doctest: +SKIP
    >>> results = evaluate_pairs(["telea", "ns"], pairs)                                      # doctest: +SKIP
    >>> from inpaintkit.eval_report import format_table                                       # doctest: +SKIP
    >>> print(format_table(results))                                                          # doctest: +SKIP

A method is any model spec (:mod:`inpaintkit.model_spec`): a name, a model file (reported under its file stem),
an ``.onnx`` file, ``+flip`` / ``+bf16`` / ``+texture``, or ``LABEL=SPEC``. The tables, JSON and comparison
picture are in :mod:`inpaintkit.eval_report`.

The result has exactly the JSON shape
``{"<method>": {"bands": {"0-10": {"mse", "psnr", "hole_psnr", "ssim", "l1", "sharpness", "swd", "color_error",
"ms_per_image", "n"}, ...},
"mean": {...}}}``.
"""
from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Sequence

import numpy as np
from tqdm import tqdm

from inpaintkit import metrics
from inpaintkit.errors import InpaintkitError, ModelSpecError
from inpaintkit.images import mask_to_tensor, read_mask, to_array, to_tensor, to_uint8
from inpaintkit.metrics.sharpness import hole_gradient
from inpaintkit.model_spec import SPEC_FORMS, check_spec, kind_of, parse_spec
from inpaintkit.models.registry import UnknownModelError, list_models
from inpaintkit.optional import torch_available

METRICS = ("mse", "psnr", "hole_psnr", "ssim", "l1", "sharpness", "swd", "color_error", "med_mse", "med_psnr",
           "med_ssim", "ms_per_image")
MIN_SIZE, MAX_SIZE = 16, 1024


class EvalError(InpaintkitError, ValueError):
    """A bad evaluation argument (missing folder, no images, unknown method, ...); the message is one line."""


@dataclass
class Pairs:
    """The protocol's image-mask pairs, prepared once and shared by every method.

    ``hole(band, i)`` is mask ``i mod counts[band]`` of that band. Only the masks that are used are loaded.
    """

    images: np.ndarray  # uint8 [N,S,S,3], preprocessed, in file-name order
    names: list[str]  # image file names, same order
    masks: dict[str, np.ndarray]  # band -> bool [min(N, count), S, S], True = hole
    mask_names: dict[str, list[str]]  # band -> all mask file names of the band, sorted
    size: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # band -> number of masks in the band

    @property
    def bands(self) -> list[str]:
        return list(self.masks)

    def __len__(self) -> int:
        return len(self.images)

    def hole(self, band: str, i: int) -> np.ndarray:
        """bool [S,S]: the hole paired with image ``i`` in ``band``."""
        return self.masks[band][i % self.counts[band]]

    def mask_name(self, band: str, i: int) -> str:
        return self.mask_names[band][i % self.counts[band]]


# --- input checks ---------------------------------------------------------------------------------


def method_label(spec: str) -> str:
    """The name a method is reported under (:class:`~inpaintkit.model_spec.ModelSpec` ``.label``): ``"faces"`` ->
    ``faces``; ``"gan=runs/gan/model-best.safetensors"`` -> ``gan``; ``"runs/gan/model-best.safetensors"`` ->
    ``model-best``."""
    return parse_spec(spec).label


def load_method(spec: str):
    """A fresh model for any model spec (:func:`inpaintkit.models.pretrained.load`)."""
    from inpaintkit.models.pretrained import load

    return load(spec)


def method_kind(spec: str) -> str:
    """``"classical"`` (filled one image at a time) or ``"network"``."""
    return kind_of(parse_spec(spec))


def check_methods(methods: Sequence[str]) -> list[str]:
    """Return ``methods`` without duplicates, or raise EvalError naming a bad one (an unknown name lists the
    valid ones); two methods reported under one label are refused."""
    if not methods:
        raise EvalError(f"give at least one --method: {SPEC_FORMS}; valid names: " + ", ".join(list_models()))
    labels: dict[str, str] = {}
    for spec in dict.fromkeys(methods):
        try:
            label = check_spec(spec).label
        except (ModelSpecError, UnknownModelError) as e:
            raise EvalError(f"method {spec!r}: {str(e) if isinstance(e, ModelSpecError) else e}") from None
        if label in labels:
            raise EvalError(f"methods {labels[label]!r} and {spec!r} are both reported as {label!r}; "
                            f"name one with LABEL=SPEC")
        labels[label] = spec
    return list(dict.fromkeys(methods))


def check_size(size: int) -> int:
    if not isinstance(size, (int, np.integer)) or not MIN_SIZE <= int(size) <= MAX_SIZE:
        raise EvalError(f"--size must be an integer from {MIN_SIZE} to {MAX_SIZE}, got {size!r}")
    return int(size)


def _check_folder(path, what: str) -> Path:
    p = Path(path)
    if not p.exists():
        raise EvalError(f"{what} folder '{p}' does not exist")
    if not p.is_dir():
        raise EvalError(f"{what} path '{p}' is not a folder")
    return p


# --- the pairs ------------------------------------------------------------------------------------


def prepare_pairs(data, split: str, masks_dir, size: int = 128, limit: int | None = None, workers: int = 2,
                  progress: bool = True) -> Pairs:
    """Load, preprocess and pair the images of ``data`` (``split`` for the CelebA layout) with ``masks_dir``.

    Bad arguments raise :class:`EvalError` (one line); an unreadable image raises ``ImageReadError``.
    """
    from inpaintkit.data import DatasetError, list_dataset, load_images
    from inpaintkit.mask_bands import MaskFolderError, load_mask_folder

    size = check_size(size)
    if limit is not None and int(limit) < 1:
        raise EvalError(f"--limit must be at least 1, got {limit}")
    data = _check_folder(data, "data")
    masks_dir = _check_folder(masks_dir, "mask")
    try:
        banded = {b: list(v) for b, v in load_mask_folder(masks_dir).items() if len(v) > 0}
        paths = list(list_dataset(data, split))
    except (DatasetError, MaskFolderError) as e:
        raise EvalError(str(e)) from None
    if not banded:
        raise EvalError(f"mask folder '{masks_dir}' holds no mask images")
    if not paths:
        raise EvalError(f"no images found in '{data}'")
    if limit is not None:
        paths = paths[: int(limit)]

    images = load_images(paths, size, workers=workers, progress=progress)  # uint8 [N,S,S,3]
    n = len(paths)
    masks, names, counts = {}, {}, {}
    for band, files in banded.items():
        counts[band] = len(files)
        names[band] = [Path(f).name for f in files]
        used = files[: min(n, len(files))]  # i mod count < min(n, count)
        masks[band] = np.stack([read_mask(f, size=(size, size)) for f in used])
    return Pairs(images=images, names=[Path(p).name for p in paths], masks=masks, mask_names=names, size=size, counts=counts)


# --- running one method ---------------------------------------------------------------------------


def _tensors(images: np.ndarray, holes: np.ndarray):
    """uint8 [B,S,S,3] and bool [B,S,S] -> float [B,3,S,S] in [0,1] and [B,1,S,S] with 1 = hole (torch tensors)."""
    import torch

    x = torch.stack([to_tensor(im) for im in images])
    m = torch.stack([mask_to_tensor(h) for h in holes])
    return x, m


def _arrays(images: np.ndarray, holes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_tensors` as numpy arrays, for a model with ``fill_numpy`` (ONNX graphs, classical methods)."""
    x = np.stack([to_array(im) for im in images])
    m = np.stack([h.astype(np.float32)[None] for h in holes])
    return x, m


PSNR_CAP = 100.0  # dB; a perfect fill (MSE 0, PSNR inf) counts as this, so band means stay finite


def image_metrics(truth: np.ndarray, out: np.ndarray, hole: np.ndarray) -> dict[str, float]:
    """The protocol's per-image metrics on uint8 [H,W,3]; ``hole`` bool [H,W] selects hole-PSNR's pixels.

    ``grad_fill`` / ``grad_truth`` are the mean hole gradients whose band means make the sharpness ratio.
    A pixel-perfect fill has infinite PSNR; it is counted as ``PSNR_CAP`` (100 dB) so that one such image
    (a thin hole over a flat, saturated background, filled exactly) does not make a whole band's mean inf.
    """
    return {
        "grad_fill": hole_gradient(out, hole),  # pooled into "sharpness" per band by _summarise
        "grad_truth": hole_gradient(truth, hole),
        "swd": float(metrics.hole_swd(out, truth, hole)),
        "color_error": float(metrics.hole_color_error(out, truth, hole)),
        "mse": float(metrics.mse(truth, out)),
        "psnr": min(float(metrics.psnr(truth, out)), PSNR_CAP),
        "hole_psnr": min(float(metrics.psnr(truth, out, mask=hole)), PSNR_CAP),
        "ssim": float(metrics.ssim(truth, out)),
        "l1": float(metrics.l1(truth, out)),
        **_medical(truth, out, hole),
    }


def _medical(truth: np.ndarray, out: np.ndarray, hole: np.ndarray) -> dict[str, float]:
    """BraTS-style hole MSE / PSNR / SSIM (:mod:`inpaintkit.metrics.medical`) on the grey of the images."""
    from inpaintkit.metrics.medical import hole_metrics_medical

    grey = lambda a: a.astype(np.float64) @ np.array([0.299, 0.587, 0.114])  # noqa: E731 - [H,W], grey data: itself
    try:
        m = hole_metrics_medical(grey(out), grey(truth), hole)
    except ValueError:  # a reference with no intensity range (a flat image): undefined
        return {"med_mse": float("nan"), "med_psnr": float("nan"), "med_ssim": float("nan")}
    return {"med_mse": m["mse"], "med_psnr": min(m["psnr"], PSNR_CAP), "med_ssim": m["ssim"]}


def run_chunk(model, images: np.ndarray, holes: np.ndarray, batch: int, keep: bool = False):
    """Fill ``images`` uint8 [B,S,S,3] at ``holes`` bool [B,S,S] in batches of ``batch``; time only ``fill``.

    Returns (rows, seconds, outputs): one metrics dict per image, the total fill time and, with ``keep``,
    the uint8 outputs [B,S,S,3] (else None).
    """
    rows, seconds, outs = [], 0.0, []
    numpy = hasattr(model, "fill_numpy")  # no torch needed: the same pixels as through .fill
    fill = model.fill_numpy if numpy else model.fill
    for s in range(0, len(images), batch):
        x, m = (_arrays if numpy else _tensors)(images[s : s + batch], holes[s : s + batch])
        t0 = time.perf_counter()
        y = fill(x, m)  # [b,3,S,S], composited
        seconds += time.perf_counter() - t0
        for j in range(len(y)):
            out = to_uint8(y[j])
            rows.append(image_metrics(images[s + j], out, holes[s + j]))
            if keep:
                outs.append(out)
    return rows, seconds, (np.stack(outs) if keep else None)


_WORKER_MODEL = None


def _init_worker(method: str) -> None:
    global _WORKER_MODEL
    if torch_available():
        import torch

        torch.set_num_threads(1)
    _WORKER_MODEL = load_method(method)


def _worker_chunk(images: np.ndarray, holes: np.ndarray, batch: int):
    rows, seconds, _ = run_chunk(_WORKER_MODEL, images, holes, batch)
    return rows, seconds


def _summarise(rows: list[dict], seconds: float) -> dict:
    pooled = ("ms_per_image", "sharpness")
    band = {k: float(np.nanmean([r[k] for r in rows])) if any(np.isfinite(r[k]) for r in rows) else float("nan")
            for k in METRICS if k not in pooled}
    truth = np.nansum([r["grad_truth"] for r in rows])
    band["sharpness"] = float(np.nansum([r["grad_fill"] for r in rows]) / truth) if truth > 0 else float("nan")
    band["ms_per_image"] = 1000.0 * seconds / len(rows)
    band["n"] = len(rows)
    return {k: band[k] for k in (*METRICS, "n")}


def mean_over_bands(bands: dict[str, dict]) -> dict:
    """The plain mean of each metric over the bands; ``n`` is the total number of pairs."""
    mean = {k: float(np.mean([b.get(k, np.nan) for b in bands.values()])) for k in METRICS}
    mean["n"] = int(sum(b["n"] for b in bands.values()))
    return mean


def evaluate_method(method: str, pairs: Pairs, batch: int = 32, workers: int = 1, bar: tqdm | None = None) -> dict:
    """``{"bands": {...}, "mean": {...}}`` of one method on ``pairs``.

    Classical methods fill one image at a time (``workers > 1`` spreads the images over a process pool;
    each image's time is still measured around its own ``fill``); learned models fill ``batch`` images at once.
    The pool starts processes with "spawn", so a calling script needs an ``if __name__ == "__main__":`` guard.
    """
    classical = method_kind(method) == "classical"
    step = 1 if classical else int(batch)
    n = len(pairs)
    bands = {}
    if classical and workers > 1:
        chunk = max(1, min(16, n // (4 * workers) or 1))
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_init_worker, initargs=(method,)) as pool:
            for band in pairs.bands:
                holes = np.stack([pairs.hole(band, i) for i in range(n)])
                futures = [pool.submit(_worker_chunk, pairs.images[s : s + chunk], holes[s : s + chunk], 1) for s in range(0, n, chunk)]
                rows, seconds = [], 0.0
                for s, f in zip(range(0, n, chunk), futures):  # in image order
                    r, t = f.result()
                    rows += r
                    seconds += t
                    if bar is not None:
                        bar.update(min(chunk, n - s))
                bands[band] = _summarise(rows, seconds)
        return {"bands": bands, "mean": mean_over_bands(bands)}

    model = load_method(method)
    if hasattr(model, "eval"):
        model.eval()
    with torch_threads(1 if classical else None):
        for band in pairs.bands:
            bands[band] = _run_band(model, pairs, band, step, bar)
    return {"bands": bands, "mean": mean_over_bands(bands)}


def _run_band(model, pairs: Pairs, band: str, step: int, bar: tqdm | None) -> dict:
    n = len(pairs)
    rows, seconds = [], 0.0
    for s in range(0, n, step):
        e = min(n, s + step)
        holes = np.stack([pairs.hole(band, i) for i in range(s, e)])
        r, t, _ = run_chunk(model, pairs.images[s:e], holes, step)
        rows += r
        seconds += t
        if bar is not None:
            bar.update(e - s)
    return _summarise(rows, seconds)


@contextmanager
def torch_threads(n: int | None):
    """Run with ``n`` torch threads (None: unchanged). The per-image tensor work around a classical method is
    tiny, and on a busy 2-core machine two threads waiting for each other make it many times slower. Without
    torch (the torch-free install) there are no torch threads: nothing is changed."""
    if not torch_available():
        yield
        return
    import torch

    old = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def evaluate_pairs(methods: Sequence[str], pairs: Pairs, batch: int = 32, progress: bool = True, workers: int = 1) -> dict:
    """Evaluate every method on the same ``pairs``; returns ``{method: {"bands": ..., "mean": ...}}``."""
    methods = check_methods(methods)
    total = len(methods) * len(pairs.bands) * len(pairs)
    results = {}
    with tqdm(total=total, disable=not progress, unit="img", dynamic_ncols=True) as bar:
        for m in methods:
            bar.set_description(m)
            results[method_label(m)] = evaluate_method(m, pairs, batch=batch, workers=workers, bar=bar)
    return results


def evaluate(methods: Sequence[str], data, split: str, masks_dir, size: int = 128, limit: int | None = None,
             batch: int = 32, progress: bool = True, workers: int = 1) -> dict:
    """Run the protocol for ``methods`` on ``data`` (``split``) with the masks of ``masks_dir`` at ``size``.

    Checks the methods first (so a typo fails before the images load), prepares the pairs once and feeds
    every method the identical pairs.
    """
    methods = check_methods(methods)
    pairs = prepare_pairs(data, split, masks_dir, size, limit, progress=progress)
    return evaluate_pairs(methods, pairs, batch=batch, progress=progress, workers=workers)
