"""Hole-ratio bands and folders of mask files: the six NVIDIA bands, a folder's masks grouped by band, histograms.

>>> hole_ratio(np.array([[1, 0], [0, 0]])), band_of_ratio(0.25)
(0.25, '20-30')
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List

import numpy as np

from inpaintkit.errors import InpaintkitError

BANDS = ["0-10", "10-20", "20-30", "30-40", "40-50", "50-60"]
MASK_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}


class MaskFolderError(InpaintkitError, ValueError):
    """A mask folder that is missing or holds no mask files (one-line message)."""


def hole_ratio(mask: np.ndarray) -> float:
    """Fraction of hole pixels: ``count(mask) / mask.size`` (any array; nonzero = hole)."""
    mask = np.asarray(mask)
    if mask.size == 0:
        raise ValueError("hole_ratio of an empty mask")
    return float(np.count_nonzero(mask)) / mask.size


def band_of_ratio(ratio: float) -> str:
    """The band of a hole ratio: ``BANDS[min(floor(ratio * 10), 5)]``; ratios >= 60 % go in "50-60" (overflow)."""
    return BANDS[min(max(int(ratio * 10), 0), len(BANDS) - 1)]


def _is_nvidia_layout(paths: List[Path]) -> bool:
    return all(len(p.stem) == 5 and p.stem.isdigit() and int(p.stem) // 2000 < len(BANDS) for p in paths)


def load_mask_folder(folder) -> Dict[str, List[Path]]:
    """Mask files of a folder grouped by hole-ratio band: ``{band: sorted paths}``, bands in ``BANDS`` order.

    - NVIDIA layout (every file name is a 5-digit number below 12000, e.g. ``04012.png``): band =
      ``BANDS[int(stem) // 2000]``, as the NVIDIA irregular test set numbers its masks.
    - Any other folder: each mask is read (hole = value > 127, see ``images.read_mask``) and banded by its
      measured hole ratio with :func:`band_of_ratio` (>= 60 % goes in "50-60").

    Only bands that hold at least one mask are in the result. Only the folder itself is listed (not recursive),
    files with extensions ``MASK_EXTENSIONS``. A missing folder or one without masks raises MaskFolderError.
    """
    d = Path(folder)
    if not d.exists():
        raise MaskFolderError(f"mask folder '{folder}' does not exist")
    if not d.is_dir():
        raise MaskFolderError(f"mask folder '{folder}' is not a folder")
    paths = sorted((p for p in d.iterdir() if p.is_file() and p.suffix.lower() in MASK_EXTENSIONS), key=lambda p: p.name)
    if not paths:
        raise MaskFolderError(f"mask folder '{folder}' holds no mask files ({', '.join(sorted(MASK_EXTENSIONS))})")
    bands: Dict[str, List[Path]] = {b: [] for b in BANDS}
    if _is_nvidia_layout(paths):
        for p in paths:
            bands[BANDS[int(p.stem) // 2000]].append(p)
    else:
        from inpaintkit.images import read_mask

        for p in paths:
            bands[band_of_ratio(hole_ratio(read_mask(p)))].append(p)
    return {b: v for b, v in bands.items() if v}


def ratio_histogram(ratios) -> Dict[str, int]:
    """Counts of hole ratios per band, plus "60+" for ratios >= 60 % (kept apart here, unlike band_of_ratio)."""
    counts = {b: 0 for b in BANDS + ["60+"]}
    for r in ratios:
        counts["60+" if r >= 0.6 else band_of_ratio(r)] += 1
    return counts


def format_histogram(ratios) -> str:
    """A text table: band, count, percent and a bar."""
    ratios = list(ratios)
    counts = ratio_histogram(ratios)
    total = max(1, len(ratios))
    lines = [f"{'band %':>7s} {'masks':>6s} {'share':>6s}"]
    for b, c in counts.items():
        lines.append(f"{b:>7s} {c:6d} {100 * c / total:5.1f}% {'#' * round(40 * c / total)}")
    if ratios:
        lines.append(f"mean hole ratio {100 * float(np.mean(ratios)):.1f}%, min {100 * min(ratios):.1f}%, max {100 * max(ratios):.1f}%")
    return "\n".join(lines)
