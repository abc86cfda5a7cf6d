"""Time to resolve (METRICS.md section 3): overall, per priority, per category, per month.

Decisions where METRICS.md is silent:

* Incidents are those opened in the window; the monthly breakdown groups them by the
  month of `resolved_at` and shows only months inside the window.
* `by_priority` always lists P1..P5 (count 0 and null statistics when none), plus a
  row with priority null ("unknown" in the JSON) when unprioritised incidents were timed.
* `by_category` lists the categories that have timed incidents, null category included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import polars as pl

from pipelines.metrics.facts import Facts, Filters, using
from pipelines.scenario import PRIORITIES, Scenario

SCENARIO_KEYS: tuple[str, ...] = ()  # none beyond the facts' (facts.SCENARIO_KEYS)
STAT_COLUMNS = ("count", "mean_hours", "median_hours", "p90_hours")
_STATS_SCHEMA = {
    "count": pl.Int64, "mean_hours": pl.Float64, "median_hours": pl.Float64,
    "p90_hours": pl.Float64,
}


@dataclass(frozen=True)
class TTRResult:
    """TTR statistics: `stats` overall; frames by priority, by month of resolution, by category."""

    stats: dict[str, Any]
    by_priority: pl.DataFrame
    monthly: pl.DataFrame
    by_category: pl.DataFrame


def _empty(key: str, dtype: Any) -> pl.DataFrame:
    return pl.DataFrame(schema={key: dtype, **_STATS_SCHEMA})


def time_to_resolve(
    con: duckdb.DuckDBPyConnection,
    scenario: Scenario,
    filters: Filters | None = None,
    *,
    facts: Facts | None = None,
    by_category: bool = True,
) -> TTRResult:
    """Count, mean, median and p90 of `ttr_hours` (linear quantiles), overall and broken down.

    `by_category=False` skips the category breakdown (left empty), which the JSON lacks.
    """
    with using(con, scenario, filters, facts) as f:
        if f is None:
            return TTRResult(
                stats={"count": 0, "mean_hours": None, "median_hours": None, "p90_hours": None},
                by_priority=_priority_spine().join(
                    _empty("priority", pl.String), on="priority", how="left"
                ).with_columns(pl.col("count").fill_null(0)),
                monthly=_empty("month", pl.Date),
                by_category=_empty("category", pl.String),
            )
        # One statement, one aggregate per breakdown, each a scan of `incidents`: cheaper
        # than GROUPING SETS, which first copies every row into a CTE, or a temp table.
        aggregates = (
            # fsum, not avg: the same mean whatever order the threads add rows in
            "count(*) AS count, fsum(ttr_hours) / count(*) AS mean_hours,"
            " quantile_cont(ttr_hours, [0.5, 0.9]) AS q"
        )
        timed = f"FROM ({f.tickets}) WHERE ttr_hours IS NOT NULL"
        prefix = ""
        if not f.months_stored:
            # Months computed per row: compute them once for the three or four scans.
            prefix = f"WITH timed AS MATERIALIZED (SELECT priority, category, rm, ttr_hours {timed}) "
            timed = "FROM timed"
        parts = [
            f"SELECT 'all' AS grp, NULL AS key, NULL::DATE AS month, {aggregates} {timed}",
            f"SELECT 'priority', priority, NULL, {aggregates} {timed} GROUP BY priority",
            f"SELECT 'month', NULL, rm, {aggregates} {timed} GROUP BY rm",
        ]
        if by_category:
            parts.append(f"SELECT 'category', category, NULL, {aggregates} {timed} GROUP BY category")
        rows = f.frame(prefix + " UNION ALL ".join(parts))
        months = f.months
    rows = rows.with_columns(
        median_hours=pl.col("q").list.get(0), p90_hours=pl.col("q").list.get(1)
    ).drop("q")

    def part(grp: str, key: str | None) -> pl.DataFrame:
        chosen = rows.filter(pl.col("grp") == grp)
        if key == "month":
            return chosen.select("month", *STAT_COLUMNS)
        keys = [pl.col("key").alias(key)] if key else []
        return chosen.select(*keys, *STAT_COLUMNS)

    overall = part("all", None)
    stats: dict[str, Any] = (
        overall.row(0, named=True)
        if overall.height
        else {"count": 0, "mean_hours": None, "median_hours": None, "p90_hours": None}
    )
    by_priority = part("priority", "priority")
    by_priority = pl.concat(
        [
            _priority_spine().join(by_priority, on="priority", how="left"),
            by_priority.filter(pl.col("priority").is_null()),
        ]
    ).with_columns(pl.col("count").fill_null(0))
    monthly = months.join(part("month", "month"), on="month", how="left").with_columns(
        pl.col("count").fill_null(0)
    )
    categories = part("category", "category").sort("count", "category", descending=[True, False])
    return TTRResult(stats, by_priority, monthly, categories)


def ttr_by_category(
    con: duckdb.DuckDBPyConnection,
    scenario: Scenario,
    filters: Filters | None = None,
    *,
    facts: Facts | None = None,
) -> pl.DataFrame:
    """TTR statistics per category, most incidents first (for the dashboard's table)."""
    return time_to_resolve(con, scenario, filters, facts=facts).by_category


def _priority_spine() -> pl.DataFrame:
    return pl.DataFrame({"priority": list(PRIORITIES)}, schema={"priority": pl.String})
