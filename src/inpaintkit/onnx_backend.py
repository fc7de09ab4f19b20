"""The onnxruntime backend: an exported generator run behind the inference contract, without PyTorch.

:class:`OnnxInpainter` runs a graph of :func:`inpaintkit.export.export_onnx` (the network's raw
``forward(masked [B,3,H,W], mask [B,1,H,W]) -> pred [B,3,H,W]``). ``fill_numpy`` takes numpy arrays and needs only
numpy and onnxruntime (the torch-free install fills through it); ``fill`` takes torch tensors.

The bundled networks ship as ONNX graphs beside their weights (``weights/<name>.onnx``, made by
``scripts/export_bundled.py`` and checked against the weights by ``tests/test_shipped_onnx.py``): without
PyTorch, a bundled name resolves to its graph (:func:`onnx_filler`).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from inpaintkit.errors import InpaintkitError
from inpaintkit.models.arrays import flip_averaged_np, run_contract_np
from inpaintkit.optional import loaded_torch, require_torch, torch_available

INPUTS = ("masked", "mask")
OUTPUT = "pred"
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
DIGEST_KEY = "inpaintkit.weights_sha256"  # sha256 of the .safetensors file a shipped graph was exported from


class ExportError(InpaintkitError, ValueError):
    """A model that cannot be exported, or an ONNX file that cannot be used; one line."""


def session_options(threads: int | None = None):
    """onnxruntime session options: ``threads`` intra-op threads (None: ``torch.get_num_threads()`` when torch is
    already imported, so ``torch.set_num_threads`` sets both backends, else onnxruntime's default, the physical
    cores), and threads that sleep rather than spin while they wait."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    torch = loaded_torch()
    if threads is None and torch is not None:
        threads = torch.get_num_threads()
    opts.intra_op_num_threads = int(threads or 0)
    # wait policy: idle pool threads sleep instead of spinning between operators; on a busy machine a spinning
    # thread takes a core from whatever the fill waits for (benchmarks/busy_machine.py)
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return opts


