"""Weights and training state as safetensors: round trips, atomic writes, and one-line errors for bad files."""
from __future__ import annotations

import json
import os
import pickle

import pytest
import torch
from safetensors.torch import save_file

from inpaintkit import checkpoint as ckpt
from inpaintkit.checkpoint import CheckpointError, load_model, load_state, read_model_info, save_model, save_state
from inpaintkit.models import create_model

SMALL = {"widths": (8, 8, 16), "n_blocks": 2}




def trained_net(seed: int = 0, **kw):
    """A small fillnet whose weights are all non-trivial (its zero-initialised output layer randomised)."""
    torch.manual_seed(seed)
    net = create_model("fillnet", **{**SMALL, **kw})
    with torch.no_grad():
        net.out.weight.normal_(0, 0.05)
        net.out.bias.normal_(0, 0.05)
    return net


def batch(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    image = torch.rand(2, 3, 16, 16, generator=g)
    mask = (torch.rand(2, 1, 16, 16, generator=g) > 0.7).float()
    return image, mask


def one_line_error(excinfo) -> str:
    msg = str(excinfo.value)
    assert msg and "\n" not in msg, f"not one line: {msg!r}"
    return msg


# --- model files ---------------------------------------------------------------------------------


def test_save_load_model_round_trip(tmp_path):
    net = trained_net()
    path = tmp_path / "m.safetensors"
    save_model(net, path, "fillnet", {"step": 7})
    info = json.loads((tmp_path / "m.json").read_text())
    assert info == {"model": "fillnet", "config": net.config, "step": 7}
    assert read_model_info(path) == info
    loaded = load_model(path)
    assert not loaded.training
    assert loaded.config == net.config
    for k, v in net.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v), k
    image, mask = batch()
    assert torch.equal(loaded.fill(image, mask), net.eval().fill(image, mask))


def test_save_model_of_a_channels_last_network(tmp_path):
    net = trained_net().to(memory_format=torch.channels_last)
    save_model(net, tmp_path / "m.safetensors", "fillnet")
    loaded = load_model(tmp_path / "m.safetensors")
    for k, v in net.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v) and loaded.state_dict()[k].is_contiguous(), k
    image, mask = batch()  # channels-last convolutions sum in another order: equal up to rounding
    torch.testing.assert_close(loaded.fill(image, mask), net.eval().fill(image, mask), rtol=0, atol=1e-5)


def test_atomic_write_leaves_no_temp_files(tmp_path):
    save_model(trained_net(), tmp_path / "m.safetensors", "fillnet")
    save_model(trained_net(1), tmp_path / "m.safetensors", "fillnet")  # overwrite
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.safetensors"]


def test_failed_write_keeps_the_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    save_model(trained_net(), path, "fillnet")
    before = path.read_bytes()

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(ckpt.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        save_model(trained_net(1), path, "fillnet")
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.safetensors"]


def test_not_a_safetensors_file(tmp_path):
    path = tmp_path / "notes.safetensors"
    path.write_text("hello, these are not weights\n" * 10)
    with pytest.raises(CheckpointError) as e:
        load_model(path)
    assert "not a readable safetensors file" in one_line_error(e)


def test_pickle_renamed_safetensors_is_refused_without_unpickling(tmp_path):
    path = tmp_path / "weights.safetensors"
    path.write_bytes(pickle.dumps({"conv.weight": [1.0, 2.0]}))
    with pytest.raises(CheckpointError) as e:
        load_model(path)
    assert str(path) in one_line_error(e)
    torch.save({"w": torch.zeros(3)}, path)  # a real torch pickle (zip) under the same name
    with pytest.raises(CheckpointError) as e:
        load_model(path)
    one_line_error(e)


def test_empty_and_missing_files(tmp_path):
    (tmp_path / "empty.safetensors").write_bytes(b"")
    with pytest.raises(CheckpointError) as e:
        load_model(tmp_path / "empty.safetensors")
    one_line_error(e)
    with pytest.raises(CheckpointError, match="not found") as e:
        load_model(tmp_path / "nope.safetensors")
    one_line_error(e)


def test_foreign_safetensors_file(tmp_path):
    path = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(2)}, path)  # valid safetensors, but not ours
    with pytest.raises(CheckpointError) as e:
        load_model(path)
    assert "not an inpaintkit file" in one_line_error(e)


def test_weights_of_another_shape(tmp_path):
    path = tmp_path / "m.safetensors"
    small = trained_net()
    small.config = {}  # pretend it is a default fillnet: the tensors no longer fit
    save_model(small, path, "fillnet")
    with pytest.raises(CheckpointError) as e:
        load_model(path)
    assert "shape mismatch" in one_line_error(e)
    other = create_model("seed-unet", width=8)
    with pytest.raises(CheckpointError) as e:
        ckpt.load_weights(other, trained_net().state_dict(), "x.safetensors")
    msg = one_line_error(e)
    assert "missing" in msg and "unexpected" in msg


