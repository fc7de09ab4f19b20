"""The shipped ONNX graphs (``weights/NAME.onnx``, scripts/export_bundled.py) are the bundled weights (#14).

Without PyTorch the bundled names fill with these graphs, so they must never drift from the ``.safetensors``
weights: each graph records the sha256 of the weights file it came from (checked without torch), and with
torch the photo-level fills of both backends agree within 1/255 on real photos (scikit-image's).
"""
from __future__ import annotations

import numpy as np
import pytest

from inpaintkit.onnx_backend import DIGEST_KEY, OnnxInpainter, file_digest, shipped_graph
from inpaintkit.optional import available, torch_available

pytestmark = pytest.mark.light

SHIPPED = ("general", "general-gan", "faces", "faces-gan")
needs_torch = pytest.mark.skipif(not torch_available() or not available("skimage"),
                                 reason="needs PyTorch and scikit-image (the full install)")


def _weights(name):
    from inpaintkit.models.pretrained import weights_path

    return weights_path(name)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_graph_was_exported_from_todays_weights(name):
    graph = shipped_graph(name)
    assert graph is not None, f"weights/{name}.onnx is missing: python scripts/export_bundled.py {name}"
    meta = OnnxInpainter(graph).session.get_modelmeta().custom_metadata_map
    assert meta[DIGEST_KEY] == file_digest(_weights(name)), f"run python scripts/export_bundled.py {name}"
    assert graph.stat().st_size < 10e6  # fp16 weights: about half of an fp32 graph


def test_names_that_ship_a_graph():
    assert shipped_graph("general") is not None and shipped_graph("general-gan") is not None
    # the default (general-routed) is two of them routed by hole width, with no graph of its own
    assert shipped_graph(None) is None and shipped_graph("default") is None and shipped_graph("general-routed") is None
    assert shipped_graph("seed-unet-faces") is None and shipped_graph("telea") is None


def _photos():
    import cv2
    from skimage import data

    for img in (data.astronaut(), data.chelsea(), data.coffee()):
        h, w = img.shape[:2]
        s = 256 / max(h, w)  # keeps the test quick on a busy CPU; still real photos at a working-size scale
        yield cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)


def _hole(shape, seed):
    from inpaintkit.masks import MaskGenerator

    h, w = shape[:2]
    m = MaskGenerator(256, "mixed", seed=seed)(seed)[:h, :w] > 0
    m[h // 3 : h // 2, w // 3 : w // 2] = True  # and one wide box
    return m


@needs_torch
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_graph_fills_as_pytorch_within_one_level(name):
    from inpaintkit.inference import fill_array
    from inpaintkit.model_spec import load_filler

    torch_net, graph = load_filler(name, "torch"), OnnxInpainter(shipped_graph(name))
    worst = 0
    for i, img in enumerate(_photos()):
        hole = _hole(img.shape, i)
        a, b = fill_array(torch_net, img, hole), fill_array(graph, img, hole)
        assert np.array_equal(a[~hole], img[~hole]) and np.array_equal(b[~hole], img[~hole])
        worst = max(worst, int(np.abs(a.astype(int) - b.astype(int)).max()))
    assert worst <= 1, f"{name}: the shipped graph differs from PyTorch by {worst}/255"
