"""+texture: PatchMatch's high frequencies deep in wide holes, the network's fill near the edge."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from inpaintkit.models import create_model
from inpaintkit.models.pretrained import load, split_suffixes
from inpaintkit.models.texture import TextureFill

pytest.importorskip("patchmatch")


def _striped(h=48, w=64):
    x = np.arange(w)
    stripes = 0.5 + 0.4 * np.sign(np.sin(2 * np.pi * x / 6))  # sharp vertical stripes, period 6
    img = torch.from_numpy(np.broadcast_to(stripes, (h, w)).copy()).float()
    return img.expand(1, 3, h, w).clone()


def test_thin_holes_are_the_networks_fill_and_wide_holes_get_texture():
    net = create_model("fillnet", widths=(8, 16, 32), n_blocks=1).eval()  # untrained: the push-pull blur
    tex = TextureFill(net, sigma=2.0, near=1, far=4)
    img = _striped()
    thin = torch.zeros(1, 1, 48, 64)
    thin[..., 5:7, :] = 1  # two pixels thick: depth 1 everywhere, so w = 0
    assert torch.equal(tex.fill(img, thin), net.fill(img, thin))
    wide = torch.zeros(1, 1, 48, 64)
    wide[..., 12:40, 16:48] = 1
    smooth, textured = net.fill(img, wide), tex.fill(img, wide)
    inner = (slice(None), slice(None), slice(20, 32), slice(24, 40))
    detail = lambda t: (t[inner][..., 1:] - t[inner][..., :-1]).abs().mean()  # noqa: E731
    assert detail(textured) > 2 * detail(smooth)  # PatchMatch's stripes come through
    assert torch.equal(textured * (1 - wide), img * (1 - wide))  # known pixels untouched


def test_suffix_wraps_a_network_and_keeps_the_other_switches():
    assert split_suffixes("general+flip+texture") == ("general", ["+flip", "+texture"])
    m = load("general+flip+texture")
    assert isinstance(m, TextureFill) and m.base.flip_average is True
    with pytest.raises(ValueError, match="classical"):
        load("telea+texture")


def test_bad_parameters_raise():
    with pytest.raises(ValueError, match="sigma"):
        TextureFill(create_model("fillnet-s"), sigma=0)
