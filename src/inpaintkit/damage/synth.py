"""Realistic old-photo damage synthesised over clean photos: the training and test data of the damage detector.

Pure numpy / OpenCV, deterministic given a ``numpy.random.Generator``. Each damage type is one function
``fn(img, rng, scale) -> (alpha [H,W], colour [H,W,3])``: an opacity layer and the colour it lays over the
photo (``out = img * (1 - alpha) + colour * alpha``). :func:`synthesize` composes them the way a photo ages:

1. **photo-level tone** (:func:`tone`): colour kept, greyscale, sepia, faded / colour cast, and paper
   texture (:func:`paper`) — not damage, never in the mask;
2. **damage layers**, in :data:`DAMAGE_TYPES` order of a random subset: ``scratch`` (thin bright or dark
   curves of varying width, opacity and blur), ``crack`` (branching jagged lines), ``crease`` (a fold: a
   long line with a bright ridge and a dark shadow, flaked emulsion along it), ``dust`` (specks and hairs),
   ``spot`` (irregular blobs: lost emulsion, foxing), ``stain`` (blotchy tinted regions with soft edges and
   a tide line) and ``tear`` (torn corners and edges: paper or scanner bed showing through a jagged edge);
3. **scan** (:func:`scan`): blur, sensor noise, JPEG — again not damage.

**The mask** is exactly the pixels that the damage layers changed by at least :data:`DELTA` (in [0, 1],
any channel) — measured before the scan step, so what a viewer sees as damage and nothing fainter; the
``type_map`` holds, for each masked pixel, the id (:data:`TYPE_IDS`, 1-based; 0 = not damaged) of the
damage type that changed it most.

Example:
    >>> import numpy as np
    >>> img = np.full((64, 64, 3), 128, np.uint8)
    >>> damaged, mask, types = synthesize(img, np.random.default_rng(0), types=["scratch"], scan_p=0.0, tone_p=0.0)
    >>> bool(mask.any()), set(np.unique(types[mask])) == {TYPE_IDS["scratch"]}
    (True, True)
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import cv2
import numpy as np

DAMAGE_TYPES = ("scratch", "crack", "crease", "dust", "spot", "stain", "tear")
TYPE_IDS = {name: i + 1 for i, name in enumerate(DAMAGE_TYPES)}
DELTA = 16.0 / 255.0  # a pixel is damaged when a damage layer changed it by at least this much


def _check_image(img: np.ndarray) -> None:
    if not isinstance(img, np.ndarray) or img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"image must be an [H,W,3] array, got {getattr(img, 'shape', type(img).__name__)}")
    if img.shape[0] < 8 or img.shape[1] < 8:
        raise ValueError(f"image must be at least 8x8, got {img.shape[1]}x{img.shape[0]}")


def smooth_noise(h: int, w: int, rng: np.random.Generator, cell: float) -> np.ndarray:
    """Smooth random field in [0, 1] of shape [h,w] with features about ``cell`` pixels across."""
    gh, gw = max(2, int(round(h / cell)) + 2), max(2, int(round(w / cell)) + 2)
    g = rng.random((gh, gw), dtype=np.float32)
    f = cv2.resize(g, (w, h), interpolation=cv2.INTER_CUBIC)
    lo, hi = float(f.min()), float(f.max())
    return (f - lo) / max(hi - lo, 1e-6)


def _blur(a: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(a, (0, 0), sigma) if sigma > 0.15 else a


def random_path(h: int, w: int, rng: np.random.Generator, length: float, step: float = 2.0, turn: float = 0.05,
                start: Optional[tuple] = None, angle: Optional[float] = None, jagged: bool = False) -> np.ndarray:
    """A random curve: float [N,2] (x, y) points ``step`` apart, heading changing by N(0, ``turn``) per step.

    Smooth bends by default; ``jagged``: a zig-zag that keeps its overall direction (heading deviations
    revert to the start heading), as a crack runs."""
    x, y = start if start is not None else (rng.uniform(-0.1, 1.1) * w, rng.uniform(-0.1, 1.1) * h)
    a = rng.uniform(0, 2 * np.pi) if angle is None else angle
    n = max(2, int(length / step))
    da = rng.normal(0, turn, n)
    if jagged:
        dev = np.zeros(n)
        for i in range(1, n):
            dev[i] = 0.8 * dev[i - 1] + da[i]
        heading = a + dev
    else:
        da = np.convolve(da, np.ones(5) / 5, mode="same")[:n] * 2.0  # smooth bends, not jitter
        heading = a + np.cumsum(da)
    pts = np.empty((n, 2), np.float64)
    pts[0] = (x, y)
    pts[1:, 0] = x + np.cumsum(np.cos(heading[1:]) * step)
    pts[1:, 1] = y + np.cumsum(np.sin(heading[1:]) * step)
    return pts


def draw_path(canvas: np.ndarray, pts: np.ndarray, width: float, rng: np.random.Generator, vary: float = 0.5) -> None:
    """Draw ``pts`` into the float32 ``canvas`` (max-combined, value 1) with a width varying along the curve."""
    chunk = max(2, len(pts) // 6)
    for i in range(0, len(pts) - 1, chunk - 1):
        seg = pts[i : i + chunk]
        t = max(1, int(round(width * rng.uniform(1 - vary, 1 + vary))))
        layer = np.zeros_like(canvas)
        cv2.polylines(layer, [np.round(seg * 8).astype(np.int32)], False, 1.0, t, cv2.LINE_AA, shift=3)
        np.maximum(canvas, layer, out=canvas)


def _light_or_dark(rng: np.random.Generator, p_light: float = 0.65) -> np.ndarray:
    """A paper-white (slightly warm) or an almost-black colour, [3] float."""
    if rng.random() < p_light:
        return np.clip(rng.uniform(0.82, 1.0) - np.array([0.0, 0.02, 0.06]) * rng.random(), 0, 1).astype(np.float32)
    return np.full(3, rng.uniform(0.0, 0.22), np.float32)


def _full(img: np.ndarray, c: np.ndarray) -> np.ndarray:
    return np.broadcast_to(c.astype(np.float32), img.shape)


# --- damage types: fn(img float [H,W,3], rng, scale) -> (alpha [H,W], colour [H,W,3]) ----------------


def scratch(img: np.ndarray, rng: np.random.Generator, scale: float = 1.0):
    """1-6 long thin curves, bright or dark, 1-5 px (x ``scale``) wide, opacity varying along them, blurred 0-1.2 px."""
    h, w = img.shape[:2]
    alpha = np.zeros((h, w), np.float32)
    colour = _light_or_dark(rng)
    for _ in range(int(rng.integers(1, 7))):
        canvas = np.zeros((h, w), np.float32)
        pts = random_path(h, w, rng, rng.uniform(0.2, 1.3) * max(h, w), step=2.0 * scale, turn=rng.uniform(0.005, 0.06))
        draw_path(canvas, pts, rng.uniform(1.0, 4.5) * scale, rng)
        canvas = _blur(canvas, rng.uniform(0.0, 1.2) * scale)
        along = 0.35 + 0.65 * smooth_noise(h, w, rng, rng.uniform(15, 60) * scale)
        np.maximum(alpha, canvas * along * rng.uniform(0.55, 1.0), out=alpha)
    return alpha, _full(img, colour)


def crack(img: np.ndarray, rng: np.random.Generator, scale: float = 1.0):
    """Branching jagged cracks (a trunk with two levels of branches), 1-3 px wide, dark or paper-white."""
    h, w = img.shape[:2]
    canvas = np.zeros((h, w), np.float32)
    width = rng.uniform(1.0, 2.5) * scale

    def grow(pts: np.ndarray, wd: float, depth: int) -> None:
        draw_path(canvas, pts, wd, rng, vary=0.4)
        if depth == 0:
            return
        for _ in range(int(rng.integers(1, 4))):
            i = int(rng.integers(0, len(pts) - 1))
            d = pts[min(i + 1, len(pts) - 1)] - pts[i]
            base = np.arctan2(d[1], d[0]) + rng.choice([-1, 1]) * rng.uniform(0.4, 1.2)
            br = random_path(h, w, rng, len(pts) * 2.0 * scale * rng.uniform(0.15, 0.4), step=2.5 * scale,
                             turn=0.3, start=tuple(pts[i]), angle=base, jagged=True)
            grow(br, max(1.0, wd * 0.7), depth - 1)

    for _ in range(int(rng.integers(1, 3))):
        trunk = random_path(h, w, rng, rng.uniform(0.3, 0.9) * max(h, w), step=2.5 * scale, turn=0.3, jagged=True)
        grow(trunk, width, 2)
    canvas = _blur(canvas, rng.uniform(0.0, 0.7) * scale)
    return canvas * rng.uniform(0.7, 1.0), _full(img, _light_or_dark(rng, 0.45))


def crease(img: np.ndarray, rng: np.random.Generator, scale: float = 1.0):
    """A fold across the photo: a bright ridge 1-3 px wide beside a dark shadow band, with flaked emulsion."""
    h, w = img.shape[:2]
    pts = random_path(h, w, rng, 1.5 * max(h, w), step=3.0 * scale, turn=0.01,
                      start=(rng.uniform(0, w), rng.uniform(0, h)))
    pts = np.concatenate([pts[::-1] - (pts[-1] - pts[0]) * 0.5, pts])  # through the start point, both ways
    d = pts[-1] - pts[0]
    normal = np.array([-d[1], d[0]]) / max(np.hypot(*d), 1e-6)
    ridge = np.zeros((h, w), np.float32)
    draw_path(ridge, pts, rng.uniform(1.0, 3.0) * scale, rng, vary=0.3)
    shadow = np.zeros((h, w), np.float32)
    draw_path(shadow, pts + normal * rng.uniform(1.5, 3.5) * scale, rng.uniform(2.0, 5.0) * scale, rng, vary=0.3)
    flakes = (smooth_noise(h, w, rng, 3 * scale) > rng.uniform(0.65, 0.85)).astype(np.float32)
    wide = cv2.dilate(ridge, np.ones((3, 3), np.uint8), iterations=max(1, int(rng.uniform(1, 2.5) * scale)))
    ridge = np.maximum(ridge * rng.uniform(0.5, 0.9), wide * flakes)
    ridge, shadow = _blur(ridge, 0.6 * scale), _blur(shadow, rng.uniform(0.6, 1.5) * scale)
    shadow = shadow * (1.0 - ridge) * rng.uniform(0.35, 0.7)
    alpha = np.maximum(ridge, shadow)
    light, dark = _light_or_dark(rng, 1.0), np.full(3, 0.05, np.float32)
    wt = (ridge / np.maximum(alpha, 1e-6))[..., None]
    colour = wt * light + (1.0 - wt) * dark
    return alpha, colour.astype(np.float32)


def dust(img: np.ndarray, rng: np.random.Generator, scale: float = 1.0):
    """Specks (0.5-2.5 px radius) and short curly hairs, mostly one polarity, density varying over the photo."""
    h, w = img.shape[:2]
    canvas = np.zeros((h, w), np.float32)
    n = int(rng.uniform(10, 120) * h * w / (256.0 * 256.0 * scale * scale)) + 1
    for _ in range(n):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        r = rng.uniform(0.6, 2.5) * scale
        cv2.circle(canvas, (int(x * 8), int(y * 8)), max(1, int(r * 8)), float(rng.uniform(0.6, 1.0)), -1,
                   cv2.LINE_AA, shift=3)
    for _ in range(int(rng.integers(0, 4))):
        pts = random_path(h, w, rng, rng.uniform(8, 40) * scale, step=1.5 * scale, turn=0.4)
        draw_path(canvas, pts, 1.0 * scale, rng, vary=0.0)
    canvas = _blur(canvas, rng.uniform(0.0, 0.6) * scale)
    return np.minimum(canvas, 1.0), _full(img, _light_or_dark(rng, 0.6))


def spot(img: np.ndarray, rng: np.random.Generator, scale: float = 1.0):
    """Irregular blobs 3-14 px across (lost emulsion: white; foxing: brown; mould: dark), soft rims."""
    h, w = img.shape[:2]
    canvas = np.zeros((h, w), np.float32)
    for _ in range(int(rng.integers(1, 12))):
        c = (int(rng.uniform(0, w) * 8), int(rng.uniform(0, h) * 8))
        axes = (int(rng.uniform(1.5, 7) * scale * 8), int(rng.uniform(1.5, 7) * scale * 8))
        cv2.ellipse(canvas, c, axes, float(rng.uniform(0, 180)), 0, 360, 1.0, -1, cv2.LINE_AA, shift=3)
    rough = _blur(canvas, 1.5 * scale) + 0.5 * (smooth_noise(h, w, rng, 2.5 * scale) - 0.5)
    blob = np.clip((rough - 0.45) * 4.0, 0, 1)
    blob = _blur(blob, rng.uniform(0.3, 1.2) * scale)
    kind = rng.random()
    colour = (_light_or_dark(rng, 1.0) if kind < 0.5 else np.array([0.45, 0.3, 0.15], np.float32) * rng.uniform(0.5, 1.2)
              if kind < 0.8 else np.full(3, rng.uniform(0.05, 0.2), np.float32))
    return blob * rng.uniform(0.7, 1.0), _full(img, np.clip(colour, 0, 1))


def stain(img: np.ndarray, rng: np.random.Generator, scale: float = 1.0):
    """Blotchy brown/yellow tint (water, chemicals) with soft edges and often a darker tide line at its rim."""
    h, w = img.shape[:2]
    field = smooth_noise(h, w, rng, rng.uniform(0.15, 0.4) * max(h, w))
    field = 0.7 * field + 0.3 * smooth_noise(h, w, rng, rng.uniform(6, 16) * scale)
    thr = rng.uniform(0.55, 0.8)
    inside = np.clip((field - thr) / 0.08, 0, 1)
    alpha = inside * rng.uniform(0.3, 0.65)
    if rng.random() < 0.6:  # tide line: the rim where the water dried
        rim = np.exp(-((field - thr) / 0.012) ** 2) * rng.uniform(0.4, 0.8)
        alpha = np.maximum(alpha, rim)
    alpha = _blur(alpha.astype(np.float32), rng.uniform(0.5, 2.0) * scale)
    tint = np.array([rng.uniform(0.55, 0.8), rng.uniform(0.4, 0.6), rng.uniform(0.15, 0.35)], np.float32)
    colour = img * tint * rng.uniform(0.8, 1.05)  # a stain darkens and yellows what is under it
    return alpha.astype(np.float32), np.clip(colour, 0, 1).astype(np.float32)


def tear(img: np.ndarray, rng: np.random.Generator, scale: float = 1.0):
    """A torn corner or a bite out of an edge: jagged outline, paper fibres along it, paper / dark bed inside."""
    h, w = img.shape[:2]
    size = rng.uniform(0.08, 0.3) * min(h, w)
    if rng.random() < 0.7:  # a corner
        cx, cy = rng.choice([0, w]), rng.choice([0, h])
        a0 = np.arctan2(h / 2 - cy, w / 2 - cx)
        angles = a0 + np.linspace(-np.pi / 2, np.pi / 2, 48) * 1.1
    else:  # a bite out of an edge
        side = int(rng.integers(0, 4))
        cx, cy = [(rng.uniform(0, w), 0), (rng.uniform(0, w), h), (0, rng.uniform(0, h)), (w, rng.uniform(0, h))][side]
        a0 = np.arctan2(h / 2 - cy, w / 2 - cx)
        angles = a0 + np.linspace(-np.pi / 2, np.pi / 2, 48) * 1.15
        size *= 0.6
    radius = size * (1 + 0.35 * np.cumsum(rng.normal(0, 0.25, len(angles))) / np.sqrt(len(angles)))
    radius *= 1 + 0.12 * rng.normal(0, 1, len(angles))  # jagged
    pts = np.stack([cx + np.cos(angles) * radius, cy + np.sin(angles) * radius], 1)
    poly = np.concatenate([pts, [[cx, cy]]])
    hole = np.zeros((h, w), np.float32)
    cv2.fillPoly(hole, [np.round(poly * 8).astype(np.int32)], 1.0, cv2.LINE_AA, shift=3)
    fibres = np.zeros((h, w), np.float32)
    draw_path(fibres, pts, rng.uniform(1.0, 3.0) * scale, rng, vary=0.5)
    inside = _light_or_dark(rng, 0.6)
    alpha = np.maximum(hole, fibres * rng.uniform(0.6, 1.0))
    wt = (hole / np.maximum(alpha, 1e-6))[..., None]
    colour = wt * inside + (1 - wt) * np.array([0.95, 0.93, 0.88], np.float32)
    return _blur(alpha, 0.5 * scale), colour.astype(np.float32)


DAMAGE_FNS: dict[str, Callable] = {"scratch": scratch, "crack": crack, "crease": crease, "dust": dust, "spot": spot,
                                   "stain": stain, "tear": tear}
TYPE_P = {"scratch": 0.55, "crack": 0.3, "crease": 0.25, "dust": 0.5, "spot": 0.35, "stain": 0.25, "tear": 0.2}


# --- photo-level variants (never damage) ----------------------------------------------------------


def tone(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Colour kept (40 %), greyscale (25 %), sepia (25 %) or faded with a colour cast (10 %); float [H,W,3]."""
    u = rng.random()
    grey = img @ np.array([0.299, 0.587, 0.114], np.float32)
    if u < 0.4:
        out = img
    elif u < 0.65:
        out = np.repeat(grey[..., None], 3, 2)
    elif u < 0.9:
        warm = np.array([1.0, rng.uniform(0.78, 0.9), rng.uniform(0.55, 0.72)], np.float32)
        out = grey[..., None] * warm + (1 - grey[..., None]) * 0.04 * warm
    else:
        cast = rng.uniform(0.85, 1.1, 3).astype(np.float32)
        out = img * cast
    contrast, lift = rng.uniform(0.65, 1.0), rng.uniform(0.0, 0.12)
    return np.clip(out * contrast + lift, 0, 1).astype(np.float32)


