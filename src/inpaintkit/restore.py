"""Restore old photos: detect scratches, cracks, creases, dust, spots, stains and tears, then fill them.

    >>> from inpaintkit.inference import read_picture
    >>> pic = read_picture("scan.jpg")                                   # doctest: +SKIP
    >>> restored, mask = restore(pic.pixels)                             # doctest: +SKIP

or ``inpaintkit restore scan.jpg -o restored.png --mask-out mask.png`` (a folder of scans: folders for both).

:func:`detect` runs the damage detector (:mod:`inpaintkit.damage.detector`, bundled as
``weights/damage.safetensors``) over the photo **tile by tile** (``tile``² cores with ``overlap`` pixels of
context on each side, one tile in memory at a time), so any size works in bounded memory; photos whose longest
side is over ``detect_size`` are looked at reduced (``INTER_AREA``) and the damage probability is scaled back
up. :func:`damage_mask` thresholds it (``sensitivity``, below) and grows it by ``grow`` pixels (the fill must
also cover the soft rim of a scratch). :func:`restore` fills that mask with the inpainting model through the
public fill API (:func:`inpaintkit.inference.inpaint`: crop by crop, known pixels bit-identical); the many
small specks (dust) go to OpenCV's Telea instead of one network call each (:func:`fill_damage`).

**Sensitivity** in [0, 1]: 0.5 uses the threshold calibrated when the detector was shipped (best F1 on
synthetic damage with at most 0.5 % of clean pixels flagged); higher flags more. The threshold is
``sigmoid(logit(t0) + 6 * (0.5 - sensitivity))``.

**Masks** are written as 8-bit PNG, white 255 = damaged, the convention of ``inpaintkit fill`` (hole = grey >
127), so a mask written by ``restore --mask-out`` can be edited in any paint program and given back to
``fill --mask``. Greyscale, sepia, 16-bit and RGBA photos keep their mode (detection looks at the colour
channels; alpha is never a hint).
"""
from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Optional

import cv2
import numpy as np
import torch

from inpaintkit.errors import InpaintkitError
from inpaintkit.images.mask import grow as grow_mask

TILE = 512
OVERLAP = 32
DETECT_SIZE = 1600  # photos with a longer side are looked at reduced to this (0 = always full resolution)
GROW = 2
SMALL_AREA = 400  # damage regions up to this many pixels (specks) are filled by SMALL_MODEL (fill_damage)
SMALL_MODEL = "telea"


class RestoreError(InpaintkitError, ValueError):
    """A photo or an option restore cannot work with; the message is one line."""


_DETECTORS: dict = {}


def load_default_detector():
    """The bundled detector (cached per process): (net, info)."""
    from inpaintkit.damage.detector import load_detector

    if "bundled" not in _DETECTORS:
        net, info = load_detector()
        net.threshold = float(info.get("threshold", 0.5))  # travels with the network when it is passed on
        _DETECTORS["bundled"] = (net.to(memory_format=torch.channels_last), info)
    return _DETECTORS["bundled"]


def resolve_detector(detector=None) -> tuple[torch.nn.Module, float]:
    """(network, calibrated threshold) from ``None`` (bundled), a detector file path, or an ``nn.Module``
    (its ``threshold`` attribute, which networks loaded here carry; else 0.5)."""
    from inpaintkit.damage.detector import load_detector

    if detector is None:
        net, info = load_default_detector()
        return net, float(info.get("threshold", 0.5))
    if isinstance(detector, torch.nn.Module):
        return detector.eval(), float(getattr(detector, "threshold", 0.5))
    net, info = load_detector(detector)
    net.threshold = float(info.get("threshold", 0.5))
    return net.to(memory_format=torch.channels_last), net.threshold


def threshold_for(t0: float, sensitivity: float) -> float:
    """The probability threshold at ``sensitivity`` (0.5 -> the calibrated ``t0``)."""
    if isinstance(sensitivity, bool) or not isinstance(sensitivity, (int, float)) or not 0 <= sensitivity <= 1:
        raise RestoreError(f"sensitivity must be a number from 0 to 1, got {sensitivity!r}")
    t0 = min(max(float(t0), 1e-4), 1 - 1e-4)
    z = math.log(t0 / (1 - t0)) + 6.0 * (0.5 - float(sensitivity))
    return 1.0 / (1.0 + math.exp(-z))


def _as_rgb_float(tile: np.ndarray) -> np.ndarray:
    """Any photo tile (grey / grey+alpha / RGB / RGBA; uint8, uint16, float [0,1]) -> float32 RGB [h,w,3]."""
    a = tile if tile.ndim == 3 else tile[..., None]
    a = a[..., :1] if a.shape[2] <= 2 else a[..., :3]
    scale = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}.get(a.dtype, 1.0)
    a = a.astype(np.float32) / np.float32(scale)
    return np.repeat(a, 3, axis=2) if a.shape[2] == 1 else a


