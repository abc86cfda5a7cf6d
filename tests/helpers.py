"""What several test modules share that is not a fixture: the sample data, the Chromium
flags, a workspace loaded from `sample_data/`, a Streamlit server. Test modules import
these from here (`from helpers import ...`); tests/conftest.py holds only fixtures."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl

from pipelines import store, workspace
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
    billed_amount: str | None = None, title: str | None = None, bare: bool = False,
) -> None:
    """Store one incident through the load's own write (`store.write_load`: one load, the
    derived months, recurrence key and TTR as a real load computes them); times are ISO
    strings with an offset ('+00' when unsure). `bare`: a row written by hand or by an
    older tool instead, with no derived columns (load_id 0)."""
    if bare:
        con.execute(
            "INSERT INTO incidents (ticket_id, client, asset, category, priority, title,"
            " opened_at, resolved_at, downtime_minutes, users_affected, labour_hours,"
            " billed_amount, load_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            [ticket_id, client, asset, category, priority, title, _as_utc(opened),
             None if resolved is None else _as_utc(resolved), downtime_minutes,
             users_affected, labour_hours,
             None if billed_amount is None else Decimal(billed_amount)])
        return
    def instant(text: str | None) -> datetime | None:
        return None if text is None else _as_utc(text)

    row = {c: None for c in store.INCIDENT_COLUMNS}
    row.update(ticket_id=ticket_id, client=client, asset=asset, category=category,
               priority=priority, title=title, opened_at=instant(opened),
               resolved_at=instant(resolved), downtime_minutes=downtime_minutes,
               users_affected=users_affected, labour_hours=labour_hours,
               billed_amount=None if billed_amount is None else Decimal(billed_amount))
    utc = pl.Datetime("us", "UTC")
    schema = {c: pl.String for c in store.INCIDENT_COLUMNS} | {
        "opened_at": utc, "resolved_at": utc, "responded_at": utc,
        "downtime_minutes": pl.Float64, "users_affected": pl.Int64,
        "labour_hours": pl.Float64, "billed_amount": pl.Decimal(18, 2)}
    rows = pl.DataFrame([row], schema=schema, orient="row")
    summary = store.LoadSummary(f"{ticket_id}.csv", "incidents", "test", 1, 1)
    store.write_load(con, summary, f"test-{ticket_id}-{time.monotonic_ns()}", rows,
                     pl.DataFrame(schema={"row_number": pl.Int64, "reason": pl.String,
                                          "raw": pl.String}), datetime.now(UTC))


def _as_utc(text: str) -> datetime:
    """'2024-01-05 09:00+00' (any offset) -> that instant as an aware UTC datetime."""
    return datetime.fromisoformat(text.replace(" ", "T")).astimezone(UTC)
