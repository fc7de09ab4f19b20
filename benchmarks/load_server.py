"""Load test of ``inpaintkit serve`` on loopback: a burst of concurrent fill requests, good and bad.

Starts the server as a subprocess on a free 127.0.0.1 port, sends ``--requests`` requests all at once
(``--concurrency`` client threads), and reports: the status codes (a bad request must get its 4xx, and no
request may get a 5xx), the latency distribution (p50 / p90 / p99 / max) of the good and of the bad
requests, the throughput, and the server process's peak memory (``VmHWM`` of /proc, i.e. peak RSS).
Exits 1 when any request got a 5xx or an unexpected status. Bounded: every request has a timeout and the
whole run a deadline; only 127.0.0.1 is contacted.

Slow and stuck clients run alongside the burst: ``--slow-clients`` connections send a good request's body in
small pieces over ``--slow-seconds`` (and must still get their 200), ``--stuck-clients`` connections send half
their headers and then nothing until the end. The report counts the burst requests answered while the slow
clients were still sending: a server that one slow client could block would answer none.

Stalled uploads: ``--stalled-clients`` connections send a complete multipart request head (``Content-Length:
100000`` and the first part's header) before the burst and then nothing. They must hold no place in the
server's fill queue (every burst request is answered, none with 503) and each must get 408 once the server's
``--body-timeout`` has passed; the report says how many did.

    python benchmarks/load_server.py                      # 200 requests, 256x256, bundled default model
    python benchmarks/load_server.py --model telea --size 128 --json out/load.json
    python benchmarks/load_server.py --slow-clients 4 --slow-seconds 20 --stuck-clients 8
    python benchmarks/load_server.py --model telea --size 128 --requests 50 --bad-every 0 \
        --stalled-clients 256 --body-timeout 10            # 256 stalled uploads + 50 good requests
    python benchmarks/load_server.py --model telea --size 128 --requests 50 --bad-every 0 --stalled-clients 256 \
        --body-timeout 20 --abandoned-clients 8 --json-clients 8 --json-mb 20   # + gone clients, big JSON bodies

Gone clients and large JSON bodies (issue 13): ``--abandoned-clients`` connections each send a complete request
with a ``--abandoned-side`` pixel noise JPEG and close their socket at once, before the burst; the server must drop
their queued work (the report gives the server's ``dropped`` count, and the burst must not wait behind them).
``--json-clients`` send, alongside the burst, a JSON body of about ``--json-mb`` MB each (a noise photo, base64)
and must get 200. ``/api/health`` is polled every 0.1 s all along; the report gives its slowest answer (a JSON body
decoded on the event loop would hold it up for seconds) and the server's peak RSS.

The good requests are scikit-image's astronaut (resized to ``--size``) with generated free-form masks
(``inpaintkit.masks.MaskGenerator``, "medium"); the bad ones are, in turn: not an image (415), a mask of
another size (422), an empty mask (422), a decompression bomb's header (413) and a JSON body with broken
base64 (422).
"""
from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image


def png(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG")
    return buf.getvalue()


def bomb_png(side: int = 100_000) -> bytes:
    """A few hundred bytes whose PNG header claims side x side pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def multipart(image: bytes, mask: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, data in (("image", image), ("mask", mask)):
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{name}.png"\r\n'
                     f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def make_requests(n: int, size: int, bad_every: int) -> list[dict]:
    """``n`` requests: every ``bad_every``-th is bad (cycling through five kinds), the rest good."""
    import cv2
    import skimage.data

    from inpaintkit.masks import MaskGenerator

    photo = cv2.resize(skimage.data.astronaut()[..., :3], (size, size), interpolation=cv2.INTER_AREA)
    photo_png = png(photo)
    gen = MaskGenerator((size, size), "medium", seed=7)
    small_mask = png(np.full((size // 2, size // 2), 255, np.uint8))
    empty_mask = png(np.zeros((size, size), np.uint8))
    bad = [
        ("not an image", lambda: multipart(b"just some text, not a picture\n" * 10, png(gen(0).astype(np.uint8) * 255)), 415),
        ("mask of another size", lambda: multipart(photo_png, small_mask), 422),
        ("empty mask", lambda: multipart(photo_png, empty_mask), 422),
        ("decompression bomb", lambda: multipart(bomb_png(), png(gen(0).astype(np.uint8) * 255)), 413),
        ("broken base64 JSON", lambda: (json.dumps({"image": "%%%", "mask": "%%%"}).encode(), "application/json"), 422),
    ]
    out = []
    for i in range(n):
        if bad_every and i % bad_every == bad_every - 1:
            kind, build, expect = bad[(i // bad_every) % len(bad)]
            body, ctype = build()
        else:
            kind, expect = "good", 200
            body, ctype = multipart(photo_png, png(gen(i).astype(np.uint8) * 255))
        out.append({"kind": kind, "expect": expect, "body": body, "ctype": ctype})
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid: int, key: str) -> int:
    """A /proc/<pid>/status field in bytes (VmRSS: resident now, VmHWM: peak resident)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(key)


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with code {proc.returncode} before it was ready")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/health")
            r = conn.getresponse()
            if r.status == 200:
                return json.loads(r.read())
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server did not answer /api/health within {timeout:.0f} s")


