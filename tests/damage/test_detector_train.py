"""The detector's training loop on a tiny data tree made here (CelebA layout + scenes)."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import torch

from inpaintkit.damage.detector import load_detector
from inpaintkit.damage.train import DetectorTrainConfig, train


def _tree(root):
    rng = np.random.default_rng(0)
    faces = root / "celeba" / "img_align_celeba"
    faces.mkdir(parents=True)
    lines = []
    for i in range(6):
        name = f"{i:06d}.jpg"
        cv2.imwrite(str(faces / name), rng.integers(0, 256, (40, 36, 3), dtype=np.uint8))
        lines.append(f"{name} {0 if i < 4 else 1}")
    (root / "celeba" / "list_eval_partition.txt").write_text("\n".join(lines) + "\n")
    for sub in ("scenes/imagenet_samples", "scenes/bsds500/train"):
        (root / sub).mkdir(parents=True)
    for i in range(52):
        cv2.imwrite(str(root / "scenes" / "imagenet_samples" / f"{i:03d}.png"), rng.integers(0, 256, (36, 44, 3), dtype=np.uint8))
    cv2.imwrite(str(root / "scenes" / "bsds500" / "train" / "1.jpg"), rng.integers(0, 256, (40, 48, 3), dtype=np.uint8))
    return root


def _cfg(data, **kw):
    base = dict(data=str(data), widths=[4, 4, 4, 4, 4], crop=32, batch=2, steps=4, warmup=1, val_crops=4,
                val_every=2, ckpt_every=2, log_every=2)
    return DetectorTrainConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return _tree(tmp_path_factory.mktemp("data"))


def test_runs_validates_and_resumes_exactly(data, tmp_path):
    whole = tmp_path / "whole"
    train(_cfg(data), whole)
    assert {"config.json", "log.jsonl", "checkpoint-last.safetensors", "model-last.safetensors"} <= {p.name for p in whole.iterdir()}
    vals = [r for r in map(json.loads, (whole / "log.jsonl").read_text().splitlines()) if "val" in r]
    assert [r["step"] for r in vals] == [2, 4] and 0.0 <= vals[-1]["val"]["f1"] <= 1.0
    split = tmp_path / "split"
    train(_cfg(data, steps=2), split)
    train(_cfg(data), split, resume=True, override={"steps": 4})
    a, _ = load_detector(whole / "model-last.safetensors")
    b, _ = load_detector(split / "model-last.safetensors")
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(va, vb), k


def test_init_from_starts_from_the_given_weights(data, tmp_path):
    train(_cfg(data, steps=2), tmp_path / "first")
    src = tmp_path / "first" / "model-last.safetensors"
    train(_cfg(data, steps=1, lr=1e-12, init_from=str(src)), tmp_path / "warm")
    a, _ = load_detector(src)
    b, _ = load_detector(tmp_path / "warm" / "model-last.safetensors")
    conv = [k for k in a.state_dict() if k.endswith("0.weight") and a.state_dict()[k].ndim == 4][0]
    assert torch.allclose(a.state_dict()[conv], b.state_dict()[conv], atol=1e-6)  # lr ~ 0: still the source's
    with pytest.raises(ValueError, match="widths"):
        train(DetectorTrainConfig(data=str(data), widths=[4, 4, 4, 4, 8], crop=32, batch=2, steps=1,
                                  val_crops=4, init_from=str(src)), tmp_path / "bad")
