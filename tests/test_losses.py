"""Training losses on tiny tensors with values worked out by hand, and the SN-PatchGAN discriminator."""
from __future__ import annotations

import doctest
import importlib
import math

import pytest
import torch

from inpaintkit.losses import GAN_TERMS, RECON_TERMS, d_loss, feature_matching_loss, g_adv_loss, reconstruction_loss
from inpaintkit.models.discriminators import SNPatchGAN, create_discriminator




def two_by_two():
    """pred = 0 everywhere; target [1,3,2,2]; one hole pixel at (0,0) whose channels are 0.3, 0.6, 0.9."""
    target = torch.tensor([[[0.3, 0.1], [0.2, 0.4]],
                           [[0.6, 0.5], [0.7, 0.8]],
                           [[0.9, 1.0], [0.0, 0.6]]]).unsqueeze(0)  # [1,3,2,2]
    mask = torch.tensor([[1.0, 0.0], [0.0, 0.0]]).view(1, 1, 2, 2)
    return torch.zeros_like(target), target, mask


def test_reconstruction_terms_known_values():
    pred, target, mask = two_by_two()
    total, terms = reconstruction_loss(pred, target, mask, {"l1_hole": 2.0, "l1_valid": 1.0, "mse_hole": 1.0, "mse": 0.5})
    assert set(terms) == {"l1_hole", "l1_valid", "mse_hole", "mse"}
    l1_hole = (0.3 + 0.6 + 0.9) / 3  # 0.6
    l1_valid = (0.1 + 0.2 + 0.4 + 0.5 + 0.7 + 0.8 + 1.0 + 0.0 + 0.6) / 9  # 0.4777...
    mse_hole = (0.09 + 0.36 + 0.81) / 3  # 0.42
    mse = float((target**2).mean())
    for k, v in {"l1_hole": l1_hole, "l1_valid": l1_valid, "mse_hole": mse_hole, "mse": mse}.items():
        assert float(terms[k]) == pytest.approx(v, rel=1e-6), k
    assert float(total) == pytest.approx(2 * l1_hole + l1_valid + mse_hole + 0.5 * mse, rel=1e-6)


def test_hole_l1_is_weighted_by_the_hole_only():
    pred, target, mask = two_by_two()
    pred = pred.clone()
    pred[..., 0, 1] = 5.0  # a large error on a known pixel does not move the hole term
    _, terms = reconstruction_loss(pred, target, mask, {"l1_hole": 1.0})
    assert set(terms) == {"l1_hole"}  # terms with no weight are not computed
    assert float(terms["l1_hole"]) == pytest.approx(0.6, rel=1e-6)


def test_hole_l1_averages_over_the_batch_holes():
    """Two images, holes of 1 and 3 pixels: the mean is over the 4 hole pixels, not a mean of means."""
    pred = torch.zeros(2, 3, 2, 2)
    target = torch.ones(2, 3, 2, 2)
    target[1] = 3.0
    mask = torch.zeros(2, 1, 2, 2)
    mask[0, 0, 0, 0] = 1
    mask[1, 0, :, :] = 1
    mask[1, 0, 1, 1] = 0
    _, terms = reconstruction_loss(pred, target, mask, {"l1_hole": 1.0})
    assert float(terms["l1_hole"]) == pytest.approx((1 * 1 + 3 * 3) / 4)


def test_per_image_hole_l1_weighs_every_image_with_a_hole_alike():
    """Holes of 1 pixel (error 1) and 3 pixels (error 3), and an image with no hole: (1 + 3) / 2, not 10 / 4."""
    pred = torch.zeros(3, 3, 2, 2)
    target = torch.ones(3, 3, 2, 2)
    target[1] = 3.0
    target[2] = 7.0  # no hole in image 2: it does not count
    mask = torch.zeros(3, 1, 2, 2)
    mask[0, 0, 0, 0] = 1
    mask[1, 0, :, :] = 1
    mask[1, 0, 1, 1] = 0
    _, terms = reconstruction_loss(pred, target, mask, {"l1_hole_img": 1.0, "l1_hole": 1.0})
    assert float(terms["l1_hole_img"]) == pytest.approx(2.0)
    assert float(terms["l1_hole"]) == pytest.approx(2.5)
    _, terms = reconstruction_loss(pred, target, torch.zeros_like(mask), {"l1_hole_img": 1.0})
    assert float(terms["l1_hole_img"]) == 0.0


