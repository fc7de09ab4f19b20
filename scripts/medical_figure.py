"""docs/img/medical/ct_mr.png: a real CT and MR slice (pydicom's test files) with a hole, filled by the bundled
model through `inpaintkit.dicom.fill_dicom` and by biharmonic, plus hole PSNR normalised by the truth's range.

    python scripts/medical_figure.py
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image, ImageDraw

from inpaintkit.dicom import fill_dicom, read_dicom

FILES = Path(pydicom.__file__).parent / "data" / "test_files"
OUT = Path("docs/img/medical/ct_mr.png")


def hole_mask(h: int, w: int) -> np.ndarray:
    m = Image.new("L", (w, h))
    ImageDraw.Draw(m).ellipse([w * 0.38, h * 0.30, w * 0.66, h * 0.52], fill=255)
    ImageDraw.Draw(m).line([w * 0.15, h * 0.75, w * 0.85, h * 0.68], fill=255, width=max(2, w // 40))
    return np.asarray(m) > 127


def to8(a: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return (np.clip((a.astype(np.float64) - lo) / (hi - lo), 0, 1) * 255).round().astype(np.uint8)


def hole_psnr(a, b, m, lo, hi) -> float:
    mse = np.mean(((a[m].astype(np.float64) - b[m]) / (hi - lo)) ** 2)
    return 10 * np.log10(1.0 / mse)


def main() -> None:
    rows, text = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("CT_small.dcm", "MR_small.dcm"):
            src = FILES / name
            truth = read_dicom(src).frames[0]
            hole = hole_mask(*truth.shape)
            cells = [truth, np.where(hole, truth.min(), truth)]
            for method in ("default", "biharmonic"):
                out = Path(tmp) / f"{method}.dcm"
                fill_dicom(src, out, hole, method)
                cells.append(read_dicom(out).frames[0])
            lo, hi = float(truth.min()), float(truth.max())
            scores = [hole_psnr(c, truth, hole, lo, hi) for c in cells[2:]]
            text.append(f"{name}: hole PSNR (range-normalised) default {scores[0]:.2f} dB, biharmonic {scores[1]:.2f} dB")
            size = 256
            rows.append(np.concatenate([np.asarray(Image.fromarray(to8(c, lo, hi)).resize((size, size), Image.NEAREST))
                                        for c in cells], 1))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(rows, 0)).save(OUT)
    print("\n".join(text))
    print(f"wrote {OUT} (columns: truth, hole, default, biharmonic)")


if __name__ == "__main__":
    main()
