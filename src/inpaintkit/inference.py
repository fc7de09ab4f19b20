"""Fill holes in real photos: any size, format, mode and bit depth, on top of the inference contract.

The one photo-level entry point is :func:`inpaint` (also ``inpaintkit.inpaint``):

    >>> import numpy as np
    >>> img = np.full((64, 96, 3), 200, np.uint8); img[:, 48:] = 40
    >>> hole = np.zeros((64, 96), bool); hole[20:30, 40:60] = True
    >>> out = inpaint(img, hole, model="telea")
    >>> out.shape, out.dtype, bool((out[~hole] == img[~hole]).all())
    ((64, 96, 3), dtype('uint8'), True)

**Inputs.** ``image`` is a numpy array — ``uint8``, ``uint16`` or float in [0, 1]; ``[H,W]`` grayscale,
``[H,W,1]``, ``[H,W,2]`` (grey + alpha), ``[H,W,3]`` RGB or ``[H,W,4]`` RGBA — or a PIL image; the result has
the input's type, shape, dtype (PIL: mode). Grayscale stays grayscale (the network fills the grey repeated to
RGB and the mean of its three channels is kept); an alpha channel is returned unchanged. Files go through
:func:`read_picture` / :func:`write_picture` (or :func:`fill_file`), which add JPEG / PNG 8 and 16 bit / WebP /
BMP / TIFF, EXIF orientation and writing in the input's bit depth where the output format allows.

**Mask rule.** ``mask`` is a bool array (True = hole), a number array or a PIL image / image file: the hole
is grey level > 127 (on a 0..255 scale; 16-bit masks are scaled, float masks: > 0.5), except that a mask
with a not fully opaque alpha channel uses its alpha (opaque = hole, a brush layer on a transparent
background) — the same rule as :func:`inpaintkit.images.read_mask`.

**Known pixels are bit-identical.** The network sees float copies; the result is the input array with only
the hole pixels replaced (composited in the input's dtype at the very end).

**High resolution** (as IOPaint's ``crop`` / ``resize`` strategies). An image whose longest side is at most
``working_size`` (512) is filled in one network call. A larger image is never given to the network whole:
hole pixels closer than ``MERGE_GAP`` pixels are merged into one region (``cv2.connectedComponentsWithStats``
on a dilated, block-reduced mask), and each region is filled from a crop around it of twice its size per
axis (at least ``MIN_CROP`` = 128), resized with ``INTER_AREA`` so its longest side is at most
``working_size``, filled, resized back (bilinear) — and only that region's hole pixels are pasted. A hole
larger than the working size is thus filled at reduced resolution and upsampled; the known pixels are never
touched. A long but thin hole (a wire, a scratch: at most ``working_size / 4`` thick) is instead cut into
cells of ``working_size / 2`` that are each filled at full resolution. Memory beyond the input and output arrays is bounded by the working size (crops) plus a labels
image of at most ~4 MP.

**Edge cases.** An empty mask returns a copy of the input and warns (``EmptyMaskWarning``); a mask that
covers every pixel, a mask of another size, or an image over ``max_pixels`` (default Pillow's
``Image.MAX_IMAGE_PIXELS``, ~89 MP) raise :class:`InpaintError` with one line.
"""
from __future__ import annotations

import functools
import io
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

import cv2
import numpy as np
import torch
from PIL import Image

from inpaintkit.images import ImageReadError, _mask_plane, _open, convert, open_image, read_mask

BACKENDS = ("torch", "bf16", "onnx")  # PyTorch eager fp32, PyTorch eager under bfloat16 autocast, onnxruntime
WORKING_SIZE = 512  # longest side of what the network is given (it was trained at 128², runs at any multiple of 8)
MIN_CROP = 128  # smallest crop side around a hole (context)
MERGE_GAP = 16  # pixels: holes closer than this are filled from one crop
LABEL_PIXELS = 4_000_000  # connected components run on a mask block-reduced to at most this many pixels

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")
_ALPHA_FORMATS = {"PNG", "TIFF", "WEBP"}  # formats Pillow writes (and reads back) with alpha
_SIXTEEN_BIT_FORMATS = {"PNG", "TIFF"}
_ICC_FORMATS = {"PNG", "TIFF", "JPEG", "WEBP"}


class InpaintError(ValueError):
    """A photo/mask pair that cannot be filled; the message is one line."""


class EmptyMaskWarning(UserWarning):
    """The mask has no hole pixel: the image is returned unchanged."""


class LossyOutputWarning(UserWarning):
    """The output format cannot hold all of the image (its alpha channel, or its 16 bits): that part is dropped."""


