"""Training losses. Each returns ``(total, {name: value})`` so the trainer can log every term.

Reconstruction (pred, target: [B,3,H,W] in [0,1]; mask [B,1,H,W], 1 = hole)::

    l1_hole  = sum(|pred - target| * mask) / (3 * sum(mask))          hole-weighted L1 (pixels of the batch)
    l1_hole_img = mean_i [ sum_i(|pred - target| * mask) / (3 * sum_i(mask)) ]
                                                  the same per image, then averaged over images with a hole,
                                                  so a thin scratch weighs as much as a large hole (the
                                                  per-band PSNR the project reports averages per image)
    l1_low_img  = mean_i [ sum_i |avgpool4(diff * mask)| / (3 * sum_i avgpool4(mask)) ]
                                                  the hole's error averaged over 4x4 cells: only the low frequencies of the
                                                  fill are tied to the truth, so an adversarial term is free to
                                                  paint texture (a pixel L1 alone pulls wide holes to a blur)
    energy_img  = mean_i [ sum_i,c |avgpool8(g_c(pred) * mask) - avgpool8(g_c(target) * mask)| / sum_i avgpool8(mask) ]
                                                  with g_c the Sobel gradient magnitude of channel c of (luma,
                                                  R - G, (R + G)/2 - B): the fill's detail tied to the truth's 8x8
                                                  cell by cell, not its phase, so texture goes where the truth has
                                                  texture, a smooth sky stays smooth and grey texture stays grey
                                                  (patch_swd_img matches the hole's patches as one bag)
    l1_valid = sum(|pred - target| * (1 - mask)) / (3 * sum(1 - mask))
    mse_hole = sum((pred - target)^2 * mask) / (3 * sum(mask))
    logmse_hole_img = mean_i [ ln(mse_hole_i + 1e-5) ]
                                                  per-image log hole-MSE: -PSNR_i * ln(10)/10 up to a per-image
                                                  constant, so minimising it maximises the mean per-image PSNR
                                                  the project reports (each image's gradient is scaled by 1/mse_i)
    patch_swd_img = per-image sliced Wasserstein distance between the hole patches of pred and target
                                                  (:mod:`inpaintkit.patch_loss`): a texture term with no
                                                  feature network, it asks for the truth's patch statistics
    total    = sum_k weights[k] * term_k

Adversarial (D returns patch logits and features; see ``models/discriminators.py``):
hinge — ``L_D = E[relu(1 - D(real))] + E[relu(1 + D(fake))]``, ``L_G = -E[D(fake)]``;
non-saturating — ``L_D = softplus(-D(real)) + softplus(D(fake))``, ``L_G = softplus(-D(fake))``;
feature matching — mean L1 between D's features of the real and the filled image.

Example:
    >>> import torch
    >>> p, t, m = torch.zeros(1, 3, 4, 4), torch.ones(1, 3, 4, 4), torch.ones(1, 1, 4, 4)
    >>> total, terms = reconstruction_loss(p, t, m, {"l1_hole": 1.0})
    >>> float(total), float(terms["l1_hole"])
    (1.0, 1.0)
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from inpaintkit.patch_loss import patch_swd_img

RECON_TERMS = ("l1_hole", "l1_hole_img", "l1_low_img", "logmse_hole_img", "patch_swd_img", "energy_img", "l1_valid",
               "mse_hole", "mse")
GAN_TERMS = ("adv", "fm")


def _mean_over_holes(per: Tensor, mask: Tensor) -> Tensor:
    # per [B], mask [B,1,H,W]: the mean of `per` over the images that have a hole (0 when none has)
    has = (mask.sum((1, 2, 3)) > 0).to(per.dtype)
    return (per * has).sum() / has.sum().clamp_min(1.0)


def _masked_mean(x: Tensor, w: Tensor) -> Tensor:
    # x [B,3,H,W], w [B,1,H,W]; the mean over the weighted pixels, 0 where there are none
    return (x * w).sum() / (w.sum() * x.shape[1]).clamp_min(1.0)


_OPPONENT = ((0.299, 0.587, 0.114), (1.0, -1.0, 0.0), (0.5, 0.5, -1.0))  # luma, red-green, yellow-blue
_SOBEL_X = ((-1.0, 0.0, 1.0), (-2.0, 0.0, 2.0), (-1.0, 0.0, 1.0))


def sobel_magnitude(img: Tensor, chroma: bool = False) -> Tensor:
    """Sobel gradient magnitude of the luma of ``img`` [B,3,H,W] (reflected borders) → [B,1,H,W]; with
    ``chroma`` also of its opponent colours R - G and (R + G)/2 - B → [B,3,H,W].

    The luma channel is the differentiable twin of :func:`inpaintkit.metrics.sharpness.gradient_magnitude`
    (on the 0-1 scale).
    """
    rows = _OPPONENT if chroma else _OPPONENT[:1]
    ch = torch.einsum("kc,bchw->bkhw", img.new_tensor(rows), img)  # [B,K,H,W]
    b, k = ch.shape[:2]
    kx = img.new_tensor(_SOBEL_X).view(1, 1, 3, 3)
    g = F.conv2d(F.pad(ch.reshape(b * k, 1, *ch.shape[2:]), (1, 1, 1, 1), mode="reflect"),
                 torch.cat([kx, kx.transpose(2, 3)]))  # [B*K,2,H,W]: d/dx, d/dy
    return (g.square().sum(1) + 1e-8).sqrt().reshape(b, k, *ch.shape[2:])


def reconstruction_loss(pred: Tensor, target: Tensor, mask: Tensor, weights: dict[str, float]) -> tuple[Tensor, dict[str, Tensor]]:
    """Weighted sum of the reconstruction terms named in ``weights`` (unknown names raise)."""
    unknown = set(weights) - set(RECON_TERMS) - set(GAN_TERMS)
    if unknown:
        raise ValueError(f"unknown loss terms {sorted(unknown)}; valid: {', '.join(RECON_TERMS + GAN_TERMS)}")
    diff = pred - target
    terms: dict[str, Tensor] = {}
    if weights.get("l1_hole", 0):
        terms["l1_hole"] = _masked_mean(diff.abs(), mask)
    if weights.get("l1_hole_img", 0):
        per = (diff.abs() * mask).sum((1, 2, 3)) / (mask.sum((1, 2, 3)) * diff.shape[1]).clamp_min(1.0)  # [B]
        terms["l1_hole_img"] = _mean_over_holes(per, mask)
    if weights.get("l1_low_img", 0):
        # the hole's error averaged over each 4x4 cell (known pixels count 0): |avgpool(diff * mask)|
        pd, pm = F.avg_pool2d(diff * mask, 4, ceil_mode=True), F.avg_pool2d(mask, 4, ceil_mode=True)  # [B,3,h,w], [B,1,h,w]
        per = pd.abs().sum((1, 2, 3)) / (pm.sum((1, 2, 3)) * diff.shape[1]).clamp_min(1e-6)  # [B]
        terms["l1_low_img"] = _mean_over_holes(per, mask)
    if weights.get("logmse_hole_img", 0):
        per = (diff.square() * mask).sum((1, 2, 3)) / (mask.sum((1, 2, 3)) * diff.shape[1]).clamp_min(1.0)  # [B]
        terms["logmse_hole_img"] = _mean_over_holes(torch.log(per + 1e-5), mask)
    if weights.get("patch_swd_img", 0):
        terms["patch_swd_img"] = patch_swd_img(pred, target, mask)
    if weights.get("energy_img", 0):
        pm = F.avg_pool2d(mask, 8, ceil_mode=True)  # [B,1,h,w]
        gp = F.avg_pool2d(sobel_magnitude(pred, chroma=True) * mask, 8, ceil_mode=True)  # [B,3,h,w]
        gt = F.avg_pool2d(sobel_magnitude(target, chroma=True) * mask, 8, ceil_mode=True)
        per = (gp - gt).abs().sum((1, 2, 3)) / pm.sum((1, 2, 3)).clamp_min(1e-6)  # [B]
        terms["energy_img"] = _mean_over_holes(per, mask)
    if weights.get("l1_valid", 0):
        terms["l1_valid"] = _masked_mean(diff.abs(), 1 - mask)
    if weights.get("mse_hole", 0):
        terms["mse_hole"] = _masked_mean(diff.square(), mask)
    if weights.get("mse", 0):
        terms["mse"] = diff.square().mean()
    total = sum((weights[k] * v for k, v in terms.items()), torch.zeros((), device=pred.device))
    return total, terms


def hole_weight(mask: Tensor, logits: Tensor) -> Tensor:
    """The hole's share of each patch logit's cell: ``mask`` [B,1,H,W] area-resized to ``logits`` [B,1,h,w]."""
    return F.interpolate(mask, size=logits.shape[-2:], mode="area")


def d_loss(real_logits: Tensor, fake_logits: Tensor, kind: str = "hinge", fake_weight: Tensor | None = None) -> Tensor:
    """Discriminator loss on the patch logits of real and filled images.

    With ``fake_weight`` [B,1,h,w] (the hole's share of each patch, :func:`hole_weight`) a filled image's
    patch counts as fake by that share and as real by the rest: its known pixels are the real image's, so
    D learns to find the fill instead of being asked to tell identical patches apart.
    """
    if kind == "hinge":
        as_real, as_fake = (lambda x: F.relu(1 - x)), (lambda x: F.relu(1 + x))
    elif kind == "nsgan":
        as_real, as_fake = (lambda x: F.softplus(-x)), (lambda x: F.softplus(x))
    else:
        raise ValueError(f"unknown GAN loss {kind!r}; valid: hinge, nsgan")
    if fake_weight is None:
        return as_real(real_logits).mean() + as_fake(fake_logits).mean()
    w = fake_weight
    return as_real(real_logits).mean() + (w * as_fake(fake_logits) + (1 - w) * as_real(fake_logits)).mean()


def g_adv_loss(fake_logits: Tensor, kind: str = "hinge", weight: Tensor | None = None) -> Tensor:
    """The generator's adversarial loss on the patch logits of its filled images (``weight``: hole patches only)."""
    if kind == "hinge":
        per = -fake_logits
    elif kind == "nsgan":
        per = F.softplus(-fake_logits)
    else:
        raise ValueError(f"unknown GAN loss {kind!r}; valid: hinge, nsgan")
    if weight is None:
        return per.mean()
    return (per * weight).sum() / weight.sum().clamp_min(1e-6)


def feature_matching_loss(real_feats: list[Tensor], fake_feats: list[Tensor]) -> Tensor:
    """Mean over layers of the L1 distance between D's features of the real and the filled image."""
    return sum(F.l1_loss(f, r.detach()) for r, f in zip(real_feats, fake_feats)) / max(len(real_feats), 1)
