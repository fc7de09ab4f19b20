"""Image-quality metrics of the evaluation protocol (uint8 numpy).

numpy, uint8 ``HxWx3`` → float: :func:`mse`, :func:`l1`, :func:`psnr` (hole-only with a bool mask),
:func:`ssim`; realism inside the hole: :func:`hole_sharpness`, :func:`hole_swd`, :func:`hole_color_error`.
"""
from inpaintkit.metrics.color import hole_color_error
from inpaintkit.metrics.mse import l1, mse
from inpaintkit.metrics.psnr import psnr
from inpaintkit.metrics.sharpness import hole_sharpness
from inpaintkit.metrics.ssim import ssim
from inpaintkit.metrics.swd import hole_swd

__all__ = ["mse", "l1", "psnr", "ssim", "hole_sharpness", "hole_swd", "hole_color_error"]