def test_unknown_model_name_in_file(tmp_path):
    path = tmp_path / "m.safetensors"
    save_model(trained_net(), path, "no-such-model")
    with pytest.raises(CheckpointError) as e:
        load_model(path)
    assert "no-such-model" in one_line_error(e)


# --- training state ------------------------------------------------------------------------------


def adam_step(net, opt, seed: int) -> None:
    image, mask = batch(seed)
    loss = ((net(image * (1 - mask), mask) - image).abs() * mask).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()


def adam_after_steps(net, n: int = 2):
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.9, 0.99))
    for i in range(n):
        adam_step(net, opt, i)
    return opt


def test_save_load_state_round_trip(tmp_path):
    net, ema = trained_net(0), trained_net(1)
    opt = adam_after_steps(net)
    torch.manual_seed(123)
    torch.rand(5)
    path = tmp_path / "checkpoint-last.safetensors"
    save_state(path, config={"model": "fillnet", "model_kwargs": net.config}, step=2,
               modules={"g": net, "ema": ema}, optimizers={"opt_g": opt}, extra={"best_psnr": 21.5})
    expected_rand = torch.rand(4)  # the RNG stream right after the save

    net2, ema2 = trained_net(5), trained_net(6)
    opt2 = torch.optim.Adam(net2.parameters(), lr=0.5)  # different hyper-parameters: restored from the file
    torch.manual_seed(999)
    step, config, extra = load_state(path, modules={"g": net2, "ema": ema2}, optimizers={"opt_g": opt2})
    assert step == 2 and extra == {"best_psnr": 21.5} and config["model"] == "fillnet"
    assert torch.equal(torch.rand(4), expected_rand)  # RNG restored
    for a, b in ((net, net2), (ema, ema2)):
        for k, v in a.state_dict().items():
            assert torch.equal(b.state_dict()[k], v), k
    s1, s2 = opt.state_dict(), opt2.state_dict()
    assert s2["param_groups"] == json.loads(json.dumps(s1["param_groups"]))  # betas come back as a list
    assert s1["state"].keys() == s2["state"].keys() and len(s1["state"]) == len(list(net.parameters()))
    for idx in s1["state"]:
        for key in ("step", "exp_avg", "exp_avg_sq"):
            assert torch.equal(s1["state"][idx][key], s2["state"][idx][key]), (idx, key)
    # and the two continue identically
    adam_step(net, opt, 10)
    adam_step(net2, opt2, 10)
    for k, v in net.state_dict().items():
        assert torch.equal(net2.state_dict()[k], v), k


def test_training_state_loads_as_a_model_via_its_ema(tmp_path):
    net, ema = trained_net(0), trained_net(1)
    path = tmp_path / "c.safetensors"
    save_state(path, config={"model": "fillnet", "model_kwargs": net.config}, step=1,
               modules={"g": net, "ema": ema}, optimizers={})
    loaded = load_model(path)
    for k, v in ema.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v), k


def test_load_state_refuses_a_model_file_and_wrong_shapes(tmp_path):
    net = trained_net()
    save_model(net, tmp_path / "m.safetensors", "fillnet")
    with pytest.raises(CheckpointError, match="not a training checkpoint") as e:
        load_state(tmp_path / "m.safetensors", modules={"g": net}, optimizers={})
    one_line_error(e)
    save_state(tmp_path / "c.safetensors", config={}, step=0, modules={"g": net}, optimizers={})
    other = create_model("fillnet", widths=(8, 16, 16), n_blocks=2)
    with pytest.raises(CheckpointError) as e:
        load_state(tmp_path / "c.safetensors", modules={"g": other}, optimizers={})
    assert "shape mismatch" in one_line_error(e)
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_a_warm_start_may_add_layers_but_every_given_tensor_must_fit():
    plain = create_model("fillnet", widths=(8, 16, 32), n_blocks=2)
    grown = create_model("fillnet", widths=(8, 16, 32), n_blocks=2, refine=4)
    with pytest.raises(CheckpointError, match="missing"):
        ckpt.load_weights(grown, plain.state_dict(), "plain.safetensors")
    new = ckpt.load_weights(grown, plain.state_dict(), "plain.safetensors", new_ok=True)
    assert new and all(k.startswith("refine.") for k in new)
    extra = dict(plain.state_dict(), stray=torch.zeros(1))
    with pytest.raises(CheckpointError, match="unexpected"):
        ckpt.load_weights(grown, extra, "plain.safetensors", new_ok=True)