def test_log_hole_mse_per_image_is_the_mean_of_per_image_logs():
    """Image 0: one hole pixel with error 1 (mse 1); image 1: error 0.1 everywhere (mse 0.01); image 2: no hole."""
    pred = torch.zeros(3, 3, 2, 2)
    target = torch.full((3, 3, 2, 2), 0.1)
    target[0] = 1.0
    mask = torch.zeros(3, 1, 2, 2)
    mask[0, 0, 0, 0] = 1
    mask[1] = 1
    _, terms = reconstruction_loss(pred, target, mask, {"logmse_hole_img": 1.0})
    want = (math.log(1 + 1e-5) + math.log(0.01 + 1e-5)) / 2
    assert float(terms["logmse_hole_img"]) == pytest.approx(want, rel=1e-5)
    _, terms = reconstruction_loss(pred, target, torch.zeros_like(mask), {"logmse_hole_img": 1.0})
    assert float(terms["logmse_hole_img"]) == 0.0


def test_empty_hole_gives_zero_not_nan():
    pred, target, _ = two_by_two()
    total, terms = reconstruction_loss(pred, target, torch.zeros(1, 1, 2, 2), {"l1_hole": 1.0, "mse_hole": 1.0})
    assert float(terms["l1_hole"]) == 0.0 and float(terms["mse_hole"]) == 0.0 and float(total) == 0.0


def test_reconstruction_gradient_flows_only_through_holes():
    pred, target, mask = two_by_two()
    pred.requires_grad_(True)
    total, _ = reconstruction_loss(pred, target, mask, {"l1_hole": 1.0})
    total.backward()
    assert (pred.grad[..., 0, 0] != 0).all()
    assert (pred.grad * (1 - mask) == 0).all()


def test_unknown_term_names_raise():
    pred, target, mask = two_by_two()
    with pytest.raises(ValueError, match=r"unknown loss terms \['l2'\]") as e:
        reconstruction_loss(pred, target, mask, {"l1_hole": 1.0, "l2": 1.0})
    assert "\n" not in str(e.value)
    for name in RECON_TERMS + GAN_TERMS:
        assert name in str(e.value)


def test_gan_weights_are_accepted_by_the_reconstruction_loss():
    pred, target, mask = two_by_two()
    total, terms = reconstruction_loss(pred, target, mask, {"l1_hole": 1.0, "adv": 0.01, "fm": 1.0})
    assert set(terms) == {"l1_hole"}  # adv/fm are the trainer's job
    assert float(total) == pytest.approx(0.6, rel=1e-6)


def test_hinge_known_values():
    real = torch.tensor([2.0, 0.0])
    fake = torch.tensor([-2.0, 0.5])
    # relu(1 - real) = [0, 1] -> 0.5; relu(1 + fake) = [0, 1.5] -> 0.75
    assert float(d_loss(real, fake, "hinge")) == pytest.approx(1.25)
    assert float(g_adv_loss(fake, "hinge")) == pytest.approx(0.75)  # -mean(fake)


def test_nsgan_known_values():
    real = torch.zeros(3)
    fake = torch.tensor([0.0, 0.0, 0.0])
    assert float(d_loss(real, fake, "nsgan")) == pytest.approx(2 * math.log(2))
    assert float(g_adv_loss(fake, "nsgan")) == pytest.approx(math.log(2))
    big = torch.tensor([30.0])  # a confident D: real at +30 costs ~0, a fake at +30 costs ~30
    assert float(d_loss(big, big, "nsgan")) == pytest.approx(30.0, rel=1e-6)
    assert float(g_adv_loss(-big, "nsgan")) == pytest.approx(30.0, rel=1e-6)  # stable, no overflow


def test_unknown_gan_loss_raises():
    with pytest.raises(ValueError, match="valid: hinge, nsgan"):
        d_loss(torch.zeros(1), torch.zeros(1), "wgan")
    with pytest.raises(ValueError, match="valid: hinge, nsgan"):
        g_adv_loss(torch.zeros(1), "lsgan")


