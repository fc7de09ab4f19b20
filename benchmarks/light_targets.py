"""The torch-free install's targets (#14), side by side with the full install in one run (not a timed test).

    python benchmarks/light_targets.py --light .venv-light/bin/python --full .venv/bin/python --markdown docs/install.md
    python benchmarks/light_targets.py --light .venv-light/bin/python --full .venv/bin/python --runs 1 --repeats 1  # smoke run

In one run, with the two interpreters given:

* cold start (``cold_start.py``): medians of fresh ``python -c "import numpy, cv2, PIL"``, ``inpaintkit --help`` and
  ``inpaintkit fill`` of a 600x400 photo with one object mask (``--runs`` each), the heavy modules the fill
  imports, the size of site-packages;
* busy machine (``busy_machine.py --json`` run under each interpreter): fill medians at 128² and 512², idle and
  with a CPU-bound process spinning on one core (``--repeats`` each) — torch and onnx in the full install, onnx
  in the torch-free one;
* the torch-free install's size: its site-packages, plus the inpaintkit package itself when it lies outside
  (an editable install), its largest distributions, and the floor numpy + onnxruntime (what inference cannot do
  without);
* the targets, each with the measured figure and met / not met.

It prints the report and, with ``--markdown FILE``, writes it between ``<!-- light_targets:begin -->`` and
``<!-- light_targets:end -->`` in FILE (``_sections.py``: the rest of the file is left alone; a missing file is
created with a title and an intro). The machine line records the load average at the start and the end: take
the figures on a quiet machine, the busy-machine ratios above all (their "idle" must be idle). Warm latency of
both installs is ``inpaintkit bench --markdown FILE`` under each interpreter (``benchmarks/bench.py``).
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.append(str(HERE))  # benchmarks/: the pieces this run is made of (last: shadows nothing when imported)

from _sections import write_section  # noqa: E402
from cold_start import dist_sizes, fill_command, measure, table, top  # noqa: E402
from perf_targets import verdict  # noqa: E402

from inpaintkit.bench import cpu_name  # noqa: E402
from inpaintkit.bench_report import under_load  # noqa: E402

SECTION = "light_targets"
HEAD = """# The two installs: size, cold start, a busy machine

The targets of issue #14 for the torch-free install (`pip install inpaintkit`, no PyTorch): a cold `inpaintkit fill`
within a second, an install within 150 MB, and latency on a busy machine within 2x of idle, measured side by side
with the full install in one run of `python benchmarks/light_targets.py --light .venv-light/bin/python --full
.venv/bin/python --markdown docs/install.md` on a quiet machine. That command rewrites the marked section
below and leaves the rest of this file alone; warm latency is in docs/performance.md (full install) and
docs/performance-light.md (torch-free), from `inpaintkit bench --markdown FILE` under each interpreter.
"""
COLD_S, INSTALL_MB, BUSY_RATIO = 1.0, 150.0, 2.0
FLOOR_DISTS = ("numpy", "onnxruntime")  # the two libraries inference cannot do without
# (label, interpreter, backends, OMP_WAIT_POLICY): the `inpaintkit` command sets PASSIVE before torch loads
# (cli.main); the Python API leaves the environment as the caller has it, so that is measured too
BUSY = (("torch-free", "light", ("onnx",), "PASSIVE"), ("full, CLI", "full", ("torch", "onnx"), "PASSIVE"),
        ("full, API", "full", ("torch",), None))
WHO = {"torch-free": "torch-free install", "full, CLI": "full install, as the `inpaintkit` command runs "
       "(OMP_WAIT_POLICY=PASSIVE)", "full, API": "full install, Python API with the environment untouched"}

OWN = """
import importlib.util, json, os, sysconfig
pkg = os.path.dirname(importlib.util.find_spec("inpaintkit").origin)
site = os.path.realpath(sysconfig.get_paths()["purelib"])
size = 0
if not os.path.realpath(pkg).startswith(site + os.sep):
    for root, dirs, files in os.walk(pkg):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        size += sum(os.path.getsize(os.path.join(root, f)) for f in files)
