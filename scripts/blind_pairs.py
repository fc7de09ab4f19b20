"""A blind side-by-side of two fills on real object-removal photos: make shuffled pairs, judge them, score them.

    python scripts/blind_pairs.py make --out runs/blind                       # pair-NN.png + key.json (do not open)
    # look at each pair-NN.png and write runs/blind/choices.txt, one line per pair: "NN L", "NN R" or "NN =",
    # naming the side an editor would keep, optionally "# why" after it
    python scripts/blind_pairs.py score --out runs/blind --json docs/results/blind-pairs.json

Cases: the object-removal photos of ``scripts/object_removal.py`` (scikit-image's astronaut, coffee and chelsea
with hand-drawn masks; BSDS500 val photos with object-shaped masks) and frames of the real object-removal clips
in ``../shared/data/video/object_removal`` (a person, a horse, a bike, a car; their masks grown by ``--grow`` px,
as a brush would). Each photo is filled at its own size through :func:`inpaintkit.inpaint`. The two fills go left
and right in an order drawn from ``--seed`` and written only to ``key.json``; a pair shows the whole photo and,
below it, the hole's surroundings enlarged, with no method named anywhere on it.
"""
from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from object_removal import cases as photo_cases  # noqa: E402  (the same photos as the by-eye picture)

CLIP_FRAMES = (0, 13, 26, 39)  # every clip has at least 40 frames


def clip_cases(data_root: Path, grow: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Frames of the real object-removal clips with their masks grown by ``grow`` px."""
    from inpaintkit.images import read_image

    folder = data_root / "video" / "object_removal"
    if not folder.is_dir():
        print(f"note: {folder} not found: clip frames skipped", file=sys.stderr)
        return []
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    out = []
    for clip in sorted(p for p in folder.iterdir() if p.is_dir()):
        for i in CLIP_FRAMES:
            frame, mask = clip / "frames" / f"{i:05d}.jpg", clip / "masks" / f"{i:05d}.png"
            if frame.is_file() and mask.is_file():
                hole = cv2.dilate((cv2.imread(str(mask), cv2.IMREAD_GRAYSCALE) > 127).astype(np.uint8), disk) > 0
                out.append((f"{clip.name} {i:05d}", read_image(frame), hole))
    return out


def zoom_box(hole: np.ndarray, margin: float = 0.6) -> tuple[int, int, int, int]:
    """The hole's bounding box grown by ``margin`` of its size on each side, within the photo: (y0, y1, x0, x1)."""
    ys, xs = np.nonzero(hole)
    h, w = hole.shape
    dy, dx = int((ys.max() - ys.min() + 1) * margin) + 8, int((xs.max() - xs.min() + 1) * margin) + 8
    return max(0, ys.min() - dy), min(h, ys.max() + dy + 1), max(0, xs.min() - dx), min(w, xs.max() + dx + 1)


def fit(img: np.ndarray, height: int, width: int) -> np.ndarray:
    s = min(height / img.shape[0], width / img.shape[1])
    size = (max(1, int(round(img.shape[1] * s))), max(1, int(round(img.shape[0] * s))))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)


def pair_picture(shown: np.ndarray, left: np.ndarray, right: np.ndarray, hole: np.ndarray, cell: int) -> np.ndarray:
    """Input above; left and right fills side by side, whole and enlarged around the hole; 'L' / 'R' only."""
    y0, y1, x0, x1 = zoom_box(hole)
    rows = [[fit(shown, cell, cell)], [fit(left, cell, cell), fit(right, cell, cell)],
            [fit(left[y0:y1, x0:x1], cell, cell), fit(right[y0:y1, x0:x1], cell, cell)]]
    width = 2 * cell + 8
    out = []
    for i, row in enumerate(rows):
        line = np.full((max(c.shape[0] for c in row), width, 3), 255, np.uint8)
        x = 0
        for c in row:
            line[:c.shape[0], x:x + c.shape[1]] = c
            x += cell + 8
        if i:
            for j, t in enumerate("LR"):
                cv2.putText(line, t, (j * (cell + 8) + 6, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 0), 2, cv2.LINE_AA)
        out += [line, np.full((8, width, 3), 255, np.uint8)]
    return np.concatenate(out, 0)


