"""Crash safety of training: ``inpaintkit train`` killed with SIGKILL at the worst moments, then ``--resume``.

A tiny run (the synthetic CelebA folder of ``test_train.py``, 16x16 crops, a fillnet of widths 8/8/16, batch 4,
16 steps, a checkpoint after every step, ``workers=0``) is

1. killed in the *middle* of writing ``checkpoint-last`` (its k-th write, a seeded random fraction on disk),
2. resumed and killed after the temporary file is complete, just *before* the rename,
3. resumed with slowed-down writes and killed from outside at a seeded random moment,
4. resumed to the end.

After every kill each ``*.safetensors`` file in the run folder loads completely, ``checkpoint-last`` holds the
step before the interrupted write (the old file survived), and the leftover ``.checkpoint-last.*.tmp`` file is
never picked up; at the end every tensor — generator, EMA, Adam state, RNG — and the shipped model are
bit-identical to an uninterrupted run.

Each run is a real process killed with a real SIGKILL. To pay the interpreter's start-up (torch and friends) once,
the runs are forked from one helper subprocess that has imported them (it runs no torch op before forking); each
child runs the ``inpaintkit train`` command (``inpaintkit.cli.app``) with its own arguments. The kills inside a
write come from a wrapper around ``os`` in ``inpaintkit.checkpoint`` that the child installs: the real
``atomic_write_bytes`` runs, and the child SIGKILLs itself at the planned byte.
"""
from __future__ import annotations

import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from safetensors import safe_open
from safetensors.torch import load_file

from inpaintkit.checkpoint import CheckpointError, load_model
from test_train import SMALL, assert_same_tensors, make_celeba

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path("/proc/self/fd").is_dir() or not hasattr(os, "fork"),
                                reason="the kill points use fork and /proc (Linux)")]

SEED = 20240607
STEPS = 16

# The helper process: import once, then fork one child per job read from stdin; report pid and exit status.
ZYGOTE = r'''
import builtins, json, os, signal, sys, time, traceback, types
import torch  # noqa: F401 - imported before any fork; no torch op runs in this process
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot  # noqa: F401
import inpaintkit.fileio as fileio
fileio.STALE_AGE_S = 0.0  # the kills below come seconds apart: clean leftovers at once
import inpaintkit.cli
import inpaintkit.data, inpaintkit.masks, inpaintkit.models.generators, inpaintkit.train  # noqa: F401,E401


def arm(plan):
    """Wrap the functions inpaintkit.fileio writes with so the planned checkpoint-last write is interrupted."""
    if not plan:
        return
    real_replace = os.replace
    writes = {"n": 0}
    is_last = lambda path: os.path.basename(str(path)).startswith(".checkpoint-last.safetensors.")

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    class File:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.f.__exit__(*exc)

        def __getattr__(self, name):
            return getattr(self.f, name)

        def write(self, data):
            writes["n"] += 1
            half = int(len(data) * plan.get("fraction", 0.5))
            if plan["mode"] == "mid-write" and writes["n"] == plan["write"]:
                self.f.write(data[:half])
                self.f.flush()
                os.fsync(self.f.fileno())
                die()
            if plan["mode"] == "slow":  # half, a pause, the rest: a window for an outside kill
                self.f.write(data[:half])
                self.f.flush()
                time.sleep(plan["pause"])
                return half + self.f.write(data[half:])
            return self.f.write(data)

    def open_(path, mode="r", *a, **kw):
        f = builtins.open(path, mode, *a, **kw)
        return File(f) if "w" in mode and is_last(path) else f

    def replace(src, dst):
        if plan["mode"] == "before-rename" and is_last(src) and writes["n"] == plan["write"]:
            die()
        return real_replace(src, dst)

    proxy = types.SimpleNamespace(**vars(os))
    proxy.replace = replace
    fileio.os, fileio.open = proxy, open_


print(json.dumps({"ready": os.getpid()}), flush=True)
for line in sys.stdin:
    job = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 70
        try:
            fd = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            arm(job.get("plan"))
            inpaintkit.cli.app(job["args"], prog_name="inpaintkit")
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    print(json.dumps({"pid": pid}), flush=True)
    _, status = os.waitpid(pid, 0)
    print(json.dumps({"status": os.waitstatus_to_exitcode(status)}), flush=True)
os._exit(0)  # no interpreter teardown
'''


