"""mask_bands.py: hole ratios, the six bands, folders of mask files grouped by band."""
import numpy as np
import pytest
from PIL import Image

from inpaintkit.images import read_mask
from inpaintkit.mask_bands import BANDS, MaskFolderError, band_of_ratio, hole_ratio, load_mask_folder


def test_hole_ratio_and_bands():
    assert hole_ratio(np.array([[1, 0], [0, 0]])) == 0.25
    assert [band_of_ratio(r) for r in (0.0, 0.0999, 0.1, 0.55, 0.6, 0.95)] == ["0-10", "0-10", "10-20", "50-60", "50-60", "50-60"]


# --- mask folders -------------------------------------------------------------------------------------


def _save_mask(path, ratio, size=20):
    m = np.zeros(size * size, np.uint8)
    m[: int(round(ratio * size * size))] = 255
    Image.fromarray(m.reshape(size, size)).save(path)


def test_nvidia_layout_bands_by_number(tmp_path):
    for stem in ["00003", "01999", "02000", "11999", "10500", "06001"]:
        _save_mask(tmp_path / f"{stem}.png", 0.9)  # content ignored: the number decides
    bands = load_mask_folder(tmp_path)
    assert list(bands) == ["0-10", "10-20", "30-40", "50-60"]
    assert [p.name for p in bands["0-10"]] == ["00003.png", "01999.png"]
    assert [p.name for p in bands["50-60"]] == ["10500.png", "11999.png"]


def test_other_folder_bands_by_measured_ratio(tmp_path):
    for name, r in [("a.png", 0.05), ("b.png", 0.15), ("c.PNG", 0.35), ("d.png", 0.7), ("e.png", 0.52)]:
        _save_mask(tmp_path / name, r)
    (tmp_path / "notes.txt").write_text("not a mask")
    bands = load_mask_folder(tmp_path)
    assert {b: [p.name for p in v] for b, v in bands.items()} == {
        "0-10": ["a.png"], "10-20": ["b.png"], "30-40": ["c.PNG"], "50-60": ["d.png", "e.png"]}


def test_mask_folder_errors(tmp_path):
    with pytest.raises(MaskFolderError, match="does not exist"):
        load_mask_folder(tmp_path / "missing")
    (tmp_path / "x.txt").write_text("")
    with pytest.raises(MaskFolderError, match="no mask files"):
        load_mask_folder(tmp_path)
    assert issubclass(MaskFolderError, ValueError)


def test_real_nvidia_bands(data_dir):
    folder = data_dir / "masks" / "nvidia_irregular_test"
    bands = load_mask_folder(folder)
    assert list(bands) == BANDS
    assert all(len(v) == 500 for v in bands.values())
    for k, paths in enumerate(bands.values()):
        for p in paths[::50]:  # 10 per band; measured at full size the ratio lies in its band
            r = hole_ratio(read_mask(p))
            assert k / 10 <= r < (k + 1) / 10, (p.name, r)
