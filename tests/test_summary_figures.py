"""`metrics.compute` -> `Figures`: computed once, rendered to the JSON, handed to the shells as
frames; and each family's declared scenario settings (`SCENARIO_KEYS`) are all it reads.

The declaration test is behavioural: every setting a family does not declare is changed
to another value that moves some figure on the sample data, and the family's result must
stay exactly the same (frames compared with `DataFrame.equals`).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from helpers import load_sample

from pipelines import dashboard_data as data
from pipelines import metrics, report, workspace
from pipelines.metrics import facts as facts_module
from pipelines.metrics.figures import EXTRA
from pipelines.scenario import Scenario

# acme and northwind spend from invoices; contoso's tickets without their billed amounts
# and invoices are priced by their labour hours (the hourly rate).
SAMPLES = ("acme", "prospect-northwind", "prospect-contoso")
# Per setting, another value that moves figures on the samples (the base scenario has a
# downtime cost, so the users affected and the outage hours are priced too, and devices).
BASE = Scenario(cost_per_user_hour=20.0, devices=10)
OTHER: dict[str, Any] = {
    "per_user": 300.0, "users": 60, "per_device": 15.0, "devices": 40, "flat_monthly": 500.0,
    "onboarding_fee": 2000.0, "hourly_rate": 40.0, "cost_per_user_hour": 55.0,
    "users_affected_default": 7, "managed_reduction": 0.6, "outage_priorities": ("P3", "P4"),
    "recurrence_days": 5, "include_parts": True, "timezone": "Pacific/Kiritimati",
    "exclude_spend": ("support",), "business_hours": "24/7",
    "holidays": ("2024-01-02", "2024-03-29", "2024-12-25"),
    "sla_respond_hours": {"P1": 0.1, "P2": 0.2, "P3": 0.5, "P4": 1, "P5": 2},
    "sla_resolve_hours": {"P1": 1, "P2": 2, "P3": 3, "P4": 4, "P5": 5},
}
# Settings no figure of `compute` reads: the Problems page compares repair spend with the
# replacement price itself, and the offers are compared by pipelines.metrics.offers.
READ_ELSEWHERE = {"replacement_cost", "offers"}
ALL = (*metrics.FAMILIES, *EXTRA)


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    d = tmp_path_factory.mktemp("figures")
    with contextlib.ExitStack() as stack:
        cons = {}
        for name in SAMPLES:
            load_sample(name, d)
            cons[name] = stack.enter_context(workspace.connect(name, d, create=False))
        cons["prospect-contoso"].execute("UPDATE incidents SET billed_amount = NULL")
        cons["prospect-contoso"].execute("DELETE FROM invoice_lines")
        yield cons


def changed(scenario: Scenario, keys: set[str]) -> Scenario:
    return Scenario.from_dict({**scenario.to_dict(), **{k: OTHER[k] for k in keys}})


def same(a: Any, b: Any) -> bool:
    """Equal results: frames cell by cell, dataclasses field by field."""
    if isinstance(a, pl.DataFrame):
        return isinstance(b, pl.DataFrame) and a.schema == b.schema and a.equals(b)
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(
            same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return isinstance(b, list | tuple) and len(a) == len(b) and all(map(same, a, b))
    return bool(a == b)


def family_result(con: duckdb.DuckDBPyConnection, name: str, family: str,
                  scenario: Scenario) -> Any:
    fig = metrics.compute(con, name, scenario, None, (family,), detail=True)
    return getattr(fig, family), fig.downtime_by_day


def test_the_other_values_cover_every_setting() -> None:
    names = {f.name for f in dataclasses.fields(Scenario)}
    assert set(OTHER) | READ_ELSEWHERE == names


@pytest.fixture(scope="module")
def base_figures(samples: dict[str, Any]) -> dict[str, metrics.Figures]:
    return {name: metrics.compute(con, name, BASE, None, ALL, detail=True)
            for name, con in samples.items()}


@pytest.mark.parametrize("key", sorted(OTHER))
def test_each_other_value_moves_some_figure(samples: dict[str, Any],
                                            base_figures: dict[str, metrics.Figures],
                                            key: str) -> None:
    """Else the declaration test below could not catch a family reading it."""
    moved = False
    for name, con in samples.items():
        before = base_figures[name]
        after = metrics.compute(con, name, changed(BASE, {key}), None, ALL, detail=True)
        moved = any(not same(getattr(before, f), getattr(after, f))
                    for f in (*ALL, "downtime_by_day"))
        if moved:
            break
    assert moved, f"changing {key} moves no figure on {SAMPLES}"


@pytest.mark.parametrize("family", ALL)
def test_a_family_reads_only_the_settings_it_declares(samples: dict[str, Any],
                                                      family: str) -> None:
    undeclared = set(OTHER) - set(metrics.scenario_keys([family]))
    for name, con in samples.items():
        base = family_result(con, name, family, BASE)
        other = family_result(con, name, family, changed(BASE, undeclared))
        assert same(base, other), f"{family} on {name} moved with {sorted(undeclared)}"


def test_the_json_is_the_figures_rendered(samples: dict[str, Any]) -> None:
    """metrics_json = figures_json(compute(...)), with or without the detail."""
    con = samples["acme"]
    expected = metrics.metrics_json(con, "acme", BASE)
    assert metrics.figures_json(metrics.compute(con, "acme", BASE, detail=True)) == expected
    assert list(expected)[:4] == ["workspace", "window", "scenario", "incidents"]


def test_some_families_give_only_their_figures(samples: dict[str, Any]) -> None:
    fig = metrics.compute(samples["acme"], "acme", BASE, None, ("ttr", "checks"))
    assert fig.ttr is not None and fig.checks is not None
    assert fig.spend is None and fig.incidents is None and fig.service is None
    assert set(metrics.figures_json(fig)) == {"workspace", "window", "scenario", "ttr", "checks"}
    with pytest.raises(ValueError, match="'spend' figures were not computed"):
        _ = data.Summary.of(fig).spend_monthly
    with pytest.raises(ValueError, match="unknown metric families"):
        metrics.compute(samples["acme"], "acme", BASE, None, ("spending",))


def test_the_checks_alone_do_not_price_the_spend(samples: dict[str, Any],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks read only the spend's source and window: a page's checks group chooses
    the source without a spend(), and finds what the checks beside the spend find."""
    from pipelines.metrics import figures

    found = []
    short = data.Filters(month_from="2024-01", month_to="2024-03")  # a short spend window
    for name, filters in [(name, f) for name in SAMPLES for f in (None, short)]:
        with_spend = metrics.compute(samples[name], name, BASE, filters, ("spend", "checks"))
        real = figures.spend
        monkeypatch.setattr(figures, "spend", _refuse)
        alone = metrics.compute(samples[name], name, BASE, filters, ("checks",))
        monkeypatch.setattr(figures, "spend", real)
        assert alone.checks == with_spend.checks, name
        found += [c.id for c in alone.checks or ()]
    assert found, "some check fires on the samples"


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("spend() computed for the checks alone")


