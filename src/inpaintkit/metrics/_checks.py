"""Input checks shared by the metrics: one-line ``ValueError`` messages, nothing else."""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


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


def check_float_pair(pred: Tensor, target: Tensor) -> None:
    """Both must be floating-point tensors of the same [B,C,H,W] shape."""
    for name, x in (("pred", pred), ("target", target)):
        if not isinstance(x, Tensor):
            raise ValueError(f"{name} must be a torch tensor, got {type(x).__name__}")
        if not torch.is_floating_point(x):
            raise ValueError(f"{name} must be a floating-point tensor, got {x.dtype}")
        if x.ndim != 4:
            raise ValueError(f"{name} must be [B,C,H,W], got shape {tuple(x.shape)}")
    if pred.shape != target.shape:
        raise ValueError(f"shapes differ: {tuple(pred.shape)} vs {tuple(target.shape)}")


def check_tensor_mask(mask: Tensor, pred: Tensor) -> Tensor:
    """``mask`` [B,1,H,W] (1 / True = hole) → float hole weights {0, 1} in ``pred``'s dtype."""
    if not isinstance(mask, Tensor):
        raise ValueError(f"mask must be a torch tensor, got {type(mask).__name__}")
    b, _, h, w = pred.shape
    if mask.shape != (b, 1, h, w):
        raise ValueError(f"mask must be [B,1,H,W] = {(b, 1, h, w)}, got {tuple(mask.shape)}")
    return (mask > 0.5).to(pred.dtype)
