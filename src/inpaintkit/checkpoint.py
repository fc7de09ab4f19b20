"""Weights and training state as safetensors (never pickle), written atomically.

Two kinds of file:

* a **model file** (``save_model`` / ``load_model``): the generator's tensors, with the registry name and
  constructor config in the safetensors metadata and in a JSON file beside it — what ships and what
  ``fill``/``eval``/``export`` load;
* a **training checkpoint** (``save_state`` / ``load_state``): tensors under prefixes (``g/``, ``ema/``,
  ``d/``, ``opt_g/``, ``opt_d/``, ``rng/``) plus JSON metadata (config, step, optimizer hyper-parameters).

Every write goes through :mod:`inpaintkit.fileio` (temporary file, fsync, rename), so a crash (even
``kill -9``) leaves either the old file or the new one, never a truncated one.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from inpaintkit.errors import CheckpointError  # noqa: F401 - defined there, so torch-free code can catch it
from inpaintkit.fileio import atomic_write_bytes, atomic_write_text

FORMAT = "inpaintkit"


def tensors_digest(tensors: dict[str, torch.Tensor]) -> str:
    """sha256 over every tensor's name, dtype, shape and bytes: written into each file's metadata (``sha256``) and
    checked on reading, so a file changed after it was written (a flipped bit) is refused, not trained on."""
    h = hashlib.sha256()
    for k in sorted(tensors):
        t = tensors[k].detach().contiguous().cpu()
        h.update(f"{k}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy())
    return h.hexdigest()


def _read(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"weights file not found: {path}")
    try:  # from the bytes: the Rust reader refuses file names that are not UTF-8
        data = path.read_bytes()
        tensors = st_load(data)  # validates the header and every tensor's extent
        header = json.loads(data[8 : 8 + int.from_bytes(data[:8], "little")])
        meta = header.get("__metadata__") or {}
        if not isinstance(meta, dict):
            raise ValueError("__metadata__ is not an object")
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise CheckpointError(f"{path} is not a readable safetensors file ({str(e).splitlines()[0][:120]})") from None
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an inpaintkit file (its metadata has no format={FORMAT!r})")
    if "sha256" in meta and meta["sha256"] != tensors_digest(tensors):  # files written before it have none
        raise CheckpointError(f"{path} is damaged: its tensors do not match the checksum written with them")
    return tensors, meta


def state_config(path: str | os.PathLike) -> dict:
    """The training config saved in a :func:`save_state` file, from its header alone (the tensors are checked
    when :func:`load_state` restores them)."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            n = int.from_bytes(f.read(8), "little")
            if not 0 < n <= 100 * 2**20:
                raise ValueError(f"header length {n}")
            header = json.loads(f.read(n))
        meta = header.get("__metadata__") or {}
        if not isinstance(meta, dict):
            raise ValueError("__metadata__ is not an object")
        end = max((int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"), default=0)
        if 8 + n + end != path.stat().st_size:  # as the full reader refuses it: cut short or padded
            raise ValueError(f"the file is {path.stat().st_size} bytes, its header describes {8 + n + end}")
    except (OSError, ValueError, KeyError, TypeError, IndexError) as e:
        raise CheckpointError(f"{path} is not a readable safetensors file ({str(e).splitlines()[0][:120]})") from None
    if meta.get("format") != FORMAT or meta.get("kind") != "train-state":
        raise CheckpointError(f"{path} is not a training checkpoint")
    return _meta_json(meta, "config", path)


def save_model(net, path: str | os.PathLike, name: str, extra: dict | None = None, dtype: torch.dtype | None = None) -> None:
    """Save a generator's weights as ``path`` (.safetensors) and its config as ``path`` with .json.

    ``dtype=torch.float16`` halves the file (the shipped models); loading casts back to the model's dtype.
    """
    path = Path(path)
    info = {"model": name, "config": net.config, **(extra or {})}
    tensors = {k: v.detach().contiguous().cpu() for k, v in net.state_dict().items()}
    if dtype is not None:
        tensors = {k: v.to(dtype) if v.is_floating_point() else v for k, v in tensors.items()}
    meta = {"format": FORMAT, "kind": "model", "info": json.dumps(info), "sha256": tensors_digest(tensors)}
    atomic_write_bytes(path, st_save(tensors, metadata=meta))
    atomic_write_text(path.with_suffix(".json"), json.dumps(info, indent=2) + "\n")


def read_model_info(path: str | os.PathLike) -> dict:
    """The ``{"model": name, "config": {...}, ...}`` record stored in a model file."""
    _, meta = _read(path)
    if meta.get("kind") != "model":
        raise CheckpointError(f"{path} is a {meta.get('kind', 'unknown')} file, not a model file")
    return _meta_json(meta, "info", path)


def _meta_json(meta: dict, key: str, path) -> dict:
    """``json.loads(meta[key])`` of a file's metadata, which must be a JSON object; else one CheckpointError line."""
    try:
        value = json.loads(meta[key])
    except (KeyError, ValueError, RecursionError) as e:
        raise CheckpointError(f"{path}: damaged metadata {key!r} ({type(e).__name__})") from None
    if not isinstance(value, dict):
        raise CheckpointError(f"{path}: damaged metadata {key!r} (not a JSON object)")
    return value


def load_model(path: str | os.PathLike):
    """Build the generator a model file describes and load its weights (eval mode)."""
    from inpaintkit.models.configs import check_config, param_shapes
    from inpaintkit.models.registry import UnknownModelError, create_model, model_kind

    tensors, meta = _read(path)
    if meta.get("kind") == "train-state":  # a training checkpoint: take the EMA generator
        info = _meta_json(meta, "config", path)
        name, config = info.get("model"), info.get("model_kwargs", {})
        tensors = {k[4:]: v for k, v in tensors.items() if k.startswith("ema/")}
    elif meta.get("kind") == "model":
        info = _meta_json(meta, "info", path)
        name, config = info.get("model"), info.get("config", {})
    else:
        raise CheckpointError(f"{path}: unknown inpaintkit file kind {meta.get('kind')!r}")
    if not isinstance(name, str) or not isinstance(config, dict):
        raise CheckpointError(f"{path}: damaged metadata (model name {name!r}, config of type {type(config).__name__})")
    try:
        kind = model_kind(name)
    except UnknownModelError as e:
        raise CheckpointError(f"{path}: cannot build model {name!r} from its config ({e})") from None
    if kind != "network":
        raise CheckpointError(f"{path}: model {name!r} is a {kind} model, not a network, so it has no weights to load")
    try:  # the config is data from the file: bounded, and fitted to the tensors, before anything is allocated
        check_config(name, config)
    except ValueError as e:
        raise CheckpointError(f"{path}: refused before building {name!r}: {e}") from None
    try:
        shapes = param_shapes(name, config)
    except (TypeError, ValueError, RuntimeError) as e:
        raise CheckpointError(f"{path}: cannot build model {name!r} from its config ({str(e).splitlines()[0][:160]})") from None
    check_fit(shapes, tensors, path)
    net = create_model(name, **config)
    load_weights(net, tensors, path)
    return net.eval()


def check_fit(shapes: dict[str, tuple], tensors: dict[str, torch.Tensor], source="weights",
              new_ok: bool = False) -> None:
    """One clear line when the tensors' names or shapes are not ``shapes``, or any of them is NaN or infinite.
    ``new_ok``: names of ``shapes`` that ``tensors`` lacks are allowed (layers a warm start adds)."""
    missing = [] if new_ok else sorted(set(shapes) - set(tensors))
    extra = sorted(set(tensors) - set(shapes))
    bad = [k for k in shapes if k in tensors and tuple(shapes[k]) != tuple(tensors[k].shape)]
    if missing or extra or bad:
        what = [f"missing {missing[:3]}"] * bool(missing) + [f"unexpected {extra[:3]}"] * bool(extra) + [
            f"shape mismatch {bad[:3]}"] * bool(bad)
        raise CheckpointError(f"{source} does not fit this model: {'; '.join(what)}")
    check_finite(tensors, source)


def check_finite(tensors: dict[str, torch.Tensor], source="weights") -> None:
    """CheckpointError naming the first floating-point tensor that holds NaN or infinity (a diverged or damaged
    model would otherwise fill black, or train on as NaN)."""
    for k, v in tensors.items():
        if v.is_floating_point() and not bool(torch.isfinite(v).all()):
            raise CheckpointError(f"{source}: tensor {k!r} holds NaN or infinite values (a diverged or damaged file)")


def load_weights(net: torch.nn.Module, tensors: dict[str, torch.Tensor], source="weights", new_ok: bool = False) -> list[str]:
    """``load_state_dict`` with one clear line when names or shapes do not fit, or a value is not finite.

    ``new_ok`` (a warm start, ``init_from``): layers of ``net`` that ``tensors`` lacks keep their own initial
    values — e.g. a ``fillnet`` with ``spectral`` or ``refine`` from a plain one, whose added layers start at zero.
    Every tensor given must still fit. Returns the names left at their initial values."""
    check_fit({k: tuple(v.shape) for k, v in net.state_dict().items()}, tensors, source, new_ok=new_ok)
    net.load_state_dict(tensors, strict=not new_ok)
    return sorted(set(net.state_dict()) - set(tensors))


# --- training state -----------------------------------------------------------------------------


def _flatten_optimizer(prefix: str, opt: torch.optim.Optimizer, tensors: dict, meta: dict) -> None:
    sd = opt.state_dict()
    for idx, st in sd["state"].items():
        for key, val in st.items():
            t = val if torch.is_tensor(val) else torch.tensor(val)
            tensors[f"{prefix}/state/{idx}/{key}"] = t.detach().contiguous().cpu()
    meta[prefix] = json.dumps(sd["param_groups"])


def _unflatten_optimizer(prefix: str, opt: torch.optim.Optimizer, tensors: dict, meta: dict) -> None:
    state: dict = {}
    for k, v in tensors.items():
        if k.startswith(prefix + "/state/"):
            idx, key = k[len(prefix) + 7:].split("/", 1)
            state.setdefault(int(idx), {})[key] = v
    opt.load_state_dict({"state": state, "param_groups": json.loads(meta[prefix])})


def save_state(path, *, config: dict, step: int, modules: dict, optimizers: dict, extra: dict | None = None) -> None:
    """Save everything a run needs to continue exactly: modules' state_dicts, optimizers, RNG, step."""
    tensors: dict[str, torch.Tensor] = {}
    meta = {"format": FORMAT, "kind": "train-state", "config": json.dumps(config), "step": str(step),
            "extra": json.dumps(extra or {})}
    for name, m in modules.items():
        for k, v in m.state_dict().items():
            tensors[f"{name}/{k}"] = v.detach().contiguous().cpu()
    for name, opt in optimizers.items():
        _flatten_optimizer(name, opt, tensors, meta)
    tensors["rng/torch"] = torch.get_rng_state()
    meta["sha256"] = tensors_digest(tensors)
    atomic_write_bytes(path, st_save(tensors, metadata=meta))


def load_state(path, *, modules: dict, optimizers: dict) -> tuple[int, dict, dict]:
    """Restore a :func:`save_state` file into ``modules``/``optimizers``; returns (step, config, extra)."""
    tensors, meta = _read(path)
    if meta.get("kind") != "train-state":
        raise CheckpointError(f"{path} is not a training checkpoint")
    config, extra = _meta_json(meta, "config", path), _meta_json({"extra": "{}", **meta}, "extra", path)
    if not str(meta.get("step", "")).isdigit() or "rng/torch" not in tensors:
        raise CheckpointError(f"{path}: damaged training checkpoint (no step or no RNG state)")
    check_finite(tensors, path)  # optimizer state included: a NaN there would make the resumed run NaN
    for name, m in modules.items():
        sub = {k[len(name) + 1:]: v for k, v in tensors.items() if k.startswith(name + "/")}
        load_weights(m, sub, f"{path} [{name}]")
    for name, opt in optimizers.items():
        try:
            _unflatten_optimizer(name, opt, tensors, meta)
        except (KeyError, ValueError, TypeError, RuntimeError) as e:
            raise CheckpointError(f"{path}: optimizer state {name!r} does not fit ({type(e).__name__}: {str(e)[:80]})") from None
    torch.set_rng_state(tensors["rng/torch"])
    return int(meta["step"]), config, extra
