"""Photo-level filling (inference.py): modes, dtypes, PIL, masks, files, EXIF, crop strategy, errors."""
from __future__ import annotations

import warnings
from collections import Counter

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

import inpaintkit
from inpaintkit.images import ImageReadError
from inpaintkit.images import mask_to_bool, read_picture, write_picture
from inpaintkit.images.read import _orient
from inpaintkit.inference import EmptyMaskWarning, InpaintError, fill_file, inpaint
from inpaintkit.model_spec import load_filler
from inpaintkit.tiling import plan_crops
from inpaintkit.models.arrays import run_contract_np
from inpaintkit.optional import torch_available

pytestmark = pytest.mark.light  # the torch-free install runs these too (`make test-light`)
needs_torch = pytest.mark.skipif(not torch_available(), reason="needs PyTorch (not in the torch-free install)")




class Const:
    """A filler that predicts one grey level everywhere and records the sizes it was given."""

    multiple = 8

    def __init__(self, value: float = 0.5):
        self.value, self.sizes = value, []

    def fill_numpy(self, image, mask):  # the numpy contract: what ONNX graphs and classical methods fill through
        self.sizes.append(tuple(image.shape[-2:]))
        return run_contract_np(lambda x, m: np.full_like(x, self.value), image, mask, self.multiple)


class MeanOfKnown:
    """A filler that predicts the mean colour of the known pixels it was given (shows any hole colour leaking in)."""

    def fill_numpy(self, image, mask):
        def predict(x, m):
            known = 1 - m
            mean = (x * known).sum((2, 3), keepdims=True) / known.sum((2, 3), keepdims=True)
            return np.broadcast_to(mean, x.shape)

        return run_contract_np(predict, image, mask)


def _photo(h=48, w=64, c=3, dtype=np.uint8, seed=0):
    rng = np.random.default_rng(seed)
    hi = {np.uint8: 255, np.uint16: 65535}.get(dtype, 1)
    shape = (h, w) if c is None else (h, w, c)
    return (rng.random(shape) * hi).astype(dtype)


def _hole(h=48, w=64):
    m = np.zeros((h, w), bool)
    m[10:25, 20:41] = True
    return m


@pytest.mark.parametrize("c,dtype,fill_value", [
    (None, np.uint8, 128), (1, np.uint8, 128), (2, np.uint8, 128), (3, np.uint8, 128), (4, np.uint8, 128),
    (3, np.uint16, 32768), (None, np.uint16, 32768), (3, np.float32, 0.5), (4, np.float64, 0.5),
])
def test_modes_and_dtypes_keep_known_pixels_and_alpha(c, dtype, fill_value):
    img, hole = _photo(c=c, dtype=dtype), _hole()
    out = inpaint(img, hole, Const())
    assert out.shape == img.shape and out.dtype == img.dtype
    assert np.array_equal(out[~hole], img[~hole])  # bit-identical known pixels
    colour = 1 if c in (None, 1, 2) else 3
    filled = out[hole] if out.ndim == 2 else out[hole][:, :colour]
    if dtype == np.uint16:  # 16-bit data map by their own range (known pixels' min..max), not by 0..65535
        known = (img if img.ndim == 2 else img[..., :colour])[~hole]
        fill_value = round((int(known.min()) + int(known.max())) / 2)
    assert np.all(filled == fill_value)
    if c in (2, 4):  # alpha unchanged everywhere, holes included
        assert np.array_equal(out[..., -1], img[..., -1])


def test_grey_is_filled_as_grey_by_a_real_method():
    img = np.tile(np.linspace(0, 255, 64).astype(np.uint8), (48, 1))
    hole = _hole()
    out = inpaint(img, hole, "telea")
    assert out.shape == (48, 64) and np.array_equal(out[~hole], img[~hole])
    assert np.abs(out[hole].astype(int) - img[hole].astype(int)).mean() < 12  # a smooth ramp is easy


def test_pil_images_keep_their_mode():
    hole = _hole()
    for arr, mode in [(_photo(c=4), "RGBA"), (_photo(c=None), "L"), (_photo(c=3), "RGB")]:
        im = Image.fromarray(arr)
        out = inpaint(im, Image.fromarray(hole), Const())
        assert isinstance(out, Image.Image) and out.mode == mode and out.size == im.size
        assert np.array_equal(np.asarray(out)[~hole], arr[~hole])
    deep16 = _photo(c=None, dtype=np.uint16)
    out = inpaint(Image.fromarray(deep16), hole, Const())
    known = deep16[~hole]  # 16-bit data map by the known pixels' own range
    assert out.mode.startswith("I;16")
    assert np.asarray(out)[hole][0] == round((int(known.min()) + int(known.max())) / 2)