def test_the_shells_get_the_frames_not_the_rounded_json(samples: dict[str, Any]) -> None:
    """Summary's spend months are the metric's decimals as floats (not the JSON's cents);
    the forecast months and the TTR frames are the families' own."""
    s = data.summary(samples["acme"], "acme", BASE, data.Filters())
    spend = s.figures.spend
    assert spend is not None
    money = [c for c in spend.monthly.columns if c != "month"]
    assert s.spend_monthly.select(money).dtypes == [pl.Float64] * len(money)
    for col in money:
        exact = [float(v) for v in spend.monthly[col]]
        assert s.spend_monthly[col].to_list() == exact
    assert any(Decimal(str(v)) != Decimal(str(v)).quantize(Decimal("0.01"))
               for v in s.spend_monthly["downtime_cost"]), "acme's downtime cost has sub-cents"
    assert s.forecast_months.equals(s.figures.forecast.months)  # type: ignore[union-attr]
    assert s.ttr_by_priority.equals(s.ttr_result.by_priority)
    assert s.raw == metrics.metrics_json(samples["acme"], "acme", BASE)


def test_the_report_builds_the_facts_once(samples: dict[str, Any],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """One set of facts for every figure of the report, the sensitivity's included (its
    recurrence lever moves no spend figure: pipelines.metrics.sensitivity)."""
    calls: list[Scenario] = []
    real = facts_module.prepared

    def counting(con: Any, scenario: Scenario, filters: Any = facts_module.NO_FILTERS) -> Any:
        calls.append(scenario)
        return real(con, scenario, filters)

    monkeypatch.setattr(facts_module, "prepared", counting)
    data.summary(samples["acme"], "acme", BASE, data.Filters(), metrics.FAMILIES, detail=True)
    assert len(calls) == 1
    calls.clear()
    collected = report.collect(samples["acme"], "acme", BASE)
    assert [c.recurrence_days for c in calls] == [BASE.recurrence_days]
    assert collected.summary.figures.families == ALL


def test_an_empty_workspace_has_figures_too(tmp_path: Path) -> None:
    with workspace.connect("empty", tmp_path) as con:
        fig = metrics.compute(con, "empty", BASE, None, ALL, detail=True)
        s = data.Summary.of(fig)
    assert s.empty and s.spend_monthly.is_empty() and s.forecast_months.is_empty()
    assert [c["id"] for c in s.blocks] == ["no_spend"]


def test_the_second_thread_changes_no_figure(samples: dict[str, Any],
                                             base_figures: dict[str, metrics.Figures],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Some families run on a second cursor (figures._SIDE): every result is the one a
    single thread computes, frames cell by cell."""
    from pipelines.metrics import figures

    for con in samples.values():
        cursor = figures._side_cursor(con)
        assert cursor is not None  # a workspace file: the second thread does run
        cursor.close()
    monkeypatch.setattr(figures, "_SIDE", frozenset())
    for name, con in samples.items():
        alone = metrics.compute(con, name, BASE, None, ALL, detail=True)
        for family in (*ALL, "downtime_by_day"):
            assert same(getattr(base_figures[name], family), getattr(alone, family)), family


def test_a_parquet_source_runs_on_two_threads_and_temporary_views_on_one(
        samples: dict[str, Any], tmp_path: Path) -> None:
    """An export's views are in its in-memory database, which a cursor sees: the same JSON
    on two threads. Temporary views belong to one connection: those stay on one."""
    from pipelines import parquet
    from pipelines.metrics import figures

    parquet.export_parquet(samples["acme"], "acme", tmp_path)
    con = parquet.parquet_connection(tmp_path, "acme")
    cursor = figures._side_cursor(con)
    assert cursor is not None
    cursor.close()
    assert metrics.metrics_json(con, "acme", BASE) == metrics.metrics_json(
        samples["acme"], "acme", BASE)
    own = duckdb.connect()
    own.execute("CREATE TEMP VIEW incidents AS SELECT 1 AS ticket_id")
    assert figures._side_cursor(own) is None
