"""SIGKILL a `breakeven ingest` of a large file at several moments: the workspace opens
afterwards and is exactly as it was before the load, or exactly as after it, never between.

A real process is killed (no handler runs): what holds is DuckDB's write-ahead log and the
one-transaction load, plus the first load of a new workspace being written to a hidden
file that becomes the workspace only once committed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from make_tickets import write_tickets

ROWS = int(os.environ.get("BREAKEVEN_KILL_ROWS", "300000"))
SMALL = """Ticket Number,Client,Created,Resolved,Priority
S-1,Acme Ltd,2024-01-02 10:00,2024-01-02 12:00,P1
S-2,Acme Ltd,2024-02-03 09:00,,P3
"""


def state(db: Path) -> tuple | None:
    """Counts of every table and a checksum of incidents; None when there is no workspace."""
    if not db.exists():
        return None
    con = duckdb.connect(str(db))  # read-write: the open must replay any log and succeed
    try:
        return con.execute(
            "SELECT (SELECT count(*) FROM incidents), (SELECT sum(hash(i)) FROM incidents i),"
            " (SELECT count(*) FROM loads), (SELECT count(*) FROM rejects),"
            " (SELECT count(*) FROM invoice_lines)").fetchone()
    finally:
        con.close()


def ingest_cmd(big: Path, data_dir: Path) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", "ingest", str(big), "-w", "w",
            "--data-dir", str(data_dir)]


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tickets(ROWS, tmp_path_factory.mktemp("kill") / "tickets.csv")


def test_a_killed_ingest_leaves_the_workspace_before_or_after(big: Path, tmp_path: Path
                                                              ) -> None:
    small = tmp_path / "small.csv"
    small.write_text(SMALL)
    base = tmp_path / "base"
    subprocess.run([*ingest_cmd(small, base)], check=True, capture_output=True)
    before = state(base / "w.duckdb")
    # The state after: the same load, not killed (its duration places the later kills).
    ref = tmp_path / "ref"
    shutil.copytree(base, ref)
    t0 = time.monotonic()
    subprocess.run(ingest_cmd(big, ref), check=True, capture_output=True)
    took = time.monotonic() - t0
    after = state(ref / "w.duckdb")
    assert before is not None and after is not None and after[0] == before[0] + ROWS

    moments = [0.2, 0.5, 1.0, 2.0, 0.65 * took, 0.8 * took, 0.92 * took]
    outcomes = []
    for i, delay in enumerate(moments):
        d = tmp_path / f"kill{i}"
        shutil.copytree(base, d)
        proc = subprocess.Popen(ingest_cmd(big, d), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(delay)
        alive = proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        got = state(d / "w.duckdb")
        outcomes.append((round(delay, 2), alive, "before" if got == before else
                         "after" if got == after else f"BETWEEN {got}"))
    print(f"load of {ROWS:,} rows took {took:.1f} s; kills (s, alive, state): {outcomes}")
    assert all(o[2] in ("before", "after") for o in outcomes), outcomes
    assert sum(o[1] for o in outcomes) >= 4, f"most kills must hit a running load: {outcomes}"


def test_a_killed_first_load_leaves_no_workspace_or_the_whole_load(big: Path,
                                                                   tmp_path: Path) -> None:
    outcomes = []
    for i, delay in enumerate([0.5, 2.0]):
        d = tmp_path / f"new{i}"
        proc = subprocess.Popen(ingest_cmd(big, d), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        got = state(d / "w.duckdb")
        outcomes.append(got)
        assert got is None or got[0] == ROWS, got
        # no half-made workspace is listed
        assert sorted(p.name for p in d.glob("*.duckdb")) in ([], ["w.duckdb"])
    # a later load of the same file completes, sweeping the dead process's hidden file
    d = tmp_path / "new0"
    if outcomes[0] is None:
        subprocess.run(ingest_cmd(big, d), check=True, capture_output=True)
        assert state(d / "w.duckdb")[0] == ROWS
        assert [p.name for p in d.iterdir()] == ["w.duckdb"]
