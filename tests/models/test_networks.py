"""Every registered network (``list_models("network")``) on tiny CPU inputs, in the manner of timm's model
tests, plus ``seed-unet``'s layer-for-layer structure and the non-learned ``push_pull_fill``."""
from __future__ import annotations

import doctest
import importlib

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from inpaintkit.models import InpaintingNetwork, create_model, list_models
from inpaintkit.models.generators import push_pull_fill

NETWORKS = list_models("network")




def tiny_batch(b: int = 2, h: int = 32, w: int = 32, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A random image [b,3,h,w] in [0,1] and a mask [b,1,h,w] with a box hole and a stroke of holes."""
    g = torch.Generator().manual_seed(seed)
    image = torch.rand(b, 3, h, w, generator=g)
    mask = torch.zeros(b, 1, h, w)
    mask[..., h // 4 : h // 2, w // 4 : w // 2] = 1
    mask[..., :, w - 3] = 1
    return image, mask


def perturb_zero_init(net: nn.Module) -> None:
    """Give parameters that start at exactly zero (fillnet's output layer) small random values, so that a
    gradient can flow to every earlier parameter; the test then asks for a non-zero gradient everywhere."""
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in net.parameters():
            if not p.any():
                p.copy_(torch.randn(p.shape, generator=g) * 0.05)


def test_networks_are_registered():
    assert {"fillnet", "fillnet-s", "seed-unet"} <= set(NETWORKS)


@pytest.mark.parametrize("name", NETWORKS)
def test_forward_shape_and_finite(name):
    torch.manual_seed(0)
    net = create_model(name)
    assert isinstance(net, InpaintingNetwork)
    image, mask = tiny_batch(2, 32, 32)
    pred = net(image * (1 - mask), mask)
    assert pred.shape == (2, 3, 32, 32)
    assert pred.dtype == torch.float32
    assert torch.isfinite(pred).all()


@pytest.mark.parametrize("name", NETWORKS)
def test_gradient_on_every_parameter(name):
    torch.manual_seed(0)
    net = create_model(name).train()
    perturb_zero_init(net)
    image, mask = tiny_batch(2, 16, 16)
    pred = net(image * (1 - mask), mask)
    ((pred - image).abs() * mask).mean().backward()
    missing = [n for n, p in net.named_parameters() if p.grad is None]
    assert not missing, f"no gradient for {missing}"
    zero = [n for n, p in net.named_parameters() if not p.grad.any()]
    assert not zero, f"all-zero gradient for {zero}"
    assert all(torch.isfinite(p.grad).all() for p in net.parameters())


@pytest.mark.parametrize("name", NETWORKS)
@pytest.mark.parametrize("hw", [(32, 32), (19, 23), (5, 3)])
def test_fill_keeps_known_pixels_at_any_size(name, hw):
    torch.manual_seed(0)
    net = create_model(name).eval()
    perturb_zero_init(net)  # so the network's output differs from the image and compositing matters
    h, w = hw
    image, mask = tiny_batch(2, h, w, seed=3)
    mask[0, 0, 0, 0] = 1  # at least one hole even in the 5x3 image
    out = net.fill(image, mask)
    assert out.shape == image.shape
    assert torch.isfinite(out).all()
    assert out.min() >= 0 and out.max() <= 1
    known = mask.expand_as(image) == 0
    assert torch.equal(out[known], image[known])  # bit-identical, not just close
    if h % net.multiple == 0 and w % net.multiple == 0:  # no padding: the holes hold the network's prediction
        with torch.no_grad():
            pred = net(image * (1 - mask), mask).clamp(0, 1)
        torch.testing.assert_close(out[~known], pred[~known], rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", NETWORKS)
def test_config_rebuilds_the_same_architecture(name):
    net = create_model(name)
    again = create_model(name, **net.config)
    assert {k: v.shape for k, v in net.state_dict().items()} == {k: v.shape for k, v in again.state_dict().items()}


def test_fillnet_accepts_width_overrides():
    net = create_model("fillnet", widths=(8, 8, 16), n_blocks=2)
    assert net.config["widths"] == [8, 8, 16] and net.config["n_blocks"] == 2
    assert sum(p.numel() for p in net.parameters()) < sum(p.numel() for p in create_model("fillnet-s").parameters())
    image, mask = tiny_batch(1, 16, 16)
    assert net(image * (1 - mask), mask).shape == (1, 3, 16, 16)


def test_fillnet_starts_as_the_push_pull_fill():
    net = create_model("fillnet")  # zero-initialised output layer: pred = coarse
    image, mask = tiny_batch(1, 16, 16)
    masked = image * (1 - mask)
    assert torch.equal(net(masked, mask), push_pull_fill(masked, mask))


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(KeyError) as e:
        create_model("no-such-net")
    msg = str(e.value)
    assert "no-such-net" in msg
    for name in NETWORKS + ["telea"]:
        assert name in msg


# --- seed-unet: the network the project started from, layer for layer ------------------------------


def test_seed_unet_structure():
    net = create_model("seed-unet")
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels) for c in convs] == [(3, 64), (64, 128), (256, 128), (192, 64), (64, 3)]
    assert all(c.kernel_size == (3, 3) and c.padding == (1, 1) and c.stride == (1, 1) for c in convs)
    assert net.multiple == 4


def test_seed_unet_matches_the_seed_graph():
    """An independent rewrite of the seed's Keras graph from the module's own weights gives the same output."""
    torch.manual_seed(0)
    net = create_model("seed-unet").eval()
    image, mask = tiny_batch(2, 16, 16)
    x = image * (1 - mask)
    c = [net.conv1, net.conv2, net.conv3, net.conv4, net.out]
    e1 = F.relu(F.conv2d(x, c[0].weight, c[0].bias, padding=1))
    e2 = F.relu(F.conv2d(F.max_pool2d(e1, 2), c[1].weight, c[1].bias, padding=1))
    up = F.max_pool2d(e2, 2).repeat_interleave(2, 2).repeat_interleave(2, 3)  # UpSampling2D (nearest)
    d2 = F.relu(F.conv2d(torch.cat([up, e2], 1), c[2].weight, c[2].bias, padding=1))
    up = d2.repeat_interleave(2, 2).repeat_interleave(2, 3)
    d1 = F.relu(F.conv2d(torch.cat([up, e1], 1), c[3].weight, c[3].bias, padding=1))
    ref = torch.sigmoid(F.conv2d(d1, c[4].weight, c[4].bias, padding=1))
    torch.testing.assert_close(net(x, mask), ref, rtol=1e-5, atol=1e-6)


def test_seed_unet_ignores_the_mask_channel_and_outputs_a_sigmoid():
    net = create_model("seed-unet").eval()
    image, mask = tiny_batch(1, 16, 16)
    x = image * (1 - mask)
    with torch.no_grad():
        assert torch.equal(net(x, mask), net(x, torch.zeros_like(mask)))  # 3-channel input: no mask channel
        net.out.bias.fill_(50.0)
        hi = net(x, mask)
        net.out.bias.fill_(-50.0)
        lo = net(x, mask)
    assert torch.allclose(hi, torch.ones_like(hi)) and torch.allclose(lo, torch.zeros_like(lo), atol=1e-12)
    assert hi.max() <= 1 and lo.min() >= 0


# --- push_pull_fill ------------------------------------------------------------------------------


def test_push_pull_keeps_known_pixels():
    image, mask = tiny_batch(2, 21, 17)
    out = push_pull_fill(image * (1 - mask), mask)
    known = mask.expand_as(image) == 0
    assert torch.equal(out[known], image[known])
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("hw", [(16, 16), (13, 29)])
def test_push_pull_fills_a_constant_with_the_constant(hw):
    image = torch.full((1, 3, *hw), 0.37)
    mask = torch.zeros(1, 1, *hw)
    mask[..., 2:11, 3:12] = 1  # a 9x9 hole, far from any known pixel at its centre
    out = push_pull_fill(image * (1 - mask), mask)
    torch.testing.assert_close(out, image, rtol=0, atol=1e-6)


def test_push_pull_is_smooth_between_two_colours():
    """Left half 0, right half 1, a hole across the middle: the fill stays in [0,1] and rises left to right."""
    image = torch.zeros(1, 1, 8, 32)
    image[..., 16:] = 1
    mask = torch.zeros(1, 1, 8, 32)
    mask[..., 8:24] = 1
    out = push_pull_fill(image * (1 - mask), mask)[0, 0, 4, 8:24]
    assert out.min() >= 0 and out.max() <= 1
    assert out[-1] - out[0] > 0.3


def test_push_pull_all_hole_gives_no_nan():
    image = torch.rand(2, 3, 16, 16)
    mask = torch.ones(2, 1, 16, 16)
    out = push_pull_fill(image * (1 - mask), mask)
    assert torch.isfinite(out).all()
    net = create_model("fillnet").eval()
    filled = net.fill(image, mask)
    assert torch.isfinite(filled).all()


def test_generators_doctest():
    assert doctest.testmod(importlib.import_module("inpaintkit.models.generators")).failed == 0


def test_blur_out_removes_the_sub_pixel_checkerboard_and_keeps_the_weights():
    plain = create_model("fillnet", widths=(8, 16, 32), n_blocks=2)
    blurred = create_model("fillnet", widths=(8, 16, 32), n_blocks=2, blur_out=True)
    blurred.load_state_dict(plain.state_dict())  # no new parameters: a shipped model warm-starts it
    assert blurred.config["blur_out"] and "blur_out" not in plain.config
    with torch.no_grad():  # an output layer that draws the same value in every 2x2 cell's top-left pixel only
        for net in (plain, blurred):
            net.out.bias.copy_(torch.tensor([1.0, -1, -1, 1] * 3))  # pixel-shuffle order: channel c*4 + (dy*2 + dx)
    image, mask = tiny_batch()
    known = torch.zeros_like(mask)  # no hole: the first guess is the image itself, the rest is the residual
    with torch.no_grad():
        checker = plain(image, known) - image
        smooth = blurred(image, known) - image
    assert checker[..., 4:-4, 4:-4].abs().mean() > 0.9  # +-1 checkerboard through the pixel-shuffle
    assert smooth[..., 4:-4, 4:-4].abs().max() < 1e-5  # the [1, 2, 1] filter is zero at the 2-pixel period


def test_refine_starts_as_the_model_without_it_and_learns():
    from inpaintkit.checkpoint import load_weights

    plain = create_model("fillnet", widths=(8, 16, 32), n_blocks=2).eval()
    refined = create_model("fillnet", widths=(8, 16, 32), n_blocks=2, refine=4).eval()
    load_weights(refined, plain.state_dict(), new_ok=True)
    assert refined.config["refine"] == 4 and "refine" not in plain.config
    image, mask = tiny_batch()
    with torch.no_grad():
        assert torch.equal(refined(image * (1 - mask), mask), plain(image * (1 - mask), mask))
    refined(image * (1 - mask), mask).sum().backward()
    assert refined.refine[-1].weight.grad.abs().sum() > 0  # the zero layer gets a gradient, so it can learn


def test_antialias_keeps_the_weights_and_stops_a_grid_in_the_encoder():
    plain = create_model("fillnet", widths=(8, 16, 32), n_blocks=2)
    aa = create_model("fillnet", widths=(8, 16, 32), n_blocks=2, antialias=True)
    aa.load_state_dict(plain.state_dict())  # no new parameters: a shipped model warm-starts it
    assert aa.config["antialias"] and "antialias" not in plain.config
    # a +-1 checkerboard at the 1/2-size level (period 2) is folded by a stride-2 convolution into a constant
    # that depends on its phase; after the [1, 2, 1] filter nothing of it is left
    checker = ((torch.arange(16)[:, None] + torch.arange(16)[None, :]) % 2 * 2.0 - 1).expand(1, 8, 16, 16)
    with torch.no_grad():
        folded = plain.down1(plain.aa(checker)) - plain.down1(torch.zeros_like(checker))
        stopped = aa.down1(aa.aa(checker)) - aa.down1(torch.zeros_like(checker))
    assert folded[..., 1:-1, 1:-1].abs().mean() > 1e-2 and stopped[..., 1:-1, 1:-1].abs().max() < 1e-5
    image, mask = tiny_batch()
    assert aa(image, mask).shape == image.shape
