"""No code from data: nothing that reads user files can run code stored in them.

1. A check over ``src/`` (the syntax tree, so comments and ``model.eval()`` do not count): no ``pickle`` /
   ``dill`` / ``joblib`` / ``shelve`` / ``marshal``, no ``torch.load`` without ``weights_only=True``, no
   ``np.load(..., allow_pickle=True)``, no ``eval`` / ``exec``, no unsafe ``yaml`` loading.
2. A malicious pickle — one that creates a marker file when unpickled — as a plain pickle and inside a
   ``torch.save`` zip, under the names people give weights (``.safetensors``, ``.pt``, ``.pth``, ``.ckpt``),
   through every loader: ``load_model``, ``read_model_info``, ``load_state``, ``pretrained.load``,
   ``inpaintkit.inpaint``, ``fill --model``, and the server's model loading (``create_app``). The marker never
   appears, and each refusal is one CheckpointError line. (``tests/test_bad_inputs.py`` also sends the plain
   pickle through ``export``, ``train --init-from`` and ``serve``.)
"""
from __future__ import annotations

import ast
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from inpaintkit.checkpoint import CheckpointError, load_model, load_state, read_model_info
from inpaintkit.cli import app

SRC = Path(__file__).resolve().parents[1] / "src"

BANNED_MODULES = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "joblib", "shelve", "marshal", "jsonpickle"}
BANNED_CALLS = {"eval", "exec", "pickle.load", "pickle.loads", "pickle.Unpickler", "pandas.read_pickle",
                "pd.read_pickle", "yaml.unsafe_load", "yaml.full_load", "marshal.loads", "torch.package.PackageImporter"}


def _dotted(node: ast.AST) -> str:
    """``a.b.c`` for a Name / Attribute chain, else ""."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def _kw_is(call: ast.Call, name: str, value) -> bool:
    return any(k.arg == name and isinstance(k.value, ast.Constant) and k.value.value is value for k in call.keywords)


def code_from_data(source: str, filename: str = "<src>") -> list[str]:
    """Every place in ``source`` that could run code from a file it reads: ``file:line: what``."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        where = f"{filename}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            found += [f"{where}: imports {a.name}" for a in node.names if a.name.split(".")[0] in BANNED_MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in BANNED_MODULES:
            found.append(f"{where}: imports from {node.module}")
        elif isinstance(node, ast.ImportFrom) and node.module == "torch" and any(a.name == "load" for a in node.names):
            found.append(f"{where}: imports torch.load")
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name in BANNED_CALLS:
                found.append(f"{where}: calls {name}")
            elif name == "torch.load" and not _kw_is(node, "weights_only", True):
                found.append(f"{where}: torch.load without weights_only=True")
            elif name in ("np.load", "numpy.load") and not _kw_is(node, "allow_pickle", False) and any(
                    k.arg == "allow_pickle" for k in node.keywords):
                found.append(f"{where}: {name} with allow_pickle not False")
            elif name == "yaml.load" and not any(k.arg == "Loader" and "Safe" in _dotted(k.value) for k in node.keywords):
                found.append(f"{where}: yaml.load without a SafeLoader")
    return found


def test_src_has_no_deserializer_that_runs_code():
    files = sorted(SRC.rglob("*.py"))
    assert len(files) > 20  # the package is really there
    found = [hit for f in files for hit in code_from_data(f.read_text(), str(f.relative_to(SRC.parent)))]
    assert not found, "code could run from data:\n" + "\n".join(found)


def test_the_source_check_finds_what_it_bans():
    bad = """
import pickle
from dill import loads
from torch import load
x = pickle.loads(b"")
m = torch.load("w.pt")
m = torch.load("w.pt", weights_only=False)
a = np.load("a.npy", allow_pickle=True)
eval("1 + 1")
exec("pass")
y = yaml.load(text)
"""
    assert len(code_from_data(bad)) == 10
    safe = """
net.eval()
m = torch.load("w.pt", weights_only=True)
a = np.load("a.npy", allow_pickle=False)
b = np.load("a.npy")
y = yaml.load(text, Loader=yaml.SafeLoader)
"""
    assert code_from_data(safe) == []


# --- malicious files through every loader --------------------------------------------------------------------


class _Malicious:
    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):  # unpickling calls open(marker, "w"): the marker file appears
        return (open, (self.marker, "w"))


@pytest.fixture
def payloads(tmp_path):
    """(marker, [malicious files]): plain pickles and torch.save zips under weight-like names."""
    marker = tmp_path / "PWNED"
    files = []
    for suffix in (".safetensors", ".pt", ".pth", ".ckpt"):
        plain = tmp_path / f"plain{suffix}"
        plain.write_bytes(pickle.dumps(_Malicious(marker)))
        zipped = tmp_path / f"zipped{suffix}"
        torch.save(_Malicious(marker), zipped)
        files += [plain, zipped]
    return marker, files


def test_the_payloads_are_live(payloads):
    """Not a tautology: unpickled the unsafe way, each payload does create the marker."""
    marker, files = payloads
    pickle.loads(files[0].read_bytes())
    assert marker.exists()
    marker.unlink()
    zipped = next(f for f in files if f.name == "zipped.pt")
    with pytest.raises(pickle.UnpicklingError):  # the safe flag refuses it
        torch.load(zipped, weights_only=True)
    assert not marker.exists()
    torch.load(zipped, weights_only=False)  # the default of old torch versions: runs the code
    assert marker.exists()


def _one_line(excinfo) -> str:
    msg = str(excinfo.value)
    assert msg and "\n" not in msg
    return msg


def test_python_loaders_refuse_them(payloads):
    import inpaintkit
    from inpaintkit.models.pretrained import load

    marker, files = payloads
    img = np.zeros((16, 16, 3), np.uint8)
    hole = np.zeros((16, 16), bool)
    hole[4:8, 4:8] = True
    for f in files:
        for loader in (load_model, read_model_info, load, lambda p: load_state(p, modules={}, optimizers={}),
                       lambda p: inpaintkit.inpaint(img, hole, model=str(p))):
            with pytest.raises(CheckpointError) as e:
                loader(f)
            assert str(f) in _one_line(e)
    assert not marker.exists()


def test_fill_and_the_server_refuse_them(payloads, tmp_path):
    from inpaintkit.server import create_app

    marker, files = payloads
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / "a.png")
    Image.fromarray(np.pad(np.full((4, 4), 255, np.uint8), 6)).save(tmp_path / "m.png")
    for f in files:
        r = CliRunner().invoke(app, ["fill", str(tmp_path / "a.png"), "--mask", str(tmp_path / "m.png"),
                                     "-o", str(tmp_path / "o.png"), "--model", str(f), "-q"])
        assert r.exit_code == 2 and r.stderr.startswith("error: ") and "not a readable safetensors" in r.stderr, r.output
        assert not (tmp_path / "o.png").exists()
        with pytest.raises(CheckpointError):
            create_app(str(f))
    assert not marker.exists()
