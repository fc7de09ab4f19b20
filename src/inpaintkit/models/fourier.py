r"""A Fourier unit whose receptive field is the whole image, written with matrix products so it exports to ONNX.

LaMa's Fast Fourier Convolution mixes every position of a feature map with every other through a 1x1
convolution in the frequency domain, which is what lets it continue a brick wall or a fence across a hole
wider than any convolution's reach. Its ``torch.fft`` calls famously do not export to ONNX (lama #84). Here
the 2-D real DFT is done as products with cosine / sine matrices built from the input's own size at run
time, so the graph has only MatMul, Cos, Sin and elementwise ops and takes any height and width. At the 1/8
resolution where it runs (32x32 for a 256² photo, 64x64 for 512²) the products cost little.

For ``x`` [B,C,H,W] (orthonormal scaling; the full spectrum, not the half of ``rfft2``, because slicing
to ``W // 2 + 1`` bins would freeze the width in a traced graph)::

    X  = F_H x F_W                              complex [B,C,H,W]
    Y  = conv1x1(act(conv1x1([Re X, Im X])))    [B,2C,H,W] -> Re Y, Im Y
    y  = Re(F_H^-1 Y F_W^-1)                    real [B,C,H,W]

Example:
    >>> x = torch.randn(2, 3, 6, 8)
    >>> re, im = dft2(x); ref = torch.fft.fft2(x, norm="ortho")
    >>> bool(torch.allclose(re, ref.real, atol=1e-5) and torch.allclose(im, ref.imag, atol=1e-5))
    True
    >>> back, _ = dft2(re, im, inverse=True)
    >>> bool(torch.allclose(back, x, atol=1e-5))
    True
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn


def _positions(v: Tensor) -> tuple[Tensor, Tensor]:
    """``(arange(n), n)`` as float tensors for a 1-D tensor ``v`` of length n, computed from ``v`` itself so that
    a traced (ONNX) graph keeps them dynamic (``torch.arange(x.shape[-1])`` would be frozen at the sample size)."""
    ones = torch.ones_like(v)
    return torch.cumsum(ones, 0) - 1, ones.sum()


def _dft(x: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """cos, sin of the DFT along H ([H,H]), cos, sin along W ([W,W]) for ``x`` [B,C,H,W], and ``1/sqrt(HW)``."""
    v = x[0, 0].float()
    nh, h = _positions(v[:, 0])
    nw, w = _positions(v[0, :])
    ah = (2.0 * math.pi / h) * nh[:, None] * nh[None, :]
    aw = (2.0 * math.pi / w) * nw[:, None] * nw[None, :]
    return torch.cos(ah), torch.sin(ah), torch.cos(aw), torch.sin(aw), torch.rsqrt(h * w)


def dft2(xr: Tensor, xi: Tensor | None = None, inverse: bool = False) -> tuple[Tensor, Tensor]:
    """Orthonormal 2-D DFT (``torch.fft.fft2(..., norm="ortho")``, or its inverse) of ``xr + i xi`` [B,C,H,W].

    Returns (real, imaginary), each [B,C,H,W]. ``xi=None`` is a real input. The matrices are symmetric, so
    ``M x`` along H is ``c @ x`` and along W is ``x @ c``; the inverse flips the sign of the sines.
    """
    ch, sh, cw, sw, scale = _dft(xr)
    if inverse:
        sh, sw = -sh, -sw
    if xi is None:
        ar, ai = xr @ cw, -(xr @ sw)  # along W: x (cos - i sin)
    else:
        ar, ai = xr @ cw + xi @ sw, xi @ cw - xr @ sw
    return (ch @ ar + sh @ ai) * scale, (ch @ ai - sh @ ar) * scale  # along H


class SpectralUnit(nn.Module):
    """``y = Re idft2(conv(act(conv([Re, Im] of dft2(x)))))``: a 1x1 convolution over every frequency of the map.

    ``out`` starts at zero, so a block that adds this unit to a trained network starts as that network.
    """

    def __init__(self, ch: int, hidden: int | None = None):
        super().__init__()
        hidden = hidden or ch
        self.inp = nn.Conv2d(2 * ch, 2 * hidden, 1)
        self.act = nn.LeakyReLU(0.2, inplace=True)
        self.out = nn.Conv2d(2 * hidden, 2 * ch, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: Tensor) -> Tensor:
        with torch.autocast(x.device.type, enabled=False):  # the transforms stay in fp32
            yr, yi = dft2(x.float())  # [B,C,H,W] each
        y = self.out(self.act(self.inp(torch.cat([yr, yi], 1).to(x.dtype))))  # [B,2C,H,W]
        yr, yi = y.float().chunk(2, 1)
        with torch.autocast(x.device.type, enabled=False):
            return dft2(yr, yi, inverse=True)[0].to(x.dtype)  # the real part, [B,C,H,W]
