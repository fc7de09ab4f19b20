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
    >>> print(format_table(results))                                                          # doctest: +SKIP

The result has exactly the JSON shape
``{"<method>": {"bands": {"0-10": {"mse", "psnr", "hole_psnr", "ssim", "l1", "sharpness", "swd", "color_error",
"ms_per_image", "n"}, ...},
"mean": {...}}}``.
"""
from __future__ import annotations

import json
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch
from tqdm import tqdm

from inpaintkit import metrics
from inpaintkit.fileio import atomic_path, atomic_write_text
from inpaintkit.images import mask_to_tensor, read_mask, to_tensor, to_uint8
from inpaintkit.metrics.sharpness import hole_gradient
from inpaintkit.models.registry import list_models, model_kind

METRICS = ("mse", "psnr", "hole_psnr", "ssim", "l1", "sharpness", "swd", "color_error", "ms_per_image")
MIN_SIZE, MAX_SIZE = 16, 1024


class EvalError(ValueError):
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
    """The name a method is reported under: ``"faces"`` -> ``faces``; ``"gan=runs/gan/model-best.safetensors"`` -> ``gan``."""
    return spec.partition("=")[0]


def load_method(spec: str):
    """A registered name or ``LABEL=PATH`` to a model file or training checkpoint; either may end in ``+flip``
    (flip test-time averaging, see :func:`inpaintkit.models.pretrained.load`)."""
    from inpaintkit.models.pretrained import load

    label, sep, path = spec.partition("=")
    return load(path if sep else spec)


def method_kind(spec: str) -> str:
    from inpaintkit.models.pretrained import split_suffixes

    return "network" if "=" in spec or split_suffixes(spec)[1] else model_kind(spec)


def check_methods(methods: Sequence[str]) -> list[str]:
    """Return ``methods`` without duplicates, or raise EvalError naming an unknown one and the valid names."""
    if not methods:
        raise EvalError("give at least one --method; valid names: " + ", ".join(list_models()))
    from inpaintkit.models.pretrained import split_suffixes

    valid = list_models()
    for spec in methods:
        m, suffixes = split_suffixes(spec)
        label, sep, path = m.partition("=")
        if suffixes and not sep and m in valid and model_kind(m) == "classical":
            raise EvalError(f"method {spec!r}: '{''.join(suffixes)}' needs a network, {m!r} is a classical method")
        if sep:
            if not label or not Path(path).is_file():
                raise EvalError(f"method {spec!r}: give LABEL=PATH with an existing model file")
            continue
        if m not in valid:
            raise EvalError(f"unknown method {spec!r}; valid names: {', '.join(valid)}")
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
    from inpaintkit.masks import MaskFolderError, load_mask_folder

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


def _tensors(images: np.ndarray, holes: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 [B,S,S,3] and bool [B,S,S] -> float [B,3,S,S] in [0,1] and [B,1,S,S] with 1 = hole."""
    x = torch.stack([to_tensor(im) for im in images])
    m = torch.stack([mask_to_tensor(h) for h in holes])
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
    }


def run_chunk(model, images: np.ndarray, holes: np.ndarray, batch: int, keep: bool = False):
    """Fill ``images`` uint8 [B,S,S,3] at ``holes`` bool [B,S,S] in batches of ``batch``; time only ``fill``.

    Returns (rows, seconds, outputs): one metrics dict per image, the total fill time and, with ``keep``,
    the uint8 outputs [B,S,S,3] (else None).
    """
    rows, seconds, outs = [], 0.0, []
    for s in range(0, len(images), batch):
        x, m = _tensors(images[s : s + batch], holes[s : s + batch])
        t0 = time.perf_counter()
        y = model.fill(x, m)  # [b,3,S,S], composited
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
    with _torch_threads(1 if classical else None):
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
def _torch_threads(n: int | None):
    """Run with ``n`` torch threads (None: unchanged). The per-image tensor work around a classical method is
    tiny, and on a busy 2-core machine two threads waiting for each other make it many times slower."""
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


# --- output ---------------------------------------------------------------------------------------

