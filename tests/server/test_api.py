"""The server's API with FastAPI's test client: good requests, bad ones, limits and bounded concurrency.

The model is OpenCV's Telea method (fast, no weights) unless the test is about the model itself.
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import socket
import struct
import threading
import time
import zlib

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from typer.testing import CliRunner

from inpaintkit.server import ServerSettings, create_app

pytestmark = pytest.mark.light  # the torch-free install runs these too (`make test-light`)

BASE = "http://127.0.0.1:8080"  # the server answers loopback Host names only


def png(a: np.ndarray, mode: str | None = None) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(a, mode=mode).save(buf, format="PNG")
    return buf.getvalue()


def decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    """A 48x64 picture with structure (gradients + a bright square), uint8 RGB."""
    y, x = np.mgrid[0:48, 0:64]
    img = np.stack([x * 4, y * 5, (x + y) * 2], axis=-1).astype(np.uint8)
    img[10:20, 40:55] = 250
    return img


@pytest.fixture(scope="module")
def hole() -> np.ndarray:
    m = np.zeros((48, 64), np.uint8)
    m[14:30, 18:34] = 255
    return m


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app("telea", max_upload_mb=1, max_pixels=200_000), base_url=BASE)


def post(client, image: bytes, mask: bytes):
    return client.post("/api/inpaint", files={"image": ("photo.png", image, "image/png"),
                                              "mask": ("mask.png", mask, "image/png")})


# --- good requests -------------------------------------------------------------------------------


def test_multipart_fill_changes_only_the_hole(client, photo, hole):
    r = post(client, png(photo), png(hole))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    assert r.headers["x-inpaint-model"] == "telea"
    assert int(r.headers["x-inpaint-ms"]) >= 0
    out = decode(r.content)
    assert out.shape == photo.shape and out.dtype == np.uint8
    known = hole == 0
    assert np.array_equal(out[known], photo[known])  # known pixels bit-identical
    assert np.abs(out[~known].astype(int) - photo[~known]).mean() > 5  # the hole was really filled


def test_json_base64_and_data_url_give_the_multipart_result(client, photo, hole):
    ref = post(client, png(photo), png(hole)).content
    b64 = base64.b64encode(png(photo)).decode()
    mask_url = "data:image/png;base64," + base64.b64encode(png(hole)).decode()
    r = client.post("/api/inpaint", json={"image": b64, "mask": mask_url})
    assert r.status_code == 200, r.text
    assert np.array_equal(decode(r.content), decode(ref))


def test_transparent_brush_layer_mask_uses_alpha(client, photo, hole):
    layer = np.zeros((48, 64, 4), np.uint8)
    layer[..., 0] = 255  # red brush colour everywhere: only the alpha says where the hole is
    layer[..., 3] = hole
    a = decode(post(client, png(photo), png(layer)).content)
    b = decode(post(client, png(photo), png(hole)).content)
    assert np.array_equal(a, b)


def test_grey_photo_comes_back_grey(client, photo, hole):
    grey = photo[..., 1].copy()
    r = post(client, png(grey), png(hole))
    assert r.status_code == 200, r.text
    out = decode(r.content)
    assert out.shape == grey.shape
    assert np.array_equal(out[hole == 0], grey[hole == 0])


def test_upload_over_the_spool_size_is_read_from_disk():
    noise = np.random.default_rng(1).integers(0, 256, (720, 720, 3), dtype=np.uint8)
    data = png(noise)
    assert len(data) > 1024 * 1024  # Starlette keeps parts up to 1 MB in memory, larger ones on disk
    m = np.zeros((720, 720), np.uint8)
    m[300:340, 100:600] = 255
    r = post(TestClient(create_app("telea"), base_url=BASE), data, png(m))
    assert r.status_code == 200, r.text
    out = decode(r.content)
    assert np.array_equal(out[m == 0], noise[m == 0]) and not np.array_equal(out[m > 0], noise[m > 0])


def test_alpha_channel_is_kept(client, photo, hole):
    rgba = np.dstack([photo, np.full(photo.shape[:2], 200, np.uint8)])
    r = post(client, png(rgba), png(hole))
    assert r.status_code == 200, r.text
    out = decode(r.content)
    assert out.shape == rgba.shape and (out[..., 3] == 200).all()
    assert np.array_equal(out[hole == 0], rgba[hole == 0])
    assert not np.array_equal(out[hole > 0, :3], photo[hole > 0])


def test_health_models_page_and_docs(client):
    h = client.get("/api/health").json()
    assert h["status"] == "ok" and h["model"] == "telea" and h["pending"] == 0
    assert h["max_pixels"] == 200_000 and h["max_upload_mb"] == 1
    m = client.get("/api/models").json()
    assert m["loaded"] == "telea"
    telea = next(x for x in m["models"] if x["name"] == "telea")
    assert telea["kind"] == "classical" and telea["selectable"] and "Telea" in telea["description"]
    page = client.get("/")
    assert page.status_code == 200 and "Fill" in page.text and "/static/app.js" in page.text
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/style.css").status_code == 200
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui-bundle.js" in docs.text
    assert "https://" not in docs.text and "http://" not in docs.text  # no CDN: the docs work offline
    body = client.get("/openapi.json").json()["paths"]["/api/inpaint"]["post"]["requestBody"]["content"]
    assert {"multipart/form-data", "application/json"} <= set(body)


# --- bad requests --------------------------------------------------------------------------------


def detail(r) -> str:
    body = r.json()
    assert isinstance(body["detail"], str), body
    return body["detail"]


def test_not_an_image_is_415(client, hole):
    r = post(client, b"this is a text file, not a picture", png(hole))
    assert r.status_code == 415
    assert detail(r).startswith("image: not an image")


def test_damaged_or_empty_files_are_422(client, photo, hole):
    noise = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    data = png(noise)
    r = post(client, data[: len(data) // 2], png(hole))  # a PNG cut short: the header is fine, the data is not
    assert r.status_code == 422 and detail(r).startswith("image: ")
    r = post(client, png(photo), b"")
    assert r.status_code == 422 and detail(r) == "mask: the file is empty"


def test_size_mismatch_is_422_with_both_sizes(client, photo, hole):
    r = post(client, png(photo), png(hole[:40, :50]))
    assert r.status_code == 422
    assert detail(r) == "mask is 50x40 pixels but the image is 64x48; they must be the same size"


def test_empty_and_full_masks_are_422(client, photo, hole):
    r = post(client, png(photo), png(np.zeros_like(hole)))
    assert r.status_code == 422 and "mask marks no hole" in detail(r)
    r = post(client, png(photo), png(np.full_like(hole, 255)))
    assert r.status_code == 422 and "whole image" in detail(r)


def test_malformed_requests_are_explained(client, photo):
    r = client.post("/api/inpaint", files={"image": ("p.png", png(photo), "image/png")})
    assert r.status_code == 422 and "'mask' is missing" in detail(r)
    r = client.post("/api/inpaint", data={"image": "x", "mask": "y"}, files={"other": ("o", b"1")})
    assert r.status_code == 422 and "must be a file" in detail(r)
    r = client.post("/api/inpaint", content=b"raw bytes", headers={"content-type": "application/octet-stream"})
    assert r.status_code == 415 and "multipart/form-data" in detail(r)
    r = client.post("/api/inpaint", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "not valid JSON" in detail(r)
    r = client.post("/api/inpaint", json={"image": "aGVsbG8="})
    assert r.status_code == 422 and detail(r).startswith("JSON mask: Field required")
    r = client.post("/api/inpaint", json={"image": "%%%not base64%%%", "mask": "aGVsbG8="})
    assert r.status_code == 422 and detail(r) == "image: not valid base64"


# --- limits --------------------------------------------------------------------------------------


def test_body_over_the_cap_is_413(client):
    big = b"\0" * (1024 * 1024 + 1)  # the client's cap is 1 MB
    r = client.post("/api/inpaint", files={"image": ("a.png", big), "mask": ("m.png", b"x")})
    assert r.status_code == 413 and "limit of 1.0 MB" in detail(r)


def test_streamed_body_without_length_is_cut_at_the_cap(client):
    def chunks():  # chunked transfer: no Content-Length, the cap is counted while reading
        for _ in range(40):
            yield b"\0" * 65536

    r = client.post("/api/inpaint", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and "limit" in detail(r)


def test_too_many_pixels_is_413_before_decoding(client, hole):
    r = post(client, png(np.zeros((500, 500, 3), np.uint8)), png(hole))  # 250,000 > 200,000
    assert r.status_code == 413 and "over this server's limit of 200,000" in detail(r)


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels (a decompression bomb's shape)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused(photo, hole):
    app = create_app("telea", max_pixels=10**9)  # even with a huge own limit, Pillow's bomb check holds
    r = post(TestClient(app, base_url=BASE), _png_header_only(100_000, 100_000), png(hole))
    assert r.status_code == 413 and "too many pixels" in detail(r)


# --- concurrency ---------------------------------------------------------------------------------


class GatedModel:
    """A model whose fill waits for a gate, recording how many fills overlap."""

    name = "gated"

    def __init__(self):
        self.gate = threading.Event()
        self.lock = threading.Lock()
        self.running = self.peak = self.calls = 0

    def fill_numpy(self, image, mask):  # numpy arrays: no torch needed (the torch-free install runs this too)
        with self.lock:
            self.running += 1
            self.calls += 1
            self.peak = max(self.peak, self.running)
        self.gate.wait(10)
        with self.lock:
            self.running -= 1
        return image.copy()


def test_bounded_concurrency_queue_and_free_event_loop(photo, hole):
    import httpx2

    model = GatedModel()
    app = create_app(model, max_concurrency=1, max_pending=3)
    files = lambda: {"image": ("p.png", png(photo), "image/png"), "mask": ("m.png", png(hole), "image/png")}  # noqa: E731

    async def scenario():
        async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=BASE) as c:
            queued = [asyncio.create_task(c.post("/api/inpaint", files=files())) for _ in range(3)]
            for _ in range(500):  # wait until the first fill is inside the model
                if model.calls:
                    break
                await asyncio.sleep(0.01)
            health = (await c.get("/api/health")).json()  # answered while the model is busy
            refused = await c.post("/api/inpaint", files=files())
            model.gate.set()
            done = await asyncio.gather(*queued)
            return health, refused, done

    health, refused, done = asyncio.run(scenario())
    assert health["pending"] == 3
    assert refused.status_code == 503 and refused.headers["retry-after"] == "2"
    assert "server busy" in refused.json()["detail"]
    assert [r.status_code for r in done] == [200, 200, 200]
    assert model.calls == 3 and model.peak == 1  # one fill at a time


def test_model_is_loaded_once_at_start_up():
    with pytest.raises(KeyError, match="unknown model 'no-such-model'"):
        create_app("no-such-model")
    with pytest.raises(TypeError, match="object with .fill"):
        create_app(object())
    with pytest.raises(ValueError):  # pydantic's ValidationError is a ValueError
        create_app("telea", max_concurrency=0)


# --- the serve command ---------------------------------------------------------------------------


def test_settings_bind_loopback_by_default():
    s = ServerSettings()
    assert (s.host, s.port, s.model) == ("127.0.0.1", 8080, None)


def test_serve_command_defaults_are_the_settings_defaults():
    import inspect

    from inpaintkit.cli import serve_cmd

    params = inspect.signature(serve_cmd).parameters
    for name in ("host", "port", "model", "max_upload_mb", "max_pixels", "max_concurrency"):
        assert params[name].default.default == ServerSettings.model_fields[name].default, name


def test_serve_command_reports_user_errors_in_one_line():
    from inpaintkit.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["serve", "--model", "no-such-model"])
    assert r.exit_code == 2 and "error: unknown model 'no-such-model'" in r.output
    r = runner.invoke(app, ["serve", "--port", "70000"])
    assert r.exit_code == 2 and "error: --port:" in r.output
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = runner.invoke(app, ["serve", "--model", "telea", "--port", str(port)])
    assert r.exit_code == 2 and f"error: cannot listen on 127.0.0.1:{port}" in r.output
    assert "Traceback" not in r.output


# --- stalled uploads (issue 13, item 1) -------------------------------------------------------------


@contextlib.contextmanager
def serving(app):
    """uvicorn serving ``app`` on a free loopback port in a background thread; yields the port."""
    import uvicorn

    from inpaintkit.server import bind

    sock = bind("127.0.0.1", 0)
    srv = uvicorn.Server(uvicorn.Config(app, log_level="critical"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    try:
        yield sock.getsockname()[1]
    finally:
        srv.should_exit = True
        thread.join(10)
        sock.close()


def _stall(port: int) -> socket.socket:
    """A client that sends a multipart request's headers and its first part header, then nothing."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"POST /api/inpaint HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=b\r\n"
              b"Content-Length: 100000\r\n\r\n--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a\"\r\n\r\n")
    return s


