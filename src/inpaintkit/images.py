"""Reading images and masks, and the evaluation protocol's preprocessing.

The protocol (``../shared/data/README.md``): an image is decoded as 8-bit RGB, its centre square is cut out
(a 178x218 CelebA face keeps rows 20-197) and resized with ``cv2.INTER_AREA``; a mask file is resized to the
image size with ``cv2.INTER_NEAREST`` and *then* thresholded, hole = value > 127.

>>> import numpy as np
>>> face = np.zeros((218, 178, 3), np.uint8)
>>> preprocess(face, 128).shape
(128, 128, 3)

Arrays are numpy ``uint8 [H,W,3]`` RGB and ``bool [H,W]`` masks (True = hole); tensors are torch float
``[3,H,W]`` in [0,1] and ``[1,H,W]`` masks (1 = hole), as the inference contract in ``models/base.py`` wants.
"""
from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Optional, Tuple

import cv2
import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from inpaintkit.fileio import atomic_write_bytes


class ImageReadError(ValueError):
    """An image or mask file that cannot be read; the message is one line naming the file."""


# The formats read from files: the documented ones (MPO is the multi-picture JPEG many cameras write). Pillow
# hands a file to the first of its ~40 plugins that claims it (EPS runs Ghostscript on it); only these are asked.
FORMATS = ("PNG", "JPEG", "MPO", "WEBP", "BMP", "TIFF")
FORMATS_TEXT = "PNG, JPEG, WebP, BMP or TIFF"


class UnsupportedFormatError(UnidentifiedImageError):
    """A file that none of :data:`FORMATS` reads; ``format`` names the one it looks like (or is None)."""

    def __init__(self, fmt: Optional[str]):
        self.format = fmt
        super().__init__(f"unsupported format {fmt} (use {FORMATS_TEXT})" if fmt
                         else "not an image (unknown or unsupported format)")


# formats named in the error when their signature matches (those with a distinctive one; a TGA or PCX header is
# too weak a signature to name the format from)
_NAMED = ("EPS", "PPM", "GIF", "ICO", "DDS", "SGI", "QOI", "JPEG2000", "ICNS", "AVIF", "PSD", "XBM", "XPM", "FITS")


def _sniff(prefix: bytes) -> Optional[str]:
    """The format a signature test names for ``prefix`` (only the tests run: no plugin opens the file)."""
    Image.init()
    for fmt in _NAMED:
        accept = Image.OPEN.get(fmt, (None, None))[1]
        try:
            if accept is not None and accept(prefix):
                return fmt
        except Exception:  # noqa: BLE001 - a signature test that fails on odd bytes claims nothing
            continue
    return None


def open_image(fp) -> Image.Image:
    """``Image.open`` for untrusted data (a path or a binary file): only the plugins of :data:`FORMATS` see it.

    Raises :class:`UnsupportedFormatError` (an ``UnidentifiedImageError``) for anything else, naming the format
    it looks like (EPS, PPM, ICO, ...) when a signature says so.
    """
    Image.init()  # registers every plugin (importing one runs nothing on data); only FORMATS are asked below
    try:
        return Image.open(fp, formats=[f for f in FORMATS if f in Image.OPEN])
    except UnidentifiedImageError:
        if isinstance(fp, (str, Path)):
            with open(fp, "rb") as f:
                prefix = f.read(64)
        else:
            fp.seek(0)
            prefix = fp.read(64)
            fp.seek(0)
        raise UnsupportedFormatError(_sniff(prefix)) from None


def _fail(path, why: str) -> ImageReadError:
    return ImageReadError(f"cannot read image '{path}': {why}")


def _open(path) -> Image.Image:
    """Open, fully decode and EXIF-orient an image with Pillow; every failure becomes an ImageReadError."""
    p = Path(path)
    if not p.exists():
        raise _fail(path, "no such file")
    if p.is_dir():
        raise _fail(path, "is a folder, not a file")
    if p.stat().st_size == 0:
        raise _fail(path, "file is empty")
    try:
        with warnings.catch_warnings():
            # Pillow warns between MAX_IMAGE_PIXELS and twice it; treat that as the refusal it announces.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with open_image(p) as im:
                im.load()
                im = ImageOps.exif_transpose(im)  # returns a copy, or the same image when no EXIF orientation
                im.load()
                return im
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _fail(path, f"too many pixels (over Pillow's decompression-bomb limit of {Image.MAX_IMAGE_PIXELS})") from None
    except UnidentifiedImageError as e:
        raise _fail(path, str(e) if isinstance(e, UnsupportedFormatError) else "not an image (unknown or unsupported format)") from None
    except OSError as e:  # truncated / corrupt data
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        if "truncated" in msg.lower():
            raise _fail(path, "truncated file") from None
        raise _fail(path, f"corrupt or unsupported image ({msg})") from None
    except (ValueError, SyntaxError) as e:  # Pillow raises these for some malformed headers
        raise _fail(path, f"corrupt image ({e})") from None