_COLUMNS = [("MSE", "mse", "{:.2f}"), ("PSNR", "psnr", "{:.2f}"), ("hole-PSNR", "hole_psnr", "{:.2f}"),
            ("SSIM", "ssim", "{:.4f}"), ("L1", "l1", "{:.2f}"), ("sharp", "sharpness", "{:.2f}"),
            ("SWDx1e3", "swd", "{:.2f}"), ("dE", "color_error", "{:.2f}"), ("ms/img", "ms_per_image", "{:.1f}"), ("n", "n", "{:d}")]


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]], left: int = 1) -> str:
    """An aligned Markdown table: the first ``left`` columns left-aligned, the rest right-aligned."""
    rows = [list(map(str, r)) for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]

    def line(cells):
        return "| " + " | ".join(c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if i >= left else (":" + "-" * (w + 1)) for i, w in enumerate(widths)) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def _cell(v: dict, key: str, fmt: str) -> str:
    x = v.get(key, float("nan"))  # results written before a metric existed lack its key
    if key == "swd":
        x *= 1e3
    return "–" if isinstance(x, float) and not np.isfinite(x) else fmt.format(x)


def format_table(results: dict) -> str:
    """Per-band rows (MSE, PSNR, hole-PSNR, SSIM, L1, sharpness ratio, SWD x1e3, hole colour ΔE00, ms/img, n)
    of every method, plus its mean over bands.

    Aligned for a terminal and valid Markdown.
    """
    rows = []
    for method, res in results.items():
        for band, v in [*res["bands"].items(), ("mean", res["mean"])]:
            label = f"{band} %" if band != "mean" else "mean"
            rows.append([method, label, *(_cell(v, key, fmt) for _, key, fmt in _COLUMNS)])
    return markdown_table(["method", "band", *(c for c, _, _ in _COLUMNS)], rows, left=2)


def write_json(path, obj) -> Path:
    """Write ``obj`` as indented JSON atomically (:mod:`inpaintkit.fileio`)."""
    path = Path(path)
    atomic_write_text(path, json.dumps(obj, indent=1) + "\n")
    return path


# --- the comparison picture -----------------------------------------------------------------------


@dataclass
class GridRow:
    image: np.ndarray  # uint8 [S,S,3], the truth
    hole: np.ndarray  # bool [S,S]
    label: str  # e.g. "30-40 %\n182641.jpg"


def grid_rows(pairs: Pairs, n: int = 6) -> list[GridRow]:
    """``n`` pairs spread over the bands (smallest to largest hole) and over the images."""
    bands = pairs.bands
    n = max(1, int(n))
    rows = []
    for k in range(n):
        band = bands[round(k * (len(bands) - 1) / (n - 1))] if n > 1 else bands[0]
        i = (k * len(pairs)) // n
        rows.append(GridRow(pairs.images[i], pairs.hole(band, i), f"{band} %\n{pairs.names[i]}"))
    return rows


def fill_rows(method: str, rows: Sequence[GridRow]) -> list[np.ndarray]:
    """The uint8 outputs [S,S,3] of ``method`` on ``rows``, one image at a time."""
    model = load_method(method)
    if hasattr(model, "eval"):
        model.eval()
    images = np.stack([r.image for r in rows])
    holes = np.stack([r.hole for r in rows])
    with _torch_threads(1 if method_kind(method) == "classical" else None):
        _, _, outs = run_chunk(model, images, holes, 1, keep=True)
    return list(outs)


def make_grid(rows: Sequence[GridRow], outputs_by_method: dict[str, Sequence[np.ndarray]], path, cell: float = 1.7) -> Path:
    """Write a PNG: one row per pair; columns = input (hole painted white), each method's output, truth.

    Every output is labelled with its PSNR / hole-PSNR on that pair; the left column names the band and image.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    methods = list(outputs_by_method)
    cols = ["input (hole white)", *methods, "truth"]
    fig = Figure(figsize=(cell * len(cols), cell * len(rows) + 0.4))
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(rows), len(cols), squeeze=False)
    for r, row in enumerate(rows):
        shown = row.image.copy()
        shown[row.hole] = 255
        pictures = [shown, *(outputs_by_method[m][r] for m in methods), row.image]
        for c, pic in enumerate(pictures):
            ax = axes[r][c]
            ax.imshow(pic, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(cols[c], fontsize=9)
            if 0 < c <= len(methods):
                p = metrics.psnr(row.image, pic)
                hp = metrics.psnr(row.image, pic, mask=row.hole)
                ax.set_xlabel(f"{p:.1f} / {hp:.1f} dB", fontsize=7)
        axes[r][0].set_ylabel(row.label, fontsize=8)
    fig.suptitle("PSNR / hole-PSNR under each output", fontsize=8, y=0.995)
    fig.tight_layout(pad=0.3)
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    return path


def write_grid(methods: Sequence[str], pairs: Pairs, path, n: int = 6) -> Path:
    """Fill ``n`` spread-out pairs with every method and write the comparison picture to ``path``."""
    rows = grid_rows(pairs, n)
    return make_grid(rows, {method_label(m): fill_rows(m, rows) for m in check_methods(methods)}, path)
