"""Which scenario inputs move the verdict most: the break-even price and the crossover month
at each end of a sensible range of each input (a tornado chart and a table).

Every end is what `spend()` (METRICS.md section 5) gives with one setting changed and
the others as the scenario has them, over the same filters and facts. Only the scenario's
own spend reads the tickets: the contract price, the users and the downtime avoided
reprice its months in decimals (`spend.repriced`), the downtime cost per user-hour
prices its months' person-hours again (one statement over those numbers), and the
recurrence window is not read by spend at all, so its ends are the scenario's figures.

Ranges (decisions where the issue and METRICS.md leave them open):

* `per_user` and `users`: x0.5 to x1.5 of the scenario's value (users rounded, at
  least 1);
* `cost_per_user_hour`: x0.5 to x1.5, or 0 to 50 per user-hour when the scenario has
  it at 0 (downtime cost left out): 50 stands for a typical loaded cost of a staff
  hour, so the row shows what counting downtime at all would do;
* `managed_reduction`: 0 to 0.8 (a managed service that avoids none to most downtime);
* `recurrence_days`: 7 to 90 days.

What moves and what cannot: the break-even price does not depend on `per_user` (it is
the per-user price break-fix is compared with), so that row's price bar is empty and
its effect shows in the crossover months; `recurrence_days` decides which outages count
as repeats, not what they cost, so it moves neither figure (the row stays, showing so).
Rows are ordered by the break-even price's swing, then the crossover's, then the table
order above.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb
import polars as pl

from pipelines import present
from pipelines.metrics.facts import SCENARIO_KEYS as FACTS_KEYS
from pipelines.metrics.facts import Facts, Filters, month_date, using
from pipelines.metrics.spend import PRICE_KEYS, SpendResult, downtime_costs, repriced, spend
from pipelines.metrics.spend import SCENARIO_KEYS as SPEND_KEYS
from pipelines.scenario import Scenario

SCENARIO_KEYS = ("per_user", "users", "cost_per_user_hour", "managed_reduction",
                 "recurrence_days")  # the levers, and the spend's
DOWNTIME_COST_IF_OFF = 50.0


@dataclass(frozen=True)
class Lever:
    """One scenario setting, how it is named for users, and its low and high values."""

    key: str
    label: str
    low: float
    high: float


SENSITIVITY_SCHEMA = pl.Schema({
    "setting": pl.String(), "label": pl.String(), "value": pl.Float64(),
    "low": pl.Float64(), "high": pl.Float64(),
    "price_base": pl.Float64(), "price_low": pl.Float64(), "price_high": pl.Float64(),
    "crossover_base": pl.String(), "crossover_low": pl.String(),
    "crossover_high": pl.String(), "price_swing": pl.Float64(),
    "crossover_swing_months": pl.Int64(),
})


def levers(scenario: Scenario) -> list[Lever]:
    """The inputs and ranges the sensitivity view moves (see the module docstring)."""
    users = scenario.users
    cost = scenario.cost_per_user_hour
    return [
        Lever("per_user", "Contract price per user", scenario.per_user * 0.5,
              scenario.per_user * 1.5),
        Lever("users", "Users covered", max(1, round(users * 0.5)), max(1, round(users * 1.5))),
        Lever("cost_per_user_hour", "Downtime cost per user-hour",
              cost * 0.5 if cost else 0.0, cost * 1.5 if cost else DOWNTIME_COST_IF_OFF),
        Lever("managed_reduction", "Downtime the managed service avoids", 0.0, 0.8),
        Lever("recurrence_days", "Recurrence window (days)", 7, 90),
    ]


def _with(scenario: Scenario, key: str, value: float) -> Scenario:
    kind = type(getattr(scenario, key))
    return dataclasses.replace(scenario, **{key: kind(value)})


def _at_end(con: duckdb.DuckDBPyConnection, base: SpendResult, f: Facts, key: str,
            changed: Scenario) -> SpendResult:
    """spend() under `changed` (the scenario with setting `key` moved), from `base` (spend()
    under the scenario, over facts `f`) where no ticket needs reading again."""
    if key not in SPEND_KEYS and key not in FACTS_KEYS:
        return base  # spend does not read the setting (the recurrence window)
    if key in PRICE_KEYS:
        return repriced(base, changed)
    if key == "cost_per_user_hour":
        return repriced(base, changed,
                        downtime_costs(con, base, changed.cost_per_user_hour))
    # any other setting: spend() again, on facts of its own (the facts carry the scenario
    # they were built for, and spend reads some settings from there)
    return spend(con, changed, f.filters)


def _months_apart(a: str | None, b: str | None) -> int | None:
    if a is None or b is None:
        return None
    da, db = month_date(a), month_date(b)
    return abs((da.year - db.year) * 12 + da.month - db.month)


def _price(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def sensitivity(
    con: duckdb.DuckDBPyConnection,
    scenario: Scenario,
    filters: Filters | None = None,
    *,
    facts: Facts | None = None,
    base: SpendResult | None = None,
) -> pl.DataFrame:
    """Per input: its value, the range's ends, the break-even price and the cumulative
    crossover at the scenario's value and at each end; empty without spend data.

    `base`: the scenario's spend() over the same filters and `facts`, when the caller has
    it (metrics.compute does), so the tickets are not read again."""
    with using(con, scenario, filters, facts) as f:
        if base is None:
            base = spend(con, scenario, filters, facts=f)
        if f is None or base.source is None:
            return pl.DataFrame(schema=SENSITIVITY_SCHEMA)
        rows: list[dict[str, Any]] = []
        for lever in levers(scenario):
            ends = []
            for value in (lever.low, lever.high):
                r = _at_end(con, base, f, lever.key, _with(scenario, lever.key, value))
                ends.append((_price(r.break_even_price_per_user), r.cumulative_crossover))
            (p_lo, c_lo), (p_hi, c_hi) = ends
            swing = None if p_lo is None or p_hi is None else abs(p_hi - p_lo)
            rows.append({
                "setting": lever.key, "label": lever.label,
                "value": float(getattr(scenario, lever.key)),
                "low": float(lever.low), "high": float(lever.high),
                "price_base": _price(base.break_even_price_per_user),
                "price_low": p_lo, "price_high": p_hi,
                "crossover_base": base.cumulative_crossover,
                "crossover_low": c_lo, "crossover_high": c_hi,
                "price_swing": swing,
                "crossover_swing_months": _months_apart(c_lo, c_hi),
            })
    span = base.monthly.height

    def weight(row: dict[str, Any]) -> tuple[float, int]:
        # a crossover at one end and none at the other moves the verdict most
        months = row["crossover_swing_months"]
        if months is None:
            months = span if (row["crossover_low"] is None) != (row["crossover_high"] is None) \
                else 0
        return (-(row["price_swing"] or 0.0), -months)

    rows.sort(key=weight)  # stable: ties keep the order of `levers`
    return pl.DataFrame(rows, schema=SENSITIVITY_SCHEMA, orient="row")


def setting_text(key: str, value: float, currency: str | None = None) -> str:
    """A lever's value as a person reads it: 'GBP 125', '25', '40%', '30 days'."""
    if key in ("per_user", "cost_per_user_hour"):
        return present.money(value, currency, 0 if float(value).is_integer() else 2)
    if key == "managed_reduction":
        return f"{value:.0%}"
    if key == "recurrence_days":
        return f"{value:.0f} days"
    return f"{value:,.0f}"


