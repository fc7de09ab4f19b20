"""The trainer on a tiny synthetic CelebA-layout folder: run artifacts, exact --resume, GAN mode, the CLI.

Runs are tiny (16x16 crops, a fillnet of widths 8/8/16, batch 4, 6 steps) so the file takes seconds.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file
from typer.testing import CliRunner

from inpaintkit.checkpoint import CheckpointError, load_model
from inpaintkit.cli import app
from inpaintkit.train import TrainConfig, train

SMALL = {"widths": [8, 8, 16], "n_blocks": 2}


def make_celeba(root: Path, n: int = 24, w: int = 40, h: int = 48) -> Path:
    """``n`` smooth-ish RGB images of w x h in CelebA's layout: the first 2/3 train, then val, then test."""
    rng = np.random.default_rng(0)
    (root / "img_align_celeba").mkdir(parents=True)
    yy, xx = np.mgrid[0:h, 0:w]
    lines = []
    for i in range(n):
        img = np.stack([(xx * 5 + i * 10) % 256, (yy * 4) % 256, np.full_like(xx, i * 9)], -1)
        img = np.clip(img + rng.integers(0, 20, img.shape), 0, 255).astype(np.uint8)
        Image.fromarray(img).save(root / "img_align_celeba" / f"{i:06d}.jpg", quality=95)
        lines.append(f"{i:06d}.jpg {0 if i < 2 * n // 3 else 1 if i < 5 * n // 6 else 2}")
    (root / "list_eval_partition.txt").write_text("\n".join(lines) + "\n")
    return root


@pytest.fixture(scope="module")
def celeba(tmp_path_factory) -> Path:
    return make_celeba(tmp_path_factory.mktemp("data") / "celeba")


@pytest.fixture(autouse=True)
def restore_threads():
    n = torch.get_num_threads()  # the runs below set 1 thread (tiny tensors run fastest so)
    yield
    torch.set_num_threads(n)


def config(celeba: Path, **kw) -> TrainConfig:
    base = dict(data=[str(celeba)], size=16, steps=6, batch=4, model_kwargs=dict(SMALL), lr=1e-3, warmup=2,
                val_every=3, sample_every=3, ckpt_every=2, log_every=1, threads=1, workers=0, amp=True)
    return TrainConfig(**{**base, **kw})


def tensors(run: Path, name: str = "checkpoint-last.safetensors") -> dict[str, torch.Tensor]:
    return load_file(str(run / name))


