"""The package's errors and warnings. Every error a user can cause is an :class:`InpaintkitError`.

Each error keeps its historical built-in base too (``ValueError``, ``KeyError``), so ``except ValueError``
still works; ``except InpaintkitError`` catches them all (the CLI does: one line, exit code 2). The messages
are one line.

>>> from inpaintkit.errors import InpaintkitError
>>> from inpaintkit.models.registry import UnknownModelError
>>> issubclass(UnknownModelError, InpaintkitError)
True
"""
from __future__ import annotations


class InpaintkitError(Exception):
    """Base class of every error inpaintkit raises for a bad input, file, model or argument; one line."""


class InpaintError(InpaintkitError, ValueError):
    """A photo/mask pair that cannot be filled, or a bad fill argument; the message is one line."""


class ImageReadError(InpaintkitError, ValueError):
    """An image or mask file that cannot be read; the message is one line naming the file."""


class ModelSpecError(InpaintError):
    """A model spec (name, file, ``+flip`` ..., backend) that cannot be resolved; the message is one line."""


class ModelTypeError(ModelSpecError, TypeError):
    """A model argument of a type that is no model spec (not text, a path, or an object with ``.fill``)."""


class CheckpointError(InpaintkitError, ValueError):
    """A weights file that is not ours, is damaged, or does not fit the model (``inpaintkit.checkpoint``)."""


class TorchMissingError(ModelSpecError, ImportError):
    """What was asked needs PyTorch, and this installation has none (the torch-free install); one line."""

    def __init__(self, what: str):
        super().__init__(f"{what} needs PyTorch, which is not installed: pip install 'inpaintkit[torch]'")


class EmptyMaskWarning(UserWarning):
    """The mask has no hole pixel: the image is returned unchanged."""


class LossyOutputWarning(UserWarning):
    """The output format cannot hold all of the image (its alpha channel, or its 16 bits): that part is dropped."""