def _status(s: socket.socket) -> int:
    data = b""
    while chunk := s.recv(65536):  # the server closes the connection after its answer
        data += chunk
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0


def test_stalled_uploads_hold_no_fill_slot_and_get_408(photo, hole):
    """20 clients stall after their headers: good requests (more than max_pending of them) are all answered
    meanwhile, health shows the stalled ones as uploading and none as pending, and each stalled one gets 408."""
    import http.client

    app = create_app("telea", max_pending=4, body_timeout_s=3)
    body, ctype = _multipart(png(photo), png(hole))
    with serving(app) as port:
        stalled = [_stall(port) for _ in range(20)]
        time.sleep(0.3)  # the server has the headers of all of them
        t0 = time.monotonic()
        statuses = []
        for _ in range(8):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("POST", "/api/inpaint", body=body, headers={"Content-Type": ctype})
            statuses.append(conn.getresponse().status)
            conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/api/health")
        health = json.loads(conn.getresponse().read())
        assert time.monotonic() - t0 < 3, "the good requests had to wait for the stalled ones"
        late = [_status(s) for s in stalled]
        for s in stalled:
            s.close()
    assert statuses == [200] * 8
    assert health["pending"] == 0 and health["uploading"] == 20
    assert late == [408] * 20


def _inpaint_scope(client_port: int, headers: list) -> dict:
    """The ASGI scope of a raw ``POST /api/inpaint`` from 127.0.0.1 (the app called directly, no HTTP client)."""
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
            "scheme": "http", "path": "/api/inpaint", "raw_path": b"/api/inpaint", "query_string": b"",
            "root_path": "", "client": ("127.0.0.1", client_port), "server": ("127.0.0.1", 8080),
            "headers": [(b"host", b"127.0.0.1:8080"), *headers]}


