"""The marked section of a Markdown file that a benchmark rewrites (train_throughput.py, video.py, light_targets.py).

A benchmark owns the text between ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->`` and nothing else:
``write_section(path, NAME, body)`` replaces that text and leaves everything outside the markers as it was; a
file without the markers gets the section appended after a blank line; a missing (or empty) file is created as ``head``
(a title and an intro, say) followed by the section. The file is written atomically
(:func:`inpaintkit.fileio.atomic_write_text`: a temporary file beside it, then ``os.replace``), so a crash
leaves the old file or the new one. A file whose markers are broken (a begin without an end after it, or two
of either) is refused rather than guessed at.
"""
from __future__ import annotations

import os
from pathlib import Path

from inpaintkit.fileio import atomic_write_text


def markers(name: str) -> tuple[str, str]:
    """The begin and end markers of section ``name``."""
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def replace_section(text: str, name: str, body: str, head: str = "") -> str:
    """``text`` with section ``name`` holding ``body`` (see the module docstring); ``head`` starts an empty text."""
    begin, end = markers(name)
    body = body if body.endswith("\n") else body + "\n"
    section = f"{begin}\n{body}{end}"
    counts = text.count(begin), text.count(end)
    if counts == (1, 1) and text.index(begin) < text.index(end):
        return text[: text.index(begin)] + section + text[text.index(end) + len(end):]
    if counts != (0, 0):
        raise ValueError(f"broken markers: {counts[0]} x {begin}, {counts[1]} x {end}, need one of each, begin first "
                         "(fix the file by hand)")
    if not text.strip():
        return (head.rstrip("\n") + "\n\n" if head.strip() else "") + section + "\n"
    return text.rstrip("\n") + "\n\n" + section + "\n"


def write_section(path: str | os.PathLike, name: str, body: str, head: str = "") -> None:
    """Write ``body`` into section ``name`` of the Markdown file ``path``, atomically (created from ``head`` when
    missing)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    try:
        new = replace_section(text, name, body, head)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
    atomic_write_text(path, new)
