"""Image-quality metrics of the evaluation protocol (uint8 numpy) and their batched torch versions.

numpy, uint8 ``HxWx3`` → float: :func:`mse`, :func:`l1`, :func:`psnr` (hole-only with a bool mask),
:func:`ssim`. torch, float ``[B,C,H,W]`` → ``[B]``: :func:`mse_torch`, :func:`l1_torch`,
:func:`psnr_torch`, :func:`ssim_torch`.
"""
from inpaintkit.metrics.mse import l1, l1_torch, mse, mse_torch
from inpaintkit.metrics.psnr import psnr, psnr_torch
from inpaintkit.metrics.ssim import ssim, ssim_torch

__all__ = ["mse", "l1", "psnr", "ssim", "mse_torch", "l1_torch", "psnr_torch", "ssim_torch"]
