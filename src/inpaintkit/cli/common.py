"""What every command shares: the Typer app, one-line errors and warnings, output checks, the model-spec help
texts, and :func:`main` (the console script).

Errors a user can cause (bad paths, unknown names, bad images) print one line and exit with code 2; so does a
file the system refuses (no permission, a full disk) in any command, and a warning is one ``warning: ...`` line
(:class:`_Group`), never Python's two lines with a library's path.
"""
from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import typer
from typer.core import TyperGroup

# the model spec forms every command takes (inpaintkit.model_spec); kept in one place so the helps agree
MODEL_FORMS = ("a name (see `inpaintkit models`), a .safetensors model file, or an .onnx file (runs in onnxruntime); "
               "any may end in +flip (average with the mirrored fill), +bf16 (bfloat16 autocast) or +texture "
               "(PatchMatch texture deep in wide holes)")
BACKEND_HELP = ("torch (PyTorch eager), bf16 (PyTorch under bfloat16 autocast: faster on CPUs with AVX512-BF16/AMX) "
                "or onnx (onnxruntime; a name is exported once to ~/.cache/inpaintkit/onnx). "
                "Default: onnx for an .onnx file, else torch.")


def printable(text: str) -> str:
    """``text`` as one printable line: the bytes of a file name that is not valid UTF-8 as ``\\xff`` escapes,
    control characters (a newline in a name, an escape) as ``\\n``, ``\\x1b`` (:func:`inpaintkit.fileio.shown`)."""
    from inpaintkit.fileio import shown

    return shown(text)


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """``warnings.showwarning`` for the command line: ``warning: message``, one line, no source path."""
    text = str(message).strip()
    typer.echo(printable(f"warning: {text.splitlines()[0] if text else category.__name__}"), err=True)


class _Group(TyperGroup):
    """The command group: warnings as one line each; an OSError or MemoryError that a command did not turn into its
    own message is still ``error: ...`` (exit 2), never a traceback box."""

    def invoke(self, ctx):
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning
            try:
                return super().invoke(ctx)
            except OSError as e:  # no permission, a full disk, a file that vanished, ...
                raise fail(_message(e)) from None
            except MemoryError:
                raise fail("out of memory (the input or the options ask for more than this machine has)") from None


app = typer.Typer(cls=_Group, add_completion=False, no_args_is_help=True,
                  help="Image inpainting: train, evaluate and apply models.")


def fail(message: str) -> "typer.Exit":
    """Print ``error: message`` to stderr and return an Exit(2) to raise."""
    typer.echo(printable(f"error: {message}"), err=True)
    return typer.Exit(code=2)


def _message(e: BaseException) -> str:
    """One line for an error a user caused: an OSError as "reason: 'file'", a plain KeyError without its repr
    quotes, anything else its first line."""
    if isinstance(e, OSError) and e.strerror:
        from inpaintkit.fileio import shown

        return f"{e.strerror}: '{shown(e.filename)}'" if e.filename else e.strerror
    text = str(e.args[0]) if type(e) is KeyError and e.args else str(e)
    return (text.splitlines() or [type(e).__name__])[0]


def _check_output(path: Path, option: str, folder: bool = False) -> None:
    """Fail before any work when ``path`` (a file, or with ``folder`` a folder) cannot be created: one of its folders
    is an existing file, or the nearest existing one refuses a new file (no permission, a read-only disk)."""
    import tempfile

    for parent in ([Path(path)] if folder else []) + list(Path(path).parents):
        if parent.exists():
            if not parent.is_dir():
                raise fail(f"cannot write {option} '{path}': '{parent}' is a file, not a folder")
            try:  # the only sure test (root ignores permission bits; a read-only mount has them): try it
                fd, probe = tempfile.mkstemp(prefix=".inpaintkit-probe-", dir=parent)
            except OSError as e:
                raise fail(f"cannot write {option} '{path}': {(e.strerror or str(e)).lower()} ('{parent}')") from None
            os.close(fd)
            os.unlink(probe)
            return


@app.callback()
def _root() -> None:
    """Image inpainting: train, evaluate and apply encoder-decoder and GAN models."""


def _fill_errors():
    """The errors a user can cause (:class:`~inpaintkit.errors.InpaintkitError`, the base of every package error)."""
    from inpaintkit.errors import InpaintkitError

    return InpaintkitError


def main() -> None:
    """The ``inpaintkit`` command (console script and ``python -m inpaintkit``): :data:`app` with the process's
    thread wait policy set first. OpenMP threads (PyTorch's) that wait *passively* sleep instead of spinning
    between operators, so a core that another program keeps busy does not multiply a fill's latency (on a busy
    2-core machine: 128² fills ~6x faster, benchmarks/busy_machine.py). It must be in the environment before torch
    loads, so it is set here, at the entry point, never when the library is imported; a value already set wins.
    onnxruntime's threads are told the same by their session options (:func:`inpaintkit.onnx_backend.session_options`).
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        app()
    except ModuleNotFoundError as e:  # the torch-free install: train, export, demo, ... say what to install
        if (e.name or "").split(".")[0] not in TORCH_EXTRA:
            raise
        typer.echo(f"error: this command needs {e.name.split('.')[0]}, which is not installed: "
                   "pip install 'inpaintkit[torch]'", err=True)
        sys.exit(2)


TORCH_EXTRA = ("torch", "safetensors", "onnx", "skimage", "matplotlib")  # what pip install 'inpaintkit[torch]' adds
