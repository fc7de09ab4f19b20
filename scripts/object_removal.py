"""Object removal by eye: real photos with an object masked, filled by each method, side by side.

    python scripts/object_removal.py --methods biharmonic patchmatch general -o docs/img/realism/object_removal.png

Cases: scikit-image's bundled ``astronaut`` (the shuttle model removed), ``coffee`` (the spoon) and ``chelsea``
(the nose), with the hand-drawn polygons below (dilated by a few pixels, as an editor's brush would be), and
BSDS500 val photos with an object-shaped mask (:func:`inpaintkit.masks.object_mask`, fixed seeds) where
``../shared/data`` is present. Each photo is filled at its own resolution through :func:`inpaintkit.inpaint`
(the same path as ``inpaintkit fill``); rows are scaled to a common height for the picture only.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
POLYGONS = {  # (x, y) vertices in the image's pixels; dilation radius
    "astronaut": ([(376, 0), (442, 0), (448, 60), (474, 200), (478, 292), (348, 292), (352, 200), (370, 60)], 6),
    "coffee": ([(398, 62), (426, 66), (414, 140), (398, 226), (410, 252), (412, 302), (392, 328), (348, 330),
                (322, 306), (322, 264), (344, 238), (372, 226), (386, 150)], 6),
    "chelsea": ([(226, 232), (246, 218), (278, 218), (300, 232), (296, 258), (272, 274), (250, 274), (228, 258)], 4),
}
BSDS = ["3096.jpg", "86000.jpg", "101085.jpg"]


def polygon_mask(shape: tuple[int, int], points, grow: int) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    cv2.fillPoly(m, [np.array(points, np.int32)], 1)
    m = cv2.dilate(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
    return m.astype(bool)


def cases(data_root: Path) -> list[tuple[str, np.ndarray, np.ndarray]]:
    from skimage import data

    from inpaintkit.images import read_image
    from inpaintkit.masks import object_mask

    out = []
    for name, (pts, grow) in POLYGONS.items():
        img = getattr(data, name)()[..., :3]
        out.append((name, img, polygon_mask(img.shape[:2], pts, grow)))
    folder = data_root / "scenes" / "bsds500" / "val"
    for i, fname in enumerate(BSDS):
        if (folder / fname).is_file():
            img = read_image(folder / fname)
            out.append((f"bsds {fname}", img, object_mask(img.shape[:2], np.random.default_rng(100 + i))))
    if len(out) == len(POLYGONS):
        print(f"note: {folder} not found: BSDS500 rows skipped", file=sys.stderr)
    return out


def label(img: np.ndarray, text: str) -> np.ndarray:
    bar = np.full((22, img.shape[1], 3), 255, np.uint8)
    cv2.putText(bar, text, (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([bar, img], 0)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--methods", nargs="+", default=["biharmonic", "patchmatch", "general"])
    p.add_argument("-o", "--out", type=Path, default=ROOT / "docs" / "img" / "realism" / "object_removal.png")
    p.add_argument("--height", type=int, default=240, help="row height of the picture")
    p.add_argument("--data-root", type=Path, default=(ROOT / ".." / "shared" / "data").resolve())
    args = p.parse_args(argv)

    import inpaintkit
    from inpaintkit.images import save_image

    rows = []
    for name, img, hole in cases(args.data_root):
        shown = img.copy()
        shown[hole] = 255
        cells = [("input", shown)]
        for m in args.methods:
            cells.append((m, inpaintkit.inpaint(img, hole, model=m)))
        scale = args.height / img.shape[0]
        size = (int(round(img.shape[1] * scale)), args.height)
        row = [label(cv2.resize(c, size, interpolation=cv2.INTER_AREA), f"{name}: {t}" if i == 0 else t)
               for i, (t, c) in enumerate(cells)]
        rows.append(np.concatenate([np.pad(r, ((0, 0), (0, 4), (0, 0)), constant_values=255) for r in row], 1))
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 4), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_image(args.out, np.concatenate(rows, 0))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
