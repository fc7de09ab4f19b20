"""The inference contract on numpy arrays, for the fillers that need no PyTorch (ONNX graphs, classical methods).

The same contract as :func:`inpaintkit.models.base.run_contract`, with the same operations in the same order
in float32, so a filler gives the same result through either:

    image: float32 RGB in [0, 1], shape [B, 3, H, W]
    mask:  float32, shape [B, 1, H, W], 1 = hole, 0 = known
    out:   float32 RGB in [0, 1], shape [B, 3, H, W]; known pixels equal ``image`` exactly

A filler that has ``fill_numpy(image, mask)`` is given numpy arrays by :func:`inpaintkit.tiling.fill_window`
and the evaluator, so filling a photo with it never imports torch; its ``fill`` still takes torch tensors.

>>> import numpy as np
>>> image = np.full((1, 3, 4, 4), 0.5, np.float32); mask = np.zeros((1, 1, 4, 4), np.float32); mask[..., 1, 1] = 1
>>> out = run_contract_np(lambda x, m: np.ones_like(x), image, mask)
>>> float(out[0, 0, 1, 1]), float(out[0, 0, 0, 0])
(1.0, 0.5)
"""
from __future__ import annotations

from typing import Callable

import numpy as np

PredictNp = Callable[[np.ndarray, np.ndarray], np.ndarray]


def check_inputs_np(image: np.ndarray, mask: np.ndarray) -> None:
    """Raise ``ValueError`` with a one-line reason when ``image`` / ``mask`` break the contract."""
    if not isinstance(image, np.ndarray) or not isinstance(mask, np.ndarray):
        raise TypeError("image and mask must be numpy arrays")
    check_shapes(image, mask)


def check_shapes(image, mask) -> None:
    """The contract's shapes (numpy arrays or torch tensors): image [B,3,H,W], mask [B,1,H,W], same B, H, W."""
    if image.ndim != 4 or image.shape[1] != 3:
        raise ValueError(f"image must be [B,3,H,W], got {tuple(image.shape)}")
    if mask.ndim != 4 or mask.shape[1] != 1:
        raise ValueError(f"mask must be [B,1,H,W], got {tuple(mask.shape)}")
    if image.shape[0] != mask.shape[0] or image.shape[2:] != mask.shape[2:]:
        raise ValueError(f"image {tuple(image.shape)} and mask {tuple(mask.shape)} sizes differ")
    if image.shape[2] < 1 or image.shape[3] < 1:
        raise ValueError("image is empty")


def pad_to_multiple_np(x: np.ndarray, multiple: int) -> np.ndarray:
    """Pad the bottom/right of ``x`` [B,C,H,W] up to a multiple of ``multiple`` (reflect, or replicate when too
    small), as :func:`inpaintkit.models.base.pad_to_multiple`."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph == 0 and pw == 0:
        return x
    mode = "reflect" if ph < h and pw < w else "edge"
    return np.pad(x, ((0, 0), (0, 0), (0, ph), (0, pw)), mode=mode)


def flip_averaged_np(forward: PredictNp) -> PredictNp:
    """``forward`` averaged with its fill of the mirrored input: one call on twice the batch (``+flip``)."""

    def predict(x: np.ndarray, m: np.ndarray) -> np.ndarray:
        both = forward(np.concatenate([x, x[..., ::-1]]), np.concatenate([m, m[..., ::-1]]))
        plain, mirrored = np.split(both, 2)
        return np.float32(0.5) * (plain + mirrored[..., ::-1])

    return predict


def run_contract_np(predict: PredictNp, image: np.ndarray, mask: np.ndarray, multiple: int = 1) -> np.ndarray:
    """Fill the holes of ``image`` [B,3,H,W] marked by ``mask`` [B,1,H,W] with ``predict`` (numpy arrays).

    ``predict(masked, mask)`` receives the image with hole pixels set to 0 and the binary mask, both float32,
    contiguous and padded to ``multiple``, and returns a prediction [B,3,H',W'] for every pixel.
    """
    check_inputs_np(image, mask)
    h, w = image.shape[-2:]
    image = np.clip(image.astype(np.float32, copy=False), 0, 1)
    mask = (mask > 0.5).astype(np.float32)
    masked = image * (np.float32(1) - mask)
    pred = predict(np.ascontiguousarray(pad_to_multiple_np(masked, multiple)),
                   np.ascontiguousarray(pad_to_multiple_np(mask, multiple)))
    pred = np.clip(pred[..., :h, :w], 0, 1).astype(np.float32, copy=False)
    return mask * pred + (np.float32(1) - mask) * image


class ClassicalInpainter:
    """A classical method behind the contract: ``fn(masked uint8 HxWx3, hole uint8 HxW {0,255}) -> uint8 HxWx3``.

    ``fill`` takes torch tensors (through :func:`~inpaintkit.models.base.run_contract`), ``fill_numpy`` numpy
    arrays (:func:`run_contract_np`); both give the same pixels, and the latter needs no PyTorch.
    """

    multiple = 1

    def __init__(self, name: str, fn: Callable[[np.ndarray, np.ndarray], np.ndarray]):
        self.name = name
        self.fn = fn

    def _one(self, x: np.ndarray, m: np.ndarray) -> np.ndarray:
        """One image: float [3,H,W] and mask [1,H,W] -> float32 [3,H,W] in [0,1]."""
        img = (np.transpose(x, (1, 2, 0)) * np.float32(255.0)).round().astype(np.uint8)
        hole = ((m[0] > 0.5) * 255).astype(np.uint8)
        res = self.fn(np.ascontiguousarray(img), hole)
        return np.transpose(np.ascontiguousarray(res), (2, 0, 1)).astype(np.float32) / np.float32(255.0)

    def _predict_np(self, masked: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return np.stack([self._one(x, m) for x, m in zip(masked, mask)])

    def _predict(self, masked, mask):
        import torch

        out = []
        for x, m in zip(masked, mask):
            img = (x.permute(1, 2, 0).cpu().numpy() * 255.0).round().astype(np.uint8)
            hole = ((m[0].cpu().numpy() > 0.5) * 255).astype(np.uint8)
            res = self.fn(np.ascontiguousarray(img), hole)
            out.append(torch.from_numpy(np.ascontiguousarray(res)).permute(2, 0, 1).float() / 255.0)
        return torch.stack(out).to(masked.device)

    def fill(self, image, mask):
        """The contract on torch tensors [B,3,H,W] / [B,1,H,W]."""
        from inpaintkit.models.base import run_contract

        return run_contract(self._predict, image, mask, self.multiple)

    def fill_numpy(self, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The contract on numpy arrays (no PyTorch)."""
        return run_contract_np(self._predict_np, image, mask, self.multiple)

    def __repr__(self) -> str:
        return f"ClassicalInpainter({self.name!r})"
