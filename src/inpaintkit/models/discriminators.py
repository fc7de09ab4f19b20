"""Discriminators for adversarial training.

``sn-patchgan``: the SN-PatchGAN of DeepFill v2 (Yu et al. 2019) — stride-2 5x5 convolutions with
spectral normalisation, judging every patch of the image (plus its mask) real or filled. ``forward``
returns the patch logits and the intermediate features (for the feature-matching loss)::

    x = [image, mask]          [B,4,H,W]
    5x5 s2 conv x 5 (64,128,256,256,256), leaky-relu
    logits                     [B,1,H/32,W/32]
"""
from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm


class SNPatchGAN(nn.Module):
    def __init__(self, width: int = 64, n_layers: int = 5):
        super().__init__()
        self.config = {"width": width, "n_layers": n_layers}
        chans = [4] + [min(width * 2**i, width * 4) for i in range(n_layers)]
        self.layers = nn.ModuleList(
            spectral_norm(nn.Conv2d(chans[i], chans[i + 1], 5, stride=2, padding=2)) for i in range(n_layers)
        )
        self.head = spectral_norm(nn.Conv2d(chans[-1], 1, 3, padding=1))
        self.act = nn.LeakyReLU(0.2)

    def forward(self, image: Tensor, mask: Tensor) -> tuple[Tensor, list[Tensor]]:
        x = torch.cat([image * 2 - 1, mask], 1)  # [B,4,H,W]
        feats = []
        for layer in self.layers:
            x = self.act(layer(x))
            feats.append(x)
        return self.head(x), feats  # logits [B,1,h,w]


DISCRIMINATORS = {"sn-patchgan": SNPatchGAN}


def create_discriminator(name: str = "sn-patchgan", **kw) -> nn.Module:
    if name not in DISCRIMINATORS:
        raise ValueError(f"unknown discriminator {name!r}; valid names: {', '.join(DISCRIMINATORS)}")
    return DISCRIMINATORS[name](**kw)