def _check_photo(image) -> np.ndarray:
    if not isinstance(image, np.ndarray):
        raise RestoreError(f"image must be a numpy array, got {type(image).__name__}")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 2, 3, 4)):
        raise RestoreError(f"image must be [H,W] or [H,W,1..4], got shape {image.shape}")
    if image.dtype not in (np.uint8, np.uint16, np.float32, np.float64):
        raise RestoreError(f"image dtype must be uint8, uint16 or float in [0, 1], got {image.dtype}")
    if min(image.shape[:2]) < 8:
        raise RestoreError(f"image must be at least 8x8 pixels, got {image.shape[1]}x{image.shape[0]}")
    return image


@torch.no_grad()
def _probability_tiles(net: torch.nn.Module, image: np.ndarray, tile: int, overlap: int) -> np.ndarray:
    """Damage probability (float32 [H,W]) of ``image`` computed tile by tile."""
    from inpaintkit.damage.detector import pad_to

    h, w = image.shape[:2]
    prob = np.empty((h, w), np.float32)
    for y0 in range(0, h, tile):
        for x0 in range(0, w, tile):
            y1, x1 = min(y0 + tile, h), min(x0 + tile, w)
            wy0, wx0, wy1, wx1 = max(0, y0 - overlap), max(0, x0 - overlap), min(h, y1 + overlap), min(w, x1 + overlap)
            x = torch.from_numpy(_as_rgb_float(image[wy0:wy1, wx0:wx1])).permute(2, 0, 1)[None]
            x, th, tw = pad_to(x.contiguous(memory_format=torch.channels_last))
            p = torch.sigmoid(net(x)[0, 0, :th, :tw].float()).numpy()
            prob[y0:y1, x0:x1] = p[y0 - wy0 : y1 - wy0, x0 - wx0 : x1 - wx0]
    return prob


def detect(image: np.ndarray, detector=None, *, tile: int = TILE, overlap: int = OVERLAP,
           detect_size: int = DETECT_SIZE) -> np.ndarray:
    """Damage probability per pixel, float32 [H,W] in [0, 1], of a photo array (any size, by tiles).

    ``detector``: ``None`` (bundled), a detector file, or a network ``[B,3,H,W] in [0,1] -> logits``.
    """
    image = _check_photo(image)
    if tile < 16 or overlap < 0:
        raise RestoreError(f"tile must be >= 16 and overlap >= 0, got {tile} and {overlap}")
    net, _ = resolve_detector(detector)
    h, w = image.shape[:2]
    if detect_size and max(h, w) > detect_size:
        s = detect_size / max(h, w)
        small = cv2.resize(image, (max(8, round(w * s)), max(8, round(h * s))), interpolation=cv2.INTER_AREA)
        prob = _probability_tiles(net, small, tile, overlap)
        return cv2.resize(prob, (w, h), interpolation=cv2.INTER_LINEAR)
    return _probability_tiles(net, image, tile, overlap)


def damage_mask(image: np.ndarray, detector=None, *, sensitivity: float = 0.5, grow: int = GROW,
                tile: int = TILE, overlap: int = OVERLAP, detect_size: int = DETECT_SIZE) -> np.ndarray:
    """bool [H,W], True = damaged: :func:`detect`, thresholded at ``sensitivity``, grown by ``grow`` pixels."""
    if isinstance(grow, bool) or not isinstance(grow, (int, np.integer)) or not 0 <= grow <= 64:
        raise RestoreError(f"grow must be a whole number of pixels from 0 to 64, got {grow!r}")
    net, t0 = resolve_detector(detector)  # once: a detector file is read once
    t = threshold_for(t0, sensitivity)
    mask = detect(image, net, tile=tile, overlap=overlap, detect_size=detect_size) >= t
    if grow:
        mask = grow_mask(mask, grow)
    return mask


