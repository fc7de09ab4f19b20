"""Batch jobs lose nothing: ``inpaintkit fill`` on a folder with bad files, interrupted, and rerun.

``test_cli_fill.py`` covers matching by stem, the skip report, exit code 1 and a rerun skipping existing outputs.
This file adds: every kind of bad pair in one folder still lets every good photo through; fixing the bad files
and rerunning the same command finishes the job (exit 0) without touching what was done; a batch interrupted
midway (Ctrl+C, or a kill that leaves a temporary file) leaves only complete outputs and a rerun completes it,
identical to an uninterrupted run.
"""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from inpaintkit.cli import app
from inpaintkit.batch import fill_folder
from inpaintkit.images import read_picture

pytestmark = pytest.mark.light  # the torch-free install runs these too (`make test-light`)

runner = CliRunner()
H, W = 24, 32




def _photo(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (H, W, 3), dtype=np.uint8)


def _hole(h: int = H, w: int = W, value: int = 255) -> Image.Image:
    m = np.zeros((h, w), np.uint8)
    m[6:14, 8:20] = value
    return Image.fromarray(m)


def _png(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


GOOD = ("a.png", "c.png", "e.png", "g.png")


def _folders(tmp_path):
    """Seven photos: four good, and one of each bad kind between them (sorted order: a b c d e f g)."""
    imgs, masks = tmp_path / "imgs", tmp_path / "masks"
    imgs.mkdir()
    masks.mkdir()
    for i, name in enumerate("abcdefg"):
        Image.fromarray(_photo(i)).save(imgs / f"{name}.png")
        _hole().save(masks / f"{name}.png")
    good_png = (imgs / "b.png").read_bytes()
    (imgs / "b.png").write_bytes(good_png[: len(good_png) // 2])  # a truncated photo
    (masks / "d.png").write_bytes(b"")  # an empty mask file
    _hole(20, W).save(masks / "f.png")  # a mask of another size
    Image.fromarray(np.full((H, W), 255, np.uint8)).save(masks / "h_mask.png")  # belongs to no photo: ignored
    return imgs, masks


def _fill(*args):
    return runner.invoke(app, ["fill", *map(str, args), "--model", "telea", "-q"])


def _names(folder):
    return sorted(p.name for p in folder.iterdir())


def _check_outputs(out, names, imgs):
    hole = np.asarray(_hole()) > 127
    for name in names:
        got, src = read_picture(out / name).pixels, np.asarray(Image.open(imgs / name))
        assert got.shape == src.shape and np.array_equal(got[~hole], src[~hole]), name


def test_bad_files_do_not_stop_the_batch_and_a_rerun_finishes_it(tmp_path):
    imgs, masks = _folders(tmp_path)
    out = tmp_path / "out"
    r = _fill(imgs, "--mask", masks, "-o", out)
    assert r.exit_code == 1, r.output  # some photos failed
    assert _names(out) == list(GOOD)  # every good photo, nothing else (no partial or temporary file)
    _check_outputs(out, GOOD, imgs)
    assert "filled 4 of 7 images" in r.output
    for line in ("b.png: cannot read image", "d.png: cannot read image", "file is empty", "f.png: mask is 32x20"):
        assert line in r.output, line
    stamps = {n: (out / n).stat().st_mtime_ns for n in GOOD}

    # the user fixes the bad files and runs the same command again: only they are filled now
    Image.fromarray(_photo(1)).save(imgs / "b.png")
    _hole().save(masks / "d.png")
    _hole().save(masks / "f.png")
    r = _fill(imgs, "--mask", masks, "-o", out)
    assert r.exit_code == 0, r.output
    assert "filled 3 of 7 images" in r.output and r.output.count("output exists") == 4
    assert _names(out) == [f"{c}.png" for c in "abcdefg"]
    _check_outputs(out, _names(out), imgs)
    assert {n: (out / n).stat().st_mtime_ns for n in GOOD} == stamps  # what was done is not redone


class _Interrupt:
    """Telea, but Ctrl+C arrives while the ``n``-th photo is being filled."""

    def __init__(self, n: int):
        from inpaintkit.models.registry import create_model

        self.telea, self.n, self.calls = create_model("telea"), n, 0

    def fill_numpy(self, image, mask):
        self.calls += 1
        if self.calls == self.n:
            raise KeyboardInterrupt
        return self.telea.fill_numpy(image, mask)


def test_an_interrupted_batch_leaves_complete_files_and_resumes_exactly(tmp_path, monkeypatch):
    imgs, masks = tmp_path / "imgs", tmp_path / "masks"
    imgs.mkdir()
    masks.mkdir()
    for i in range(6):
        Image.fromarray(_photo(10 + i)).save(imgs / f"p{i}.png")
        _hole().save(masks / f"p{i}.png")
    ref = tmp_path / "ref"
    assert _fill(imgs, "--mask", masks, "-o", ref).exit_code == 0

    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):  # Ctrl+C while filling p2
        fill_folder(imgs, masks, out, _Interrupt(3), progress=False)
    assert _names(out) == ["p0.png", "p1.png"]

    # Ctrl+C (or any exception) while the next file is being *written*: the temporary file is removed
    import inpaintkit.fileio as ckpt  # its os module: the atomic writes' os.replace

    real_replace = ckpt.os.replace

    def interrupted_replace(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(ckpt.os, "replace", interrupted_replace)
    with pytest.raises(KeyboardInterrupt):
        fill_folder(imgs, masks, out, "telea", progress=False)
    monkeypatch.setattr(ckpt.os, "replace", real_replace)
    assert _names(out) == ["p0.png", "p1.png"]

    # a SIGKILL cannot clean up: it may leave a temporary file, hidden (dot) and named *.tmp
    (out / ".p2.png.k1ll3d.tmp").write_bytes((ref / "p2.png").read_bytes()[:50])
    r = _fill(imgs, "--mask", masks, "-o", out)
    assert r.exit_code == 0 and "filled 4 of 6 images" in r.output, r.output
    for i in range(6):  # the finished job equals the uninterrupted one, byte for byte
        assert (out / f"p{i}.png").read_bytes() == (ref / f"p{i}.png").read_bytes()
    assert [p.name for p in out.iterdir() if p.suffix == ".tmp"] == [".p2.png.k1ll3d.tmp"]  # never taken as output
