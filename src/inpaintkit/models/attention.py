r"""Contextual attention: hole features copied from the known places that look most like their surroundings.

A convolutional generator paints a hole from what its filters learned, so the interior of a wide hole becomes
the blended colour of its rim — the "ghost" of a removed object, a smear in its shape. PatchMatch instead
copies whole patches from elsewhere in the photo, which is why it wins by eye on object removal. Contextual
attention (Yu et al., *Generative Image Inpainting with Contextual Attention*, CVPR 2018, DeepFill) gives the
network that copy as a layer it learns to use: at 1/8 resolution each cell compares its 3x3 neighbourhood of
(projected, normalised) features with that of every known cell and takes a softmax-weighted mix of their
features::

    k      = normalise(unfold3x3(conv1x1(x)))              [B,9K,N]  N = h*w cells
    s      = scale * k^T k + 1e4 * (known - 1)              [B,N,N]   known cells only, as keys
    a      = softmax(s, keys)
    y      = conv1x1(v a^T)                                 [B,C,h,w] v = conv1x1(x); last conv zero at start
    out    = x + hole_fraction * y

A cell is known when none of its 8x8 pixels is a hole; ``hole_fraction`` (the share of hole pixels in each
cell) keeps known cells as they were. The last convolution starts at zero, so a network warm-started from one
without the layer computes the same thing until training opens it. Only MatMul, Softmax, Pad, Slice, Concat and
convolutions: it exports to ONNX with dynamic height and width. The score matrix is ``N x N``: 16 M entries for
a 512² input (64x64 cells), which is why it runs at 1/8 resolution.

Example:
    >>> att = ContextualAttention(8)
    >>> x = torch.randn(1, 8, 4, 4); m = torch.zeros(1, 1, 32, 32); m[..., 8:24, 8:24] = 1
    >>> bool(torch.equal(att(x, m), x))  # the output convolution starts at zero
    True
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["ContextualAttention", "patches3x3"]


def patches3x3(x: Tensor) -> Tensor:
    """The 3x3 neighbourhood of every cell stacked on channels, zero beyond the border: [B,C,h,w] -> [B,9C,h,w]
    (``F.unfold`` written as 9 slices, so that it exports to ONNX at any size)."""
    h, w = x.shape[-2:]
    p = F.pad(x, (1, 1, 1, 1))
    return torch.cat([p[..., dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)], 1)


class ContextualAttention(nn.Module):
    """``x + hole_fraction * conv(softmax(scale * keys . keys) values)`` over the known cells (module docstring).

    Args:
        ch: channels of the feature map.
        key_ch: channels of the projection that cells are compared in (9x that per 3x3 neighbourhood).
        cell: pixels per cell side at full resolution (the feature map's stride: 8 in ``fillnet``).
    """

    def __init__(self, ch: int, key_ch: int = 32, cell: int = 8):
        super().__init__()
        self.cell = int(cell)
        self.key = nn.Conv2d(ch, key_ch, 1)
        self.value = nn.Conv2d(ch, ch, 1)
        self.out = nn.Conv2d(ch, ch, 1)
        self.log_scale = nn.Parameter(torch.tensor(2.3))  # softmax sharpness exp(2.3) ~ 10, DeepFill's value
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """x: [B,C,h,w] features; mask: [B,1,h*cell,w*cell], 1 = hole. Returns [B,C,h,w]."""
        m = mask.to(x.dtype)
        hole_frac = F.avg_pool2d(m, self.cell)  # [B,1,h,w]
        known = 1.0 - F.max_pool2d(m, self.cell)  # [B,1,h,w], 1 = no hole pixel in the cell
        k = patches3x3(self.key(x)).flatten(2)  # [B,9K,N]
        k = k / (k.norm(dim=1, keepdim=True) + 1e-4)
        scores = torch.matmul(k.transpose(1, 2), k) * self.log_scale.exp()  # [B,N,N]: query x key
        scores = scores + (known.flatten(2) - 1.0) * 1e4  # hole cells are never copied from
        attn = torch.softmax(scores, dim=-1)
        v = self.value(x).flatten(2)  # [B,C,N]
        y = torch.matmul(v, attn.transpose(1, 2)).reshape_as(x)  # [B,C,h,w]
        return x + hole_frac * self.out(y)
