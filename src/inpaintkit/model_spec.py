"""Model specs: the one place a model argument is understood, for ``fill``, ``eval``, ``serve``, ``export``,
``fill-video`` and :func:`inpaintkit.inpaint` alike.

A spec is text (or an object with ``.fill``) plus a backend:

=============================  ===========================================================================
``faces``                      a registered name (``inpaintkit models``); ``None`` is ``default``
``runs/x/model.safetensors``   a model file (or training checkpoint); reported under its file stem
``model.onnx``                 an exported graph: runs in onnxruntime (backend ``onnx`` is implied)
``NAME+flip``                  average the fill with that of the mirrored image (any network, ONNX too)
``NAME+bf16``                  PyTorch under bfloat16 autocast (the same as backend ``bf16``)
``NAME+texture``               PatchMatch's texture deep in wide holes (PyTorch only; models/texture.py)
``LABEL=SPEC``                 any of the above, reported under ``LABEL`` (``eval``, the server's header)
=============================  ===========================================================================

Backends: ``torch`` (PyTorch eager fp32), ``bf16`` (PyTorch eager under bfloat16 autocast) and ``onnx``
(onnxruntime; a name or model file is exported once to the cache, see :func:`inpaintkit.onnx_backend.onnx_filler`).
``None`` picks ``onnx`` for an ``.onnx`` file and ``torch`` otherwise; where PyTorch is not installed (the
torch-free install, :mod:`inpaintkit.optional`) a bundled name picks ``onnx`` and runs its shipped graph
(``weights/NAME.onnx``), and a classical method runs as it is. An unknown name lists the valid ones.

>>> spec = parse_spec("best=runs/a/model-best.safetensors+flip")
>>> spec.source, spec.backend, spec.variants, spec.label
('runs/a/model-best.safetensors', 'torch', ('+flip',), 'best')
>>> parse_spec("model.onnx").backend
'onnx'
"""
from __future__ import annotations

import copy
import functools
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from inpaintkit.errors import ModelSpecError, ModelTypeError

if TYPE_CHECKING:  # models.base imports torch: not needed to parse a spec
    from inpaintkit.models.base import Inpainter

BACKENDS = ("torch", "bf16", "onnx")  # PyTorch eager fp32, PyTorch eager under bfloat16 autocast, onnxruntime
VARIANTS = ("+flip", "+bf16", "+texture")  # name suffixes: test-time variants of a network
SPEC_FORMS = ("a name (`inpaintkit models`), a .safetensors model file, an .onnx file, any of them ending in "
              "+flip / +bf16 / +texture, or LABEL=SPEC to report it under LABEL")


@dataclass(frozen=True)
class ModelSpec:
    """A parsed model argument: what to load (``source``), how to run it, and the name it is reported under.

    ``source``: ``None`` (the bundled default), a registered name or a file path as text, or an object with
    ``.fill``. ``backend``: one of :data:`BACKENDS`. ``variants``: ``"+flip"`` / ``"+texture"`` in the order
    given (``+bf16`` becomes ``backend="bf16"``). ``label``: the name in reports (eval tables, server headers).
    """

    source: Any = None
    backend: str = "torch"
    variants: tuple = ()
    label: str = "default"

    @property
    def is_file(self) -> bool:
        """True when ``source`` names a model file (rather than a registered name or an object)."""
        return isinstance(self.source, str) and _looks_like_file(self.source)


def _looks_like_file(text: str) -> bool:
    return Path(text).suffix.lower() in (".safetensors", ".onnx") or os.sep in text or "/" in text or Path(text).exists()


def split_suffixes(key: str) -> tuple[str, list[str]]:
    """``"faces+flip+bf16"`` -> ``("faces", ["+flip", "+bf16"])``."""
    found = []
    while any(key.endswith(s) for s in VARIANTS):
        s = next(s for s in VARIANTS if key.endswith(s))
        found.insert(0, s)
        key = key[: -len(s)]
    return key, found


def _split_label(text: str) -> tuple[Optional[str], str]:
    """``"LABEL=SPEC"`` -> (LABEL, SPEC); a path that merely contains ``=`` (``runs/lr=1e-3/m.safetensors``) is not
    labelled: the label must be non-empty and hold no path separator."""
    label, sep, rest = text.partition("=")
    if not sep or not label or "/" in label or os.sep in label or Path(text).exists():
        return None, text
    if not rest:
        raise ModelSpecError(f"model {text!r}: nothing after '='; give LABEL=SPEC (e.g. best=runs/x/model-best.safetensors)")
    return label, rest