def test_body_timeout_is_408_for_a_trickled_json_body():
    async def scenario():
        app = create_app("telea", body_timeout_s=0.3)
        sent = []

        async def receive():
            if not sent:
                sent.append(1)
                return {"type": "http.request", "body": b'{"image": ', "more_body": True}
            await asyncio.sleep(5)  # the rest never comes
            return {"type": "http.disconnect"}

        out = []

        async def send(message):
            out.append(message)

        scope = _inpaint_scope(1, [(b"content-type", b"application/json"), (b"content-length", b"1000")])
        await app(scope, receive, send)
        return out

    t0 = time.monotonic()
    out = asyncio.run(scenario())
    assert time.monotonic() - t0 < 3
    start = next(m for m in out if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in out if m["type"] == "http.response.body")
    assert start["status"] == 408 and b"did not arrive within 0.3 s" in body


def _multipart(image: bytes, mask: bytes) -> tuple[bytes, str]:
    parts = [f'--b0\r\nContent-Disposition: form-data; name="{n}"; filename="{n}.png"\r\n\r\n'.encode() + d + b"\r\n"
             for n, d in (("image", image), ("mask", mask))]
    return b"".join(parts) + b"--b0--\r\n", "multipart/form-data; boundary=b0"


# --- Host header and cross-site posts (issue 13, item 15) ---------------------------------------------