# --- models ---------------------------------------------------------------------------------------


def max_threads() -> int:
    """The most CPU threads a model may be given: 4 per CPU (far more makes OpenMP fail to start them and crash)."""
    return 4 * (os.cpu_count() or 1)


def check_threads(threads) -> int:
    """``threads`` as an int in 1 .. :func:`max_threads`, else :class:`InpaintError` (one line)."""
    limit = max_threads()
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or not 1 <= threads <= limit:
        raise InpaintError(f"threads must be a whole number from 1 to {limit} (4 per CPU), got {threads!r}")
    return int(threads)


def load_filler(model=None, backend: str = "torch", threads: Optional[int] = None):
    """Resolve ``model`` to an object with ``.fill(image [B,3,H,W], mask [B,1,H,W])``.

    ``model``: ``None`` (the bundled default), a registered name (``inpaintkit models``), a ``.safetensors``
    model file, an ``.onnx`` file (``backend="onnx"``), or an object that already has ``.fill``.
    ``backend``: ``"torch"`` (PyTorch eager), ``"bf16"`` (PyTorch eager under bfloat16 autocast: faster on CPUs
    with AVX512-BF16/AMX, fills within about 1/255 of fp32; for names and model files) or ``"onnx"``
    (onnxruntime; a name or model file is exported once to the cache, see :func:`inpaintkit.export.onnx_filler`). ``threads``: onnxruntime intra-op threads
    (PyTorch's are the process-wide ``torch.set_num_threads``). Loaded models are cached per process.
    """
    if backend not in BACKENDS:
        raise InpaintError(f"unknown backend {backend!r}; use {', '.join(map(repr, BACKENDS))}")
    if threads is not None:
        threads = check_threads(threads)
    if hasattr(model, "fill"):
        if backend == "onnx" and isinstance(model, torch.nn.Module):
            from inpaintkit.export import onnx_filler

            return onnx_filler(model, threads)
        return model
    key = None if model is None else str(model)
    stamp = _file_stamp(key)
    return _load_cached(key, backend, stamp, threads)


def _file_stamp(key: Optional[str]):
    """(mtime, size) of a model file, so an edited file is reloaded; None for names."""
    if key is None:
        return None
    try:
        st = Path(key).stat()
        return (st.st_mtime_ns, st.st_size)
    except OSError:
        return None


@functools.lru_cache(maxsize=4)
def _load_cached(key: Optional[str], backend: str, stamp, threads: Optional[int]):
    if backend == "onnx":
        from inpaintkit.export import onnx_filler

        return onnx_filler(key, threads)
    if key is not None and key.lower().endswith(".onnx"):
        raise InpaintError(f"'{key}' is an ONNX file: use backend 'onnx' (--backend onnx)")
    from inpaintkit.checkpoint import CheckpointError
    from inpaintkit.models.pretrained import load

    try:
        filler = load(key)
    except CheckpointError:
        raise
    except ValueError as e:  # a '+flip' / '+bf16' suffix on a classical method: one line, not a traceback
        raise InpaintError(str(e)) from None
    if backend == "bf16":
        if not hasattr(filler, "bf16"):
            raise InpaintError(f"backend 'bf16' needs a network; {key!r} is a classical method")
        filler.bf16 = True
    return filler


# --- arrays ---------------------------------------------------------------------------------------


