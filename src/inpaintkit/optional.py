"""Which optional parts are installed, found without importing them.

``pip install inpaintkit`` is the torch-free install: filling (``fill``, folders, ``serve``, ``eval``,
:func:`inpaintkit.inpaint`) with the bundled models' shipped ONNX graphs on onnxruntime, and OpenCV's classical
methods. ``pip install 'inpaintkit[torch]'`` adds PyTorch (training, export, the ``torch`` / ``bf16`` backends,
``+texture``, ``.safetensors`` model files), scikit-image (``biharmonic``, the demo photos) and matplotlib.

Nothing here imports torch: :func:`torch_available` asks the import system whether it *could* be imported, so
the torch-free paths can decide without paying for it (importing torch takes a second or more).
"""
from __future__ import annotations

import importlib.util
import sys


def available(module: str) -> bool:
    """True when ``module`` can be imported (a module set to ``None`` in ``sys.modules`` counts as missing)."""
    if module in sys.modules:
        return sys.modules[module] is not None
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def torch_available() -> bool:
    """True when PyTorch is installed (the full install); False on the torch-free one."""
    return available("torch")


def loaded_torch():
    """The torch module when it is *already imported*, else None (never imports it)."""
    return sys.modules.get("torch")


def require_torch(what: str):
    """``import torch``, or :class:`~inpaintkit.errors.TorchMissingError` saying that ``what`` needs it."""
    from inpaintkit.errors import TorchMissingError

    if not torch_available():
        raise TorchMissingError(what)
    import torch

    return torch
