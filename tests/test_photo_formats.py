"""Phone and web formats: HEIC and AVIF in and out, EXIF carried through, JPEG at 4:4:4, the lossy note."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from inpaintkit.cli import app
from inpaintkit.images import read_picture
from inpaintkit.images.read import register_heif

runner = CliRunner()


def _photo(path, exif: bool = True, orientation: int = 1):
    yy, xx = np.mgrid[:60, :80]
    a = np.stack([xx * 3, yy * 4, (xx + yy) * 2], -1).clip(0, 255).astype(np.uint8)  # smooth: codecs keep it
    ex = Image.Exif()
    ex[0x0132], ex[0x010F], ex[0x0112] = "2024:05:01 10:00:00", "TestCam", orientation
    kw = {"exif": ex.tobytes()} if exif else {}
    Image.fromarray(a).save(path, quality=92, **kw)
    return a


def _mask(path, h, w):
    m = np.zeros((h, w), np.uint8)
    m[20:40, 20:40] = 255
    Image.fromarray(m).save(path)


@pytest.mark.parametrize("suffix", [".jpg", ".avif", ".heic", ".png", ".webp"])
def test_exif_is_carried_through_with_the_orientation_applied(tmp_path, suffix):
    if suffix == ".heic" and not register_heif():
        pytest.skip("pillow-heif is not installed")
    _photo(tmp_path / f"p{suffix}", orientation=6)  # stored sideways: 80 wide, shown 60 wide
    _mask(tmp_path / "m.png", 80, 60)
    res = runner.invoke(app, ["fill", str(tmp_path / f"p{suffix}"), "-m", str(tmp_path / "m.png"),
                              "-o", str(tmp_path / f"o{suffix}"), "--model", "telea"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    out = Image.open(tmp_path / f"o{suffix}")
    ex = out.getexif()
    assert out.size == (60, 80) and ex.get(0x0132) == "2024:05:01 10:00:00" and ex.get(0x010F) == "TestCam"
    assert ex.get(0x0112, 1) == 1  # the pixels are turned, so the tag says so
    lossy = suffix in (".jpg", ".avif", ".heic", ".webp")
    assert ("re-encodes every pixel" in res.output) == lossy


def test_jpeg_is_written_at_full_chroma(tmp_path):
    from PIL import JpegImagePlugin

    _photo(tmp_path / "p.png", exif=False)
    _mask(tmp_path / "m.png", 60, 80)
    runner.invoke(app, ["fill", str(tmp_path / "p.png"), "-m", str(tmp_path / "m.png"), "-o",
                        str(tmp_path / "o.jpg"), "--model", "telea"], catch_exceptions=False)
    assert JpegImagePlugin.get_sampling(Image.open(tmp_path / "o.jpg")) == 0  # 4:4:4


def test_heic_and_avif_are_read_as_rgb(tmp_path):
    if not register_heif():
        pytest.skip("pillow-heif is not installed")
    for suffix in (".heic", ".avif"):
        a = _photo(tmp_path / f"p{suffix}", exif=False)
        pic = read_picture(tmp_path / f"p{suffix}")
        assert pic.pixels.shape == a.shape and pic.pixels.dtype == np.uint8
        assert np.abs(pic.pixels.astype(int) - a).mean() < 6  # lossy, but the same picture


def test_a_folder_of_jpegs_gets_the_note_once(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "m").mkdir()
    for i in range(3):
        _photo(tmp_path / "in" / f"{i}.jpg", exif=False)
        _mask(tmp_path / "m" / f"{i}.png", 60, 80)
    res = runner.invoke(app, ["fill", str(tmp_path / "in"), "-m", str(tmp_path / "m"), "-o", str(tmp_path / "out"),
                              "--model", "telea", "-q"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert res.output.count("re-encodes every pixel") == 1
