"""Fill latency on a busy machine (#14, part 3): median of a fill at 128² and 512², idle and with a competing
CPU-bound process on one core, for both backends.

    python benchmarks/busy_machine.py [--repeats 7] [--backends torch onnx] [--threads N] [--json]

``--json`` prints the rows as one JSON list on stdout instead of the table (benchmarks/light_targets.py reads it).

The competitor is a pure-Python busy loop pinned to core 0 (``os.sched_setaffinity``). The target: the busy
median within 2x of the idle one. Figures depend on the machine: on one that is already busy (other jobs),
"idle" is not idle, so compare the ratio, not the times.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import time

import numpy as np


def spin(stop) -> None:
    os.sched_setaffinity(0, {0})
    while not stop.is_set():
        sum(range(10_000))


def latency(filler, side: int, repeats: int) -> float:
    from inpaintkit.inference import fill_array

    rng = np.random.default_rng(0)
    img = (rng.random((side, side, 3)) * 255).astype(np.uint8)
    hole = np.zeros((side, side), bool)
    hole[side // 4 : side // 2, side // 4 : 3 * side // 4] = True
    fill_array(filler, img, hole)  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fill_array(filler, img, hole)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def busy_latency(filler, side: int, repeats: int) -> float:
    """:func:`latency` while a competing process spins on core 0."""
    stop = mp.Event()
    hog = mp.Process(target=spin, args=(stop,), daemon=True)
    hog.start()
    try:
        time.sleep(0.3)
        return latency(filler, side, repeats)
    finally:
        stop.set()
        hog.join()


def rows(backends: list[str], repeats: int, threads: int | None):
    """One row per backend and size, as measured: ``{"backend", "side", "idle_s", "busy_s", "ratio"}``. Backends
    other than onnx are skipped without torch."""
    from inpaintkit.model_spec import load_filler
    from inpaintkit.optional import torch_available

    for backend in backends:
        if backend != "onnx" and not torch_available():
            continue
        if threads and torch_available():
            import torch

            torch.set_num_threads(threads)
        filler = load_filler(None, backend, threads)
        for side in (128, 512):
            idle = latency(filler, side, repeats)
            busy = busy_latency(filler, side, repeats)
            yield {"backend": backend, "side": side, "idle_s": idle, "busy_s": busy, "ratio": busy / idle}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--backends", nargs="+", default=["torch", "onnx"])
    p.add_argument("--threads", type=int, default=None, help="threads given to the model (default: the backend's)")
    p.add_argument("--json", action="store_true", help="print the rows as one JSON list (no table)")
    args = p.parse_args(argv)
    if args.json:
        print(json.dumps(list(rows(args.backends, args.repeats, args.threads))))
        return
    print(f"| backend | size | idle | one core busy | ratio |  ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})")
    print("| --- | --- | --- | --- | --- |")
    for r in rows(args.backends, args.repeats, args.threads):
        print(f"| {r['backend']} | {r['side']}² | {1000 * r['idle_s']:.0f} ms | {1000 * r['busy_s']:.0f} ms | "
              f"{r['ratio']:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
