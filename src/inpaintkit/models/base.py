"""The one inference contract every model fills through, learned or classical (as IOPaint's ``base.py``).

    image: float RGB in [0, 1], shape [B, 3, H, W]
    mask:  float, shape [B, 1, H, W], 1 = hole, 0 = known
    out:   float RGB in [0, 1], shape [B, 3, H, W]; known pixels equal ``image`` exactly

:func:`run_contract` is the single place that checks inputs, zeroes the holes, pads to the network's
multiple, calls the method's ``predict``, un-pads and composites ``mask * pred + (1 - mask) * image``.
The CLI, the evaluator, the trainer's validation and the server all call it (through ``.fill``).
"""
from __future__ import annotations

from typing import Callable, Protocol, runtime_checkable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from inpaintkit.models.arrays import ClassicalInpainter, check_shapes  # noqa: F401 - torch-free (models/arrays.py); re-exported

Predict = Callable[[Tensor, Tensor], Tensor]


@runtime_checkable
class Inpainter(Protocol):
    """Anything that fills through the contract: networks, classical methods, ONNX graphs, wrappers.

    ``fill(image [B,3,H,W] float in [0,1], mask [B,1,H,W], 1 = hole) -> [B,3,H,W]``, known pixels unchanged.
    """

    def fill(self, image: Tensor, mask: Tensor) -> Tensor: ...


def flip_averaged(forward: Predict) -> Predict:
    """``forward`` averaged with its fill of the mirrored input: one call on twice the batch (``+flip``)."""

    def predict(x: Tensor, m: Tensor) -> Tensor:
        both = forward(torch.cat([x, x.flip(-1)]), torch.cat([m, m.flip(-1)]))  # [2B,3,H,W]
        plain, mirrored = both.chunk(2)
        return 0.5 * (plain + mirrored.flip(-1))

    return predict


def check_inputs(image: Tensor, mask: Tensor) -> None:
    """Raise ``ValueError`` with a one-line reason when ``image``/``mask`` break the contract."""
    if not isinstance(image, Tensor) or not isinstance(mask, Tensor):
        raise TypeError("image and mask must be torch tensors")
    check_shapes(image, mask)


def composite(pred: Tensor, image: Tensor, mask: Tensor) -> Tensor:
    """``mask * pred + (1 - mask) * image``: hole pixels from ``pred``, known pixels from ``image``."""
    return mask * pred + (1.0 - mask) * image


def pad_to_multiple(x: Tensor, multiple: int) -> Tensor:
    """Pad the bottom/right of ``x`` [B,C,H,W] up to a multiple of ``multiple`` (reflect, or replicate when too small)."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph == 0 and pw == 0:
        return x
    mode = "reflect" if ph < h and pw < w else "replicate"
    return F.pad(x, (0, pw, 0, ph), mode=mode)


def run_contract(predict: Predict, image: Tensor, mask: Tensor, multiple: int = 1) -> Tensor:
    """Fill the holes of ``image`` [B,3,H,W] marked by ``mask`` [B,1,H,W] with ``predict``.

    ``predict(masked, mask)`` receives the image with hole pixels set to 0 and the binary mask, both
    padded to ``multiple``, and returns a prediction [B,3,H',W'] for every pixel.
    """
    check_inputs(image, mask)
    h, w = image.shape[-2:]
    image = image.float().clamp(0, 1)
    mask = (mask > 0.5).to(image.dtype)
    masked = image * (1.0 - mask)
    pred = predict(pad_to_multiple(masked, multiple), pad_to_multiple(mask, multiple))
    pred = pred[..., :h, :w].clamp(0, 1).to(image.dtype)
    return composite(pred, image, mask)


class InpaintingNetwork(nn.Module):
    """Base class of the learned generators.

    ``forward(masked [B,3,H,W], mask [B,1,H,W]) -> pred [B,3,H,W]`` is the raw network output that the
    trainer's losses see; ``fill(image, mask)`` is the contract above. ``multiple`` is the factor the
    input size must be divisible by; ``config`` holds the constructor arguments (saved with weights).
    ``flip_average = True`` makes ``fill`` average the prediction with that of the mirrored image
    (test-time augmentation: one forward pass on twice the batch; ``NAME+flip``, see :mod:`inpaintkit.model_spec`).
    ``bf16 = True`` runs ``fill``'s forward pass under bfloat16 autocast (about 1.5-2x faster on CPUs with
    AVX512-BF16 or AMX; fills differ from fp32 by about 1/255 at most; ``NAME+bf16``, ``--backend bf16``).
    """

    multiple: int = 1
    flip_average: bool = False
    bf16: bool = False

    def __init__(self) -> None:
        super().__init__()
        self.config: dict = {}

    @torch.no_grad()
    def fill(self, image: Tensor, mask: Tensor) -> Tensor:
        p = next(self.parameters())

        def forward(x: Tensor, m: Tensor) -> Tensor:
            with torch.autocast(p.device.type, dtype=torch.bfloat16, enabled=self.bf16):
                return self(x, m).float()

        run = flip_averaged(forward) if self.flip_average else forward

        def predict(x: Tensor, m: Tensor) -> Tensor:
            return run(x.to(p.dtype), m.to(p.dtype))

        return run_contract(predict, image, mask, self.multiple)
