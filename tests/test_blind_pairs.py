"""scripts/blind_pairs.py: shuffled pairs with the order only in key.json, and a score that follows the key."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "blind_pairs.py"


@pytest.fixture
def script():
    spec = importlib.util.spec_from_file_location("blind_pairs", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def data_root(tmp_path):
    """One object-removal clip of 14 frames (frames 0 and 13 are used), a square moving over noise."""
    rng = np.random.default_rng(3)
    clip = tmp_path / "data" / "video" / "object_removal" / "square"
    (clip / "frames").mkdir(parents=True)
    (clip / "masks").mkdir()
    for i in range(14):
        Image.fromarray(rng.integers(0, 256, (40, 56, 3), dtype=np.uint8)).save(clip / "frames" / f"{i:05d}.jpg")
        mask = np.zeros((40, 56), np.uint8)
        mask[10:20, 10 + i:20 + i] = 255
        Image.fromarray(mask).save(clip / "masks" / f"{i:05d}.png")
    return tmp_path / "data"


def test_clip_cases_grow_the_mask(script, data_root):
    found = script.clip_cases(data_root, grow=2)
    assert [name for name, _, _ in found] == ["square 00000", "square 00013"]
    name, img, hole = found[0]
    assert img.shape == (40, 56, 3) and hole.shape == (40, 56)
    assert hole[10:20, 10:20].all() and hole[8:22, 8:22].sum() == hole.sum()  # grown by 2 px, no further
    assert hole.sum() == 14 * 14 - 8  # a round brush: OpenCV's 5x5 disk leaves 2 px out at each corner


def test_zoom_box_contains_the_hole(script):
    hole = np.zeros((100, 200), bool)
    hole[40:50, 90:110] = True
    y0, y1, x0, x1 = script.zoom_box(hole)
    assert y0 < 40 and y1 > 50 and x0 < 90 and x1 > 110
    assert 0 <= y0 and y1 <= 100 and 0 <= x0 and x1 <= 200


def test_make_then_score_follows_the_key(script, data_root, tmp_path, monkeypatch):
    monkeypatch.setattr(script, "photo_cases", lambda root: [])  # the clip frames only: quick
    out = tmp_path / "blind"
    script.main(["make", "--out", str(out), "--methods", "telea", "ns", "--data-root", str(data_root), "--cell", "64"])
    key = json.loads((out / "key.json").read_text())
    assert sorted(key["pairs"]) == ["01", "02"] and sorted(p.name for p in out.glob("pair-*.png")) == [
        "pair-01.png", "pair-02.png"]
    # always keep the side telea went to: telea must win every pair, whatever the shuffle
    lines = [f"{tag} {'L' if p['L'] == 'telea' else 'R'}" for tag, p in key["pairs"].items()]
    (out / "choices.txt").write_text("\n".join(lines) + "\n")
    script.main(["score", "--out", str(out), "--json", str(tmp_path / "tally.json")])
    tally = json.loads((tmp_path / "tally.json").read_text())
    assert tally["kept"] == {"telea": 2, "ns": 0, "=": 0} and tally["preferred_percent"]["telea"] == 100.0


def test_score_refuses_a_missing_or_bad_choice(script, data_root, tmp_path, monkeypatch):
    monkeypatch.setattr(script, "photo_cases", lambda root: [])
    out = tmp_path / "blind"
    script.main(["make", "--out", str(out), "--methods", "telea", "ns", "--data-root", str(data_root), "--cell", "64"])
    (out / "choices.txt").write_text("01 L\n")
    with pytest.raises(SystemExit, match="no choice for pairs 02"):
        script.main(["score", "--out", str(out)])
    (out / "choices.txt").write_text("01 L\n02 left\n")
    with pytest.raises(SystemExit, match="bad line"):
        script.main(["score", "--out", str(out)])