def test_mask_rules():
    h = _hole()
    grey = np.where(h, 200, 100).astype(np.uint8)  # > 127 is hole
    assert np.array_equal(mask_to_bool(grey), h)
    assert np.array_equal(mask_to_bool(np.where(h, 128, 127).astype(np.uint8)), h)
    assert np.array_equal(mask_to_bool(h.astype(np.float32) * 0.6), h)
    assert np.array_equal(mask_to_bool(h.astype(np.uint16) * 65535), h)
    rgb = np.repeat(grey[..., None], 3, axis=2)
    assert np.array_equal(mask_to_bool(rgb), h)
    brush = np.zeros(h.shape + (4,), np.uint8)  # a brush layer: opaque strokes on transparency
    brush[..., 3] = h * 255
    assert np.array_equal(mask_to_bool(brush), h)
    assert np.array_equal(mask_to_bool(Image.fromarray(brush)), h)
    with pytest.raises(InpaintError):
        mask_to_bool(np.zeros((2, 3, 4, 5)))


def test_bad_inputs_fail_with_one_line():
    img = _photo()
    with pytest.raises(InpaintError, match="mask is 64x47 but image is 64x48"):
        inpaint(img, np.zeros((47, 64), bool), Const())
    with pytest.raises(InpaintError, match="rotated"):
        inpaint(img, _hole().T, Const())
    with pytest.raises(InpaintError, match="covers the whole image"):
        inpaint(img, np.ones((48, 64), bool), Const())
    with pytest.raises(InpaintError, match="over the limit"):
        inpaint(img, _hole(), Const(), max_pixels=1000)
    with pytest.raises(InpaintError, match="dtype"):
        inpaint(img.astype(np.int64), _hole(), Const())  # int32, int16, float ... are filled (pixels.py)
    with pytest.raises(InpaintError, match="backend"):
        inpaint(img, _hole(), "telea", backend="tensorrt")
    with pytest.raises(InpaintError, match="ONNX"):
        load_filler("model.onnx", "torch")
    with pytest.raises(KeyError, match="unknown model"):
        inpaint(img, _hole(), "no-such-model")


def test_empty_mask_returns_a_copy_with_a_warning():
    img = _photo()
    with pytest.warns(EmptyMaskWarning):
        out = inpaint(img, np.zeros((48, 64), bool), Const())
    assert np.array_equal(out, img) and out is not img


@needs_torch
def test_public_api_and_a_real_network():
    net = inpaintkit.create_model("fillnet-s").eval()
    img, hole = _photo(40, 56), np.zeros((40, 56), bool)
    hole[5:15, 5:20] = True
    out = inpaintkit.inpaint(img, hole, net)
    assert out.shape == img.shape and np.array_equal(out[~hole], img[~hole]) and not np.array_equal(out, img)


# --- crop strategy ----------------------------------------------------------------------------


def test_crops_cover_every_hole_pixel_once_and_stay_small():
    h, w = 900, 1400
    hole = np.zeros((h, w), bool)
    hole[100:120, 100:130] = True  # small
    hole[125:130, 140:150] = True  # near the first: merged into its crop
    hole[600:890, 300:1390] = True  # bigger than the working size in width
    hole[0:3, 1395:1400] = True  # touches a corner
    crops = list(plan_crops(hole, 512))
    assert len(crops) == 3
    count = np.zeros((h, w), int)
    for c in crops:
        assert 0 <= c.y0 < c.y1 <= h and 0 <= c.x0 < c.x1 <= w
        assert c.paste.shape == (c.y1 - c.y0, c.x1 - c.x0)
        assert (c.y1 - c.y0, c.x1 - c.x0) != (h, w)
        count[c.y0:c.y1, c.x0:c.x1] += c.paste
    assert np.array_equal(count, hole.astype(int))  # every hole pixel pasted exactly once
    small = next(c for c in crops if c.y0 <= 100 < c.y1 and c.x0 <= 100 < c.x1)
    assert (small.y1 - small.y0, small.x1 - small.x0) == (128, 128)  # MIN_CROP around a small hole


