"""What the dashboard pages show, as typed frames: the metrics of METRICS.md, shaped for charts.

The figures come from `pipelines.metrics` (the JSON contract of METRICS.md section 7);
this module only turns them into Polars frames with `month` as a Date, and answers the
small questions a page needs (which clients, which currency, which months).
Pages call these functions; they never run SQL themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import polars as pl

from pipelines import metrics, store
from pipelines.scenario import Scenario

Filters = metrics.Filters


def month_date(month: str | None) -> date | None:
    """'2024-03' -> date(2024, 3, 1); None stays None."""
    return None if not month else date(int(month[:4]), int(month[5:7]), 1)


def _monthly(rows: list[dict[str, Any]] | None, schema: dict[str, Any]) -> pl.DataFrame:
    """A JSON `monthly` array as a frame, `month` as a Date."""
    frame = pl.DataFrame(rows or [], schema={"month": pl.String, **schema}, orient="row")
    return frame.with_columns(pl.col("month").str.to_date("%Y-%m"))


_TTR_MONTHLY = {"count": pl.Int64, "median_hours": pl.Float64, "p90_hours": pl.Float64}
_DOWN_MONTHLY = {"incidents": pl.Int64, "hours": pl.Float64, "recurring_incidents": pl.Int64,
                 "recurring_hours": pl.Float64}
_SPEND_MONTHLY = {c: pl.Float64 for c in (
    "spend", "downtime_cost", "breakfix", "managed", "cumulative_breakfix", "cumulative_managed",
    "ttm_breakfix", "ttm_managed")}
_TOP = {"client": pl.String, "key": pl.String, "incidents": pl.Int64, "hours": pl.Float64}
_PRIORITY = {"priority": pl.String, "count": pl.Int64, "mean_hours": pl.Float64,
             "median_hours": pl.Float64, "p90_hours": pl.Float64}


@dataclass(frozen=True)
class Summary:
    """Every figure of one workspace, scenario and filter, in the shapes the pages use."""

    raw: dict[str, Any]  # the METRICS.md section 7 object
    verdict: str
    currency: str | None
    ttr_monthly: pl.DataFrame = field(repr=False)
    ttr_by_priority: pl.DataFrame = field(repr=False)
    downtime_monthly: pl.DataFrame = field(repr=False)
    top_recurring: pl.DataFrame = field(repr=False)
    spend_monthly: pl.DataFrame = field(repr=False)

    @property
    def empty(self) -> bool:
        return (self.raw.get("window") or {}).get("start") is None

    @property
    def incidents(self) -> dict[str, Any]:
        return self.raw["incidents"]

    @property
    def ttr(self) -> dict[str, Any]:
        return self.raw["ttr"]

    @property
    def downtime(self) -> dict[str, Any]:
        return self.raw["downtime"]

    @property
    def spend(self) -> dict[str, Any]:
        return self.raw["spend"]

    @property
    def checks(self) -> list[dict[str, Any]]:
        """The evidence checks that fired (METRICS.md section 8), each with its `topic`:
        the page that explains it (spend, downtime, time_to_resolve or data)."""
        return [{**c, "topic": metrics.checks.TOPICS.get(c["id"], "data")}
                for c in self.raw.get("checks") or []]

    @property
    def blocks(self) -> list[dict[str, Any]]:
        """The checks that leave no verdict."""
        return [c for c in self.checks if c["level"] == "block"]

    @property
    def warnings(self) -> list[dict[str, Any]]:
        """The checks that put a caveat beside the verdict."""
        return [c for c in self.checks if c["level"] != "block"]

    @property
    def cumulative_crossover(self) -> date | None:
        return month_date(self.spend.get("cumulative_crossover"))

    @property
    def run_rate_crossover(self) -> date | None:
        return month_date(self.spend.get("run_rate_crossover"))

    @property
    def recurring_share(self) -> float | None:
        """Recurring downtime hours as a share of all downtime hours (None without downtime)."""
        hours = self.downtime.get("hours") or 0
        return (self.downtime.get("recurring_hours") or 0) / hours if hours else None

    @property
    def last_ttm(self) -> dict[str, Any] | None:
        """The last month's trailing-12-month break-fix and managed cost."""
        if self.spend_monthly.is_empty():
            return None
        return self.spend_monthly.tail(1).row(0, named=True)


def summary(con: duckdb.DuckDBPyConnection, workspace_name: str, scenario: Scenario,
            filters: Filters) -> Summary:
    """Every figure of the workspace under `scenario` and `filters` (METRICS.md section 7)."""
    raw = metrics.metrics_json(con, workspace_name, scenario, filters)
    ttr, down, spend = raw.get("ttr") or {}, raw.get("downtime") or {}, raw.get("spend") or {}
    by_priority = [{"priority": None if p == "unknown" else p, **stats}
                   for p, stats in (ttr.get("by_priority") or {}).items()]
    return Summary(
        raw=raw,
        verdict=verdict_text(raw),
        currency=currency(con, filters),
        ttr_monthly=_monthly(ttr.get("monthly"), _TTR_MONTHLY),
        ttr_by_priority=pl.DataFrame(by_priority, schema=_PRIORITY, orient="row"),
        downtime_monthly=_monthly(down.get("monthly"), _DOWN_MONTHLY),
        top_recurring=pl.DataFrame(down.get("top_recurring") or [], schema=_TOP, orient="row"),
        spend_monthly=_monthly(spend.get("monthly"), _SPEND_MONTHLY),
    )


