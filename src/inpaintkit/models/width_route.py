"""Routing by hole width across two models: an accurate one for thin holes, a realistic one for wide holes at its own scale.

Thin scratches are nearly determined by their neighbours, and a network trained for accuracy (PSNR) fills them
best. The interior of a wide hole is not determined: an accurate network paints the blur that is the mean of
all plausible fills, and an adversarially trained one paints texture — but only for holes as wide as those it
was trained on. Given a hole far wider (an object removed from a photo at full size), it paints frosted,
rock-like patches where the truth is a soft sky, and ghosts of the object. So the realistic model is given the
photo reduced until its deepest hole pixel is at most ``max_depth`` pixels from a known one (never enlarged),
and its fill is enlarged back, while the accurate model runs at full size; each hole pixel takes them by the
local hole width (:func:`hole_width`)::

    a = accurate.fill(image, mask)                                    full size
    s = min(1, max_depth / max(hole_depth(mask)))
    r = up(realistic.fill(down_s(image), down_s(mask)))               reduced by s, then enlarged
    w = clamp((hole_width(mask, far) - near) / (far - near), 0, 1)    per pixel, full size
    out = (1 - w) * a + w * r

A stroke up to ``2 * near`` pixels wide is the accurate model's throughout; a hole ``2 * far`` pixels wide or
more is the realistic model's up to its edge. The two models may be PyTorch networks or ONNX graphs (anything
:func:`inpaintkit.tiling.fill_one` runs): this module needs neither torch nor onnxruntime itself.

Example:
    >>> import numpy as np
    >>> hole = np.zeros((1, 9), bool); hole[0, 1:6] = True; hole[0, 7] = True
    >>> hole_width(hole, far=5)[0].tolist()
    [0.0, 3.0, 3.0, 3.0, 3.0, 3.0, 0.0, 1.0, 0.0]
"""
from __future__ import annotations

import cv2
import numpy as np

__all__ = ["WidthRoute", "hole_depth", "hole_width", "width_weight"]

_K3 = np.ones((3, 3), np.uint8)  # one step of the 8-connected (chessboard) neighbourhood


def hole_depth(hole: np.ndarray, far: int) -> np.ndarray:
    """Chessboard distance of each hole pixel (bool ``[H,W]``) from the nearest known pixel, capped at ``far``;
    0 outside the hole. The image border is not a known pixel. float32 ``[H,W]``."""
    dist = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_C, 3)  # exact for the chessboard metric
    return np.minimum(dist, np.float32(far)).astype(np.float32)


def hole_width(hole: np.ndarray, far: int, depth: np.ndarray | None = None) -> np.ndarray:
    """The local half-width of the hole: the largest :func:`hole_depth` among the hole pixels reachable from each
    hole pixel in at most ``far`` steps inside the hole (8-connected), capped at ``far``. float32 ``[H,W]``.
    ``depth``: the hole's uncapped :func:`hole_depth`, when the caller has it already.

    A stroke ``2k`` pixels wide is ``k`` everywhere, its edges included; a hole ``2 * far`` wide or more is
    ``far`` up to its rim; 0 outside the hole.
    """
    inside = hole.astype(np.float32)
    width = hole_depth(hole, far) if depth is None else np.minimum(depth, np.float32(far))
    for _ in range(int(far)):
        width = cv2.dilate(width, _K3) * inside  # spread the deepest value through the hole only
    return width


def width_weight(hole: np.ndarray, near: int, far: int, depth: np.ndarray | None = None) -> np.ndarray:
    """How much of the realistic fill each pixel takes: ``clamp((hole_width - near) / (far - near), 0, 1)``,
    float32 ``[H,W]`` (0 outside the hole); ``depth`` as for :func:`hole_width`."""
    return np.clip((hole_width(hole, far, depth) - near) / float(far - near), 0.0, 1.0).astype(np.float32)


