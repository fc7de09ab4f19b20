"""What users expect of ``inpaintkit train``: Ctrl-C saves and --resume continues exactly, an old run is not
overwritten by accident, --resume says what it changes, small folders train, bad configs fail before any file."""
from __future__ import annotations

import json
import os
import signal

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import inpaintkit.train.loop as loop
from inpaintkit.cli import app
from test_train import SMALL, assert_same_tensors, make_celeba, small_cli_args, tensors

train = loop.train


@pytest.fixture(scope="module")
def celeba(tmp_path_factory):
    return make_celeba(tmp_path_factory.mktemp("data") / "celeba")


def cli(*args: str):
    return CliRunner().invoke(app, ["train", *args], catch_exceptions=False)


def test_sigint_saves_a_checkpoint_and_resume_continues_exactly(celeba, tmp_path, monkeypatch):
    opts = ["--steps", "6", "--set", "ckpt_every=100", "--set", "sample_every=3", "--set", "val_every=3"]
    assert cli(*small_cli_args(celeba, tmp_path / "whole"), *opts).exit_code == 0
    real = loop.train_step

    def step_then_ctrl_c(run, image, mask):
        out = real(run, image, mask)
        if run.step == 4:
            os.kill(os.getpid(), signal.SIGINT)  # as Ctrl-C in a terminal
        return out

    monkeypatch.setattr(loop, "train_step", step_then_ctrl_c)
    res = cli(*small_cli_args(celeba, tmp_path / "cut"), *opts)
    assert res.exit_code == 130 and "stopped by SIGINT at step 4" in res.output and "--resume" in res.output
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handler is put back
    monkeypatch.setattr(loop, "train_step", real)
    res = cli("--out", str(tmp_path / "cut"), "--resume", "--no-progress")
    assert res.exit_code == 0, res.output
    whole, cut = tensors(tmp_path / "whole"), tensors(tmp_path / "cut")
    assert_same_tensors(cut, whole)


def test_an_existing_run_is_refused_without_overwrite(celeba, tmp_path):
    args = [*small_cli_args(celeba, tmp_path / "r"), "--steps", "1"]
    assert cli(*args).exit_code == 0
    before = (tmp_path / "r" / "log.jsonl").read_text()
    res = cli(*args)
    assert res.exit_code == 2 and "already holds a run" in res.output and "--overwrite" in res.output
    assert (tmp_path / "r" / "log.jsonl").read_text() == before  # untouched
    res = cli(*args, "--overwrite")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "r" / "log.jsonl").read_text().count('"val_psnr"') == 1  # a fresh log, not appended


def test_resume_applies_operational_set_and_refuses_others(celeba, tmp_path):
    out = tmp_path / "r"
    assert cli(*small_cli_args(celeba, out), "--steps", "2").exit_code == 0
    res = cli("--out", str(out), "--resume", "--no-progress", "--set", "lr=0.5")
    assert res.exit_code == 2 and "--resume keeps the run's lr" in res.output
    res = cli("--out", str(out), "--resume", "--no-progress", "--steps", "3", "--set", "log_every=3")
    assert res.exit_code == 0, res.output
    assert "resume: steps: 2 -> 3" in res.output and "resume: log_every: 20 -> 3" in res.output
    assert json.loads((out / "config.json").read_text())["log_every"] == 3


def test_a_50_image_folder_trains(tmp_path):
    rng = np.random.default_rng(0)
    (tmp_path / "photos").mkdir()
    for i in range(50):
        Image.fromarray(rng.integers(0, 255, (20, 20, 3), dtype=np.uint8)).save(tmp_path / "photos" / f"{i}.png")
    res = cli("--data", str(tmp_path / "photos"), "--out", str(tmp_path / "run"), "--size", "16", "--batch", "4",
              "--steps", "2", "--threads", "1", "--no-progress", "--set", f"model_kwargs={json.dumps(SMALL)}",
              "--set", "workers=0")
    assert res.exit_code == 0, res.output
    assert "validation: 5 of 50 images held out" in res.output


@pytest.mark.parametrize("extra, message", [
    (["--model", "telea"], "is classical, not a trainable network"),
    (["--size", "12"], "size must be at least 16 and a multiple of 8"),
    (["--threads", "-1"], "config field threads"),
    (["--set", "load_size=100000"], "load_size must be at most 4096"),
    (["--set", "cache_dir=\"CACHEFILE\""], "is a file, not a folder"),
    (["--set", 'device="cuda"'], "no CUDA GPU"),
    (["--set", 'model_kwargs={"widths": [-8, 8, 16]}'], "widths"),
])
def test_bad_configs_fail_in_one_line_and_leave_no_run_folder(celeba, tmp_path, extra, message):
    if "cuda" in str(extra):
        pytest.importorskip("torch")
        import torch

        if torch.cuda.is_available():
            pytest.skip("this machine has a GPU")
    (tmp_path / "CACHEFILE").write_text("x")
    extra = [e.replace("CACHEFILE", str(tmp_path / "CACHEFILE")) for e in extra]
    res = cli(*small_cli_args(celeba, tmp_path / "run"), "--steps", "1", *extra)
    assert res.exit_code == 2 and message in res.output and "Traceback" not in res.output, res.output
    assert not (tmp_path / "run").exists()
