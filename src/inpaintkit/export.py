"""ONNX export of a generator and the onnxruntime backend.

The exported graph is the network's raw ``forward(masked [B,3,H,W], mask [B,1,H,W]) -> pred [B,3,H,W]``
with dynamic batch, height and width (H and W multiples of the network's ``multiple``, 8 for ``fillnet``).
Zeroing the holes, padding, un-padding and compositing stay in :func:`inpaintkit.models.base.run_contract`:
:class:`OnnxInpainter` is only another ``predict`` passed to it, so both backends fill through the same code.

The file carries ``metadata_props`` ``inpaintkit.model`` (network class), ``inpaintkit.multiple`` and
``inpaintkit.config``. Export uses PyTorch's TorchScript-based exporter (``dynamo=False``, opset 17), which
needs only the ``onnx`` package and works offline.

Example:
    >>> from inpaintkit.export import export_onnx, OnnxInpainter   # doctest: +SKIP
    >>> export_onnx("faces", "faces.onnx")                          # doctest: +SKIP
    >>> OnnxInpainter("faces.onnx").fill(image, mask)               # doctest: +SKIP

``--backend onnx`` with a model name or ``.safetensors`` file exports once into the cache folder
(``$XDG_CACHE_HOME/inpaintkit/onnx`` or ``~/.cache/inpaintkit/onnx``), keyed by a hash of the weights and
config, and reuses that file afterwards; an ``.onnx`` path is used as is.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import warnings
from pathlib import Path

import numpy as np
import torch

from inpaintkit.fileio import atomic_path
# the onnxruntime side needs no torch: it lives in onnx_backend.py and is re-exported here
from inpaintkit.onnx_backend import INPUTS, OUTPUT, ExportError, OnnxInpainter, onnx_filler  # noqa: F401

OPSET = 17


def _network(model):
    """Resolve ``model`` (a model spec without variants, or a module) to a float32 eval-mode generator, or
    ExportError. The graph is the raw forward: ``+flip`` / ``+bf16`` / ``+texture`` are applied when filling."""
    from inpaintkit.model_spec import load_torch, parse_spec

    if isinstance(model, torch.nn.Module):
        net = model
    else:
        spec = parse_spec(model)
        if spec.backend == "onnx":
            raise ExportError(f"'{spec.source}' is already an ONNX file; export a model name or .safetensors file")
        if spec.variants or spec.backend != "torch":
            extra = "".join((*spec.variants, *(("+bf16",) if spec.backend == "bf16" else ())))
            raise ExportError(f"model {str(model)!r}: '{extra}' is applied when filling, not stored in the graph; "
                              f"export {spec.source!r} and fill with --model FILE.onnx{extra if extra == '+flip' else ''}")
        net = load_torch(spec.source)
    from inpaintkit.models.width_route import WidthRoute

    if isinstance(net, WidthRoute):
        raise ExportError(f"model {str(model)!r} is two bundled models routed by hole width; export each of them "
                          "(it runs in onnxruntime as it is: --backend onnx)")
    if not isinstance(net, torch.nn.Module):
        raise ExportError(f"model {str(model)!r} is a classical method; only networks export to ONNX")
    return net.float().eval()


def weights_key(net: torch.nn.Module, opset: int = OPSET) -> str:
    """sha256 over class, config, every tensor of the state dict, opset and torch version (cache key)."""
    h = hashlib.sha256()
    h.update(f"{type(net).__name__}|{json.dumps(getattr(net, 'config', {}), sort_keys=True)}|{opset}|{torch.__version__}".encode())
    for k, v in sorted(net.state_dict().items()):
        h.update(k.encode())
        h.update(v.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def max_opset() -> int:
    """The newest ONNX opset PyTorch's TorchScript-based exporter writes (20 in PyTorch 2.1 .. 2.13)."""
    try:
        from torch.onnx import _constants

        return int(getattr(_constants, "ONNX_TORCHSCRIPT_EXPORTER_MAX_OPSET", 20))
    except ImportError:  # pragma: no cover - a PyTorch without the module
        return 20


