"""One optimisation step: the generator's reconstruction loss, and with a GAN the discriminator's step first.

::

    image [B,3,H,W], mask [B,1,H,W] (1 = hole)
    pred   = G(image * (1 - mask), mask)                 [B,3,H,W]
    filled = mask * pred + (1 - mask) * image
    D step:  d_loss(D(image), D(filled.detach()))        real and filled in one fp32 pass
             (adv_hole_only: a filled patch is fake by its hole share, real by the rest)
    G step:  reconstruction(pred) + adv * g_adv(D(filled)) + fm * feature_matching(D(image), D(filled))
    ema    = decay * ema + (1 - decay) * G
"""
from __future__ import annotations

import math

import torch

from inpaintkit.losses import d_loss, feature_matching_loss, g_adv_loss, hole_weight, reconstruction_loss
from inpaintkit.train.config import TrainConfig
from inpaintkit.train.setup import Run

__all__ = ["ema_update", "lr_at", "train_step"]


def lr_at(cfg: TrainConfig, step: int, base: float) -> float:
    """Linear warm-up over ``cfg.warmup`` steps, then constant or cosine decay to 0 at ``cfg.steps``."""
    if step < cfg.warmup:
        return base * (step + 1) / cfg.warmup
    if cfg.lr_schedule == "cosine":
        t = (step - cfg.warmup) / max(cfg.steps - cfg.warmup, 1)
        return base * 0.5 * (1 + math.cos(math.pi * min(t, 1.0)))
    return base


@torch.no_grad()
def ema_update(ema: torch.nn.Module, net: torch.nn.Module, decay: float) -> None:
    for e, p in zip(ema.parameters(), net.parameters()):
        e.lerp_(p.detach(), 1.0 - decay)


def _set_lr(opt: torch.optim.Optimizer, lr: float) -> None:
    for group in opt.param_groups:
        group["lr"] = lr * group.get("lr_mult", 1.0)  # lr_mult: train.setup.param_groups


def _gan_terms(run: Run, image, mask, pred, terms: dict) -> torch.Tensor:
    """The discriminator's step, then the generator's adversarial + feature-matching loss (D frozen)."""
    cfg, disc, d_train = run.cfg, run.modules["d"], run.wrappers["d"]
    filled = mask * pred + (1 - mask) * image
    _set_lr(run.optimizers["opt_d"], lr_at(cfg, run.step, cfg.d_lr))
    # real and filled in one pass (fp32: under bf16 the non-saturating loss went NaN)
    logits, feats = d_train(torch.cat([image, filled.detach()]), torch.cat([mask, mask]))
    b = image.shape[0]
    real_feats = [f[:b].detach() for f in feats]  # for feature matching (D before this step)
    w = hole_weight(mask, logits[b:]) if cfg.adv_hole_only else None  # [b,1,h,w] or None
    ld = d_loss(logits[:b], logits[b:], cfg.gan_loss, fake_weight=w)
    run.optimizers["opt_d"].zero_grad(set_to_none=True)
    ld.backward()
    run.optimizers["opt_d"].step()
    disc.requires_grad_(False)
    fake_logits, fake_feats = d_train(filled, mask)
    terms["adv"] = g_adv_loss(fake_logits, cfg.gan_loss, weight=w)
    terms["fm"] = feature_matching_loss(real_feats, fake_feats)
    terms["d"] = ld
    disc.requires_grad_(True)
    return cfg.loss.get("adv", 0.01) * terms["adv"] + cfg.loss.get("fm", 1.0) * terms["fm"]


def train_step(run: Run, image: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, dict]:
    """One step on a batch; returns the generator's total loss and its named terms (unweighted)."""
    cfg, opt = run.cfg, run.optimizers["opt_g"]
    if cfg.channels_last:
        image = image.contiguous(memory_format=torch.channels_last)
        mask = mask.contiguous(memory_format=torch.channels_last)
    _set_lr(opt, lr_at(cfg, run.step, cfg.lr))
    with torch.autocast(image.device.type, dtype=torch.bfloat16, enabled=cfg.amp):
        pred = run.wrappers["g"](image * (1 - mask), mask).float()  # [b,3,H,W]
    recon = {k: v for k, v in cfg.loss.items() if k not in ("adv", "fm")}
    loss, terms = reconstruction_loss(pred, image, mask, recon)
    if cfg.gan:
        loss = loss + _gan_terms(run, image, mask, pred, terms)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    ema_update(run.modules["ema"], run.modules["g"], min(cfg.ema_decay, (1 + run.step) / (10 + run.step)))
    run.step += 1
    return loss, terms
