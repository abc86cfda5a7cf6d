"""The JSON of METRICS.md section 7 and the one-sentence verdict.

Decisions where METRICS.md is silent:

* With no data in the window, "window" is {"start": null, "end": null}, monthly arrays
  are empty, TTR statistics are null and the spend source is null (section 5: no
  source has data), with the check `no_spend`.
* Money is rounded half-up to cents; hours and percentages half-up to 2 decimals too,
  after snapping the float to 9 decimals (`hours`), so an exact tie such as 192.475 h
  gives 192.48 whatever rounding error the float arithmetic left.
* `ttr.by_priority` always holds P1..P5 and, when unprioritised incidents were timed,
  "unknown".
* An extra key "verdict" carries `verdict()`'s sentence (section 7 allows added keys),
  and `spend.currency` the invoices' currency when they use exactly one (else null).
* `spend.window` is {"start": null, "end": null} when there is no spend source;
  `spend.excluded` is {"lines": 0, "amount": 0} when nothing is left out.
* The verdict sentence formats money and months like the dashboard's tiles
  (`pipelines.present`: "GBP 12,345", "Apr 2024"); when a block check fires it says
  there is no verdict and why, instead of comparing costs.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import duckdb
import polars as pl

from pipelines import present
from pipelines.metrics import checks as evidence
from pipelines.metrics import forecast as outlook
from pipelines.metrics import problems
from pipelines.metrics.downtime import DowntimeResult
from pipelines.metrics.facts import Filters, month_text
from pipelines.metrics.figures import Figures, compute
from pipelines.metrics.predictability import predictability_json
from pipelines.metrics.service import service_json
from pipelines.metrics.spend import SpendResult
from pipelines.metrics.ttr import TTRResult
from pipelines.scenario import Scenario

CENT = Decimal("0.01")


def money(value: Decimal | None) -> float | None:
    """A decimal amount as a JSON number rounded half-up to cents."""
    return None if value is None else float(Decimal(value).quantize(CENT, ROUND_HALF_UP))


def hours(value: float | None) -> float | None:
    """Hours (and percentages) as a JSON number rounded half-up to 2 decimals, like money.

    The float is first snapped to 9 decimals, so a value that is exactly a tie (192.475 h:
    the median of two times in whole minutes often is) rounds up however the float
    arithmetic before it came out (192.47499999999997 or 192.47500000000002)."""
    if value is None:
        return None
    return float(Decimal(repr(round(float(value), 9))).quantize(CENT, ROUND_HALF_UP))


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
    return figures_json(compute(con, workspace_name, scenario, filters))


def figures_json(fig: Figures) -> dict[str, Any]:
    """The METRICS.md section 7 object of computed figures (money to cents, hours to 2
    decimals). Figures of only some families give only their keys (the dashboard's pages)."""
    f = fig.window
    out: dict[str, Any] = {
        "workspace": fig.workspace,
        "window": ({"start": month_text(f[0]), "end": month_text(f[1])} if f is not None
                   else {"start": None, "end": None}),
        "scenario": fig.scenario.to_dict(),
    }
    if fig.incidents is not None:
        out["incidents"] = fig.incidents
    if fig.ttr is not None:
        out["ttr"] = ttr_json(fig.ttr)
    if fig.downtime is not None:
        out["downtime"] = downtime_json(fig.downtime)
    if fig.spend is not None:
        out["spend"] = spend_json(fig.spend, fig.currency)
    if fig.checks is not None:
        out["checks"] = [c.to_dict() for c in fig.checks]
        if fig.spend is not None:
            out["verdict_state"] = evidence.verdict_state(list(fig.checks), fig.spend)
    if fig.predictability is not None:
        out["predictability"] = predictability_json(fig.predictability)
    if fig.service is not None:
        out.update(service_json(fig.service))  # response, ttr_business, sla (section 10)
    if fig.problems is not None:
        out["problems"] = problems.problems_json(fig.problems)
    if fig.assets is not None:
        out["assets"] = problems.assets_json(fig.assets)
    if fig.forecast is not None:
        out["forecast"] = outlook.forecast_json(fig.forecast)
    if fig.confidence is not None:
        out["confidence"] = outlook.confidence_json(fig.confidence)
    if fig.spend is not None and fig.checks is not None:
        out["verdict"] = verdict(fig.spend, list(fig.checks), fig.currency)
    return out


def ttr_json(ttr: TTRResult) -> dict[str, Any]:
    """The `ttr` object of section 7."""
    stat = {"count": "count", "mean_hours": "hours", "median_hours": "hours", "p90_hours": "hours"}
    by_priority = {
        (row["priority"] or "unknown"): row
        for row in _rows(ttr.by_priority, {"priority": "text", **stat})
    }
    for row in by_priority.values():
        del row["priority"]
    return {
        "count": int(ttr.stats["count"]),
        "mean_hours": hours(ttr.stats["mean_hours"]),
        "median_hours": hours(ttr.stats["median_hours"]),
        "p90_hours": hours(ttr.stats["p90_hours"]),
        "by_priority": by_priority,
        "monthly": _rows(
            ttr.monthly,
            {"month": "month", "count": "count", "median_hours": "hours", "p90_hours": "hours"},
        ),
    }


def downtime_json(down: DowntimeResult) -> dict[str, Any]:
    """The `downtime` object of section 7."""
    return {
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
    }


def spend_json(cost: SpendResult, currency: str | None) -> dict[str, Any]:
    """The `spend` object of section 7 (with `window`, `excluded` and `currency`)."""
    totals = cost.totals
    return {
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
        "window": (
            {"start": cost.window_text[0], "end": cost.window_text[1]}
            if cost.window_text else {"start": None, "end": None}
        ),
        "excluded": {"lines": cost.excluded_lines, "amount": money(cost.excluded_amount)},
        "currency": currency,
    }


RUN_RATE = "the run-rate (the last 12 months of break-fix against 12 months of the contract)"


def verdict(
    result: SpendResult, fired: list[evidence.Check] | None = None, currency: str | None = None
) -> str:
    """One sentence that leads with the answer: is break-fix dearer, since when, at what
    price; or, when a block check fired, that there is no verdict and why."""
    block = next((c for c in fired or [] if c.level == evidence.BLOCK), None)
    if result.window is None:
        if block is not None and block.message.startswith("No tickets"):
            return block.message  # nothing loaded (or filtered away): say how to load
        return ("No verdict: there is no spend data to price break-fix with (no invoices, and"
                " no ticket has a billed amount or time worked).")
    first = month_text(result.window[0])
    last = month_text(result.window[1])
    span = present.months_span(first, last)
    if block is not None:
        return (f"No verdict: the spend data covers only {present.count(result.monthly.height, 'month')}"
                f" ({span}); a verdict needs at least 3.")
    price = result.break_even_price_per_user
    price_text = (
        "no per-user break-even price (the scenario has 0 users)"
        if price is None
        else f"break-even price {present.money(price, currency, 2)} per user per month"
    )
    cumulative = present.month(result.cumulative_crossover)
    if result.run_rate_crossover:
        total = (f"and more in total since {cumulative}" if result.cumulative_crossover
                 else "though not yet more in total")
        return (
            f"Break-fix has cost more than the managed offer since"
            f" {present.month(result.run_rate_crossover)} on {RUN_RATE}, {total};"
            f" {price_text} ({span})."
        )
    if result.cumulative_crossover:
        return (
            f"Break-fix has cost more than the managed offer in total since {cumulative},"
            f" but not on {RUN_RATE} to {present.month(last)}; {price_text} ({span})."
        )
    return (
        f"Break-fix has cost less than the managed offer from {span}, in total and on"
        f" {RUN_RATE}; {price_text}."
    )