def test_feature_matching_known_values():
    real = [torch.ones(1, 2, 2, 2), torch.zeros(1, 4, 1, 1)]
    fake = [torch.zeros(1, 2, 2, 2), torch.full((1, 4, 1, 1), 3.0)]
    assert float(feature_matching_loss(real, fake)) == pytest.approx((1.0 + 3.0) / 2)
    assert float(feature_matching_loss(real, real)) == 0.0


def test_feature_matching_does_not_push_the_real_features():
    real = [torch.ones(1, 2, 2, 2, requires_grad=True)]
    fake = [torch.zeros(1, 2, 2, 2, requires_grad=True)]
    feature_matching_loss(real, fake).backward()
    assert real[0].grad is None and fake[0].grad is not None


def test_losses_doctest():
    assert doctest.testmod(importlib.import_module("inpaintkit.losses")).failed == 0


# --- discriminator -------------------------------------------------------------------------------


@pytest.mark.parametrize("hw", [(64, 64), (32, 48)])
def test_sn_patchgan_shapes_and_features(hw):
    torch.manual_seed(0)
    d = create_discriminator("sn-patchgan", width=8)
    assert isinstance(d, SNPatchGAN)
    h, w = hw
    logits, feats = d(torch.rand(2, 3, h, w), torch.zeros(2, 1, h, w))
    sizes = [(math.ceil(h / 2**i), math.ceil(w / 2**i)) for i in range(1, 6)]  # 5x5 stride-2 convs, padding 2
    assert logits.shape == (2, 1, *sizes[-1])  # [2,1,2,2] at 64x64, [2,1,1,2] at 32x48
    assert [f.shape[1] for f in feats] == [8, 16, 32, 32, 32]  # width * 2^i, capped at 4 * width
    assert [tuple(f.shape[-2:]) for f in feats] == sizes
    assert torch.isfinite(logits).all()


def test_sn_patchgan_default_widths_and_gradients():
    d = create_discriminator()
    assert [layer.out_channels for layer in d.layers] == [64, 128, 256, 256, 256]
    assert d.layers[0].in_channels == 4  # image + mask
    logits, feats = d(torch.rand(1, 3, 32, 32), torch.ones(1, 1, 32, 32))
    assert len(feats) == 5
    (logits.mean() + sum(f.mean() for f in feats)).backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in d.parameters() if p.requires_grad)


def test_sn_patchgan_sees_the_mask():
    torch.manual_seed(0)
    d = create_discriminator(width=8).eval()
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        a, _ = d(x, torch.zeros(1, 1, 32, 32))
        b, _ = d(x, torch.ones(1, 1, 32, 32))
    assert not torch.equal(a, b)


def test_unknown_discriminator_lists_valid_names():
    with pytest.raises(ValueError, match="valid names: sn-patchgan"):
        create_discriminator("patchgan-xl")


def test_low_pass_l1_ignores_hole_detail_but_not_the_hole_mean():
    target = torch.zeros(1, 3, 8, 8)
    mask = torch.zeros(1, 1, 8, 8)
    mask[..., :4, :4] = 1  # one 4x4 cell
    checker = torch.zeros(1, 3, 8, 8)
    checker[..., :4, :4] = torch.tensor([[0.5, -0.5] * 2, [-0.5, 0.5] * 2] * 2)  # zero-mean detail in the cell
    w = {"l1_low_img": 1.0}
    assert float(reconstruction_loss(checker, target, mask, w)[0]) == pytest.approx(0.0, abs=1e-7)
    assert float(reconstruction_loss(checker, target, mask, {"l1_hole_img": 1.0})[0]) == pytest.approx(0.5)
    shifted = torch.zeros(1, 3, 8, 8)
    shifted[..., :4, :4] = 0.25  # a wrong mean in the hole: 0.25 per cell
    assert float(reconstruction_loss(shifted, target, mask, w)[0]) == pytest.approx(0.25)
    outside = torch.ones(1, 3, 8, 8) * (1 - mask)  # errors in the known pixels do not count
    assert float(reconstruction_loss(outside, target, mask, w)[0]) == pytest.approx(0.0, abs=1e-7)


