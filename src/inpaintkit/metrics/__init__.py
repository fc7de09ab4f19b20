"""Image-quality metrics of the evaluation protocol (uint8 numpy) and their batched torch versions.

numpy, uint8 ``HxWx3`` → float: :func:`mse`, :func:`l1`, :func:`psnr` (hole-only with a bool mask),
:func:`ssim`; realism inside the hole: :func:`hole_sharpness`, :func:`hole_swd`, :func:`hole_color_error`.
torch, float ``[B,C,H,W]`` → ``[B]``: :func:`mse_torch`, :func:`l1_torch`,
:func:`psnr_torch`, :func:`ssim_torch`.
"""
from inpaintkit.metrics.color import hole_color_error
from inpaintkit.metrics.mse import l1, l1_torch, mse, mse_torch
from inpaintkit.metrics.psnr import psnr, psnr_torch
from inpaintkit.metrics.sharpness import hole_sharpness
from inpaintkit.metrics.ssim import ssim, ssim_torch
from inpaintkit.metrics.swd import hole_swd

__all__ = ["mse", "l1", "psnr", "ssim", "hole_sharpness", "hole_swd", "hole_color_error", "mse_torch", "l1_torch", "psnr_torch", "ssim_torch"]
