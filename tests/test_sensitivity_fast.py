"""The sensitivity's ends without a query per end (`spend.repriced`, `spend.downtime_costs`,
the recurrence window's ends taken from the scenario's own spend) give the figures of the
straightforward recomputation: `spend()` with the setting moved and facts of its own."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from helpers import REPO, load_sample

from pipelines import workspace
from pipelines.metrics import sensitivity as sens
from pipelines.metrics.facts import Facts, Filters, using
from pipelines.metrics.spend import (
    PRICE_KEYS,
    SpendResult,
    downtime_costs,
    repriced,
    spend,
)
from pipelines.scenario import Scenario

SCENARIOS = [
    Scenario(),
    Scenario(per_user=99.99, users=17, cost_per_user_hour=40, managed_reduction=0.3,
             onboarding_fee=5000),
    # decimals that are not short: 0.1 + 0.2, a third, a fee with cents per device
    Scenario(per_user=0.1 + 0.2, users=3, per_device=12.5, devices=40, flat_monthly=250.75,
             cost_per_user_hour=33.3, managed_reduction=1 / 3, hourly_rate=72.5),
    Scenario(users=0, cost_per_user_hour=12.34, managed_reduction=0.5, include_parts=True,
             exclude_spend=("line 1",)),
    Scenario(per_user=40, users=1, cost_per_user_hour=7.77, managed_reduction=1.0,
             recurrence_days=3),
]


def _build(path: Path, n: int) -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from bench_metrics import build
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    build(path, n)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """3,000 generated tickets over 300 clients with 300 invoice lines (2% credit notes,
    parts and contract lines), and copies without invoices: spend from labour hours, and
    from billed amounts on part of the tickets."""
    d = tmp_path_factory.mktemp("sens")
    paths = {name: d / f"{name}.duckdb" for name in ("invoices", "labour", "billed")}
    _build(paths["invoices"], 3000)
    for name, update in (("labour", None),
                         ("billed", ("UPDATE incidents SET billed_amount ="
                                     " CAST(labour_hours * 91.37 AS DECIMAL(18,2))"
                                     " WHERE hash(ticket_id) % 3 = 0"))):
        paths[name].write_bytes(paths["invoices"].read_bytes())
        with duckdb.connect(str(paths[name])) as con:
            con.execute("DELETE FROM invoice_lines")
            if update:
                con.execute(update)
    yield paths


def _same(a: SpendResult, b: SpendResult) -> None:
    assert a.monthly.equals(b.monthly), (a.monthly, b.monthly)
    assert a.monthly.schema == b.monthly.schema
    for name in ("source", "totals", "cumulative_crossover", "run_rate_crossover",
                 "break_even_price_per_user", "monthly_fee", "window", "excluded_lines",
                 "excluded_amount", "person_hours"):
        assert getattr(a, name) == getattr(b, name), name


def _straightforward(con: duckdb.DuckDBPyConnection, base: SpendResult, f: Facts, key: str,
                     changed: Scenario) -> SpendResult:
    """An end as sensitivity computed it before: spend() again, on facts of its own."""
    return spend(con, changed, f.filters)


def _check(con: duckdb.DuckDBPyConnection, filters: Filters, monkeypatch: pytest.MonkeyPatch,
           scenarios: list[Scenario], rows: int = 5) -> None:
    for scenario in scenarios:
        fast = sens.sensitivity(con, scenario, filters)
        with monkeypatch.context() as m:
            m.setattr(sens, "_at_end", _straightforward)
            slow = sens.sensitivity(con, scenario, filters)
        assert fast.height == rows
        assert fast.equals(slow), (scenario, filters, fast, slow)


FILTERS = [Filters(), Filters("2022-06", "2023-03"), Filters(client="client-7"),
           Filters("2023-02", "2024-11", client="client-42")]


@pytest.mark.parametrize("name", ["invoices", "labour", "billed"])
def test_generated_sensitivity_matches_spend_per_end(
        generated: dict[str, Path], name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with duckdb.connect(str(generated[name]), read_only=True) as con:
        assert spend(con, Scenario()).source == {"invoices": "invoices", "labour":
                                                 "labour_hours", "billed": "billed_amount"}[name]
        for i, filters in enumerate(FILTERS):
            _check(con, filters, monkeypatch, [SCENARIOS[i], SCENARIOS[(i + 2) % 5]])


def test_sample_with_credit_notes_matches_spend_per_end(
        data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """acme: Xero invoices with credit notes, ServiceNow tickets with outages."""
    load_sample("acme", data_dir)
    with workspace.connect("acme", data_dir, read_only=True) as con:
        assert spend(con, Scenario(cost_per_user_hour=30)).totals["downtime_cost_total"]
        for i, filters in enumerate((Filters(), Filters("2023-07", "2024-06"),
                                     Filters(client="Acme Dental Group"))):
            _check(con, filters, monkeypatch, [SCENARIOS[i + 1], SCENARIOS[(i + 3) % 5]])
        _check(con, Filters(client="nobody"), monkeypatch, SCENARIOS[:1], rows=0)


@pytest.mark.parametrize("key,values", [
    ("per_user", (0.0, 62.5, 187.5, 0.7 * 3)), ("users", (0, 1, 12, 38, 1001)),
    ("per_device", (19.99,)), ("devices", (7,)), ("flat_monthly", (1234.5678,)),
    ("onboarding_fee", (9999.99,)), ("managed_reduction", (0.0, 0.5, 0.7, 0.8, 0.123456789, 1.0)),
    ("cost_per_user_hour", (0.0, 0.01, 20.0, 50.0, 1 / 7)),
])
def test_repriced_is_spend_under_the_changed_scenario(
        generated: dict[str, Path], key: str, values: tuple[float, ...]) -> None:
    """The whole result (every month, the totals, both crossovers, the price), not just
    what the tornado shows; the scenario moved from several starting points."""
    assert key in PRICE_KEYS or key == "cost_per_user_hour"
    with duckdb.connect(str(generated["invoices"]), read_only=True) as con:
        for start in SCENARIOS[1:4]:
            for filters in FILTERS[1:3]:
                base = spend(con, start, filters)
                for value in values:
                    changed = dataclasses.replace(start, **{key: type(getattr(start, key))(value)})
                    costs = (downtime_costs(con, base, changed.cost_per_user_hour)
                             if key == "cost_per_user_hour" else None)
                    _same(repriced(base, changed, costs), spend(con, changed, filters))


def test_an_end_on_another_setting_is_recomputed(generated: dict[str, Path]) -> None:
    """A setting spend reads that cannot be repriced (the hourly rate of labour hours,
    a setting of the facts) is computed again by spend(); one it does not read (the
    recurrence window) keeps the scenario's figures."""
    with duckdb.connect(str(generated["labour"]), read_only=True) as con:
        scenario = SCENARIOS[2]
        with using(con, scenario, Filters(), None) as f:
            assert f is not None
            base = spend(con, scenario, facts=f)
            for key, value in (("hourly_rate", 150.0), ("users_affected_default", 9),
                               ("recurrence_days", 90)):
                changed = dataclasses.replace(scenario, **{key: value})
                got = sens._at_end(con, base, f, key, changed)
                _same(got, spend(con, changed))
                if key == "recurrence_days":
                    assert got is base
                else:
                    assert got.totals != base.totals


