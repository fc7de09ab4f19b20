"""Atomic writes (fileio.py): the target is replaced whole or not at all, failures leave nothing behind,
and leftovers of killed writers are cleaned up."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from inpaintkit import fileio


def test_write_replaces_whole_and_is_readable_by_others(tmp_path):
    target = tmp_path / "sub" / "a.bin"
    fileio.atomic_write_bytes(target, b"old")
    fileio.atomic_write_bytes(target, b"new contents")
    assert target.read_bytes() == b"new contents"
    assert target.stat().st_mode & 0o044  # group/other may read (mkstemp alone would leave 0600)
    assert [p.name for p in target.parent.iterdir()] == ["a.bin"]


def test_a_failed_write_keeps_the_old_file_and_removes_its_temporary(tmp_path):
    target = tmp_path / "a.txt"
    fileio.atomic_write_text(target, "old")
    with pytest.raises(RuntimeError), fileio.atomic_path(target) as tmp:
        open(tmp, "w").write("half")
        raise RuntimeError("writer failed")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_leftovers_of_dead_writers_are_removed_by_the_next_write(tmp_path, monkeypatch):
    monkeypatch.setattr(fileio, "STALE_AGE_S", 0.0)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)  # a process that has exited
    target = tmp_path / "ckpt.safetensors"
    stale = tmp_path / f".ckpt.safetensors.{dead_pid}.abc.tmp"
    live = tmp_path / f".ckpt.safetensors.{os.getppid()}.def.tmp"  # a writer that is still running
    other = tmp_path / f".other.safetensors.{dead_pid}.ghi.tmp"  # another target's leftover: not ours to touch
    for f in (stale, live, other):
        f.write_bytes(b"partial")
    fileio.atomic_write_bytes(target, b"x")
    assert not stale.exists() and live.exists() and other.exists()


def test_recent_leftovers_are_kept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".a.bin.{int(dead.stdout)}.abc.tmp"
    stale.write_bytes(b"partial")
    fileio.atomic_write_bytes(tmp_path / "a.bin", b"x")  # younger than STALE_AGE_S: maybe another machine's writer
    assert stale.exists()