def test_hole_aware_gan_losses_judge_only_the_fill():
    from inpaintkit.losses import hole_weight

    mask = torch.zeros(1, 1, 8, 8)
    mask[..., :4, :4] = 1  # the hole fills the top-left patch of a 2x2 logit grid
    real = torch.ones(1, 1, 2, 2)
    fake = torch.tensor([[[[-3.0, 2.0], [2.0, 2.0]]]])
    w = hole_weight(mask, fake)
    assert w.flatten().tolist() == [1.0, 0.0, 0.0, 0.0]
    # real patches all >= 1: no real loss; the hole patch at -3 is fake enough (0); known patches at 2 count real (0)
    assert float(d_loss(real, fake, "hinge", fake_weight=w)) == 0.0
    assert float(d_loss(real, fake, "hinge")) == pytest.approx(2.25)  # unweighted: known patches asked to be fake
    assert float(g_adv_loss(fake, "hinge", weight=w)) == pytest.approx(3.0)  # only the hole patch: -(-3)
    assert float(g_adv_loss(fake, "nsgan", weight=w)) == pytest.approx(math.log1p(math.exp(3.0)))


def test_sobel_magnitude_matches_the_sharpness_metric():
    import numpy as np

    from inpaintkit.losses import sobel_magnitude
    from inpaintkit.metrics.sharpness import gradient_magnitude

    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (12, 10, 3), dtype=np.uint8)
    want = gradient_magnitude(img) / 255.0
    got = sobel_magnitude(torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255.0)[0, 0].numpy()
    assert np.allclose(got, want, atol=2e-4)  # the 1e-8 under the root keeps its gradient finite at 0


def test_energy_term_ties_where_detail_goes_not_its_phase():
    w = {"energy_img": 1.0}
    mask = torch.zeros(1, 1, 16, 16)
    mask[..., :, :8] = 1  # the hole: two 8x8 cells (top-left, bottom-left)
    stripes = torch.zeros(1, 3, 16, 16)
    stripes[..., :8, torch.arange(16) % 4 < 2] = 1.0  # 2-px stripes in the top-left cell: |Sobel x| = 4 there
    assert float(reconstruction_loss(stripes, stripes, mask, w)[0]) == 0.0
    shifted = torch.roll(stripes, 1, dims=3)  # the same stripes a pixel over: other phase, same detail
    assert float(reconstruction_loss(shifted, stripes, mask, w)[0]) < 0.05
    assert float(reconstruction_loss(shifted, stripes, mask, {"l1_hole_img": 1.0})[0]) == pytest.approx(0.25)
    flat = torch.full_like(stripes, 0.25)  # a blur: no detail where the truth has it
    blur = float(reconstruction_loss(flat, stripes, mask, w)[0])
    moved = torch.roll(stripes, 8, dims=2)  # the detail in the wrong cell (the smooth one)
    assert blur > 1.0 and float(reconstruction_loss(moved, stripes, mask, w)[0]) > blur
    outside = stripes.clone()
    outside[..., 8:] = torch.rand(1, 3, 16, 8)  # detail in the known half does not count
    inside_only = torch.zeros(1, 1, 16, 16)
    inside_only[..., :8, :4] = 1
    assert float(reconstruction_loss(outside, stripes, inside_only, w)[0]) == pytest.approx(0.0, abs=1e-6)


def test_energy_term_keeps_grey_texture_grey():
    w = {"energy_img": 1.0}
    mask = torch.ones(1, 1, 16, 16)
    on = torch.arange(16) % 4 < 2
    grey = torch.full((1, 3, 16, 16), 0.2)
    grey[..., on] = 0.5  # grey stripes
    tinted = grey.clone()
    tinted[:, 0, :, on] += 0.2  # redder stripes...
    tinted[:, 1, :, on] -= 0.2 * 0.299 / 0.587  # ...less green: the same luma detail, coloured
    from inpaintkit.losses import sobel_magnitude
    assert torch.allclose(sobel_magnitude(tinted), sobel_magnitude(grey), atol=1e-4)
    assert float(reconstruction_loss(tinted, grey, mask, w)[0]) > 0.5
