"""Hostile exports through the real CLI: never a traceback, every row accounted for.

The files come from a seeded generator (tests/hostile.py), so a failure names a file that
the same seed writes again. The in-process run calls `pipelines.cli.main` exactly as the
`breakeven` script does; a few files also go through a real `breakeven` process.

A larger run: `BREAKEVEN_FUZZ_FILES=3000 python3 -m pytest -q tests/test_fuzz.py`, or
`python3 benchmarks/fuzz_ingest.py --files 3000` (prints the counts).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from hostile import Checker, hostile_files, snapshot

FILES = int(os.environ.get("BREAKEVEN_FUZZ_FILES", "240"))
SEED = int(os.environ.get("BREAKEVEN_FUZZ_SEED", "20260312"))
GOOD = """Ticket Number,Created,Resolved,Priority,Client
B-1,2024-01-02 10:00,2024-01-02 12:00,P1,Acme
B-2,2024-02-03 09:00,,Low,Acme
"""


def test_hostile_exports_never_break_a_load(tmp_path: Path) -> None:
    """Exit 0/1/3 only; one stderr line and no traceback on error; rows add up; a failed
    load changes nothing; `metrics --json` still computes after the loads."""
    data_dir = tmp_path / "ws"
    checker = Checker(data_dir, metrics_every=60)
    base = tmp_path / "base.csv"
    base.write_text(GOOD)
    checker.check(base)  # the workspace has data before the hostile files
    assert checker.counts.loaded == 1
    for path in hostile_files(SEED, FILES, tmp_path / "files"):
        checker.check(path)
    checker.check_loads()
    checker.check_metrics(Path("(end)"))
    counts = checker.counts
    print(counts.line())
    assert counts.problems == [], "\n\n".join(counts.problems[:5])
    assert (counts.tracebacks, counts.invariant_breaks) == (0, 0)
    # The generator must keep producing both outcomes, or the test tests nothing.
    assert counts.loaded > FILES // 5 and counts.failed > FILES // 10


@pytest.mark.parametrize("index", [3, 11, 17, 42, 57, 88])
def test_hostile_exports_through_a_real_process(tmp_path: Path, index: int) -> None:
    """The `breakeven` process itself: exit code, one line on stderr, no traceback."""
    files = list(hostile_files(SEED, index + 1, tmp_path / "files"))
    data_dir = tmp_path / "ws"
    base = tmp_path / "base.csv"
    base.write_text(GOOD)
    cmd = [sys.executable, "-m", "pipelines.cli", "ingest", "-w", "p", "--data-dir",
           str(data_dir)]
    assert subprocess.run([*cmd, str(base)], capture_output=True, check=False).returncode == 0
    before = snapshot(data_dir / "p.duckdb")
    done = subprocess.run([*cmd, str(files[index])], capture_output=True, text=True,
                          check=False, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.returncode in (0, 1, 3)
    assert "Traceback" not in done.stderr
    if done.returncode:
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert done.stderr.startswith("breakeven: error: ")
        assert snapshot(data_dir / "p.duckdb") == before
