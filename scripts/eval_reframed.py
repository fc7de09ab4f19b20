"""Faces framed unlike CelebA's alignment: the protocol on re-framed CelebA test faces.

    python scripts/eval_reframed.py --methods biharmonic faces --limit 300    # -> docs/results/reframed.md (+ .json)

CelebA's aligned crops put every face at one scale and position; a face model must also hold on faces
framed otherwise. Each framing below is a deterministic function of the raw 178x218 test image, resized
to ``--size`` with ``cv2.INTER_AREA``; the NVIDIA masks are paired as in the protocol
(:func:`inpaintkit.evaluate.prepare_pairs`), so only the framing differs from ``docs/results.md``:

- ``protocol``: the protocol's centre 178x178 square (for reference);
- ``tight``: the centre 116x116 square (0.65 of the side): the face fills the frame, as in a close-up;
- ``shifted``: a 140x140 square in a corner (image i takes corner i mod 4): the face is off-centre and cut;
- ``rotated``: turned by +-20 degrees (alternating) about the centre, then the centre 126x126 square (no border).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FRAMINGS = ("protocol", "tight", "shifted", "rotated")


def frame(img: np.ndarray, how: str, i: int, size: int) -> np.ndarray:
    """One framing (see the module doc) of raw CelebA image ``i`` (uint8 HxWx3) at ``size`` x ``size``."""
    h, w = img.shape[:2]
    cy, cx = h // 2, w // 2

    def square(y0: int, x0: int, side: int) -> np.ndarray:
        return cv2.resize(img[y0:y0 + side, x0:x0 + side], (size, size), interpolation=cv2.INTER_AREA)

    if how == "protocol":
        side = min(h, w)
        return square((h - side) // 2, (w - side) // 2, side)
    if how == "tight":
        side = int(round(0.65 * min(h, w)))
        return square(cy - side // 2, cx - side // 2, side)
    if how == "shifted":
        side = 140
        y0 = 0 if i % 4 < 2 else h - side
        x0 = 0 if i % 2 == 0 else w - side
        return square(y0, x0, side)
    if how == "rotated":
        m = cv2.getRotationMatrix2D((w / 2, h / 2), 20.0 if i % 2 == 0 else -20.0, 1.0)
        turned = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
        side = 126
        return cv2.resize(turned[cy - side // 2:cy + side // 2, cx - side // 2:cx + side // 2], (size, size),
                          interpolation=cv2.INTER_AREA)
    raise ValueError(f"unknown framing {how!r}; valid: {', '.join(FRAMINGS)}")


def reused(path: Path, names: list[str], framings: list[str], n: int, size: int) -> dict:
    """``{framing: {name: result}}`` from an earlier run's JSON, checked to hold ``n`` images per band at ``size``
    (a result without ``"size"`` is from before it was recorded, when every run was at 128)."""
    import json

    if not path.is_file():
        sys.exit(f"error: --reuse needs the earlier results in {path}")
    old = json.loads(path.read_text())
    out = {}
    for how in framings:
        for name in names:
            res = old.get(how, {}).get(name)
            if res is None:
                sys.exit(f"error: {path} has no {name!r} for the {how!r} framing")
            if any(b["n"] != n for b in res["bands"].values()):
                sys.exit(f"error: {name!r} in {path} was measured on another number of images (not {n} per band)")
            if res.get("size", 128) != size:
                sys.exit(f"error: {name!r} in {path} was measured at {res.get('size', 128)} px, not {size}")
            out.setdefault(how, {})[name] = res
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--methods", nargs="+", default=["biharmonic", "faces"])
    p.add_argument("--framings", nargs="+", default=list(FRAMINGS), choices=FRAMINGS)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--limit", type=int, default=300, help="first N CelebA test images")
    p.add_argument("--data-root", type=Path, default=(ROOT / ".." / "shared" / "data").resolve())
    p.add_argument("--reuse", nargs="+", default=[], metavar="NAME",
                   help="methods taken from the JSON of an earlier run (beside --out) instead of run again, e.g. biharmonic")
    p.add_argument("-o", "--out", type=Path, default=ROOT / "docs" / "results" / "reframed.md")
    args = p.parse_args(argv)

    from inpaintkit.data import list_dataset
    from inpaintkit.evaluate import evaluate_pairs, prepare_pairs
    from inpaintkit.eval_report import markdown_table, write_json
    from inpaintkit.fileio import atomic_write_text
    from inpaintkit.images import read_image

    celeba = args.data_root / "celeba"
    if not celeba.is_dir():
        sys.exit(f"error: {celeba} not found (this evaluation needs ../shared/data)")
    paths = list_dataset(celeba, "test")[: args.limit]
    raw = [read_image(q) for q in paths]
    base = prepare_pairs(celeba, "test", args.data_root / "masks" / "nvidia_irregular_test", args.size, args.limit,
                         progress=False)
    earlier = reused(args.out.with_suffix(".json"), args.reuse, args.framings, len(raw), args.size) if args.reuse else {}
    results = {}
    for how in args.framings:
        base.images = np.stack([frame(im, how, i, args.size) for i, im in enumerate(raw)])
        fresh = {m: {**r, "size": args.size} for m, r in evaluate_pairs(args.methods, base, progress=False).items()}
        results[how] = {**earlier.get(how, {}), **fresh}
        print(f"{how}: done", file=sys.stderr)
    write_json(args.out.with_suffix(".json"), results)
    bands = list(base.masks)
    lines = ["# Faces framed unlike CelebA", "", f"<!-- generated by `python scripts/eval_reframed.py "
             f"--methods {' '.join(args.methods)} --limit {args.limit}"
             + (f" --reuse {' '.join(args.reuse)}" if args.reuse else "") + "`; see that script for the framings -->", "",
             f"First {len(raw)} CelebA test faces at {args.size}x{args.size}, NVIDIA masks paired as in the protocol; "
             f"PSNR (dB) per band, and each learned method's margin over biharmonic.", ""]
    for how, res in results.items():
        rows = [[m, *(f"{res[m]['bands'][b]['psnr']:.2f}" for b in bands), f"{res[m]['mean']['psnr']:.2f}"] for m in res]
        if "biharmonic" in res:
            ref = res["biharmonic"]["bands"]
            rows += [[f"{m} − biharmonic", *(f"{res[m]['bands'][b]['psnr'] - ref[b]['psnr']:+.2f}" for b in bands),
                      f"{res[m]['mean']['psnr'] - res['biharmonic']['mean']['psnr']:+.2f}"] for m in res if m != "biharmonic"]
        lines += [f"## {how}", "", markdown_table(["method", *(f"{b} %" for b in bands), "mean"], rows), ""]
    atomic_write_text(args.out, "\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
