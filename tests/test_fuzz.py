"""Bounded fuzzing (hypothesis) of what reads untrusted bytes: the image / mask readers and the HTTP API.

The only failures allowed are the documented clear ones:

* readers (``read_image``, ``read_mask``, ``read_picture``): :class:`~inpaintkit.images.ImageReadError`, one line;
  whatever they accept comes back in the documented shape and dtype;
* ``POST /api/inpaint``: a 2xx PNG or a 4xx ``{"detail": "one line"}`` — never a 5xx, never a crash.

Runs are derandomized (the same examples every run, no example database written) and small, so the file takes a
few seconds; ``INPAINTKIT_FUZZ_EXAMPLES=2000 pytest tests/test_fuzz.py`` digs deeper.
"""
from __future__ import annotations

import base64
import io
import json
import os
import struct
import zlib

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from inpaintkit.images import ImageReadError, read_image, read_mask, read_picture
from inpaintkit.server import create_app

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns about the corrupt EXIF it skips

N = int(os.environ.get("INPAINTKIT_FUZZ_EXAMPLES", "0")) or None
FUZZ = settings(max_examples=N or 120, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _encode(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _seeds() -> dict[str, bytes]:
    """Small valid files of the formats and modes the readers meet (the mutation seeds)."""
    rng = np.random.default_rng(0)
    rgb = Image.fromarray((rng.random((12, 16, 3)) * 255).astype(np.uint8))
    rgba = Image.fromarray((rng.random((12, 16, 4)) * 255).astype(np.uint8))
    pal = rgb.convert("P")
    pal.info["transparency"] = 3
    return {
        "png": _encode(rgb, "PNG"),
        "png16": _encode(Image.fromarray((rng.random((12, 16)) * 65535).astype(np.uint16)), "PNG"),
        "png-rgba": _encode(rgba, "PNG"),
        "png-palette": _encode(pal, "PNG"),
        "jpeg": _encode(rgb, "JPEG", quality=90),
        "jpeg-cmyk": _encode(rgb.convert("CMYK"), "JPEG"),
        "jpeg-exif": _encode(rgb, "JPEG", exif=_exif(6)),
        "gif": _encode(rgb.convert("P"), "GIF"),
        "bmp": _encode(rgb, "BMP"),
        "tiff": _encode(rgb, "TIFF"),
        "webp": _encode(rgb, "WEBP", lossless=True),
    }


def _exif(orientation: int) -> bytes:
    ex = Image.Exif()
    ex[0x0112] = orientation
    return ex.tobytes()


SEEDS = _seeds()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@st.composite
def mutated(draw) -> bytes:
    """A valid seed file with a few byte edits: flips, overwrites, cuts, insertions, or a PNG header rewritten
    with a correct CRC (so the decoder trusts the odd width, height, depth or colour type)."""
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "set", "cut", "insert", "ihdr"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[pos:]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif op == "ihdr" and data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
            w, h = draw(st.integers(0, 2**31 - 1)), draw(st.integers(0, 70))
            depth, colour = draw(st.sampled_from([1, 2, 4, 8, 16])), draw(st.sampled_from([0, 2, 3, 4, 6, 5]))
            ihdr = struct.pack(">IIBBBBB", w, h, depth, colour, 0, 0, draw(st.integers(0, 1)))
            data[8:33] = _chunk(b"IHDR", ihdr)
    return bytes(data)


ANY_BYTES = st.one_of(st.binary(max_size=300), mutated())


def _read_all(path) -> None:
    """Every reader on one file: a result in the documented form, or one ImageReadError line."""
    for reader in (read_image, read_mask, read_picture):
        try:
            out = reader(path)
        except ImageReadError as e:
            msg = str(e)
            assert msg.startswith("cannot read image ") and "\n" not in msg, msg
            continue
        if reader is read_image:
            assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3 and min(out.shape[:2]) >= 1
        elif reader is read_mask:
            assert out.dtype == bool and out.ndim == 2
        else:
            a = out.pixels
            assert a.dtype in (np.uint8, np.uint16) and (a.ndim == 2 or (a.ndim == 3 and a.shape[2] in (2, 3, 4)))


@FUZZ
@given(data=ANY_BYTES, suffix=st.sampled_from([".png", ".jpg", ".bin", ".tif"]))
def test_readers_on_random_and_mutated_files(tmp_path, data, suffix):
    path = tmp_path / f"x{suffix}"
    path.write_bytes(data)
    _read_all(path)


def test_the_mutator_reaches_both_outcomes(tmp_path):
    """Not a tautology: the mutated inputs include files that decode and files that are refused."""
    outcomes = set()

    @settings(max_examples=60, deadline=None, derandomize=True, database=None)
    @given(data=mutated())
    def probe(data):
        (tmp_path / "p.png").write_bytes(data)
        try:
            read_image(tmp_path / "p.png")
            outcomes.add("read")
        except ImageReadError:
            outcomes.add("refused")

    probe()
    assert outcomes == {"read", "refused"}


# --- the HTTP API ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client() -> TestClient:
    # Telea fills in microseconds; a small pixel cap keeps every accepted upload cheap
    return TestClient(create_app("telea", max_upload_mb=0.25, max_pixels=40_000), raise_server_exceptions=False,
                      base_url="http://127.0.0.1")


def _check_answer(r) -> None:
    assert r.status_code < 500, (r.status_code, r.text[:300])
    if r.status_code == 200:
        assert r.headers["content-type"] == "image/png" and r.content[:8] == b"\x89PNG\r\n\x1a\n"
        return
    assert 400 <= r.status_code < 500
    body = r.json()
    assert isinstance(body.get("detail"), str) and body["detail"] and "\n" not in body["detail"], body


GOOD_MASK = _encode(Image.fromarray(np.pad(np.full((4, 6), 255, np.uint8), ((4, 4), (5, 5)))), "PNG")  # 12x16
FILE_BYTES = st.one_of(st.sampled_from([SEEDS["png"], GOOD_MASK, b""]), ANY_BYTES)
CTYPES = st.sampled_from(["multipart/form-data; boundary=XyZ", "multipart/form-data", "application/json",
                          "application/json; charset=latin-1", "text/plain", "", "multipart/mixed; boundary=XyZ"])


@st.composite
def multipart_body(draw) -> bytes:
    """A multipart body for boundary ``XyZ`` from drawn parts (names, filenames, headers, contents), sometimes cut."""
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        name = draw(st.sampled_from(["image", "mask", "other", "", 'a"b']))
        head = f'Content-Disposition: form-data; name="{name}"'
        if draw(st.booleans()):
            head += '; filename="f.png"'
        if draw(st.booleans()):
            head += "\r\nContent-Type: " + draw(st.sampled_from(["image/png", "text/plain", "x/y; a=b"]))
        parts.append(b"--XyZ\r\n" + head.encode() + b"\r\n\r\n" + draw(FILE_BYTES) + b"\r\n")
    body = b"".join(parts) + (b"--XyZ--\r\n" if draw(st.booleans()) else b"")
    if draw(st.booleans()):
        body = body[: draw(st.integers(0, len(body)))]
    return body


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                           lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4),
                           max_leaves=12)
