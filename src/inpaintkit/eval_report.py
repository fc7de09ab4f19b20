"""Reporting evaluation results: the Markdown table, the JSON file and the comparison picture.

The results are those of :func:`inpaintkit.evaluate.evaluate_pairs`: ``{method: {"bands": ..., "mean": ...}}``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from inpaintkit import metrics
from inpaintkit.evaluate import Pairs, torch_threads, check_methods, load_method, method_kind, method_label, run_chunk
from inpaintkit.fileio import atomic_path, atomic_write_text

_COLUMNS = [("MSE", "mse", "{:.2f}"), ("PSNR", "psnr", "{:.2f}"), ("hole-PSNR", "hole_psnr", "{:.2f}"),
            ("SSIM", "ssim", "{:.4f}"), ("L1", "l1", "{:.2f}"), ("sharp", "sharpness", "{:.2f}"),
            ("SWDx1e3", "swd", "{:.2f}"), ("dE", "color_error", "{:.2f}"), ("ms/img", "ms_per_image", "{:.1f}"), ("n", "n", "{:d}")]
# --metrics medical: the hole metrics of the BraTS inpainting challenge (percentile-normalised grey values)
_MEDICAL = [("hole MSE", "med_mse", "{:.5f}"), ("hole PSNR", "med_psnr", "{:.2f}"), ("hole SSIM", "med_ssim", "{:.4f}"),
            ("ms/img", "ms_per_image", "{:.1f}"), ("n", "n", "{:d}")]
COLUMN_SETS = {"protocol": _COLUMNS, "medical": _MEDICAL}


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


def format_table(results: dict, metrics: str = "protocol") -> str:
    """Per-band rows (MSE, PSNR, hole-PSNR, SSIM, L1, sharpness ratio, SWD x1e3, hole colour ΔE00, ms/img, n)
    of every method, plus its mean over bands; ``metrics="medical"``: the BraTS-style hole MSE / PSNR / SSIM.

    Aligned for a terminal and valid Markdown.
    """
    if metrics not in COLUMN_SETS:
        raise ValueError(f"metrics must be one of {', '.join(COLUMN_SETS)}, got {metrics!r}")
    columns = COLUMN_SETS[metrics]
    rows = []
    for method, res in results.items():
        for band, v in [*res["bands"].items(), ("mean", res["mean"])]:
            label = f"{band} %" if band != "mean" else "mean"
            rows.append([method, label, *(_cell(v, key, fmt) for _, key, fmt in columns)])
    return markdown_table(["method", "band", *(c for c, _, _ in columns)], rows, left=2)


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
    with torch_threads(1 if method_kind(method) == "classical" else None):
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