def make(args) -> None:
    import inpaintkit
    from inpaintkit.images import save_image

    rng = np.random.default_rng(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    made = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    key = {"methods": args.methods, "seed": args.seed, "grow": args.grow, "made": made, "pairs": {}}
    found = photo_cases(args.data_root) + clip_cases(args.data_root, args.grow)
    for n, (name, img, hole) in enumerate(found, 1):
        fills = [inpaintkit.inpaint(img, hole, model=m) for m in args.methods]
        order = [0, 1] if rng.random() < 0.5 else [1, 0]
        shown = img.copy()
        shown[hole] = 255
        tag = f"{n:02d}"
        save_image(args.out / f"pair-{tag}.png", pair_picture(shown, fills[order[0]], fills[order[1]], hole, args.cell))
        key["pairs"][tag] = {"case": name, "L": args.methods[order[0]], "R": args.methods[order[1]],
                             "hole_percent": round(100.0 * float(hole.mean()), 2)}
        print(f"pair {tag}/{len(found)}: {img.shape[1]}x{img.shape[0]}, hole {100 * hole.mean():.1f} %", flush=True)
    (args.out / "key.json").write_text(json.dumps(key, indent=1))
    print(f"wrote {len(found)} pairs to {args.out}; judge them into {args.out / 'choices.txt'} before opening key.json")


def read_choices(path: Path, tags) -> dict[str, tuple[str, str]]:
    """``{pair: (side, why)}`` from lines ``NN L|R|= [# why]``."""
    choices = {}
    for line in path.read_text().splitlines():
        text, _, why = line.partition("#")
        parts = text.split()
        if not parts:
            continue
        if len(parts) != 2 or parts[1].upper() not in ("L", "R", "=") or parts[0].zfill(2) not in tags:
            sys.exit(f"error: {path}: bad line {line!r} (want 'NN L', 'NN R' or 'NN =' for a pair in key.json)")
        choices[parts[0].zfill(2)] = (parts[1].upper(), why.strip())
    missing = sorted(set(tags) - set(choices))
    if missing:
        sys.exit(f"error: {path}: no choice for pairs {', '.join(missing)}")
    return choices


def score(args) -> None:
    key = json.loads((args.out / "key.json").read_text())
    pairs, (first, second) = key["pairs"], key["methods"]
    choices = read_choices(args.out / "choices.txt", pairs)
    rows, wins = [], {first: 0, second: 0, "=": 0}
    for tag, p in sorted(pairs.items()):
        side, why = choices[tag]
        kept = "=" if side == "=" else p[side]
        wins[kept] += 1
        rows.append({"pair": tag, "case": p["case"], "hole_percent": p["hole_percent"], "kept": kept, "why": why})
        print(f"{tag}  {p['case']:<24} hole {p['hole_percent']:5.1f} %  kept: {kept}")
    n = len(rows)
    print(f"{first} kept in {wins[first]} of {n} ({100 * wins[first] / n:.0f} %), {second} in {wins[second]}, "
          f"level in {wins['=']}")
    if args.json:
        summary = {"methods": key["methods"], "made": key.get("made"), "seed": key["seed"], "pairs": n, "kept": wins, "rows": rows,
                   "preferred_percent": {m: round(100 * wins[m] / n, 1) for m in key["methods"]}}
        args.json.write_text(json.dumps(summary, indent=1) + "\n")
        print(f"wrote {args.json}")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    mk = sub.add_parser("make", help="fill every case with both methods and write shuffled pairs")
    mk.add_argument("--methods", nargs=2, default=["default", "patchmatch"])
    mk.add_argument("--seed", type=int, default=2026)
    mk.add_argument("--grow", type=int, default=5, help="px the clip masks are grown by")
    mk.add_argument("--cell", type=int, default=420, help="px of each picture's long side in a pair")
    mk.add_argument("--data-root", type=Path, default=(ROOT / ".." / "shared" / "data").resolve())
    sc = sub.add_parser("score", help="count which method was kept, from choices.txt and key.json")
    sc.add_argument("--json", type=Path, help="write the tally here")
    for s in (mk, sc):
        s.add_argument("--out", type=Path, default=ROOT / "runs" / "blind")
    args = p.parse_args(argv)
    make(args) if args.command == "make" else score(args)


if __name__ == "__main__":
    main()