def verdict_text(raw: dict[str, Any]) -> str:
    """The verdict sentence of a metrics object (worded by `metrics.verdict`)."""
    return str(raw.get("verdict") or "")


@dataclass(frozen=True)
class TTRView:
    """Time to resolve for the page: statistics, counts, and the three breakdowns."""

    stats: dict[str, Any]  # count, mean_hours, median_hours, p90_hours
    incidents: dict[str, int]  # total, resolved, open, warnings
    monthly: pl.DataFrame  # month, count, mean_hours, median_hours, p90_hours
    by_priority: pl.DataFrame  # priority, count, mean_hours, median_hours, p90_hours
    by_category: pl.DataFrame  # category, count, mean_hours, median_hours, p90_hours


def ttr_view(con: duckdb.DuckDBPyConnection, scenario: Scenario,
             filters: Filters) -> TTRView:
    """Everything the time-to-resolve page shows, from one set of per-incident facts.

    Depends on the scenario's time zone only (and the filters).
    """
    with metrics.prepared(con, scenario, filters) as f:
        counts = metrics.incident_counts(con, scenario, facts=f)
        ttr = metrics.time_to_resolve(con, scenario, filters, facts=f)
    return TTRView(ttr.stats, counts, ttr.monthly, ttr.by_priority, ttr.by_category)


def service_view(con: duckdb.DuckDBPyConnection, scenario: Scenario,
                 filters: Filters) -> metrics.ServiceResult:
    """The Service levels page: response, business-time TTR and the SLA replay, with the
    per-priority calendar and business-hours quantiles (METRICS.md section 10).

    Depends on the time zone, business hours, holidays and SLA targets only (and filters).
    """
    return metrics.service_levels(con, scenario, filters, detail=True)


@dataclass(frozen=True)
class DowntimeView:
    """Downtime for the page: totals, per month, top recurring keys, per day."""

    totals: dict[str, Any]  # incidents, hours, open_outages, recurring_incidents, recurring_hours
    monthly: pl.DataFrame  # month, incidents, hours, recurring_incidents, recurring_hours
    top_recurring: pl.DataFrame  # client, key, incidents, hours
    by_day: pl.DataFrame  # day, incidents, hours

    @property
    def recurring_share(self) -> float | None:
        """Recurring downtime hours as a share of all downtime hours (None without downtime)."""
        hours = self.totals.get("hours") or 0
        return (self.totals.get("recurring_hours") or 0) / hours if hours else None


def downtime_view(con: duckdb.DuckDBPyConnection, scenario: Scenario,
                  filters: Filters) -> DowntimeView:
    """Everything the downtime page shows, from one set of per-incident facts.

    Depends on the scenario's time zone, outage priorities and recurrence window only.
    """
    with metrics.prepared(con, scenario, filters) as f:
        down = metrics.downtime(con, scenario, filters, facts=f)
        days = metrics.downtime_by_day(con, scenario, filters, facts=f)
    return DowntimeView(down.totals, down.monthly, down.top_recurring, days)


# --- small questions the sidebar and pages ask ---------------------------------------------

def currency(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> str | None:
    """The invoices' currency when they use exactly one, else None (mixed or unknown)."""
    return metrics.spend_currency(con, filters)


def clients(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The clients that have tickets or invoices, sorted."""
    return store.frame(
        con,
        "SELECT client FROM incidents UNION SELECT client FROM invoice_lines"
        " WHERE client IS NOT NULL ORDER BY 1",
    ).get_column("client").to_list()


def months_available(con: duckdb.DuckDBPyConnection, scenario: Scenario) -> list[str]:
    """Every month ('YYYY-MM') of the unfiltered analysis window, in order; [] when empty."""
    window = metrics.analysis_window(con, scenario)
    if window is None:
        return []
    start, end = month_date(window[0]), month_date(window[1])
    assert start is not None and end is not None
    out, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def data_version(con: duckdb.DuckDBPyConnection) -> tuple[int, int, str]:
    """(newest load id, number of loads, newest load's end): changes whenever any process
    loads a file, and differs for a workspace deleted and created again under its name."""
    row = con.execute(
        "SELECT coalesce(max(load_id), 0), count(*), coalesce(CAST(max(finished_at) AS VARCHAR), '')"
        " FROM loads"
    ).fetchall()[0]
    return int(row[0]), int(row[1]), str(row[2])
