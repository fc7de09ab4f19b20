"""Writing images: atomic files, the format from the suffix, bit depth / alpha / ICC kept where it fits."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Optional

import cv2
import numpy as np
from PIL import Image

from inpaintkit.errors import InpaintError
from inpaintkit.fileio import atomic_write_bytes, shown
from inpaintkit.images.read import IMAGE_SUFFIXES, Picture
from inpaintkit.images.tiff import EXACT_ONLY, encode_tiff

_ALPHA_FORMATS = {"PNG", "TIFF", "WEBP", "AVIF", "HEIF"}  # formats Pillow writes (and reads back) with alpha
_SIXTEEN_BIT_FORMATS = {"PNG", "TIFF"}
_ICC_FORMATS = {"PNG", "TIFF", "JPEG", "WEBP", "AVIF", "HEIF"}
_EXIF_FORMATS = {"PNG", "JPEG", "WEBP", "AVIF", "HEIF", "TIFF"}
LOSSY_FORMATS = {"JPEG", "WEBP", "AVIF", "HEIF"}  # re-encode every pixel: known pixels change slightly
QUALITY = 95  # JPEG (with 4:4:4 chroma), WebP, AVIF and HEIC


# the Pillow format of each suffix of IMAGE_SUFFIXES: known here, so writing a photo does not make Pillow import its
# ~40 plugins to look a suffix up (Image.registered_extensions: ~0.1 s of a cold `inpaintkit fill`)
_SUFFIX_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP", ".bmp": "BMP", ".tif": "TIFF",
                   ".tiff": "TIFF", ".avif": "AVIF", ".heic": "HEIF", ".heif": "HEIF"}
PNG_LEVEL = 3  # zlib level of the PNGs written: half the time of Pillow's default 6 for files < 1 % larger


def output_format(path) -> str:
    """The Pillow format name for an output path's suffix, or InpaintError."""
    suffix = Path(path).suffix.lower()
    if suffix in (".heic", ".heif"):
        from inpaintkit.images.read import register_heif

        if not register_heif():
            raise InpaintError(f"cannot write '{shown(path)}': HEIC needs pillow-heif (pip install 'inpaintkit[heic]')")
    fmt = _SUFFIX_FORMATS.get(suffix)
    if suffix not in IMAGE_SUFFIXES or fmt is None:
        raise InpaintError(f"cannot write '{shown(path)}': use one of {', '.join(IMAGE_SUFFIXES)}")
    return fmt


def encode_picture(pixels: np.ndarray, fmt: str, icc_profile: Optional[bytes] = None,
                   exif: Optional[bytes] = None) -> bytes:
    """Encode pixels for ``fmt``, keeping bit depth, alpha, grey, ICC profile and EXIF where the format allows.

    16 bits: PNG and TIFF (else scaled to 8 bits); alpha: PNG, TIFF, WebP, AVIF, HEIC (else dropped); grey: all
    but WebP. JPEG (4:4:4 chroma), WebP, AVIF and HEIC are written at quality 95 (lossy: every pixel is
    re-encoded, so known pixels are exact only in lossless formats).
    """
    a = pixels if pixels.ndim == 2 else (pixels[..., 0] if pixels.shape[2] == 1 else pixels)
    if a.dtype.type in EXACT_ONLY:
        if fmt != "TIFF":
            raise InpaintError(f"{a.dtype} pixels can be written exactly only as TIFF (.tif), not {fmt}")
        return encode_tiff(a)
    if a.dtype not in (np.uint8, np.uint16):
        raise InpaintError(f"cannot write {a.dtype} pixels")
    if a.ndim == 3 and a.shape[2] in (2, 4) and fmt not in _ALPHA_FORMATS:
        a = a[..., :-1] if a.shape[2] == 4 else a[..., 0]
    if a.dtype == np.uint16 and fmt not in _SIXTEEN_BIT_FORMATS:
        a = np.rint(a / 257.0).astype(np.uint8)
    if a.ndim == 3 and a.shape[2] == 2 and fmt in ("WEBP", "AVIF", "HEIF"):  # no grey + alpha: -> RGBA
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
    if fmt in ("WEBP", "AVIF", "HEIF") and im.mode in ("L", "LA"):
        im = im.convert("RGBA" if im.mode == "LA" else "RGB")
    if fmt in LOSSY_FORMATS:
        kw["quality"] = QUALITY
    if fmt == "JPEG":
        kw["subsampling"] = 0  # 4:4:4: no chroma halving
    if exif and fmt in _EXIF_FORMATS:
        kw["exif"] = exif
    if fmt == "TIFF":
        kw["compression"] = "tiff_lzw"
    if fmt == "PNG":
        kw["compress_level"] = PNG_LEVEL
    if icc_profile and fmt in _ICC_FORMATS and im.mode != "I;16":
        kw["icc_profile"] = icc_profile
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def write_picture(path, pixels: np.ndarray, like: Optional[Picture] = None) -> Path:
    """Write ``pixels`` atomically (temp file + rename), format from the suffix (see :func:`encode_picture`);
    a size the format cannot hold (WebP: 16383 pixels a side) is InpaintError before encoding."""
    from inpaintkit.validate import check_output_size  # here: inpaintkit.validate imports this package

    path = Path(path)
    fmt = output_format(path)
    check_output_size(fmt, pixels.shape[1], pixels.shape[0], path)
    data = encode_picture(pixels, fmt, like.icc_profile if like else None, like.exif if like else None)
    atomic_write_bytes(path, data)
    return path


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