def check_opset(opset) -> int:
    """``opset`` as an int in ``OPSET`` .. :func:`max_opset`, else ExportError (one line)."""
    top = max_opset()
    if isinstance(opset, bool) or not isinstance(opset, int) or not OPSET <= opset <= top:
        raise ExportError(f"opset must be a whole number from {OPSET} to {top}, got {opset!r}")
    return opset


def export_onnx(model, path, opset: int = OPSET, sample_size: int = 128, verify: bool = True,
                metadata: dict | None = None) -> dict:
    """Export ``model`` (name, model file or module) to ``path`` (atomic); returns ``{"path", "max_abs_diff"}``.

    ``metadata``: more ``metadata_props`` entries (text), e.g. the weights' digest of a shipped graph.

    With ``verify`` the file is checked with ``onnx.checker`` and run with onnxruntime at a size other than
    the sample's (64x96): the largest difference from PyTorch must be below 1e-4.
    """
    import onnx

    opset = check_opset(opset)
    net = _network(model)
    multiple = int(getattr(net, "multiple", 1))
    side = max(multiple, sample_size - sample_size % multiple)
    g = torch.Generator().manual_seed(0)
    mask = (torch.rand(1, 1, side, side, generator=g) > 0.7).float()
    masked = torch.rand(1, 3, side, side, generator=g) * (1 - mask)
    path = Path(path)
    with atomic_path(path) as tmp:
        dyn = {0: "batch", 2: "height", 3: "width"}
        graph = io.BytesIO()  # exported to memory: the C++ exporter is never given a file name (any bytes allowed)
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # the legacy exporter's deprecation and tracer warnings
            torch.onnx.export(net, (masked, mask), graph, dynamo=False, opset_version=opset,
                              input_names=list(INPUTS), output_names=[OUTPUT],
                              dynamic_axes={INPUTS[0]: dyn, INPUTS[1]: dyn, OUTPUT: dyn})
        proto = onnx.load_from_string(graph.getvalue())
        meta = {"inpaintkit.model": type(net).__name__, "inpaintkit.multiple": str(multiple),
                "inpaintkit.config": json.dumps(getattr(net, "config", {})), **(metadata or {})}
        for k, v in meta.items():
            entry = proto.metadata_props.add()
            entry.key, entry.value = k, v
        onnx.checker.check_model(proto)
        Path(tmp).write_bytes(proto.SerializeToString())
        diff = parity(net, tmp, (64, 96)) if verify else None
        if diff is not None and diff > 1e-4:
            raise ExportError(f"exported graph differs from PyTorch by {diff:.2e} (> 1e-4)")
    return {"path": str(path), "max_abs_diff": diff}


def parity(net: torch.nn.Module, onnx_path, size=(64, 96), seed: int = 1) -> float:
    """Largest |onnxruntime - PyTorch| of the raw forward on a random [2,3,H,W] input with ~30 % holes."""
    g = torch.Generator().manual_seed(seed)
    h, w = size
    mask = (torch.rand(2, 1, h, w, generator=g) > 0.7).float()
    masked = torch.rand(2, 3, h, w, generator=g) * (1 - mask)
    with torch.no_grad():
        ref = net(masked, mask).float().numpy()
    out = OnnxInpainter(onnx_path).session.run(None, {INPUTS[0]: masked.numpy(), INPUTS[1]: mask.numpy()})[0]
    return float(np.abs(out - ref).max())


def cache_dir() -> Path:
    """Where on-the-fly exports are kept: ``$XDG_CACHE_HOME/inpaintkit/onnx`` or ``~/.cache/inpaintkit/onnx``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "inpaintkit" / "onnx"


def cached_onnx(model=None) -> Path:
    """The cached ONNX export of ``model`` (name, model file or module), exported now if missing."""
    net = _network(model)
    label = "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(str(model or "default")).stem)[:40]
    path = cache_dir() / f"{label}-{weights_key(net)[:16]}.onnx"
    if not path.is_file():
        export_onnx(net, path)
    return path
