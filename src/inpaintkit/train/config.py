"""The training config: one pydantic model of every field, saved in ``config.json`` and in each checkpoint.

A config file is a JSON object of fields; ``"base": "other.json"`` (a path relative to the file) starts from
another file's fields, so a recipe states only what it changes::

    {"base": "general.json", "steps": 4000, "lr": 2e-4}

On ``--resume`` the saved config is kept. The *operational* fields (how long, how often to log or save, how
many threads) may change; any other field given with a different value is refused with one line.

Example:
    >>> cfg = TrainConfig.from_dict({"data": "photos", "steps": 10})
    >>> cfg.data, cfg.steps, cfg.size
    (['photos'], 10, 128)
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from inpaintkit.losses import GAN_TERMS, RECON_TERMS

__all__ = ["OPERATIONAL", "TrainConfig", "apply_resume_overrides", "load_config_file"]

PositiveInt = Annotated[int, Field(ge=1, strict=True)]
NonNegInt = Annotated[int, Field(ge=0, strict=True)]
Number = Annotated[float, Field(allow_inf_nan=False)]

# fields that may change when a run is resumed: they change how long and how visibly it runs, not what it learns
OPERATIONAL = ("steps", "max_minutes", "val_every", "sample_every", "ckpt_every", "log_every", "threads",
               "workers", "cache_dir", "device", "rank_checkpoints")


class TrainConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, protected_namespaces=())

    model: str = "fillnet"
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    data: list[str] = Field(default_factory=list)  # one or more dataset folders (CelebA layout or image folders)
    split: str = "train"
    val_data: str = ""  # default: the CelebA val split, or a held-out sample of an image folder's list
    val_split: str = "val"
    size: PositiveInt = 128  # training crop size
    load_size: NonNegInt = 0  # > size: store images at this size and train on random `size` crops
    limit: NonNegInt = 0  # use only the first N training images (0 = all)
    steps: NonNegInt = 1000
    batch: PositiveInt = 16  # global batch (split across DDP ranks)
    lr: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 1e-3
    betas: Annotated[tuple[Number, Number], Field(strict=False)] = (0.9, 0.99)
    # generator parameters whose name starts with a key train at lr x its value, e.g. {"attention.": 10} for a
    # layer new to a warm-started network (the first matching key counts; the rest train at lr)
    lr_mult: dict[str, Annotated[float, Field(gt=0, allow_inf_nan=False)]] = Field(default_factory=dict)
    warmup: NonNegInt = 200
    lr_schedule: Literal["constant", "cosine"] = "constant"  # after warmup
    loss: dict[str, Number] = Field(default_factory=lambda: {"l1_hole": 1.0})  # reconstruction (+ "adv", "fm")
    gan: bool = False
    disc: str = "sn-patchgan"
    disc_kwargs: dict[str, Any] = Field(default_factory=dict)  # e.g. {"width": 32}: a lighter discriminator
    d_lr: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 4e-4
    gan_loss: Literal["hinge", "nsgan"] = "hinge"
    adv_hole_only: bool = False  # D judges the fill, not the known pixels; G's adversarial loss on hole patches
    ema_decay: Annotated[float, Field(ge=0, le=1)] = 0.999
    mask_preset: str = "mixed"
    reframe: bool = False  # random scale / rotation / shift and colour jitter per sample (inpaintkit.augment)
    reframe_p: Annotated[float, Field(ge=0, le=1)] = 1.0  # the share of samples re-framed (the rest as stored)
    seed: int = 0
    val_every: PositiveInt = 500
    val_images: PositiveInt = 200  # at most; an image folder holds out at most a tenth of its images
    sample_every: PositiveInt = 500
    ckpt_every: PositiveInt = 100
    log_every: PositiveInt = 20
    threads: NonNegInt = 0  # 0 = torch's default
    workers: NonNegInt = 1  # DataLoader worker processes
    channels_last: bool = True
    amp: bool = True  # bf16 autocast for the forward pass (about 1.8x faster on CPUs with AVX512-BF16)
    init_from: str = ""  # warm-start the generator (and EMA) from a model file or checkpoint
    cache_dir: str = ""  # where decoded, resized images are cached as .npy ("" = no cache)
    device: Literal["cpu", "cuda", "auto"] = "cpu"  # auto = cuda when available; data always on the CPU
    max_minutes: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0  # > 0: stop after this wall time
    rank_checkpoints: bool = False  # DDP check: every rank r > 0 also writes checkpoint-last.rank{r}.safetensors

    @field_validator("loss")
    @classmethod
    def _known_terms(cls, v: dict) -> dict:
        bad = sorted(set(v) - set(RECON_TERMS) - set(GAN_TERMS))
        if bad:  # checked here, before a run folder exists, not at the first step
            raise ValueError(f"unknown loss terms {bad}; valid: {', '.join(RECON_TERMS + GAN_TERMS)}")
        return v

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        """Validate a JSON object of fields; every problem is one ``ValueError`` line naming the field."""
        if not isinstance(d, dict):
            raise ValueError(f"a config must be a JSON object of fields, got {type(d).__name__}")
        unknown = sorted(set(d) - set(cls.model_fields))
        if unknown:
            raise ValueError(f"unknown config fields {unknown}; valid: {', '.join(sorted(cls.model_fields))}")
        d = dict(d)
        if isinstance(d.get("data"), str):
            d["data"] = [d["data"]]
        for name in ("val_data", "init_from", "cache_dir"):
            if d.get(name) is None and name in d:
                d[name] = ""
        try:
            return cls.model_validate(d)
        except ValidationError as e:
            raise ValueError(_one_line(e)) from None

    def to_dict(self) -> dict:
        d = self.model_dump()
        d["betas"] = list(self.betas)
        return d


def _one_line(e: ValidationError) -> str:
    err = e.errors()[0]
    name = ".".join(str(x) for x in err["loc"][:1]) or "config"
    msg = err["msg"].removeprefix("Value error, ")
    if msg.startswith("unknown loss terms"):
        return msg
    want = {"int_type": "an integer", "float_type": "a number", "bool_type": "true or false",
            "string_type": "a string", "dict_type": "a JSON object", "list_type": "a list of strings"}.get(err["type"])
    text = f"config field {name} must be {want}" if want else f"config field {name}: {msg.lower()}"
    if name == "device" and err["type"] == "literal_error":
        text = "config field device must be cpu, cuda or auto"
    return f"{text}, got {err['input']!r}"[:200]


def load_config_file(path: str | Path, _seen: tuple = ()) -> dict:
    """The fields of a JSON config file, with ``"base"`` files merged in first (a chain, not a cycle)."""
    path = Path(path)
    if path.resolve() in _seen:
        raise ValueError(f"config {path} is its own base (a cycle through {', '.join(str(p) for p in _seen)})")
    try:
        fields = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise ValueError(f"cannot read config {path}: {e.strerror if isinstance(e, OSError) and e.strerror else e}")
    if not isinstance(fields, dict):
        raise ValueError(f"config {path} must be a JSON object of fields, got {type(fields).__name__}")
    base = fields.pop("base", None)
    if base is None:
        return fields
    if not isinstance(base, str):
        raise ValueError(f"config {path}: base must be a file name, got {base!r}")
    return {**load_config_file(path.parent / base, (*_seen, path.resolve())), **fields}


def apply_resume_overrides(saved: TrainConfig, overrides: dict) -> tuple[TrainConfig, list[str]]:
    """The saved config with the operational ``overrides`` applied; ``ValueError`` for any other change.

    Returns the config and one ``"field: old -> new"`` line per applied change.
    """
    d = saved.to_dict()
    applied, refused = [], []
    for key, value in overrides.items():
        new = TrainConfig.from_dict({**d, key: value}).to_dict()[key]  # validated, normalised
        if new == d[key] or (key == "model_kwargs" and {**d[key], **new} == d[key]):
            continue
        if key in OPERATIONAL:
            applied.append(f"{key}: {d[key]!r} -> {new!r}")
            d[key] = new
        else:
            refused.append(key)
    if refused:
        raise ValueError(f"--resume keeps the run's {', '.join(refused)} (start a new run to change them); "
                         f"fields that may change on resume: {', '.join(OPERATIONAL)}")
    return TrainConfig.from_dict(d), applied
