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
:func:`inpaintkit.images.read_picture` / :func:`~inpaintkit.images.write_picture` (or :func:`fill_file`), which add JPEG / PNG 8 and 16 bit / WebP /
BMP / TIFF, EXIF orientation and writing in the input's bit depth where the output format allows.

**Input rules** (:mod:`inpaintkit.validate`, the one place they are gathered). ``mask`` is a bool array (True =
hole), a number array or a PIL image / image file: the hole is grey level > 127 on the 0..255 scale of its dtype,
whatever its shape (16-bit masks are scaled, other integers taken as they are, float masks in [0, 1]: > 0.5),
except that a mask with a not fully opaque alpha channel uses its alpha (opaque = hole, a brush layer on a
transparent background) — the one rule of :mod:`inpaintkit.images.mask`, as :func:`inpaintkit.images.read_mask`
applies it. NaN or infinite pixels (image or mask) are refused; a float image outside [0, 1] is filled by its
own range (:mod:`inpaintkit.pixels`); ``max_pixels`` is a positive whole number or None.

**Known pixels are bit-identical.** The network sees float copies; the result is the input array with only
the hole pixels replaced (composited in the input's dtype at the very end).

**High resolution** (:mod:`inpaintkit.tiling`, as IOPaint's ``crop`` strategy). An image whose longest side is
at most ``working_size`` (512) is filled in one network call; a larger one crop by crop around each hole, so
known pixels are never touched and memory is bounded by the working size.

**Models** are any model spec (:mod:`inpaintkit.model_spec`): a name, a model file, an ``.onnx`` file, with
``+flip`` / ``+bf16`` / ``+texture``, or an object with ``.fill``; the same specs as the CLI and the server.

**Edge cases.** An empty mask returns a copy of the input and warns (``EmptyMaskWarning``); a mask that
covers every pixel, a mask of another size, or an image over ``max_pixels`` (default Pillow's
``Image.MAX_IMAGE_PIXELS``, ~89 MP) raise :class:`InpaintError` with one line.
"""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Optional

import numpy as np
from PIL import Image

from inpaintkit.errors import EmptyMaskWarning, ImageReadError, InpaintError, LossyOutputWarning  # noqa: F401
from inpaintkit.fileio import shown
from inpaintkit.images import from_pil, lossy_note, mask_to_bool, output_format, read_picture, to_pil, write_picture
from inpaintkit.images.tiff import EXACT_ONLY
from inpaintkit.model_spec import load_filler
from inpaintkit.optional import loaded_torch
from inpaintkit.pixels import PixelError, from_unit, to_unit, value_range
from inpaintkit.tiling import WORKING_SIZE, fill_window, plan_crops
from inpaintkit.validate import check_image as _check_image, check_output_size, check_pair as _check_pair
from inpaintkit.validate import check_working_size

if TYPE_CHECKING:  # models.base imports torch: filling with an ONNX graph or a classical method never does
    from inpaintkit.models.base import Inpainter

__all__ = ["EmptyMaskWarning", "InpaintError", "LossyOutputWarning", "fill_array", "fill_file", "inpaint"]


def _colour_channels(arr: np.ndarray) -> int:
    """1 for grey ([H,W], [H,W,1], [H,W,2]), 3 for RGB / RGBA."""
    return 1 if arr.ndim == 2 or arr.shape[2] <= 2 else 3


def fill_array(filler: Inpainter, arr: np.ndarray, hole: np.ndarray, working_size: int = WORKING_SIZE,
               max_pixels: Optional[int] = None, window: Optional[tuple[float, float]] = None) -> np.ndarray:
    """Fill the ``hole`` (bool [H,W]) pixels of ``arr`` with ``filler``; returns a new array like ``arr``.

    Any pixel type of :data:`inpaintkit.pixels.DTYPES`: the network sees the values mapped to [0, 1] by
    ``window`` (LO, HI in the array's units) or by :func:`inpaintkit.pixels.value_range` (0..255 for uint8,
    [0, 1] for float data inside it, else the known pixels' own range), and the fill is mapped back inside
    that range in the array's type. Known pixels are untouched.
    """
    _check_image(arr)  # the rules live in inpaintkit.validate
    _check_pair(arr, hole, max_pixels)
    working_size = check_working_size(working_size)
    n_hole = int(np.count_nonzero(hole))
    if n_hole == 0:
        warnings.warn("the mask has no hole pixels; the image is returned unchanged", EmptyMaskWarning, stacklevel=3)
        return arr.copy()
    if n_hole == hole.size:
        raise InpaintError("the mask covers the whole image: there are no known pixels to fill from")
    grey = _colour_channels(arr) == 1
    colour = arr if arr.ndim == 2 else (arr[..., :1] if grey else arr[..., :3])  # alpha is not filled
    try:
        rng = value_range(colour, ~hole, window)
    except PixelError as e:
        raise InpaintError(str(e)) from None
    out = arr.copy()
    for c in plan_crops(hole, int(working_size)):
        col = colour[c.y0 : c.y1, c.x0 : c.x1]
        col = col.reshape(col.shape[0], col.shape[1], -1)
        if arr.dtype == np.uint8 and window is None:  # photos: exactly as always
            col = col.astype(np.float32) / np.float32(255)
        else:
            col = to_unit(col, rng)
        if grey:
            col = np.repeat(col, 3, axis=2)
        pred = fill_window(filler, col, hole[c.y0 : c.y1, c.x0 : c.x1], int(working_size))  # [h,w,3]
        if grey:
            pred = pred.mean(axis=2, keepdims=True)
        vals = pred[c.paste]  # [n, 1 or 3] in [0, 1]
        if arr.dtype == np.uint8 and window is None:
            vals = np.rint(vals * 255.0).astype(np.uint8)
        else:
            vals = from_unit(vals, rng, arr.dtype)
        region = out[c.y0 : c.y1, c.x0 : c.x1]  # a view into out
        if region.ndim == 2:
            region[c.paste] = vals[:, 0]
        else:
            sub = region[c.paste]  # [n, C] copy
            sub[:, : vals.shape[1]] = vals
            region[c.paste] = sub
    return out


def inpaint(image, mask, model=None, backend: Optional[str] = None, *, working_size: int = WORKING_SIZE,
            max_pixels: Optional[int] = None):
    """Fill the holes of ``image`` marked by ``mask``; returns the same type (numpy array or PIL image).

    Args:
        image: numpy ``uint8`` / ``uint16`` / float [0,1] array ``[H,W]``, ``[H,W,1..4]``, or a PIL image.
        mask: bool array (True = hole), a number array, a PIL image or an image path; hole = grey > 127
            (or the alpha channel when it is not fully opaque). Same height and width as ``image``.
        model: a model spec (:mod:`inpaintkit.model_spec`): ``None`` (bundled default), a registered name
            (``"faces"``, ``"telea"``, ``"faces+flip"``, ...), a model file, an ``.onnx`` file, or an object with ``.fill``.
        backend: ``None`` (``onnx`` for an ``.onnx`` file, else ``torch``), ``"torch"``, ``"bf16"`` (bfloat16
            autocast) or ``"onnx"`` (onnxruntime).
        working_size: longest side the model is given; larger images are filled crop by crop.
        max_pixels: refuse images above this many pixels (default ``PIL.Image.MAX_IMAGE_PIXELS``).

    A PIL image is used as given (its EXIF orientation is not applied: :func:`~inpaintkit.images.read_picture` and the CLI apply it,
    or call ``PIL.ImageOps.exif_transpose`` first). Known pixels of the result equal the input's bit for bit; an
    empty mask returns a copy with an
    ``EmptyMaskWarning``; a full mask, a size mismatch or a too large image raise :class:`InpaintError`.
    """
    filler = load_filler(model, backend)
    if isinstance(image, Image.Image):
        arr, mode = from_pil(image)
        out = fill_array(filler, arr, mask_to_bool(mask), working_size, max_pixels)
        return to_pil(out, mode, image)
    torch = loaded_torch()  # a tensor passed in means torch is imported already
    if torch is not None and isinstance(image, torch.Tensor):
        raise InpaintError("image is a torch tensor: use model.fill(image, mask) for [B,3,H,W] tensors")
    if not isinstance(image, np.ndarray):
        raise InpaintError(f"image must be a numpy array or a PIL image, got {type(image).__name__}")
    return fill_array(filler, image, mask_to_bool(mask), working_size, max_pixels)


def fill_file(image_path, mask_path, out_path, model=None, backend: Optional[str] = None, *,
              working_size: int = WORKING_SIZE, max_pixels: Optional[int] = None,
              window: Optional[tuple[float, float]] = None) -> bool:
    """Read, fill and write one photo (or DICOM file). Returns False when the mask was empty (the output is then a copy).

    A DICOM input (``.dcm``, or the DICM preamble) is filled frame by frame into a derived DICOM
    (:func:`inpaintkit.dicom.fill_dicom`; ``window`` in its output units, e.g. HU). Otherwise ``window`` (LO, HI)
    is in the image's own units (:func:`fill_array`). Errors: :class:`~inpaintkit.images.ImageReadError`
    (unreadable file) or :class:`InpaintError`.
    """
    from inpaintkit.dicom import is_dicom

    hole = None
    if is_dicom(image_path):
        from inpaintkit.dicom import fill_dicom

        if not is_dicom(out_path):
            raise InpaintError(f"a DICOM input is written as DICOM: give an output ending in .dcm, not '{out_path}'")
        hole = mask_to_bool(mask_path)
        filler = load_filler(model, backend)
        res = fill_dicom(image_path, out_path, hole, filler, window=window, working_size=working_size)
        return res["filled_pixels"] > 0
    fmt = output_format(out_path)  # fail before the work on a bad suffix
    pic = read_picture(image_path)
    check_output_size(fmt, pic.pixels.shape[1], pic.pixels.shape[0], out_path)  # ... or a size it cannot hold
    if pic.pixels.dtype.type in EXACT_ONLY and fmt != "TIFF":
        raise InpaintError(f"'{image_path}' holds {pic.pixels.dtype} pixels: write a TIFF (.tif) to keep them exactly")
    hole = mask_to_bool(mask_path)
    filler = load_filler(model, backend)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EmptyMaskWarning)
        out = fill_array(filler, pic.pixels, hole, working_size, max_pixels, window=window)
    write_picture(out_path, out, pic)
    lost = lossy_note(pic.pixels, fmt)
    if lost:
        warnings.warn(f"'{shown(out_path)}': {lost}", LossyOutputWarning, stacklevel=2)
    return not any(issubclass(w.category, EmptyMaskWarning) for w in caught)
