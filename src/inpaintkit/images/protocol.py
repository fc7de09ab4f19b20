"""The evaluation protocol's preprocessing and the inference contract's tensor conversions.

The protocol (``../shared/data/README.md``): an image is decoded as 8-bit RGB, its centre square is cut out
(a 178x218 CelebA face keeps rows 20-197) and resized with ``cv2.INTER_AREA``; a mask file is resized to the
image size with ``cv2.INTER_NEAREST`` and *then* thresholded (:func:`inpaintkit.images.read_mask`).

>>> import numpy as np
>>> face = np.zeros((218, 178, 3), np.uint8)
>>> preprocess(face, 128).shape
(128, 128, 3)

Arrays are numpy ``uint8 [H,W,3]`` RGB and ``bool [H,W]`` masks (True = hole); tensors are torch float
``[3,H,W]`` in [0,1] and ``[1,H,W]`` masks (1 = hole), as the inference contract in ``models/base.py`` wants.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:  # the tensor conversions import torch when called; the rest is torch-free
    import torch


def _check_rgb(img: np.ndarray, name: str = "img") -> None:
    if not isinstance(img, np.ndarray) or img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        got = f"{img.dtype} {img.shape}" if isinstance(img, np.ndarray) else type(img).__name__
        raise ValueError(f"{name} must be a uint8 [H,W,3] RGB array, got {got}")


def center_square_crop(img: np.ndarray) -> np.ndarray:
    """The centre square of an [H,W,...] array: side min(H,W), offsets (H-side)//2 and (W-side)//2.

    A 178x218 (w x h) CelebA face keeps rows 20..197 and all columns.
    """
    h, w = img.shape[:2]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    return img[top : top + s, left : left + s]


def preprocess(img: np.ndarray, size: int) -> np.ndarray:
    """The protocol: centre square crop, then ``cv2.resize(..., (size, size), interpolation=cv2.INTER_AREA)``.

    uint8 [H,W,3] in, uint8 [size,size,3] out (a copy).
    """
    _check_rgb(img)
    if int(size) < 1:
        raise ValueError(f"size must be positive, got {size}")
    size = int(size)
    sq = np.ascontiguousarray(center_square_crop(img))
    if sq.shape[0] == size:
        return sq.copy()
    return cv2.resize(sq, (size, size), interpolation=cv2.INTER_AREA)


def to_tensor(img: np.ndarray) -> torch.Tensor:
    """uint8 [H,W,3] -> float32 [3,H,W] in [0,1] (value / 255)."""
    import torch

    _check_rgb(img)
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1).float().div_(255.0)


def to_array(img: np.ndarray) -> np.ndarray:
    """uint8 [H,W,3] -> float32 [3,H,W] in [0,1] (value / 255): :func:`to_tensor` as a numpy array (no torch)."""
    _check_rgb(img)
    return np.ascontiguousarray(np.transpose(img, (2, 0, 1))).astype(np.float32) / np.float32(255.0)


def mask_to_tensor(mask: np.ndarray) -> torch.Tensor:
    """bool [H,W] (True = hole) -> float32 [1,H,W] with 1 = hole."""
    import torch

    if not isinstance(mask, np.ndarray) or mask.ndim != 2:
        raise ValueError(f"mask must be a [H,W] array, got {getattr(mask, 'shape', type(mask).__name__)}")
    return torch.from_numpy(np.ascontiguousarray(mask, dtype=bool)).float()[None]


def to_uint8(t) -> np.ndarray:
    """float [3,H,W] in [0,1] (a torch tensor or a numpy array) -> uint8 [H,W,3]: ``round(clamp(t, 0, 1) * 255)``."""
    if isinstance(t, np.ndarray) or "torch" not in type(t).__module__:
        if not isinstance(t, np.ndarray) or t.ndim != 3 or t.shape[0] != 3:
            raise ValueError(f"expected a [3,H,W] tensor, got {getattr(t, 'shape', type(t).__name__)}")
        x = np.round(np.clip(t.astype(np.float32, copy=False), 0, 1) * np.float32(255)).astype(np.uint8)
        return np.ascontiguousarray(np.transpose(x, (1, 2, 0)))
    import torch

    if not isinstance(t, torch.Tensor) or t.ndim != 3 or t.shape[0] != 3:
        raise ValueError(f"expected a [3,H,W] tensor, got {getattr(t, 'shape', type(t).__name__)}")
    x = t.detach().to("cpu", torch.float32).clamp(0, 1).mul(255).round().to(torch.uint8)
    return np.ascontiguousarray(x.permute(1, 2, 0).numpy())