class OnnxInpainter:
    """An exported generator run by onnxruntime behind the same contract: ``.fill(image, mask)`` on torch
    tensors, ``.fill_numpy(image, mask)`` on numpy arrays (no PyTorch needed).

    ``threads``: onnxruntime intra-op threads (see :func:`session_options`). ``flip_average = True`` averages
    each fill with that of the mirrored image, as for a PyTorch network (``model.onnx+flip``). The session is
    created once, here: a batch or a server reuses the object (:func:`inpaintkit.model_spec.load_filler` caches it).
    """

    flip_average: bool = False

    def __init__(self, path, threads: int | None = None):
        import onnxruntime as ort

        path = Path(path)
        if not path.is_file():
            raise ExportError(f"ONNX file not found: {path}")
        opts = session_options(threads)
        try:
            # from the bytes: onnxruntime is not given a file name (one that is not UTF-8 makes it fail)
            self.session = ort.InferenceSession(path.read_bytes(), opts, providers=["CPUExecutionProvider"])
        except Exception as e:  # noqa: BLE001 - onnxruntime raises its own exception types
            raise ExportError(f"cannot load ONNX file {path}: {str(e).splitlines()[0][:160]}") from None
        names = [i.name for i in self.session.get_inputs()]
        if names != list(INPUTS):
            raise ExportError(f"{path} is not an inpaintkit export (inputs {names}, expected {list(INPUTS)})")
        _check_graph(self.session, path)
        meta = self.session.get_modelmeta().custom_metadata_map
        raw = meta.get("inpaintkit.multiple", "8")
        self.multiple = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else 0
        if not 1 <= self.multiple <= 256:
            raise ExportError(f"{path}: metadata inpaintkit.multiple must be a whole number from 1 to 256, got {raw[:40]!r}")
        self.name = meta.get("inpaintkit.model", path.stem)
        self.path = path

    def predict_numpy(self, masked: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Raw forward on numpy: masked [B,3,H,W], mask [B,1,H,W] (padded) -> pred [B,3,H,W]."""
        feed = {INPUTS[0]: np.ascontiguousarray(masked, np.float32), INPUTS[1]: np.ascontiguousarray(mask, np.float32)}
        out = self.session.run(None, feed)[0]
        want = (masked.shape[0], 3, *masked.shape[2:])
        if not isinstance(out, np.ndarray) or out.shape != want or not np.issubdtype(out.dtype, np.floating):
            got = f"{getattr(out, 'dtype', type(out).__name__)} {list(getattr(out, 'shape', []))}"
            raise ExportError(f"{self.path}: the graph returned {got} for an input of {list(masked.shape)}; "
                              f"an inpainting graph returns float [B,3,H,W] = {list(want)}")
        return out

    def predict(self, masked, mask):
        """Raw forward on torch tensors (padded) -> pred [B,3,H,W] tensor."""
        import torch

        return torch.from_numpy(self.predict_numpy(masked.float().contiguous().numpy(), mask.float().contiguous().numpy()))

    def fill_numpy(self, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The contract on numpy arrays (:func:`inpaintkit.models.arrays.run_contract_np`)."""
        predict = flip_averaged_np(self.predict_numpy) if self.flip_average else self.predict_numpy
        return run_contract_np(predict, image, mask, self.multiple)

    def fill(self, image, mask):
        """The contract on torch tensors (:func:`inpaintkit.models.base.run_contract`)."""
        from inpaintkit.models.base import flip_averaged, run_contract

        predict = flip_averaged(self.predict) if self.flip_average else self.predict
        return run_contract(predict, image, mask, self.multiple)

    def __repr__(self) -> str:
        return f"OnnxInpainter({str(self.path)!r})"


def _check_graph(session, path) -> None:
    """The graph's declared inputs and first output have the contract's ranks and channels (a dimension may be
    symbolic): masked [B,3,H,W], mask [B,1,H,W] -> pred [B,3,H,W]; else ExportError."""
    ins, outs = session.get_inputs(), session.get_outputs()
    for arg, channels in ((ins[0], 3), (ins[1], 1), *(((outs[0], 3),) if outs else ())):
        shape = list(arg.shape or [])
        if len(shape) != 4 or (isinstance(shape[1], int) and shape[1] != channels):
            raise ExportError(f"{path}: {arg.name!r} is {shape}, expected [B,{channels},H,W] (not an inpainting graph)")
    if not outs:
        raise ExportError(f"{path}: the graph has no output")


# --- the shipped graphs ---------------------------------------------------------------------------


def bundled_file(name) -> str | None:
    """The weights file stem of a bundled model name (``default`` -> ``general-routed``, which has none: it routes two), or None for other names."""
    from inpaintkit.models.pretrained import BUNDLED, DEFAULT

    key = "default" if name is None else str(name)
    key = DEFAULT if key == "default" else key
    return key if key in BUNDLED else None


def shipped_graph(name) -> Path | None:
    """The shipped ONNX graph of a bundled model name (``None`` / ``default`` included), or None when that model
    ships no graph (``seed-unet-faces``, a baseline, is PyTorch only) or ``name`` is not a bundled model."""
    stem = bundled_file(name)
    path = WEIGHTS_DIR / f"{stem}.onnx" if stem else None
    return path if path is not None and path.is_file() else None


def file_digest(path) -> str:
    """sha256 of a file's bytes (a shipped graph records that of the weights it was exported from)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def onnx_filler(model=None, threads: int | None = None) -> OnnxInpainter:
    """An onnxruntime filler for a model spec's source: an ``.onnx`` path is loaded as is. Anything else is
    exported once to the cache (:func:`inpaintkit.export.cached_onnx`) when PyTorch is installed; without it, a
    bundled name loads its shipped graph, and anything else needs PyTorch (:class:`~inpaintkit.errors.TorchMissingError`)."""
    if isinstance(model, (str, Path)) and str(model).lower().endswith(".onnx"):
        return OnnxInpainter(model, threads)
    from inpaintkit.models.pretrained import routed_bundle, routed_name

    routed = routed_name(model)
    if routed:  # two bundled graphs routed by hole width
        return routed_bundle(routed, lambda part: onnx_filler(part, threads))
    if not torch_available():
        shipped = shipped_graph(model) if isinstance(model, (str, type(None))) else None
        if shipped is not None:
            return OnnxInpainter(shipped, threads)
        what = f"model {str(model)!r}" if model is not None else "this model"
        if isinstance(model, str) and bundled_file(model):
            what = f"bundled model {model!r} (no ONNX graph is shipped for it)"
        elif isinstance(model, str) and model.endswith(".safetensors"):
            what = f"model file '{model}' (export it to .onnx where PyTorch is installed)"
        require_torch(what)
    from inpaintkit.export import cached_onnx

    return OnnxInpainter(cached_onnx(model), threads)
