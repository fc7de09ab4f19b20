r"""A texture loss without any feature network: the sliced Wasserstein distance between hole patches.

A pixel loss pulls a wide hole to the mean of every plausible fill, a blur. Comparing the *distribution* of
small patches of the fill with that of the truth, inside the hole, asks instead for patches that look like the
truth's — the right amount of edges and grain — without asking for them in the right place. The same idea
generates natural images from raw patches alone (Elnekave & Weiss 2022, GPDM) and underlies the texture
losses of Heitz et al. 2021; here it runs on pixels, so no pretrained network is needed.

For each image ``i`` and each level ``l`` of an average-pooled pyramid (1, 1/2, 1/4 of the size), take the
``p x p x 3`` patches centred on up to ``max_patches`` hole positions of that level (the same positions in fill
and truth), project both sets on ``directions`` random unit vectors ``u_d`` drawn afresh at every call, and
compare the sorted projections:

.. math::

    \mathrm{SWD}_{i,l} = \frac{1}{D N} \sum_{d=1}^{D} \sum_{n=1}^{N}
        \big| \operatorname{sort}(P^{fill}_{i,l}\, u_d)_n - \operatorname{sort}(P^{truth}_{i,l}\, u_d)_n \big|,
    \qquad \texttt{patch\_swd\_img} = \operatorname{mean}_{i \text{ with a hole}}\ \operatorname{mean}_l \mathrm{SWD}_{i,l}

It differs on purpose from the evaluation's :mod:`~inpaintkit.metrics.swd` (Laplacian band-pass levels,
7x7 patches, fixed directions), so training on it does not simply optimise the number we report.

Example:
    >>> import torch
    >>> t = torch.rand(2, 3, 32, 32); m = torch.zeros(2, 1, 32, 32); m[..., 8:24, 8:24] = 1
    >>> float(patch_swd_img(t, t, m))
    0.0
    >>> blur = torch.nn.functional.avg_pool2d(t, 5, 1, 2, count_include_pad=False)
    >>> float(patch_swd_img(blur * m + t * (1 - m), t, m)) > 0.05
    True
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["patch_swd_img"]


def _level_swd(x: Tensor, t: Tensor, m: Tensor, patch: int, directions: int, max_patches: int) -> tuple[Tensor, Tensor]:
    """SWD per image at one level: x, t [B,C,H,W], m [B,1,H,W] (hole > 0). Returns [B] and a [B] bool (has patches).

    Only the sampled patches are gathered (one indexing op per image), never the whole unfolded map."""
    b, c, h, w = x.shape
    r = patch // 2
    xp = F.pad(x, (r, r, r, r), mode="replicate")  # [B,C,H+2r,W+2r]
    tp = F.pad(t, (r, r, r, r), mode="replicate")
    dy, dx = torch.meshgrid(torch.arange(patch, device=x.device), torch.arange(patch, device=x.device), indexing="ij")
    dy, dx = dy.reshape(1, -1), dx.reshape(1, -1)  # [1, p*p]
    u = torch.randn(c * patch * patch, directions, device=x.device, dtype=x.dtype)
    u = u / u.norm(dim=0, keepdim=True)  # [C*p*p, D]
    out = x.new_zeros(b)
    has = torch.zeros(b, dtype=torch.bool, device=x.device)
    holes = m[:, 0] > 0  # [B,H,W]
    for i in range(b):
        ys, xs = holes[i].nonzero(as_tuple=True)  # [N] each
        if ys.numel() == 0:
            continue
        if ys.numel() > max_patches:
            keep = torch.randperm(ys.numel(), device=x.device)[:max_patches]
            ys, xs = ys[keep], xs[keep]
        yy, xx = ys[:, None] + dy, xs[:, None] + dx  # [N, p*p] (padded coordinates of each patch's pixels)
        pf = xp[i][:, yy, xx].permute(1, 0, 2).reshape(len(ys), -1)  # [N, C*p*p]
        pt = tp[i][:, yy, xx].permute(1, 0, 2).reshape(len(ys), -1)
        a = torch.sort(pf @ u, dim=0).values  # [N, D]
        z = torch.sort(pt @ u, dim=0).values
        out[i] = (a - z).abs().mean()
        has[i] = True
    return out, has


def patch_swd_img(pred: Tensor, target: Tensor, mask: Tensor, levels: int = 3, patch: int = 5,
                  directions: int = 32, max_patches: int = 2048) -> Tensor:
    """Per-image hole-patch SWD of ``pred`` against ``target`` ([B,3,H,W] in [0,1]; ``mask`` [B,1,H,W], 1 = hole),
    averaged over pyramid levels and over the images that have a hole (0 when none has). Differentiable in ``pred``."""
    if pred.shape != target.shape or pred.dim() != 4 or mask.shape != (pred.shape[0], 1, *pred.shape[2:]):
        raise ValueError(f"expected pred, target [B,C,H,W] and mask [B,1,H,W], got {tuple(pred.shape)}, "
                         f"{tuple(target.shape)}, {tuple(mask.shape)}")
    if levels < 1 or patch < 1 or patch % 2 == 0 or directions < 1 or max_patches < 1:
        raise ValueError("levels, directions and max_patches must be positive and patch a positive odd number")
    x, t, m = pred.float(), target.float(), mask.float()
    total, count = x.new_zeros(pred.shape[0]), x.new_zeros(pred.shape[0])
    for level in range(levels):
        if level:
            x, t, m = F.avg_pool2d(x, 2), F.avg_pool2d(t, 2), F.max_pool2d(m, 2)  # a cell is hole if any pixel is
        if min(x.shape[-2:]) < patch:
            break
        swd, has = _level_swd(x, t, m, patch, directions, max_patches)
        total, count = total + swd, count + has.to(total.dtype)
    per = total / count.clamp_min(1.0)  # [B]
    n = (count > 0).sum()
    return per.sum() / n.clamp_min(1)
