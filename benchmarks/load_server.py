"""Load test of ``inpaintkit serve`` on loopback: a burst of concurrent fill requests, good and bad.

Starts the server as a subprocess on a free 127.0.0.1 port, sends ``--requests`` requests all at once
(``--concurrency`` client threads), and reports: the status codes (a bad request must get its 4xx, and no
request may get a 5xx), the latency distribution (p50 / p90 / p99 / max) of the good and of the bad
requests, the throughput, and the server process's peak memory (``VmHWM`` of /proc, i.e. peak RSS).
Exits 1 when any request got a 5xx or an unexpected status. Bounded: every request has a timeout and the
whole run a deadline; only 127.0.0.1 is contacted.

    python benchmarks/load_server.py                      # 200 requests, 256x256, bundled default model
    python benchmarks/load_server.py --model telea --size 128 --json out/load.json

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
    args = ap.parse_args(argv)
    if args.requests < 1 or args.concurrency < 1 or args.size < 16:
        ap.error("--requests and --concurrency must be >= 1, --size >= 16")

    reqs = make_requests(args.requests, args.size, args.bad_every)
    port = free_port()
    cmd = [sys.executable, "-m", "inpaintkit", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--max-concurrency", str(args.max_concurrency)] + (["--model", args.model] if args.model else [])
    log = open(os.devnull, "w")  # access logs of 200 requests are noise here
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        health = wait_healthy(port, proc, timeout=180)
        rss_ready = proc_status(proc.pid, "VmRSS")
        print(f"server pid {proc.pid} on 127.0.0.1:{port}, model {health['model']}, "
              f"{rss_ready / 2**20:.0f} MB resident when ready; sending {len(reqs)} requests "
              f"({sum(r['kind'] != 'good' for r in reqs)} bad) from {args.concurrency} threads", flush=True)
        start = threading.Event()
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            futures = [pool.submit(send, port, r, args.timeout, start) for r in reqs]
            start.set()
            results = [f.result() for f in futures]
        wall = time.perf_counter() - t0
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
    server_errors = sum(1 for r in results if r["status"] >= 500)
    unexpected = [r for r in results if r["status"] != r["expect"]]
    good = [r["seconds"] for r in results if r["kind"] == "good" and r["status"] == 200]
    bad = [r["seconds"] for r in results if r["kind"] != "good"]
    report = {
        "requests": len(results), "size": args.size, "model": health["model"], "wall_s": wall,
        "fills_per_s": len(good) / wall, "status_codes": codes, "server_errors_5xx": server_errors,
        "unexpected": len(unexpected), "latency_good": percentiles(good), "latency_bad": percentiles(bad),
        "server_rss_ready_mb": rss_ready / 2**20, "server_peak_rss_mb": peak / 2**20, "server_alive": alive,
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
    for r in unexpected[:5]:
        print(f"  unexpected: {r['kind']}: got {r['status']}, expected {r['expect']}: {r['error']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))
        print(f"wrote {args.json}")
    return 0 if server_errors == 0 and not unexpected and alive else 1


if __name__ == "__main__":
    sys.exit(main())