print(json.dumps(size))
"""


def own_package_mb(python: str) -> float:
    """MB of the inpaintkit package (code and bundled weights) when it lies outside ``python``'s site-packages,
    as in an editable install; 0 when it is inside (already counted there)."""
    res = subprocess.run([python, "-c", OWN], capture_output=True, text=True, check=True)
    return json.loads(res.stdout) / 1e6


def busy(python: str, backends: tuple[str, ...], repeats: int, threads: int | None, wait: str | None) -> list[dict]:
    """``busy_machine.py``'s rows, measured under ``python`` with ``OMP_WAIT_POLICY=wait`` (None: as inherited)."""
    cmd = [python, str(HERE / "busy_machine.py"), "--json", "--repeats", str(repeats), "--backends", *backends]
    if threads:
        cmd += ["--threads", str(threads)]
    env = dict(os.environ, **({"OMP_WAIT_POLICY": wait} if wait else {}))
    res = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=env)  # its stderr goes to ours
    if res.returncode:
        sys.exit(f"{shlex.join(cmd)} failed (exit {res.returncode})")
    return json.loads(res.stdout.strip().splitlines()[-1])


def run(args) -> dict:
    """Every figure of the report, in one run."""
    pythons = {"light": args.light, "full": args.full}
    res = {"load_start": list(os.getloadavg()), "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "cpu": cpu_name(), "cores": os.cpu_count(), "runs": args.runs, "repeats": args.repeats}
    with tempfile.TemporaryDirectory() as tmp:
        fill = fill_command(Path(tmp))
        res["cold"] = {}
        for key, py in pythons.items():
            print(f"cold start: {py}", file=sys.stderr)
            res["cold"][key] = measure(py, fill, args.runs)
    res["busy"] = []
    for label, key, backends, wait in BUSY:
        print(f"busy machine: {pythons[key]} ({', '.join(backends)})", file=sys.stderr)
        rows = busy(pythons[key], backends, args.repeats, args.threads, wait)
        res["busy"] += [dict(r, install=label) for r in rows]
    res["sizes"] = dist_sizes(args.light)
    res["own_mb"] = own_package_mb(args.light)
    res["load_end"] = list(os.getloadavg())
    return res


def _mb(sizes: dict[str, float], name: str) -> float:
    norm = {k.lower().replace("_", "-"): v for k, v in sizes.items()}
    return norm.get(name, 0.0)


def install_target(res: dict) -> str:
    """The install-size target, with the floor numpy + onnxruntime."""
    site, own = res["cold"]["light"]["site_mb"], res["own_mb"]
    total = site + own
    parts = f"site-packages {site:.0f} MB + {own:.0f} MB of the inpaintkit package, which this editable install " \
        "keeps outside it" if own else f"site-packages {site:.0f} MB"
    floors = [(d, _mb(res["sizes"], d)) for d in FLOOR_DISTS]
    floor = sum(mb for _, mb in floors)
    room = (f"above {INSTALL_MB:.0f} MB on its own: the target is out of reach with this dependency set"
            if floor > INSTALL_MB else f"which leaves {INSTALL_MB - floor:.0f} MB for everything else")
    return (f"torch-free install ≤ {INSTALL_MB:.0f} MB: {total:.0f} MB ({parts}; everything in the venv, pip and "
            f"test tools included) — {verdict(total <= INSTALL_MB)}. Floor: "
            + " + ".join(f"{d} {mb:.0f} MB" for d, mb in floors) + f" = {floor:.0f} MB, {room}")


def targets(res: dict) -> list[str]:
    """The issue's targets, each with the measured figure and met / not met."""
    light, full = res["cold"]["light"], res["cold"]["full"]
    lines = [f"cold `inpaintkit fill` 600x400 with one object mask, torch-free install ≤ {COLD_S:.1f} s (median): "
             f"{light['fill_s']:.2f} s (`python -c \"import numpy, cv2, PIL\"`: {light['floor_s']:.2f} s; full install: "
             f"{full['fill_s']:.2f} s) — {verdict(light['fill_s'] <= COLD_S)}",
             install_target(res)]
    for label, _, backends, _ in BUSY:
        for backend in backends:
            rows = [r for r in res["busy"] if r["install"] == label and r["backend"] == backend]
            detail = ", ".join(f"{r['side']}²: {r['ratio']:.2f}x" for r in rows)
            ok = verdict(all(r["ratio"] <= BUSY_RATIO for r in rows)) if len(rows) == 2 else "**not measured**"
            lines.append(f"one core busy ≤ {BUSY_RATIO:.0f}x idle at 128² and 512², {backend}, {WHO[label]}: "
                         f"{detail or 'no rows'} — {ok}")
    lines.append("warm latency, both installs: not timed by this run — `inpaintkit bench --markdown FILE` under "
                 "each interpreter")
    return lines


def _load(avg: list[float]) -> str:
    return " / ".join(f"{x:.2f}" for x in avg)


def machine_line(res: dict) -> str:
    under = under_load(res["load_start"], res["load_end"], res["cores"])
    return (f"{res['date']}: {res['cpu']}, {res['cores']} cores; load average (1 / 5 / 15 min) "
            f"{_load(res['load_start'])} at the start, {_load(res['load_end'])} at the end"
            + (" — **taken under load**: other processes were running, so the figures are slower and noisier than "
               "on a quiet machine." if under else "."))


def busy_table(rows: list[dict]) -> list[str]:
    lines = ["| install | backend | size | idle | one core busy | ratio |", "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['install']} | {r['backend']} | {r['side']}² | {1000 * r['idle_s']:.0f} ms | "
                     f"{1000 * r['busy_s']:.0f} ms | {r['ratio']:.2f}x |")
    return lines


def report(res: dict, command: str, n: int = 8) -> str:
    """The marked section: machine line, cold-start and busy-machine tables, largest distributions, targets."""
    lines = [f"Generated by `{command}` on {machine_line(res)}", "",
             f"## Cold start (median of {res['runs']} fresh processes)", "", *table(list(res["cold"].values())), "",
             f"## Busy machine (median of {res['repeats']} fills after a warm-up; a CPU-bound process on core 0)", "",
             *busy_table(res["busy"]), "",
             "## Largest distributions in the torch-free install", "",
             ", ".join(f"{k} {mb:.0f} MB" for k, mb in top(res["sizes"], n))
             + (f"; the inpaintkit package itself (code and bundled weights, outside site-packages): "
                f"{res['own_mb']:.0f} MB" if res["own_mb"] else ""), "",
             "## Targets", "", *(f"- {t}" for t in targets(res))]
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--light", required=True, help="the torch-free install's python")
    p.add_argument("--full", required=True, help="the full (torch) install's python")
    p.add_argument("--markdown", type=Path, help="write the report into this file's marked section")
    p.add_argument("--runs", type=int, default=5, help="fresh processes per cold-start command")
    p.add_argument("--repeats", type=int, default=7, help="timed fills per busy-machine case")
    p.add_argument("--threads", type=int, help="threads given to the model in busy_machine.py")
    p.add_argument("--top", type=int, default=8, help="how many of the largest distributions to list")
    args = p.parse_args(argv)
    if min(args.runs, args.repeats, args.top) < 1:
        p.error("--runs, --repeats and --top must be >= 1")
    command = shlex.join(["python", "benchmarks/light_targets.py", *(sys.argv[1:] if argv is None else argv)])
    text = report(run(args), command, args.top)
    print(text, end="")
    if args.markdown:
        write_section(args.markdown, SECTION, text, HEAD)
        print(f"wrote {args.markdown}", file=sys.stderr)


if __name__ == "__main__":
    main()
