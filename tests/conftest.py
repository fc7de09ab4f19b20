"""Shared test fixtures. Real data lives beside the project in ../shared/data and is never copied in."""
from __future__ import annotations

from pathlib import Path

import pytest

DATA = (Path(__file__).resolve().parents[1] / ".." / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared data folder; tests that use it are skipped with a clear message when it is absent."""
    if not DATA.is_dir():
        pytest.skip(f"real data not found at {DATA} (tests on real data need ../shared/data)")
    return DATA


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    """Tests use tiny tensors: one torch thread is fastest, and on a busy 2-core machine two threads wait on each other."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
