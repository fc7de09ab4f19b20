"""Checks on the network a weights file asks for, made before any of it is built.

A model file (or a training checkpoint) names a registered network and the keyword arguments to build it with.
Both come from the file, so they are data like any other: a 200-byte file asking for ``fillnet`` with
``n_blocks: 5000`` would otherwise allocate gigabytes before its tensors are even looked at. So, in order:

1. :func:`check_config`: every value within sane bounds (:data:`BOUNDS` for the bundled networks; a generic
   rule for networks registered elsewhere), one ``ValueError`` line otherwise;
2. :func:`param_shapes`: the network is built on PyTorch's ``meta`` device (shapes only, no memory), and
   the caller compares those shapes with the file's tensors;
3. only then is the real network built and the weights loaded.

>>> check_config("fillnet", {"widths": [48, 96, 192], "n_blocks": 6})
>>> check_config("fillnet", {"n_blocks": 5000})
Traceback (most recent call last):
...
ValueError: config n_blocks must be a whole number from 0 to 64, got 5000
"""
from __future__ import annotations

import math

import torch

_FILLNET = {"widths": ("ints", 3, 3, 1, 1024), "n_blocks": ("int", 0, 64), "dilations": ("ints", 1, 16, 1, 64),
            "coarse": ("bool",), "spectral": ("int", 0, 64), "blur_out": ("bool",),
            "refine": ("int", 0, 256), "antialias": ("bool",), "attention": ("bool",)}
BOUNDS: dict[str, dict[str, tuple]] = {  # name -> {argument: rule}; rules: ("int", lo, hi),
    "fillnet": _FILLNET,                   # ("ints", min_len, max_len, lo, hi), ("bool",)
    "fillnet-s": _FILLNET,
    "fillnet-ffc": _FILLNET,
    "seed-unet": {"width": ("int", 1, 1024)},
    "routed": {"accurate": ("net", "fillnet"), "realistic": ("net", "fillnet"), "near": ("int", 0, 255),
               "far": ("int", 1, 256)},  # ("net", name): a nested config checked by that network's rules
}
GENERIC_INT = (0, 4096)  # any other network: whole numbers in this range, lists of at most 64 scalars
GENERIC_LIST = 64


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_rule(key: str, value, rule: tuple) -> None:
    kind = rule[0]
    if kind == "net":
        if not isinstance(value, dict):
            raise ValueError(f"config {key} must be a JSON object (the config of a {rule[1]}), got {type(value).__name__}")
        check_config(rule[1], value)
    elif kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"config {key} must be true or false, got {value!r}")
    elif kind == "int":
        lo, hi = rule[1:]
        if not _is_int(value) or not lo <= value <= hi:
            raise ValueError(f"config {key} must be a whole number from {lo} to {hi}, got {value!r}")
    else:
        n_lo, n_hi, lo, hi = rule[1:]
        ok = isinstance(value, (list, tuple)) and n_lo <= len(value) <= n_hi
        if not ok or not all(_is_int(v) and lo <= v <= hi for v in value):
            count = str(n_lo) if n_lo == n_hi else f"{n_lo} to {n_hi}"
            raise ValueError(f"config {key} must be a list of {count} whole numbers from {lo} to {hi}, "
                             f"got {str(value)[:80]}")


def _check_generic(key: str, value, depth: int = 0) -> None:
    if isinstance(value, dict) and depth < 3:  # a nested config (a sub-network's): the same rule inside
        if len(value) > GENERIC_LIST:
            raise ValueError(f"config {key} has {len(value)} fields (at most {GENERIC_LIST})")
        for k, v in value.items():
            _check_generic(f"{key}.{k}", v, depth + 1)
        return
    items = value if isinstance(value, (list, tuple)) else [value]
    if isinstance(value, (list, tuple)) and len(value) > GENERIC_LIST:
        raise ValueError(f"config {key} is a list of {len(value)} values (at most {GENERIC_LIST})")
    for v in items:
        if isinstance(v, bool) or v is None or (isinstance(v, str) and len(v) <= 64):
            continue
        if _is_int(v) and GENERIC_INT[0] <= v <= GENERIC_INT[1]:
            continue
        if isinstance(v, float) and math.isfinite(v):
            continue
        raise ValueError(f"config {key}: {str(v)[:40]!r} is out of bounds (whole numbers {GENERIC_INT[0]} to "
                         f"{GENERIC_INT[1]}, finite numbers, short strings)")


def check_config(name: str, config: dict) -> None:
    """Every value of ``config`` (keyword arguments for network ``name``) within bounds, else ValueError."""
    if not isinstance(config, dict):
        raise ValueError(f"config must be a JSON object, got {type(config).__name__}")
    rules = BOUNDS.get(name)
    for key, value in config.items():
        if rules is None:
            _check_generic(str(key), value)
        elif key not in rules:
            raise ValueError(f"config has an unknown field {str(key)[:40]!r} for {name!r} (known: {', '.join(rules)})")
        else:
            _check_rule(key, value, rules[key])


def param_shapes(name: str, config: dict) -> dict[str, tuple]:
    """``{tensor name: shape}`` of network ``name`` built from ``config`` on the meta device (no memory used).

    Call :func:`check_config` first. Errors of the constructor (``TypeError``, ``ValueError``, ``RuntimeError``)
    pass through.
    """
    from inpaintkit.models.registry import create_model

    with torch.device("meta"):
        net = create_model(name, **config)
    if not isinstance(net, torch.nn.Module):
        raise ValueError(f"model {name!r} is not a network")
    return {k: tuple(v.shape) for k, v in net.state_dict().items()}
