"""The portfolio over every workspace of a data directory (pipelines/portfolio.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pipelines import cli, portfolio, workspace
from pipelines.ingest import ingest_file
from pipelines.metrics import metrics_json
from pipelines.scenario import load_scenario

JUNK = b"\x00this is not a database\xff" * 200


@pytest.fixture
def demo_copy(demo_data_dir: Path, data_dir: Path) -> Path:
    """A writable copy of the three sample workspaces."""
    for f in demo_data_dir.glob("*.duckdb"):
        shutil.copyfile(f, data_dir / f.name)
    return data_dir


def small_invoices(path: Path) -> Path:
    """Three months of one 1,000.00 labour invoice each (hand-workable spend)."""
    path.write_text(
        "Invoice Number,Invoice Date,Client,Description,Amount\n"
        "INV-1,2024-01-15,Fabrikam,Labour call-out,1000.00\n"
        "INV-2,2024-02-15,Fabrikam,Labour call-out,1000.00\n"
        "INV-3,2024-03-15,Fabrikam,Labour call-out,1000.00\n", encoding="utf-8")
    return path


def test_one_row_per_workspace_with_a_damaged_file(demo_copy: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """A file of junk bytes is listed as damaged; the three samples still load."""
    (demo_copy / "broken.duckdb").write_bytes(JUNK)
    frame = portfolio.portfolio(demo_copy)
    assert frame["workspace"].to_list() == ["acme", "broken", "prospect-contoso",
                                            "prospect-northwind"]
    assert frame["status"].to_list() == ["ok", "damaged", "ok", "ok"]
    broken = frame.row(1, named=True)
    assert "broken.duckdb is damaged" in broken["message"]
    assert broken["tickets"] is None and broken["checks"] == []
    acme = frame.row(0, named=True)
    # The README's walk-through figures of acme.
    assert (acme["window_start"], acme["window_end"], acme["tickets"]) == ("2023-01", "2025-12",
                                                                           2014)
    assert (acme["verdict_state"], acme["run_rate_crossover"]) == ("breakfix_dearer", "2024-04")
    assert acme["monthly_fee"] == 3125.0

    assert cli.main(["portfolio", "--data-dir", str(demo_copy)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["workspace", "status", "window", "tickets"]
    assert lines[2].split() == ["broken", "damaged"]
    assert any(line.startswith("  broken: workspace file") for line in lines)


def test_light_rows_equal_the_rows_from_metrics_json(demo_copy: Path, tmp_path: Path) -> None:
    """The lighter path gives metrics_json's numbers, workspace by workspace."""
    ingest_file(small_invoices(tmp_path / "inv.csv"), "short", demo_copy)
    with workspace.connect("empty", demo_copy):
        pass
    frame = portfolio.portfolio(demo_copy, use_cache=False)
    for row in frame.iter_rows(named=True):
        with workspace.connect(row["workspace"], demo_copy, read_only=True) as con:
            full = portfolio.row_from_metrics(
                metrics_json(con, row["workspace"], load_scenario(con)))
        assert {k: row[k] for k in full} == full, row["workspace"]


def test_short_ledger_figures_by_hand(data_dir: Path, tmp_path: Path) -> None:
    """3 months of 1,000 labour: break-fix 3,000 over 3 months = 12,000 a year.

    Default scenario: 25 users at 125 = 3,125 a month, so break-fix (1,000) is cheaper every
    month; break-even per user = 125 + (3,000 - 9,375) / (25 * 3) = 40.00. 3 months is
    under 12: short_window warns; each line is a third (over 25%) of the counted total:
    dominant_lines warns; no block, so the verdict is breakfix_cheaper.
    """
    ingest_file(small_invoices(tmp_path / "inv.csv"), "short", data_dir)
    row = portfolio.portfolio(data_dir).row(0, named=True)
    assert row["breakfix_per_year"] == 12000.0
    assert row["break_even_price_per_user"] == 40.0
    assert row["verdict_state"] == "breakfix_cheaper"
    assert row["checks"] == ["short_window", "dominant_lines"]
    assert (row["tickets"], row["downtime_hours"]) == (0, 0.0)


