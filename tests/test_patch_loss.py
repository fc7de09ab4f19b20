import pytest
import torch
import torch.nn.functional as F

from inpaintkit.losses import reconstruction_loss
from inpaintkit.patch_loss import patch_swd_img


def _stripes(shift: int = 0, n: int = 64) -> torch.Tensor:
    x = torch.arange(n, dtype=torch.float32)
    row = 0.5 + 0.4 * torch.sin((x + shift) * 2 * torch.pi / 8)  # period 8
    return row.expand(1, 3, n, n).clone()


def _hole(n: int = 64) -> torch.Tensor:
    m = torch.zeros(1, 1, n, n)
    m[..., n // 4:3 * n // 4, n // 4:3 * n // 4] = 1
    return m


def test_identical_images_give_zero():
    t, m = torch.rand(2, 3, 32, 32), torch.zeros(2, 1, 32, 32)
    m[..., 4:20, 6:30] = 1
    assert float(patch_swd_img(t, t, m)) == 0.0


def test_texture_in_the_wrong_place_costs_little_and_a_blur_costs_a_lot():
    torch.manual_seed(0)
    truth, m = _stripes(n=128), _hole(n=128)
    shifted = truth * (1 - m) + _stripes(shift=4, n=128) * m  # the same stripes, out of phase: large L1, same patches
    flat = truth * (1 - m) + truth.mean() * m  # the mean colour: what a pixel loss pulls a wide hole to
    l1_shifted = float(((shifted - truth).abs() * m).sum() / m.sum() / 3)
    l1_flat = float(((flat - truth).abs() * m).sum() / m.sum() / 3)
    assert l1_shifted > 0.5 * l1_flat  # a pixel loss does not prefer the texture
    # what the shifted fill still pays is its seams (the patches across the hole's edge)
    assert float(patch_swd_img(shifted, truth, m)) < 0.3 * float(patch_swd_img(flat, truth, m))


def test_noise_costs_more_than_the_truth():
    torch.manual_seed(0)
    truth, m = _stripes(), _hole()
    noisy = (truth + 0.3 * torch.randn_like(truth) * m).clamp(0, 1)
    assert float(patch_swd_img(noisy, truth, m)) > 0.05


def test_gradient_reaches_only_the_pixels_inside_and_around_the_hole():
    torch.manual_seed(0)
    truth, m = _stripes(), _hole()
    pred = F.avg_pool2d(truth, 5, 1, 2, count_include_pad=False).requires_grad_(True)
    patch_swd_img(pred, truth, m).backward()
    g = pred.grad.abs().sum(1)[0]  # [H,W]
    assert torch.isfinite(pred.grad).all() and g[16:48, 16:48].sum() > 0
    assert g[:8].sum() == 0 and g[:, :8].sum() == 0  # farther than the patch radius at the coarsest level


def test_no_hole_gives_zero_and_is_skipped_in_the_mean():
    t, p = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32)
    assert float(patch_swd_img(p, t, torch.zeros(2, 1, 32, 32))) == 0.0
    m = torch.zeros(2, 1, 32, 32)
    m[0, :, 8:24, 8:24] = 1
    torch.manual_seed(1)
    both = float(patch_swd_img(p, t, m))
    torch.manual_seed(1)
    first = float(patch_swd_img(p[:1], t[:1], m[:1]))
    assert both == pytest.approx(first, rel=1e-5)  # the image without a hole does not dilute the mean


def test_bad_shapes_and_arguments_raise():
    t, m = torch.rand(1, 3, 16, 16), torch.ones(1, 1, 16, 16)
    with pytest.raises(ValueError, match="expected pred"):
        patch_swd_img(t, t[..., :8], m)
    with pytest.raises(ValueError, match="expected pred"):
        patch_swd_img(t, t, m[:, :, :8])
    with pytest.raises(ValueError, match="odd"):
        patch_swd_img(t, t, m, patch=4)


def test_is_a_reconstruction_term():
    truth, m = _stripes(), _hole()
    flat = truth * (1 - m) + truth.mean() * m
    total, terms = reconstruction_loss(flat, truth, m, {"patch_swd_img": 2.0})
    assert float(total) == pytest.approx(2 * float(terms["patch_swd_img"])) and float(total) > 0
