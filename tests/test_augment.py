"""augment.py: re-framing keeps size and type, is reproducible, moves content, and the dataset uses it on demand."""
from __future__ import annotations

import numpy as np
import torch

from inpaintkit.augment import jitter_colour, reframe
from inpaintkit.data import InpaintDataset
from inpaintkit.masks import MaskGenerator


def _picture(h=48, w=40):
    rng = np.random.default_rng(0)
    img = np.zeros((h, w, 3), np.uint8)
    img[10:20, 8:30] = (200, 40, 40)  # a red bar on a noisy grey ground
    img += rng.integers(0, 40, img.shape, dtype=np.uint8)
    return img


def test_reframe_is_reproducible_and_changes_the_framing():
    img = _picture()
    a, b = reframe(img, np.random.default_rng(3)), reframe(img, np.random.default_rng(3))
    assert a.shape == img.shape and a.dtype == np.uint8 and np.array_equal(a, b)
    outs = [reframe(img, np.random.default_rng(s)) for s in range(8)]
    assert len({o.tobytes() for o in outs}) == 8
    assert np.mean([np.abs(o.astype(int) - img).mean() for o in outs]) > 5


def test_reframe_never_leaves_black_borders():
    img = np.full((32, 32, 3), 128, np.uint8)
    for s in range(20):
        out = reframe(img, np.random.default_rng(s))
        assert out.min() > 60  # reflected borders, only the colour jitter changes a flat grey


def test_colour_jitter_keeps_greys_nearly_grey():
    grey = np.full((8, 8, 3), 100, np.uint8)
    out = jitter_colour(grey, np.random.default_rng(1)).astype(int)
    assert np.ptp(out, axis=2).max() <= 0.06 * out.mean() + 1  # only the +-5 % white balance separates channels


def test_dataset_reframes_only_when_asked_and_reproducibly():
    imgs = np.stack([_picture(32, 32)] * 4)
    plain = InpaintDataset(imgs, MaskGenerator(32, "mixed", seed=1), seed=2)
    moved = InpaintDataset(imgs, MaskGenerator(32, "mixed", seed=1), seed=2, reframe=True)
    again = InpaintDataset(imgs, MaskGenerator(32, "mixed", seed=1), seed=2, reframe=True)
    (x0, m0), (x1, m1), (x2, _) = plain[1], moved[1], again[1]
    assert torch.equal(m0, m1)  # the same mask either way: only the image is re-framed
    assert not torch.equal(x0, x1) and torch.equal(x1, x2)


def test_reframe_p_reframes_that_share_of_samples():
    imgs = np.stack([_picture(32, 32)] * 40)
    gen = MaskGenerator(32, "mixed", seed=1)
    plain = InpaintDataset(imgs, gen, seed=2)
    half = InpaintDataset(imgs, gen, seed=2, reframe=True, reframe_p=0.5)
    moved = sum(not torch.equal(plain[i][0], half[i][0]) for i in range(40))
    assert 10 <= moved <= 30  # about half
    none = InpaintDataset(imgs, gen, seed=2, reframe=True, reframe_p=0.0)
    assert all(torch.equal(plain[i][0], none[i][0]) for i in range(5))