def _high_bit_to_uint8(a: np.ndarray, sixteen_bit: bool) -> np.ndarray:
    """Pillow "I;16*" / "I" / "F" data to uint8: 16-bit data is scaled by 255/65535 (rounded); 32-bit integer
    ("I") data is scaled the same way when it holds values above 255 and clipped otherwise; float ("F") data is
    taken on the 0..255 scale and clipped."""
    if np.issubdtype(a.dtype, np.floating):
        return np.clip(np.rint(a), 0, 255).astype(np.uint8)
    a = a.astype(np.int64)
    if sixteen_bit or a.max(initial=0) > 255:
        return np.clip(np.rint(a * (255.0 / 65535.0)), 0, 255).astype(np.uint8)
    return np.clip(a, 0, 255).astype(np.uint8)


def convert(im: Image.Image, mode: str) -> Image.Image:
    """``im.convert(mode)``, through RGB when Pillow has no direct conversion (LAB -> L); ValueError naming the
    modes when there is none at all."""
    try:
        return im.convert(mode)
    except ValueError:
        pass
    try:
        return im.convert("RGB").convert(mode)
    except ValueError:
        raise ValueError(f"image mode {im.mode} is not supported (cannot convert it to {mode})") from None


def _decoded(path, reader, im: Image.Image):
    """``reader(im)`` with a mode that cannot be converted as one ImageReadError line naming the file."""
    try:
        return reader(im)
    except ImageReadError:
        raise
    except ValueError as e:
        raise _fail(path, str(e).splitlines()[0] if str(e) else f"image mode {im.mode} is not supported") from None


def _to_rgb(im: Image.Image) -> np.ndarray:
    """Any Pillow image to uint8 [H,W,3] RGB (alpha dropped, 16-bit scaled down, palette/CMYK converted)."""
    if im.mode.startswith("I") or im.mode == "F":  # 16/32-bit grayscale
        g = _high_bit_to_uint8(np.asarray(im), im.mode.startswith("I;16"))
        return np.ascontiguousarray(np.repeat(g[:, :, None], 3, axis=2))
    if im.mode == "P" and "transparency" in im.info:
        im = im.convert("RGBA")
    if im.mode != "RGB":
        im = convert(im, "RGB")
    return np.ascontiguousarray(np.asarray(im, dtype=np.uint8))


def read_image(path) -> np.ndarray:
    """Read an image file as uint8 [H,W,3] RGB.

    EXIF orientation is applied; RGBA/LA lose their alpha, grayscale is repeated to 3 channels, palette and
    CMYK images are converted, 16-bit data is scaled to 8 bits. Files over Pillow's decompression-bomb limit
    (``PIL.Image.MAX_IMAGE_PIXELS``), empty, truncated or non-image files raise :class:`ImageReadError`.
    """
    return _decoded(path, _to_rgb, _open(path))


def _mask_plane(im: Image.Image) -> np.ndarray:
    """The uint8 [H,W] plane that carries the mask (see :func:`read_mask` for the rule)."""
    if im.mode == "P":
        im = im.convert("RGBA") if "transparency" in im.info else im.convert("L")
    if im.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        alpha = np.asarray(im.getchannel("A"), dtype=np.uint8)
        if alpha.min() < 255:  # transparency present: the alpha channel is the mask
            return alpha
        im = im.convert("L" if im.mode.startswith("L") else "RGB")
    if im.mode.startswith("I") or im.mode == "F":
        return _high_bit_to_uint8(np.asarray(im), im.mode.startswith("I;16"))
    if im.mode != "L":
        im = convert(im, "L")  # ITU-R 601 luma; a black/white mask stays 0/255 (LAB, HSV: through RGB)
    return np.asarray(im, dtype=np.uint8)