def test_foreign_host_header_is_400(client):
    r = client.get("/api/health", headers={"host": "evil.example"})
    assert r.status_code == 400 and "Host 'evil.example' is not served here" in detail(r)
    for ok in ("127.0.0.1:8080", "localhost", "[::1]:8080", "LOCALHOST:1"):
        assert client.get("/api/health", headers={"host": ok}).status_code == 200, ok
    anyhost = TestClient(create_app("telea", allowed_hosts=["*"]), base_url="http://evil.example")
    assert anyhost.get("/api/health").status_code == 200
    named = TestClient(create_app("telea", allowed_hosts=["box.lan"]), base_url="http://box.lan:8080")
    assert named.get("/api/health").status_code == 200
    assert named.get("/api/health", headers={"host": "evil.example"}).status_code == 400


def test_cross_site_posts_are_403_same_origin_and_plain_clients_pass(client, photo, hole):
    files = {"image": ("p.png", png(photo), "image/png"), "mask": ("m.png", png(hole), "image/png")}
    r = client.post("/api/inpaint", files=files, headers={"origin": "http://evil.example"})
    assert r.status_code == 403 and "cross-site request refused" in detail(r)
    r = client.post("/api/inpaint", files=files, headers={"origin": "null"})
    assert r.status_code == 403
    r = client.post("/api/inpaint", files=files, headers={"sec-fetch-site": "cross-site"})
    assert r.status_code == 403
    r = client.post("/api/inpaint", files=files, headers={"origin": BASE, "sec-fetch-site": "same-origin"})
    assert r.status_code == 200, r.text
    assert post(client, png(photo), png(hole)).status_code == 200  # curl, scripts: neither header
    assert client.get("/api/health", headers={"origin": "http://evil.example"}).status_code == 200  # reads pass


