"""Cold start of `inpaintkit fill` (#14): a new process per run, medians side by side.

    python benchmarks/cold_start.py --python .venv-light/bin/python --python .venv/bin/python [--runs 7]

For each interpreter (a venv's python), it times, in fresh processes: ``python -c "import numpy, cv2, PIL"``
(the floor: the libraries every fill needs), ``inpaintkit --help`` and ``inpaintkit fill`` of a 600x400 photo
(scikit-image's coffee, or a synthetic one) with a 130x80 hole, default model. It prints the median wall
times, which heavy modules the fill imported (``-X importtime``), the size of the venv's site-packages, and the
largest installed distributions (what an install-size target has to fit around). Run it on a quiet machine: a busy one inflates every figure.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

HEAVY = ("torch", "matplotlib", "skimage", "scipy", "fastapi", "safetensors", "onnx")


def photo(folder: Path) -> tuple[Path, Path]:
    try:
        from skimage import data

        img = data.coffee()  # 400x600
    except ImportError:  # the torch-free install has no scikit-image: a smooth synthetic photo of the same size
        y, x = np.mgrid[0:400, 0:600]
        img = np.stack([(x * 255 / 600), (y * 255 / 400), ((x + y) % 256)], -1).astype(np.uint8)
    m = np.zeros((400, 600), np.uint8)
    m[150:230, 250:380] = 255
    Image.fromarray(img).save(folder / "photo.jpg", quality=92)
    Image.fromarray(m).save(folder / "mask.png")
    return folder / "photo.jpg", folder / "mask.png"


def timed(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def imported(python: str, args: list[str]) -> list[str]:
    code = ("import sys, atexit; atexit.register(lambda: print(sorted({k.split('.')[0] for k, v in sys.modules.items() "
            f"if v is not None and k.split('.')[0] in {HEAVY!r}}}), file=sys.stderr)); sys.argv = ['inpaintkit'] + "
            f"{args!r}; from inpaintkit.cli import app; app()")
    res = subprocess.run([python, "-c", code], capture_output=True, text=True)
    return res.stderr.strip().splitlines()[-1] if res.stderr.strip() else "?"


def site_size(python: str) -> str:
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    return subprocess.run(["du", "-sh", site], capture_output=True, text=True).stdout.split()[0]


SIZES = """
import importlib.metadata as md, json, os
out = {}
for d in md.distributions():
    files = d.files or []
    out[d.metadata["Name"]] = sum(os.path.getsize(f.locate()) for f in files if os.path.isfile(f.locate()))
print(json.dumps(out))
"""


def largest(python: str, n: int = 6) -> list[tuple[str, float]]:
    """The ``n`` largest distributions in ``python``'s environment, in MB (the files each one's RECORD lists)."""
    res = subprocess.run([python, "-c", SIZES], capture_output=True, text=True, check=True)
    sizes = json.loads(res.stdout)
    return [(k, v / 1e6) for k, v in sorted(sizes.items(), key=lambda kv: -kv[1])[:n]]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--python", action="append", default=None, help="a venv's python (repeatable; default: this one)")
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args(argv)
    pythons = args.python or [sys.executable]
    with tempfile.TemporaryDirectory() as tmp:
        img, mask = photo(Path(tmp))
        out = Path(tmp) / "out.png"
        fill = ["fill", str(img), "-m", str(mask), "-o", str(out), "--overwrite"]
        print("| python | import numpy, cv2, PIL | inpaintkit --help | inpaintkit fill 600x400 | fill imports | site-packages |")
        print("| --- | --- | --- | --- | --- | --- |")
        for py in pythons:
            cli = str(Path(py).parent / "inpaintkit")
            floor = timed([py, "-c", "import numpy, cv2, PIL"], args.runs)
            helps = timed([cli, "--help"], args.runs)
            filled = timed([cli, *fill], args.runs)
            print(f"| {py} | {floor:.2f} s | {helps:.2f} s | {filled:.2f} s | {imported(py, fill)} | {site_size(py)} |")
        for py in pythons:
            print(f"\nlargest distributions in {py}: " + ", ".join(f"{k} {mb:.0f} MB" for k, mb in largest(py)))


if __name__ == "__main__":
    main()
