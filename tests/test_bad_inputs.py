"""The bad-input matrix: every entry point against the bad (and the odd but valid) inputs users give it.

One table, :data:`CASES`: a case id, the kind of input (:data:`KINDS`, the issue's list), the entry point, the input
in words, and what the user sees. ``scripts/make_reliability_doc.py`` turns the same table into
``docs/reliability.md`` (it runs every case through :func:`run_case` and prints the line the user really gets).

The contract checked for every row (:func:`check_outcome`):

* CLI (``fill``, ``eval``, ``train``, ``export``, ``serve``): an error is exit code 2 and exactly ONE stderr line,
  ``error: ...``, with no traceback; an accepted input exits 0 (a warning is one ``warning: ...`` line); a folder
  batch in which some photos fail (``"partial"``) exits 1 with each failure listed in its summary;
* Python API (``inpaintkit.inpaint``): an error is the documented exception type with a one-line message;
* HTTP API (``POST /api/inpaint``): an error is a 4xx with JSON ``{"detail": "one line"}``, never a 5xx;
* a failure leaves nothing behind: every file and folder under the case folder (inputs and the output folder) is
  as it was — no partial output, no temporary file, no new folder — and the malicious pickle's marker file never
  appears.

Detailed messages of some of these inputs are also checked in the module's own tests (``test_cli_fill.py``,
``test_inference.py``, ``server/test_api.py``, ``test_train.py``, ``test_checkpoint.py``, ``test_evaluate.py``);
this file adds the uniform contract above across every entry point. Inputs are tiny (24x32) and the model is
OpenCV's Telea or a file that never loads, so the file runs in seconds.
"""
from __future__ import annotations

import io
import json
import os
import pickle
import shutil
import struct
import traceback
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import cv2
import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import save as st_save
from typer.testing import CliRunner

from inpaintkit.checkpoint import CheckpointError, save_model
from inpaintkit.cli import app
from inpaintkit.images import ImageReadError
from inpaintkit.images import read_picture
from inpaintkit.inference import EmptyMaskWarning, InpaintError, inpaint
from inpaintkit.models.registry import create_model

# --- the inputs ----------------------------------------------------------------------------------------------

H, W = 24, 32
MARKER = "PWNED"  # the file the malicious pickle would create, in the case folder
SMALL = {"widths": [8, 8, 16], "n_blocks": 1}


def photo() -> np.ndarray:
    """uint8 [24,32,3]: smooth gradients plus a little noise."""
    y, x = np.mgrid[0:H, 0:W]
    noise = np.random.default_rng(0).integers(0, 30, (H, W, 3))
    return np.clip(np.stack([x * 7, y * 9, (x + y) * 4], -1) + noise, 0, 255).astype(np.uint8)


def hole() -> np.ndarray:
    """bool [24,32]: a 8x12 box."""
    m = np.zeros((H, W), bool)
    m[6:14, 8:20] = True
    return m


def ramp() -> np.ndarray:
    """uint8 [24,32]: a left-to-right ramp 0..248 — a non-binary mask (hole = value > 127, the right half)."""
    return np.tile((np.arange(W) * 8).astype(np.uint8), (H, 1))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int) -> bytes:
    """A ~60-byte PNG whose IHDR claims width x height RGB pixels (valid CRCs, almost no data)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _chunk(b"IEND", b"")


def encode(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


class _Malicious:
    """Unpickling this object opens (creates) ``marker``: proof that code from the file ran."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def malicious_pickle(marker: Path) -> bytes:
    return pickle.dumps(_Malicious(str(marker.resolve())))


def _save_images(folder: Path, images: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in images.items():
        (folder / name).write_bytes(data)
    return folder


# --- round two (issue 13): other formats, odd names, modes, hostile weights and ONNX files ------------------


def onnx_graph(multiple: str = "8", out_shape=("B", 3, "H", "W")) -> bytes:
    """A tiny hand-made ONNX graph with the export's inputs: ``pred = masked`` (or, for another ``out_shape``, a
    mean that gives [B,1,1,1]) and metadata ``inpaintkit.multiple``."""
    from onnx import TensorProto, helper

    ins = [helper.make_tensor_value_info("masked", TensorProto.FLOAT, ["B", 3, "H", "W"]),
           helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["B", 1, "H", "W"])]
    node = (helper.make_node("Identity", ["masked"], ["pred"]) if out_shape[1] == 3 else
            helper.make_node("ReduceMean", ["masked"], ["pred"], axes=[1, 2, 3], keepdims=1))
    out = helper.make_tensor_value_info("pred", TensorProto.FLOAT, list(out_shape))
    model = helper.make_model(helper.make_graph([node], "g", ins, [out]), opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    entry = model.metadata_props.add()
    entry.key, entry.value = "inpaintkit.multiple", multiple
    return model.SerializeToString()


def weights_meta(info: dict, kind: str = "model", tensors: Optional[dict] = None) -> bytes:
    """A ~200-byte inpaintkit weights file whose metadata says anything (``info`` or, for a train-state, config)."""
    key = "info" if kind == "model" else "config"
    meta = {"format": "inpaintkit", "kind": kind, key: json.dumps(info), "step": "1"}
    return st_save(tensors or {"w": torch.zeros(2)}, metadata=meta)


def make_round_two(d: Path, files: dict) -> None:
    """The inputs of issue 13's cases, under ``d`` (the case folder's ``in/``)."""
    img = photo()
    pil = Image.fromarray(img)
    others = {"eps": "EPS", "ppm": "PPM", "tga": "TGA", "pcx": "PCX", "sgi": "SGI", "dds": "DDS", "ico": "ICO"}
    _save_images(d, {f"photo_{k}.png": encode(pil, fmt) for k, fmt in others.items()})  # named .png: content decides
    lab_mask = encode(Image.fromarray(hole().astype(np.uint8) * 255).convert("RGB").convert("LAB"), "TIFF")
    big_int = Image.fromarray((np.arange(H * W, dtype=np.int32).reshape(H, W) * 100), mode="I")
    _save_images(d, {"mask_lab.tif": lab_mask, "int32.tif": encode(big_int, "TIFF"),
                     "rgba.png": encode(Image.fromarray(np.dstack([img, np.full((H, W), 200, np.uint8)])), "PNG")})
    # file names that are not UTF-8 (as bytes a Linux file system allows), in single and folder form
    odd = os.fsdecode(b"\xff16.png")  # a str with a surrogate escape: Python's way to name those bytes
    _save_images(d, {odd: files["rgb16.png"]})
    _save_images(d / "u8", {"ok.png": files["a.png"], odd: files["rgb16.png"]})
    _save_images(d / "u8m", {"ok.png": files["mask.png"], odd: files["mask.png"]})
    # a batch whose masks come as LAB TIFFs and odd modes; one folder holding photos and their *_mask files
    _save_images(d / "modes", {"a.png": files["a.png"], "b.png": files["a.png"]})
    _save_images(d / "modesm", {"a.tif": lab_mask, "b.tif": encode(Image.open(io.BytesIO(files["mask.png"])).convert("CMYK"), "TIFF")})
    _save_images(d / "mixed", {"a.png": files["a.png"], "a_mask.png": files["mask.png"], "b.png": files["a.png"]})
    _save_images(d / "masked", {"a.png": files["a.png"], "a_mask.png": files["a.png"]})
    _save_images(d / "maskedm", {"a.png": files["mask.png"]})
    # hostile weights: configs out of bounds, NaN values, a flipped bit
    _save_images(d, {
        "n5000.safetensors": weights_meta({"model": "fillnet", "config": {"n_blocks": 5000}}),
        "negwidth.safetensors": weights_meta({"model": "fillnet", "config": {"widths": [-8, 8, 16]}}),
        "zerodil.safetensors": weights_meta({"model": "fillnet", "config": {**SMALL, "dilations": [0]}}),
        "state_neg.safetensors": weights_meta({"model": "fillnet", "model_kwargs": {"widths": [-1, 8, 16]}},
                                              "train-state", {"ema/w": torch.zeros(2), "rng/torch": torch.get_rng_state()}),
        "classical.safetensors": weights_meta({"model": "telea", "config": {}}),
        "multiple_abc.onnx": onnx_graph("abc"), "multiple_0.onnx": onnx_graph("0"),
        "out_1x1.onnx": onnx_graph(out_shape=("B", 1, 1, 1)),
    })
    net = create_model("fillnet", **SMALL)
    with torch.no_grad():
        next(net.parameters())[0, 0, 0, 0] = float("nan")
    save_model(net, d / "nan.safetensors", "fillnet")
    save_model(create_model("fillnet", **SMALL), d / "flipped.safetensors", "fillnet")
    data = bytearray((d / "flipped.safetensors").read_bytes())
    data[-5] ^= 0x04  # one bit of the last tensor: still a finite number, but not what was written
    (d / "flipped.safetensors").write_bytes(bytes(data))


def corrupt_exif_jpeg() -> bytes:
    """A valid JPEG whose EXIF block names a tag with more data than the file holds (Pillow warns, and reads it)."""
    jpg = encode(Image.fromarray(photo()), "JPEG", quality=90)
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1) + struct.pack("<HHII", 0x010E, 2, 1000, 5000) + bytes(4)
    app1 = b"Exif\x00\x00" + tiff
    return jpg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + jpg[2:]


def make_round_two_rest(d: Path, files: dict) -> None:
    """The inputs of issue 13's remaining cases (items 12 and 14), under ``d``."""
    wide_hole = np.zeros((2, 100_000), np.uint8)
    wide_hole[:, 50_000:50_010] = 255
    wide = np.tile(photo()[:2, :1], (1, 100_000, 1))
    _save_images(d, {"exif.jpg": corrupt_exif_jpeg(), "wide.png": encode(Image.fromarray(wide), "PNG"),
                     "wide_mask.png": encode(Image.fromarray(wide_hole), "PNG"), "bad\nname.png": b""})
    _save_images(d / "ev_exif", {"0.jpg": corrupt_exif_jpeg(), "1.png": files["a.png"]})
    _save_images(d / "nl", {"a.png": files["a.png"], "x\ny.png": b""})
    _save_images(d / "nlm", {"a.png": files["mask.png"], "x\ny.png": files["mask.png"]})
    _save_images(d / "links", {"a.png": files["a.png"]})
    os.symlink("gone/b.png", d / "links" / "b.png")  # a link whose target does not exist
    _save_images(d / "linksm", {"a.png": files["mask.png"], "b.png": files["mask.png"]})


