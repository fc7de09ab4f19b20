"""DICOM in and out: fill the hole of every frame of a DICOM file and write a derived DICOM beside it.

The fill works on the *stored* values (``pixel_array``: any bit depth, signed or not), normalised by the
known pixels' own range or by a window the user gives in the file's output units (Hounsfield units for CT:
``(value - RescaleIntercept) / RescaleSlope`` converts it to stored values). Known pixels come out
bit-identical and every filled value lies inside the range, so ``BitsStored`` still holds it.

The output keeps the dataset — patient, study and series, pixel representation, bits stored, rescale
slope/intercept, photometric interpretation (decoded YCbCr becomes RGB) — and is marked as a new, derived
image: a new SOP Instance UID, ``ImageType`` ``DERIVED\\SECONDARY``, a ``DerivationDescription``. Compressed
files (RLE, JPEG, JPEG 2000, as far as the installed pixel-data handlers decode them) are written uncompressed
(Explicit VR Little Endian), so nothing is lost a second time.

Needs ``pydicom`` (``pip install 'inpaintkit[dicom]'``).

Example:
    >>> from pydicom.data import get_testdata_file            # doctest: +SKIP
    >>> fill_dicom(get_testdata_file("CT_small.dcm"), "ct_filled.dcm", hole, "default")   # doctest: +SKIP
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from inpaintkit.errors import InpaintkitError

__all__ = ["DicomError", "DicomImage", "fill_dicom", "is_dicom", "read_dicom", "stored_window", "write_dicom"]

SUFFIXES = (".dcm", ".dicom")


class DicomError(InpaintkitError, ValueError):
    """A file that is not DICOM, has no pixels, or whose pixel data cannot be decoded."""


@dataclass
class DicomImage:
    dataset: object  # pydicom.Dataset
    frames: np.ndarray  # [F,H,W] or [F,H,W,3], the stored values (pixel_array), frames first

    @property
    def colour(self) -> bool:
        return self.frames.ndim == 4


def _pydicom():
    try:
        import pydicom
    except ImportError:  # pragma: no cover - the extra is installed in tests
        raise DicomError("DICOM needs pydicom: pip install 'inpaintkit[dicom]'") from None
    return pydicom


def is_dicom(path: str | os.PathLike) -> bool:
    """True for a ``.dcm`` / ``.dicom`` name or a file with the DICOM preamble (``DICM`` at byte 128)."""
    p = Path(path)
    if p.suffix.lower() in SUFFIXES:
        return True
    try:
        with open(p, "rb") as f:
            head = f.read(132)
    except OSError:
        return False
    return len(head) == 132 and head[128:] == b"DICM"


def read_dicom(path: str | os.PathLike) -> DicomImage:
    """The dataset and its decoded frames; :class:`DicomError` (one line) when that is not possible."""
    pydicom = _pydicom()
    try:
        ds = pydicom.dcmread(str(path))
    except (pydicom.errors.InvalidDicomError, EOFError, ValueError, KeyError) as e:
        raise DicomError(f"{path} is not a readable DICOM file ({str(e).splitlines()[0][:120]})") from None
    if "PixelData" not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
        raise DicomError(f"{path} has no pixel data (a DICOM {ds.get('Modality', 'object')} without an image)")
    try:
        arr = ds.pixel_array
    except Exception as e:  # the handlers raise RuntimeError, NotImplementedError, ValueError...
        syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
        name = getattr(syntax, "name", str(syntax))
        raise DicomError(f"cannot decode the pixel data of {path} (transfer syntax {name}): "
                         f"{str(e).splitlines()[0][:160]}") from None
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    colour = int(ds.get("SamplesPerPixel", 1)) == 3
    if frames == 1:
        arr = arr[None]
    if arr.ndim != (4 if colour else 3):
        raise DicomError(f"{path}: pixel data of shape {arr.shape} is not {frames} frame(s) of "
                         f"{'colour' if colour else 'grey'} pixels")
    return DicomImage(ds, np.ascontiguousarray(arr))


def stored_window(ds, window: tuple[float, float]) -> tuple[float, float]:
    """A window in the file's output units (after rescale slope / intercept) in stored values."""
    slope = float(ds.get("RescaleSlope", 1) or 1)
    intercept = float(ds.get("RescaleIntercept", 0) or 0)
    lo, hi = sorted(((window[0] - intercept) / slope, (window[1] - intercept) / slope))
    return lo, hi


