"""Atomic file writes: the one place every output (weights, checkpoints, pictures, JSON, ONNX, caches) goes through.

A file is written to a hidden temporary file in the target's folder, flushed to disk, given the usual shared
permissions (0666 minus the umask: mkstemp alone would leave 0600), renamed over the target, and the folder
is synced. A reader, or a crash at any moment (even ``kill -9``), sees the old file or the new one, never a
truncated one; a failed write removes its temporary file and leaves the old file as it was. A temporary file
left by a process that was killed (its name holds the writer's pid) is removed by the next write of the same
target once that process is gone.

Example:
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> atomic_write_text(d / "a.txt", "hello")
    >>> (d / "a.txt").read_text()
    'hello'
    >>> with atomic_path(d / "b.bin") as tmp:       # for writers that need a file name
    ...     _ = pathlib.Path(tmp).write_bytes(b"xy")
    >>> (d / "b.bin").read_bytes()
    b'xy'
"""
from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from collections.abc import Iterator
from glob import escape as glob_escape
from pathlib import Path


def _shared_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


STALE_AGE_S = 10.0  # a leftover temporary file is only removed once it is this old (and its writer is gone)


def remove_stale_temps(path: Path) -> list[Path]:
    """Remove ``.<name>.<pid>.*.tmp`` files beside ``path`` whose writer process no longer exists (and that
    are older than ``STALE_AGE_S``); returns what was removed."""
    removed = []
    for tmp in path.parent.glob(f".{glob_escape(path.name)}.*.tmp"):
        pid = tmp.name[len(path.name) + 2:].split(".", 1)[0]
        try:
            old = time.time() - tmp.stat().st_mtime >= STALE_AGE_S
        except OSError:
            continue
        if pid.isdigit() and int(pid) != os.getpid() and old and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                tmp.unlink()
                removed.append(tmp)
    return removed


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """Yield a temporary file name beside ``path``; when the block ends without an error, the file written
    there replaces ``path`` (fsync, shared permissions, rename, folder fsync); on an error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, _shared_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see the module docstring)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(data)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


# --- names in messages --------------------------------------------------------------------------------

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def shown(name) -> str:
    r"""A file name (str, bytes or path) as it goes into a one-line message: bytes that are not UTF-8 as ``\xff``,
    control characters (a newline, a tab, an escape, ...) as ``\n``, ``\t``, ``\x1b``, so the name can never
    break the line or hide the reason after it.

    >>> print(shown("a\nb.png"), shown(os.fsdecode(b"\xff.png")))
    a\nb.png \xff.png
    """
    text = os.fsdecode(name) if isinstance(name, bytes) else str(name)
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that no file name decodes to
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return _CONTROL.sub(lambda m: _ESCAPES.get(m.group(), f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256
                                               else f"\\u{ord(m.group()):04x}"), text)


def broken_links(folder, suffixes: tuple = ()) -> list[Path]:
    """Symbolic links directly in ``folder`` whose target does not exist (named with one of ``suffixes``, when
    given; hidden names ignored), sorted by name."""
    return sorted(p for p in Path(folder).iterdir()
                  if p.is_symlink() and not p.exists() and not p.name.startswith(".")
                  and (not suffixes or p.suffix.lower() in suffixes))
