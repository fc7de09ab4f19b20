"""Load, the short version: a real uvicorn server on a free loopback port, a burst of mixed requests, a slow
client and stuck clients. Every request is answered with its expected status, there is no 5xx, and the slow and
stuck clients hold up no one.

The long version is ``benchmarks/load_server.py`` (200 requests against ``inpaintkit serve`` in its own process,
with latency percentiles and peak memory); this test drives the same request builders and client code.
"""
from __future__ import annotations

import importlib.util
import threading
import time
from pathlib import Path

import pytest
import torch

from inpaintkit.server.app import bind, create_app


pytestmark = pytest.mark.slow  # a load test: minutes on a busy machine

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "load_server.py"


def _bench():
    spec = importlib.util.spec_from_file_location("load_server", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def server():
    """uvicorn serving a Telea app (2 fill threads) in a background thread; yields the port."""
    import uvicorn

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    app = create_app("telea", max_upload_mb=2, max_pixels=1_000_000, max_concurrency=2)
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not srv.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    yield port
    srv.should_exit = True
    thread.join(10)
    sock.close()
    torch.set_num_threads(n)


def test_burst_of_mixed_requests_with_slow_and_stuck_clients(server):
    bench = _bench()
    reqs = bench.make_requests(40, 64, bad_every=3)  # 27 good, 13 bad of five kinds (415, 422, 413)
    slow = [dict(r, kind="slow") for r in bench.make_requests(1, 64, 0)]
    results, slow_results, wall = bench.run_burst(server, reqs, concurrency=40, timeout=60, slow=slow,
                                                  slow_seconds=3.0, stuck=3)
    statuses = [r["status"] for r in results]
    assert all(s < 500 for s in statuses), [r for r in results if r["status"] >= 500][:3]
    wrong = [(r["kind"], r["status"], r["expect"], r["error"][:100]) for r in results if r["status"] != r["expect"]]
    assert not wrong, wrong  # every request answered (0 = no answer), each with its own status
    assert {r["kind"] for r in results if r["kind"] != "good"} == {"not an image", "mask of another size", "empty mask",
                                                                  "decompression bomb", "broken base64 JSON"}
    (s,) = slow_results
    assert s["status"] == 200, s["error"]
    assert s["seconds"] >= 3.0
    # the slow client held no one up: most of the burst (on an idle machine all of it, in about a second) was
    # answered while it was still sending its body
    answered = sum(r["done_at"] < s["sent_at"] for r in results)
    assert answered >= len(results) // 2, (answered, wall)
