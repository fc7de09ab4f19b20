"""``inpaintkit fill-video``: folders and videos end to end; every bad input gives one line, exit 2, no output."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from inpaintkit.cli import app
from inpaintkit.video.io import open_clip

from .synthetic import hole_psnr, moving_square
from .test_io import write_folder, write_video

runner = CliRunner()


def _run(*args):
    return runner.invoke(app, ["fill-video", *map(str, args), "--model", "telea", "-q"])


def _masks(folder, masks):
    folder.mkdir(parents=True, exist_ok=True)
    for i, m in enumerate(masks):
        Image.fromarray((m * 255).astype(np.uint8)).save(folder / f"m{i:03d}.png")
    return folder


def _one_line_error(r, text):
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and text in lines[0], r.output


def test_folder_in_folder_out(tmp_path):
    frames, masks, truth = moving_square(n=10)
    r = _run(write_folder(tmp_path / "in", frames), "--mask", _masks(tmp_path / "m", masks), "-o", tmp_path / "out")
    assert r.exit_code == 0, r.output
    assert "wrote" in r.output and "10 frames" in r.output
    out = list(open_clip(tmp_path / "out").frames())
    assert len(out) == 10 and hole_psnr(out, truth, masks) > 28
    assert all(np.array_equal(o[~m], f[~m]) for o, f, m in zip(out, frames, masks))
    r = _run(tmp_path / "in", "--mask", tmp_path / "m", "-o", tmp_path / "out")
    _one_line_error(r, "add --overwrite")
    r = _run(tmp_path / "in", "--mask", tmp_path / "m", "-o", tmp_path / "out", "--overwrite", "--per-frame")
    assert r.exit_code == 0, r.output


def test_video_in_video_out_with_a_mask_video(tmp_path):
    pytest.importorskip("av")
    frames, masks, _ = moving_square(n=8)
    src = write_video(tmp_path / "in.mp4", frames, fps=12, audio=True)
    mvid = write_video(tmp_path / "m.mp4", masks, mask=True)
    r = _run(src, "--mask", mvid, "-o", tmp_path / "out.mkv", "--threads", "1")
    assert r.exit_code == 0, r.output
    assert "audio copied" in r.output
    out = open_clip(tmp_path / "out.mkv")
    assert out.fps == 12 and out.size == (96, 64) and len(list(out.frames())) == 8


def test_bad_inputs_one_line_exit_2_no_output(tmp_path):
    frames, masks, _ = moving_square(n=5)
    src = write_folder(tmp_path / "in", frames)
    _masks(tmp_path / "m", masks)
    one = tmp_path / "one.png"
    Image.fromarray((masks[0] * 255).astype(np.uint8)).save(one)
    (tmp_path / "empty").mkdir()
    out = tmp_path / "res" / "o.mp4"
    cases = [
        ((tmp_path / "empty", "--mask", one), "holds no frames"),  # zero frames
        ((tmp_path / "nope", "--mask", one), "not found"),
        ((src, "--mask", tmp_path / "nomask.png"), "mask not found"),
    ]
    small = tmp_path / "small.png"
    Image.fromarray(np.zeros((10, 12), np.uint8)).save(small)
    cases.append(((src, "--mask", small), "is 12x10 but the frames are 96x64"))  # a mask of another size
    cases.append(((src, "--mask", _masks(tmp_path / "m3", masks[:3])), "3 masks"))  # counts differ
    odd = write_folder(tmp_path / "odd", frames[:2])
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(odd / "00002.png")  # a frame of another size
    cases.append(((odd, "--mask", one), "every frame must have the same size"))
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00" * 100)
    cases.append(((junk, "--mask", one), "cannot read video"))  # unreadable video
    for args, text in cases:
        r = _run(*args, "-o", out)
        _one_line_error(r, text)
        assert not (tmp_path / "res").exists() or list((tmp_path / "res").iterdir()) == [], text
    r = _run(src, "--mask", one, "-o", out, "--codec", "nope")  # a codec that cannot be written
    _one_line_error(r, "codec 'nope'")
    r = _run(src, "--mask", one, "-o", out, "--threads", "0")
    _one_line_error(r, "--threads")
    r = _run(src, "--mask", one, "-o", src, "--overwrite")
    _one_line_error(r, "refusing to overwrite the input")
    assert len(list(src.iterdir())) == 5
    # a mask video with fewer masks than the clip has frames: found at the end, and nothing is written
    pytest.importorskip("av")
    r = _run(write_video(tmp_path / "v.mp4", frames), "--mask", write_video(tmp_path / "mv.mp4", masks[:3], mask=True),
             "-o", out)
    _one_line_error(r, "more frames than masks")
    assert not out.exists() and [p.name for p in out.parent.iterdir()] == []


def test_an_unknown_backend_is_one_line_and_no_output(tmp_path):
    frames, masks, _ = moving_square(n=3)
    r = runner.invoke(app, ["fill-video", str(write_folder(tmp_path / "in", frames)), "--mask",
                            str(_masks(tmp_path / "m", masks)), "-o", str(tmp_path / "out"), "--backend", "nope", "-q"])
    _one_line_error(r, "backend")
    assert not (tmp_path / "out").exists()