def send(port: int, req: dict, timeout: float, start: threading.Event) -> dict:
    start.wait()
    t0 = time.perf_counter()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request("POST", "/api/inpaint", body=req["body"], headers={"Content-Type": req["ctype"]})
        r = conn.getresponse()
        body = r.read()
        status = r.status
        conn.close()
        err = "" if status == 200 else body[:200].decode("utf-8", "replace")
    except OSError as e:  # refused, reset or timed out: counted as a failure, never retried
        status, err = 0, f"{type(e).__name__}: {e}"
    return {"kind": req["kind"], "expect": req["expect"], "status": status, "seconds": time.perf_counter() - t0,
            "error": err}


def slow_send(port: int, req: dict, seconds: float, timeout: float, start: threading.Event, pieces: int = 20) -> dict:
    """Send ``req`` over a raw socket with its body cut in ``pieces`` spread over ``seconds``; read the answer."""
    start.wait()
    t0 = time.perf_counter()
    body = req["body"]
    head = (f"POST /api/inpaint HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {req['ctype']}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    step = max(1, -(-len(body) // pieces))
    sent_at, status, err = None, 0, ""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(head)
            for i in range(0, len(body), step):
                time.sleep(seconds / pieces)
                s.sendall(body[i:i + step])
            sent_at = time.perf_counter()
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
        err = "" if status == 200 else data[:300].decode("utf-8", "replace")
    except OSError as e:
        err = f"{type(e).__name__}: {e}"
    return {"kind": "slow", "expect": 200, "status": status, "seconds": time.perf_counter() - t0,
            "sent_at": sent_at, "error": err}


def stall(port: int, stop: threading.Event, timeout: float) -> None:
    """A stuck client: connect, send half of a request's headers, then nothing until ``stop`` is set."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"POST /api/inpaint HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-da")
            stop.wait(timeout)
    except OSError:
        pass


STALLED_HEAD = (b"POST /api/inpaint HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                b"Content-Length: 100000\r\n\r\n--b\r\nContent-Disposition: form-data; name=\"image\"; "
                b"filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n")


def open_stalled(port: int, n: int, timeout: float) -> list[socket.socket]:
    """``n`` connections that each send a request head and the first part header, then stall."""
    out = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        s.sendall(STALLED_HEAD)
        out.append(s)
    return out


def stalled_statuses(socks: list[socket.socket], timeout: float) -> list[int]:
    """The status each stalled connection got (0: none before ``timeout`` s); closes them all."""
    deadline = time.monotonic() + timeout
    out = []
    for s in socks:
        data = b""
        try:
            s.settimeout(max(0.1, deadline - time.monotonic()))
            while not data.endswith(b"}") and (chunk := s.recv(65536)):
                data += chunk
        except OSError:
            pass
        finally:
            s.close()
        out.append(int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0)
    return out


def noise_jpeg_request(side: int) -> tuple[bytes, str]:
    """A multipart request: a side x side noise JPEG (large for its pixels) and a mask with a small hole."""
    rng = np.random.default_rng(side)
    photo = rng.integers(0, 256, (side, side, 3), np.uint8)
    buf = io.BytesIO()
    Image.fromarray(photo).save(buf, format="JPEG", quality=90)
    hole = np.zeros((side, side), np.uint8)
    hole[side // 2: side // 2 + 16, side // 2: side // 2 + 16] = 255
    return multipart(buf.getvalue(), png(hole))


def json_request(mb: float) -> tuple[bytes, str]:
    """A JSON request of about ``mb`` MB: a noise PNG (incompressible) and its mask, both base64."""
    import base64

    side = max(32, int((mb * 1e6 * 0.75 / 3) ** 0.5))
    photo = np.random.default_rng(1).integers(0, 256, (side, side, 3), np.uint8)
    hole = np.zeros((side, side), np.uint8)
    hole[side // 2: side // 2 + 16, side // 2: side // 2 + 16] = 255
    body = json.dumps({"image": base64.b64encode(png(photo)).decode(), "mask": base64.b64encode(png(hole)).decode()})
    return body.encode(), "application/json"


def abandon(port: int, body: bytes, ctype: str, timeout: float) -> None:
    """A client that sends a complete request and closes its socket without waiting for the answer."""
    head = (f"POST /api/inpaint HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head + body)


def poll_health(port: int, stop: threading.Event, out: list) -> None:
    """GET /api/health every 0.1 s until ``stop``; appends (seconds, status, json or None)."""
    while not stop.is_set():
        t0 = time.perf_counter()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/api/health")
            r = conn.getresponse()
            data = r.read()
            out.append((time.perf_counter() - t0, r.status, json.loads(data) if r.status == 200 else None))
            conn.close()
        except OSError:
            out.append((time.perf_counter() - t0, 0, None))
        stop.wait(0.1)


def run_burst(port: int, reqs: list[dict], concurrency: int, timeout: float, slow: list[dict] = (),
              slow_seconds: float = 5.0, stuck: int = 0) -> tuple[list[dict], list[dict], float]:
    """Send ``reqs`` at once from ``concurrency`` threads while ``slow`` requests trickle in and ``stuck``
    connections stall. Returns (burst results with their finish time ``done_at``, slow results, wall seconds)."""
    start, stop = threading.Event(), threading.Event()

    def timed(req):
        r = send(port, req, timeout, start)
        r["done_at"] = time.perf_counter()
        return r

    stuck_threads = [threading.Thread(target=stall, args=(port, stop, timeout), daemon=True) for _ in range(stuck)]
    for t in stuck_threads:
        t.start()
    with ThreadPoolExecutor(max_workers=concurrency + len(slow)) as pool:
        slow_futures = [pool.submit(slow_send, port, r, slow_seconds, timeout, start) for r in slow]
        futures = [pool.submit(timed, r) for r in reqs]
        t0 = time.perf_counter()
        start.set()
        results = [f.result() for f in futures]
        wall = time.perf_counter() - t0
        slow_results = [f.result() for f in slow_futures]
    stop.set()
    for t in stuck_threads:
        t.join(5)
    return results, slow_results, wall


def percentiles(xs: list[float]) -> dict:
    if not xs:
        return {}
    a = np.asarray(xs) * 1000.0
    return {"n": len(xs), "p50_ms": float(np.percentile(a, 50)), "p90_ms": float(np.percentile(a, 90)),
            "p99_ms": float(np.percentile(a, 99)), "max_ms": float(a.max()), "mean_ms": float(a.mean())}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=200, help="client threads (200: all requests at once)")
    ap.add_argument("--size", type=int, default=256, help="side of the square test photo")
    ap.add_argument("--bad-every", type=int, default=4, help="every N-th request is a bad one (0: none)")
    ap.add_argument("--model", default=None, help="model for the server (default: the bundled default model)")
    ap.add_argument("--max-concurrency", type=int, default=1, help="the server's --max-concurrency")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per request")
    ap.add_argument("--json", type=Path, default=None, help="write the report here as JSON")
    ap.add_argument("--slow-clients", type=int, default=2, help="clients that send a good request's body slowly")
    ap.add_argument("--slow-seconds", type=float, default=10.0, help="how long each slow client takes to send its body")
    ap.add_argument("--stuck-clients", type=int, default=2, help="clients that send half their headers and stall")
    ap.add_argument("--stalled-clients", type=int, default=0, help="clients that send a whole request head, then stall")
    ap.add_argument("--body-timeout", type=float, default=60.0, help="the server's --body-timeout (seconds)")
    ap.add_argument("--abandoned-clients", type=int, default=0, help="clients that send a big request and close")
    ap.add_argument("--abandoned-side", type=int, default=2048, help="side of their noise JPEG in pixels")
    ap.add_argument("--json-clients", type=int, default=0, help="clients that send a large JSON body with the burst")
    ap.add_argument("--json-mb", type=float, default=20.0, help="size of each of their bodies in MB")
    args = ap.parse_args(argv)
    if args.requests < 1 or args.concurrency < 1 or args.size < 16:
        ap.error("--requests and --concurrency must be >= 1, --size >= 16")
    if not 0 <= args.stalled_clients <= 512 or not 0 < args.body_timeout <= 120:
        ap.error("--stalled-clients must be in 0..512 and --body-timeout in (0, 120] (a bounded run)")
    if not (0 <= args.abandoned_clients <= 64 and 64 <= args.abandoned_side <= 5000 and 0 <= args.json_clients <= 32
            and 0 < args.json_mb <= 90):
        ap.error("--abandoned-clients 0..64, --abandoned-side 64..5000, --json-clients 0..32, --json-mb (0, 90]")

    reqs = make_requests(args.requests, args.size, args.bad_every)
    port = free_port()
    cmd = [sys.executable, "-m", "inpaintkit", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--max-concurrency", str(args.max_concurrency), "--body-timeout", str(args.body_timeout)]
    cmd += ["--model", args.model] if args.model else []
    log = open(os.devnull, "w")  # access logs of 200 requests are noise here
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        health = wait_healthy(port, proc, timeout=180)
        rss_ready = proc_status(proc.pid, "VmRSS")
        print(f"server pid {proc.pid} on 127.0.0.1:{port}, model {health['model']}, "
              f"{rss_ready / 2**20:.0f} MB resident when ready; sending {len(reqs)} requests "
              f"({sum(r['kind'] != 'good' for r in reqs)} bad) from {args.concurrency} threads", flush=True)
        slow = [dict(r, kind="slow") for r in make_requests(args.slow_clients, args.size, 0)]
        health_log: list = []
        stop_health = threading.Event()
        poller = threading.Thread(target=poll_health, args=(port, stop_health, health_log), daemon=True)
        poller.start()
        stalled = open_stalled(port, args.stalled_clients, args.timeout)
        t_stalled = time.monotonic()
        if args.abandoned_clients:
            big = noise_jpeg_request(args.abandoned_side)
            for _ in range(args.abandoned_clients):
                abandon(port, *big, timeout=args.timeout)
        json_pool = ThreadPoolExecutor(max_workers=max(1, args.json_clients))
        json_futures = []
        if args.json_clients:
            jbody, jtype = json_request(args.json_mb)
            go = threading.Event()
            go.set()
            json_futures = [json_pool.submit(send, port, {"kind": "json", "expect": 200, "body": jbody, "ctype": jtype},
                                             args.timeout, go) for _ in range(args.json_clients)]
        results, slow_results, wall = run_burst(port, reqs, args.concurrency, args.timeout, slow,
                                                args.slow_seconds, args.stuck_clients)
        json_results = [f.result() for f in json_futures]
        json_pool.shutdown()
        rss_burst = proc_status(proc.pid, "VmRSS")
        stop_health.set()
        poller.join(35)
        final_health = wait_healthy(port, proc, timeout=30)
        burst_within_timeout = time.monotonic() - t_stalled < args.body_timeout
        stalled_codes = stalled_statuses(stalled, args.body_timeout + 15)
        peak = proc_status(proc.pid, "VmHWM")
        alive = proc.poll() is None
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()

    codes: dict[str, int] = {}
    for r in results:
        codes[str(r["status"])] = codes.get(str(r["status"]), 0) + 1
    server_errors = sum(1 for r in results + json_results if r["status"] >= 500)
    unexpected = [r for r in results + json_results if r["status"] != r["expect"]]
    health_s = [t for t, st, _ in health_log if st == 200]
    health_failed = sum(1 for _, st, _ in health_log if st != 200)
    good = [r["seconds"] for r in results if r["kind"] == "good" and r["status"] == 200]
    bad = [r["seconds"] for r in results if r["kind"] != "good"]
    first_sent = min((r["sent_at"] for r in slow_results if r["sent_at"]), default=None)
    while_slow = sum(1 for r in results if first_sent is not None and r["done_at"] < first_sent)
    slow_failed = [r for r in slow_results if r["status"] != 200]
    report = {
        "slow_clients": len(slow_results), "slow_statuses": [r["status"] for r in slow_results],
        "slow_seconds": [r["seconds"] for r in slow_results], "answered_while_slow_sending": while_slow,
        "stuck_clients": args.stuck_clients,
        "requests": len(results), "size": args.size, "model": health["model"], "wall_s": wall,
        "fills_per_s": len(good) / wall, "status_codes": codes, "server_errors_5xx": server_errors,
        "unexpected": len(unexpected), "latency_good": percentiles(good), "latency_bad": percentiles(bad),
        "server_rss_ready_mb": rss_ready / 2**20, "server_rss_after_burst_mb": rss_burst / 2**20,
        "server_peak_rss_mb": peak / 2**20, "server_alive": alive,
        "stalled_clients": len(stalled_codes), "stalled_statuses": {str(c): stalled_codes.count(c) for c in set(stalled_codes)},
        "burst_done_while_stalled": burst_within_timeout,
        "abandoned_clients": args.abandoned_clients, "abandoned_side": args.abandoned_side,
        "dropped_by_server": final_health.get("dropped"),
        "json_clients": len(json_results), "json_mb": args.json_mb if json_results else 0,
        "json_statuses": [r["status"] for r in json_results], "json_seconds": [r["seconds"] for r in json_results],
        "health_polls": len(health_log), "health_failed": health_failed,
        "health_max_ms": 1000 * max(health_s, default=0.0), "health_p99_ms": percentiles(health_s).get("p99_ms"),
    }
    lg, lb = report["latency_good"], report["latency_bad"]
    print(f"status codes: {codes}; 5xx: {server_errors}; unexpected: {len(unexpected)}; server alive: {alive}")
    if lg:
        print(f"good ({lg['n']}): p50 {lg['p50_ms']:.0f} ms, p90 {lg['p90_ms']:.0f} ms, p99 {lg['p99_ms']:.0f} ms, "
              f"max {lg['max_ms']:.0f} ms")
    if lb:
        print(f"bad  ({lb['n']}): p50 {lb['p50_ms']:.0f} ms, p90 {lb['p90_ms']:.0f} ms, p99 {lb['p99_ms']:.0f} ms, "
              f"max {lb['max_ms']:.0f} ms")
    print(f"wall {wall:.1f} s, {report['fills_per_s']:.2f} fills/s; server RSS {rss_ready / 2**20:.0f} MB when ready, "
          f"peak {peak / 2**20:.0f} MB")
    if slow_results:
        print(f"slow clients: statuses {report['slow_statuses']}, {while_slow} burst requests answered while they "
              f"were still sending; {args.stuck_clients} stuck clients")
    if stalled_codes:
        print(f"stalled uploads: {len(stalled_codes)}, answered {report['stalled_statuses']} "
              f"(408 = body timeout); the burst finished {'before' if burst_within_timeout else 'after'} their "
              f"{args.body_timeout:g} s timeout; server RSS after the burst {rss_burst / 2**20:.0f} MB")
    if args.abandoned_clients:
        print(f"abandoned clients: {args.abandoned_clients} ({args.abandoned_side}² noise JPEGs, socket closed after "
              f"sending); the server dropped {report['dropped_by_server']} fills of gone clients")
    if json_results:
        print(f"large JSON bodies: {len(json_results)} x {args.json_mb:g} MB, statuses {report['json_statuses']}, "
              f"slowest {max(report['json_seconds']):.1f} s")
    print(f"/api/health: {len(health_log)} polls during the run, {health_failed} failed, slowest "
          f"{report['health_max_ms']:.0f} ms; server RSS peak {peak / 2**20:.0f} MB")
    stalled_bad = [c for c in stalled_codes if c != 408]
    for r in (unexpected + slow_failed)[:5]:
        print(f"  unexpected: {r['kind']}: got {r['status']}, expected {r['expect']}: {r['error']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))
        print(f"wrote {args.json}")
    blocked = bool(slow_results) and first_sent is not None and while_slow == 0 and len(results) > 0
    ok = (server_errors == 0 and not unexpected and not slow_failed and not blocked and alive and not stalled_bad
          and health_failed == 0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
