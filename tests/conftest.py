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
