"""Shared test fixtures. Real data lives beside the project in ../shared/data and is never copied in."""
from __future__ import annotations

from pathlib import Path

import pytest

from inpaintkit.optional import torch_available

DATA = (Path(__file__).resolve().parents[1] / ".." / "shared" / "data").resolve()
TORCH = torch_available()


def pytest_ignore_collect(collection_path, config):
    """Without PyTorch (`make test-light`) only the test files that hold tests marked ``light`` are collected:
    the others import torch to begin with. Inside those files, a test that needs torch skips (``needs_torch``)."""
    if TORCH or collection_path.suffix != ".py" or not collection_path.name.startswith("test_"):
        return None
    return "mark.light" not in collection_path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared data folder; tests that use it are skipped with a clear message when it is absent."""
    if not DATA.is_dir():
        pytest.skip(f"real data not found at {DATA} (tests on real data need ../shared/data)")
    return DATA


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    """Tests use tiny tensors: one torch thread is fastest, and on a busy 2-core machine two threads wait on each other."""
    if not TORCH:  # the torch-free install
        yield
        return
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
