"""Models: the registry, the inference contract, generators, discriminators and classical methods."""
from inpaintkit.models.base import ClassicalInpainter, InpaintingNetwork, run_contract
from inpaintkit.models.registry import create_model, list_models, register_model

__all__ = ["ClassicalInpainter", "InpaintingNetwork", "run_contract", "create_model", "list_models", "register_model"]