def write_dicom(image: DicomImage, frames: np.ndarray, path: str | os.PathLike, description: str) -> None:
    """Write ``frames`` (same shape and dtype as ``image.frames``) as a new derived instance, atomically."""
    pydicom = _pydicom()
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    from inpaintkit.fileio import atomic_path

    if frames.shape != image.frames.shape or frames.dtype != image.frames.dtype:
        raise DicomError(f"frames {frames.dtype} {frames.shape} do not match the source's "
                         f"{image.frames.dtype} {image.frames.shape}")
    ds = image.dataset.copy()
    data = frames[0] if int(ds.get("NumberOfFrames", 1) or 1) == 1 else frames
    ds.PixelData = np.ascontiguousarray(data).astype(data.dtype.newbyteorder("<"), copy=False).tobytes()
    ds["PixelData"].VR = "OW" if int(ds.BitsAllocated) > 8 else "OB"
    ds["PixelData"].is_undefined_length = False
    if image.colour:
        if str(ds.PhotometricInterpretation).startswith("YBR"):  # pixel_array converted it to RGB
            ds.PhotometricInterpretation = "RGB"
        ds.PlanarConfiguration = 0
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    uid = generate_uid()
    ds.SOPInstanceUID = uid
    ds.file_meta.MediaStorageSOPInstanceUID = uid
    kinds = list(ds.get("ImageType", ["ORIGINAL", "PRIMARY"]))
    ds.ImageType = ["DERIVED", "SECONDARY", *kinds[2:]]
    ds.DerivationDescription = description[:1024]
    with atomic_path(path) as tmp:
        pydicom.dcmwrite(tmp, ds, enforce_file_format=True)


def fill_dicom(src: str | os.PathLike, dst: str | os.PathLike, hole: np.ndarray, model=None,
               window: Optional[tuple[float, float]] = None, working_size: Optional[int] = None) -> dict:
    """Fill ``hole`` (bool ``[H,W]`` for every frame, or ``[F,H,W]``) in each frame of ``src``; write ``dst``.

    ``window`` (LO, HI) is in the file's output units (e.g. HU). Returns counts for a summary line.
    """
    from inpaintkit.inference import WORKING_SIZE, fill_array, load_filler

    image = read_dicom(src)
    frames = image.frames
    hole = np.asarray(hole, dtype=bool)
    shape = frames.shape[1:3]
    if hole.ndim not in (2, 3) or (hole.ndim == 3 and hole.shape[0] != len(frames)):
        raise DicomError(f"mask must be [H,W] or [{len(frames)},H,W] for {src}, got shape {hole.shape}")
    if hole.shape[-2:] != shape:
        raise DicomError(f"mask is {hole.shape[-1]}x{hole.shape[-2]} but {src} has frames of "
                         f"{shape[1]}x{shape[0]} (width x height)")
    holes = np.broadcast_to(hole, frames.shape[:3])
    win = stored_window(image.dataset, window) if window is not None else None
    filler = load_filler(model)
    out = frames.copy()
    for i in range(len(frames)):
        h = np.array(holes[i])  # a writable copy of the broadcast view
        if not h.any():
            continue
        out[i] = fill_array(filler, frames[i], h, working_size or WORKING_SIZE, window=win)  # any dtype, own range
    n = int(holes.sum())
    write_dicom(image, out, dst, f"inpaintkit: {n} pixels filled (mask of {int(hole.sum())} pixels per frame)")
    return {"frames": len(frames), "filled_pixels": n, "dtype": str(frames.dtype)}