def _check_image(arr: np.ndarray) -> None:
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 2, 3, 4)):
        raise InpaintError(f"image must be [H,W], [H,W,1..4], got shape {arr.shape}")
    if arr.dtype not in (np.uint8, np.uint16, np.float32, np.float64):
        raise InpaintError(f"image dtype must be uint8, uint16 or float in [0, 1], got {arr.dtype}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise InpaintError(f"image is empty (shape {arr.shape})")


def _scale(dtype) -> float:
    """Full-scale value of a pixel dtype: 255, 65535 or 1.0."""
    return {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}.get(np.dtype(dtype), 1.0)


def _colour_channels(arr: np.ndarray) -> int:
    """1 for grey ([H,W], [H,W,1], [H,W,2]), 3 for RGB / RGBA."""
    return 1 if arr.ndim == 2 or arr.shape[2] <= 2 else 3


def mask_to_bool(mask, shape: Optional[tuple] = None) -> np.ndarray:
    """Any mask (bool / number array, PIL image, image file path) -> bool [H,W], True = hole (rule in the module doc)."""
    if isinstance(mask, (str, os.PathLike)):
        return read_mask(mask)
    if isinstance(mask, Image.Image):
        im = mask.convert("L") if mask.mode == "1" else mask
        if im.mode.startswith("I;16"):
            return mask_to_bool(np.asarray(im).astype(np.uint16))
        return _mask_plane(im) > 127
    if isinstance(mask, torch.Tensor):
        mask = mask.detach().cpu().numpy()
    if not isinstance(mask, np.ndarray):
        raise InpaintError(f"mask must be an array, a PIL image or a file path, got {type(mask).__name__}")
    m = np.squeeze(mask) if mask.ndim > 2 and mask.shape[-1] == 1 else mask
    if m.ndim == 3 and m.shape[2] in (2, 3, 4):
        if m.dtype == np.uint16:
            m = np.rint(m / 257.0).astype(np.uint8)
        if m.dtype != np.uint8:
            m = np.clip(np.rint(m * 255.0), 0, 255).astype(np.uint8)
        modes = {2: "LA", 3: "RGB", 4: "RGBA"}
        return _mask_plane(Image.fromarray(np.ascontiguousarray(m), mode=modes[m.shape[2]])) > 127
    if m.ndim != 2:
        raise InpaintError(f"mask must be [H,W] (or an image), got shape {mask.shape}")
    if m.dtype == bool:
        return m
    if m.dtype == np.uint8:
        return m > 127
    if m.dtype == np.uint16:
        return np.rint(m / 257.0) > 127
    if np.issubdtype(m.dtype, np.floating):
        return m > 0.5
    if np.issubdtype(m.dtype, np.integer):
        return m > 127
    raise InpaintError(f"mask dtype {m.dtype} is not supported")


def _check_pair(arr: np.ndarray, hole: np.ndarray, max_pixels: Optional[int]) -> None:
    h, w = arr.shape[:2]
    if hole.shape != (h, w):
        msg = f"mask is {hole.shape[1]}x{hole.shape[0]} but image is {w}x{h} (width x height)"
        if hole.shape == (w, h):
            msg += "; rotated? files are read with their EXIF orientation applied"
        raise InpaintError(msg)
    limit = Image.MAX_IMAGE_PIXELS if max_pixels is None else max_pixels
    if limit and h * w > limit:
        raise InpaintError(f"image has {h * w:,} pixels, over the limit of {int(limit):,} (max_pixels)")


# --- crop planning --------------------------------------------------------------------------------


@dataclass
class Crop:
    """One network call: the window ``[y0:y1, x0:x1]`` and ``paste``, the hole pixels it fills (bool, window-sized)."""

    y0: int
    y1: int
    x0: int
    x1: int
    paste: np.ndarray = field(repr=False)


def _window(start: int, extent: int, full: int) -> tuple[int, int]:
    """A window of side ``max(2 * extent, MIN_CROP)`` centred on ``[start, start+extent)``, kept inside ``[0, full)``."""
    side = min(full, max(2 * extent, MIN_CROP))
    lo = int(round(start + extent / 2 - side / 2))
    lo = min(max(lo, 0), full - side)
    return lo, lo + side


def _bbox(m: np.ndarray) -> Optional[tuple[int, int, int, int]]:
    """``(y0, y1, x0, x1)`` of the True pixels of a 2-D array, or None when there are none."""
    rows, cols = np.flatnonzero(m.any(axis=1)), np.flatnonzero(m.any(axis=0))
    if rows.size == 0:
        return None
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def plan_crops(hole: np.ndarray, working_size: int = WORKING_SIZE) -> Iterator[Crop]:
    """The windows to fill for a bool hole mask [H,W] (see the module doc). Whole image when it is small.

    Regions are found on a block-reduced mask (blocks of f x f pixels, f chosen so it has <= ~4 MP). A region
    whose window would have to be reduced is *tiled* instead when it is thin (at most ``working_size / 4``
    pixels thick, e.g. a wire or a scratch across the photo): it is cut into cells of ``working_size / 2``
    and each cell is filled at full resolution. Every hole pixel is pasted by exactly one crop.
    """
    h, w = hole.shape
    if max(h, w) <= working_size:
        yield Crop(0, h, 0, w, hole)
        return
    f = max(1, int(np.ceil(np.sqrt(h * w / LABEL_PIXELS))))  # block factor: labels stay <= ~4 MP
    hb, wb = -(-h // f), -(-w // f)
    if f == 1:
        small = hole.astype(np.uint8)
    else:  # any hole pixel in an f x f block marks the block
        small = np.zeros((hb, wb), np.uint8)
        for dy in range(f):
            for dx in range(f):
                sub = hole[dy::f, dx::f]
                small[: sub.shape[0], : sub.shape[1]] |= sub.view(np.uint8)
    gap = max(1, int(round(MERGE_GAP / f)))
    merged = cv2.dilate(small, np.ones((2 * gap + 1, 2 * gap + 1), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(merged, connectivity=8, ltype=cv2.CV_32S)
    step = max(1, (working_size // 2) // f)  # tile side in blocks
    for i in range(1, n):
        bx, by, bw, bh = (int(v) for v in stats[i, :4])  # box of the merged (dilated) region, in blocks
        comp = (small[by : by + bh, bx : bx + bw] > 0) & (labels[by : by + bh, bx : bx + bw] == i)  # its hole blocks
        box = _bbox(comp)
        if box is None:
            continue
        cells = [box]
        if 2 * max(box[1] - box[0], box[3] - box[2]) * f > working_size:  # its window would be reduced
            inner = comp[box[0] : box[1], box[2] : box[3]]
            depth = cv2.distanceTransform(np.pad(inner, 1).astype(np.uint8), cv2.DIST_L2, 3).max()
            if 2 * depth * f <= working_size / 4:  # thin: tile at full resolution
                cells = []
                for ty in range(box[0], box[1], step):
                    for tx in range(box[2], box[3], step):
                        cb = _bbox(comp[ty : min(ty + step, box[1]), tx : min(tx + step, box[3])])
                        if cb is not None:
                            cells.append((ty + cb[0], ty + cb[1], tx + cb[2], tx + cb[3]))
        for cy0, cy1, cx0, cx1 in cells:
            Y0, Y1 = (by + cy0) * f, min(h, (by + cy1) * f)  # the cell in full-resolution pixels
            X0, X1 = (bx + cx0) * f, min(w, (bx + cx1) * f)
            y0, y1 = _window(Y0, Y1 - Y0, h)
            x0, x1 = _window(X0, X1 - X0, w)
            rows, cols = np.arange(y0, y1), np.arange(x0, x1)
            member = labels[(rows // f)[:, None], (cols // f)[None, :]] == i  # [y1-y0, x1-x0]
            member &= ((rows >= Y0) & (rows < Y1))[:, None] & ((cols >= X0) & (cols < X1))[None, :]
            paste = hole[y0:y1, x0:x1] & member
            if paste.any():
                yield Crop(y0, y1, x0, x1, paste)


def _fill_window(filler, colour: np.ndarray, hole: np.ndarray, working_size: int) -> np.ndarray:
    """Fill float32 [h,w,3] ``colour`` (holes included) at ≤ working size; returns float32 [h,w,3] in [0,1]."""
    h, w = hole.shape
    s = min(1.0, working_size / max(h, w))
    if s < 1.0:
        nh, nw = max(1, int(round(h * s))), max(1, int(round(w * s)))
        small = cv2.resize(colour, (nw, nh), interpolation=cv2.INTER_AREA)
        # a reduced pixel is a hole if any of its source pixels is: known reduced pixels carry no hole colour
        small_hole = cv2.resize(hole.astype(np.float32), (nw, nh), interpolation=cv2.INTER_AREA) > 0
    else:
        small, small_hole = colour, hole
    x = torch.from_numpy(np.ascontiguousarray(small)).permute(2, 0, 1)[None]  # [1,3,h',w']
    m = torch.from_numpy(np.ascontiguousarray(small_hole)).float()[None, None]  # [1,1,h',w']
    with torch.inference_mode():
        pred = filler.fill(x, m)[0].permute(1, 2, 0).float().numpy()  # [h',w',3]
    if s < 1.0:
        pred = cv2.resize(pred, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.clip(pred, 0.0, 1.0)


def fill_array(filler, arr: np.ndarray, hole: np.ndarray, working_size: int = WORKING_SIZE,
               max_pixels: Optional[int] = None) -> np.ndarray:
    """Fill the ``hole`` (bool [H,W]) pixels of ``arr`` with ``filler``; returns a new array like ``arr``."""
    _check_image(arr)
    _check_pair(arr, hole, max_pixels)
    if int(working_size) < 8:
        raise InpaintError(f"working_size must be at least 8, got {working_size}")
    n_hole = int(np.count_nonzero(hole))
    if n_hole == 0:
        warnings.warn("the mask has no hole pixels; the image is returned unchanged", EmptyMaskWarning, stacklevel=3)
        return arr.copy()
    if n_hole == hole.size:
        raise InpaintError("the mask covers the whole image: there are no known pixels to fill from")
    scale = _scale(arr.dtype)
    grey = _colour_channels(arr) == 1
    out = arr.copy()
    for c in plan_crops(hole, int(working_size)):
        win = arr[c.y0 : c.y1, c.x0 : c.x1]
        col = win if win.ndim == 2 else (win[..., :1] if grey else win[..., :3])
        col = col.reshape(col.shape[0], col.shape[1], -1).astype(np.float32) / np.float32(scale)
        if grey:
            col = np.repeat(col, 3, axis=2)
        pred = _fill_window(filler, col, hole[c.y0 : c.y1, c.x0 : c.x1], int(working_size))  # [h,w,3]
        if grey:
            pred = pred.mean(axis=2, keepdims=True)
        vals = pred[c.paste]  # [n, 1 or 3]
        if scale != 1.0:
            vals = np.rint(vals * scale)
        vals = vals.astype(arr.dtype)
        region = out[c.y0 : c.y1, c.x0 : c.x1]  # a view into out
        if region.ndim == 2:
            region[c.paste] = vals[:, 0]
        else:
            sub = region[c.paste]  # [n, C] copy
            sub[:, : vals.shape[1]] = vals
            region[c.paste] = sub
    return out


# --- PIL -------------------------------------------------------------------------------------------


def _from_pil(im: Image.Image) -> tuple[np.ndarray, str]:
    """A PIL image as an array in its own bit depth; returns (array, mode to give back)."""
    mode = im.mode
    if mode in ("L", "LA", "RGB", "RGBA"):
        return np.asarray(im).copy(), mode
    if mode.startswith("I;16"):
        return np.asarray(im).astype(np.uint16), "I;16"
    if mode == "I":
        a = np.asarray(im)
        if a.size and (int(a.min()) < 0 or int(a.max()) > 65535):  # clipping would change them without a word
            raise InpaintError(f"32-bit integer pixels ({int(a.min())}..{int(a.max())}) do not fit 16 bits; "
                               "give a 16-bit image")
        return a.astype(np.uint16), "I;16"
    if mode == "1":
        return np.asarray(im.convert("L")).copy(), "L"
    if mode in ("La",):
        return np.asarray(im.convert("LA")).copy(), "LA"
    if mode in ("RGBa", "PA") or (mode == "P" and "transparency" in im.info):
        return np.asarray(im.convert("RGBA")).copy(), "RGBA"
    if mode == "F":
        raise InpaintError("32-bit float images are not supported; give an 8- or 16-bit image "
                           "(or, in Python, a float numpy array in [0, 1])")
    return np.asarray(convert(im, "RGB")).copy(), "RGB"


def _to_pil(arr: np.ndarray, mode: str, like: Image.Image) -> Image.Image:
    out = Image.fromarray(arr, mode="LA") if mode == "LA" else Image.fromarray(arr)
    if "icc_profile" in like.info:
        out.info["icc_profile"] = like.info["icc_profile"]
    return out


def inpaint(image, mask, model=None, backend: str = "torch", *, working_size: int = WORKING_SIZE,
            max_pixels: Optional[int] = None):
    """Fill the holes of ``image`` marked by ``mask``; returns the same type (numpy array or PIL image).

    Args:
        image: numpy ``uint8`` / ``uint16`` / float [0,1] array ``[H,W]``, ``[H,W,1..4]``, or a PIL image.
        mask: bool array (True = hole), a number array, a PIL image or an image path; hole = grey > 127
            (or the alpha channel when it is not fully opaque). Same height and width as ``image``.
        model: ``None`` (bundled default), a registered name (``"faces"``, ``"telea"``, ...), a model file,
            an ``.onnx`` file (with ``backend="onnx"``), or an object with ``.fill``.
        backend: ``"torch"``, ``"bf16"`` (bfloat16 autocast, see :func:`load_filler`) or ``"onnx"`` (onnxruntime).
        working_size: longest side the model is given; larger images are filled crop by crop.
        max_pixels: refuse images above this many pixels (default ``PIL.Image.MAX_IMAGE_PIXELS``).

    A PIL image is used as given (its EXIF orientation is not applied: :func:`read_picture` and the CLI apply it,
    or call ``PIL.ImageOps.exif_transpose`` first). Known pixels of the result equal the input's bit for bit; an
    empty mask returns a copy with an
    ``EmptyMaskWarning``; a full mask, a size mismatch or a too large image raise :class:`InpaintError`.
    """
    filler = load_filler(model, backend)
    if isinstance(image, Image.Image):
        arr, mode = _from_pil(image)
        out = fill_array(filler, arr, mask_to_bool(mask), working_size, max_pixels)
        return _to_pil(out, mode, image)
    if isinstance(image, torch.Tensor):
        raise InpaintError("image is a torch tensor: use model.fill(image, mask) for [B,3,H,W] tensors")
    if not isinstance(image, np.ndarray):
        raise InpaintError(f"image must be a numpy array or a PIL image, got {type(image).__name__}")
    return fill_array(filler, image, mask_to_bool(mask), working_size, max_pixels)


# --- files -----------------------------------------------------------------------------------------


@dataclass
class Picture:
    """Decoded pixels in their own bit depth (``uint8``/``uint16``; [H,W], [H,W,2], [H,W,3] or [H,W,4]),
    EXIF orientation applied, with the source format and ICC profile for writing back."""

    pixels: np.ndarray
    format: Optional[str] = None
    icc_profile: Optional[bytes] = None


def _orient(a: np.ndarray, orientation: int) -> np.ndarray:
    """Apply an EXIF orientation (1..8) to an [H,W,...] array, as ``PIL.ImageOps.exif_transpose`` does."""
    t = lambda x: np.swapaxes(x, 0, 1)  # noqa: E731
    ops = {2: lambda x: x[:, ::-1], 3: lambda x: x[::-1, ::-1], 4: lambda x: x[::-1],
           5: t, 6: lambda x: t(x)[:, ::-1], 7: lambda x: t(x)[::-1, ::-1], 8: lambda x: t(x)[::-1]}
    return np.ascontiguousarray(ops[orientation](a)) if orientation in ops else a


def _sixteen_bit_colour(path) -> tuple[bool, int]:
    """(is the file 16-bit RGB(A), its EXIF orientation) — Pillow decodes those to 8 bits, OpenCV does not."""
    try:
        with open_image(path) as im:
            if im.mode not in ("RGB", "RGBA") or not im.tile:
                return False, 1
            args = im.tile[0].args
            raw = args[0] if isinstance(args, tuple) else args
            return isinstance(raw, str) and ";16" in raw, int(im.getexif().get(0x0112, 1) or 1)
    except Exception:  # noqa: BLE001 - _open reports unreadable files properly
        return False, 1


def read_picture(path) -> Picture:
    """Read an image file in its own mode and bit depth (JPEG, PNG 8/16-bit, WebP, BMP, TIFF, ...).

    Grey stays ``[H,W]`` (``LA``: ``[H,W,2]``), RGB ``[H,W,3]``, RGBA ``[H,W,4]``; 16-bit files give
    ``uint16``; palette / CMYK / YCbCr images become RGB(A). EXIF orientation is applied. Unreadable files
    raise :class:`~inpaintkit.images.ImageReadError` (one line naming the file).
    """
    im = _open(path)  # validates, applies EXIF orientation, refuses decompression bombs
    fmt, icc = im.format, im.info.get("icc_profile")
    is16, orientation = _sixteen_bit_colour(path)
    if is16:
        # from the bytes: OpenCV's own file functions crash (SIGSEGV) on a name that is not valid UTF-8
        a = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_UNCHANGED)
        if a is not None and a.dtype == np.uint16 and a.ndim == 3 and a.shape[2] in (3, 4):
            code = cv2.COLOR_BGR2RGB if a.shape[2] == 3 else cv2.COLOR_BGRA2RGBA
            return Picture(_orient(cv2.cvtColor(a, code), orientation), fmt, icc)
    try:
        arr, _ = _from_pil(im)
    except ValueError as e:  # InpaintError, or a mode Pillow cannot convert
        raise ImageReadError(f"cannot read image '{path}': {str(e).splitlines()[0]}") from None
    return Picture(arr, fmt, icc)


def output_format(path) -> str:
    """The Pillow format name for an output path's suffix, or InpaintError."""
    suffix = Path(path).suffix.lower()
    fmt = Image.registered_extensions().get(suffix)
    if suffix not in IMAGE_SUFFIXES or fmt is None:
        raise InpaintError(f"cannot write '{path}': use one of {', '.join(IMAGE_SUFFIXES)}")
    return fmt


def encode_picture(pixels: np.ndarray, fmt: str, icc_profile: Optional[bytes] = None) -> bytes:
    """Encode pixels for ``fmt``, keeping bit depth, alpha and grey where the format allows.

    16 bits: PNG and TIFF (else scaled to 8 bits); alpha: PNG, TIFF, WebP (else dropped); grey: all but
    WebP. JPEG and WebP are written at quality 95 (lossy: known pixels are exact only in lossless formats).
    """
    a = pixels if pixels.ndim == 2 else (pixels[..., 0] if pixels.shape[2] == 1 else pixels)
    if a.dtype not in (np.uint8, np.uint16):
        a = np.clip(np.rint(a * 255.0), 0, 255).astype(np.uint8)
    if a.ndim == 3 and a.shape[2] in (2, 4) and fmt not in _ALPHA_FORMATS:
        a = a[..., :-1] if a.shape[2] == 4 else a[..., 0]
    if a.dtype == np.uint16 and fmt not in _SIXTEEN_BIT_FORMATS:
        a = np.rint(a / 257.0).astype(np.uint8)
    if a.ndim == 3 and a.shape[2] == 2 and fmt == "WEBP":  # WebP has no grey: grey + alpha -> RGBA
        a = np.concatenate([np.repeat(a[..., :1], 3, axis=2), a[..., 1:]], axis=2)
    if a.dtype == np.uint16 and a.ndim == 3:
        if a.shape[2] == 2:  # OpenCV writes 1, 3 or 4 channels: grey + alpha as RGBA
            a = np.concatenate([np.repeat(a[..., :1], 3, axis=2), a[..., 1:]], axis=2)
        code = cv2.COLOR_RGB2BGR if a.shape[2] == 3 else cv2.COLOR_RGBA2BGRA
        ok, buf = cv2.imencode(".png" if fmt == "PNG" else ".tiff", cv2.cvtColor(a, code))
        if not ok:
            raise InpaintError(f"OpenCV could not encode a 16-bit {fmt}")
        return buf.tobytes()
    im = Image.fromarray(np.ascontiguousarray(a), mode="LA") if a.ndim == 3 and a.shape[2] == 2 else Image.fromarray(np.ascontiguousarray(a))
    kw: dict = {}
    if fmt in ("JPEG", "WEBP"):
        kw["quality"] = 95
    if fmt == "TIFF":
        kw["compression"] = "tiff_lzw"
    if icc_profile and fmt in _ICC_FORMATS and im.mode != "I;16":
        kw["icc_profile"] = icc_profile
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def write_picture(path, pixels: np.ndarray, like: Optional[Picture] = None) -> Path:
    """Write ``pixels`` atomically (temp file + rename), format from the suffix (see :func:`encode_picture`)."""
    from inpaintkit.fileio import atomic_write_bytes

    path = Path(path)
    data = encode_picture(pixels, output_format(path), like.icc_profile if like else None)
    atomic_write_bytes(path, data)
    return path


def fill_file(image_path, mask_path, out_path, model=None, backend: str = "torch", *,
              working_size: int = WORKING_SIZE, max_pixels: Optional[int] = None) -> bool:
    """Read, fill and write one photo. Returns False when the mask was empty (the output is then a copy).

    Errors: :class:`~inpaintkit.images.ImageReadError` (unreadable file) or :class:`InpaintError`.
    """
    fmt = output_format(out_path)  # fail before the work on a bad suffix
    pic = read_picture(image_path)
    hole = mask_to_bool(mask_path)
    filler = load_filler(model, backend)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EmptyMaskWarning)
        out = fill_array(filler, pic.pixels, hole, working_size, max_pixels)
    write_picture(out_path, out, pic)
    lost = lossy_note(pic.pixels, fmt)
    if lost:
        warnings.warn(f"'{out_path}': {lost}", LossyOutputWarning, stacklevel=2)
    return not any(issubclass(w.category, EmptyMaskWarning) for w in caught)


def lossy_note(pixels: np.ndarray, fmt: str) -> str:
    """What writing ``pixels`` as ``fmt`` loses, in words ("" when nothing): alpha, or bits beyond 8."""
    lost = []
    if pixels.ndim == 3 and pixels.shape[2] in (2, 4) and fmt not in _ALPHA_FORMATS:
        lost.append(f"{fmt} has no alpha channel, so the transparency is dropped")
    if pixels.dtype == np.uint16 and fmt not in _SIXTEEN_BIT_FORMATS:
        lost.append(f"{fmt} holds 8 bits, so the 16-bit image is reduced to 8 bits")
    if not lost:
        return ""
    keep = "PNG or TIFF" if pixels.dtype == np.uint16 or fmt == "WEBP" else "PNG, TIFF or WebP"
    return f"{'; '.join(lost)} (write {keep} to keep it)"


# --- folders ---------------------------------------------------------------------------------------


@dataclass
class FolderReport:
    """What :func:`fill_folder` did: written names, (name, reason) skipped, (name, note) warnings."""

    filled: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    warned: list = field(default_factory=list)
    failed: int = 0  # skipped for a reason other than "output exists"

    def summary(self, out_dir) -> str:
        total = len(self.filled) + len(self.skipped)
        lines = [f"filled {len(self.filled)} of {total} images -> {out_dir}"]
        if self.warned:
            lines.append("notes:")
            lines += [f"  {n}: {why}" for n, why in self.warned]
        if self.skipped:
            lines.append(f"skipped {len(self.skipped)}:")
            lines += [f"  {n}: {why}" for n, why in self.skipped]
        return "\n".join(lines)


def list_images(folder) -> list[Path]:
    """Image files (by suffix) directly in ``folder``, sorted by name; hidden files are ignored."""
    return sorted(p for p in Path(folder).iterdir()
                  if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith("."))


def is_mask_name(path: Path) -> bool:
    """A file named like a mask (``photo_mask.png``): never taken for a photo."""
    return path.stem.lower().endswith("_mask")


def match_masks(images: list[Path], masks_dir) -> dict[Path, object]:
    """Map each image to its mask in ``masks_dir`` by file stem (``photo.jpg`` ← ``photo.png``, or else
    ``photo_mask.png``); the value is a Path, or a str saying why there is none.

    A photo is never its own mask: when ``masks_dir`` is the photos' folder, only ``photo_mask.*`` matches."""
    masks_dir = Path(masks_dir)
    by_stem: dict[str, list[Path]] = {}
    for m in list_images(masks_dir):
        by_stem.setdefault(m.stem, []).append(m)
    out: dict[Path, object] = {}
    for img in images:
        same = img.parent.resolve() == masks_dir.resolve()
        found = ([] if same else by_stem.get(img.stem)) or by_stem.get(img.stem + "_mask") or []
        found = [m for m in found if m.resolve() != img.resolve()]
        if not found:
            out[img] = (f"no mask named {img.stem}_mask.* beside it (the mask folder is the photo folder)" if same
                        else f"no mask named {img.stem}.* or {img.stem}_mask.* in {masks_dir}")
        elif len(found) > 1:
            out[img] = f"several masks match: {', '.join(p.name for p in found)}"
        else:
            out[img] = found[0]
    return out


def fill_folder(images_dir, masks_dir, out_dir, model=None, backend: str = "torch", *, overwrite: bool = False,
                working_size: int = WORKING_SIZE, progress: bool = True) -> FolderReport:
    """Fill every image of ``images_dir`` with its mask (matched by stem) into ``out_dir`` (same file names).

    An existing output is skipped unless ``overwrite``; a file that cannot be read or filled is skipped with
    its reason; nothing stops the batch. ``out_dir`` must differ from both input folders.
    """
    from tqdm import tqdm

    images_dir, masks_dir, out_dir = Path(images_dir), Path(masks_dir), Path(out_dir)
    for d, what in ((images_dir, "images"), (masks_dir, "masks")):
        if not d.is_dir():
            raise InpaintError(f"{what} folder not found: {d}")
        if out_dir.exists() and out_dir.resolve() == d.resolve():
            raise InpaintError(f"the output folder must differ from the {what} folder ({d})")
    if out_dir.exists() and not out_dir.is_dir():
        raise InpaintError(f"output '{out_dir}' exists and is not a folder")
    listed = list_images(images_dir)
    images = [p for p in listed if not is_mask_name(p)]  # photo_mask.png is a mask, wherever it is
    if not images:
        raise InpaintError(f"no images ({', '.join(IMAGE_SUFFIXES)}, not named *_mask) in {images_dir}")
    filler = load_filler(model, backend)  # load once, fail early on a bad model
    report = FolderReport()
    if images_dir.resolve() != masks_dir.resolve():
        report.warned += [(p.name, "named like a mask (*_mask): not filled as a photo") for p in listed if is_mask_name(p)]
    pairs = match_masks(images, masks_dir)
    for img in tqdm(images, desc="fill", unit="img", disable=not progress):
        mask = pairs[img]
        target = out_dir / img.name
        if not isinstance(mask, Path):
            report.skipped.append((img.name, mask))
            report.failed += 1
            continue
        if target.exists() and not overwrite:
            report.skipped.append((img.name, "output exists (use --overwrite)"))
            continue
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", LossyOutputWarning)
                filled = fill_file(img, mask, target, filler, working_size=working_size)
        except (ImageReadError, InpaintError, OSError) as e:
            report.skipped.append((img.name, str(e).splitlines()[0] if str(e) else type(e).__name__))
            report.failed += 1
            continue
        except Exception as e:  # noqa: BLE001 - one bad file never ends the batch: it is reported with the rest
            report.skipped.append((img.name, f"unexpected {type(e).__name__}: {(str(e).splitlines() or [''])[0][:160]}"))
            report.failed += 1
            continue
        report.filled.append(img.name)
        report.warned += [(img.name, str(w.message)) for w in caught if issubclass(w.category, LossyOutputWarning)]
        if not filled:
            report.warned.append((img.name, f"mask {mask.name} is empty: written unchanged"))
    return report
