"""Two-process DDP on the CPU (gloo): ``torchrun --nproc-per-node 2 -m inpaintkit train ...``.

Checks that the run completes, that the two ranks end with bit-identical parameters, EMA and Adam state
(rank 1 dumps its state through the ``rank_checkpoints`` option), and that the result matches a
single-process run of the same global batch.

Tolerance of the single-process comparison: 1e-6 (absolute, on weights and Adam moments). The loss is
``mse`` — a plain mean over the batch — so the average of the two ranks' gradients (each the mean over its
half batch) is mathematically the full-batch gradient and only float rounding differs (measured: at most
1.5e-8 after 4 steps). With ``l1_hole`` the two are *not* the same function: each rank divides by its own
hole-pixel count, so DDP weights the halves differently from one process. Amp is off so the rounding is
fp32's. A wrong data split (both ranks on the same half) moves the weights by 5e-3 (measured).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch
import torch.distributed as dist
from safetensors.torch import load_file

from inpaintkit.train import TrainConfig, train
from inpaintkit.train.data import Batches

from test_train import SMALL, make_celeba  # noqa: E402  (tests/ is on sys.path under pytest's rootdir)

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not (dist.is_available() and dist.is_gloo_available()),
                                reason="torch.distributed with gloo is not available in this torch build")]

TOL = 1e-6
FIELDS = dict(model_kwargs=SMALL, workers=0, amp=False, warmup=1, loss={"mse": 1.0}, val_every=100,
              log_every=1, rank_checkpoints=True)


def test_batches_split_the_global_batch_between_ranks():
    one = list(Batches(n=16, batch=4, seed=0, start=0, stop=6))
    r0 = list(Batches(n=16, batch=4, seed=0, start=0, stop=6, rank=0, world=2))
    r1 = list(Batches(n=16, batch=4, seed=0, start=0, stop=6, rank=1, world=2))
    for full, a, b in zip(one, r0, r1):
        assert len(a) == len(b) == 2
        assert sorted(a + b) == sorted(full)  # the two halves are the global batch, no overlap
    assert list(Batches(n=16, batch=4, seed=0, start=3, stop=6)) == one[3:]  # a resumed run sees the same


@pytest.fixture(autouse=True)
def restore_threads():
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


def test_two_processes_match_each_other_and_one_process(tmp_path):
    data = make_celeba(tmp_path / "celeba")
    out = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           "-m", "inpaintkit", "train", "--data", str(data), "--out", str(out), "--size", "16", "--steps", "4",
           "--batch", "4", "--threads", "1", "--no-progress"]
    for key, value in FIELDS.items():
        cmd += ["--set", f"{key}={json.dumps(value)}"]
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]

    # only rank 0 writes the run (one log row per step), rank 1 wrote just its state dump
    rows = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if "loss" in r] == [1, 2, 3, 4]
    assert sorted(p.name for p in out.glob("checkpoint-last*")) == ["checkpoint-last.rank1.safetensors",
                                                                    "checkpoint-last.safetensors"]
    rank0 = load_file(str(out / "checkpoint-last.safetensors"))
    rank1 = load_file(str(out / "checkpoint-last.rank1.safetensors"))
    assert rank0.keys() == rank1.keys()
    # two ranks: the all-reduce adds two numbers, which is commutative, so the ranks agree bit for bit
    differ = [k for k in rank0 if k.split("/")[0] in ("g", "ema", "opt_g") and not torch.equal(rank0[k], rank1[k])]
    assert not differ, f"ranks diverged: {differ[:5]}"

    single = tmp_path / "single"
    train(TrainConfig(data=[str(data)], size=16, steps=4, batch=4, threads=1, **FIELDS), single, progress=False)
    ref = load_file(str(single / "checkpoint-last.safetensors"))
    worst = {k: float((rank0[k] - ref[k]).abs().max()) for k in ref if k.split("/")[0] in ("g", "ema", "opt_g")}
    assert max(worst.values()) <= TOL, sorted(worst.items(), key=lambda kv: -kv[1])[:3]
    assert rank0["g/out.weight"].abs().max() > 1e-4  # it trained (fillnet's output layer starts at zero)
