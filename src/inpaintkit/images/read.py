"""Reading image files safely: only the documented formats, every failure one :class:`ImageReadError` line.

:func:`read_image` gives 8-bit RGB (the protocol, training); :func:`read_picture` keeps a photo's own mode
and bit depth (filling). :data:`IMAGE_SUFFIXES` and :func:`list_images` are the one list of image file
suffixes and the one folder lister the package uses.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from inpaintkit.errors import ImageReadError, InpaintError
from inpaintkit.fileio import shown

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".avif", ".heic", ".heif")  # image files
# The formats read from files: the documented ones (MPO is the multi-picture JPEG many cameras write; HEIF is
# the iPhone's HEIC, through the pillow-heif plugin). Pillow hands a file to the first of its ~40 plugins that
# claims it (EPS runs Ghostscript on it); only these are asked.
FORMATS = ("PNG", "JPEG", "MPO", "WEBP", "BMP", "TIFF", "AVIF", "HEIF")
FORMATS_TEXT = "PNG, JPEG, WebP, BMP, TIFF, AVIF or HEIC"


class UnsupportedFormatError(UnidentifiedImageError):
    """A file that none of :data:`FORMATS` reads; ``format`` names the one it looks like (or is None)."""

    def __init__(self, fmt: Optional[str]):
        self.format = fmt
        super().__init__(f"unsupported format {fmt} (use {FORMATS_TEXT})" if fmt
                         else "not an image (unknown or unsupported format)")


# formats named in the error when their signature matches (those with a distinctive one; a TGA or PCX header is
# too weak a signature to name the format from)
_NAMED = ("EPS", "PPM", "GIF", "ICO", "DDS", "SGI", "QOI", "JPEG2000", "ICNS", "PSD", "XBM", "XPM", "FITS")


_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1")  # ISO-BMFF brands of HEIF files


def register_heif() -> bool:
    """Register pillow-heif's HEIF (HEIC) opener once, if that package is installed; True when it is."""
    if "HEIF" in Image.OPEN:
        return True
    try:
        import pillow_heif
    except ImportError:
        return False
    pillow_heif.register_heif_opener()
    return True


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
        if prefix[4:8] == b"ftyp" and prefix[8:12] in _HEIF_BRANDS and "HEIF" not in Image.OPEN and register_heif():
            return open_image(fp)  # an iPhone photo: its plugin is loaded only when one comes
        raise UnsupportedFormatError(_sniff(prefix)) from None


def _fail(path, why: str) -> ImageReadError:
    return ImageReadError(f"cannot read image '{shown(path)}': {why}")  # a newline in a name never splits the line


def open_checked(path) -> Image.Image:
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
    except OSError as e:  # the file system refused (no permission, ...), or truncated / corrupt data
        if e.errno is not None and e.strerror:  # Pillow's errors about the data carry no errno
            raise _fail(path, e.strerror.lower()) from None
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


def decoded(path, reader, im: Image.Image):
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
    return decoded(path, _to_rgb, open_checked(path))




def list_images(folder, recursive: bool = False, suffixes: tuple = IMAGE_SUFFIXES) -> list[Path]:
    """Image files (by ``suffixes``, any case) in ``folder``, sorted by path relative to it; hidden files (and,
    with ``recursive``, hidden folders) are skipped. A missing folder raises ``NotADirectoryError``."""
    root = Path(folder)
    if not root.is_dir():
        raise NotADirectoryError(f"image folder '{root}' does not exist")
    if not recursive:
        return sorted(p for p in root.iterdir()
                      if p.is_file() and p.suffix.lower() in suffixes and not p.name.startswith("."))
    paths = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        paths += [Path(dirpath) / f for f in filenames if not f.startswith(".") and Path(f).suffix.lower() in suffixes]
    return sorted(paths, key=lambda p: p.relative_to(root).as_posix())


# --- a photo in its own mode and bit depth --------------------------------------------------------

@dataclass
class Picture:
    """Decoded pixels in their own bit depth (``uint8``/``uint16``; [H,W], [H,W,2], [H,W,3] or [H,W,4]),
    EXIF orientation applied, with the source format and ICC profile for writing back."""

    pixels: np.ndarray
    format: Optional[str] = None
    icc_profile: Optional[bytes] = None
    exif: Optional[bytes] = None  # the file's EXIF (date, camera, GPS ...), orientation reset to 1 (it is applied)


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
    except Exception:  # noqa: BLE001 - open_checked reports unreadable files properly
        return False, 1


def _exif_bytes(im: Image.Image) -> Optional[bytes]:
    """The image's EXIF as bytes with the orientation tag set to 1 (the pixels are already turned), or None."""
    try:
        exif = im.getexif()
        if not len(exif):
            return None
        if 0x0112 in exif:
            exif[0x0112] = 1
        return exif.tobytes()
    except Exception:  # noqa: BLE001 - a corrupt EXIF block is dropped, never fatal
        return None


def read_picture(path) -> Picture:
    """Read an image file in its own mode and bit depth (JPEG, PNG 8/16-bit, WebP, BMP, TIFF, ...).

    Grey stays ``[H,W]`` (``LA``: ``[H,W,2]``), RGB ``[H,W,3]``, RGBA ``[H,W,4]``; 16-bit files give
    ``uint16``; palette / CMYK / YCbCr images become RGB(A). EXIF orientation is applied. Unreadable files
    raise :class:`~inpaintkit.images.ImageReadError` (one line naming the file).
    """
    if Path(path).suffix.lower() in (".tif", ".tiff"):
        from inpaintkit.images.tiff import read_tiff_exact

        exact = read_tiff_exact(path)  # signed, 32-bit and float data: exact, in their own dtype
        if exact is not None:
            return Picture(exact, "TIFF", None)
    im = open_checked(path)  # validates, applies EXIF orientation, refuses decompression bombs
    fmt, icc, exif = im.format, im.info.get("icc_profile"), _exif_bytes(im)
    is16, orientation = _sixteen_bit_colour(path)
    if is16:
        # from the bytes: OpenCV's own file functions crash (SIGSEGV) on a name that is not valid UTF-8
        a = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_UNCHANGED)
        if a is not None and a.dtype == np.uint16 and a.ndim == 3 and a.shape[2] in (3, 4):
            code = cv2.COLOR_BGR2RGB if a.shape[2] == 3 else cv2.COLOR_BGRA2RGBA
            return Picture(_orient(cv2.cvtColor(a, code), orientation), fmt, icc, exif)
    try:
        arr, _ = from_pil(im)
    except ValueError as e:  # InpaintError, or a mode Pillow cannot convert
        raise _fail(path, str(e).splitlines()[0]) from None
    return Picture(arr, fmt, icc, exif)



def from_pil(im: Image.Image) -> tuple[np.ndarray, str]:
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


def to_pil(arr: np.ndarray, mode: str, like: Image.Image) -> Image.Image:
    out = Image.fromarray(arr, mode="LA") if mode == "LA" else Image.fromarray(arr)
    if "icc_profile" in like.info:
        out.info["icc_profile"] = like.info["icc_profile"]
    return out