def _backend(source: str, asked: Optional[str], suffixes: list[str], text: str) -> str:
    """The backend a text spec runs on, or ModelSpecError for a combination that cannot run."""
    if asked is not None and asked not in BACKENDS:
        raise ModelSpecError(f"unknown backend {asked!r}; use {', '.join(map(repr, BACKENDS))}")
    onnx_file = source.lower().endswith(".onnx")
    backend = asked or ("onnx" if onnx_file or _shipped_default(source, suffixes) else "torch")
    if onnx_file and backend != "onnx":
        raise ModelSpecError(f"'{source}' is an ONNX file: it runs with backend 'onnx' (the default for .onnx files), "
                             f"not {backend!r}")
    if "+bf16" in suffixes:
        if backend == "onnx":
            raise ModelSpecError(f"model {text!r}: '+bf16' runs PyTorch under bfloat16 autocast; it does not combine "
                                 "with backend 'onnx'")
        backend = "bf16"
    if "+texture" in suffixes and backend == "onnx":
        raise ModelSpecError(f"model {text!r}: '+texture' runs only with PyTorch (backend 'torch' or 'bf16')")
    return backend


def _shipped_default(source: str, suffixes: list[str]) -> bool:
    """True when a bundled name runs on its shipped ONNX graph by default: only where PyTorch is not installed
    (with it, names run in PyTorch as always), and not with a suffix that needs PyTorch (``+bf16``, ``+texture``)."""
    if "+bf16" in suffixes or "+texture" in suffixes:
        return False
    from inpaintkit.optional import torch_available

    if torch_available():
        return False
    from inpaintkit.models.pretrained import BUNDLED_DOCS

    return source in BUNDLED_DOCS


def parse_spec(model=None, backend: Optional[str] = None) -> ModelSpec:
    """Parse a model argument (see the module doc) without loading anything; ModelSpecError for a bad one.

    A :class:`ModelSpec` is returned as is (with ``backend``, when given, replacing its own).
    """
    if isinstance(model, ModelSpec):
        return model if backend is None else replace(model, backend=_check_backend(backend))
    if model is not None and not isinstance(model, (str, os.PathLike)):
        if not callable(getattr(model, "fill", None)) and not callable(getattr(model, "fill_numpy", None)):
            raise ModelTypeError(f"model must be a name, a model file or an object with .fill(), got {type(model).__name__}")
        return ModelSpec(model, _check_backend(backend or "torch"), (), str(getattr(model, "name", type(model).__name__)))
    text = "default" if model is None else os.fspath(model)
    if not text.strip():
        raise ModelSpecError(f"empty model name; give {SPEC_FORMS}")
    label, rest = _split_label(text)
    source, suffixes = split_suffixes(rest)
    if not source:
        raise ModelSpecError(f"model {text!r}: '{''.join(suffixes)}' follows no model name or file")
    run_on = _backend(source, backend, suffixes, text)
    variants = tuple(dict.fromkeys(s for s in suffixes if s != "+bf16"))
    if label is None:
        label = Path(source).stem + "".join(suffixes) if _looks_like_file(source) else rest
    return ModelSpec(source, run_on, variants, label)


def _check_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise ModelSpecError(f"unknown backend {backend!r}; use {', '.join(map(repr, BACKENDS))}")
    return backend


# --- loading --------------------------------------------------------------------------------------


def max_threads() -> int:
    """The most CPU threads a model may be given: 4 per CPU (far more makes OpenMP fail to start them and crash)."""
    return 4 * (os.cpu_count() or 1)


def check_threads(threads) -> int:
    """``threads`` as an int in 1 .. :func:`max_threads`, else :class:`~inpaintkit.errors.InpaintError` (one line)."""
    import numpy as np

    limit = max_threads()
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or not 1 <= threads <= limit:
        raise ModelSpecError(f"threads must be a whole number from 1 to {limit} (4 per CPU), got {threads!r}")
    return int(threads)


def load_filler(model=None, backend: Optional[str] = None, threads: Optional[int] = None) -> Inpainter:
    """Resolve a model spec (text, :class:`ModelSpec` or an object with ``.fill``) to an object with
    ``.fill(image [B,3,H,W], mask [B,1,H,W])``; loaded models are cached per process.

    ``threads``: onnxruntime intra-op threads (PyTorch's are the process-wide ``torch.set_num_threads``).
    An object passed in is used as is under ``torch``; under ``bf16`` a shallow copy runs in bfloat16 (the
    object is not changed); under ``onnx`` a network is exported (cached) and run in onnxruntime.
    """
    spec = parse_spec(model, backend)
    if threads is not None:
        threads = check_threads(threads)
    if not isinstance(spec.source, (str, type(None))):
        return _from_object(spec, threads)
    return _load_cached(spec, _file_stamp(spec), threads)