def paper(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Multiplicative paper grain (fine fibres) and uneven brightness, a few percent."""
    h, w = img.shape[:2]
    grain = _blur(rng.normal(0, 1, (h, w)).astype(np.float32), rng.uniform(0.5, 1.2)) * rng.uniform(0.01, 0.03)
    low = (smooth_noise(h, w, rng, max(h, w) / 3) - 0.5) * rng.uniform(0.0, 0.1)
    return np.clip(img * (1 + grain + low)[..., None], 0, 1).astype(np.float32)


def scan(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Scanner / copy degradation: slight blur, sensor noise, JPEG (quality 40-95); float in, uint8 out."""
    out = _blur(img, rng.uniform(0.0, 0.8)) if rng.random() < 0.5 else img
    if rng.random() < 0.7:
        out = out + rng.normal(0, rng.uniform(0.003, 0.03), out.shape[:2])[..., None].astype(np.float32)
    u8 = np.clip(np.rint(out * 255), 0, 255).astype(np.uint8)
    if rng.random() < 0.6:
        ok, buf = cv2.imencode(".jpg", u8[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(40, 96))])
        u8 = np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])
    return u8


# --- composition -----------------------------------------------------------------------------------


def apply_damage(img: np.ndarray, layers: Sequence[tuple]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Composite ``layers`` ((type, alpha, colour), in order) over float ``img``; returns (out, mask, type_map).

    ``mask`` is exactly the pixels whose value changed by >= :data:`DELTA` in some channel; ``type_map``
    the id of the layer type that changed each of them most (0 elsewhere).
    """
    out = img.astype(np.float32).copy()
    best = np.zeros(img.shape[:2], np.float32)
    type_map = np.zeros(img.shape[:2], np.uint8)
    for name, alpha, colour in layers:
        a = alpha[..., None].astype(np.float32)
        new = out * (1 - a) + colour * a
        change = np.abs(new - out).max(axis=2)
        win = change > best
        type_map[win], best[win] = TYPE_IDS[name], change[win]
        out = new
    mask = np.abs(out - img).max(axis=2) >= DELTA
    type_map[~mask] = 0
    type_map[mask & (type_map == 0)] = TYPE_IDS[layers[-1][0]] if layers else 0
    return out, mask, type_map


def synthesize(image: np.ndarray, rng: np.random.Generator, types: Optional[Sequence[str]] = None,
               scale: float = 1.0, clean_p: float = 0.0, tone_p: float = 0.7, paper_p: float = 0.5,
               scan_p: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Damage a clean uint8 RGB ``image``; returns ``(damaged uint8 [H,W,3], mask bool [H,W], type_map uint8 [H,W])``.

    ``types``: the damage types to draw from (default all of :data:`DAMAGE_TYPES`; each is used with its
    probability :data:`TYPE_P`, at least one always); ``scale``: damage size multiplier (1 = sized for a
    ~256 px photo); ``clean_p``: probability of no damage at all (an all-false mask: a negative example);
    ``tone_p`` / ``paper_p`` / ``scan_p``: probabilities of the photo-level variants.
    """
    _check_image(image)
    if scale <= 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    names = list(DAMAGE_TYPES if types is None else types)
    unknown = [t for t in names if t not in DAMAGE_FNS]
    if unknown or not names:
        raise ValueError(f"unknown damage types {unknown}; valid: {', '.join(DAMAGE_TYPES)}")
    img = image.astype(np.float32) / 255.0
    if rng.random() < tone_p:
        img = tone(img, rng)
    if rng.random() < paper_p:
        img = paper(img, rng)
    layers = []
    if rng.random() >= clean_p:
        chosen = [t for t in names if rng.random() < TYPE_P[t]] or [names[int(rng.integers(len(names)))]]
        for t in sorted(chosen, key=DAMAGE_TYPES.index):
            alpha, colour = DAMAGE_FNS[t](img, rng, scale)
            layers.append((t, alpha, colour))
    out, mask, type_map = apply_damage(img, layers)
    if rng.random() < scan_p:
        damaged = scan(out, rng)
    else:
        damaged = np.clip(np.rint(out * 255), 0, 255).astype(np.uint8)
    return damaged, mask, type_map
