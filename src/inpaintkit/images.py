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
            with Image.open(p) as im:
                im.load()
                im = ImageOps.exif_transpose(im)  # returns a copy, or the same image when no EXIF orientation
                im.load()
                return im
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _fail(path, f"too many pixels (over Pillow's decompression-bomb limit of {Image.MAX_IMAGE_PIXELS})") from None
    except UnidentifiedImageError:
        raise _fail(path, "not an image (unknown or unsupported format)") from None
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


def _to_rgb(im: Image.Image) -> np.ndarray:
    """Any Pillow image to uint8 [H,W,3] RGB (alpha dropped, 16-bit scaled down, palette/CMYK converted)."""
    if im.mode.startswith("I") or im.mode == "F":  # 16/32-bit grayscale
        g = _high_bit_to_uint8(np.asarray(im), im.mode.startswith("I;16"))
        return np.ascontiguousarray(np.repeat(g[:, :, None], 3, axis=2))
    if im.mode == "P" and "transparency" in im.info:
        im = im.convert("RGBA")
    if im.mode != "RGB":
        im = im.convert("RGB")
    return np.ascontiguousarray(np.asarray(im, dtype=np.uint8))


def read_image(path) -> np.ndarray:
    """Read an image file as uint8 [H,W,3] RGB.

    EXIF orientation is applied; RGBA/LA lose their alpha, grayscale is repeated to 3 channels, palette and
    CMYK images are converted, 16-bit data is scaled to 8 bits. Files over Pillow's decompression-bomb limit
    (``PIL.Image.MAX_IMAGE_PIXELS``), empty, truncated or non-image files raise :class:`ImageReadError`.
    """
    return _to_rgb(_open(path))


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
        im = im.convert("L")  # ITU-R 601 luma; a black/white mask stays 0/255
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
    plane = _mask_plane(_open(path))
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
