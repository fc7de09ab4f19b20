"""The bundled models: every one loads offline, fills a real photo correctly, and the learned ones beat
OpenCV Telea in the holes; ``NAME+flip`` test-time averaging."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from inpaintkit.demo import demo_photo
from inpaintkit.images import mask_to_tensor, preprocess, to_tensor
from inpaintkit.masks import MaskGenerator
from inpaintkit.metrics import psnr
from inpaintkit.models.pretrained import BUNDLED, load, weights_path
from inpaintkit.models.registry import create_model


@pytest.fixture(scope="module")
def photo_and_hole():
    """scikit-image's astronaut (a real photo that ships with a dependency), 128², a seeded 'medium' stroke mask."""
    img = preprocess(demo_photo("astronaut"), 128)  # uint8 [128,128,3]
    hole = MaskGenerator(128, "medium", seed=0)(5) > 0  # bool [128,128]
    assert 0.05 < hole.mean() < 0.5
    return img, hole


def _fill(model, img, hole) -> np.ndarray:
    out = model.fill(to_tensor(img)[None], mask_to_tensor(hole)[None])[0]
    return (out.permute(1, 2, 0).numpy() * 255).round().clip(0, 255).astype(np.uint8)


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_model_loads_and_fills_a_real_photo(name, photo_and_hole):
    assert weights_path(name).is_file(), f"bundled weights missing: {weights_path(name)}"
    img, hole = photo_and_hole
    net = load(name)
    assert not net.training
    out = _fill(net, img, hole)
    assert out.shape == img.shape
    assert np.array_equal(out[~hole], img[~hole])  # known pixels untouched
    flat = img.copy()
    flat[hole] = img[~hole].mean(0).round().astype(np.uint8)  # the mean colour of the known pixels
    assert psnr(out, img, hole) > psnr(flat, img, hole) + 2  # a fill from the surroundings, not noise or a constant


@pytest.mark.parametrize("name", [n for n in BUNDLED if not n.startswith("seed-unet")])
def test_learned_fillnets_beat_telea_in_the_hole(name, photo_and_hole):
    img, hole = photo_and_hole
    telea = psnr(_fill(create_model("telea"), img, hole), img, hole)
    ours = psnr(_fill(load(name), img, hole), img, hole)
    assert ours > telea, f"{name}: hole PSNR {ours:.2f} dB is not above Telea's {telea:.2f} dB"


def test_default_is_general_routed_to_general_gan_by_hole_width():
    from inpaintkit.models.width_route import WidthRoute

    net = load()
    assert isinstance(net, WidthRoute) and (net.near, net.far, net.max_depth) == (3, 8, 40)
    for part, name in ((net.accurate, "general"), (net.realistic, "general-gan")):
        want = load(name).state_dict()
        assert all(torch.equal(x, want[k]) for k, x in part.state_dict().items())


def test_flip_average_is_the_mean_of_the_fill_and_the_mirrored_fill(photo_and_hole):
    img, hole = photo_and_hole
    net = create_model("fillnet", widths=[8, 8, 16], n_blocks=1).eval()
    x, m = to_tensor(img)[None], mask_to_tensor(hole)[None]
    with torch.no_grad():
        plain = net(x * (1 - m), m)
        mirrored = net((x * (1 - m)).flip(-1), m.flip(-1)).flip(-1)
    want = m * (0.5 * (plain + mirrored)).clamp(0, 1) + (1 - m) * x
    net.flip_average = True
    torch.testing.assert_close(net.fill(x, m), want, atol=1e-5, rtol=0)


def test_flip_suffix_loads_a_flip_averaging_network_and_refuses_classical():
    assert load("faces+flip").flip_average and not load("faces").flip_average
    with pytest.raises(ValueError, match="needs a network"):
        load("telea+flip")


def test_suffixes_split_in_order_and_reach_the_evaluator():
    from inpaintkit.evaluate import EvalError, check_methods, method_kind
    from inpaintkit.models.pretrained import split_suffixes

    assert split_suffixes("faces+flip+bf16") == ("faces", ["+flip", "+bf16"])
    assert split_suffixes("a=runs/x.safetensors+bf16") == ("a=runs/x.safetensors", ["+bf16"])
    assert split_suffixes("telea") == ("telea", [])
    assert check_methods(["faces+flip", "general+bf16"]) == ["faces+flip", "general+bf16"]
    assert method_kind("faces+flip") == "network"
    with pytest.raises(EvalError, match="needs a network"):
        check_methods(["telea+flip"])
    net = load("general+bf16+flip")
    assert net.bf16 and net.flip_average