def read_mask(path, size: Optional[Tuple[int, int]] = None) -> np.ndarray:
    """Read a mask file as bool [H,W], True = hole.

    Rule: hole = value > 127, where value is the grayscale level (white = hole, the NVIDIA convention), except
    when the file has an alpha channel that is not fully opaque everywhere: then the alpha channel carries the
    mask and opaque pixels (alpha > 127) are holes, transparent ones are known (a brush layer painted on a
    transparent background). 16-bit masks are scaled to 8 bits first.

    With ``size=(h, w)`` the plane is resized with ``cv2.INTER_NEAREST`` *before* thresholding, exactly the
    protocol (source pixel ``floor(i * 512 / 128)`` for 512 -> 128).
    """
    plane = _decoded(path, _mask_plane, _open(path))
    if size is not None:
        h, w = _check_hw(size)
        if plane.shape != (h, w):
            plane = cv2.resize(plane, (w, h), interpolation=cv2.INTER_NEAREST)
    return plane > 127


def _check_hw(size) -> Tuple[int, int]:
    if isinstance(size, (int, np.integer)):
        size = (int(size), int(size))
    if len(size) != 2 or min(size) < 1:
        raise ValueError(f"size must be (height, width) with positive values, got {size!r}")
    return int(size[0]), int(size[1])


def _check_rgb(img: np.ndarray, name: str = "img") -> None:
    if not isinstance(img, np.ndarray) or img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        got = f"{img.dtype} {img.shape}" if isinstance(img, np.ndarray) else type(img).__name__
        raise ValueError(f"{name} must be a uint8 [H,W,3] RGB array, got {got}")


def center_square_crop(img: np.ndarray) -> np.ndarray:
    """The centre square of an [H,W,...] array: side min(H,W), offsets (H-side)//2 and (W-side)//2.

    A 178x218 (w x h) CelebA face keeps rows 20..197 and all columns.
    """
    h, w = img.shape[:2]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    return img[top : top + s, left : left + s]


def preprocess(img: np.ndarray, size: int) -> np.ndarray:
    """The protocol: centre square crop, then ``cv2.resize(..., (size, size), interpolation=cv2.INTER_AREA)``.

    uint8 [H,W,3] in, uint8 [size,size,3] out (a copy).
    """
    _check_rgb(img)
    if int(size) < 1:
        raise ValueError(f"size must be positive, got {size}")
    size = int(size)
    sq = np.ascontiguousarray(center_square_crop(img))
    if sq.shape[0] == size:
        return sq.copy()
    return cv2.resize(sq, (size, size), interpolation=cv2.INTER_AREA)


def to_tensor(img: np.ndarray) -> torch.Tensor:
    """uint8 [H,W,3] -> float32 [3,H,W] in [0,1] (value / 255)."""
    _check_rgb(img)
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1).float().div_(255.0)


def mask_to_tensor(mask: np.ndarray) -> torch.Tensor:
    """bool [H,W] (True = hole) -> float32 [1,H,W] with 1 = hole."""
    if not isinstance(mask, np.ndarray) or mask.ndim != 2:
        raise ValueError(f"mask must be a [H,W] array, got {getattr(mask, 'shape', type(mask).__name__)}")
    return torch.from_numpy(np.ascontiguousarray(mask, dtype=bool)).float()[None]


def to_uint8(t: torch.Tensor) -> np.ndarray:
    """float [3,H,W] in [0,1] -> uint8 [H,W,3]: ``round(clamp(t, 0, 1) * 255)``."""
    if not isinstance(t, torch.Tensor) or t.ndim != 3 or t.shape[0] != 3:
        raise ValueError(f"expected a [3,H,W] tensor, got {getattr(t, 'shape', type(t).__name__)}")
    x = t.detach().to("cpu", torch.float32).clamp(0, 1).mul(255).round().to(torch.uint8)
    return np.ascontiguousarray(x.permute(1, 2, 0).numpy())


def save_image(path, img: np.ndarray) -> Path:
    """Write uint8 [H,W,3] RGB (or [H,W] grayscale / bool mask as 0/255) atomically; format from the suffix.

    The picture is written to a temporary file in the same folder and renamed over ``path``, so a reader never
    sees a half-written file. Returns the path.
    """
    path = Path(path)
    if isinstance(img, np.ndarray) and img.dtype == bool and img.ndim == 2:
        img = img.astype(np.uint8) * 255
    if not isinstance(img, np.ndarray) or img.dtype != np.uint8 or not (img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 3)):
        got = f"{img.dtype} {img.shape}" if isinstance(img, np.ndarray) else type(img).__name__
        raise ValueError(f"save_image wants uint8 [H,W,3] or [H,W], got {got}")
    fmt = Image.registered_extensions().get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"unknown image file extension {path.suffix!r} for '{path}' (use .png or .jpg)")
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(img)).save(buf, format=fmt)
    atomic_write_bytes(path, buf.getvalue())
    return path