class WidthRoute:
    """The fill of ``accurate`` for thin holes and of ``realistic`` (on holes at most ``max_depth`` px deep) for wide ones.

    ``fill_numpy(x [B,3,H,W] float32 in [0,1], m [B,1,H,W])`` and the torch contract ``fill(image, mask)``;
    known pixels are returned unchanged. ``flip_average`` / ``bf16`` set reach both models.
    """

    multiple = 1

    def __init__(self, accurate, realistic, near: int = 3, far: int = 8, max_depth: int = 32):
        if not 0 <= int(near) < int(far) <= 256:
            raise ValueError(f"need 0 <= near < far <= 256, got near={near} far={far}")
        if int(max_depth) < int(far):
            raise ValueError(f"max_depth must be at least far ({far} px), got {max_depth}")
        self.accurate, self.realistic = accurate, realistic
        self.near, self.far, self.max_depth = int(near), int(far), int(max_depth)

    def realistic_side(self, hole: np.ndarray, depth: np.ndarray | None = None) -> int:
        """The long side the realistic model is given for ``hole`` (bool [h,w]): the image's, reduced so the
        deepest hole pixel is at most ``max_depth`` px from a known one, and at least 64 px. ``depth``: the
        hole's uncapped :func:`hole_depth`, when the caller has it already."""
        side = max(hole.shape)
        deepest = float((hole_depth(hole, side) if depth is None else depth).max())
        if deepest <= self.max_depth:
            return side
        return max(min(64, side), int(round(side * self.max_depth / deepest)))

    def _set_all(self, name: str, value) -> None:
        for part in (self.accurate, self.realistic):
            if hasattr(part, name):
                setattr(part, name, value)

    @property
    def flip_average(self) -> bool:
        return bool(getattr(self.accurate, "flip_average", False))

    @flip_average.setter
    def flip_average(self, value: bool) -> None:
        self._set_all("flip_average", value)

    @property
    def bf16(self) -> bool:
        return bool(getattr(self.accurate, "bf16", False))

    @bf16.setter
    def bf16(self, value: bool) -> None:
        self._set_all("bf16", value)

    def fill_one(self, colour: np.ndarray, hole: np.ndarray) -> np.ndarray:
        """float32 ``[h,w,3]`` in [0,1] and bool ``[h,w]`` -> float32 ``[h,w,3]``, known pixels as given."""
        from inpaintkit.tiling import fill_one, fill_window

        depth = hole_depth(hole, max(hole.shape))  # [h,w], uncapped: used twice below
        w = width_weight(hole, self.near, self.far, depth)  # [h,w]
        out = colour.astype(np.float32, copy=True)
        if (w[hole] < 1.0).any():  # some hole pixel takes the accurate fill
            out = fill_one(self.accurate, colour, hole)
        w = w[..., None]
        if w.max() > 0.0:
            r = fill_window(self.realistic, colour, hole, self.realistic_side(hole, depth))
            out = out * (1.0 - w) + r * w
        out[~hole] = colour[~hole]
        return out

    def fill_numpy(self, x: np.ndarray, m: np.ndarray) -> np.ndarray:
        """[B,3,H,W] float32 and [B,1,H,W] (1 = hole) -> [B,3,H,W] float32."""
        outs = [np.transpose(self.fill_one(np.transpose(xi, (1, 2, 0)), mi[0] > 0.5), (2, 0, 1)) for xi, mi in zip(x, m)]
        return np.stack(outs).astype(np.float32)

    def fill(self, image, mask):
        """The torch contract: [B,3,H,W] and [B,1,H,W] tensors in, a [B,3,H,W] tensor out."""
        import torch

        from inpaintkit.models.base import check_inputs

        check_inputs(image, mask)
        x = image.detach().float().cpu().numpy()
        m = mask.detach().float().cpu().numpy()
        return torch.from_numpy(self.fill_numpy(x, m)).to(image.dtype)

    def __repr__(self) -> str:
        return (f"WidthRoute({type(self.accurate).__name__}, {type(self.realistic).__name__}, near={self.near}, "
                f"far={self.far}, max_depth={self.max_depth})")