def test_big_image_small_hole_runs_the_model_on_crops_only():
    img = _photo(1500, 2100, seed=3)
    hole = np.zeros((1500, 2100), bool)
    hole[700:740, 1000:1060] = True
    hole[1200:1490, 50:1900] = True  # a hole wider than the working size: reduced resolution
    f = Const(0.25)
    out = inpaint(img, hole, f)
    assert out.shape == img.shape and np.array_equal(out[~hole], img[~hole])
    inner = cv2.erode(hole.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    assert np.all(out[inner] == 64)  # round(0.25 * 255); at the rim the upsampled fill blends with known pixels
    assert len(f.sizes) == 2 and all(max(s) <= 512 for s in f.sizes)
    assert (128, 128) in f.sizes


def test_a_long_thin_hole_is_tiled_at_full_resolution():
    h, w = 900, 3000
    hole = np.zeros((h, w), bool)
    cv2.line(hole.view(np.uint8), (20, 700), (2980, 600), 1, 9)  # a wire across the photo
    hole[100:400, 200:700] = True  # a thick hole: one reduced crop
    crops = list(plan_crops(hole, 512))
    count = np.zeros((h, w), int)
    for c in crops:
        count[c.y0:c.y1, c.x0:c.x1] += c.paste
    assert np.array_equal(count, hole.astype(int))
    wire = [c for c in crops if c.y0 > 500]
    assert len(wire) > 5 and all(max(c.y1 - c.y0, c.x1 - c.x0) <= 512 for c in wire)
    f = Const()
    out = inpaint(np.zeros((h, w, 3), np.uint8), hole, f)
    assert np.all(out[500:][hole[500:]] == 128) and not out[~hole].any()  # full resolution: no blending at the rim
    # the wire's windows reach the network unreduced; the thick hole's window is reduced to 512
    wire_sizes = Counter((c.y1 - c.y0, c.x1 - c.x0) for c in wire)
    rest = Counter(f.sizes) - wire_sizes
    assert len(f.sizes) == len(crops) and sum(rest.values()) == 1 and max(next(iter(rest))) == 512


def test_whole_image_path_for_small_images():
    f = Const()
    inpaint(_photo(300, 500), np.pad(np.ones((10, 10), bool), ((100, 190), (100, 390))), f)
    assert f.sizes == [(300, 500)]


def test_reduced_resolution_fill_does_not_leak_the_hole_content():
    # the object inside the hole is bright red; a fill from the known grey must not pick any of it up
    img = np.full((1200, 1200, 3), 90, np.uint8)
    hole = np.zeros((1200, 1200), bool)
    hole[150:1050, 150:1050] = True
    img[hole] = (255, 0, 0)
    out = inpaint(img, hole, MeanOfKnown())
    assert np.abs(out[hole].astype(int) - 90).max() <= 1


# --- files ------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix,lossless", [(".png", True), (".tif", True), (".bmp", True), (".webp", False), (".jpg", False)])
def test_formats_round_trip(tmp_path, suffix, lossless):
    img, hole = _photo(40, 56, seed=1), np.zeros((40, 56), bool)
    hole[8:20, 10:30] = True
    Image.fromarray(img).save(tmp_path / f"in{suffix}")
    Image.fromarray(hole.astype(np.uint8) * 255).save(tmp_path / "mask.png")
    assert fill_file(tmp_path / f"in{suffix}", tmp_path / "mask.png", tmp_path / f"out{suffix}", Const())
    src, out = read_picture(tmp_path / f"in{suffix}").pixels, read_picture(tmp_path / f"out{suffix}").pixels
    assert out.shape == src.shape
    if lossless:
        assert np.array_equal(out[~hole], src[~hole]) and np.all(out[hole] == 128)
    else:
        assert abs(float(out[hole].mean()) - 128) < 6


def test_alpha_png_and_grey_png_keep_mode(tmp_path):
    hole = _hole()
    Image.fromarray(hole.astype(np.uint8) * 255).save(tmp_path / "m.png")
    for name, arr, mode in [("rgba.png", _photo(c=4), "RGBA"), ("grey.png", _photo(c=None), "L"), ("grey.jpg", _photo(c=None), "L")]:
        Image.fromarray(arr).save(tmp_path / name)
        fill_file(tmp_path / name, tmp_path / "m.png", tmp_path / f"out_{name}", Const())
        with Image.open(tmp_path / f"out_{name}") as im:
            assert im.mode == mode and im.size == (64, 48)
    out = np.asarray(Image.open(tmp_path / "out_rgba.png"))
    assert np.array_equal(out[..., 3], _photo(c=4)[..., 3])
    # RGBA into JPEG: alpha dropped, colours kept
    fill_file(tmp_path / "rgba.png", tmp_path / "m.png", tmp_path / "flat.jpg", Const())
    assert Image.open(tmp_path / "flat.jpg").mode == "RGB"


@pytest.mark.parametrize("channels", [None, 3, 4])
def test_16_bit_png_in_16_bit_out(tmp_path, channels):
    img, hole = _photo(c=channels, dtype=np.uint16, seed=2), _hole()
    write_picture(tmp_path / "deep.png", img)
    pic = read_picture(tmp_path / "deep.png")
    assert pic.pixels.dtype == np.uint16 and np.array_equal(pic.pixels, img)
    Image.fromarray(hole.astype(np.uint8) * 255).save(tmp_path / "m.png")
    fill_file(tmp_path / "deep.png", tmp_path / "m.png", tmp_path / "out.png", Const(0.3))
    out = read_picture(tmp_path / "out.png").pixels
    assert out.dtype == np.uint16 and out.shape == img.shape
    assert np.array_equal(out[~hole], img[~hole])
    known = (img if img.ndim == 2 else img[..., :3])[~hole]  # the known pixels' own range stands for [0, 1]
    want = round(int(known.min()) + 0.3 * (int(known.max()) - int(known.min())))
    assert np.all((out[hole] if out.ndim == 2 else out[hole][:, :3]) == want)
    # into an 8-bit format it is scaled down
    fill_file(tmp_path / "deep.png", tmp_path / "m.png", tmp_path / "out.jpg", Const(0.3))
    assert read_picture(tmp_path / "out.jpg").pixels.dtype == np.uint8


def test_16_bit_colour_is_read_in_full_depth_by_opencv(tmp_path):
    img = _photo(c=3, dtype=np.uint16, seed=4)
    cv2.imwrite(str(tmp_path / "c.tif"), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    assert np.array_equal(read_picture(tmp_path / "c.tif").pixels, img)


def test_exif_orientation_is_applied_to_the_photo(tmp_path):
    raw = _photo(40, 60, seed=5)  # stored sideways; orientation 6 = display rotated 90° clockwise
    im = Image.fromarray(raw)
    exif = im.getexif()
    exif[0x0112] = 6
    im.save(tmp_path / "phone.png", exif=exif.tobytes())
    upright = np.asarray(ImageOps.exif_transpose(Image.open(tmp_path / "phone.png")))
    assert upright.shape == (60, 40, 3)
    hole = np.zeros((60, 40), bool)  # drawn on the upright view
    hole[5:15, 2:12] = True
    Image.fromarray(hole.astype(np.uint8) * 255).save(tmp_path / "m.png")
    fill_file(tmp_path / "phone.png", tmp_path / "m.png", tmp_path / "out.png", Const())
    out = read_picture(tmp_path / "out.png").pixels
    assert out.shape == (60, 40, 3) and np.array_equal(out[~hole], upright[~hole]) and np.all(out[hole] == 128)
    assert Image.open(tmp_path / "out.png").getexif().get(0x0112) in (None, 1)


def test_orientation_helper_matches_pillow():
    a = np.arange(3 * 4 * 3, dtype=np.uint8).reshape(3, 4, 3)
    for o in range(1, 9):
        im = Image.fromarray(a)
        exif = im.getexif()
        exif[0x0112] = o
        ref = np.asarray(ImageOps.exif_transpose(_with_exif(im, exif)))
        assert np.array_equal(_orient(a, o), ref), o


def _with_exif(im, exif):
    import io

    buf = io.BytesIO()
    im.save(buf, format="PNG", exif=exif.tobytes())
    buf.seek(0)
    return Image.open(buf)


def test_unreadable_files_raise_image_read_errors(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(ImageReadError, match="bad.png"):
        read_picture(tmp_path / "bad.png")
    with pytest.raises(InpaintError, match="cannot write"):
        write_picture(tmp_path / "x.gifx", _photo())


def test_fill_file_reports_an_empty_mask(tmp_path):
    Image.fromarray(_photo()).save(tmp_path / "a.png")
    Image.fromarray(np.zeros((48, 64), np.uint8)).save(tmp_path / "m.png")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # fill_file reports through its return value, not a warning
        assert fill_file(tmp_path / "a.png", tmp_path / "m.png", tmp_path / "o.png", Const()) is False
    assert np.array_equal(read_picture(tmp_path / "o.png").pixels, _photo())


@needs_torch
def test_bf16_backend_is_close_to_fp32_and_keeps_known_pixels():
    img, hole = _photo(64, 64), _hole(64, 64)
    fp32 = inpaint(img, hole, "faces")
    bf16 = inpaint(img, hole, "faces", backend="bf16")
    assert np.array_equal(bf16[~hole], img[~hole])
    assert np.abs(bf16.astype(int) - fp32.astype(int)).max() <= 4  # bfloat16 autocast: within a few levels of 255
    with pytest.raises(InpaintError, match="needs a network"):
        inpaint(img, hole, "telea", backend="bf16")
    with pytest.raises(InpaintError, match="unknown backend"):
        inpaint(img, hole, "faces", backend="fp8")
