"""Input checks shared by the metrics: one-line ``ValueError`` messages, nothing else."""
from __future__ import annotations

import numpy as np


def check_uint8_pair(a: np.ndarray, b: np.ndarray) -> None:
    """Both must be uint8 numpy arrays of the same HxWx3 shape."""
    for name, x in (("a", a), ("b", b)):
        if not isinstance(x, np.ndarray):
            raise ValueError(f"{name} must be a numpy array, got {type(x).__name__}")
        if x.dtype != np.uint8:
            raise ValueError(f"{name} must be uint8, got {x.dtype}")
        if x.ndim != 3 or x.shape[2] != 3:
            raise ValueError(f"{name} must be HxWx3, got shape {x.shape}")
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")


def check_bool_mask(mask: np.ndarray, shape: tuple[int, ...]) -> None:
    """``mask`` must be a bool HxW array (True = hole) matching the image's HxW."""
    if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_:
        raise ValueError("mask must be a bool numpy array (True = hole)")
    if mask.shape != tuple(shape[:2]):
        raise ValueError(f"mask must be HxW = {tuple(shape[:2])}, got {mask.shape}")

