"""What a run shows: validation metrics, sample grids and loss/metric curves in the run folder."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from inpaintkit.fileio import atomic_path

__all__ = ["plot_curves", "validate", "write_grid"]


@torch.no_grad()
def validate(net, images: torch.Tensor, masks: torch.Tensor, batch: int = 50) -> tuple[dict, torch.Tensor]:
    """PSNR / SSIM / hole-L1 (the protocol's metrics on uint8) of ``net.fill`` on fixed (image, mask) pairs.

    images [V,3,S,S], masks [V,1,S,S] -> (metrics, fills [V,3,S,S]). An exact fill counts as the evaluator's
    PSNR cap, so the trainer and ``inpaintkit eval`` average PSNR the same way.
    """
    from inpaintkit.evaluate import PSNR_CAP
    from inpaintkit.metrics import l1, psnr, ssim

    dev = next(net.parameters()).device
    outs = [net.fill(images[i:i + batch].to(dev), masks[i:i + batch].to(dev)).cpu()
            for i in range(0, len(images), batch)]
    out = torch.cat(outs)
    to8 = lambda t: (t.permute(0, 2, 3, 1).numpy() * 255).round().clip(0, 255).astype(np.uint8)  # noqa: E731
    o8, t8, m8 = to8(out), to8(images), masks[:, 0].numpy() > 0.5
    return {
        "val_psnr": float(np.mean([min(psnr(a, b), PSNR_CAP) for a, b in zip(o8, t8)])),
        "val_ssim": float(np.mean([ssim(a, b) for a, b in zip(o8, t8)])),
        "val_l1_hole": float(np.mean([l1(a, b, m) for a, b, m in zip(o8, t8, m8) if m.any()])),
    }, out


def write_grid(path: Path, images, masks, outs, n: int = 6) -> None:
    """input (hole shown white) / output / truth, one row per pair."""
    from inpaintkit.images import save_image

    rows = []
    for img, m, o in list(zip(images, masks, outs))[:n]:
        shown = img * (1 - m) + m
        rows.append(torch.cat([shown, o, img], 2))
    grid = torch.cat(rows, 1).clamp(0, 1)
    save_image(path, (grid.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))


def plot_curves(run: Path) -> None:
    """``curves.png``: training losses (log scale), validation PSNR and SSIM against the step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines() if line.strip()]
    train = [r for r in rows if "loss" in r]
    val = [r for r in rows if "val_psnr" in r]
    fig, ax = plt.subplots(1, 3, figsize=(14, 4))
    if train:
        keys = sorted({k for r in train for k in r if k.startswith("loss")})
        for k in keys:
            ax[0].plot([r["step"] for r in train if k in r], [r[k] for r in train if k in r], label=k, lw=0.8)
        ax[0].set_yscale("log")
        ax[0].legend(fontsize=7)
        ax[0].set_title("training losses")
    if val:
        ax[1].plot([r["step"] for r in val], [r["val_psnr"] for r in val], "o-")
        ax[1].set_title("val PSNR (dB)")
        ax[2].plot([r["step"] for r in val], [r["val_ssim"] for r in val], "o-", label="SSIM")
        ax[2].set_title("val SSIM")
    for a in ax:
        a.set_xlabel("step")
        a.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_path(run / "curves.png") as tmp:
        fig.savefig(tmp, dpi=80, format="png")
    plt.close(fig)
