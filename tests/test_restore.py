"""``restore``: detection by tiles, masks, the fill, every photo mode, files, folders and the CLI round trip to ``fill``."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from inpaintkit.cli import app
from inpaintkit.images import read_mask
from inpaintkit.restore import (RestoreError, damage_mask, detect, restore, restore_file, restore_folder,
                                threshold_for, write_mask)


class Bright(torch.nn.Module):
    """A stand-in detector with a known answer: 'damaged' = mean colour above 0.85 (after a 3x3 box mean with
    ``box``, a receptive field of 3 pixels)."""

    threshold = 0.5

    def __init__(self, box: bool = False):
        super().__init__()
        self.box = box

    def forward(self, x):
        m = x.mean(1, keepdim=True)
        if self.box:
            m = torch.nn.functional.avg_pool2d(m, 3, 1, 1, count_include_pad=False)
        return (m - 0.85) * 100.0


def scan(h=70, w=90, grey=False) -> np.ndarray:
    """A dark photo with a bright 2-px 'scratch' across row 30 and a bright speck."""
    y, x = np.mgrid[0:h, 0:w]
    img = (60 + 40 * np.sin(x / 7.0) * np.cos(y / 11.0)).astype(np.uint8)
    img[30:32, 5:80] = 250
    img[50, 60] = 255
    return img if grey else np.stack([img, img, (img * 0.8).astype(np.uint8)], 2)


def truth(img):
    m = img if img.ndim == 2 else img[..., :3].astype(float).mean(2)
    return m / 255.0 > 0.85


def test_threshold_for_sensitivity():
    assert threshold_for(0.4, 0.5) == pytest.approx(0.4)
    assert threshold_for(0.4, 1.0) < 0.4 < threshold_for(0.4, 0.0)
    with pytest.raises(RestoreError, match="sensitivity"):
        threshold_for(0.4, 1.5)


@pytest.mark.parametrize("tile, overlap", [(16, 0), (32, 8), (4096, 0)])
def test_detect_by_tiles_is_exact_for_a_pointwise_detector(tile, overlap):
    img = scan()
    prob = detect(img, Bright(), tile=tile, overlap=overlap)
    assert prob.shape == img.shape[:2] and prob.dtype == np.float32
    assert np.array_equal(prob >= 0.5, truth(img))


def test_tiles_with_overlap_match_the_whole_photo():
    img = scan()
    whole = detect(img, Bright(box=True), tile=4096)
    tiled = detect(img, Bright(box=True), tile=16, overlap=2)  # overlap >= the receptive field's radius
    assert np.allclose(whole, tiled, atol=1e-6)


def test_restore_fills_only_the_mask_and_keeps_the_rest():
    img = scan()
    out, mask = restore(img, model="telea", detector=Bright(), grow=1)
    grown = truth(img)
    assert mask[grown].all() and mask.sum() > grown.sum()  # grown by a pixel
    assert np.array_equal(out[~mask], img[~mask])  # known pixels bit-identical
    assert out[30:32, 10:70].mean() < 150  # the bright scratch is gone
    assert out.shape == img.shape and out.dtype == img.dtype


@pytest.mark.parametrize("kind", ["grey", "grey2", "sepia", "rgba", "uint16", "float"])
def test_every_photo_mode(kind):
    g = scan(grey=True)
    img = {"grey": g, "grey2": g[..., None], "sepia": scan(),
           "rgba": np.dstack([scan(), np.full(g.shape, 200, np.uint8)]),
           "uint16": scan().astype(np.uint16) * 257, "float": scan().astype(np.float32) / 255}[kind]
    out, mask = restore(img, model="telea", detector=Bright(), grow=0)
    assert out.shape == img.shape and out.dtype == img.dtype
    assert np.array_equal(mask, truth(g))
    assert np.array_equal(out[~mask], img[~mask])
    if kind == "rgba":
        assert np.array_equal(out[..., 3], img[..., 3])  # alpha untouched


def test_no_damage_returns_a_copy():
    img = np.full((40, 40, 3), 50, np.uint8)
    out, mask = restore(img, model="telea", detector=Bright())
    assert not mask.any() and np.array_equal(out, img) and out is not img


def test_large_photo_is_looked_at_reduced():
    img = np.full((300, 200, 3), 40, np.uint8)
    img[100:110] = 255
    prob = detect(img, Bright(), detect_size=100)
    assert prob.shape == (300, 200) and (prob[102:108] > 0.5).all() and (prob[:90] < 0.5).all()


def test_bad_inputs():
    with pytest.raises(RestoreError, match="8x8"):
        detect(np.zeros((4, 40, 3), np.uint8), Bright())
    with pytest.raises(RestoreError, match="numpy array"):
        detect([[1, 2]], Bright())
    with pytest.raises(RestoreError, match="grow"):
        damage_mask(scan(), Bright(), grow=-1)
    with pytest.raises(RestoreError, match="whole photo"):
        restore(np.full((20, 20, 3), 255, np.uint8), model="telea", detector=Bright())
    with pytest.raises(RestoreError, match=".png"):
        write_mask("m.jpg", np.zeros((4, 4), bool))


def test_mask_file_reads_back_as_the_same_hole(tmp_path):
    m = truth(scan())
    write_mask(tmp_path / "m.png", m)
    assert np.array_equal(read_mask(tmp_path / "m.png"), m)


def test_restore_file_and_folder(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(scan()).save(src / "a.png")
    Image.fromarray(scan(grey=True)).save(src / "b.png")
    Image.fromarray(np.zeros((20, 20), np.uint8)).save(src / "b_mask.png")  # named like a mask: not a photo
    (src / "bad.png").write_bytes(b"not a png")
    frac = restore_file(src / "a.png", tmp_path / "a.png", tmp_path / "a_mask.png", "telea", Bright())
    assert 0 < frac < 0.1 and read_mask(tmp_path / "a_mask.png").mean() == pytest.approx(frac)
    done, skipped = restore_folder(src, tmp_path / "out", tmp_path / "masks", "telea", Bright(), progress=False)
    assert sorted(n for n, _ in done) == ["a.png", "b.png"] and [n for n, _ in skipped] == ["bad.png"]
    assert (tmp_path / "masks" / "b_mask.png").is_file()
    assert np.asarray(Image.open(tmp_path / "out" / "b.png")).ndim == 2  # grey stays grey
    done, skipped = restore_folder(src, tmp_path / "out", None, "telea", Bright(), progress=False)
    assert not done and sum(why.startswith("output exists") for _, why in skipped) == 2


def _bundled_or_skip():
    from inpaintkit.damage.detector import BUNDLED

    if not BUNDLED.is_file():
        pytest.skip("the bundled detector weights/damage.safetensors is not built yet")


def test_cli_restore_then_fill_with_the_written_mask(tmp_path):
    _bundled_or_skip()
    Image.fromarray(scan(120, 160)).save(tmp_path / "p.png")
    r = CliRunner().invoke(app, ["restore", str(tmp_path / "p.png"), "-o", str(tmp_path / "r.png"), "--mask-out",
                                 str(tmp_path / "m.png"), "--model", "telea", "--sensitivity", "0.9", "-q"])
    assert r.exit_code == 0, r.output
    assert "wrote" in r.output and read_mask(tmp_path / "m.png").any()
    r = CliRunner().invoke(app, ["fill", str(tmp_path / "p.png"), "--mask", str(tmp_path / "m.png"), "-o",
                                 str(tmp_path / "f.png"), "--model", "telea", "-q"])
    assert r.exit_code == 0, r.output
    m = read_mask(tmp_path / "m.png")
    photo = np.asarray(Image.open(tmp_path / "p.png"))
    for name in ("r.png", "f.png"):  # both change exactly the masked pixels: fill reads the mask restore wrote
        out = np.asarray(Image.open(tmp_path / name))
        assert np.array_equal(out[~m], photo[~m]) and (out[m] != photo[m]).any(axis=-1).mean() > 0.5


def test_cli_errors(tmp_path):
    run = lambda *a: CliRunner().invoke(app, ["restore", *map(str, a)])  # noqa: E731
    r = run(tmp_path / "missing.png", "-o", tmp_path / "o.png")
    assert r.exit_code == 2 and "photo not found" in r.output
    Image.fromarray(scan()).save(tmp_path / "p.png")
    r = run(tmp_path / "p.png", "-o", tmp_path / "o.png", "--sensitivity", "2")
    assert r.exit_code == 2 and "--sensitivity" in r.output
    r = run(tmp_path / "p.png", "-o", tmp_path / "o.png", "--detector", tmp_path / "none.safetensors")
    assert r.exit_code == 2 and "detector file not found" in r.output
    r = run(tmp_path / "p.png", "-o", tmp_path / "o.xyz")
    assert r.exit_code == 2 and "cannot write" in r.output
    r = run(tmp_path / "p.png", "-o", tmp_path / "p.png")
    assert r.exit_code == 2 and "refusing to overwrite the input" in r.output


def test_a_loaded_detector_carries_its_calibrated_threshold(tmp_path):
    from inpaintkit.damage.detector import DamageNet, DetectorConfig, save_detector
    from inpaintkit.restore import resolve_detector

    path = tmp_path / "d.safetensors"
    save_detector(DamageNet(DetectorConfig(widths=(4, 4, 4, 4, 4))), path, {"threshold": 0.3})
    net, t = resolve_detector(path)
    assert t == 0.3 and resolve_detector(net)[1] == 0.3  # passing the network on keeps the threshold


def test_cli_folder_form_writes_masks_that_fill_matches(tmp_path):
    _bundled_or_skip()
    src = tmp_path / "scans"
    src.mkdir()
    Image.fromarray(scan(120, 160)).save(src / "a.png")
    Image.fromarray(scan(100, 140, grey=True)).save(src / "b.png")
    r = CliRunner().invoke(app, ["restore", str(src), "-o", str(tmp_path / "out"), "--mask-out", str(tmp_path / "masks"),
                                 "--model", "telea", "-s", "0.9", "-q"])
    assert r.exit_code == 0, r.output
    assert "restored 2 of 2" in r.output
    assert sorted(p.name for p in (tmp_path / "masks").iterdir()) == ["a_mask.png", "b_mask.png"]
    r = CliRunner().invoke(app, ["fill", str(src), "--mask", str(tmp_path / "masks"), "-o", str(tmp_path / "fill"),
                                 "--model", "telea", "-q"])
    assert r.exit_code == 0, r.output  # fill finds photo_mask.png by stem
    r = CliRunner().invoke(app, ["restore", str(src), "-o", str(src / "a.png")])
    assert r.exit_code == 2 and "must be a folder too" in r.output


def test_bundled_detector_finds_a_bold_scratch_and_leaves_a_smooth_photo_alone():
    _bundled_or_skip()
    import cv2

    y, x = np.mgrid[0:128, 0:160]
    base = (90 + 60 * np.sin(x / 23.0) * np.cos(y / 31.0)).astype(np.uint8)
    img = np.stack([base, (base * 0.9).astype(np.uint8), (base * 0.75).astype(np.uint8)], 2)
    line = np.zeros((128, 160), np.uint8)
    cv2.line(line, (5, 30), (150, 100), 1, 3, cv2.LINE_AA)
    damaged = img.copy()
    damaged[line > 0] = 245
    assert damage_mask(img, grow=0).mean() < 0.01
    found = damage_mask(damaged, grow=0)
    assert found[line > 0].mean() > 0.5 and found[line == 0].mean() < 0.02


def test_fill_damage_specks_and_big_regions():
    from inpaintkit.restore import fill_damage

    rng = np.random.default_rng(0)
    img = np.full((300, 260, 3), 90, np.uint8)
    img[:, 130:] = 160
    mask = np.zeros((300, 260), bool)
    for y, x in rng.integers(5, 250, (60, 2)):
        mask[y : y + 2, x : x + 2] = True  # specks: filled by the small-damage model
    mask[200:240, 20:110] = True  # a region over the small-area limit: filled by the model
    damaged = img.copy()
    damaged[mask] = 255
    out = fill_damage(damaged, mask, "telea", working_size=96, small_area=50, small_model="ns")
    assert np.array_equal(out[~mask], damaged[~mask])
    assert np.abs(out[mask].astype(int) - img[mask].astype(int)).max() <= 75  # white gone: the fill is near the background
    assert np.abs(out[mask].astype(int) - img[mask].astype(int)).mean() < 5
