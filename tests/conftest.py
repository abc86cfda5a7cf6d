"""Shared fixtures: a temporary data directory, workspaces loaded from `sample_data/`."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from pipelines import workspace
from pipelines.cli.app import streamlit_command
from pipelines.ingest import ingest_file

REPO = Path(__file__).resolve().parent.parent
SAMPLE_DATA = REPO / "sample_data"
# Debian's Chromium, headless, with none of its background connections (no network here).
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def load_sample(name: str, data_dir: Path) -> str:
    """Load every export of `sample_data/<name>/` into workspace `name`; return the name."""
    for f in sorted((SAMPLE_DATA / name).iterdir()):
        if f.suffix.lower() in (".csv", ".xlsx"):
            ingest_file(f, name, data_dir)
    return name


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A `streamlit run dashboard/app.py` subprocess serving one data directory."""

    def __init__(self, data_dir: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        env = {**os.environ, workspace.DATA_DIR_ENV: str(data_dir)}
        self._log = log.open("w")
        self.proc = subprocess.Popen(streamlit_command(self.port), env=env,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2):
                    return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"streamlit did not start; see {log}")
                time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()