B64 = FILE_BYTES.map(lambda b: base64.b64encode(b).decode())


@st.composite
def json_body(draw) -> bytes:
    """A JSON body: any JSON value, or an object with ``image`` / ``mask`` holding base64 of drawn files, data URLs,
    non-base64 text or other JSON values; sometimes raw bytes that are not JSON at all, or very deep nesting."""
    kind = draw(st.sampled_from(["value", "object", "raw", "deep"]))
    if kind == "raw":
        return draw(st.binary(max_size=200))
    if kind == "deep":  # nesting deep enough to exhaust a recursive parser
        n = draw(st.integers(1, 200_000))
        return b"[" * n + b"]" * draw(st.sampled_from([0, n]))
    if kind == "value":
        return json.dumps(draw(JSON_VALUES)).encode()
    field = st.one_of(B64, B64.map(lambda s: "data:image/png;base64," + s), st.text(max_size=30), JSON_VALUES)
    obj = {k: draw(field) for k in ("image", "mask") if draw(st.integers(0, 5))}
    if draw(st.integers(0, 5)) == 0:
        obj[draw(st.text(max_size=6))] = draw(JSON_VALUES)
    return json.dumps(obj).encode()


@FUZZ
@given(body=st.one_of(multipart_body(), json_body(), st.binary(max_size=300)), ctype=CTYPES)
def test_inpaint_route_answers_every_body_with_a_png_or_a_4xx(client, body, ctype):
    headers = {"content-type": ctype} if ctype else {}
    _check_answer(client.post("/api/inpaint", content=body, headers=headers))


@FUZZ
@given(image=FILE_BYTES, mask=FILE_BYTES)
def test_inpaint_route_on_fuzzed_uploads(client, image, mask):
    r = client.post("/api/inpaint", files={"image": ("i.png", image, "image/png"), "mask": ("m.png", mask, "image/png")})
    _check_answer(r)


def test_a_valid_upload_is_filled(client):
    """The fuzzed route is the working one: a valid pair gives 200 (so the 4xx above are refusals, not a broken app)."""
    r = client.post("/api/inpaint", files={"image": ("i.png", SEEDS["png"], "image/png"),
                                           "mask": ("m.png", GOOD_MASK, "image/png")})
    assert r.status_code == 200, r.text