def test_serve_derives_allowed_hosts_from_the_bind_address():
    assert ServerSettings().hosts == ["127.0.0.1", "localhost", "::1"]
    assert ServerSettings(host="0.0.0.0").hosts == ["*"]
    assert ServerSettings(host="0.0.0.0", allowed_hosts=["box.lan"]).hosts == ["127.0.0.1", "localhost", "::1", "box.lan"]
    assert ServerSettings(host="192.168.1.5").hosts[-1] == "192.168.1.5"


def test_internal_errors_do_not_echo_details(photo, hole):
    class Broken:
        name = "broken"

        def fill(self, image, mask):
            raise RuntimeError("secret internals /home/user/model.py line 3")

        fill_numpy = fill

    c = TestClient(create_app(Broken()), base_url=BASE, raise_server_exceptions=False)
    r = post(c, png(photo), png(hole))
    assert r.status_code == 500 and "secret" not in r.text and "RuntimeError" not in r.text


# --- clients that go, large JSON bodies, memory in total (issue 13, items 5, 6 and 15) -----------------


def _asgi(app, chunks, headers, then=("wait", 5.0)):
    """Run one POST /api/inpaint through ``app`` as uvicorn would: the body in ``chunks`` (the last one ends it
    unless ``then`` is given), then ``then``: ("disconnect", seconds) or ("wait", seconds) before the client is
    gone. Returns (status, body) — status None when the app sent nothing."""
    async def scenario():
        queue = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1 or then[0] == "stall"}
                 for i, c in enumerate(chunks)]

        async def receive():
            if queue:
                return queue.pop(0)
            await asyncio.sleep(then[1])
            return {"type": "http.disconnect"}

        out = []

        async def send(message):
            out.append(message)

        scope = _inpaint_scope(5, headers)
        await app(scope, receive, send)
        start = next((m for m in out if m["type"] == "http.response.start"), None)
        return (start["status"] if start else None), b"".join(m.get("body", b"") for m in out[1:])

    return scenario()


