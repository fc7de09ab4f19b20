"""Training-time augmentation that changes a photo's framing and light, so a model does not learn one alignment.

CelebA's faces are all aligned the same way (eyes on one line, the same scale, centred); a model trained on
them alone fills faces framed any other way barely better than a diffusion method. :func:`reframe` draws a
random similarity transform (scale, rotation, shift) and a colour jitter per sample::

    scale  ~ exp(U(log 0.75, log 1.4))     zoom in (>1) or out (<1) about the centre
    angle  ~ U(-15, 15) degrees
    shift  ~ U(-0.12, 0.12) x side         in x and y
    warp with cv2.warpAffine (bilinear, border reflected, so zooming out never leaves black bars)
    colour: brightness x U(0.8, 1.2), contrast about the mean x U(0.8, 1.2),
            saturation x U(0.7, 1.3), per-channel gain x U(0.95, 1.05) (white balance)

Example:
    >>> import numpy as np
    >>> img = np.zeros((32, 32, 3), np.uint8)
    >>> reframe(img, np.random.default_rng(0)).shape
    (32, 32, 3)
"""
from __future__ import annotations

import math

import cv2
import numpy as np

SCALE = (0.75, 1.4)
ANGLE = 15.0  # degrees
SHIFT = 0.12  # fraction of the side


def reframe(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A randomly re-framed and re-lit copy of uint8 ``HxWx3`` ``img`` (same size)."""
    h, w = img.shape[:2]
    scale = math.exp(rng.uniform(math.log(SCALE[0]), math.log(SCALE[1])))
    angle = rng.uniform(-ANGLE, ANGLE)
    tx, ty = rng.uniform(-SHIFT, SHIFT, 2) * min(h, w)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    m[:, 2] += (tx, ty)
    out = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    return jitter_colour(out, rng)


def jitter_colour(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Brightness, contrast, saturation and white-balance jitter of a uint8 ``HxWx3`` image."""
    x = img.astype(np.float32)
    grey = x @ np.array([0.299, 0.587, 0.114], np.float32)  # [H,W]
    x = grey[..., None] + (x - grey[..., None]) * rng.uniform(0.7, 1.3)  # saturation
    mean = float(grey.mean())
    x = mean + (x - mean) * rng.uniform(0.8, 1.2)  # contrast
    x = x * rng.uniform(0.8, 1.2) * rng.uniform(0.95, 1.05, 3).astype(np.float32)  # brightness, white balance
    return np.clip(x + 0.5, 0, 255).astype(np.uint8)
