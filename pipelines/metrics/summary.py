"""The JSON of METRICS.md section 7 and the one-sentence verdict.

Decisions where METRICS.md is silent:

* With no data in the window, "window" is {"start": null, "end": null}, monthly arrays
  are empty, TTR statistics are null and the spend source is "labour_hours" (the last
  in the precedence, with nothing to add up).
* Money is rounded half-up to cents, hours half-even (Python's round) to 2 decimals.
* `ttr.by_priority` always holds P1..P5 and, when unprioritised incidents were timed,
  "unknown".
* An extra key "verdict" carries `verdict()`'s sentence (section 7 allows added keys).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import duckdb
import polars as pl

from pipelines.metrics.downtime import downtime
from pipelines.metrics.facts import Filters, incident_counts, month_text, prepared
from pipelines.metrics.spend import SpendResult, spend
from pipelines.metrics.ttr import time_to_resolve
from pipelines.scenario import Scenario

CENT = Decimal("0.01")


def money(value: Decimal | None) -> float | None:
    """A decimal amount as a JSON number rounded half-up to cents."""
    return None if value is None else float(Decimal(value).quantize(CENT, ROUND_HALF_UP))


def hours(value: float | None) -> float | None:
    """Hours as a JSON number rounded to 2 decimals."""
    return None if value is None else round(float(value), 2)


def _rows(df: pl.DataFrame, spec: dict[str, str]) -> list[dict[str, Any]]:
    """Frame rows as JSON objects; spec maps column -> 'month' | 'count' | 'hours' | 'money'."""
    convert = {"month": month_text, "count": int, "hours": hours, "money": money, "text": str}
    out = []
    for row in df.iter_rows(named=True):
        out.append(
            {
                col: None if row[col] is None else convert[kind](row[col])  # type: ignore[operator]
                for col, kind in spec.items()
            }
        )
    return out


def metrics_json(
    con: duckdb.DuckDBPyConnection,
    workspace_name: str,
    scenario: Scenario,
    filters: Filters | None = None,
) -> dict[str, Any]:
    """Every figure of METRICS.md section 7, from one set of per-incident facts."""
    with prepared(con, scenario, filters or Filters()) as f:
        counts = incident_counts(con, scenario, facts=f)
        ttr = time_to_resolve(con, scenario, filters, facts=f, by_category=False)
        down = downtime(con, scenario, filters, facts=f)
        cost = spend(con, scenario, filters, facts=f)
        window = (
            {"start": month_text(f.start), "end": month_text(f.end)}
            if f is not None
            else {"start": None, "end": None}
        )
    stat = {"count": "count", "mean_hours": "hours", "median_hours": "hours", "p90_hours": "hours"}
    by_priority = {
        (row["priority"] or "unknown"): row
        for row in _rows(ttr.by_priority, {"priority": "text", **stat})
    }
    for row in by_priority.values():
        del row["priority"]
    totals = cost.totals
    return {
        "workspace": workspace_name,
        "window": window,
        "scenario": scenario.to_dict(),
        "incidents": counts,
        "ttr": {
            "count": int(ttr.stats["count"]),
            "mean_hours": hours(ttr.stats["mean_hours"]),
            "median_hours": hours(ttr.stats["median_hours"]),
            "p90_hours": hours(ttr.stats["p90_hours"]),
            "by_priority": by_priority,
            "monthly": _rows(
                ttr.monthly,
                {"month": "month", "count": "count", "median_hours": "hours", "p90_hours": "hours"},
            ),
        },
        "downtime": {
            "incidents": int(down.totals["incidents"]),
            "hours": hours(down.totals["hours"]),
            "open_outages": int(down.totals["open_outages"]),
            "recurring_incidents": int(down.totals["recurring_incidents"]),
            "recurring_hours": hours(down.totals["recurring_hours"]),
            "top_recurring": _rows(
                down.top_recurring,
                {"client": "text", "key": "text", "incidents": "count", "hours": "hours"},
            ),
            "monthly": _rows(
                down.monthly,
                {"month": "month", "incidents": "count", "hours": "hours",
                 "recurring_incidents": "count", "recurring_hours": "hours"},
            ),
        },
        "spend": {
            "source": cost.source,
            "breakfix_total": money(totals["breakfix_total"]),
            "managed_total": money(totals["managed_total"]),
            "downtime_cost_total": money(totals["downtime_cost_total"]),
            "monthly_fee": money(cost.monthly_fee),
            "cumulative_crossover": cost.cumulative_crossover,
            "run_rate_crossover": cost.run_rate_crossover,
            "break_even_price_per_user": money(cost.break_even_price_per_user),
            "monthly": _rows(
                cost.monthly,
                {"month": "month", **{c: "money" for c in cost.monthly.columns if c != "month"}},
            ),
        },
        "verdict": verdict(cost),
    }


def verdict(result: SpendResult) -> str:
    """One sentence that leads with the answer: is break-fix dearer, since when, at what price."""
    if result.monthly.height == 0:
        return (
            "No tickets or invoices fall in the chosen window, so there is nothing to compare"
            " yet: load an export or widen --from/--to."
        )
    first = month_text(result.monthly["month"][0])
    last = month_text(result.monthly["month"][-1])
    price = result.break_even_price_per_user
    price_text = (
        "no per-user break-even price (the scenario has 0 users)"
        if price is None
        else f"break-even price {money(price):.2f} per user per month"
    )
    cumulative = (
        f"cumulative crossover {result.cumulative_crossover}"
        if result.cumulative_crossover
        else "no cumulative crossover yet"
    )
    if result.run_rate_crossover:
        return (
            f"Break-fix has cost more than the managed offer since {result.run_rate_crossover}"
            f" (run-rate); {cumulative}; {price_text}."
        )
    if result.cumulative_crossover:
        return (
            f"Break-fix is not dearer than the managed offer on the trailing 12 months to {last},"
            f" though it has cost more in total ({cumulative}); {price_text}."
        )
    return (
        f"Break-fix has cost less than the managed offer from {first} to {last}"
        f" (no run-rate or cumulative crossover); {price_text}."
    )
