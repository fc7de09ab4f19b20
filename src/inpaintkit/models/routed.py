"""Routing by hole width: an accurate network near the hole's edge, a realistic (adversarial) one deep inside.

Thin scratches are best filled by a network trained for accuracy (the truth there is nearly determined by
the neighbours); the interior of a wide hole is not determined, and a network trained to be accurate
paints the blur that is the average of all plausible fills. ``routed`` runs both and blends by the hole
depth ``d`` (chessboard distance, in pixels, from the nearest known pixel)::

    a = accurate(masked, mask)            [B,3,H,W]
    r = realistic(masked, mask)           [B,3,H,W]
    d = depth(mask)                       [B,1,H,W]   0 outside the hole, 1 on its edge, ... up to ``far``
    w = clamp((d - near) / (far - near), 0, 1)
    pred = (1 - w) * a + w * r

So a scratch up to ``2 * near`` pixels wide comes from ``accurate`` alone and a hole interior more than
``far`` pixels from the edge from ``realistic`` alone. ``depth`` is ``far`` erosions of the hole by a 3x3
max-pool, so the model exports to ONNX with dynamic size like the networks it wraps.

Example:
    >>> import torch
    >>> net = routed(accurate={"widths": (8, 16, 32), "n_blocks": 1}, realistic={"widths": (8, 16, 32), "n_blocks": 1})
    >>> net(torch.rand(1, 3, 32, 32), torch.zeros(1, 1, 32, 32)).shape
    torch.Size([1, 3, 32, 32])
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from inpaintkit.models.base import InpaintingNetwork
from inpaintkit.models.generators import FillNet
from inpaintkit.models.registry import register_model


def hole_depth(mask: Tensor, far: int) -> Tensor:
    """Chessboard distance of each hole pixel from the nearest known pixel, capped at ``far``. [B,1,H,W] -> same.

    Outside the hole 0; pixels of the hole touching a known pixel 1; the image border counts as known
    only where known pixels are (a hole that covers the whole image is ``far`` deep everywhere).

    Example:
        >>> m = torch.zeros(1, 1, 1, 7); m[..., 1:6] = 1
        >>> hole_depth(m, 5)[0, 0, 0].tolist()
        [0.0, 1.0, 2.0, 3.0, 2.0, 1.0, 0.0]
    """
    depth = mask.clone()
    inner = mask
    for _ in range(far - 1):
        known = F.max_pool2d(1.0 - inner, 3, stride=1, padding=1)  # padding with -inf: the border is not "known"
        inner = inner * (1.0 - known)  # erode the hole by one pixel
        depth = depth + inner
    return depth


def depth_weight(mask: Tensor, near: int, far: int) -> Tensor:
    """``clamp((hole_depth(mask) - near) / (far - near), 0, 1)``: 0 within ``near`` px of the hole's edge, 1 from
    ``far`` px on. [B,1,H,W] -> same."""
    return ((hole_depth(mask, far) - near) / (far - near)).clamp(0.0, 1.0)


class RoutedFill(InpaintingNetwork):
    def __init__(self, accurate: dict | None = None, realistic: dict | None = None, near: int = 1, far: int = 8):
        super().__init__()
        if not 0 <= int(near) < int(far) <= 256:
            raise ValueError(f"need 0 <= near < far <= 256, got near={near} far={far}")
        self.accurate = FillNet(**(accurate or {}))
        self.realistic = FillNet(**(realistic or {}))
        self.near, self.far = int(near), int(far)
        self.multiple = max(self.accurate.multiple, self.realistic.multiple)
        self.config = {"accurate": self.accurate.config, "realistic": self.realistic.config, "near": self.near, "far": self.far}

    def weight(self, mask: Tensor) -> Tensor:
        """How much of ``realistic`` each pixel takes: [B,1,H,W] in [0, 1]."""
        return depth_weight(mask, self.near, self.far)

    def forward(self, masked: Tensor, mask: Tensor) -> Tensor:
        a = self.accurate(masked, mask)  # [B,3,H,W]
        r = self.realistic(masked, mask)
        with torch.autocast(masked.device.type, enabled=False):
            w = self.weight(mask.float())  # [B,1,H,W]
        return torch.lerp(a.float(), r.float(), w)


@register_model(name="routed")
def routed(**kw) -> RoutedFill:
    """Two ``fillnet`` generators blended by hole depth: ``accurate`` within ``near`` px of the edge, ``realistic`` beyond ``far``."""
    return RoutedFill(**kw)
