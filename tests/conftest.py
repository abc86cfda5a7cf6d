"""Shared fixtures: a temporary data directory, workspaces loaded from `sample_data/`.

Helpers that are not fixtures live in tests/helpers.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import SAMPLE_DATA, load_sample

from pipelines import workspace


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data directory, also set as BREAKEVEN_DATA_DIR (what `serve` passes on)."""
    d = tmp_path / "data"
    d.mkdir()
    monkeypatch.setenv(workspace.DATA_DIR_ENV, str(d))
    return d


@pytest.fixture
def empty_workspace(data_dir: Path) -> str:
    """A workspace with the schema and nothing loaded."""
    with workspace.connect("empty", data_dir):
        pass
    return "empty"


@pytest.fixture
def acme(data_dir: Path) -> str:
    """Workspace 'acme' loaded from sample_data/acme (ServiceNow tickets + Xero invoices)."""
    return load_sample("acme", data_dir)


@pytest.fixture(scope="session")
def demo_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding every sample workspace (acme and the two prospects).

    Session-scoped: tests must not change it; take a copy to write to.
    """
    d = tmp_path_factory.mktemp("demo")
    for folder in sorted(p for p in SAMPLE_DATA.iterdir() if p.is_dir()):
        load_sample(folder.name, d)
    return d
