"""The matrix-product DFT against torch.fft, the spectral unit, fillnet-ffc (warm start, global reach, ONNX)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from inpaintkit.models import create_model
from inpaintkit.models.fourier import SpectralUnit, dft2


@pytest.mark.parametrize("hw", [(8, 8), (5, 7), (1, 6), (12, 3)])
def test_dft2_matches_torch_fft_and_inverts(hw):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, *hw, generator=g)
    re, im = dft2(x)
    ref = torch.fft.fft2(x, norm="ortho")
    assert torch.allclose(re, ref.real, atol=1e-5) and torch.allclose(im, ref.imag, atol=1e-5)
    back_re, back_im = dft2(re, im, inverse=True)
    assert torch.allclose(back_re, x, atol=1e-5) and back_im.abs().max() < 1e-5
    assert torch.allclose((re**2 + im**2).sum(), (x**2).sum(), rtol=1e-5)  # orthonormal: Parseval


def test_spectral_unit_starts_at_zero_and_reaches_everywhere():
    unit = SpectralUnit(4, 2)
    x = torch.randn(1, 4, 16, 16)
    assert unit(x).abs().max() == 0  # zero-initialised output: adding it changes nothing at first
    torch.nn.init.normal_(unit.out.weight, std=0.1)
    x.requires_grad_(True)
    unit(x)[0, :, 15, 15].sum().backward()
    assert x.grad[0, :, 0, 0].abs().sum() > 0  # the far corner reaches it: a global receptive field


def test_fillnet_ffc_warm_started_from_fillnet_is_fillnet():
    torch.manual_seed(0)
    plain = create_model("fillnet", widths=(8, 16, 32), n_blocks=3)
    torch.nn.init.normal_(plain.out.weight, std=0.01)
    ffc = create_model("fillnet-ffc", widths=(8, 16, 32), n_blocks=3, spectral=2)
    missing, unexpected = ffc.load_state_dict(plain.state_dict(), strict=False)
    assert not unexpected and missing and all(".spectral." in k for k in missing)
    x, m = torch.rand(1, 3, 32, 32), torch.zeros(1, 1, 32, 32)
    m[..., 8:24, 8:24] = 1
    assert torch.equal(ffc.eval().fill(x, m), plain.eval().fill(x, m))
    with pytest.raises(ValueError, match="spectral"):
        create_model("fillnet-ffc", n_blocks=2, spectral=3)


def test_fillnet_ffc_exports_to_onnx_and_runs_at_other_sizes(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    from inpaintkit.export import export_onnx

    torch.manual_seed(0)
    net = create_model("fillnet-ffc", widths=(8, 16, 32), n_blocks=2, spectral=1).eval()
    for p in net.parameters():  # non-zero spectral and output weights, so the check is not trivial
        if not p.any():
            torch.nn.init.normal_(p, std=0.05)
    info = export_onnx(net, tmp_path / "f.onnx", sample_size=64)  # checked at 64x96 inside
    assert info["max_abs_diff"] < 1e-4
    sess = ort.InferenceSession(str(tmp_path / "f.onnx"), providers=["CPUExecutionProvider"])
    for h, w in [(40, 56), (128, 80)]:
        m = (torch.rand(1, 1, h, w) > 0.6).float()
        x = torch.rand(1, 3, h, w) * (1 - m)
        names = [i.name for i in sess.get_inputs()]
        got = sess.run(None, {names[0]: x.numpy(), names[1]: m.numpy()})[0]
        with torch.no_grad():
            want = net(x, m).numpy()
        assert got.shape == (1, 3, h, w) and np.abs(got - want).max() < 1e-4