def test_no_spend_data_gives_no_rows(empty_workspace: str, data_dir: Path) -> None:
    with workspace.connect(empty_workspace, data_dir, read_only=True) as con:
        assert sens.sensitivity(con, Scenario()).schema == sens.SENSITIVITY_SCHEMA
        assert sens.sensitivity(con, Scenario()).is_empty()
        _same(repriced(spend(con, Scenario()), Scenario(per_user=1)),
              spend(con, Scenario(per_user=1)))


def test_computed_with_the_spend_family_it_reuses_that_spend(
        generated: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """metrics.compute hands its spend to the sensitivity (the Spend page computes both in
    one group): one spend() for both, the same frame as the sensitivity alone."""
    from pipelines import metrics
    from pipelines.metrics import figures
    calls: list[Scenario] = []

    def counting(*args: object, **kwargs: object) -> SpendResult:
        calls.append(args[1])  # type: ignore[arg-type]
        return spend(*args, **kwargs)  # type: ignore[arg-type]

    scenario, filters = SCENARIOS[1], FILTERS[1]
    with duckdb.connect(str(generated["invoices"]), read_only=True) as con:
        alone = sens.sensitivity(con, scenario, filters)
        monkeypatch.setattr(figures, "spend", counting)
        monkeypatch.setattr(sens, "spend", counting)
        got = metrics.compute(con, "w", scenario, filters, ("spend", "forecast", "sensitivity"))
    assert calls == [scenario]
    assert got.sensitivity is not None and got.sensitivity.equals(alone)
