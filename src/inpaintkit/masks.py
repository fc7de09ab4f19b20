"""Generated hole masks: free-form brush strokes, object-shaped blobs, boxes; sample sheets (``inpaintkit masks``).

Bands and folders of mask files are in :mod:`inpaintkit.mask_bands`.

All masks are bool [H,W] numpy arrays, True = hole.

Brush strokes follow the DeepFill v2 / LaMa recipe: a stroke is a polyline that starts at a random point and
takes a random number of segments, each of random length, turning by a random angle; it is drawn with
``cv2.line`` at a random brush width (OpenCV draws thick lines with round caps, so joints are round; the
``cv2.circle`` of DeepFill is not needed). Strokes are added until a sampled target hole ratio is reached,
which gives a controllable ratio distribution.

>>> gen = MaskGenerator(128, preset="mixed", seed=0)
>>> m = gen(7)                      # the same (seed, index) always gives the same mask
>>> m.shape, m.dtype, bool((gen(7) == m).all())
((128, 128), dtype('bool'), True)
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import cv2
import numpy as np

from inpaintkit.mask_bands import format_histogram, hole_ratio

Size = Union[int, Tuple[int, int]]

@dataclass(frozen=True)
class StrokePreset:
    """Parameters of one stroke style. Lengths and widths are fractions of the image side ``min(H, W)``.

    - ``width``: brush width range (uniform), fraction of the side; drawn at least 1 pixel.
    - ``vertices``: number of segments of one stroke (integer range, inclusive).
    - ``length``: segment length range (uniform), fraction of the side.
    - ``turn``: the direction changes by uniform(-turn, +turn) radians at each vertex (curliness).
    - ``ratio``: target hole-ratio range (uniform); strokes are added until the target is reached.
    - ``dots``: probability, per vertex, of also dropping a detached round dot up to 4 brush widths away
      (NVIDIA masks have many such specks), radius uniform in 0.25..0.75 brush widths.
    - ``box_prob``: probability that a mask also gets 1-2 random boxes of side ``box_side`` (fraction range).
    - ``max_strokes``: cap on the number of strokes, so a mask never takes long.
    """

    width: Tuple[float, float]
    vertices: Tuple[int, int]
    length: Tuple[float, float]
    turn: float
    ratio: Tuple[float, float]
    dots: float = 0.0
    box_prob: float = 0.0
    box_side: Tuple[float, float] = (0.1, 0.3)
    max_strokes: int = 60


# At 512x512 (the NVIDIA size): thin ~ 5-15 px brushes with specks, medium ~ 15-40 px, thick ~ 40-100 px blobs.
PRESETS: Dict[str, StrokePreset] = {
    "thin": StrokePreset(width=(0.012, 0.03), vertices=(4, 12), length=(0.04, 0.12), turn=1.2,
                         ratio=(0.01, 0.25), dots=0.15, box_prob=0.0, max_strokes=60),
    "medium": StrokePreset(width=(0.03, 0.08), vertices=(3, 9), length=(0.06, 0.18), turn=1.0,
                           ratio=(0.03, 0.40), dots=0.05, box_prob=0.1, box_side=(0.08, 0.25), max_strokes=40),
    "thick": StrokePreset(width=(0.08, 0.2), vertices=(2, 6), length=(0.08, 0.25), turn=0.8,
                          ratio=(0.08, 0.60), dots=0.0, box_prob=0.2, box_side=(0.15, 0.35), max_strokes=30),
}
# "mixed": target ratio ~ uniform(MIXED_RATIO); the preset is drawn at random among those whose ratio range
# holds that target, so the hole ratios of mixed masks cover 1-60 % about evenly (each NVIDIA band ~1/6).
MIXED_RATIO = (0.01, 0.60)
# The presets MaskGenerator takes besides the stroke presets.
GENERATED = ("mixed", "box", "object", "wide")
# Like the NVIDIA test set (half of each band touches the border), a mask is drawn free to cross the border with
# this probability and kept at least 1 pixel inside it otherwise.
BORDER_PROB = 0.5


def _hw(size: Size) -> Tuple[int, int]:
    if isinstance(size, (int, np.integer)):
        size = (int(size), int(size))
    if len(size) != 2 or int(size[0]) < 1 or int(size[1]) < 1:
        raise ValueError(f"size must be an int or (height, width) with positive values, got {size!r}")
    return int(size[0]), int(size[1])


def _draw_box(canvas: np.ndarray, rng: np.random.Generator, side: Tuple[float, float], margin: int) -> None:
    h, w = canvas.shape
    bh = max(1, min(h - 2 * margin, int(round(rng.uniform(*side) * h))))
    bw = max(1, min(w - 2 * margin, int(round(rng.uniform(*side) * w))))
    top = int(rng.integers(margin, max(margin, h - margin - bh) + 1))
    left = int(rng.integers(margin, max(margin, w - margin - bw) + 1))
    canvas[top : top + bh, left : left + bw] = 1


def _draw_stroke(canvas: np.ndarray, rng: np.random.Generator, p: StrokePreset, side: int,
                 target_px: int, interior: bool) -> int:
    """Draw one stroke (stopping early once ``target_px`` hole pixels are reached); returns the hole count.

    ``interior``: keep the whole stroke 1 pixel or more away from the image border; otherwise vertices may go
    a brush width past the border and a quarter of strokes start just outside it.
    """
    h, w = canvas.shape
    width = max(1, int(round(rng.uniform(*p.width) * side)))
    half = (width + 1) // 2 + 1  # cv2.line of thickness t reaches (t + 1) // 2 pixels from its centre line
    if interior:  # vertex bounds (lo, hi) per axis; a round brush of this width then stays inside
        bx, by = (half, max(half, w - 1 - half)), (half, max(half, h - 1 - half))
    else:
        bx, by = (-width, w + width), (-width, h + width)
    n = int(rng.integers(p.vertices[0], p.vertices[1] + 1))
    if not interior and rng.random() < 0.25:
        edge = int(rng.integers(4))
        t = rng.random()
        x, y = [(t * w, -width), (t * w, h + width), (-width, t * h), (w + width, t * h)][edge]
    else:
        x, y = rng.uniform(*bx), rng.uniform(*by)
    angle = rng.uniform(0, 2 * math.pi)
    lengths = rng.uniform(*p.length, size=n) * side
    turns = rng.uniform(-p.turn, p.turn, size=n)
    dots = rng.random(n) < p.dots
    count = 0
    for k in range(n):
        angle += turns[k]
        nx = x + lengths[k] * math.cos(angle)
        ny = y + lengths[k] * math.sin(angle)
        # bounce off the bounds so strokes wander around the image instead of leaving it for good
        if not bx[0] <= nx <= bx[1]:
            angle = math.pi - angle
            nx = min(max(x + lengths[k] * math.cos(angle), bx[0]), bx[1])
        if not by[0] <= ny <= by[1]:
            angle = -angle
            ny = min(max(y + lengths[k] * math.sin(angle), by[0]), by[1])
        cv2.line(canvas, (int(x), int(y)), (int(nx), int(ny)), 1, width)
        if dots[k]:  # a detached speck a few brush widths away
            r = max(1, int(round(rng.uniform(0.25, 0.75) * width)))
            cx, cy = nx + rng.uniform(-4, 4) * width, ny + rng.uniform(-4, 4) * width
            if interior:
                cx, cy = min(max(cx, r + 1), w - 2 - r), min(max(cy, r + 1), h - 2 - r)
            cv2.circle(canvas, (int(cx), int(cy)), r, 1, -1)
        x, y = nx, ny
        count = int(np.count_nonzero(canvas))
        if count >= target_px:
            break
    return count


def stroke_mask(size: Size, rng: np.random.Generator, preset: str = "mixed") -> np.ndarray:
    """A free-form brush-stroke mask, bool [H,W] (True = hole).

    ``preset`` is one of ``PRESETS`` (``thin``, ``medium``, ``thick``) or ``mixed``. A target hole ratio is drawn
    (the preset's ``ratio`` range; for ``mixed`` uniform over ``MIXED_RATIO`` = 1-60 %, with the preset drawn at
    random among those whose range holds the target), boxes are added with probability ``box_prob``, then
    strokes until the target is reached or ``max_strokes`` is hit. The last stroke can overshoot a little.
    With probability ``BORDER_PROB`` (0.5, as in the NVIDIA set) strokes may cross the image border; otherwise
    the whole mask stays at least one pixel inside it.

    >>> m = stroke_mask(64, np.random.default_rng(0), "thin")
    >>> m.shape, m.dtype
    ((64, 64), dtype('bool'))
    """
    h, w = _hw(size)
    if preset == "mixed":
        target = rng.uniform(*MIXED_RATIO)
        names = [k for k, p in PRESETS.items() if p.ratio[0] <= target <= p.ratio[1]]
        p = PRESETS[names[int(rng.integers(len(names)))]]
    elif preset in PRESETS:
        p = PRESETS[preset]
        target = rng.uniform(*p.ratio)
    else:
        raise ValueError(f"unknown mask preset {preset!r}; choose from {', '.join(list(PRESETS) + ['mixed'])}")
    side = min(h, w)
    interior = rng.random() >= BORDER_PROB
    canvas = np.zeros((h, w), np.uint8)
    target_px = max(1, int(round(target * h * w)))
    count = 0
    if rng.random() < p.box_prob:
        for _ in range(int(rng.integers(1, 3))):
            _draw_box(canvas, rng, p.box_side, margin=1 if interior else 0)
        count = int(np.count_nonzero(canvas))
    for _ in range(p.max_strokes):
        if count >= target_px:
            break
        count = _draw_stroke(canvas, rng, p, side, target_px, interior)
    return canvas.astype(bool)


def object_mask(size: Size, rng: np.random.Generator) -> np.ndarray:
    """An object-shaped hole: a smooth star-shaped blob like a person, animal or thing to remove. bool [H,W].

    The radius around a random centre is ``r(t) = R * exp(sum_k a_k cos(k t + phi_k))`` for ``k = 1..4`` with
    ``R`` uniform in 12-35 % of the side and ``a_k ~ N(0, 0.25 / k)``; the polygon of 64 points is filled and
    dilated by a few pixels (object masks in editors are drawn a little larger than the object). A third of
    the masks gets a second, smaller blob.

    >>> m = object_mask(64, np.random.default_rng(0))
    >>> m.shape, m.dtype, 0.0 < hole_ratio(m) < 0.8
    ((64, 64), dtype('bool'), True)
    """
    h, w = _hw(size)
    side = min(h, w)
    canvas = np.zeros((h, w), np.uint8)
    t = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    for blob in range(1 + int(rng.random() < 1 / 3)):
        radius = side * rng.uniform(0.12, 0.35) * (0.6 if blob else 1.0)
        k = np.arange(1, 5)[:, None]
        log_r = (rng.normal(0, 0.25 / k) * np.cos(k * t + rng.uniform(0, 2 * np.pi, (4, 1)))).sum(0)
        cy, cx = rng.uniform(0.15, 0.85) * h, rng.uniform(0.15, 0.85) * w
        r = radius * np.exp(log_r)
        pts = np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], 1).round().astype(np.int32)
        cv2.fillPoly(canvas, [pts], 1)
    grow = max(1, int(round(side * rng.uniform(0.005, 0.03))))
    canvas = cv2.dilate(canvas, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
    return canvas.astype(bool)


def wide_mask(size: Size, rng: np.random.Generator) -> np.ndarray:
    """The ``wide`` training preset: half ``mixed`` strokes (thin to thick, 1-60 %), a quarter object-shaped
    blobs (:func:`object_mask`), a quarter a large box (side 25-60 %) with thick strokes. bool [H,W].

    For generators that must paint wide holes as well as thin scratches (LaMa trains on a similar mixture).
    """
    u = rng.random()
    if u < 0.5:
        return stroke_mask(size, rng, "mixed")
    if u < 0.75:
        return object_mask(size, rng)
    m = box_mask(size, rng, box_frac=float(rng.uniform(0.25, 0.6)))
    return m | stroke_mask(size, rng, "thick")


def box_mask(size: Size, rng: Optional[np.random.Generator] = None, box_frac: float = 0.5) -> np.ndarray:
    """A rectangular hole of ``round(box_frac * H) x round(box_frac * W)``: centred when ``rng`` is None,
    at a uniformly random position otherwise. bool [H,W].

    >>> int(box_mask(8, box_frac=0.5).sum())   # the centre 4x4
    16
    """
    h, w = _hw(size)
    if not 0 < box_frac <= 1:
        raise ValueError(f"box_frac must be in (0, 1], got {box_frac}")
    bh, bw = max(1, int(round(box_frac * h))), max(1, int(round(box_frac * w)))
    if rng is None:
        top, left = (h - bh) // 2, (w - bw) // 2
    else:
        top, left = int(rng.integers(0, h - bh + 1)), int(rng.integers(0, w - bw + 1))
    m = np.zeros((h, w), bool)
    m[top : top + bh, left : left + bw] = True
    return m


class MaskGenerator:
    """Reproducible generated masks: ``gen(index)`` is a pure function of ``(seed, index)``.

    Each call seeds ``np.random.default_rng(np.random.SeedSequence([seed, index]))``, so masks do not depend
    on call order, worker process, or how many masks were drawn before. ``preset``: ``thin``, ``medium``,
    ``thick``, ``mixed`` (see :func:`stroke_mask`), ``box`` (a random box of side 25-50 %), ``object``
    (:func:`object_mask`) or ``wide`` (:func:`wide_mask`: strokes, objects and large boxes).
    """

    def __init__(self, size: Size, preset: str = "mixed", seed: int = 0):
        self.size = _hw(size)
        if preset not in PRESETS and preset not in GENERATED:
            raise ValueError(f"unknown mask preset {preset!r}; choose from {', '.join(list(PRESETS) + list(GENERATED))}")
        if int(seed) < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        self.preset = preset
        self.seed = int(seed)

    def __call__(self, index: int) -> np.ndarray:
        if int(index) < 0:
            raise ValueError(f"mask index must be >= 0, got {index}")
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, int(index)]))
        if self.preset == "box":
            return box_mask(self.size, rng, box_frac=float(rng.uniform(0.25, 0.5)))
        if self.preset == "object":
            return object_mask(self.size, rng)
        if self.preset == "wide":
            return wide_mask(self.size, rng)
        return stroke_mask(self.size, rng, self.preset)

    def __repr__(self) -> str:
        return f"MaskGenerator(size={self.size}, preset={self.preset!r}, seed={self.seed})"


def contact_sheet(masks: List[np.ndarray], cols: int = 8, gap: int = 2) -> np.ndarray:
    """Tile bool [H,W] masks into one uint8 picture (white = hole, grey gaps between tiles)."""
    if not masks:
        raise ValueError("contact_sheet needs at least one mask")
    h, w = masks[0].shape
    cols = max(1, min(cols, len(masks)))
    rows = -(-len(masks) // cols)
    sheet = np.full((rows * (h + gap) + gap, cols * (w + gap) + gap), 128, np.uint8)
    for k, m in enumerate(masks):
        r, c = divmod(k, cols)
        y, x = gap + r * (h + gap), gap + c * (w + gap)
        sheet[y : y + h, x : x + w] = np.where(m, 255, 0)
    return sheet


MAX_SIZE = 2048  # side of a sample mask: its contact sheet of 64 is then ~270 MB at most
MAX_SAMPLES = 100_000  # masks written (mask_00000.png .. mask_99999.png)
MAX_STATS = 1_000_000  # masks counted for the histogram


def write_samples(out, n: int = 16, size: int = 256, preset: str = "mixed", seed: int = 0, stats: int = 1000) -> str:
    """Write masks ``0..n-1`` of ``MaskGenerator(size, preset, seed)`` as ``out/mask_XXXXX.png`` (255 = hole) and
    ``out/contact_sheet.png`` (the first 64 at most), and return a report with the hole-ratio histogram of
    masks ``0..max(n, stats)-1`` and the generation time per mask.

    The arguments are checked before anything is created (ValueError): ``size`` 8 .. :data:`MAX_SIZE`, ``n``
    1 .. :data:`MAX_SAMPLES`, ``stats`` 0 .. :data:`MAX_STATS`."""
    import time

    from tqdm import tqdm

    from inpaintkit.images import save_image

    for name, value, lo, hi in (("size", size, 8, MAX_SIZE), ("n", n, 1, MAX_SAMPLES), ("stats", stats, 0, MAX_STATS)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
            raise ValueError(f"{name} must be a whole number from {lo} to {hi:,}, got {value!r}")
    gen = MaskGenerator(size, preset, seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    total = max(n, stats)
    ratios, shown, elapsed = [], [], 0.0
    for i in tqdm(range(total), desc="masks", unit="mask", leave=False):
        t0 = time.perf_counter()
        m = gen(i)
        elapsed += time.perf_counter() - t0
        ratios.append(hole_ratio(m))
        if i < n:
            save_image(out / f"mask_{i:05d}.png", m)
            if i < 64:
                shown.append(m)
    save_image(out / "contact_sheet.png", contact_sheet(shown))
    head = (f"wrote {n} masks ({size}x{size}, preset {preset}, seed {seed}) and contact_sheet.png to {out}\n"
            f"hole ratios of {total} masks ({1e3 * elapsed / total:.2f} ms per mask):")
    return head + "\n" + format_histogram(ratios)
