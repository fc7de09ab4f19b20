"""The models that ship inside the package (``src/inpaintkit/weights/<name>.safetensors`` + ``.json``).

``faces`` (trained on CelebA), ``general`` and ``general-gan`` (trained on general photos), and
``default`` (= ``general-routed``: ``general`` on thin strokes, ``general-gan`` on wide holes).
They load offline, with no download. :func:`load` resolves any model spec to a fresh model (the
parsing itself is :mod:`inpaintkit.model_spec`, shared by the CLI, the evaluator, the server and the API).

Example:
    >>> from inpaintkit.models.pretrained import load
    >>> net = load()            # the default bundled model  # doctest: +SKIP
"""
from __future__ import annotations

from pathlib import Path

from inpaintkit.errors import CheckpointError
from inpaintkit.model_spec import split_suffixes  # noqa: F401 - re-exported: the parser lives in model_spec
from inpaintkit.models.registry import UnknownModelError, create_model, list_models, register_model
from inpaintkit.optional import loaded_torch, require_torch

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"
BUNDLED = ("faces", "general", "general-gan", "faces-gan", "seed-unet-faces")
DEFAULT = "general-routed"


def weights_path(name: str) -> Path:
    return WEIGHTS_DIR / f"{name}.safetensors"


def load_bundled(name: str):
    """Load the bundled model ``name`` (eval mode) from the package's weights folder."""
    path = weights_path(name)
    if not path.is_file():
        raise CheckpointError(f"bundled model {name!r} is missing from this installation ({path})")
    require_torch(f"the PyTorch backend of bundled model {name!r} (without it, bundled models run their shipped ONNX graphs)")
    from inpaintkit.checkpoint import load_model

    return load_model(path)


BUNDLED_DOCS = {  # what each bundled file is, and what it was trained on (its licence follows the data's)
    "faces": "``fillnet`` for faces, trained on CelebA faces at 128 px, aligned and re-framed (``configs/faces*.json``; "
             "CelebA: non-commercial research use).",
    "general": "``fillnet`` for any photo, trained on BSDS500 + ImageNet samples (``configs/general.json``; "
               "research-use data).",
    "general-gan": "``general`` fine-tuned adversarially with patch texture and detail-placement losses: textured "
                   "fills in wide holes (sharpness 0.85-0.95 of the truth's, closer patch statistics), 1.1-1.5 dB lower "
                   "PSNR than ``general``; can still paint faint patterns where the truth is smooth "
                   "(``configs/general-gan192-deep.json``; research-use data).",
    "faces-gan": "``faces`` fine-tuned adversarially (SN-PatchGAN): sharper hair and eyes, lower PSNR "
                 "(``configs/faces-gan.json``; CelebA).",
    "seed-unet-faces": "The baseline: ``seed-unet`` trained on CelebA with the seed's recipe (``configs/seed-unet.json``).",
    "general-routed": "``general`` for strokes up to 6 px wide, ``general-gan`` for holes 16 px wide and wider (given "
                      "the photo reduced until no hole pixel is more than 40 px from a known one), blended by the "
                      "local hole width (``models/width_route.py``; no weights of its own).",
    "default": "The model used when none is named: ``general-routed``.",
}
# bundled names that are two bundled models routed by hole width (models/width_route.py), with no file of their own
ROUTED = {"general-routed": {"accurate": "general", "realistic": "general-gan", "near": 3, "far": 8,
                             "max_depth": 40}}


def _bundled_factory(name: str):
    file = DEFAULT if name == "default" else name
    if file in ROUTED:
        def factory(**kw):
            return routed_bundle(file, load_plain)

        factory.__doc__ = BUNDLED_DOCS[name]
        return factory

    def factory(**kw):
        return load_bundled(file)

    factory.__doc__ = BUNDLED_DOCS[name]
    return factory


for _name in BUNDLED_DOCS:
    register_model(_bundled_factory(_name), name=_name, kind="pretrained")


def routed_name(model) -> str | None:
    """The :data:`ROUTED` bundle that a model spec's source names (``None`` / ``default`` are :data:`DEFAULT`), else None."""
    name = DEFAULT if model in (None, "default") else model
    return name if isinstance(name, str) and name in ROUTED else None


def routed_bundle(name: str, load_part):
    """The :class:`~inpaintkit.models.width_route.WidthRoute` of the routed bundle ``name`` (:data:`ROUTED`), its two
    models loaded by ``load_part(name)`` (PyTorch or ONNX)."""
    from inpaintkit.models.width_route import WidthRoute

    recipe = dict(ROUTED[name])
    return WidthRoute(load_part(recipe.pop("accurate")), load_part(recipe.pop("realistic")), **recipe)


def load(name_or_path: str | Path | None = None):
    """Resolve a model for filling, as a fresh object: any model spec (:mod:`inpaintkit.model_spec`) — ``None``
    → ``default``, a registered name, a model file, an ``.onnx`` file — with its ``+flip`` / ``+bf16`` /
    ``+texture`` suffixes applied, e.g. ``faces+flip``.

    Returns an object with ``.fill(image [B,3,H,W], mask [B,1,H,W])`` (networks in eval mode). ``+flip``
    averages the fill with that of the mirrored image (twice the compute, a little more accurate), ``+bf16``
    runs under bfloat16 autocast (faster on CPUs with AVX512-BF16/AMX) and ``+texture`` adds PatchMatch's
    texture deep inside wide holes (:mod:`~inpaintkit.models.texture`). Unlike
    :func:`inpaintkit.model_spec.load_filler` nothing is cached.
    """
    from inpaintkit.model_spec import apply_variants, parse_spec

    spec = parse_spec(name_or_path)
    if spec.backend == "onnx":
        from inpaintkit.onnx_backend import onnx_filler

        return apply_variants(onnx_filler(spec.source), spec)
    return apply_variants(load_plain(spec.source), spec)


def load_plain(name_or_path: str | Path | None = None):
    """A registered name or a model file path, without suffixes: the model (networks in eval mode,
    channels-last weights)."""
    key = "default" if name_or_path is None else str(name_or_path)
    if key in list_models():
        model = create_model(key)
    elif Path(key).suffix == ".safetensors" or Path(key).exists():
        require_torch(f"model file '{key}' (a torch-free install runs .onnx files: export it where PyTorch is installed)")
        from inpaintkit.checkpoint import load_model

        model = load_model(Path(key))
    else:
        raise UnknownModelError(key)
    torch = loaded_torch()  # a network was built, so torch is imported; a classical method needs none
    if torch is not None and isinstance(model, torch.nn.Module):
        # channels-last weights: oneDNN's convolutions skip a layout conversion per layer (about 1.1x at 128²,
        # 1.35x at 256² on one CPU here); the inputs stay in the ordinary layout
        model = model.eval().to(memory_format=torch.channels_last)
    return model

