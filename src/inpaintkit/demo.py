"""The first thing a newcomer runs: fill a real photo that ships with scikit-image, offline.

``inpaintkit demo -o demo.png`` takes scikit-image's ``astronaut`` (512x512), scribbles a seeded
free-form mask over it, fills it with the bundled default model and with OpenCV Telea, and writes one
picture: input with the holes / the model's fill / Telea's fill / the original, labelled, with PSNR.
"""
from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from inpaintkit.images import save_image
from inpaintkit.mask_bands import hole_ratio
from inpaintkit.masks import MaskGenerator
from inpaintkit.metrics import psnr

PHOTOS = ("astronaut", "chelsea", "coffee")


def demo_photo(name: str = "astronaut") -> np.ndarray:
    """A real RGB photo bundled with scikit-image (no download)."""
    import skimage.data

    if name not in PHOTOS:
        raise ValueError(f"unknown demo photo {name!r}; valid: {', '.join(PHOTOS)}")
    return np.ascontiguousarray(getattr(skimage.data, name)()[..., :3])


def _label(img: np.ndarray, text: str) -> np.ndarray:
    bar = np.full((28, img.shape[1], 3), 255, np.uint8)
    cv2.putText(bar, text, (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([bar, img], 0)


def run_demo(out: str | Path, model: str | None = None, photo: str = "astronaut", seed: int = 3,
             preset: str = "medium") -> dict:
    """Fill ``photo`` under a generated mask; write the comparison picture to ``out``; return the figures."""
    from inpaintkit.inference import inpaint

    truth = demo_photo(photo)
    mask = MaskGenerator(truth.shape[:2], preset, seed)(0)  # bool [H,W], True = hole
    shown = truth.copy()
    shown[mask] = 255
    t0 = time.perf_counter()
    filled = inpaint(truth * ~mask[..., None], mask, model=model)
    t_model = time.perf_counter() - t0
    t0 = time.perf_counter()
    telea = inpaint(truth * ~mask[..., None], mask, model="telea")
    t_telea = time.perf_counter() - t0
    res = {"photo": photo, "hole_ratio": hole_ratio(mask), "model": model or "default",
           "psnr_model": psnr(filled, truth), "psnr_telea": psnr(telea, truth),
           "seconds_model": t_model, "seconds_telea": t_telea}
    panels = [
        _label(shown, f"input: {photo}, {100 * res['hole_ratio']:.0f}% hole"),
        _label(filled, f"inpaintkit {res['model']}: {res['psnr_model']:.2f} dB"),
        _label(telea, f"OpenCV Telea: {res['psnr_telea']:.2f} dB"),
        _label(truth, "original"),
    ]
    gap = np.full((panels[0].shape[0], 6, 3), 255, np.uint8)
    row = np.concatenate(sum(([p, gap] for p in panels), [])[:-1], 1)
    save_image(out, row)
    return res
