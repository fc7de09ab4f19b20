"""Run the inpaintkit benchmark as a script: ``python benchmarks/bench.py [--markdown docs/performance.md] [...]``.

The same as ``inpaintkit bench``; see ``src/inpaintkit/bench.py`` for what is measured.
"""
import sys

from inpaintkit.cli import app

if __name__ == "__main__":
    app(["bench", *sys.argv[1:]])