def make_inputs(root: Path) -> Path:
    """Write every input of the table into ``root/in`` (a few KB in all); returns ``root``."""
    from test_train import make_celeba  # the trainer's tiny CelebA-layout maker (tests/ is on sys.path)

    d = root / "in"
    d.mkdir(parents=True)
    img, m = photo(), hole()
    pil = Image.fromarray(img)
    png = encode(pil, "PNG")
    jpg = encode(pil, "JPEG", quality=90)
    mask_png = encode(Image.fromarray(m.astype(np.uint8) * 255), "PNG")
    files = {
        "a.png": png,
        "mask.png": mask_png,
        "black.png": encode(Image.fromarray(np.zeros((H, W), np.uint8)), "PNG"),
        "white.png": encode(Image.fromarray(np.full((H, W), 255, np.uint8)), "PNG"),
        "grey127.png": encode(Image.fromarray(np.full((H, W), 127, np.uint8)), "PNG"),
        "clear.png": encode(Image.fromarray(np.zeros((H, W, 4), np.uint8)), "PNG"),  # fully transparent RGBA
        "ramp.png": encode(Image.fromarray(ramp()), "PNG"),
        "small_mask.png": encode(Image.fromarray(m[:20].astype(np.uint8) * 255), "PNG"),  # 32x20
        "zero.png": b"",
        "trunc.jpg": jpg[: len(jpg) // 2],
        "trunc.png": png[: len(png) // 2],
        "text.png": b"hello, this is a text file and not a picture\n",
        "photo.heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64),  # HEIF: Pillow cannot decode it
        "doc.pdf": b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
        "empty0x0.png": png_header_only(0, 0),
        "one.png": encode(Image.fromarray(img[:1, :1]), "PNG"),
        "one_hole.png": encode(Image.fromarray(np.full((1, 1), 255, np.uint8)), "PNG"),
        "two.png": encode(Image.fromarray(img[:1, :2]), "PNG"),
        "two_mask.png": encode(Image.fromarray(np.array([[255, 0]], np.uint8)), "PNG"),
        "rgb16.png": cv2.imencode(".png", (img[..., ::-1].astype(np.uint16) * 257 + 3))[1].tobytes(),  # 48-bit
        "palette.png": encode(pil.convert("P"), "PNG"),
        "cmyk.jpg": encode(pil.convert("CMYK"), "JPEG", quality=95),
        "bomb.png": png_header_only(100_000, 100_000),
        "not_weights.safetensors": b"these are not weights\n" * 4,
        "evil.safetensors": malicious_pickle(root / MARKER),
        "damaged_meta.safetensors": st_save({"w": torch.zeros(2)}, metadata={"format": "inpaintkit", "kind": "model",
                                                                           "info": "{not json"}),
        "cfg_unknown.json": json.dumps({"model": "fillnet", "stpes": 3}).encode(),
        "cfg_list.json": b'["fillnet", 3]',
        "cfg_broken.json": b'{"model": "fillnet", ',
    }
    _save_images(d, files)
    make_round_two(d, files)
    make_round_two_rest(d, files)
    small = create_model("fillnet", **SMALL)
    small.config = {}  # the file claims a default fillnet: its tensors do not fit one
    save_model(small, d / "other_shape.safetensors", "fillnet")
    (d / "run_trunc").mkdir()
    full = (d / "other_shape.safetensors").read_bytes()
    (d / "run_trunc" / "checkpoint-last.safetensors").write_bytes(full[: len(full) // 2])
    # evaluation folders: images (any folder of images) and NVIDIA-numbered masks
    grads = {f"{i}.png": encode(Image.fromarray(np.roll(img, 5 * i, axis=1)), "PNG") for i in range(2)}
    _save_images(d / "ev", grads)
    _save_images(d / "ev_zero", {**grads, "2.png": b""})
    _save_images(d / "ev_trunc", {**grads, "2.jpg": jpg[: len(jpg) // 2]})
    _save_images(d / "ev_bomb", {**grads, "2.png": png_header_only(100_000, 100_000)})
    _save_images(d / "ev_odd", {"p16.png": files["rgb16.png"], "pal.png": files["palette.png"],
                                "cmyk.jpg": files["cmyk.jpg"]})
    _save_images(d / "evm", {"02001.png": mask_png})
    _save_images(d / "evm_text", {"02001.png": files["text.png"]})
    make_celeba(d / "celeba", n=12, w=20, h=24)
    shutil.copytree(d / "celeba", d / "celeba_bad")
    (d / "celeba_bad" / "img_align_celeba" / "000003.jpg").write_bytes(jpg[: len(jpg) // 3])
    return root


# --- the table -----------------------------------------------------------------------------------------------

KINDS = (
    "zero-byte file", "truncated JPEG", "truncated PNG", "text file named .png", "unsupported format",
    "1x1 image", "0-sized image", "image/mask size mismatch", "all-black mask", "all-white mask",
    "mask with no hole on any pixel", "non-binary mask", "16-bit image", "palette image", "CMYK image",
    "PNG header claiming 100,000 x 100,000 pixels", "path that does not exist",
    "output path in a folder that does not exist", "output that would overwrite the input",
    "checkpoint that is not safetensors", "pickle file renamed .safetensors", "checkpoint of another model's shape",
    "checkpoint with damaged metadata", "config with unknown fields", "config with wrong types",
    "malformed HTTP request", "oversized HTTP request", "non-image upload",
    # round two (issue 13)
    "other image format (EPS, PPM, TGA, PCX, SGI, DDS, ICO)", "file name that is not UTF-8", "thread count out of range",
    "model config out of bounds", "NaN or damaged weights", "ONNX file with bad metadata or output",
    "image mode without a direct conversion", "lossy output format", "mask folder = photo folder",
    "foreign Host header", "cross-site post",
    # round two, the rest (issue 13, items 12-14)
    "float image outside [0, 1]", "NaN or infinite pixels", "mask rule across shapes and dtypes",
    "max_pixels not positive", "corrupt EXIF data", "output larger than its format holds", "file name with a newline",
    "broken symbolic link in a batch", "size or opset out of range",
)
ENTRIES = ("fill", "eval", "train", "export", "masks", "serve", "api", "http")
CLI_ENTRIES = ("fill", "eval", "train", "export", "masks", "serve")


@dataclass(frozen=True)
class Case:
    """One row: ``run`` is a CLI argv (paths relative to the case folder), ``fn()`` for the API, or
    ``fn(client) -> response`` for HTTP. ``expect``: "error", "warning", "ok" or "partial". ``match``: a piece of the
    error / warning line. ``exc``: the API's exception (or warning) type; ``status``: the HTTP status.
    ``check(result)`` inspects an accepted input's result (the case folder, the returned value or the response).
    ``sees``: what the user gets, in words, for the doc (the real line is added by the doc script)."""

    id: str
    kind: str
    entry: str
    given: str
    expect: str
    match: str
    run: Any
    exc: Optional[type] = None
    status: int = 0
    check: Optional[Callable[[Any], bool]] = None
    sees: str = ""


FILL = ("fill", "--model", "telea", "-q")
EVAL = ("eval", "-m", "telea", "--size", "16", "-q", "--json", "out/r.json")
TRAIN = ("train", "--size", "16", "--batch", "4", "--steps", "1", "--threads", "1", "--no-progress",
         "--set", "workers=0", "--set", f"model_kwargs={json.dumps(SMALL)}")


def _fill(image: str, mask: str = "in/mask.png", out: str = "out/o.png", *more: str) -> tuple:
    return (*FILL, image, "--mask", mask, "--out", out, *more)


def _fill_model(model: str) -> tuple:
    return ("fill", "in/a.png", "--mask", "in/mask.png", "--out", "out/o.png", "--model", model, "-q")


def _tiff(path):
    import tifffile

    return tifffile.imread(path)


def _out(root: Path, name: str = "out/o.png") -> np.ndarray:
    return read_picture(root / name).pixels


def _known_kept(out: np.ndarray, src: np.ndarray, holes: np.ndarray) -> bool:
    return out.shape == src.shape and bool(np.array_equal(out[~holes], src[~holes]))


def _api(image=None, mask=None, model="telea") -> Callable[[], Any]:
    image = photo() if image is None else image
    mask = hole() if mask is None else mask
    return lambda: inpaint(image() if callable(image) else image, mask, model)


def _own_range_fill(out: np.ndarray, src: np.ndarray, holes: np.ndarray) -> bool:
    """A fill by the image's own range (inpaintkit.pixels): same dtype, known pixels kept, hole values inside the
    known pixels' range (and not all of them at one end of it)."""
    known = src[~holes]
    lo, hi = float(known.min()), float(known.max())
    filled = out[holes]
    return (out.dtype == src.dtype and _known_kept(out, src, holes) and bool(np.isfinite(filled).all())
            and float(filled.min()) >= lo and float(filled.max()) <= hi and float(filled.max()) > lo)


def _with(a: np.ndarray, where: tuple, value) -> np.ndarray:
    """``a`` with one element set to ``value``."""
    a = a.copy()
    a[where] = value
    return a


def _upload(image: str, mask: str = "in/mask.png", image_type: str = "image/png") -> Callable:
    def send(client):
        return client.post("/api/inpaint", files={"image": ("image", Path(image).read_bytes(), image_type),
                                                  "mask": ("mask", Path(mask).read_bytes(), "image/png")})
    return send


def _raw(body: bytes, ctype: Optional[str], method: str = "POST", **headers) -> Callable:
    def send(client):
        h = {**({"content-type": ctype} if ctype else {}), **{k.replace("_", "-"): v for k, v in headers.items()}}
        return client.request(method, "/api/inpaint", content=body, headers=h)
    return send


def _png_reply(mode: Optional[str] = None, dtype=np.uint8) -> Callable:
    def check(r) -> bool:
        im = Image.open(io.BytesIO(r.content))
        a = cv2.imdecode(np.frombuffer(r.content, np.uint8), cv2.IMREAD_UNCHANGED)  # Pillow reads 48-bit as 8-bit
        return im.format == "PNG" and a.shape[:2] == (H, W) and a.dtype == dtype and (mode is None or im.mode == mode)
    return check


_RAMP_HOLE = ramp() > 127
_MULTIPART_3 = (b"--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a\"\r\n\r\nx\r\n"
                b"--b\r\nContent-Disposition: form-data; name=\"mask\"; filename=\"b\"\r\n\r\ny\r\n"
                b"--b\r\nContent-Disposition: form-data; name=\"more\"; filename=\"c\"\r\n\r\nz\r\n--b--\r\n")

CASES: tuple[Case, ...] = (
    # --- inpaintkit fill ---
    Case("fill-zero-byte-image", "zero-byte file", "fill", "a photo file of 0 bytes", "error", "file is empty",
         _fill("in/zero.png")),
    Case("fill-zero-byte-mask", "zero-byte file", "fill", "a mask file of 0 bytes", "error", "file is empty",
         _fill("in/a.png", "in/zero.png")),
    Case("fill-truncated-jpeg", "truncated JPEG", "fill", "the first half of a JPEG", "error",
         "cannot read image 'in/trunc.jpg'", _fill("in/trunc.jpg")),
    Case("fill-truncated-png", "truncated PNG", "fill", "the first half of a PNG", "error",
         "cannot read image 'in/trunc.png'", _fill("in/trunc.png")),
    Case("fill-text-as-png", "text file named .png", "fill", "a text file named photo.png", "error",
         "not an image", _fill("in/text.png")),
    Case("fill-heic", "unsupported format", "fill", "a HEIC photo (a format Pillow does not decode)", "error",
         "unknown or unsupported format", _fill("in/photo.heic")),
    Case("fill-out-gif", "unsupported format", "fill", "--out result.gif (no GIF writer)", "error",
         "use one of .jpg", _fill("in/a.png", "in/mask.png", "out/o.gif")),
    Case("fill-1x1-hole", "1x1 image", "fill", "a 1x1 photo whose one pixel is the hole", "error",
         "covers the whole image", _fill("in/one.png", "in/one_hole.png")),
    Case("fill-1x2-one-hole", "1x1 image", "fill", "a 1x2 photo with one hole pixel", "ok", "",
         _fill("in/two.png", "in/two_mask.png"),
         check=lambda root: _known_kept(_out(root), photo()[:1, :2], np.array([[True, False]])),
         sees="filled (the known pixel unchanged)"),
    Case("fill-0x0", "0-sized image", "fill", "a PNG whose header says 0x0 pixels", "error", "not an image",
         _fill("in/empty0x0.png")),
    Case("fill-size-mismatch", "image/mask size mismatch", "fill", "a 32x24 photo with a 32x20 mask", "error",
         "mask is 32x20 but image is 32x24", _fill("in/a.png", "in/small_mask.png")),
    Case("fill-all-black-mask", "all-black mask", "fill", "an all-black mask (no hole)", "warning", "no hole pixels",
         _fill("in/a.png", "in/black.png"), check=lambda root: np.array_equal(_out(root), photo()),
         sees="the photo is written unchanged"),
    Case("fill-all-white-mask", "all-white mask", "fill", "an all-white mask (everything is hole)", "error",
         "covers the whole image", _fill("in/a.png", "in/white.png")),
    Case("fill-grey-127-mask", "mask with no hole on any pixel", "fill", "a mask that is grey 127 everywhere "
         "(just under the > 127 threshold)", "warning", "no hole pixels", _fill("in/a.png", "in/grey127.png"),
         check=lambda root: np.array_equal(_out(root), photo()), sees="the photo is written unchanged"),
    Case("fill-transparent-mask", "mask with no hole on any pixel", "fill", "a fully transparent RGBA mask "
         "(alpha rule: nothing painted)", "warning", "no hole pixels", _fill("in/a.png", "in/clear.png"),
         check=lambda root: np.array_equal(_out(root), photo()), sees="the photo is written unchanged"),
    Case("fill-ramp-mask", "non-binary mask", "fill", "a grey ramp 0..248 as the mask", "ok", "",
         _fill("in/a.png", "in/ramp.png"), check=lambda root: _known_kept(_out(root), photo(), _RAMP_HOLE),
         sees="filled; hole = grey > 127, the other pixels unchanged"),
    Case("fill-16-bit", "16-bit image", "fill", "a 48-bit (16 bits per channel) RGB PNG", "ok", "",
         _fill("in/rgb16.png"), check=lambda root: _out(root).dtype == np.uint16 and _out(root).shape == (H, W, 3),
         sees="filled and written as a 16-bit PNG (the input's own depth)"),
    Case("fill-palette", "palette image", "fill", "a palette (mode P) PNG", "ok", "", _fill("in/palette.png"),
         check=lambda root: _known_kept(_out(root), np.asarray(Image.open(root / "in/palette.png").convert("RGB")), hole()),
         sees="filled and written as RGB"),
    Case("fill-cmyk", "CMYK image", "fill", "a CMYK JPEG", "ok", "", _fill("in/cmyk.jpg"),
         check=lambda root: _out(root).shape == (H, W, 3), sees="converted to RGB, filled, written as RGB"),
    Case("fill-bomb-image", "PNG header claiming 100,000 x 100,000 pixels", "fill",
         "a 60-byte PNG claiming 100,000 x 100,000 pixels as the photo", "error", "too many pixels",
         _fill("in/bomb.png")),
    Case("fill-bomb-mask", "PNG header claiming 100,000 x 100,000 pixels", "fill", "the same file as the mask",
         "error", "too many pixels", _fill("in/a.png", "in/bomb.png")),
    Case("fill-missing-image", "path that does not exist", "fill", "a photo path that does not exist", "error",
         "image not found", _fill("in/nope.png")),
    Case("fill-missing-mask", "path that does not exist", "fill", "a mask path that does not exist", "error",
         "no such file", _fill("in/a.png", "in/nope.png")),
    Case("fill-out-new-folder", "output path in a folder that does not exist", "fill",
         "--out out/new/deeper/o.png (the folders do not exist)", "ok", "",
         _fill("in/a.png", "in/mask.png", "out/new/deeper/o.png"),
         check=lambda root: _known_kept(_out(root, "out/new/deeper/o.png"), photo(), hole()),
         sees="the folders are created and the result written"),
    Case("fill-out-under-a-file", "output path in a folder that does not exist", "fill",
         "--out in/a.png/o.png (a 'folder' that is a file)", "error", "is a file, not a folder",
         _fill("in/a.png", "in/mask.png", "in/a.png/o.png")),
    Case("fill-out-is-image", "output that would overwrite the input", "fill", "--out the photo itself, with --overwrite",
         "error", "refusing to overwrite the input", _fill("in/a.png", "in/mask.png", "in/a.png", "--overwrite")),
    Case("fill-out-is-mask", "output that would overwrite the input", "fill", "--out the mask file, with --overwrite",
         "error", "refusing to overwrite the input", _fill("in/a.png", "in/mask.png", "in/mask.png", "--overwrite")),
    Case("fill-model-not-safetensors", "checkpoint that is not safetensors", "fill", "--model a text file named .safetensors",
         "error", "not a readable safetensors file", _fill_model("in/not_weights.safetensors")),
    Case("fill-model-pickle", "pickle file renamed .safetensors", "fill",
         "--model a malicious pickle renamed .safetensors", "error", "not a readable safetensors file",
         _fill_model("in/evil.safetensors")),
    Case("fill-model-other-shape", "checkpoint of another model's shape", "fill",
         "--model a file whose tensors belong to a smaller network", "error", "shape mismatch",
         _fill_model("in/other_shape.safetensors")),
    Case("fill-model-damaged-metadata", "checkpoint with damaged metadata", "fill",
         "--model a safetensors file whose metadata is not JSON", "error", "damaged metadata",
         _fill_model("in/damaged_meta.safetensors")),
    Case("fill-model-missing", "path that does not exist", "fill", "--model nope.safetensors", "error",
         "weights file not found", _fill_model("in/nope.safetensors")),
    # --- inpaintkit eval ---
    Case("eval-zero-byte-image", "zero-byte file", "eval", "a data folder holding a 0-byte .png", "error",
         "file is empty", (*EVAL, "--data", "in/ev_zero", "--masks", "in/evm")),
    Case("eval-truncated-jpeg", "truncated JPEG", "eval", "a data folder holding a truncated JPEG", "error",
         "cannot read image", (*EVAL, "--data", "in/ev_trunc", "--masks", "in/evm")),
    Case("eval-text-mask", "text file named .png", "eval", "a mask folder holding a text file named 02001.png",
         "error", "not an image", (*EVAL, "--data", "in/ev", "--masks", "in/evm_text")),
    Case("eval-bomb-image", "PNG header claiming 100,000 x 100,000 pixels", "eval",
         "a data folder holding the 100,000 x 100,000 header", "error", "too many pixels",
         (*EVAL, "--data", "in/ev_bomb", "--masks", "in/evm")),
    Case("eval-missing-data", "path that does not exist", "eval", "--data a folder that does not exist", "error",
         "does not exist", (*EVAL, "--data", "in/nope", "--masks", "in/evm")),
    Case("eval-json-under-a-file", "output path in a folder that does not exist", "eval",
         "--json in/a.png/r.json (a 'folder' that is a file)", "error", "is a file, not a folder",
         ("eval", "-m", "telea", "--size", "16", "-q", "--data", "in/ev", "--masks", "in/evm", "--json", "in/a.png/r.json")),
    Case("eval-json-new-folder", "output path in a folder that does not exist", "eval",
         "--json out/new/r.json (the folder does not exist)", "ok", "",
         ("eval", "-m", "telea", "--size", "16", "-q", "--data", "in/ev", "--masks", "in/evm", "--json", "out/new/r.json"),
         check=lambda root: "telea" in json.loads((root / "out/new/r.json").read_text()),
         sees="the folder is created and the JSON written"),
    Case("eval-odd-images", "16-bit image", "eval", "a data folder of a 16-bit PNG, a palette PNG and a CMYK JPEG",
         "ok", "", (*EVAL, "--data", "in/ev_odd", "--masks", "in/evm"),
         check=lambda root: "telea" in json.loads((root / "out/r.json").read_text()),
         sees="each is read as 8-bit RGB (16-bit scaled by 255/65535) and evaluated"),
    # --- inpaintkit train ---
    Case("train-config-unknown-fields", "config with unknown fields", "train", "--config with a misspelt field (stpes)",
         "error", "unknown config fields ['stpes']", ("train", "--config", "in/cfg_unknown.json", "--data", "in/celeba",
                                                      "--out", "out/run")),
    Case("train-set-unknown-field", "config with unknown fields", "train", "--set stpes=3", "error",
         "unknown config fields ['stpes']", (*TRAIN, "--data", "in/celeba", "--out", "out/run", "--set", "stpes=3")),
    Case("train-config-list", "config with wrong types", "train", "--config holding a JSON list, not an object",
         "error", "must be a JSON object",
         ("train", "--config", "in/cfg_list.json", "--data", "in/celeba", "--out", "out/run")),
    Case("train-config-broken-json", "config with wrong types", "train", "--config that is not valid JSON", "error",
         "cannot read config", ("train", "--config", "in/cfg_broken.json", "--data", "in/celeba", "--out", "out/run")),
    Case("train-config-missing", "path that does not exist", "train", "--config a file that does not exist", "error",
         "cannot read config", ("train", "--config", "in/nope.json", "--data", "in/celeba", "--out", "out/run")),
    Case("train-wrong-type", "config with wrong types", "train", "--set lr='\"fast\"' (a string for a number)",
         "error", "config field lr must be a number",
         (*TRAIN, "--data", "in/celeba", "--out", "out/run", "--set", 'lr="fast"')),
    Case("train-model-kwargs-unknown", "config with wrong types", "train", "--set model_kwargs='{\"depth\": 3}'",
         "error", "unknown field 'depth' for 'fillnet'", ("train", "--data", "in/celeba", "--out", "out/run", "--set",
                                                 'model_kwargs={"depth": 3}')),
    Case("train-loss-unknown", "config with unknown fields", "train", "--set loss='{\"l2\": 1}' (no such loss term)",
         "error", "unknown loss terms ['l2']",
         (*TRAIN, "--data", "in/celeba", "--out", "out/run", "--set", 'loss={"l2": 1}')),
    Case("train-init-pickle", "pickle file renamed .safetensors", "train", "--init-from a malicious pickle renamed "
         ".safetensors", "error", "not a readable safetensors file",
         (*TRAIN, "--data", "in/celeba", "--out", "out/run", "--init-from", "in/evil.safetensors")),
    Case("train-init-not-safetensors", "checkpoint that is not safetensors", "train",
         "--init-from a text file named .safetensors", "error", "not a readable safetensors file",
         (*TRAIN, "--data", "in/celeba", "--out", "out/run", "--init-from", "in/not_weights.safetensors")),
    Case("train-init-other-shape", "checkpoint of another model's shape", "train",
         "--init-from weights of a smaller network", "error", "shape mismatch",
         (*TRAIN, "--data", "in/celeba", "--out", "out/run", "--init-from", "in/other_shape.safetensors")),
    Case("train-resume-truncated", "checkpoint that is not safetensors", "train",
         "--resume a run whose checkpoint-last is cut in half", "error", "not a readable safetensors file",
         ("train", "--out", "in/run_trunc", "--resume", "--no-progress")),
    # item 11: train checks its whole config before it reads data or creates the run folder
    Case("train-threads-negative", "thread count out of range", "train", "--threads -1", "error",
         "config field threads", (*TRAIN, "--data", "in/celeba", "--out", "out/run", "--threads", "-1")),
    Case("train-size-12", "size or opset out of range", "train", "--size 12 (the network needs multiples of 8)",
         "error", "size must be at least 16 and a multiple of 8",
         (*TRAIN, "--data", "in/celeba", "--out", "out/run", "--size", "12")),
    Case("train-classical-model", "config with wrong types", "train", "--model telea (not trainable)", "error",
         "is classical, not a trainable network", (*TRAIN, "--data", "in/celeba", "--out", "out/run", "--model", "telea")),
    Case("train-cache-dir-file", "output path in a folder that does not exist", "train",
         "--set cache_dir pointing at a file", "error", "is a file, not a folder",
         (*TRAIN, "--data", "in/celeba", "--out", "out/run", "--set", 'cache_dir="in/a.png"')),
    Case("train-load-size-huge", "size or opset out of range", "train", "--set load_size=100000", "error",
         "load_size must be at most 4096", (*TRAIN, "--data", "in/celeba", "--out", "out/run", "--set", "load_size=100000")),
    Case("train-model-kwargs-negative", "model config out of bounds", "train",
         "--set model_kwargs with a negative width", "error", "config widths must be",
         (*TRAIN, "--data", "in/celeba", "--out", "out/run", "--set", 'model_kwargs={"widths": [-8, 8, 16]}')),
    Case("train-data-truncated-jpeg", "truncated JPEG", "train", "--data holding a truncated JPEG", "error",
         "truncated file", (*TRAIN, "--data", "in/celeba_bad", "--out", "out/run")),
    Case("train-data-missing", "path that does not exist", "train", "--data a folder that does not exist", "error",
         "data folder not found", (*TRAIN, "--data", "in/nope", "--out", "out/run")),
    Case("train-out-is-a-file", "output that would overwrite the input", "train", "--out an existing file (in/a.png)",
         "error", "is a file; give a run folder", (*TRAIN, "--data", "in/celeba", "--out", "in/a.png")),
    # --- inpaintkit export ---
    Case("export-not-safetensors", "checkpoint that is not safetensors", "export", "--model a text file named .safetensors",
         "error", "not a readable safetensors file",
         ("export", "--model", "in/not_weights.safetensors", "-o", "out/m.onnx")),
    Case("export-pickle", "pickle file renamed .safetensors", "export", "--model a malicious pickle renamed .safetensors",
         "error", "not a readable safetensors file", ("export", "--model", "in/evil.safetensors", "-o", "out/m.onnx")),
    Case("export-other-shape", "checkpoint of another model's shape", "export", "--model weights of a smaller network",
         "error", "shape mismatch", ("export", "--model", "in/other_shape.safetensors", "-o", "out/m.onnx")),
    Case("export-damaged-metadata", "checkpoint with damaged metadata", "export",
         "--model a file whose metadata is not JSON",
         "error", "damaged metadata", ("export", "--model", "in/damaged_meta.safetensors", "-o", "out/m.onnx")),
    Case("export-missing-model", "path that does not exist", "export", "--model nope.safetensors", "error",
         "weights file not found", ("export", "--model", "in/nope.safetensors", "-o", "out/m.onnx")),
    Case("export-out-under-a-file", "output path in a folder that does not exist", "export",
         "-o in/a.png/m.onnx (a 'folder' that is a file)", "error", "is a file, not a folder",
         ("export", "--model", "in/other_shape.safetensors", "-o", "in/a.png/m.onnx")),
    Case("export-out-not-onnx", "unsupported format", "export", "-o model.pt", "error", "must name a .onnx file",
         ("export", "-o", "out/model.pt")),
    # --- inpaintkit serve (the server's model loading) ---
    Case("serve-pickle", "pickle file renamed .safetensors", "serve", "--model a malicious pickle renamed .safetensors",
         "error", "not a readable safetensors file", ("serve", "--port", "0", "--model", "in/evil.safetensors")),
    Case("serve-not-safetensors", "checkpoint that is not safetensors", "serve", "--model a text file named .safetensors",
         "error", "not a readable safetensors file", ("serve", "--port", "0", "--model", "in/not_weights.safetensors")),
    # --- the Python API: inpaintkit.inpaint ---
    Case("api-0x0-array", "0-sized image", "api", "a numpy array of shape (0, 0, 3)", "error", "image is empty",
         _api(np.zeros((0, 0, 3), np.uint8), np.zeros((0, 0), bool)), exc=InpaintError),
    Case("api-1x1-hole", "1x1 image", "api", "a 1x1 image whose pixel is the hole", "error", "covers the whole image",
         _api(np.zeros((1, 1, 3), np.uint8), np.ones((1, 1), bool)), exc=InpaintError),
    Case("api-size-mismatch", "image/mask size mismatch", "api", "a 24x32 image with a 20x32 mask", "error",
         "mask is 32x20 but image is 32x24", _api(mask=hole()[:20]), exc=InpaintError),
    Case("api-all-white-mask", "all-white mask", "api", "a mask that is True everywhere", "error",
         "covers the whole image", _api(mask=np.ones((H, W), bool)), exc=InpaintError),
    Case("api-all-black-mask", "all-black mask", "api", "a mask that is False everywhere", "warning", "no hole pixels",
         _api(mask=np.zeros((H, W), bool)), exc=EmptyMaskWarning, check=lambda out: np.array_equal(out, photo()),
         sees="a copy of the image, with an EmptyMaskWarning"),
    Case("api-ramp-mask", "non-binary mask", "api", "a uint8 ramp 0..248 as the mask", "ok", "", _api(mask=ramp()),
         check=lambda out: _known_kept(out, photo(), _RAMP_HOLE), sees="filled where the mask is > 127"),
    Case("api-16-bit", "16-bit image", "api", "a uint16 [H,W,3] array", "ok", "",
         _api(photo().astype(np.uint16) * 257),
         check=lambda out: out.dtype == np.uint16 and _known_kept(out, photo().astype(np.uint16) * 257, hole()),
         sees="a uint16 array, known pixels bit-identical"),
    Case("api-palette", "palette image", "api", "a PIL image in mode P", "ok", "",
         _api(lambda: Image.fromarray(photo()).convert("P")), check=lambda out: out.mode == "RGB",
         sees="a PIL image in mode RGB"),
    Case("api-cmyk", "CMYK image", "api", "a PIL image in mode CMYK", "ok", "",
         _api(lambda: Image.fromarray(photo()).convert("CMYK")), check=lambda out: out.mode == "RGB",
         sees="a PIL image in mode RGB"),
    Case("api-mask-zero-byte", "zero-byte file", "api", "a mask path to a 0-byte file", "error", "file is empty",
         _api(mask="in/zero.png"), exc=ImageReadError),
    Case("api-mask-truncated-png", "truncated PNG", "api", "a mask path to a truncated PNG", "error",
         "cannot read image 'in/trunc.png'", _api(mask="in/trunc.png"), exc=ImageReadError),
    Case("api-mask-text", "text file named .png", "api", "a mask path to a text file named .png", "error",
         "not an image", _api(mask="in/text.png"), exc=ImageReadError),
    Case("api-mask-bomb", "PNG header claiming 100,000 x 100,000 pixels", "api", "a mask path to the 100,000 x "
         "100,000 header", "error", "too many pixels", _api(mask="in/bomb.png"), exc=ImageReadError),
    Case("api-mask-missing", "path that does not exist", "api", "a mask path that does not exist", "error",
         "no such file", _api(mask="in/nope.png"), exc=ImageReadError),
    Case("api-image-is-a-path", "unsupported format", "api", "a file path instead of an image", "error",
         "must be a numpy array or a PIL image", _api("in/a.png"), exc=InpaintError),
    Case("api-model-pickle", "pickle file renamed .safetensors", "api", "model= a malicious pickle renamed .safetensors",
         "error", "not a readable safetensors file", _api(model="in/evil.safetensors"), exc=CheckpointError),
    Case("api-model-not-safetensors", "checkpoint that is not safetensors", "api", "model= a text file named .safetensors",
         "error", "not a readable safetensors file", _api(model="in/not_weights.safetensors"), exc=CheckpointError),
    Case("api-model-other-shape", "checkpoint of another model's shape", "api", "model= weights of a smaller network",
         "error", "shape mismatch", _api(model="in/other_shape.safetensors"), exc=CheckpointError),
    Case("api-model-damaged-metadata", "checkpoint with damaged metadata", "api", "model= a file whose metadata is not JSON",
         "error", "damaged metadata", _api(model="in/damaged_meta.safetensors"), exc=CheckpointError),
    # --- the HTTP API: POST /api/inpaint (server limits here: 1 MB body, 200,000 pixels) ---
    Case("http-zero-byte-image", "zero-byte file", "http", "an empty image upload", "error", "image: the file is empty",
         _upload("in/zero.png"), status=422),
    Case("http-truncated-jpeg", "truncated JPEG", "http", "the first half of a JPEG", "error", "image: ",
         _upload("in/trunc.jpg", image_type="image/jpeg"), status=422),
    Case("http-truncated-png", "truncated PNG", "http", "the first half of a PNG", "error", "image: truncated file",
         _upload("in/trunc.png"), status=422),
    Case("http-text-as-png", "text file named .png", "http", "a text file sent as image/png", "error",
         "image: not an image", _upload("in/text.png"), status=415),
    Case("http-heic", "unsupported format", "http", "a HEIC photo", "error", "image: not an image",
         _upload("in/photo.heic", image_type="image/heic"), status=415),
    Case("http-pdf", "non-image upload", "http", "a PDF as the image", "error", "image: not an image",
         _upload("in/doc.pdf", image_type="application/pdf"), status=415),
    Case("http-text-mask", "non-image upload", "http", "a text file as the mask", "error", "mask: not an image",
         _upload("in/a.png", "in/text.png"), status=415),
    Case("http-1x1-hole", "1x1 image", "http", "a 1x1 photo whose pixel is the hole", "error", "covers the whole image",
         _upload("in/one.png", "in/one_hole.png"), status=422),
    Case("http-0x0", "0-sized image", "http", "a PNG whose header says 0x0 pixels", "error", "image: not an image",
         _upload("in/empty0x0.png"), status=415),
    Case("http-size-mismatch", "image/mask size mismatch", "http", "a 32x24 photo with a 32x20 mask", "error",
         "mask is 32x20 pixels but the image is 32x24", _upload("in/a.png", "in/small_mask.png"), status=422),
    Case("http-all-black-mask", "all-black mask", "http", "an all-black mask", "error", "mask marks no hole",
         _upload("in/a.png", "in/black.png"), status=422),
    Case("http-all-white-mask", "all-white mask", "http", "an all-white mask", "error", "covers the whole image",
         _upload("in/a.png", "in/white.png"), status=422),
    Case("http-grey-127-mask", "mask with no hole on any pixel", "http", "a mask that is grey 127 everywhere", "error",
         "mask marks no hole", _upload("in/a.png", "in/grey127.png"), status=422),
    Case("http-transparent-mask", "mask with no hole on any pixel", "http", "a fully transparent RGBA mask", "error",
         "mask marks no hole", _upload("in/a.png", "in/clear.png"), status=422),
    Case("http-ramp-mask", "non-binary mask", "http", "a grey ramp 0..248 as the mask", "ok", "",
         _upload("in/a.png", "in/ramp.png"), check=_png_reply("RGB"), sees="200, the filled PNG (hole = grey > 127)"),
    Case("http-16-bit", "16-bit image", "http", "a 48-bit RGB PNG", "ok", "", _upload("in/rgb16.png"),
         check=_png_reply(dtype=np.uint16), sees="200, a 16-bit PNG back"),
    Case("http-palette", "palette image", "http", "a palette PNG", "ok", "", _upload("in/palette.png"),
         check=_png_reply("RGB"), sees="200, an RGB PNG"),
    Case("http-cmyk", "CMYK image", "http", "a CMYK JPEG", "ok", "", _upload("in/cmyk.jpg", image_type="image/jpeg"),
         check=_png_reply("RGB"), sees="200, an RGB PNG"),
    Case("http-bomb", "PNG header claiming 100,000 x 100,000 pixels", "http", "the 60-byte 100,000 x 100,000 header",
         "error", "image: ", _upload("in/bomb.png"), status=413),
    Case("http-bad-multipart", "malformed HTTP request", "http", "a multipart body that is garbage", "error",
         "multipart", _raw(b"garbage, not multipart", "multipart/form-data; boundary=xyz"), status=400),
    Case("http-no-boundary", "malformed HTTP request", "http", "multipart/form-data without a boundary", "error",
         "boundary", _raw(b"--x\r\n", "multipart/form-data"), status=400),
    Case("http-three-files", "malformed HTTP request", "http", "a multipart body with three files", "error",
         "Too many files", _raw(_MULTIPART_3, "multipart/form-data; boundary=b"), status=400),
    Case("http-mask-missing", "malformed HTTP request", "http", "a multipart body without the mask", "error",
         "'mask' is missing", lambda c: c.post("/api/inpaint", files={"image": ("a.png", Path("in/a.png").read_bytes())}),
         status=422),
    Case("http-json-broken", "malformed HTTP request", "http", "a JSON body that is not JSON", "error",
         "not valid JSON", _raw(b'{"image": ', "application/json"), status=422),
    Case("http-json-deep", "malformed HTTP request", "http", "a JSON body nested 100,000 deep", "error",
         "nested too deeply", _raw(b"[" * 100_000 + b"]" * 100_000, "application/json"), status=422),
    Case("http-json-list", "malformed HTTP request", "http", "a JSON list instead of an object", "error",
         "JSON body", _raw(b"[1, 2]", "application/json"), status=422),
    Case("http-json-bad-base64", "non-image upload", "http", "JSON whose image is not base64", "error",
         "image: not valid base64", _raw(json.dumps({"image": "%%%", "mask": "%%%"}).encode(), "application/json"),
         status=422),
    Case("http-no-content-type", "malformed HTTP request", "http", "a body without a content type", "error",
         "send multipart/form-data", _raw(b"raw bytes", None), status=415),
    Case("http-get", "malformed HTTP request", "http", "GET instead of POST", "error", "Method Not Allowed",
         _raw(b"", None, "GET"), status=405),
    Case("http-oversized", "oversized HTTP request", "http", "a 1.5 MB upload (limit 1 MB)", "error",
         "over this server's limit", lambda c: c.post("/api/inpaint", files={"image": ("a.png", bytes(1_500_000)),
                                                                              "mask": ("m.png", b"x")}), status=413),
    Case("http-length-lie", "oversized HTTP request", "http", "Content-Length claiming 50 MB, 10 bytes sent", "error",
         "over this server's limit", _raw(b"0123456789", "application/json", content_length="52428800"), status=413),
    Case("http-too-many-pixels", "oversized HTTP request", "http", "a 500x500 PNG (server limit 200,000 pixels)",
         "error", "over this server's limit of 200,000", lambda c: c.post("/api/inpaint", files={
             "image": ("a.png", encode(Image.new("RGB", (500, 500)), "PNG")), "mask": ("m.png", b"x")}), status=413),
    Case("fill-eps", "other image format (EPS, PPM, TGA, PCX, SGI, DDS, ICO)", "fill", "a valid EPS file named photo.png",
         "error", "unsupported format EPS", _fill("in/photo_eps.png")),
    Case("fill-ppm", "other image format (EPS, PPM, TGA, PCX, SGI, DDS, ICO)", "fill", "a valid PPM file named photo.png",
         "error", "unsupported format PPM", _fill("in/photo_ppm.png")),
    Case("fill-tga", "other image format (EPS, PPM, TGA, PCX, SGI, DDS, ICO)", "fill", "a valid TGA file named photo.png",
         "error", "not an image", _fill("in/photo_tga.png")),
    Case("fill-pcx", "other image format (EPS, PPM, TGA, PCX, SGI, DDS, ICO)", "fill", "a valid PCX file named photo.png",
         "error", "not an image", _fill("in/photo_pcx.png")),
    Case("fill-sgi", "other image format (EPS, PPM, TGA, PCX, SGI, DDS, ICO)", "fill", "a valid SGI file named photo.png",
         "error", "unsupported format SGI", _fill("in/photo_sgi.png")),
    Case("fill-dds", "other image format (EPS, PPM, TGA, PCX, SGI, DDS, ICO)", "fill", "a valid DDS file named photo.png",
         "error", "unsupported format DDS", _fill("in/photo_dds.png")),
    Case("fill-ico", "other image format (EPS, PPM, TGA, PCX, SGI, DDS, ICO)", "fill", "a valid ICO file named photo.png",
         "error", "unsupported format ICO", _fill("in/photo_ico.png")),
    Case("http-eps", "other image format (EPS, PPM, TGA, PCX, SGI, DDS, ICO)", "http", "a valid EPS file as the image",
         "error", "image: unsupported format EPS", _upload("in/photo_eps.png"), status=415),
    Case("http-ppm", "other image format (EPS, PPM, TGA, PCX, SGI, DDS, ICO)", "http", "a valid PPM file as the image",
         "error", "image: unsupported format PPM", _upload("in/photo_ppm.png"), status=415),
    Case("http-tga", "other image format (EPS, PPM, TGA, PCX, SGI, DDS, ICO)", "http", "a valid TGA file as the image",
         "error", "image: not an image", _upload("in/photo_tga.png"), status=415),
    Case("http-pcx", "other image format (EPS, PPM, TGA, PCX, SGI, DDS, ICO)", "http", "a valid PCX file as the image",
         "error", "image: not an image", _upload("in/photo_pcx.png"), status=415),
    Case("http-sgi", "other image format (EPS, PPM, TGA, PCX, SGI, DDS, ICO)", "http", "a valid SGI file as the image",
         "error", "image: unsupported format SGI", _upload("in/photo_sgi.png"), status=415),
    Case("http-dds", "other image format (EPS, PPM, TGA, PCX, SGI, DDS, ICO)", "http", "a valid DDS file as the image",
         "error", "image: unsupported format DDS", _upload("in/photo_dds.png"), status=415),
    Case("http-ico", "other image format (EPS, PPM, TGA, PCX, SGI, DDS, ICO)", "http", "a valid ICO file as the image",
         "error", "image: unsupported format ICO", _upload("in/photo_ico.png"), status=415),
    Case("http-eps-mask", "other image format (EPS, PPM, TGA, PCX, SGI, DDS, ICO)", "http", "a valid EPS file as the mask",
         "error", "mask: unsupported format EPS", _upload("in/a.png", "in/photo_eps.png"), status=415),
    # file names that are not UTF-8 (bytes \xff: any byte a file system allows), threads
    Case("fill-non-utf8-name", "file name that is not UTF-8", "fill", "a 16-bit PNG named b'\\xff16.png' (not UTF-8)",
         "ok", "", _fill("in/\udcff16.png"), check=lambda root: _out(root).dtype == np.uint16,
         sees="filled (no crash: OpenCV, safetensors and onnxruntime are never given the name)"),
    Case("fill-non-utf8-out", "file name that is not UTF-8", "fill", "--out b'\\xfe.png' (not UTF-8)", "ok", "",
         _fill("in/a.png", "in/mask.png", "out/\udcfe.png"),
         check=lambda root: os.path.isfile(os.path.join(os.fsencode(root), b"out", b"\xfe.png")),
         sees="written under that name"),
    Case("fill-non-utf8-missing", "file name that is not UTF-8", "fill", "a mask b'nope\\xff.png' that does not exist",
         "error", "'in/nope\\xff.png': no such file", _fill("in/a.png", "in/nope\udcff.png")),
    Case("fill-non-utf8-folder", "file name that is not UTF-8", "fill", "a folder holding b'\\xff16.png' and ok.png",
         "ok", "", (*FILL, "in/u8", "--mask", "in/u8m", "--out", "out/f"),
         check=lambda root: sorted(os.listdir(os.fsencode(root / "out/f"))) == [b"ok.png", b"\xff16.png"],
         sees="both filled; the summary shows the name as `\\xff16.png`"),
    Case("fill-threads-huge", "thread count out of range", "fill", "--threads 100000", "error",
         "--threads must be a whole number from 1 to", _fill("in/a.png", "in/mask.png", "out/o.png", "--threads", "100000")),
    Case("fill-threads-zero", "thread count out of range", "fill", "--threads 0", "error",
         "--threads must be a whole number from 1 to", _fill("in/a.png", "in/mask.png", "out/o.png", "--threads", "0")),
    # hostile weights and ONNX files
    Case("fill-model-n5000", "model config out of bounds", "fill", "--model a 200-byte file asking for fillnet with "
         "n_blocks 5000", "error", "n_blocks must be a whole number from 0 to 64", _fill_model("in/n5000.safetensors")),
    Case("fill-model-negative-width", "model config out of bounds", "fill", "--model a file asking for widths [-8, 8, 16]",
         "error", "widths must be a list of 3 whole numbers from 1 to 1024", _fill_model("in/negwidth.safetensors")),
    Case("fill-model-zero-dilation", "model config out of bounds", "fill", "--model a file asking for dilations [0]",
         "error", "dilations must be a list of 1 to 16 whole numbers from 1 to 64", _fill_model("in/zerodil.safetensors")),
    Case("fill-model-state-negative", "model config out of bounds", "fill", "--model a training checkpoint whose "
         "model_kwargs have a negative width", "error", "widths must be", _fill_model("in/state_neg.safetensors")),
    Case("fill-model-classical", "model config out of bounds", "fill", "--model a weights file naming telea",
         "error", "not a network", _fill_model("in/classical.safetensors")),
    Case("fill-model-nan", "NaN or damaged weights", "fill", "--model a file with a NaN weight", "error",
         "holds NaN or infinite values", _fill_model("in/nan.safetensors")),
    Case("fill-model-bit-flip", "NaN or damaged weights", "fill", "--model a file with one bit flipped after writing",
         "error", "do not match the checksum", _fill_model("in/flipped.safetensors")),
    Case("fill-onnx-multiple-abc", "ONNX file with bad metadata or output", "fill", "--backend onnx, metadata "
         "inpaintkit.multiple = \"abc\"", "error", "inpaintkit.multiple must be a whole number",
         _fill("in/a.png", "in/mask.png", "out/o.png", "--model", "in/multiple_abc.onnx", "--backend", "onnx")),
    Case("fill-onnx-multiple-0", "ONNX file with bad metadata or output", "fill", "--backend onnx, metadata "
         "inpaintkit.multiple = \"0\"", "error", "inpaintkit.multiple must be a whole number",
         _fill("in/a.png", "in/mask.png", "out/o.png", "--model", "in/multiple_0.onnx", "--backend", "onnx")),
    Case("fill-onnx-out-1x1", "ONNX file with bad metadata or output", "fill", "--backend onnx, a graph whose output "
         "is [B,1,1,1]", "error", "expected [B,3,H,W]",
         _fill("in/a.png", "in/mask.png", "out/o.png", "--model", "in/out_1x1.onnx", "--backend", "onnx")),
    Case("serve-model-n5000", "model config out of bounds", "serve", "--model the n_blocks 5000 file", "error",
         "n_blocks must be", ("serve", "--port", "0", "--model", "in/n5000.safetensors")),
    Case("serve-model-state-negative", "model config out of bounds", "serve", "--model the training checkpoint with a "
         "negative width", "error", "widths must be", ("serve", "--port", "0", "--model", "in/state_neg.safetensors")),
    Case("serve-model-nan", "NaN or damaged weights", "serve", "--model the file with a NaN weight", "error",
         "holds NaN", ("serve", "--port", "0", "--model", "in/nan.safetensors")),
    Case("api-model-n5000", "model config out of bounds", "api", "model= the n_blocks 5000 file", "error",
         "n_blocks must be", _api(model="in/n5000.safetensors"), exc=CheckpointError),
    Case("export-model-zero-dilation", "model config out of bounds", "export", "--model the dilations [0] file",
         "error", "dilations must be", ("export", "--model", "in/zerodil.safetensors", "-o", "out/m.onnx")),
    # image modes, values, lossy outputs
    Case("fill-lab-mask", "image mode without a direct conversion", "fill", "a LAB TIFF mask (no LAB -> grey "
         "conversion in Pillow)", "ok", "", _fill("in/a.png", "in/mask_lab.tif"),
         check=lambda root: _known_kept(_out(root), photo(), hole()), sees="converted through RGB, filled"),
    Case("fill-lab-mask-folder", "image mode without a direct conversion", "fill", "a folder batch with a LAB and a "
         "CMYK TIFF mask", "ok", "", (*FILL, "in/modes", "--mask", "in/modesm", "--out", "out/f"),
         check=lambda root: sorted(os.listdir(root / "out/f")) == ["a.png", "b.png"], sees="both filled"),
    Case("http-lab-mask", "image mode without a direct conversion", "http", "a LAB TIFF mask", "ok", "",
         _upload("in/a.png", "in/mask_lab.tif", "image/tiff"), check=_png_reply("RGB"), sees="200, the filled PNG"),
    Case("fill-int32-over-16-bit", "16-bit image", "fill", "a 32-bit integer TIFF with values up to 76,700", "ok",
         "", _fill("in/int32.tif", "in/mask.png", "out/o.tif"),
         check=lambda root: _tiff(root / "out/o.tif").dtype == np.int32 and int(_tiff(root / "out/o.tif").max()) > 65535,
         sees="written as an int32 TIFF, values kept exactly (the fill inside the known range)"),
    Case("fill-int32-to-png", "16-bit image", "fill", "a 32-bit integer TIFF written to --out o.png", "error",
         "write a TIFF", _fill("in/int32.tif", "in/mask.png", "out/o.png")),
    Case("fill-rgba-to-jpeg", "lossy output format", "fill", "an RGBA photo written to --out o.jpg", "warning",
         "JPEG has no alpha channel", _fill("in/rgba.png", "in/mask.png", "out/o.jpg"),
         check=lambda root: _out(root, "out/o.jpg").shape == (H, W, 3), sees="written without its transparency"),
    Case("fill-16-bit-to-jpeg", "lossy output format", "fill", "a 16-bit PNG written to --out o.jpg", "warning",
         "reduced to 8 bits", _fill("in/rgb16.png", "in/mask.png", "out/o.jpg"),
         check=lambda root: _out(root, "out/o.jpg").dtype == np.uint8, sees="written as 8-bit"),
    # folders
    Case("fill-mask-folder-is-photo-folder", "mask folder = photo folder", "fill", "--mask the photo folder, holding "
         "a.png, a_mask.png and b.png", "partial", "b.png: no mask named b_mask.*",
         (*FILL, "in/mixed", "--mask", "in/mixed", "--out", "out/f"),
         check=lambda root: os.listdir(root / "out/f") == ["a.png"],
         sees="a.png filled with a_mask.png; a_mask.png is not filled as a photo; b.png, which has no mask, is "
              "listed (never its own mask)"),
    Case("fill-mask-file-in-photo-folder", "mask folder = photo folder", "fill", "a photo folder holding a_mask.png, "
         "masks in another folder", "ok", "", (*FILL, "in/masked", "--mask", "in/maskedm", "--out", "out/f"),
         check=lambda root: not (root / "out/f/a_mask.png").exists(), sees="a_mask.png is noted, not filled"),
    # the server's Host check and cross-site posts
    Case("http-foreign-host", "foreign Host header", "http", "Host: evil.example (DNS rebinding)", "error",
         "Host 'evil.example' is not served here", _raw(b"", None, "GET", host="evil.example"), status=400),
    Case("http-cross-site-post", "cross-site post", "http", "a multipart post with Origin: http://evil.example",
         "error", "cross-site request refused", _raw(_MULTIPART_3, "multipart/form-data; boundary=b",
                                                     origin="http://evil.example"), status=403),
    Case("http-cross-site-fetch", "cross-site post", "http", "a post a browser marks Sec-Fetch-Site: cross-site",
         "error", "cross-site request refused", _raw(b"{}", "application/json", sec_fetch_site="cross-site"), status=403),
)


CASES += (
    # --- the Python API's one rule for images, masks and limits (inpaintkit.validate) ---
    Case("api-float-0-255", "float image outside [0, 1]", "api", "a float64 image on a 0..255 scale", "ok", "",
         _api(photo().astype(np.float64)), check=lambda out: _own_range_fill(out, photo().astype(np.float64), hole()),
         sees="filled by its own range (inpaintkit.pixels): float64 back, known pixels bit-identical, the fill inside "
              "the known pixels' range"),
    Case("api-float-negative", "float image outside [0, 1]", "api", "a float32 image with values down to -0.5",
         "ok", "", _api(photo().astype(np.float32) / 255 - 0.5),
         check=lambda out: _own_range_fill(out, photo().astype(np.float32) / 255 - 0.5, hole()),
         sees="filled by its own range, negative values kept"),
    Case("api-float-in-range", "float image outside [0, 1]", "api", "a float32 image in [0, 1]", "ok", "",
         _api(photo().astype(np.float32) / 255),
         check=lambda out: out.dtype == np.float32 and _known_kept(out, photo().astype(np.float32) / 255, hole()),
         sees="filled, float32 back, known pixels bit-identical"),
    Case("api-nan-pixel", "NaN or infinite pixels", "api", "a float image with one NaN pixel (outside the hole)",
         "error", "image holds 1 NaN or infinite value;", _api(_with(photo().astype(np.float32) / 255, (0, 0, 0), np.nan)),
         exc=InpaintError),
    Case("api-inf-pixel", "NaN or infinite pixels", "api", "a float image with one +inf pixel", "error",
         "image holds 1 NaN or infinite value;", _api(_with(photo().astype(np.float64) / 255, (3, 4, 1), np.inf)),
         exc=InpaintError),
    Case("api-nan-mask", "NaN or infinite pixels", "api", "a float mask with a NaN", "error",
         "mask holds 1 NaN or infinite value;", _api(mask=_with(hole().astype(np.float32), (0, 0), np.nan)),
         exc=InpaintError),
    Case("api-int64-rgb-mask-100", "mask rule across shapes and dtypes", "api", "an int64 [H,W,3] mask of value 100 "
         "everywhere", "warning", "no hole pixels", _api(mask=np.full((H, W, 3), 100, np.int64)), exc=EmptyMaskWarning,
         check=lambda out: np.array_equal(out, photo()), sees="no hole (100 <= 127), as for an [H,W] mask of 100"),
    Case("api-int64-grey-mask-100", "mask rule across shapes and dtypes", "api", "an int64 [H,W] mask of value 100",
         "warning", "no hole pixels", _api(mask=np.full((H, W), 100, np.int64)), exc=EmptyMaskWarning,
         check=lambda out: np.array_equal(out, photo()), sees="no hole, as for [H,W,3]"),
    Case("api-int64-rgb-mask-200", "mask rule across shapes and dtypes", "api", "an int64 [H,W,3] mask, 200 on the "
         "hole", "ok", "", _api(mask=np.repeat(hole()[..., None] * np.int64(200), 3, axis=2)),
         check=lambda out: _known_kept(out, photo(), hole()), sees="filled where the mask is > 127"),
    Case("api-float-rgb-mask-half", "mask rule across shapes and dtypes", "api", "float [H,W] and [H,W,3] masks of "
         "exactly 0.5", "warning", "no hole pixels", _api(mask=np.full((H, W, 3), 0.5)), exc=EmptyMaskWarning,
         check=lambda out: np.array_equal(out, photo()), sees="no hole (hole = > 0.5 for every shape)"),
    Case("api-float-mask-0-255", "mask rule across shapes and dtypes", "api", "a float mask of 0 and 255", "error",
         "float mask values must be in [0, 1], got 0..255", _api(mask=hole().astype(np.float32) * 255),
         exc=InpaintError),
    Case("api-max-pixels-0", "max_pixels not positive", "api", "max_pixels=0", "error",
         "max_pixels must be a positive whole number or None, got 0",
         lambda: inpaint(photo(), hole(), "telea", max_pixels=0), exc=InpaintError),
    Case("api-max-pixels-bool", "max_pixels not positive", "api", "max_pixels=True", "error",
         "max_pixels must be a positive whole number or None, got True",
         lambda: inpaint(photo(), hole(), "telea", max_pixels=True), exc=InpaintError),
    # --- the command line's checks before the work, and its one-line messages ---
    Case("fill-corrupt-exif", "corrupt EXIF data", "fill", "a JPEG whose EXIF block is damaged", "warning",
         "warning: Tag data larger than file", _fill("in/exif.jpg"),
         check=lambda root: _out(root).shape == (H, W, 3), sees="filled; Pillow's complaint as one line, no path"),
    Case("eval-corrupt-exif", "corrupt EXIF data", "eval", "a data folder holding a JPEG with damaged EXIF", "warning",
         "warning: Tag data larger than file", (*EVAL, "--data", "in/ev_exif", "--masks", "in/evm"),
         check=lambda root: "telea" in json.loads((root / "out/r.json").read_text()),
         sees="evaluated; Pillow's complaint as one line, no path"),
    Case("fill-webp-too-wide", "output larger than its format holds", "fill", "a 100000x2 photo to --out o.webp",
         "error", "WebP holds at most 16383 pixels per side", _fill("in/wide.png", "in/wide_mask.png", "out/o.webp")),
    Case("fill-png-wide", "output larger than its format holds", "fill", "the same photo to --out o.png", "ok", "",
         _fill("in/wide.png", "in/wide_mask.png", "out/o.png"), check=lambda root: _out(root).shape == (2, 100_000, 3),
         sees="filled (PNG has no such limit)"),
    Case("fill-newline-name", "file name with a newline", "fill", "a 0-byte mask named 'bad\\nname.png'", "error",
         "'in/bad\\nname.png': file is empty", _fill("in/a.png", "in/bad\nname.png")),
    Case("fill-newline-batch", "file name with a newline", "fill", "a folder holding a 0-byte 'x\\ny.png'",
         "partial", "x\\ny.png: cannot read image 'in/nl/x\\ny.png': file is empty",
         (*FILL, "in/nl", "--mask", "in/nlm", "--out", "out/f"), check=lambda root: os.listdir(root / "out/f") == ["a.png"],
         sees="a.png filled; the name shown with `\\n`, its reason kept"),
    Case("fill-dangling-link", "broken symbolic link in a batch", "fill", "a photo folder holding a.png and a link "
         "b.png to a file that does not exist", "partial", "b.png: broken symbolic link",
         (*FILL, "in/links", "--mask", "in/linksm", "--out", "out/f"),
         check=lambda root: os.listdir(root / "out/f") == ["a.png"], sees="a.png filled; b.png listed, not skipped silently"),
    Case("masks-size-huge", "size or opset out of range", "masks", "--size 2000000", "error",
         "--size must be from 8 to 2,048, got 2,000,000", ("masks", "--out", "out/m", "--size", "2000000")),
    Case("masks-n-huge", "size or opset out of range", "masks", "--n 10000000", "error",
         "--n must be from 1 to 100,000", ("masks", "--out", "out/m", "--n", "10000000")),
    Case("export-opset-99", "size or opset out of range", "export", "--opset 99", "error",
         "--opset must be a whole number from 17 to", ("export", "--opset", "99", "-o", "out/m.onnx")),
    Case("export-opset-16", "size or opset out of range", "export", "--opset 16", "error",
         "--opset must be a whole number from 17 to", ("export", "--opset", "16", "-o", "out/m.onnx")),
)


# --- running one case ----------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one case did: ``code`` (exit code, HTTP status, or the exception / ``"returned"`` for the API),
    ``line`` (the error / warning line the user sees), ``lines`` (all stderr lines of a CLI run),
    ``crashed`` (a traceback escaped), ``changed`` (paths under the case folder added, removed or modified),
    ``stdout`` (a CLI run's output lines) and ``result`` (what ``Case.check`` inspects)."""

    code: Any
    line: str = ""
    lines: list = field(default_factory=list)
    crashed: str = ""
    changed: list = field(default_factory=list)
    result: Any = None
    stdout: list = field(default_factory=list)


def snapshot(root: Path) -> dict:
    """Every file and folder under ``root``: relative path -> (size, mtime_ns) (None for folders)."""
    out = {}
    for p in root.rglob("*"):
        st = p.lstat()  # a link that points nowhere is listed as itself
        out[str(p.relative_to(root))] = None if p.is_dir() else (st.st_size, st.st_mtime_ns)
    return out


_CLIENT = {}


def http_client():
    """The server under test: Telea, 1 MB bodies, 200,000 pixels (created once)."""
    if "c" not in _CLIENT:
        from fastapi.testclient import TestClient

        from inpaintkit.server import create_app

        _CLIENT["c"] = TestClient(create_app("telea", max_upload_mb=1, max_pixels=200_000), raise_server_exceptions=False,
                                 base_url="http://127.0.0.1:8080")
    return _CLIENT["c"]


def run_case(case: Case, root: Path) -> Outcome:
    """Run one case with ``root`` (made by :func:`make_inputs`) as the working folder and a fresh empty ``out/``."""
    shutil.rmtree(root / "out", ignore_errors=True)
    (root / "out").mkdir()
    before = snapshot(root)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        if case.entry in CLI_ENTRIES:
            r = CliRunner().invoke(app, list(case.run))
            err = [ln for ln in r.stderr.splitlines() if ln.strip()]
            crashed = ""
            if r.exception is not None and not isinstance(r.exception, SystemExit):
                crashed = "".join(traceback.format_exception(*r.exc_info))
            out = [ln for ln in r.stdout.splitlines() if ln.strip()]
            o = Outcome(r.exit_code, err[0] if err else "", err, crashed, stdout=out, result=root)
            if case.expect == "partial":  # a batch with failures: the line that lists the case's file
                o.line = next((ln.strip() for ln in out if case.match in ln), "")
        elif case.entry == "api":
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    value = case.run()
                    o = Outcome("returned", result=value)
                except Exception as e:  # noqa: BLE001 - the table says which type is right
                    o = Outcome(type(e), str(e), result=e)
            hits = [w for w in caught if case.exc is not None and issubclass(w.category, case.exc)]
            if o.code == "returned" and hits:
                o.line = str(hits[0].message)
        else:
            r = case.run(http_client())
            try:
                detail = r.json().get("detail") if r.status_code != 200 else ""
            except ValueError:
                detail = None
            o = Outcome(r.status_code, detail if isinstance(detail, str) else repr(detail), result=r)
    finally:
        os.chdir(cwd)
    after = snapshot(root)
    o.changed = sorted(k for k in set(before) | set(after) if before.get(k, 0) != after.get(k, 0))
    return o


def check_outcome(case: Case, o: Outcome, root: Path) -> None:
    """The contract (module doc) for one case; AssertionError naming the case otherwise."""
    where = f"[{case.id}]"
    assert not o.crashed, f"{where} traceback:\n{o.crashed}"
    assert not (root / MARKER).exists(), f"{where} the malicious pickle ran"
    if case.expect == "error":
        assert o.changed == [], f"{where} a failure left files behind or changed them: {o.changed}"
    else:
        assert all(p.startswith("out") for p in o.changed), f"{where} wrote outside the output folder: {o.changed}"
    if case.entry in CLI_ENTRIES:
        if case.expect == "error":
            assert o.code == 2, f"{where} exit code {o.code}, stderr {o.lines}"
            assert len(o.lines) == 1 and o.line.startswith("error: "), f"{where} stderr must be one error line: {o.lines}"
        elif case.expect == "partial":  # a folder batch: exit 1, every failure listed in the summary, no stderr
            assert o.code == 1 and o.lines == [], f"{where} exit code {o.code}, stderr {o.lines}"
            assert o.stdout and o.stdout[0].startswith("filled "), f"{where} no summary: {o.stdout}"
        else:
            assert o.code == 0, f"{where} exit code {o.code}, stderr {o.lines}"
            if case.expect == "warning":
                assert len(o.lines) == 1 and o.line.startswith("warning: "), f"{where} one warning line: {o.lines}"
            else:
                assert o.lines == [], f"{where} unexpected stderr {o.lines}"
    elif case.entry == "api":
        if case.expect == "error":
            assert o.code is not None and o.code is case.exc, f"{where} raised {o.code}, expected {case.exc}: {o.line}"
        else:
            assert o.code == "returned", f"{where} raised {o.code}: {o.line}"
            if case.expect == "warning":
                assert o.line, f"{where} expected a {case.exc.__name__}"
    else:
        assert o.code < 500, f"{where} server error {o.code}: {o.line}"
        if case.expect == "error":
            assert o.code == case.status, f"{where} status {o.code}, expected {case.status}: {o.line}"
        else:
            assert o.code == 200, f"{where} status {o.code}: {o.line}"
    if case.expect != "ok":
        assert "\n" not in o.line and case.match in o.line, f"{where} expected {case.match!r} in {o.line!r}"
    if case.check is not None:
        assert case.check(o.result), f"{where} the accepted input's result is wrong"


# --- the tests -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    n = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors; a busy CPU makes more threads wait
    yield make_inputs(tmp_path_factory.mktemp("bad_inputs"))
    torch.set_num_threads(n)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case, root):
    check_outcome(case, run_case(case, root), root)


def test_the_table_covers_every_kind_and_entry_point():
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"
    assert {c.kind for c in CASES} == set(KINDS), set(KINDS) ^ {c.kind for c in CASES}
    assert len(KINDS) >= 25
    assert {c.entry for c in CASES} == set(ENTRIES)
    for c in CASES:
        assert c.expect in ("error", "warning", "ok", "partial"), c.id
        assert c.expect != "partial" or c.entry == "fill", c.id
        assert c.expect == "ok" or c.match, f"{c.id}: an error or warning row needs a message to match"
        assert c.expect != "ok" or c.sees, f"{c.id}: an accepted input needs the documented behaviour in 'sees'"
        assert c.entry != "api" or c.expect == "ok" or c.exc is not None, c.id
        assert c.entry != "http" or c.expect != "error" or 400 <= c.status < 500, c.id


def test_the_contract_check_can_fail(root):
    """The checker is not a tautology: a wrong exit code, a leftover file or a 5xx are caught."""
    case = next(c for c in CASES if c.id == "fill-zero-byte-image")
    with pytest.raises(AssertionError, match="exit code"):
        check_outcome(case, Outcome(1, "error: x", ["error: x"]), root)
    with pytest.raises(AssertionError, match="left files behind"):
        check_outcome(case, Outcome(2, "error: file is empty", ["error: file is empty"], changed=["out/o.png"]), root)
    with pytest.raises(AssertionError, match="one error line"):
        check_outcome(case, Outcome(2, "error: a", ["error: a", "Traceback"]), root)
    http = next(c for c in CASES if c.id == "http-json-deep")
    with pytest.raises(AssertionError, match="server error"):
        check_outcome(http, Outcome(500, "internal error"), root)


# --- round two (issue 13): what the table cannot express ---------------------------------------------------


def test_other_formats_never_reach_their_plugin(root, monkeypatch):
    """An EPS file is refused before Pillow's EPS plugin (which runs Ghostscript) is even asked to open it."""
    from PIL import EpsImagePlugin

    from inpaintkit.images import read_mask

    opened = []
    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open", lambda self: opened.append(1))
    with pytest.raises(ImageReadError, match="unsupported format EPS"):
        read_picture(root / "in/photo_eps.png")
    with pytest.raises(ImageReadError, match="unsupported format EPS"):
        read_mask(root / "in/photo_eps.png")
    r = http_client().post("/api/inpaint", files={"image": ("a", (root / "in/photo_eps.png").read_bytes()),
                                                  "mask": ("m", (root / "in/mask.png").read_bytes())})
    assert r.status_code == 415 and opened == []


def test_a_failing_model_ends_no_batch(root, tmp_path):
    """An unexpected error on one photo (here every photo) is listed in the summary; the batch goes on."""
    from inpaintkit.batch import fill_folder

    class Broken:
        def fill(self, image, mask):
            raise RuntimeError("kaputt\nsecond line")

    report = fill_folder(root / "in/modes", root / "in/modesm", tmp_path / "out", Broken(), progress=False)
    assert report.failed == 2 and report.filled == []
    assert [why for _, why in report.skipped] == ["unexpected RuntimeError: kaputt"] * 2


def test_onnx_output_of_another_shape_is_refused_when_run(tmp_path):
    """A graph that declares [B,3,H,W] but returns something else is refused, not broadcast into the photo."""
    from inpaintkit.export import ExportError, OnnxInpainter

    good = tmp_path / "identity.onnx"
    good.write_bytes(onnx_graph())
    filler = OnnxInpainter(good)
    image, mask = torch.rand(1, 3, 16, 16), torch.zeros(1, 1, 16, 16)
    mask[..., 4:8, 4:8] = 1
    assert filler.fill(image, mask).shape == (1, 3, 16, 16)

    class Session:  # stands in for onnxruntime: returns [B,1,1,1]
        def run(self, names, feed):
            return [np.zeros((1, 1, 1, 1), np.float32)]

    filler.session = Session()
    with pytest.raises(ExportError, match=r"returned float32 \[1, 1, 1, 1\].*\[B,3,H,W\]"):
        filler.fill(image, mask)


def test_resume_refuses_nan_and_bit_flipped_checkpoints(tmp_path):
    from inpaintkit.checkpoint import load_state, save_state

    net = create_model("fillnet", **SMALL)
    opt = torch.optim.Adam(net.parameters())
    path = tmp_path / "checkpoint-last.safetensors"
    save_state(path, config={"model": "fillnet"}, step=3, modules={"g": net}, optimizers={"opt_g": opt})
    assert load_state(path, modules={"g": net}, optimizers={"opt_g": opt})[0] == 3
    data = bytearray(path.read_bytes())
    data[-20] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="do not match the checksum"):
        load_state(path, modules={"g": net}, optimizers={"opt_g": opt})
    with torch.no_grad():
        next(net.parameters())[0, 0, 0, 0] = float("nan")
    save_state(path, config={"model": "fillnet"}, step=4, modules={"g": net}, optimizers={"opt_g": opt})
    with pytest.raises(CheckpointError, match="holds NaN or infinite values"):
        load_state(path, modules={"g": create_model("fillnet", **SMALL)}, optimizers={})


def test_model_configs_are_checked_before_anything_is_built(root, monkeypatch):
    """The 200-byte n_blocks=5000 file never reaches the network's constructor."""
    from inpaintkit.checkpoint import load_model
    from inpaintkit.models import generators

    built = []
    real = generators.FillNet.__init__
    monkeypatch.setattr(generators.FillNet, "__init__", lambda self, *a, **k: (built.append(k), real(self, *a, **k))[1])
    with pytest.raises(CheckpointError, match="n_blocks must be a whole number from 0 to 64, got 5000"):
        load_model(root / "in/n5000.safetensors")
    with pytest.raises(CheckpointError, match="does not fit this model"):  # in bounds, but not these tensors
        load_model(root / "in/other_shape.safetensors")
    assert built == [{}]  # the second file's shapes were compared on the meta device only: one (meta) build


# --- round two, the rest (issue 13, items 12 and 14): what the table cannot express --------------------------


def _can_create_in(folder: Path) -> bool:
    try:
        probe = folder / ".probe"
        probe.write_bytes(b"")
        probe.unlink()
        return True
    except OSError:
        return False


@pytest.fixture
def unwritable(tmp_path) -> Path:
    """A folder in which no file can be created: a read-only folder, or (as root, who ignores permission bits)
    /sys, where nobody can create a regular file."""
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o555)
    try:
        if not _can_create_in(d):
            yield d
        elif Path("/sys").is_dir() and not _can_create_in(Path("/sys")):
            yield Path("/sys")
        else:
            pytest.skip("no folder here refuses new files")
    finally:
        d.chmod(0o755)


def test_outputs_that_cannot_be_written_fail_before_the_work(root, unwritable, monkeypatch):
    """eval --json, masks --out, export -o and train --out into a folder that refuses new files: one error line at
    once; the evaluation, the model and the masks are never started."""
    from inpaintkit import evaluate, export, masks

    started = []
    monkeypatch.setattr(evaluate, "prepare_pairs", lambda *a, **k: started.append("eval"))
    monkeypatch.setattr(export, "_network", lambda *a, **k: started.append("export"))
    monkeypatch.setattr(masks, "MaskGenerator", lambda *a, **k: started.append("masks"))
    runs = {
        "--json": ["eval", "-m", "telea", "-q", "--data", str(root / "in/ev"), "--masks", str(root / "in/evm"),
                   "--json", str(unwritable / "new" / "r.json")],
        "--out": ["masks", "--out", str(unwritable / "m")],
        "--out ": ["export", "-o", str(unwritable / "m.onnx")],
        "--out  ": ["train", "--data", str(root / "in/celeba"), "--out", str(unwritable / "run")],
    }
    for option, argv in runs.items():
        r = CliRunner().invoke(app, argv)
        err = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert r.exit_code == 2 and len(err) == 1, (argv, r.exit_code, r.output, r.exception)
        assert err[0].startswith(f"error: cannot write {option.strip()} '"), err
    assert started == []


class _Locked:
    """Makes ``paths`` unreadable for this process as chmod 000 would (root ignores permission bits, so the
    open itself is made to fail with EACCES, for Python's and Pillow's opens and folder listings)."""

    def __init__(self, monkeypatch, *paths: Path):
        import builtins

        self.locked = {str(p.resolve()) for p in paths}
        real_open, real_listdir, real_scandir = builtins.open, os.listdir, os.scandir

        def check(p):
            if isinstance(p, (str, os.PathLike)) and str(Path(os.fsdecode(p)).resolve()) in self.locked:
                raise PermissionError(13, "Permission denied", os.fsdecode(p))

        monkeypatch.setattr(builtins, "open", lambda f, *a, **k: (check(f), real_open(f, *a, **k))[1])
        monkeypatch.setattr(io, "open", builtins.open)
        monkeypatch.setattr(os, "listdir", lambda p=".": (check(p), real_listdir(p))[1])
        monkeypatch.setattr(os, "scandir", lambda p=".": (check(p), real_scandir(p))[1])


def test_unreadable_inputs_are_one_error_line(root, tmp_path, monkeypatch):
    """A photo, a mask or a mask folder that cannot be read (chmod 000): ``error: ... permission denied``, never a
    traceback box or "corrupt image"."""
    photo_, mask_ = tmp_path / "p.png", tmp_path / "m.png"
    shutil.copy(root / "in/a.png", photo_)
    shutil.copy(root / "in/mask.png", mask_)
    masks_dir = tmp_path / "masks"
    shutil.copytree(root / "in/evm", masks_dir)
    out = str(tmp_path / "out.png")
    if os.geteuid() == 0:
        _Locked(monkeypatch, photo_, mask_, masks_dir)
    else:
        for p in (photo_, mask_, masks_dir):
            p.chmod(0)
    try:
        runs = [(["fill", str(photo_), "--mask", str(root / "in/mask.png"), "--out", out, "--model", "telea", "-q"],
                 f"error: cannot read image '{photo_}': permission denied"),
                (["fill", str(root / "in/a.png"), "--mask", str(mask_), "--out", out, "--model", "telea", "-q"],
                 f"error: cannot read image '{mask_}': permission denied"),
                (["eval", "-m", "telea", "-q", "--data", str(root / "in/ev"), "--masks", str(masks_dir)],
                 f"error: Permission denied: '{masks_dir}'")]
        for argv, line in runs:
            r = CliRunner().invoke(app, argv)
            err = [ln for ln in r.stderr.splitlines() if ln.strip()]
            assert r.exit_code == 2 and err == [line], (argv, r.exit_code, r.output, r.exception)
    finally:
        for p in (photo_, mask_, masks_dir):
            p.chmod(0o755)


def test_output_size_is_checked_before_the_fill(root, tmp_path):
    """A picture wider than WebP holds is refused before the model runs (not after a long fill)."""
    from inpaintkit.images import write_picture
    from inpaintkit.inference import fill_file

    class Counting:
        calls = 0

        def fill(self, image, mask):
            Counting.calls += 1
            return image

    with pytest.raises(InpaintError, match="100000x2 pixels, but WebP holds at most 16383 pixels per side"):
        fill_file(root / "in/wide.png", root / "in/wide_mask.png", tmp_path / "o.webp", Counting())
    assert Counting.calls == 0 and list(tmp_path.iterdir()) == []
    with pytest.raises(InpaintError, match="JPEG holds at most 65500"):
        write_picture(tmp_path / "o.jpg", np.zeros((1, 70_000, 3), np.uint8))


def test_masks_are_checked_before_the_folder_is_made(tmp_path):
    from inpaintkit.masks import write_samples

    with pytest.raises(ValueError, match="size must be a whole number from 8 to 2,048, got 2000000"):
        write_samples(tmp_path / "m", size=2_000_000)
    assert not (tmp_path / "m").exists()
