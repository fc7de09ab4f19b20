"""``inpaintkit fill`` on scientific and medical pixels: TIFFs of every pixel type, DICOM files and series,
``--window``; known pixels bit-identical, fills inside the data's range, metadata kept."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from inpaintkit.cli import app
from inpaintkit.images import read_picture

tifffile = pytest.importorskip("tifffile")
runner = CliRunner()


def _fill(*args):
    return runner.invoke(app, ["fill", *map(str, args)], catch_exceptions=False)


def _mask(path: Path, h: int, w: int) -> np.ndarray:
    m = np.zeros((h, w), bool)
    m[h // 4: h // 2, w // 3: 2 * w // 3] = True
    Image.fromarray(m.astype(np.uint8) * 255).save(path)
    return m


@pytest.mark.parametrize("dtype, lo, hi", [
    (np.uint16, 0, 4095),          # 12-bit data in 16 bits
    (np.int16, -1024, 3071),       # CT in Hounsfield units
    (np.int32, -70000, 90000),
    (np.uint32, 795000, 1254000),
    (np.float32, -200.0, 800.0),
    (np.float64, 0.0, 1.0),
])
def test_every_pixel_type_round_trips_through_tiff(tmp_path, dtype, lo, hi):
    h, w = 40, 48
    yy, xx = np.mgrid[:h, :w]
    data = (lo + (hi - lo) * (0.5 + 0.4 * np.sin(xx / 5.0) * np.cos(yy / 7.0))).astype(dtype)
    tifffile.imwrite(tmp_path / "in.tif", data)
    hole = _mask(tmp_path / "m.png", h, w)
    res = _fill(tmp_path / "in.tif", "-m", tmp_path / "m.png", "-o", tmp_path / "out.tif", "--model", "telea")
    assert res.exit_code == 0, res.output
    out = read_picture(tmp_path / "out.tif").pixels
    assert out.dtype == data.dtype and out.shape == data.shape
    assert np.array_equal(out[~hole], data[~hole])  # known pixels bit-identical
    known = data[~hole]
    assert known.min() <= out[hole].min() and out[hole].max() <= known.max()  # inside the data's own range
    assert np.abs(out[hole].astype(np.float64) - data[hole]).mean() < 0.25 * (hi - lo)  # a real fill


def test_a_window_narrows_what_the_model_sees_but_keeps_known_values(tmp_path):
    data = np.full((32, 32), -3000, np.int16)
    data[:, 16:] = 2000
    tifffile.imwrite(tmp_path / "in.tif", data)
    hole = _mask(tmp_path / "m.png", 32, 32)
    res = _fill(tmp_path / "in.tif", "-m", tmp_path / "m.png", "-o", tmp_path / "o.tif", "--window", "-1000,1000",
                "--model", "telea")
    assert res.exit_code == 0, res.output
    out = tifffile.imread(tmp_path / "o.tif")
    assert np.array_equal(out[~hole], data[~hole]) and out[hole].min() >= -1000 and out[hole].max() <= 1000
    for bad, why in (("1000,-1000", "LO < HI"), ("x", "two numbers")):
        res = _fill(tmp_path / "in.tif", "-m", tmp_path / "m.png", "-o", tmp_path / "p.tif", "--window", bad)
        assert res.exit_code == 2 and why in res.output and "Traceback" not in res.output


def test_exact_types_must_be_written_as_tiff(tmp_path):
    tifffile.imwrite(tmp_path / "in.tif", np.arange(-500, 524, dtype=np.int16).reshape(32, 32))
    _mask(tmp_path / "m.png", 32, 32)
    res = _fill(tmp_path / "in.tif", "-m", tmp_path / "m.png", "-o", tmp_path / "o.png", "--model", "telea")
    assert res.exit_code == 2 and "write a TIFF" in res.output and not (tmp_path / "o.png").exists()


pydicom = pytest.importorskip("pydicom")
DICOM = Path(pydicom.__file__).parent / "data" / "test_files"


def test_dicom_file_and_series_folder(tmp_path):
    from inpaintkit.dicom import read_dicom

    ct = DICOM / "CT_small.dcm"
    hole = _mask(tmp_path / "m.png", 128, 128)
    res = _fill(ct, "-m", tmp_path / "m.png", "-o", tmp_path / "ct.dcm", "--window", "-1000,2000", "--model", "telea")
    assert res.exit_code == 0, res.output
    a, b = read_dicom(ct), read_dicom(tmp_path / "ct.dcm")
    assert np.array_equal(a.frames[:, ~hole], b.frames[:, ~hole]) and b.dataset.PatientName == a.dataset.PatientName
    # a folder of a series works like a folder of photos (masks matched by stem)
    (tmp_path / "series").mkdir()
    (tmp_path / "masks").mkdir()
    for name in ("CT_small.dcm", "MR_small.dcm"):
        shutil.copy(DICOM / name, tmp_path / "series" / name)
        rows = read_dicom(DICOM / name).frames.shape[1]
        _mask(tmp_path / "masks" / (Path(name).stem + ".png"), rows, rows)
    res = _fill(tmp_path / "series", "-m", tmp_path / "masks", "-o", tmp_path / "filled", "--model", "telea", "-q")
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "filled").iterdir()) == ["CT_small.dcm", "MR_small.dcm"]


@pytest.mark.parametrize("src, out, message", [
    ("CT_small.dcm", "o.png", "a DICOM input is written as DICOM"),
    ("rtplan.dcm", "o.dcm", "has no pixel data"),
])
def test_dicom_errors_are_one_line(tmp_path, src, out, message):
    _mask(tmp_path / "m.png", 128, 128)
    res = _fill(DICOM / src, "-m", tmp_path / "m.png", "-o", tmp_path / out, "--model", "telea")
    assert res.exit_code == 2 and message in res.output and "Traceback" not in res.output
    assert not (tmp_path / out).exists()
