"""The portfolio's lean path (pipelines/portfolio_row.py) against metrics_json.

The lean path reads a batch of workspaces with one statement and derives the row's figures
in Python; every row must equal the one built from that workspace's full `metrics_json`
(`portfolio.row_from_metrics`), and the full path must be taken where the lean one does not
apply (the stored months in another zone than the scenario's).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from pipelines import portfolio, portfolio_row, store, workspace
from pipelines.ingest import ingest_file
from pipelines.metrics import metrics_json
from pipelines.scenario import SETTING_KEY, apply_overrides, load_scenario, save_scenario
from tests.test_contract import TICKET_HEADER, _ts, _write, random_workspace

SEEDS = range(40)


def rows_from_metrics(data_dir: Path, names: list[str]) -> dict[str, dict[str, Any]]:
    out = {}
    for name in names:
        with workspace.connect(name, data_dir, read_only=True) as con:
            out[name] = portfolio.row_from_metrics(metrics_json(con, name, load_scenario(con)))
    return out


def zero_durations(data_dir: Path, tmp: Path) -> str:
    """10 tickets, 3 resolved the second they were opened (over 20%): zero_durations."""
    opened = [datetime(2024, 1, 3, 9) + timedelta(days=3 * i) for i in range(10)]
    rows = [{"ticket_id": f"Z{i}", "opened_at": _ts(t),
             "resolved_at": _ts(t if i < 3 else t + timedelta(hours=i))}
            for i, t in enumerate(opened)]
    _write(tmp / "zero.csv", [*TICKET_HEADER], rows)
    ingest_file(tmp / "zero.csv", "zero", data_dir)
    return "zero"


@pytest.fixture(scope="module")
def mixed_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str]]:
    """40 seeded random workspaces (tests/test_contract.py), each with its random scenario
    stored (zones, include_parts, exclude_spend, users 0, onboarding, downtime cost and
    managed_reduction, outage priorities...), plus an empty one, one with zero durations,
    and two whose stored scenario names another zone than their stored months (no retime
    yet): the full path's. Returns the directory and the names the full path reads."""
    data_dir = tmp_path_factory.mktemp("mixed")
    tmp = tmp_path_factory.mktemp("exports")
    pending = set()
    for seed in SEEDS:
        name, overrides, _ = random_workspace(seed, data_dir, tmp)
        with workspace.connect(name, data_dir) as con:
            scenario = apply_overrides(load_scenario(con), overrides)
            if len(pending) < 2 and scenario.timezone != store.get_setting(
                    con, store.MONTHS_TIMEZONE):
                store.set_setting(con, SETTING_KEY, scenario.to_dict())  # no retime
                pending.add(name)
            else:
                save_scenario(con, scenario)
    with workspace.connect("empty", data_dir):
        pass  # no load has recorded the months' zone: the full path, one query
    zero_durations(data_dir, tmp)
    return data_dir, pending | {"empty"}


def test_every_row_equals_the_row_from_metrics_json(
        mixed_dir: tuple[Path, set[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    """In batches of 7 read by 2 threads: each row equals metrics_json's, and only the
    workspaces with a pending zone change took the full path."""
    data_dir, pending = mixed_dir
    monkeypatch.setattr(portfolio, "BATCH", 7)
    full: list[str] = []
    real_full = portfolio.full_figures

    def counting(con: duckdb.DuckDBPyConnection, name: str, scenario: Any) -> Any:
        full.append(name)
        return real_full(con, name, scenario)

    monkeypatch.setattr(portfolio, "full_figures", counting)
    frame = portfolio.portfolio(data_dir, use_cache=False, workers=2)
    assert sorted(full) == sorted(pending) and len(pending) == 3
    expected = rows_from_metrics(data_dir, frame["workspace"].to_list())
    fired = set()
    for row in frame.iter_rows(named=True):
        assert {k: row[k] for k in expected[row["workspace"]]} == expected[row["workspace"]], \
            row["workspace"]
        fired |= {c.rstrip("!") for c in row["checks"]}
    assert frame.filter(pl.col("workspace") == "empty")["status"].to_list() == ["empty"]
    # The workspaces exercise every check and every verdict state but "mixed".
    assert {"no_spend", "short_window", "tickets_outside_spend", "spend_gaps",
            "dominant_lines", "category_recurrence", "capped_export",
            "zero_durations"} <= fired
    assert {"insufficient", "breakfix_dearer", "breakfix_cheaper"} <= set(
        frame["verdict_state"].to_list())


def test_a_failed_batch_is_read_one_by_one(mixed_dir: tuple[Path, set[str]],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A DuckDB error in the batch statement (say a damaged block in one file) costs
    speed, not rows: each workspace of the batch is read on its own, same figures."""
    data_dir, _ = mixed_dir
    lean = portfolio.portfolio(data_dir, use_cache=False)

    def fail(*args: object) -> None:
        raise duckdb.IOException("IO Error: Could not read block 7")

    monkeypatch.setattr(portfolio_row, "batch_figures", fail)
    assert portfolio.portfolio(data_dir, use_cache=False).equals(lean)


def test_managed_cost_rounds_as_duckdb_casts() -> None:
    """`managed_cost` equals DuckDB's CAST(fee + share * cost AS DECIMAL(38,4)), over
    random decimals with ties at the fifth place (0.00005) among them."""
    rng = random.Random(7)
    con = duckdb.connect()
    for _ in range(300):
        fee = Decimal(rng.randint(0, 10**9)) / 10 ** rng.randint(0, 6)
        share = Decimal(rng.randint(0, 10**6)) / 10 ** rng.randint(0, 6)
        cost = Decimal(rng.randint(-10**8, 10**8)) / 10**4
        got = con.execute("SELECT CAST($fee + $share * CAST($cost AS DECIMAL(38,4))"
                          " AS DECIMAL(38,4))",
                          {"fee": fee, "share": share, "cost": cost}).fetchall()[0][0]
        assert portfolio_row.managed_cost(fee, share, cost) == got, (fee, share, cost)
    assert portfolio_row.managed_cost(Decimal("0.5"), Decimal("0.00005"), Decimal(1)) == \
        Decimal("0.5001")
