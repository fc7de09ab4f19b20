"""The ``inpaintkit`` command line (Typer). Each command is thin: it parses options and calls the library.

One module per family of commands: :mod:`.photos` (``fill``, ``fill-video``), :mod:`.restore` (``restore``),
:mod:`.training` (``train``), :mod:`.evaluation` (``eval``, ``masks``, ``bench``), :mod:`.tools` (``models``,
``demo``, ``serve``, ``export``); :mod:`.common` holds the app, the one-line error and warning rules and :func:`main`, the console script.
"""
# importing registers the commands, in this order in --help
from inpaintkit.cli import photos, restore, tools, training, evaluation  # noqa: F401, I001
from inpaintkit.cli.common import app, fail, main, printable
from inpaintkit.cli.evaluation import bench_cmd, eval_cmd, masks_cmd
from inpaintkit.cli.photos import fill_cmd, fill_video_cmd
from inpaintkit.cli.restore import restore_cmd
from inpaintkit.cli.tools import demo_cmd, export_cmd, models_cmd, serve_cmd
from inpaintkit.cli.training import train_cmd

__all__ = ["app", "bench_cmd", "demo_cmd", "eval_cmd", "export_cmd", "fail", "fill_cmd", "fill_video_cmd", "main",
           "masks_cmd", "models_cmd", "printable", "restore_cmd", "serve_cmd", "train_cmd"]
