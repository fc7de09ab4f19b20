"""``seed-unet``: the small Keras U-Net the project started from, layer for layer — the baseline row.

Input is the masked image only (3 channels, no mask channel), 128x128x3 in the seed::

    x [B,3,H,W] -> Conv3x3(64, relu)            = e1 [B,64,H,W]
    maxpool2 -> Conv3x3(128, relu)              = e2 [B,128,H/2,W/2]
    maxpool2                                       [B,128,H/4,W/4]
    upsample2 -> concat e2 -> Conv3x3(128, relu)   [B,128,H/2,W/2]
    upsample2 -> concat e1 -> Conv3x3(64, relu)    [B,64,H,W]
    Conv3x3(3, sigmoid)                            [B,3,H,W]

The seed trained it with MSE, Adam lr 1e-4, batch 32 (``configs/seed-unet.json``). Keras'
``UpSampling2D`` is nearest-neighbour and ``padding="same"`` is zero padding, as here.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from inpaintkit.models.base import InpaintingNetwork
from inpaintkit.models.registry import register_model


class SeedUNet(InpaintingNetwork):
    multiple = 4

    def __init__(self, width: int = 64):
        super().__init__()
        self.config = {"width": width}
        c1, c2 = width, 2 * width
        self.conv1 = nn.Conv2d(3, c1, 3, padding=1)
        self.conv2 = nn.Conv2d(c1, c2, 3, padding=1)
        self.conv3 = nn.Conv2d(c2 + c2, c2, 3, padding=1)
        self.conv4 = nn.Conv2d(c2 + c1, c1, 3, padding=1)
        self.out = nn.Conv2d(c1, 3, 3, padding=1)

    def forward(self, masked: Tensor, mask: Tensor) -> Tensor:
        e1 = F.relu(self.conv1(masked))  # [B,64,H,W]
        e2 = F.relu(self.conv2(F.max_pool2d(e1, 2)))  # [B,128,H/2,W/2]
        x = F.max_pool2d(e2, 2)  # [B,128,H/4,W/4]
        x = F.relu(self.conv3(torch.cat([F.interpolate(x, scale_factor=2, mode="nearest"), e2], 1)))
        x = F.relu(self.conv4(torch.cat([F.interpolate(x, scale_factor=2, mode="nearest"), e1], 1)))
        return torch.sigmoid(self.out(x))  # [B,3,H,W]


@register_model(name="seed-unet")
def seed_unet(**kw) -> SeedUNet:
    """The seed's plain U-Net (width 64), kept as the baseline the other generators are measured against."""
    return SeedUNet(**kw)
