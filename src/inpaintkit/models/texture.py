"""Texture transfer: a network's fill for structure and colour, PatchMatch's fill for texture deep in wide holes.

An accurate network (trained for PSNR) fills a wide hole with the mean of all plausible fills: right colours
and shapes, no texture. PatchMatch (:mod:`~inpaintkit.models.classical`) copies real texture from the photo
but gets colours and structure wrong more often. ``NAME+texture`` (e.g. ``general+texture``) takes the low
frequencies from the network and the high frequencies from PatchMatch, away from the hole's edge, where the
network alone is accurate (the idea of structure/texture decomposition, Bertalmio et al. 2003)::

    n = net.fill(image, mask)                         [B,3,H,W]   accurate, smooth
    p = patchmatch.fill(image, mask)                  [B,3,H,W]   textured
    t = blur(n) + (p - blur(p))                       blur: Gaussian, sigma px
    w = clamp((depth(mask) - near) / (far - near), 0, 1)          (see models/routed.py)
    out = (1 - w) * n + w * t

It costs one PatchMatch per image on top of the network (about 0.5 s at 256², 2 s at 512² on one core) and
runs only with PyTorch (not ONNX).
"""
from __future__ import annotations

import cv2
import numpy as np
import torch
from torch import Tensor

from inpaintkit.models.base import run_contract
from inpaintkit.models.routed import depth_weight


class TextureFill:
    """``.fill`` of ``base`` with PatchMatch's high frequencies added where the hole is deeper than ``near`` px."""

    multiple = 1

    def __init__(self, base, sigma: float = 3.0, near: int = 1, far: int = 6):
        from inpaintkit.models.registry import create_model

        if not sigma > 0 or not 0 <= near < far:
            raise ValueError(f"need sigma > 0 and 0 <= near < far, got sigma={sigma} near={near} far={far}")
        self.base = base
        self.patchmatch = create_model("patchmatch")
        self.sigma, self.near, self.far = float(sigma), int(near), int(far)

    def __getattr__(self, name):  # flip_average, bf16, eval(), ... reach the network
        if name == "base":
            raise AttributeError(name)
        return getattr(self.base, name)

    def __setattr__(self, name, value):
        if name in ("flip_average", "bf16"):
            setattr(self.base, name, value)
        else:
            object.__setattr__(self, name, value)

    def _blur(self, x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x, (0, 0), self.sigma, borderType=cv2.BORDER_REFLECT_101)

    def _predict(self, masked: Tensor, mask: Tensor) -> Tensor:
        smooth = self.base.fill(masked, mask).float()  # [B,3,H,W]
        textured = self.patchmatch.fill(masked, mask).float()
        w = depth_weight(mask.float(), self.near, self.far)  # [B,1,H,W]
        out = []
        for n, p in zip(smooth, textured):
            n_, p_ = n.permute(1, 2, 0).numpy(), p.permute(1, 2, 0).numpy()  # [H,W,3]
            out.append(torch.from_numpy(self._blur(n_) + p_ - self._blur(p_)).permute(2, 0, 1))
        return torch.lerp(smooth, torch.stack(out).clamp(0, 1), w)

    @torch.no_grad()
    def fill(self, image: Tensor, mask: Tensor) -> Tensor:
        return run_contract(self._predict, image, mask, self.multiple)

    def __repr__(self) -> str:
        return f"TextureFill({type(self.base).__name__}, sigma={self.sigma}, near={self.near}, far={self.far})"
