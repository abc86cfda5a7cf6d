"""Downtime and recurrence (METRICS.md section 4): totals, per month, top recurring keys.

Decisions where METRICS.md is silent:

* `downtime_minutes` of 0 or below makes an incident no downtime incident, whatever
  its priority; NULL falls back to the outage priorities.
* A downtime incident without `downtime_minutes` that was resolved before it was
  opened adds no hours and is not an open outage (it is a data-quality warning).
* `top_recurring` lists at most `limit` keys (default 10) among those with two or
  more downtime incidents in the window; ties by hours, then client, then key.
* The recurrence key (client, asset) is never the key (client, category), even when an
  asset and a category are spelt the same ("Network"): the window and `top_recurring`
  tell them apart by `no_asset` (a key "Network" may then be listed twice, once per kind).
* `downtime_by_day` puts an incident's hours on the local day it was opened.
* Hours are added with compensated (Kahan) summation, `fsum`, so a figure does not
  depend on the order parallel threads add rows in (a plain float sum could move a
  rounded 2-decimal figure by 0.01 from one run to the next).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import polars as pl

from pipelines.metrics.facts import Facts, Filters, using
from pipelines.scenario import Scenario

SCENARIO_KEYS = ("timezone", "recurrence_days")  # beyond the facts'
_TOTALS = ("incidents", "hours", "open_outages", "recurring_incidents", "recurring_hours")


@dataclass(frozen=True)
class DowntimeResult:
    """Downtime totals, a frame per month of opening, and the top recurring keys."""

    totals: dict[str, Any]
    monthly: pl.DataFrame  # month, incidents, hours, recurring_incidents, recurring_hours
    top_recurring: pl.DataFrame  # client, key, incidents, hours


def _empty() -> DowntimeResult:
    return DowntimeResult(
        totals=dict.fromkeys(_TOTALS, 0),
        monthly=pl.DataFrame(
            schema={"month": pl.Date, "incidents": pl.Int64, "hours": pl.Float64,
                    "recurring_incidents": pl.Int64, "recurring_hours": pl.Float64}
        ),
        top_recurring=pl.DataFrame(
            schema={"client": pl.String, "key": pl.String, "incidents": pl.Int64,
                    "hours": pl.Float64}
        ),
    )


# The recurrence window: the downtime incidents of each recurrence key in order
# (opened_at, ticket_id). First tried partitioned by a 64-bit hash of the key and ordered
# by opened_at alone (no text to sort): the same order unless two keys share a hash
# (then `partitions`, what the window saw, is below `keys`, the distinct keys grouped by
# their text) or two incidents of a key were opened at the same instant (`ties`); then
# the exact window runs instead.
_FAST = "PARTITION BY hash(client, no_asset, recurrence_key) ORDER BY opened_at"
_EXACT = "PARTITION BY client, no_asset, recurrence_key ORDER BY opened_at, ticket_id"


def _downtime_sql(f: Facts, window: str) -> str:
    """One statement, so the recurrence window runs once and nothing is written: every
    downtime incident of the history with `recurring` (its previous incident of the same
    key within recurrence_days, in order (opened_at, ticket_id)), then the window's
    months and top keys from those opened in the window. `part` tells the result's rows
    apart: the totals (with `partitions`, `keys` and `ties`), each month, each top key."""
    return f"""
        WITH h AS MATERIALIZED (
            SELECT client, recurrence_key, no_asset, om, hours, open_outage,
                   previous IS NULL AS first,
                   coalesce(previous = opened, false) AS tie,
                   recurrence_key IS NOT NULL
                       AND coalesce(opened - previous <= $recur_us, false) AS recurring,
                   om BETWEEN $start AND $end AS shown
            FROM (
                SELECT client, recurrence_key, no_asset, om, hours, open_outage,
                       epoch_us(opened_at) AS opened, lag(epoch_us(opened_at)) OVER w AS previous
                FROM ({f.downtime_history})
                WINDOW w AS ({window})
            )
        ), d AS (
            SELECT * FROM h WHERE shown
        ), sums AS (
            SELECT om AS month, count(*) AS incidents,
                   coalesce(fsum(hours), 0) AS hours,
                   count(*) FILTER (open_outage) AS open_outages,
                   count(*) FILTER (recurring) AS recurring_incidents,
                   coalesce(fsum(hours) FILTER (recurring), 0) AS recurring_hours
            FROM d GROUP BY GROUPING SETS ((), (om))
        ), keys AS MATERIALIZED (
            SELECT client, recurrence_key AS key, no_asset, count(*) FILTER (shown) AS incidents,
                   coalesce(fsum(hours) FILTER (shown), 0) AS hours
            FROM h GROUP BY client, no_asset, recurrence_key
        ), top AS (
            SELECT * FROM keys WHERE key IS NOT NULL AND incidents >= 2
            ORDER BY incidents DESC, hours DESC, client, key, no_asset
            LIMIT $limit
        )
        SELECT CASE WHEN month IS NULL THEN 'total' ELSE 'month' END AS part, month,
               NULL AS client, NULL AS key, NULL::BOOLEAN AS no_asset, incidents, hours,
               open_outages, recurring_incidents, recurring_hours,
               CASE WHEN month IS NULL THEN (SELECT count(*) FILTER (first) FROM h) END
                   AS partitions,
               CASE WHEN month IS NULL THEN (SELECT count(*) FROM keys) END AS keys,
               CASE WHEN month IS NULL THEN (SELECT count(*) FILTER (tie) FROM h) END AS ties
        FROM sums
        UNION ALL
        SELECT 'top', NULL, client, key, no_asset, incidents, hours, NULL, NULL, NULL, NULL,
               NULL, NULL FROM top
        """


def downtime(
    con: duckdb.DuckDBPyConnection,
    scenario: Scenario,
    filters: Filters | None = None,
    *,
    facts: Facts | None = None,
    limit: int = 10,
) -> DowntimeResult:
    """Downtime incidents and hours, recurring ones, open outages; per month and top keys."""
    with using(con, scenario, filters, facts) as f:
        if f is None:
            return _empty()
        recur: dict[str, object] = {"limit": limit,
                                    "recur_us": scenario.recurrence_days * 86_400_000_000}
        rows = f.frame(_downtime_sql(f, _FAST), recur)
        check = rows.filter(pl.col("part") == "total").select("partitions", "keys", "ties")
        partitions, keys, ties = check.row(0) if check.height else (0, 0, 0)
        if partitions != keys or ties:
            rows = f.frame(_downtime_sql(f, _EXACT), recur)
        months = f.months
    overall = rows.filter(pl.col("part") == "total")
    totals = (
        overall.select(_TOTALS).row(0, named=True) if overall.height else dict.fromkeys(_TOTALS, 0)
    )
    monthly = (
        months.join(
            rows.filter(pl.col("part") == "month").select(
                "month", "incidents", "hours", "recurring_incidents", "recurring_hours"
            ),
            on="month", how="left",
        ).fill_null(0)
    )
    top = (
        rows.filter(pl.col("part") == "top")
        .sort(["incidents", "hours", "client", "key", "no_asset"],
              descending=[True, True, False, False, False])
        .select("client", "key", "incidents", "hours")
    )
    return DowntimeResult(totals, monthly, top)


def downtime_by_day(
    con: duckdb.DuckDBPyConnection,
    scenario: Scenario,
    filters: Filters | None = None,
    *,
    facts: Facts | None = None,
) -> pl.DataFrame:
    """Downtime incidents and hours per local day of opening (days without downtime left out)."""
    with using(con, scenario, filters, facts) as f:
        if f is None:
            return pl.DataFrame(
                schema={"day": pl.Date, "incidents": pl.Int64, "hours": pl.Float64}
            )
        return f.frame(
            f"""
            SELECT CAST(timezone($tz, opened_at) AS DATE) AS day, count(*) AS incidents,
                   coalesce(fsum(hours), 0) AS hours
            FROM ({f.downtime})
            GROUP BY day ORDER BY day
            """,
            {"tz": f.scenario.timezone},
        )