def restore(image: np.ndarray, model=None, detector=None, *, sensitivity: float = 0.5, grow: int = GROW,
            mask: Optional[np.ndarray] = None, working_size: int = 512, detect_size: int = DETECT_SIZE,
            tile: int = TILE) -> tuple[np.ndarray, np.ndarray]:
    """Detect the damage of ``image`` (or take ``mask``) and fill it with ``model``; returns (restored, mask).

    The result has the input's shape and dtype, and its pixels outside the mask are bit-identical. No
    damage found: a copy of the input and an all-false mask.
    """
    from inpaintkit.inference import EmptyMaskWarning

    image = _check_photo(image)
    if mask is None:
        mask = damage_mask(image, detector, sensitivity=sensitivity, grow=grow, tile=tile, detect_size=detect_size)
    if not mask.any():
        return image.copy(), mask
    if mask.all():
        raise RestoreError("the whole photo was marked as damaged: nothing to fill from (lower --sensitivity)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EmptyMaskWarning)
        out = fill_damage(image, mask, model, working_size=working_size)
    return out, mask


def fill_damage(image: np.ndarray, mask: np.ndarray, model=None, *, working_size: int = 512,
                small_area: int = SMALL_AREA, small_model=SMALL_MODEL) -> np.ndarray:
    """Fill ``mask`` in ``image`` with the public fill API (:func:`inpaintkit.inference.inpaint`), in two passes.

    Damage regions larger than ``small_area`` pixels (scratches, cracks, creases, tears) are filled by ``model``
    (default: the bundled inpainting network), each from a crop around it. The small ones (dust, specks; often
    hundreds, each a network call of its own) are then filled by ``small_model`` (default ``"telea"``, OpenCV's
    fast marching: at most ~20 px across there is no structure for a network to add, and it costs
    milliseconds; ``None`` = ``model`` too). Pixels outside ``mask`` are never changed.
    """
    from inpaintkit.inference import inpaint

    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.view(np.uint8), connectivity=8, ltype=cv2.CV_32S)
    big_ids = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] > small_area)
    big_ids = big_ids[big_ids > 0]
    big = np.isin(labels, big_ids) if big_ids.size else np.zeros_like(mask)
    del labels
    small = mask & ~big
    out = inpaint(image, big, model=model, working_size=working_size) if big.any() else image
    if small.any():
        out = inpaint(out, small, model=model if small_model is None else small_model, working_size=working_size)
    return out


def write_mask(path, mask: np.ndarray) -> Path:
    """Write a bool mask as an 8-bit PNG, 255 = damaged (what ``fill --mask`` reads back)."""
    from inpaintkit.inference import write_picture

    if Path(path).suffix.lower() != ".png":
        raise RestoreError(f"a mask must be written as .png (lossless), got '{path}'")
    return write_picture(path, np.where(mask, 255, 0).astype(np.uint8))


def restore_file(image_path, out_path, mask_out=None, model=None, detector=None, *, sensitivity: float = 0.5,
                 grow: int = GROW, working_size: int = 512, detect_size: int = DETECT_SIZE) -> float:
    """Read, restore and write one photo (and its mask to ``mask_out``); returns the fraction of pixels filled."""
    from inpaintkit.inference import output_format, read_picture, write_picture

    output_format(out_path)  # fail before the work on a bad suffix
    if mask_out is not None and Path(mask_out).suffix.lower() != ".png":
        raise RestoreError(f"--mask-out must name a .png file, got '{mask_out}'")
    pic = read_picture(image_path)
    out, mask = restore(pic.pixels, model, detector, sensitivity=sensitivity, grow=grow,
                        working_size=working_size, detect_size=detect_size)
    write_picture(out_path, out, pic)
    if mask_out is not None:
        write_mask(mask_out, mask)
    return float(mask.mean())


def restore_folder(in_dir, out_dir, mask_dir=None, model=None, detector=None, *, sensitivity: float = 0.5,
                   grow: int = GROW, working_size: int = 512, detect_size: int = DETECT_SIZE,
                   overwrite: bool = False, progress: bool = True) -> tuple[list, list]:
    """Restore every photo of ``in_dir`` into ``out_dir`` (same names), masks as ``mask_dir/<stem>_mask.png``.

    Files named like masks (``*_mask``) are not photos. An existing output is skipped unless ``overwrite``; a
    photo that fails is reported and the rest go on. Returns (done: [(name, fraction)], skipped: [(name, why)]).
    """
    from tqdm import tqdm

    from inpaintkit.batch import is_mask_name
    from inpaintkit.errors import ImageReadError, InpaintError
    from inpaintkit.images.read import list_images

    in_dir, out_dir = Path(in_dir), Path(out_dir)
    if not in_dir.is_dir():
        raise RestoreError(f"photo folder not found: {in_dir}")
    for d, what in ((out_dir, "output"), (mask_dir, "mask")):
        if d is not None and Path(d).exists() and Path(d).resolve() == in_dir.resolve():
            raise RestoreError(f"the {what} folder must differ from the photo folder ({in_dir})")
    photos = [p for p in list_images(in_dir) if not is_mask_name(p)]
    if not photos:
        raise RestoreError(f"no photos in {in_dir}")
    resolve_detector(detector)  # fail early on a bad detector file
    out_dir.mkdir(parents=True, exist_ok=True)
    if mask_dir is not None:
        Path(mask_dir).mkdir(parents=True, exist_ok=True)
    done, skipped = [], []
    for p in tqdm(photos, desc="restore", unit="img", disable=not progress):
        target = out_dir / p.name
        if target.exists() and not overwrite:
            skipped.append((p.name, "output exists (use --overwrite)"))
            continue
        m = Path(mask_dir) / f"{p.stem}_mask.png" if mask_dir is not None else None
        try:
            done.append((p.name, restore_file(p, target, m, model, detector, sensitivity=sensitivity, grow=grow,
                                              working_size=working_size, detect_size=detect_size)))
        except (ImageReadError, InpaintError, RestoreError, OSError) as e:
            skipped.append((p.name, (str(e).splitlines() or [type(e).__name__])[0]))
    return done, skipped
