"""Model registry in the manner of timm: ``@register_model`` and ``create_model(name, **overrides)``.

A registered entry is a factory ``fn(**overrides) -> Inpainter``. Learned networks and classical
methods live in the same registry, so ``eval --method NAME``, ``fill --model NAME`` and the Python API
all look names up here.

Example:
    >>> import inpaintkit
    >>> "telea" in inpaintkit.list_models()
    True
"""
from __future__ import annotations

from typing import Callable

from inpaintkit.errors import InpaintkitError

_REGISTRY: dict[str, Callable] = {}
_KIND: dict[str, str] = {}


def register_model(fn: Callable | None = None, *, name: str | None = None, kind: str = "network"):
    """Decorator that registers a model factory under ``name`` (default: the function name, ``_`` → ``-``).

    ``kind`` is ``"network"`` (a trainable ``nn.Module`` generator), ``"classical"`` or ``"pretrained"``.
    """

    def deco(f: Callable) -> Callable:
        key = name or f.__name__.replace("_", "-")
        if key in _REGISTRY:
            raise ValueError(f"model {key!r} is registered twice")
        _REGISTRY[key] = f
        _KIND[key] = kind
        return f

    return deco(fn) if fn is not None else deco


def _ensure_loaded() -> None:
    # Importing the modules runs their @register_model decorators. The networks' modules need torch: without it
    # (the torch-free install) only the bundled models (their shipped ONNX graphs) and classical methods exist.
    from inpaintkit.models import classical, pretrained  # noqa: F401
    from inpaintkit.optional import torch_available

    if torch_available():
        from inpaintkit.models import generators, routed, seed_unet  # noqa: F401


def list_models(kind: str | None = None) -> list[str]:
    """Sorted names of the registered models, optionally only those of one ``kind``."""
    _ensure_loaded()
    return sorted(k for k in _REGISTRY if kind is None or _KIND[k] == kind)


def model_kind(name: str) -> str:
    _ensure_loaded()
    if name not in _REGISTRY:
        raise UnknownModelError(name)
    return _KIND[name]


class UnknownModelError(InpaintkitError, KeyError):
    def __init__(self, name: str):
        self.name = name
        super().__init__(name)

    def __str__(self) -> str:
        return f"unknown model {self.name!r}; valid names: {', '.join(list_models())}"


def describe(name: str) -> str:
    """One line on what model ``name`` is: the first sentence of its factory's docstring, markup removed."""
    doc = (get_factory(name).__doc__ or "").strip()
    first = " ".join(doc.split("\n\n")[0].split())
    return first.replace("``", "")


def get_factory(name: str) -> Callable:
    _ensure_loaded()
    if name not in _REGISTRY:
        raise UnknownModelError(name)
    return _REGISTRY[name]


def create_model(name: str, **overrides):
    """Build the registered model ``name``; ``overrides`` go to its factory (e.g. ``width=16``)."""
    return get_factory(name)(**overrides)
