"""Models: the registry, the inference contract, generators, discriminators and classical methods.

Imports are lazy so that ``inpaintkit --help`` does not pay for importing torch.
"""
from inpaintkit.models.registry import create_model, list_models, register_model

__all__ = ["ClassicalInpainter", "InpaintingNetwork", "run_contract", "create_model", "list_models", "register_model"]


def __getattr__(name):
    if name in ("ClassicalInpainter", "InpaintingNetwork", "run_contract"):
        from inpaintkit.models import base

        return getattr(base, name)
    raise AttributeError(f"module 'inpaintkit.models' has no attribute {name!r}")
