"""images.py: reading images/masks, the protocol's preprocessing, tensor conversions, atomic saving."""
from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from inpaintkit.images import (
    ImageReadError,
    center_square_crop,
    mask_to_tensor,
    preprocess,
    read_image,
    read_mask,
    save_image,
    to_tensor,
    to_uint8,
)


def _rand_rgb(h, w, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


# --- read_image ---------------------------------------------------------------------------------------


def test_read_png_rgb_roundtrip(tmp_path):
    img = _rand_rgb(7, 5)
    Image.fromarray(img).save(tmp_path / "a.png")
    out = read_image(tmp_path / "a.png")
    assert out.dtype == np.uint8 and out.shape == (7, 5, 3)
    np.testing.assert_array_equal(out, img)


def test_read_modes_become_8bit_rgb(tmp_path):
    g = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    Image.fromarray(g, "L").save(tmp_path / "g.png")
    out = read_image(tmp_path / "g.png")
    assert out.shape == (3, 4, 3)
    np.testing.assert_array_equal(out[..., 1], g)

    rgba = np.dstack([_rand_rgb(4, 4), np.full((4, 4), 10, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    np.testing.assert_array_equal(read_image(tmp_path / "a.png"), rgba[..., :3])  # alpha dropped

    Image.fromarray(_rand_rgb(6, 6)).convert("P").save(tmp_path / "p.png")
    assert read_image(tmp_path / "p.png").shape == (6, 6, 3)

    Image.fromarray(_rand_rgb(6, 6)).convert("CMYK").save(tmp_path / "c.jpg")
    assert read_image(tmp_path / "c.jpg").shape == (6, 6, 3)


def test_read_16bit_is_scaled_not_clipped(tmp_path):
    a16 = np.array([[0, 257 * 100], [65535, 257 * 200]], np.uint16)
    Image.fromarray(a16).save(tmp_path / "d.png")
    out = read_image(tmp_path / "d.png")
    np.testing.assert_array_equal(out[..., 0], [[0, 100], [255, 200]])
    Image.fromarray(np.array([[200, 0]], np.uint16)).save(tmp_path / "dark.png")  # dark 16-bit stays dark
    np.testing.assert_array_equal(read_image(tmp_path / "dark.png")[..., 0], [[1, 0]])
    Image.fromarray(np.array([[0, 65535, 30000]], np.uint16)).save(tmp_path / "m16.png")
    np.testing.assert_array_equal(read_mask(tmp_path / "m16.png"), [[False, True, False]])


def test_exif_orientation_applied(tmp_path):
    img = np.zeros((4, 10, 3), np.uint8)
    img[0, 0] = 255  # top-left marker
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    Image.fromarray(img).save(tmp_path / "r.jpg", exif=exif, quality=100)
    out = read_image(tmp_path / "r.jpg")
    assert out.shape == (10, 4, 3)
    assert out[0, -1].mean() > 200  # top-left went to top-right


@pytest.mark.parametrize(
    "content, why",
    [(b"", "empty"), (b"hello, not a picture", "not an image")],
)
def test_bad_files(tmp_path, content, why):
    p = tmp_path / "x.png"
    p.write_bytes(content)
    with pytest.raises(ImageReadError, match=why) as e:
        read_image(p)
    assert "\n" not in str(e.value) and "x.png" in str(e.value)


def test_truncated_and_missing(tmp_path):
    buf = io.BytesIO()
    Image.fromarray(_rand_rgb(64, 64)).save(buf, format="JPEG")
    (tmp_path / "t.jpg").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(ImageReadError, match="cannot read image"):
        read_image(tmp_path / "t.jpg")
    with pytest.raises(ImageReadError, match="no such file"):
        read_image(tmp_path / "nope.png")
    assert issubclass(ImageReadError, ValueError)


def test_decompression_bomb_refused(tmp_path, monkeypatch):
    Image.fromarray(_rand_rgb(20, 20)).save(tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 150)  # 400 px > 150 (warning zone) and > 300 (error zone)
    with pytest.raises(ImageReadError, match="decompression-bomb"):
        read_image(tmp_path / "big.png")


# --- read_mask ----------------------------------------------------------------------------------------


def test_mask_threshold_is_above_127(tmp_path):
    g = np.array([[0, 127, 128, 255]], np.uint8)
    Image.fromarray(g).save(tmp_path / "m.png")
    np.testing.assert_array_equal(read_mask(tmp_path / "m.png"), [[False, False, True, True]])


def test_mask_resize_nearest_before_threshold(tmp_path):
    g = np.random.default_rng(1).integers(0, 256, (40, 52), dtype=np.uint8)
    Image.fromarray(g).save(tmp_path / "m.png")
    out = read_mask(tmp_path / "m.png", size=(13, 17))
    want = cv2.resize(g, (17, 13), interpolation=cv2.INTER_NEAREST) > 127
    assert out.dtype == bool and out.shape == (13, 17)
    np.testing.assert_array_equal(out, want)
    # nearest takes source pixel floor(i * 40 / 13) on rows
    rows = (np.arange(13) * 40) // 13
    cols = (np.arange(17) * 52) // 17
    np.testing.assert_array_equal(out, g[rows][:, cols] > 127)


def test_mask_alpha_rule(tmp_path):
    alpha = np.array([[0, 255], [200, 30]], np.uint8)
    rgba = np.dstack([np.full((2, 2, 3), 255, np.uint8), alpha])  # white brush on a transparent layer
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    np.testing.assert_array_equal(read_mask(tmp_path / "a.png"), alpha > 127)
    # fully opaque RGBA: the grey level carries the mask
    rgba2 = np.dstack([np.array([[0, 255], [255, 0]], np.uint8)[..., None].repeat(3, 2), np.full((2, 2), 255, np.uint8)])
    Image.fromarray(rgba2, "RGBA").save(tmp_path / "b.png")
    np.testing.assert_array_equal(read_mask(tmp_path / "b.png"), [[False, True], [True, False]])


# --- protocol preprocessing ---------------------------------------------------------------------------


def test_center_square_crop_celeba_rows():
    img = np.arange(218)[:, None, None].repeat(178, 1).repeat(3, 2).astype(np.uint16)
    sq = center_square_crop(img)
    assert sq.shape == (178, 178, 3)
    assert sq[0, 0, 0] == 20 and sq[-1, 0, 0] == 197
    wide = np.zeros((10, 17, 3))
    wide[:, 3:13] = 1
    assert center_square_crop(wide).shape == (10, 10, 3) and center_square_crop(wide).all()


def test_preprocess_matches_cv2_area():
    img = _rand_rgb(218, 178, seed=3)
    out = preprocess(img, 128)
    want = cv2.resize(img[20:198], (128, 128), interpolation=cv2.INTER_AREA)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(preprocess(img, 178), img[20:198])  # no resize at the native size
    with pytest.raises(ValueError, match="uint8"):
        preprocess(img.astype(np.float32), 64)


def test_preprocess_real_face_matches_independent_cv2(data_dir):
    part = data_dir / "celeba" / "list_eval_partition.txt"
    first_test = sorted(line.split()[0] for line in part.read_text().splitlines() if line.endswith(" 2"))[0]
    path = data_dir / "celeba" / "img_align_celeba" / first_test
    want = cv2.imread(str(path), cv2.IMREAD_COLOR)[:, :, ::-1][20:198]
    want = cv2.resize(np.ascontiguousarray(want), (128, 128), interpolation=cv2.INTER_AREA)
    img = read_image(path)
    assert img.shape == (218, 178, 3)
    np.testing.assert_array_equal(preprocess(img, 128), want)


def test_real_nvidia_mask_matches_protocol(data_dir):
    path = data_dir / "masks" / "nvidia_irregular_test" / "04012.png"
    if not path.exists():
        pytest.skip(f"{path} not found")
    g = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    want = cv2.resize(g, (128, 128), interpolation=cv2.INTER_NEAREST) > 127
    np.testing.assert_array_equal(read_mask(path, (128, 128)), want)


# --- tensors and saving -------------------------------------------------------------------------------


def test_tensor_roundtrip_and_rounding():
    img = _rand_rgb(5, 6)
    t = to_tensor(img)
    assert t.shape == (3, 5, 6) and t.dtype == torch.float32
    assert float(t.min()) >= 0 and float(t.max()) <= 1
    np.testing.assert_array_equal(to_uint8(t), img)
    x = torch.tensor([0.6 / 255, 1.4 / 255, 2.0, -1.0]).view(1, 1, 4).repeat(3, 1, 1)
    np.testing.assert_array_equal(to_uint8(x)[0, :, 0], [1, 1, 255, 0])
    m = mask_to_tensor(np.array([[True, False]]))
    assert m.shape == (1, 1, 2) and m.tolist() == [[[1.0, 0.0]]]
    with pytest.raises(ValueError):
        to_uint8(torch.zeros(1, 3, 4, 4))


def test_save_image_atomic(tmp_path):
    img = _rand_rgb(9, 11)
    p = save_image(tmp_path / "sub" / "o.png", img)
    np.testing.assert_array_equal(read_image(p), img)
    save_image(tmp_path / "sub" / "o.png", img[::-1].copy())  # overwrite in place
    np.testing.assert_array_equal(read_image(p), img[::-1])
    assert sorted(x.name for x in (tmp_path / "sub").iterdir()) == ["o.png"]  # no temp file left
    save_image(tmp_path / "m.png", np.array([[True, False]]))
    np.testing.assert_array_equal(read_mask(tmp_path / "m.png"), [[True, False]])
    with pytest.raises(ValueError, match="extension"):
        save_image(tmp_path / "o.xyz", img)


def test_grow_is_a_disc_of_the_radius():
    from inpaintkit.images.mask import grow

    m = np.zeros((9, 9), bool)
    m[4, 4] = True
    assert np.array_equal(grow(m, 0), m)
    g = grow(m, 2)
    assert g[4, 2] and g[2, 4] and g[4, 6] and not g[2, 2]  # the axes reach 2 px, the corner of the square does not
    assert not g[4, 1] and g.sum() < 25
