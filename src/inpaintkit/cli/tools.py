"""The small commands: ``models``, ``demo``, ``serve`` and ``export``."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from inpaintkit.cli.common import BACKEND_HELP, MODEL_FORMS, _check_output, _fill_errors, _message, _one_line_warning, app, fail, printable  # noqa: F401


@app.command("models")
def models_cmd() -> None:
    """List the registered models (networks, pretrained bundles and classical methods)."""
    from inpaintkit.models.registry import describe, list_models, model_kind

    for name in list_models():
        typer.echo(f"{name:16s} {model_kind(name):10s} {describe(name)}")


# --- commands are added below, one block per concern ------------------------------------------


@app.command("demo")
def demo_cmd(
    out: Path = typer.Option(Path("demo.png"), "-o", "--out", help="Where to write the before/after picture."),
    model: Optional[str] = typer.Option(None, help=f"The model: {MODEL_FORMS}. Default: the bundled default model."),
    photo: str = typer.Option("astronaut", help="Bundled photo: astronaut, chelsea or coffee."),
    seed: int = typer.Option(3, help="Seed of the generated mask."),
) -> None:
    """Fill a real photo (scikit-image's astronaut) under a generated mask with the bundled model, offline."""
    from inpaintkit.demo import run_demo

    try:
        res = run_demo(out, model=model, photo=photo, seed=seed)
    except (ValueError, KeyError, OSError) as e:
        raise fail(_message(e))
    typer.echo(f"filled {res['photo']} ({100 * res['hole_ratio']:.1f}% hole) with {res['model']} in "
               f"{res['seconds_model']:.2f} s: PSNR {res['psnr_model']:.2f} dB "
               f"(OpenCV Telea {res['psnr_telea']:.2f} dB); wrote {out}")



@app.command("serve")
def serve_cmd(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (127.0.0.1: this machine only)."),
    port: int = typer.Option(8080, "--port", help="TCP port."),
    model: Optional[str] = typer.Option(None, "--model", help=f"The model: {MODEL_FORMS}. Default: the bundled default model."),
    backend: Optional[str] = typer.Option(None, "--backend", help=BACKEND_HELP),
    max_upload_mb: float = typer.Option(100.0, "--max-upload-mb", help="Largest request (image + mask) in MB."),
    max_pixels: int = typer.Option(25_000_000, "--max-pixels", help="Largest image in pixels (width x height)."),
    max_concurrency: int = typer.Option(1, "--max-concurrency", help="Fills that run at the same time."),
    body_timeout: float = typer.Option(60.0, "--body-timeout", help="Seconds a request's upload may take (408 after)."),
    allow_host: Optional[List[str]] = typer.Option(None, "--allow-host", help="Also answer this Host name (repeatable; '*' = any). Default: loopback names and --host."),
    max_buffered_mb: Optional[float] = typer.Option(None, "--max-buffered-mb", help="Request bodies in progress at once, all together, in MB (503 past it). Default: 1024 or twice --max-upload-mb."),
) -> None:
    """Serve the web page (paint a hole, Fill, compare, download) and its API at http://HOST:PORT/."""
    from pydantic import ValidationError

    from inpaintkit.server.schemas import ServerSettings

    try:
        settings = ServerSettings(host=host, port=port, model=model, max_upload_mb=max_upload_mb,
                                  max_pixels=max_pixels, max_concurrency=max_concurrency,
                                  body_timeout_s=body_timeout, allowed_hosts=allow_host or None,
                                  max_buffered_mb=max_buffered_mb)
    except ValidationError as e:
        err = e.errors()[0]
        where = str(err["loc"][0]) if err["loc"] else "max_buffered_mb"  # the model's own check has no field
        option = {"body_timeout_s": "body-timeout", "allowed_hosts": "allow-host"}.get(where)
        raise fail(f"--{option or where.replace('_', '-')}: {err['msg'].removeprefix('Value error, ')}")
    from inpaintkit.errors import InpaintkitError
    from inpaintkit.server.app import bind, create_app, run

    try:
        sock = bind(settings.host, settings.port)  # first, so a taken port fails before the model loads
    except OSError as e:
        raise fail(f"cannot listen on {host}:{port}: {e.strerror or e}")
    try:
        web = create_app(settings.model, backend=backend, max_upload_mb=settings.max_upload_mb, max_pixels=settings.max_pixels,
                         max_concurrency=settings.max_concurrency, body_timeout_s=settings.body_timeout_s,
                         allowed_hosts=settings.hosts, max_buffered_mb=settings.max_buffered_mb)
    except (InpaintkitError, OSError) as e:
        sock.close()
        raise fail(_message(e))
    if host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo(f"warning: listening on {host}: other machines can reach this server (no authentication)", err=True)
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"inpaintkit: {web.state.model_name} loaded; open http://{shown}:{sock.getsockname()[1]}/ (Ctrl+C stops)")
    run(web, sock)



@app.command("export")
def export_cmd(
    out: Path = typer.Option(..., "--out", "-o", help="The .onnx file to write."),
    model: Optional[str] = typer.Option(None, "--model", help="Model name (see `inpaintkit models`) or .safetensors model file (default: the bundled default model). +flip is applied when filling: fill with --model FILE.onnx+flip."),
    opset: int = typer.Option(17, "--opset", help="ONNX opset (17 to 20: what PyTorch's exporter writes)."),
) -> None:
    """Export a network to ONNX (dynamic batch/height/width; raw forward(masked, mask)) and check it against PyTorch."""
    from inpaintkit.export import ExportError, check_opset, export_onnx

    try:
        check_opset(opset)  # before the model loads: an opset the exporter lacks would fail deep inside it
    except ExportError as e:
        raise fail(f"--{e}")
    if out.suffix.lower() != ".onnx":
        raise fail(f"--out must name a .onnx file, got '{out}'")
    if out.is_dir():
        raise fail(f"--out '{out}' is a folder; give a file name")
    _check_output(out, "--out")
    try:
        info = export_onnx(model, out, opset=opset)
    except _fill_errors() as e:
        raise fail(_message(e))
    size_mb = out.stat().st_size / 1e6
    typer.echo(printable(f"wrote {out}") + f" ({size_mb:.1f} MB, opset {opset}); onnxruntime vs PyTorch max |diff| = {info['max_abs_diff']:.1e}")
