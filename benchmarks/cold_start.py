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


def site_mb(python: str) -> float:
    """The size of ``python``'s site-packages in MB (10^6 bytes of file contents, ``du -sb``: the unit of
    :func:`largest`)."""
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    return int(subprocess.run(["du", "-sb", site], capture_output=True, text=True, check=True).stdout.split()[0]) / 1e6


SIZES = """
import importlib.metadata as md, json, os
out = {}
for d in md.distributions():
    files = d.files or []
    out[d.metadata["Name"]] = sum(os.path.getsize(f.locate()) for f in files if os.path.isfile(f.locate()))
print(json.dumps(out))
"""


def dist_sizes(python: str) -> dict[str, float]:
    """Every distribution installed for ``python`` with its size in MB (the files its RECORD lists)."""
    res = subprocess.run([python, "-c", SIZES], capture_output=True, text=True, check=True)
    return {k: v / 1e6 for k, v in json.loads(res.stdout).items()}


def top(sizes: dict[str, float], n: int = 6) -> list[tuple[str, float]]:
    """The ``n`` largest of ``sizes`` (name -> MB), largest first."""
    return sorted(sizes.items(), key=lambda kv: -kv[1])[:n]


def largest(python: str, n: int = 6) -> list[tuple[str, float]]:
    """The ``n`` largest distributions in ``python``'s environment, in MB (the files each one's RECORD lists)."""
    return top(dist_sizes(python), n)


def fill_command(folder: Path) -> list[str]:
    """``inpaintkit`` arguments that fill the 600x400 photo written into ``folder`` (:func:`photo`)."""
    img, mask = photo(folder)
    return ["fill", str(img), "-m", str(mask), "-o", str(folder / "out.png"), "--overwrite"]


def measure(python: str, fill: list[str], runs: int) -> dict:
    """Cold-start medians (s) of one interpreter, the heavy modules its fill imports, its site-packages MB."""
    cli = str(Path(python).parent / "inpaintkit")
    return {"python": python, "floor_s": timed([python, "-c", "import numpy, cv2, PIL"], runs),
            "help_s": timed([cli, "--help"], runs), "fill_s": timed([cli, *fill], runs),
            "imports": imported(python, fill), "site_mb": site_mb(python)}


def table(rows: list[dict]) -> list[str]:
    """The markdown table of :func:`measure`'s rows."""
    lines = ["| python | import numpy, cv2, PIL | inpaintkit --help | inpaintkit fill 600x400 | fill imports | site-packages |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['python']} | {r['floor_s']:.2f} s | {r['help_s']:.2f} s | {r['fill_s']:.2f} s | "
                     f"{r['imports']} | {r['site_mb']:.0f} MB |")
    return lines


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--python", action="append", default=None, help="a venv's python (repeatable; default: this one)")
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args(argv)
    pythons = args.python or [sys.executable]
    with tempfile.TemporaryDirectory() as tmp:
        fill = fill_command(Path(tmp))
        print("\n".join(table([measure(py, fill, args.runs) for py in pythons])))
    for py in pythons:
        print(f"\nlargest distributions in {py}: " + ", ".join(f"{k} {mb:.0f} MB" for k, mb in largest(py)))


if __name__ == "__main__":
    main()
