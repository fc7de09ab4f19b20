"""Fast encoder-decoder generators, built for quality per CPU FLOP.

``fillnet`` follows LaMa's lesson — go down early, spend the compute on cheap large-receptive-field
blocks at low resolution — with two additions for thin holes, which dominate the small mask bands:

1. A non-learned **push-pull fill** (a mask-aware image pyramid, :func:`push_pull_fill`) gives every
   hole pixel a smooth first guess from its surroundings at any size, for a few MFLOP; the network
   predicts a correction on top of it (``pred = coarse + residual``), so a freshly initialised
   network already fills thin scratches about as well as a diffusion method.
2. A **full-resolution path** without full-resolution convolutions: pixel-unshuffle (space-to-depth)
   in, pixel-shuffle out, so every input pixel reaches the network and every output pixel is
   predicted individually while the convolutions run at 1/2 resolution and below.

Shapes for a 128² input with the default widths (48, 96, 192) as (c1, c2, c3)::

    x = [masked, mask, coarse]           [B,7,128,128]
    unshuffle2 -> conv3x3                [B,c1,64,64]    e1
    conv3x3 s2                           [B,c2,32,32]    e2
    conv3x3 s2                           [B,c3,16,16]
    n_blocks x dilated residual block    [B,c3,16,16]   receptive field > the image
    1x1, up2, + e2, conv3x3              [B,c2,32,32]
    1x1, up2, + e1, conv3x3              [B,c1,64,64]
    conv3x3 -> 12, pixel-shuffle2        [B,3,128,128]   residual
    pred = coarse + residual

``refine=r`` adds a full-resolution stage after the decoder, ``pred + conv(act(conv(act(conv([pred, mask])))))``
with ``r`` channels (zero at the start, so it warm-starts from a model without it).

``blur_out=True`` smooths the residual with a fixed separable [1, 2, 1] / 4 filter after the pixel-shuffle: the
filter is zero at the 2-pixel period, so the sub-pixel checkerboard that a pixel-shuffle output draws cheaply
when a texture loss asks for high frequencies (docs/training.md, "The realism stage") cannot be drawn at all.

``antialias=True`` applies the same filter before both stride-2 convolutions and after both upsamplings (the
anti-aliased down- and upsampling of Zhang 2019 and StyleGAN3): without it, a stride-2 convolution folds high
frequencies into a grid of period 4 or 8 px at full size, and a bilinear 2x upsampling leaves images at the same
periods — the lattice that texture losses grow (docs/training.md). No new weights, so it warm-starts from a
model without it.

``attention=True`` adds contextual attention after the blocks (:mod:`~inpaintkit.models.attention`): each hole
cell at 1/8 resolution takes a softmax mix of the features of the known cells whose 3x3 surroundings look most
like its own, so a wide hole can be painted with what the photo shows elsewhere (zero at the start: it
warm-starts from a model without it).

It is fully convolutional (any size that is a multiple of 8; the contract pads). ``spectral=k`` (``fillnet-ffc``)
adds a global Fourier unit to the last k blocks (:mod:`~inpaintkit.models.fourier`): LaMa's idea of a receptive
field as large as the image, for holes wider than the dilated blocks reach at 512 px and above.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from inpaintkit.models.attention import ContextualAttention
from inpaintkit.models.base import InpaintingNetwork
from inpaintkit.models.fourier import SpectralUnit
from inpaintkit.models.registry import register_model


def push_pull_fill(masked: Tensor, mask: Tensor, levels: int = 10, eps: float = 1e-6) -> Tensor:
    """Fill holes by mask-weighted averaging down an image pyramid and filling back up.

    Push: ``X_{l+1} = avgpool(X_l * K_l) / avgpool(K_l)`` with known weight ``K_{l+1} = avgpool(K_l)``;
    pull: ``X_l <- K'_l * X_l + (1 - K'_l) * up(X_{l+1})`` with ``K'_l = min(1, 4 K_l)`` (a soft known-ness).
    Known pixels keep their value (``K = 1`` there). The number of levels is fixed (not derived from the
    size) so the graph exports to ONNX with dynamic height and width; cells of the coarsest level with no
    known pixel take the mean of all known pixels.

    Args:
        masked: [B,C,H,W] image with holes zeroed.
        mask: [B,1,H,W], 1 = hole.
        levels: pyramid depth; 10 reaches 1x1 for images up to 1024 pixels.
    Returns:
        [B,C,H,W] image whose holes hold a smooth interpolation of the known pixels.

    Example:
        >>> x = torch.ones(1, 3, 8, 8); m = torch.zeros(1, 1, 8, 8); m[..., 2:5, 2:5] = 1
        >>> bool(torch.allclose(push_pull_fill(x * (1 - m), m), x))
        True
    """
    known = 1.0 - mask
    pyramid = []
    x, k = masked * known, known
    for _ in range(levels):
        pyramid.append((x, k))
        ks = F.avg_pool2d(k, 2, ceil_mode=True)
        x = F.avg_pool2d(x * k, 2, ceil_mode=True) / ks.clamp_min(eps)
        k = ks
    mean = (masked * known).sum((2, 3), keepdim=True) / known.sum((2, 3), keepdim=True).clamp_min(eps)
    x = torch.where(k > eps, x, mean)
    for xl, kl in reversed(pyramid):
        up = F.interpolate(x, size=xl.shape[-2:], mode="bilinear", align_corners=False)
        w = (kl * 4.0).clamp(max=1.0)
        x = w * xl + (1.0 - w) * up
    return x


class ResBlock(nn.Module):
    """Residual block of two dilated 3x3 convolutions, ``x + conv(act(conv(x)))``, and with ``spectral`` a
    parallel global branch (:class:`~inpaintkit.models.fourier.SpectralUnit`, zero at the start):
    ``x + conv(act(conv(x))) + spectral(x)``."""

    def __init__(self, ch: int, dilation: int, spectral: bool = False):
        super().__init__()
        self.conv1 = nn.Conv2d(ch, ch, 3, padding=dilation, dilation=dilation)
        self.conv2 = nn.Conv2d(ch, ch, 3, padding=1)
        self.act = nn.LeakyReLU(0.2, inplace=True)
        self.spectral = SpectralUnit(ch, ch // 2) if spectral else None

    def forward(self, x: Tensor) -> Tensor:
        y = x + self.conv2(self.act(self.conv1(x)))
        return y if self.spectral is None else y + self.spectral(x)


def blur121(x: Tensor) -> Tensor:
    """Separable [1, 2, 1] / 4 smoothing of each channel of ``x`` [B,C,H,W] (replicate borders); zero response at
    the 2-pixel period.

    Example:
        >>> checker = (torch.arange(4)[:, None] + torch.arange(4)[None, :]) % 2 * 2.0 - 1  # +-1 checkerboard
        >>> bool(blur121(checker[None, None])[..., 1:3, 1:3].abs().max() < 1e-6)
        True
    """
    c = x.shape[1]
    k = x.new_tensor([0.25, 0.5, 0.25])
    x = F.conv2d(F.pad(x, (1, 1, 0, 0), mode="replicate"), k.view(1, 1, 1, 3).expand(c, 1, 1, 3), groups=c)
    return F.conv2d(F.pad(x, (0, 0, 1, 1), mode="replicate"), k.view(1, 1, 3, 1).expand(c, 1, 3, 1), groups=c)


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1), nn.LeakyReLU(0.2, inplace=True))


class FillNet(InpaintingNetwork):
    multiple = 8

    def __init__(self, widths: tuple[int, int, int] = (48, 96, 192), n_blocks: int = 6,
                 dilations: tuple[int, ...] = (1, 2, 4, 8), coarse: bool = True, spectral: int = 0,
                 blur_out: bool = False, refine: int = 0, antialias: bool = False, attention: bool = False):
        super().__init__()
        widths = tuple(int(w) for w in widths)
        dilations = tuple(int(d) for d in dilations)
        if not 0 <= int(spectral) <= n_blocks:
            raise ValueError(f"spectral must be from 0 to n_blocks ({n_blocks}), got {spectral}")
        self.config = {"widths": list(widths), "n_blocks": n_blocks, "dilations": list(dilations), "coarse": coarse}
        if spectral:  # only when used, so the configs of the shipped plain models stay as they were
            self.config["spectral"] = int(spectral)
        if blur_out:
            self.config["blur_out"] = True
        if antialias:
            self.config["antialias"] = True
        if attention:
            self.config["attention"] = True
        self.blur_out = bool(blur_out)
        self.aa = blur121 if antialias else nn.Identity()
        self.refine = None
        if refine:  # a full-resolution stage on [pred, mask]; its last layer starts at zero
            self.config["refine"] = int(refine)
            r = int(refine)
            self.refine = nn.Sequential(_conv(4, r), _conv(r, r), nn.Conv2d(r, 3, 3, padding=1))
            nn.init.zeros_(self.refine[-1].weight)
            nn.init.zeros_(self.refine[-1].bias)
        c1, c2, c3 = widths
        self.attention = ContextualAttention(c3) if attention else None  # after the blocks, zero at the start
        self.coarse = coarse
        cin = 4 * (7 if coarse else 4)
        self.stem = _conv(cin, c1)
        self.down1 = _conv(c1, c2, stride=2)
        self.down2 = _conv(c2, c3, stride=2)
        self.blocks = nn.Sequential(*[ResBlock(c3, dilations[i % len(dilations)], spectral=i >= n_blocks - spectral)
                                      for i in range(n_blocks)])  # the last `spectral` blocks see the whole map
        self.lat2 = nn.Conv2d(c3, c2, 1)
        self.dec2 = _conv(c2, c2)
        self.lat1 = nn.Conv2d(c2, c1, 1)
        self.dec1 = _conv(c1, c1)
        self.out = nn.Conv2d(c1, 12, 3, padding=1)
        nn.init.zeros_(self.out.weight)  # start as the push-pull fill
        nn.init.zeros_(self.out.bias)

    def forward(self, masked: Tensor, mask: Tensor) -> Tensor:
        if self.coarse:
            with torch.autocast(masked.device.type, enabled=False):  # the first guess stays in fp32
                coarse = push_pull_fill(masked.float(), mask.float())  # [B,3,H,W]
            x = torch.cat([masked, mask, coarse], 1)  # [B,7,H,W]
        else:
            coarse = masked
            x = torch.cat([masked, mask], 1)
        aa = self.aa  # antialias: low-pass before every stride-2 convolution and after every upsampling
        e1 = self.stem(F.pixel_unshuffle(x, 2))  # [B,c1,H/2,W/2]
        e2 = self.down1(aa(e1))  # [B,c2,H/4,W/4]
        x = self.blocks(self.down2(aa(e2)))  # [B,c3,H/8,W/8]
        if self.attention is not None:  # copy features from known cells into the hole's cells
            x = self.attention(x, mask)
        x = self.dec2(aa(F.interpolate(self.lat2(x), scale_factor=2, mode="bilinear", align_corners=False)) + e2)
        x = self.dec1(aa(F.interpolate(self.lat1(x), scale_factor=2, mode="bilinear", align_corners=False)) + e1)
        residual = F.pixel_shuffle(self.out(x), 2).float()  # [B,3,H,W]
        pred = coarse + (blur121(residual) if self.blur_out else residual)
        if self.refine is not None:  # convolutions at full size: detail that no 2x2 sub-pixel phase decides
            pred = pred + self.refine(torch.cat([pred, mask.to(pred.dtype)], 1).to(x.dtype)).float()
        return pred


@register_model(name="fillnet")
def fillnet(**kw) -> FillNet:
    """The default encoder-decoder generator: widths (48, 96, 192), 6 blocks, 4.3 M parameters, 2.7 GFLOP per 128² image."""
    return FillNet(**kw)


@register_model(name="fillnet-ffc")
def fillnet_ffc(**kw) -> FillNet:
    """``fillnet`` whose last 3 blocks add a global Fourier unit (receptive field: the whole image at any size;
    exports to ONNX), 4.8 M parameters. Starts as ``fillnet`` when warm-started from its weights."""
    kw.setdefault("spectral", 3)
    return FillNet(**kw)


@register_model(name="fillnet-s")
def fillnet_s(**kw) -> FillNet:
    """A smaller, faster variant: widths (32, 64, 128), 4 blocks, 1.3 M parameters, 0.9 GFLOP per 128² image."""
    kw.setdefault("widths", (32, 64, 128))
    kw.setdefault("n_blocks", 4)
    return FillNet(**kw)
