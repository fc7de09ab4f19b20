"""Image pairs shared by the metric tests: random uint8 images and a few real CelebA faces."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np


def random_pair(seed: int, shape=(32, 40, 3), noise: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """A random uint8 image and a noisy copy of it (clipped to 0..255)."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, shape, dtype=np.uint8)
    b = np.clip(a.astype(np.int64) + rng.integers(-noise, noise + 1, shape), 0, 255).astype(np.uint8)
    return a, b


def celeba_faces(data_dir: Path, n: int = 3) -> list[np.ndarray]:
    """The first ``n`` CelebA faces, RGB uint8 at 178x218 (raw) — tests pick their own crops/sizes."""
    folder = data_dir / "celeba" / "img_align_celeba"
    paths = sorted(folder.glob("*.jpg"))[:n]
    assert len(paths) == n, f"expected {n} faces in {folder}"
    return [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for p in paths]


def protocol_128(face: np.ndarray) -> np.ndarray:
    """Centre 178x178 crop (rows 20–197) resized to 128x128 with INTER_AREA, as the protocol does."""
    return cv2.resize(face[20:198], (128, 128), interpolation=cv2.INTER_AREA)


@lru_cache(maxsize=1)
def real_pairs(data_dir: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """Face pairs at both sizes: (face, blurred), (face, Telea-filled box hole), (face, another face).

    Cached for the session: callers must not modify the arrays.
    """
    faces = celeba_faces(data_dir)
    pairs = []
    for imgs in (faces, [protocol_128(f) for f in faces]):
        a = imgs[0]
        hole = np.zeros(a.shape[:2], np.uint8)
        hole[30:70, 40:90] = 255
        pairs.append((a, cv2.GaussianBlur(a, (5, 5), 1.2)))
        pairs.append((a, cv2.inpaint(a, hole, 3, cv2.INPAINT_TELEA)))
        pairs.append((imgs[1], imgs[2]))
    return pairs