def test_a_client_that_goes_mid_upload_is_one_info_line(photo, hole, caplog):
    """A closed connection is no failure of the server: one short info line, no traceback, no error."""
    import logging

    app = create_app("telea")
    body, ctype = _multipart(png(photo), png(hole))
    with caplog.at_level(logging.INFO, logger="inpaintkit.server"):
        status, _ = asyncio.run(_asgi(app, [body[: len(body) // 2]], [(b"content-type", ctype.encode())],
                                      then=("stall", 0.05)))
    mine = [r for r in caplog.records if r.name.startswith("inpaintkit")]
    assert [r.levelno for r in mine] == [logging.INFO], [(r.levelname, r.getMessage()[:200]) for r in mine]
    assert mine[0].exc_info is None and len(mine[0].getMessage()) < 160
    assert "closed the connection while sending its request" in mine[0].getMessage()
    assert status in (None, 499)


def test_queued_fills_of_gone_clients_are_dropped(photo, hole):
    """One fill runs (its model waits on a gate); 4 clients send complete requests and close their sockets:
    they leave the queue at once, the model never sees them, and the next client is filled right after."""
    import http.client

    model = GatedModel()
    app = create_app(model, max_concurrency=1)
    body, ctype = _multipart(png(photo), png(hole))
    req = (f"POST /api/inpaint HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {ctype}\r\n"
           f"Content-Length: {len(body)}\r\n\r\n").encode() + body

    def health(port):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/api/health")
        return json.loads(conn.getresponse().read())

    def wait_for(pred, port, seconds=5.0):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            h = health(port)
            if pred(h):
                return h
            time.sleep(0.05)
        return health(port)

    with serving(app) as port:
        first = socket.create_connection(("127.0.0.1", port), timeout=15)
        first.sendall(req)
        deadline = time.monotonic() + 10
        while not model.calls and time.monotonic() < deadline:
            time.sleep(0.02)
        gone = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(4)]
        for s in gone:
            s.sendall(req)
        queued = wait_for(lambda h: h["pending"] == 5, port)
        for s in gone:
            s.close()
        after = wait_for(lambda h: h["pending"] == 1, port)
        model.gate.set()
        assert _status(first) == 200
        first.close()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/api/inpaint", body=body, headers={"Content-Type": ctype})
        assert conn.getresponse().status == 200
        final = health(port)
    assert queued["pending"] == 5
    assert after["pending"] == 1 and after["dropped"] == 4
    assert model.calls == 2, "the gone clients' fills were computed"
    assert final["pending"] == 0


def test_a_fill_whose_client_went_stops_before_the_model(photo, hole):
    """The client goes while its upload is decoded: the model is not run for it."""
    from inpaintkit.server.queue import FillQueue

    class Counting:
        name = "counting"
        calls = 0

        def fill(self, image, mask):
            Counting.calls += 1
            return image.clone()

    app = create_app(Counting())
    body, ctype = _multipart(png(photo), png(hole))
    real_run = FillQueue.run

    async def run_after_going(self, receive, fn, *args):  # the client is gone by the time the worker starts
        def late(*a):
            a[-1].set()
            return fn(*a)
        return await real_run(self, receive, late, *args)

    FillQueue.run = run_after_going
    try:
        status, _ = asyncio.run(_asgi(app, [body], [(b"content-type", ctype.encode())], then=("wait", 5.0)))
    finally:
        FillQueue.run = real_run
    assert Counting.calls == 0 and status in (None, 499)


def test_json_bodies_are_decoded_off_the_event_loop(photo, hole, monkeypatch):
    """Parsing and base64-decoding a large JSON body happen in a worker thread, never on the event loop."""
    real = json.loads
    on_loop = []

    def spy(s, *a, **k):
        if len(s) > 10_000:
            try:
                asyncio.get_running_loop()
                on_loop.append(True)
            except RuntimeError:
                on_loop.append(False)
        return real(s, *a, **k)

    monkeypatch.setattr(json, "loads", spy)
    noise = np.random.default_rng(0).integers(0, 256, (48, 64, 3), np.uint8)
    c = TestClient(create_app("telea"), base_url=BASE)
    r = c.post("/api/inpaint", json={"image": base64.b64encode(png(noise)).decode(),
                                     "mask": base64.b64encode(png(hole)).decode()})
    assert r.status_code == 200, r.text
    assert on_loop == [False]


def test_bodies_in_progress_are_bounded_in_total():
    """Two uploads of 0.9 MB each against a 1.5 MB budget: the second gets 503 (Retry-After) while the first
    holds its share; once both are done the budget is free again."""
    app = create_app("telea", max_upload_mb=1, max_buffered_mb=1.5, body_timeout_s=1.0)
    chunk = b"x" * 900_000
    hdrs = [(b"content-type", b"application/json"), (b"content-length", b"1000000")]

    async def both():
        first = asyncio.ensure_future(_asgi(app, [chunk], hdrs, then=("stall", 3.0)))
        await asyncio.sleep(0.2)
        second = await _asgi(app, [chunk], hdrs, then=("stall", 3.0))
        return await first, second

    first, second = asyncio.run(both())
    assert first[0] == 408
    assert second[0] == 503 and b"server busy: uploads in progress hold" in second[1]
    assert TestClient(app, base_url=BASE).get("/api/health").json()["buffered_mb"] == 0
    with pytest.raises(ValueError, match="max_buffered_mb"):
        create_app("telea", max_upload_mb=10, max_buffered_mb=5)


# --- the page's tools: a model per request, smart selection, damage detection ------------------------


def test_models_have_descriptions_and_features(client):
    m = client.get("/api/models").json()
    by_name = {x["name"]: x for x in m["models"]}
    assert all(x["description"] and "\n" not in x["description"] for x in m["models"])
    assert by_name["faces"]["selectable"] and by_name["patchmatch"]["selectable"]
    if "fillnet" in by_name:  # the networks are registered where PyTorch is installed
        assert not by_name["fillnet"]["selectable"]  # an architecture without weights
    assert m["features"]["select"] is True
    assert client.get("/api/health").json()["features"] == m["features"]


def test_fill_request_chooses_the_model(client, photo, hole):
    files = {"image": ("photo.png", png(photo), "image/png"), "mask": ("mask.png", png(hole), "image/png")}
    r = client.post("/api/inpaint", files=files, data={"model": "ns"})
    assert r.status_code == 200, r.text
    assert r.headers["x-inpaint-model"] == "ns"
    ns = decode(r.content)
    telea = decode(post(client, png(photo), png(hole)).content)  # no model: the server's own
    assert not np.array_equal(ns, telea) and np.array_equal(ns[hole == 0], photo[hole == 0])
    b64 = lambda a: base64.b64encode(png(a)).decode()  # noqa: E731
    j = client.post("/api/inpaint", json={"image": b64(photo), "mask": b64(hole), "model": "ns"})
    assert j.status_code == 200 and j.headers["x-inpaint-model"] == "ns"
    assert np.array_equal(decode(j.content), ns)
    same = client.post("/api/inpaint", files=files, data={"model": "telea"})
    assert same.headers["x-inpaint-model"] == "telea" and np.array_equal(decode(same.content), telea)


@pytest.mark.parametrize("name,words", [("nope", "unknown model 'nope'; valid names:"),
                                        ("fillnet", "without trained weights")])
def test_fill_with_a_model_it_cannot_use_is_refused_in_one_line(client, photo, hole, name, words):
    if name == "fillnet":
        from inpaintkit.optional import torch_available

        if not torch_available():  # without PyTorch no network is registered: 'fillnet' is simply unknown
            words = "unknown model 'fillnet'"
    files = {"image": ("photo.png", png(photo), "image/png"), "mask": ("mask.png", png(hole), "image/png")}
    r = client.post("/api/inpaint", files=files, data={"model": name})
    assert r.status_code == 422 and words in detail(r) and "\n" not in detail(r)


def disc_photo():
    y, x = np.mgrid[0:120, 0:160]
    img = np.full((120, 160, 3), (50, 110, 60), np.uint8)
    disc = (x - 80) ** 2 + (y - 60) ** 2 < 30 ** 2
    img[disc] = (230, 150, 40)
    return img, disc


def test_select_returns_the_object_in_the_box(client):
    img, disc = disc_photo()
    r = client.post("/api/select", files={"image": ("p.png", png(img), "image/png")},
                    data={"box": "40,20,120,100", "points": "80,60"})
    assert r.status_code == 200, r.text
    mask = decode(r.content) > 127
    assert mask.shape == disc.shape and (mask & disc).sum() / (mask | disc).sum() >= 0.9
    assert int(r.headers["x-mask-pixels"]) == mask.sum()


@pytest.mark.parametrize("data,words", [({"box": "1,2,3"}, "field 'box' must be 4 numbers"),
                                        ({}, "field 'box' must be 4 numbers"),
                                        ({"box": "10,10,12,12"}, "at least 4x4"),
                                        ({"box": "0,0,50,50", "points": "1"}, "field 'points'")])
def test_select_bad_box_is_refused(client, data, words):
    img, _ = disc_photo()
    r = client.post("/api/select", files={"image": ("p.png", png(img), "image/png")}, data=data)
    assert r.status_code == 422 and words in detail(r)


def test_select_needs_an_image(client):
    assert client.post("/api/select", data={"box": "0,0,9,9"}).status_code == 415
    r = client.post("/api/select", files={"image": ("p.txt", b"not an image", "text/plain")}, data={"box": "0,0,9,9"})
    assert r.status_code == 415


def test_detect_without_the_detector_is_501(client, monkeypatch):
    from inpaintkit.server import routes

    monkeypatch.setattr(routes, "damage_detector", lambda: None)
    assert client.get("/api/models").json()["features"]["detect"] is False
    img, _ = disc_photo()
    r = client.post("/api/detect", files={"image": ("p.png", png(img), "image/png")})
    assert r.status_code == 501 and "not installed" in detail(r)


def test_detect_with_a_detector_returns_its_mask(client, monkeypatch):
    from inpaintkit.server import routes

    seen = {}

    def fake_damage_mask(pixels, sensitivity=0.5):
        seen["shape"], seen["sensitivity"] = pixels.shape, sensitivity
        out = np.zeros(pixels.shape[:2], bool)
        out[10:20, 30:90] = True
        return out

    monkeypatch.setattr(routes, "damage_detector", lambda: fake_damage_mask)
    assert client.get("/api/models").json()["features"]["detect"] is True
    img, _ = disc_photo()
    r = client.post("/api/detect", files={"image": ("p.png", png(img), "image/png")}, data={"sensitivity": "0.7"})
    assert r.status_code == 200, r.text
    mask = decode(r.content) > 127
    assert seen == {"shape": (120, 160, 3), "sensitivity": 0.7}
    assert mask.sum() == 600 and mask[10:20, 30:90].all()
    bad = client.post("/api/detect", files={"image": ("p.png", png(img), "image/png")}, data={"sensitivity": "2"})
    assert bad.status_code == 422 and "from 0 to 1" in detail(bad)