def row_labels(frame: pl.DataFrame, currency: str | None = None) -> list[str]:
    """Each row's input with its range: 'Users covered (12 to 38)'."""
    return [f"{r['label']} ({setting_text(r['setting'], r['low'], currency)} to"
            f" {setting_text(r['setting'], r['high'], currency)})"
            for r in frame.iter_rows(named=True)]


def sensitivity_table(frame: pl.DataFrame, currency: str | None = None) -> pl.DataFrame:
    """The sensitivity rows as a person reads them (the dashboard's and report's table)."""
    def price(v: float | None) -> str:
        return present.money(v, currency, 2)

    rows = [{
        "Input": r["label"],
        "Scenario": setting_text(r["setting"], r["value"], currency),
        "Range": (f"{setting_text(r['setting'], r['low'], currency)} to"
                  f" {setting_text(r['setting'], r['high'], currency)}"),
        "Break-even at low end": price(r["price_low"]),
        "Break-even at high end": price(r["price_high"]),
        "Crossover at low end": present.month(r["crossover_low"]),
        "Crossover at high end": present.month(r["crossover_high"]),
    } for r in frame.iter_rows(named=True)]
    return pl.DataFrame(rows, schema={k: pl.String for k in (
        "Input", "Scenario", "Range", "Break-even at low end", "Break-even at high end",
        "Crossover at low end", "Crossover at high end")}, orient="row")


NOTE = ("The price per user does not move the break-even price (it is what that price is"
        " compared with); it moves the crossover month. Downtime cost moves the verdict only"
        " when the managed service is expected to avoid some of it (downtime avoided above"
        " 0%), and the downtime avoided only when downtime has a cost; the recurrence window"
        " decides which outages count as repeats, not what they cost.")
