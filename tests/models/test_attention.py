"""Contextual attention: known cells unchanged, hole cells copy from known cells only, warm start, ONNX at two sizes."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from inpaintkit.models import create_model
from inpaintkit.models.attention import ContextualAttention, patches3x3


def test_patches3x3_is_unfold():
    x = torch.randn(2, 3, 5, 7)
    want = F.unfold(x, 3, padding=1).reshape(2, 3, 9, 5, 7).transpose(1, 2).reshape(2, 27, 5, 7)
    assert torch.equal(patches3x3(x), want)


def _opened(ch: int) -> ContextualAttention:
    att = ContextualAttention(ch, key_ch=4)
    torch.nn.init.eye_(att.out.weight[:, :, 0, 0])  # output = the copied features themselves
    torch.nn.init.eye_(att.value.weight[:, :, 0, 0])
    torch.nn.init.zeros_(att.value.bias)
    return att


def test_known_cells_are_unchanged_and_hole_cells_copy_only_known_features():
    torch.manual_seed(0)
    att = _opened(6)
    x = torch.randn(1, 6, 4, 4)
    m = torch.zeros(1, 1, 32, 32)
    m[..., 8:16, 8:16] = 1  # exactly cell (1, 1)
    x_hole = x.clone()
    x_hole[..., 1, 1] = 100.0  # whatever the hole cell holds must not be copied back
    y = att(x_hole, m)
    keep = torch.ones(4, 4, dtype=torch.bool)
    keep[1, 1] = False
    assert torch.equal(y[..., keep], x_hole[..., keep])
    copied = y[0, :, 1, 1] - 100.0  # out = x + 1.0 * (softmax mix of the 15 known cells)
    known = x[0][:, keep]  # [6,15]
    assert (copied >= known.min(1).values - 1e-5).all() and (copied <= known.max(1).values + 1e-5).all()


def test_a_sharp_softmax_copies_the_best_matching_cell():
    att = _opened(2)
    with torch.no_grad():
        att.log_scale.fill_(6.0)  # scale ~ 400: the best-matching key takes nearly all the weight
        att.key.weight.zero_()
        att.key.weight[0, 0, 0, 0] = 1.0  # compare cells by channel 0 only
        att.key.bias.fill_(0.1)
    x = torch.zeros(1, 2, 1, 3)
    x[0, 0] = torch.tensor([1.0, 0.0, 1.0])  # cells 0 and 2 alike
    x[0, 1] = torch.tensor([5.0, 0.0, -5.0])
    m = torch.zeros(1, 1, 8, 24)
    m[..., 16:24] = 1  # cell 2 is the hole: its surroundings look like cell 0's
    with torch.no_grad():
        y = att(x, m)
    assert abs(float(y[0, 1, 0, 2]) - (-5.0 + 5.0)) < 1e-2  # -5 + the value of cell 0 (5)


def test_fillnet_with_attention_warm_starts_from_fillnet_and_has_gradients():
    torch.manual_seed(0)
    plain = create_model("fillnet", widths=(8, 16, 32), n_blocks=2)
    torch.nn.init.normal_(plain.out.weight, std=0.01)
    att = create_model("fillnet", widths=(8, 16, 32), n_blocks=2, attention=True)
    missing, unexpected = att.load_state_dict(plain.state_dict(), strict=False)
    assert not unexpected and missing and all(k.startswith("attention.") for k in missing)
    assert att.config["attention"] is True
    x, m = torch.rand(2, 3, 64, 48), torch.zeros(2, 1, 64, 48)
    m[..., 16:48, 8:40] = 1
    assert torch.equal(att.eval().fill(x, m), plain.eval().fill(x, m))
    att.train()
    att(x * (1 - m), m).square().mean().backward()
    assert att.attention.out.weight.grad.abs().sum() > 0  # the zero-initialised layer learns


def test_fillnet_with_attention_exports_to_onnx_and_runs_at_other_sizes(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    from inpaintkit.export import export_onnx

    torch.manual_seed(0)
    net = create_model("fillnet", widths=(8, 16, 32), n_blocks=2, attention=True).eval()
    for p in net.parameters():  # non-zero attention and output weights, so the check is not trivial
        if p.ndim > 1 and not p.any():
            torch.nn.init.normal_(p, std=0.05)
    info = export_onnx(net, tmp_path / "a.onnx", sample_size=64)
    assert info["max_abs_diff"] < 1e-4
    sess = ort.InferenceSession(str(tmp_path / "a.onnx"), providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    for h, w in [(40, 56), (128, 80)]:
        m = torch.zeros(1, 1, h, w)
        m[..., h // 4:h // 2, w // 3:w // 2 + 8] = 1
        x = torch.rand(1, 3, h, w) * (1 - m)
        got = sess.run(None, {names[0]: x.numpy(), names[1]: m.numpy()})[0]
        with torch.no_grad():
            want = net(x, m).numpy()
        assert got.shape == (1, 3, h, w) and np.abs(got - want).max() < 1e-4
