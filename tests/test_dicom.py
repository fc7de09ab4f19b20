"""DICOM in and out on the real CT / MR files that ship inside pydicom's wheel (no download)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pydicom = pytest.importorskip("pydicom")

from inpaintkit.dicom import DicomError, fill_dicom, is_dicom, read_dicom, stored_window  # noqa: E402

FILES = Path(pydicom.__file__).parent / "data" / "test_files"


def real(name: str) -> Path:
    p = FILES / name
    if not p.is_file():
        pytest.skip(f"{name} is not in this pydicom wheel")
    return p


def disc(h: int, w: int, frac: float = 0.2) -> np.ndarray:
    yy, xx = np.mgrid[:h, :w]
    return (yy - h * 0.45) ** 2 + (xx - w * 0.55) ** 2 < (frac * min(h, w)) ** 2


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small.dcm", "MR_small_RLE.dcm", "rtdose.dcm", "SC_rgb_rle.dcm",
                                  "SC_rgb_jpeg_dcmtk.dcm"])
def test_fill_keeps_known_pixels_range_and_metadata(name, tmp_path):
    src = real(name)
    before = read_dicom(src)
    f, h, w = before.frames.shape[:3]
    hole = disc(h, w)
    out = tmp_path / "filled.dcm"
    res = fill_dicom(src, out, hole, "telea")
    assert res["frames"] == f and res["filled_pixels"] == f * int(hole.sum())
    after = read_dicom(out)
    a, b = before.frames, after.frames
    assert a.dtype == b.dtype and a.shape == b.shape
    assert np.array_equal(a[:, ~hole], b[:, ~hole])  # known pixels bit-identical, every frame
    known = a[:, ~hole]
    assert b[:, hole].min() >= known.min() and b[:, hole].max() <= known.max()  # inside the data's range
    assert not np.array_equal(a[:, hole], b[:, hole])  # the hole was filled
    d0, d1 = before.dataset, after.dataset
    for tag in ("PatientName", "PatientID", "StudyInstanceUID", "SeriesInstanceUID", "PixelRepresentation",
                "BitsStored", "BitsAllocated", "RescaleSlope", "RescaleIntercept", "Rows", "Columns"):
        assert d0.get(tag) == d1.get(tag), tag
    assert d1.SOPInstanceUID != d0.SOPInstanceUID
    assert d1.file_meta.MediaStorageSOPInstanceUID == d1.SOPInstanceUID
    assert list(d1.ImageType)[:2] == ["DERIVED", "SECONDARY"] and "inpaintkit" in d1.DerivationDescription
    assert str(d1.file_meta.TransferSyntaxUID) == "1.2.840.10008.1.2.1"  # written uncompressed


def test_mr_fill_looks_like_the_tissue_around_it(tmp_path):
    """The 12-bit MR slice (max 2145 in 16 bits) filled by its own range, not by 0..65535: no white blob."""
    src = real("MR_small.dcm")
    a = read_dicom(src).frames[0]
    hole = disc(*a.shape, frac=0.12)
    fill_dicom(src, tmp_path / "o.dcm", hole, "default")
    b = read_dicom(tmp_path / "o.dcm").frames[0]
    ring = disc(*a.shape, frac=0.2) & ~hole
    assert abs(float(b[hole].mean()) - float(a[ring].mean())) < 0.35 * float(a[ring].std() + a[ring].mean())
    assert b[hole].max() <= a[~hole].max()


def test_a_window_in_hounsfield_units_is_converted_to_stored_values():
    ds = read_dicom(real("CT_small.dcm")).dataset  # slope 1, intercept -1024
    assert stored_window(ds, (-1000, 2000)) == (24.0, 3024.0)


def test_bad_files_are_one_line(tmp_path):
    (tmp_path / "text.dcm").write_text("not dicom at all")
    with pytest.raises(DicomError, match="not a readable DICOM file"):
        read_dicom(tmp_path / "text.dcm")
    with pytest.raises(DicomError, match="has no pixel data"):
        read_dicom(real("rtplan.dcm"))
    with pytest.raises(DicomError, match="mask is 10x10 but"):
        fill_dicom(real("CT_small.dcm"), tmp_path / "o.dcm", np.ones((10, 10), bool), "telea")
    assert not (tmp_path / "o.dcm").exists()


def test_a_transfer_syntax_no_installed_handler_decodes_is_one_line(tmp_path):
    src = real("MR_small_jpeg_ls_lossless.dcm")  # JPEG-LS: needs pylibjpeg-libjpeg or pyjpegls
    try:
        read_dicom(src)
    except DicomError as e:
        assert "cannot decode the pixel data" in str(e) and "JPEG-LS" in str(e) and "\n" not in str(e)
    else:
        pytest.skip("this machine has a JPEG-LS handler")


def test_is_dicom_by_name_or_preamble(tmp_path):
    raw = tmp_path / "slice"  # no suffix: told by the DICM preamble
    raw.write_bytes(real("CT_small.dcm").read_bytes())
    assert is_dicom(raw) and is_dicom(tmp_path / "x.DCM") and not is_dicom(tmp_path / "x.png")
