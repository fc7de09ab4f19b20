"""Regenerate docs/performance.md: ``python benchmarks/bench.py [--markdown docs/performance.md] [--json F] [...]``.

The run is ``inpaintkit bench`` (``src/inpaintkit/bench.py``: same options, see ``inpaintkit bench --help``); this
script adds the acceptance targets and the notes of ``benchmarks/perf_targets.py`` to the report. In the torch-free
install it times what runs there (``inpaintkit.bench.LIGHT_METHODS``) and adds the targets only (the notes are
about PyTorch), e.g. ``python benchmarks/bench.py --markdown docs/performance-light.md``.
"""
import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from perf_targets import NOTES, targets  # noqa: E402

from inpaintkit.bench import run_bench  # noqa: E402
from inpaintkit.bench_report import format_markdown  # noqa: E402
from inpaintkit.fileio import atomic_write_text  # noqa: E402


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--markdown", type=Path, help="write the report here (e.g. docs/performance.md)")
    ap.add_argument("--json", type=Path, help="also write the raw results as JSON here")
    ap.add_argument("--model", help="network to time (default: the bundled default model)")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--budget", type=float, default=15.0)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--threads", type=int)
    ap.add_argument("--quiet", "-q", action="store_true")
    a = ap.parse_args(argv)
    res = run_bench(a.model, repeats=a.repeats, budget_s=a.budget, quick=a.quick, progress=not a.quiet, threads=a.threads)
    res["machine"]["command"] = res["machine"]["command"].replace(
        "inpaintkit bench", f"python benchmarks/bench.py --markdown {a.markdown or 'docs/performance.md'}", 1)
    notes = [("Notes", NOTES)] if res["machine"]["torch"] else []
    text = format_markdown(res, [("Targets", targets(res))] + notes)
    print(text)
    if a.markdown:
        atomic_write_text(a.markdown, text)
    if a.json:
        atomic_write_text(a.json, json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