def test_cache_serves_unchanged_workspaces_and_notices_a_change(
        data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ingest_file(small_invoices(tmp_path / "inv.csv"), "short", data_dir)
    first = portfolio.portfolio(data_dir)
    assert (data_dir / portfolio.CACHE_FILE).exists()

    def refuse(*args: object) -> None:
        raise AssertionError("an unchanged workspace was read again")

    monkeypatch.setattr(portfolio, "read_batch", refuse)
    assert portfolio.portfolio(data_dir).equals(first)
    monkeypatch.undo()
    time.sleep(0.01)
    assert cli.main(["scenario", "-w", "short", "--data-dir", str(data_dir),
                     "--set", "per_user=10"]) == 0
    changed = portfolio.portfolio(data_dir).row(0, named=True)
    assert changed["monthly_fee"] == 250.0  # 25 users x 10, read again after the change


def test_portfolio_opens_workspaces_read_only(demo_copy: Path) -> None:
    before = {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in demo_copy.glob("*.duckdb")}
    portfolio.portfolio(demo_copy, use_cache=False)
    after = {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in demo_copy.glob("*.duckdb")}
    assert after == before
    assert not list(demo_copy.glob("*.wal"))


def test_a_workspace_written_by_another_process_is_busy(data_dir: Path, tmp_path: Path) -> None:
    ingest_file(small_invoices(tmp_path / "inv.csv"), "short", data_dir)
    ingest_file(small_invoices(tmp_path / "inv2.csv"), "held", data_dir)
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(workspace.workspace_path('held', data_dir))!r})
        print("holding", flush=True)
        time.sleep(60)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        frame = portfolio.portfolio(data_dir, use_cache=False)
    finally:
        holder.kill()
        holder.wait()
    assert dict(frame.select("workspace", "status").iter_rows()) == {"held": "busy",
                                                                      "short": "ok"}
    assert "another breakeven process" in frame.row(0, named=True)["message"]


def test_sort_and_json(demo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["portfolio", "--data-dir", str(demo_copy), "--sort", "breakfix",
                     "--desc", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    per_year = [r["breakfix_per_year"] for r in rows]
    assert per_year == sorted(per_year, reverse=True)
    assert set(rows[0]) == set(portfolio.COLUMNS)
    assert cli.main(["portfolio", "--data-dir", str(demo_copy), "--sort", "colour"]) == 1
    assert "--sort 'colour': sort by one of workspace" in capsys.readouterr().err


def test_new_prospect_scrubs_and_refuses_an_existing_name(
        data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["portfolio", "--new", "prospect-x", "--data-dir", str(data_dir)]) == 0
    row = portfolio.portfolio(data_dir).row(0, named=True)
    assert (row["workspace"], row["status"], row["scrubbed"]) == ("prospect-x", "empty", True)
    assert cli.main(["portfolio", "--new", "prospect-x", "--data-dir", str(data_dir)]) == 1
    assert "workspace 'prospect-x' exists already" in capsys.readouterr().err


def test_a_deleted_prospect_leaves_the_cache_too(data_dir: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """`breakeven delete` (issue 16's deletion) and then the portfolio: no trace of the name."""
    ingest_file(small_invoices(tmp_path / "inv.csv"), "keep", data_dir)
    ingest_file(small_invoices(tmp_path / "inv2.csv"), "gone", data_dir)
    portfolio.portfolio(data_dir)
    assert "gone" in (data_dir / portfolio.CACHE_FILE).read_text(encoding="utf-8")
    assert cli.main(["delete", "-w", "gone", "--data-dir", str(data_dir)]) == 0
    assert portfolio.portfolio(data_dir)["workspace"].to_list() == ["keep"]
    assert "gone" not in (data_dir / portfolio.CACHE_FILE).read_text(encoding="utf-8")
    assert not [p for p in data_dir.rglob("*") if "gone" in p.name]