def assert_same_tensors(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    differ = [k for k in a if not torch.equal(a[k], b[k])]
    assert not differ, f"{len(differ)} tensors differ, e.g. {differ[:5]}"


@pytest.fixture(scope="module")
def run_a(celeba, tmp_path_factory) -> Path:
    """The uninterrupted reference run: 6 steps, workers=0, bf16 autocast on."""
    out = tmp_path_factory.mktemp("runs") / "a"
    train(config(celeba), out, progress=False)
    return out


def test_run_writes_every_artifact(run_a):
    names = {p.name for p in run_a.iterdir()}
    assert {"config.json", "log.jsonl", "curves.png", "samples", "checkpoint-last.safetensors",
            "checkpoint-best.safetensors", "model-best.safetensors", "model-best.json", "model-last.safetensors"} <= names
    from safetensors import safe_open

    with safe_open(str(run_a / "model-last.safetensors"), "pt") as f:  # the EMA generator at the last validation
        assert json.loads(f.metadata()["info"])["step"] == 6
    assert not [n for n in names if n.endswith(".tmp") or n.startswith(".")]  # atomic writes left nothing behind

    cfg = json.loads((run_a / "config.json").read_text())
    assert cfg["model"] == "fillnet" and cfg["model_kwargs"]["widths"] == SMALL["widths"] and cfg["steps"] == 6
    assert TrainConfig.from_dict(cfg).to_dict() == cfg  # config.json round-trips

    rows = [json.loads(line) for line in (run_a / "log.jsonl").read_text().splitlines()]
    train_rows = [r for r in rows if "loss" in r]
    assert [r["step"] for r in train_rows] == [1, 2, 3, 4, 5, 6]
    assert all(np.isfinite(r["loss"]) and r["img_per_s"] > 0 and "loss_l1_hole" in r for r in train_rows)
    assert [r["lr"] for r in train_rows[:3]] == pytest.approx([5e-4, 1e-3, 1e-3])  # warmup of 2 steps
    val_rows = [r for r in rows if "val_psnr" in r]
    assert [r["step"] for r in val_rows] == [3, 6]
    assert all(r["val_psnr"] > 10 and 0 < r["val_ssim"] <= 1 and r["val_l1_hole"] >= 0 for r in val_rows)

    assert Image.open(run_a / "curves.png").format == "PNG"
    samples = sorted(p.name for p in (run_a / "samples").iterdir())
    assert samples == ["step-0000003.png", "step-0000006.png"]
    grid = np.asarray(Image.open(run_a / "samples" / samples[-1]))
    assert grid.shape == (4 * 16, 3 * 16, 3)  # 4 val images, input / output / truth

    last = tensors(run_a)
    assert {k.split("/")[0] for k in last} == {"g", "ema", "opt_g", "rng"}
    net = load_model(run_a / "model-best.safetensors")
    assert net.config["widths"] == SMALL["widths"]
    info = json.loads((run_a / "model-best.json").read_text())
    assert info["model"] == "fillnet" and info["step"] in (3, 6) and "val_psnr" in info
    ema = {k[4:]: v for k, v in last.items() if k.startswith("ema/")}
    g = {k[2:]: v for k, v in last.items() if k.startswith("g/")}
    assert ema.keys() == g.keys() and any(not torch.equal(ema[k], g[k]) for k in g)  # EMA lags the weights


@pytest.mark.parametrize("workers", [0, 1])
def test_resume_is_exact(celeba, run_a, tmp_path, workers):
    """3 steps, stop, --resume to 6 == 6 steps uninterrupted: generator, EMA, Adam state and RNG bit-identical."""
    out = tmp_path / "b"
    train(config(celeba, steps=3, workers=workers), out, progress=False)
    assert json.loads((out / "config.json").read_text())["steps"] == 3
    mid = tensors(out)
    train(config(celeba, steps=6, workers=workers), out, resume=True, progress=False)
    end = tensors(out)
    assert any(not torch.equal(mid[k], end[k]) for k in mid if k.startswith("g/"))  # it did train on
    assert_same_tensors(end, tensors(run_a))  # run A used workers=0: the data do not depend on workers
    steps = [json.loads(line)["step"] for line in (out / "log.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3, 3, 4, 5, 6, 6]  # train rows and val rows, appended on resume


def test_resume_takes_the_saved_config(celeba, tmp_path):
    out = tmp_path / "c"
    train(config(celeba, steps=2), out, progress=False)
    train(None, out, resume=True, progress=False)  # None: the saved config as it is
    # only operational fields may change on resume: a different lr or model is refused, not ignored
    with pytest.raises(ValueError, match="--resume keeps the run's model, lr"):
        train(config(celeba, steps=3, lr=0.5, model="seed-unet"), out, resume=True, progress=False)
    train(config(celeba, steps=3), out, resume=True, progress=False)
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["model"] == "fillnet" and cfg["lr"] == 1e-3 and cfg["steps"] == 3


def test_resume_without_a_checkpoint_fails(celeba, tmp_path):
    with pytest.raises(CheckpointError, match="nothing to resume"):
        train(config(celeba), tmp_path / "empty", resume=True, progress=False)


def test_max_minutes_stops_early_with_a_checkpoint_and_validation(celeba, tmp_path):
    """A wall-time limit ends the run at the next log step: last checkpoint, validation and samples written."""
    out = tmp_path / "timed"
    train(config(celeba, steps=1000, max_minutes=1e-9, val_every=500, ckpt_every=500), out, progress=False)
    rows = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    val = [r for r in rows if "val_psnr" in r]
    assert len(val) == 1 and val[0]["step"] == 1  # stopped at the first check (log_every=1), not at 1000
    from safetensors import safe_open

    with safe_open(str(out / "checkpoint-last.safetensors"), "pt") as f:
        assert int(f.metadata()["step"]) == 1
    assert (out / "model-best.safetensors").exists() and list((out / "samples").glob("*.png"))


def test_device_must_be_known_and_cuda_needs_a_gpu(celeba, tmp_path):
    with pytest.raises(ValueError, match="device must be cpu, cuda or auto"):
        TrainConfig.from_dict({"device": "tpu"})
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            train(config(celeba, device="cuda"), tmp_path / "gpu", progress=False)
    train(config(celeba, steps=1, device="auto"), tmp_path / "auto", progress=False)  # cpu here, cuda where present


def test_unknown_config_fields_give_a_clear_error():
    with pytest.raises(ValueError) as e:
        TrainConfig.from_dict({"model": "fillnet", "stpes": 10})
    msg = str(e.value)
    assert "unknown config fields ['stpes']" in msg and "steps" in msg and "\n" not in msg


def test_config_from_dict_normalises_json_types():
    cfg = TrainConfig.from_dict({"data": "some/folder", "betas": [0.5, 0.9]})
    assert cfg.data == ["some/folder"] and cfg.betas == (0.5, 0.9)
    assert json.loads(json.dumps(cfg.to_dict())) == cfg.to_dict()


# --- the CLI -------------------------------------------------------------------------------------


def cli(*args: str):
    return CliRunner().invoke(app, ["train", *args], catch_exceptions=False)


def small_cli_args(celeba: Path, out: Path) -> list[str]:
    return ["--data", str(celeba), "--out", str(out), "--size", "16", "--batch", "4", "--threads", "1",
            "--no-progress", "--set", f"model_kwargs={json.dumps(SMALL)}", "--set", "workers=0",
            "--set", "val_every=2", "--set", "warmup=1"]


def test_gan_through_the_cli_resumes_exactly(celeba, tmp_path):
    """GAN mode: 6 steps through the Python API == 3 steps through the CLI (``--gan``), then ``--resume``."""
    kw = dict(gan_loss="nsgan", loss={"l1_hole": 1.0, "adv": 0.1, "fm": 1.0}, val_every=100)
    train(config(celeba, gan=True, **kw), tmp_path / "a", progress=False)
    a = tensors(tmp_path / "a")
    assert {k.split("/")[0] for k in a} == {"g", "ema", "d", "opt_g", "opt_d", "rng"}
    rows = [json.loads(line) for line in (tmp_path / "a" / "log.jsonl").read_text().splitlines()]
    assert all({"loss_adv", "loss_fm", "loss_d", "loss_l1_hole"} <= set(r) for r in rows if "loss" in r)
    assert all(np.isfinite(r["loss_d"]) for r in rows if "loss" in r)

    fields = config(celeba, steps=3, **kw).to_dict()  # gan is off here: the --gan flag turns it on
    (tmp_path / "b.json").write_text(json.dumps(fields))
    out = tmp_path / "b"
    res = cli("--config", str(tmp_path / "b.json"), "--out", str(out), "--gan", "--no-progress")
    assert res.exit_code == 0, res.output
    metrics = json.loads(res.output.strip().splitlines()[-1])
    assert set(metrics) == {"val_psnr", "val_ssim", "val_l1_hole"}
    assert json.loads((out / "config.json").read_text())["gan"] is True
    assert (out / "model-best.safetensors").is_file() and (out / "samples" / "step-0000003.png").is_file()
    res = cli("--out", str(out), "--resume", "--steps", "6", "--no-progress")
    assert res.exit_code == 0, res.output
    assert json.loads((out / "log.jsonl").read_text().splitlines()[-1])["step"] == 6
    assert_same_tensors(tensors(out), a)


@pytest.mark.parametrize("extra, message", [
    (["--set", "stpes=3"], "error: unknown config fields ['stpes']"),
    (["--model", "fillnett"], "error: unknown model 'fillnett'; valid names: "),
    (["--set", "loss={\"l2\": 1}"], "error: unknown loss terms ['l2']"),
])
def test_cli_errors_are_one_line(celeba, tmp_path, extra, message):
    res = cli(*small_cli_args(celeba, tmp_path / "x"), "--steps", "1", *extra)
    assert res.exit_code == 2
    assert message in res.output
    assert "Traceback" not in res.output


def test_cli_missing_data_and_nothing_to_resume(tmp_path):
    res = cli("--data", str(tmp_path / "nope"), "--out", str(tmp_path / "o"))
    assert res.exit_code == 2 and "error: data folder not found" in res.output
    res = cli("--out", str(tmp_path / "o"), "--resume")
    assert res.exit_code == 2 and "error: nothing to resume" in res.output


def test_lr_mult_trains_matching_parameters_at_a_multiple_of_the_lr(celeba, tmp_path):
    """``lr_mult`` makes one Adam group per prefix at lr x mult (saved in the checkpoint); a prefix that
    matches nothing is refused."""
    from safetensors import safe_open

    from inpaintkit.train.setup import param_groups
    from inpaintkit.train.step import lr_at

    cfg = config(celeba, steps=2, lr_mult={"blocks.": 10.0})
    out = tmp_path / "mult"
    train(cfg, out, progress=False)
    with safe_open(str(out / "checkpoint-last.safetensors"), "pt") as f:
        groups = json.loads(f.metadata()["opt_g"])
    lr = lr_at(cfg, 1, cfg.lr)  # the lr of the last step taken
    assert [g["lr_mult"] for g in groups] == [10.0, 1.0]
    assert groups[0]["lr"] == pytest.approx(10 * lr) and groups[1]["lr"] == pytest.approx(lr)
    net = torch.nn.Linear(2, 2)
    with pytest.raises(ValueError, match="match no generator parameter"):
        param_groups(net, {"attention.": 10.0})
    assert [len(g["params"]) for g in param_groups(net, {})] == [2]