class Zygote:
    """The helper process: ``start(args, plan)`` forks a run and returns its pid; ``wait()`` its exit status."""

    def __init__(self, cwd: Path, timeout: float = 300):
        self.timeout, self.log = timeout, cwd / "runs.log"
        self.proc = subprocess.Popen([sys.executable, "-c", ZYGOTE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     cwd=cwd, text=True, bufsize=1)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(x) for x in self.proc.stdout], daemon=True).start()
        self.child = None
        self._read("ready")

    def _read(self, key: str):
        try:
            msg = json.loads(self.lines.get(timeout=self.timeout))
        except queue.Empty:
            raise AssertionError(f"no answer from the helper within {self.timeout} s; log:\n{self._tail()}") from None
        return msg[key]

    def _tail(self) -> str:
        return self.log.read_text()[-3000:] if self.log.exists() else ""

    def start(self, args: list[str], plan: dict | None = None) -> int:
        self.proc.stdin.write(json.dumps({"args": [str(a) for a in args], "plan": plan, "log": str(self.log)}) + "\n")
        self.proc.stdin.flush()
        self.child = self._read("pid")
        return self.child

    def wait(self) -> int:
        status = self._read("status")
        self.child = None
        return status

    def run(self, args: list[str], plan: dict | None = None) -> int:
        self.start(args, plan)
        return self.wait()

    def kill_child(self) -> None:
        """SIGKILL the running child — unless it has already exited (then the helper has reported its status)."""
        if self.child and self.lines.empty():
            os.kill(self.child, signal.SIGKILL)

    def close(self) -> None:
        self.kill_child()
        self.proc.stdin.close()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def train_args(data: Path, out: Path) -> list:
    return ["train", "--data", data, "--out", out, "--size", "16", "--batch", "4", "--steps", str(STEPS),
            "--threads", "1", "--no-progress", "--set", f"model_kwargs={json.dumps(SMALL)}", "--set", "workers=0",
            "--set", "ckpt_every=1", "--set", "log_every=1", "--set", "warmup=2", "--set", "val_every=1000",
            "--set", "sample_every=1000"]


def resume_args(out: Path) -> list:
    return ["train", "--out", out, "--resume", "--no-progress"]


def step_of(path: Path) -> int:
    with safe_open(str(path), framework="pt") as f:
        return int(f.metadata()["step"])


def check_disk(run: Path) -> tuple[int, list[Path]]:
    """Every checkpoint / model file in ``run`` is complete and loads; returns (checkpoint-last's step, temp files)."""
    files = sorted(run.glob("*.safetensors"))
    assert run / "checkpoint-last.safetensors" in files
    for path in files:
        assert not path.name.startswith("."), path  # a temporary file never looks like a checkpoint
        load_file(str(path))  # every byte of every tensor is there
        load_model(path)  # and it builds the network (a train-state through its EMA generator)
    temps = sorted(run.glob(".*.tmp"))
    return step_of(run / "checkpoint-last.safetensors"), temps


@pytest.fixture(scope="module")
def zygote(tmp_path_factory):
    z = Zygote(tmp_path_factory.mktemp("zygote"))
    yield z
    z.close()


def test_sigkill_at_any_moment_then_resume_is_bit_identical(zygote, tmp_path):
    rng = random.Random(SEED)
    data = make_celeba(tmp_path / "celeba", n=12, w=20, h=24)
    ref, run = tmp_path / "ref", tmp_path / "run"
    assert zygote.run(train_args(data, ref)) == 0, zygote._tail()

    # 1. SIGKILL in the middle of the k-th write of checkpoint-last
    k, fraction = rng.randint(2, 4), rng.uniform(0.05, 0.95)
    assert zygote.run(train_args(data, run), {"mode": "mid-write", "write": k, "fraction": fraction}) == -signal.SIGKILL
    step, temps = check_disk(run)
    assert step == k - 1  # the previous checkpoint survived whole
    assert len(temps) == 1 and temps[0].stat().st_size < (run / "checkpoint-last.safetensors").stat().st_size
    with pytest.raises(CheckpointError):  # the torn file is garbage: had anything read it, it would have failed
        load_model(temps[0])

    # 2. resume; SIGKILL when the temporary file is complete and fsynced, just before the rename
    j = rng.randint(1, 3)
    assert zygote.run(resume_args(run), {"mode": "before-rename", "write": j}) == -signal.SIGKILL
    step, temps = check_disk(run)
    assert step == k - 1 + j - 1
    assert len(temps) == 1  # the complete-but-unrenamed file is left (and ignored); the torn one of step 1 was
    # removed by the resumed run's first write (its writer process was gone)

    # 3. resume with slow checkpoint writes; SIGKILL from outside at a random moment once the run has moved on
    zygote.start(resume_args(run), {"mode": "slow", "pause": 0.03, "fraction": 0.5})
    deadline = time.monotonic() + 120
    while step_of(run / "checkpoint-last.safetensors") <= step and zygote.lines.empty() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(rng.uniform(0.0, 0.4))
    zygote.kill_child()
    assert zygote.wait() in (-signal.SIGKILL, 0)  # 0: it had already finished
    check_disk(run)

    # 4. resume to the end: everything equals the uninterrupted run, bit for bit
    assert zygote.run(resume_args(run)) == 0, zygote._tail()
    assert step_of(run / "checkpoint-last.safetensors") == STEPS
    for name in ("checkpoint-last.safetensors", "model-best.safetensors"):  # weights, EMA, Adam state, RNG
        assert_same_tensors(load_file(str(run / name)), load_file(str(ref / name)))
    assert "rng/torch" in load_file(str(run / "checkpoint-last.safetensors"))
    assert not list(run.glob(".*.tmp"))  # every leftover of a killed writer was cleaned up by a later write