def _from_object(spec: ModelSpec, threads: Optional[int]):
    from inpaintkit.optional import loaded_torch

    obj = spec.source
    if spec.backend == "onnx":
        if type(obj).__name__ == "OnnxInpainter":
            return obj
        torch = loaded_torch()  # an nn.Module passed in means torch is imported already
        if torch is not None and isinstance(obj, torch.nn.Module):
            from inpaintkit.export import onnx_filler

            return onnx_filler(obj, threads)
        raise ModelSpecError(f"backend 'onnx' needs a network (an nn.Module) or an .onnx file; got {type(obj).__name__}")
    if spec.backend == "bf16":
        if not hasattr(obj, "bf16"):
            raise ModelSpecError(f"backend 'bf16' needs a network; {spec.label!r} ({type(obj).__name__}) has no bf16 mode")
        if not obj.bf16:
            obj = copy.copy(obj)  # shares the weights; the caller's object keeps running in fp32
            obj.bf16 = True
    return obj


def _file_stamp(spec: ModelSpec):
    """(mtime, size) of a model file, so an edited file is reloaded; None for names."""
    if not isinstance(spec.source, str):
        return None
    try:
        st = Path(spec.source).stat()
        return (st.st_mtime_ns, st.st_size)
    except OSError:
        return None


@functools.lru_cache(maxsize=4)
def _load_cached(spec: ModelSpec, stamp, threads: Optional[int]):
    if spec.backend == "onnx":
        from inpaintkit.onnx_backend import onnx_filler

        # an .onnx file as is; a name or model file exported (cached), or without torch a bundled name's shipped graph
        filler = onnx_filler(spec.source, threads)
    else:
        filler = load_torch(spec.source)
    return apply_variants(filler, spec)


def load_torch(source: Optional[str]):
    """The PyTorch model of a name or model file, without variants (:func:`inpaintkit.models.pretrained.load`)."""
    from inpaintkit.models.pretrained import load_plain

    return load_plain(source)


def apply_variants(filler, spec: ModelSpec):
    """``filler`` with the spec's variants and bf16 switched on: ``+flip`` on a network or an ONNX graph,
    ``+texture`` wraps a PyTorch network (:class:`~inpaintkit.models.texture.TextureFill`)."""
    wants = list(spec.variants) + (["+bf16"] if spec.backend == "bf16" else [])
    if wants and not hasattr(filler, "flip_average"):
        what = "backend 'bf16'" if wants == ["+bf16"] else f"'{''.join(wants)}'"
        raise ModelSpecError(f"{what} needs a network; {spec.label!r} is a classical method")
    if "+flip" in wants:
        filler.flip_average = True
    if "+bf16" in wants:
        filler.bf16 = True
    if "+texture" in wants:
        from inpaintkit.optional import require_torch

        require_torch(f"{spec.label!r}: '+texture'")
        from inpaintkit.models.texture import TextureFill

        filler = TextureFill(filler)
    return filler


def kind_of(spec: ModelSpec) -> str:
    """``"classical"`` for a classical method, ``"network"`` otherwise (files, variants, ONNX, objects)."""
    from inpaintkit.models.registry import list_models, model_kind

    if isinstance(spec.source, str) and not spec.variants and spec.source in list_models():
        return model_kind(spec.source)
    if spec.source is None or spec.is_file or spec.variants or spec.backend == "onnx":
        return "network"
    if not isinstance(spec.source, str):
        return "classical" if not hasattr(spec.source, "flip_average") else "network"
    return model_kind(spec.source)  # UnknownModelError listing the valid names


def check_spec(model, backend: Optional[str] = None) -> ModelSpec:
    """:func:`parse_spec` plus the checks that need no loading: a name is registered (else the error lists the
    valid ones), a file exists, a variant is not asked of a classical method."""
    from inpaintkit.models.registry import UnknownModelError, list_models, model_kind

    spec = parse_spec(model, backend)
    if not isinstance(spec.source, str):
        return spec
    if spec.source in list_models():
        if model_kind(spec.source) == "classical" and (spec.variants or spec.backend != "torch"):
            what = f"'{''.join(spec.variants)}'" if spec.variants else f"backend {spec.backend!r}"
            raise ModelSpecError(f"model {spec.label!r}: {what} needs a network; {spec.source!r} is a classical method")
    elif spec.is_file:
        if not Path(spec.source).is_file():
            raise ModelSpecError(f"model file not found: '{spec.source}' (a model is {SPEC_FORMS})")
    else:
        raise UnknownModelError(spec.source)
    return spec
