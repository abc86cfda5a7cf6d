"""What several test modules share that is not a fixture: the sample data, the Chromium
flags, a workspace loaded from `sample_data/`, a Streamlit server. Test modules import
these from here (`from helpers import ...`); tests/conftest.py holds only fixtures."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

import duckdb

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


def ticket(
    con: duckdb.DuckDBPyConnection, ticket_id: str, opened: str, resolved: str | None = None,
    *, client: str = "acme", asset: str | None = None, category: str | None = None,
    priority: str | None = None, downtime_minutes: float | None = None,
    users_affected: int | None = None, labour_hours: float | None = None,
    billed_amount: str | None = None,
) -> None:
    """Insert one incident as a load stores it; times are ISO strings with an offset ('+00' when unsure)."""
    con.execute(
        """
        INSERT INTO incidents (ticket_id, client, asset, category, priority, opened_at,
            resolved_at, downtime_minutes, users_affected, labour_hours, billed_amount,
            ttr_hours, recurrence_key, load_id)
        SELECT $t, $client, $asset, $category, $priority, o, r, $dm, $ua, $lh, $billed,
               CASE WHEN r >= o THEN (epoch_us(r) - epoch_us(o)) / 3600e6 END,
               coalesce($asset, $category), 1
        FROM (SELECT CAST($o AS TIMESTAMPTZ) AS o, CAST($r AS TIMESTAMPTZ) AS r)
        """,
        {"t": ticket_id, "client": client, "asset": asset, "category": category,
         "priority": priority, "o": opened, "r": resolved, "dm": downtime_minutes,
         "ua": users_affected, "lh": labour_hours,
         "billed": None if billed_amount is None else Decimal(billed_amount)},
    )
