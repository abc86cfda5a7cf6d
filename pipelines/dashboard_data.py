"""What the dashboard pages and the report show, as typed frames: `Summary` of `metrics.Figures`.

The figures are computed once per workspace, scenario and filters by `metrics.compute`
(only the families a page shows); `Summary` hands their frames to the charts as they
are (money as floats for plotly, not rounded) and their words and tiles from the
METRICS.md section 7 object of the same figures. This module also answers the small
questions a page needs (which clients, which currency, which months) and shapes the
tables a page shows. Pages call these functions; they never run SQL or reshape frames.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import polars as pl

from pipelines import metrics, store
from pipelines.metrics import computed
from pipelines.metrics import problems as recurring
from pipelines.metrics.facts import months_between
from pipelines.scenario import Scenario

Filters = metrics.Filters


def month_date(month: str | None) -> date | None:
    """'2024-03' -> date(2024, 3, 1); None stays None."""
    return None if not month else date(int(month[:4]), int(month[5:7]), 1)


# The columns of each chart's data download (the frame the chart plots, as a table).
CHART_COLUMNS: dict[str, tuple[str, ...]] = {
    "cumulative": ("month", "cumulative_breakfix", "cumulative_managed"),
    "monthly": ("month", "spend", "downtime_cost", "breakfix", "managed"),
    "trailing": ("month", "ttm_breakfix", "ttm_managed"),
    "predictability": ("month", "breakfix", "managed"),
}


@dataclass(frozen=True)
class Summary:
    """The figures of one workspace, scenario and filters (`figures`), in the shapes the
    pages and the report use; `raw` is their METRICS.md section 7 object (only the keys
    of the families computed)."""

    figures: metrics.Figures = field(repr=False)
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def of(cls, figures: metrics.Figures) -> Summary:
        return cls(figures, metrics.figures_json(figures))

    @property
    def verdict(self) -> str:
        """The verdict sentence (worded by `metrics.verdict`)."""
        return verdict_text(self.raw)

    @property
    def currency(self) -> str | None:
        return self.figures.currency

    @property
    def empty(self) -> bool:
        return self.figures.window is None

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

    # --- the families' results and frames, for charts and tables -----------------------

    @property
    def ttr_result(self) -> metrics.TTRResult:
        return computed(self.figures.ttr, "ttr")

    @property
    def ttr_monthly(self) -> pl.DataFrame:
        return self.ttr_result.monthly.select("month", "count", "median_hours", "p90_hours")

    @property
    def ttr_by_priority(self) -> pl.DataFrame:
        return self.ttr_result.by_priority

    @property
    def downtime_result(self) -> metrics.DowntimeResult:
        return computed(self.figures.downtime, "downtime")

    @property
    def downtime_monthly(self) -> pl.DataFrame:
        return self.downtime_result.monthly

    @property
    def top_recurring(self) -> pl.DataFrame:
        return self.downtime_result.top_recurring

    @property
    def downtime_by_day(self) -> pl.DataFrame:
        """Downtime per local day of opening (computed with `detail`)."""
        return computed(self.figures.downtime_by_day, "downtime (with detail)")

    @property
    def spend_monthly(self) -> pl.DataFrame:
        """The spend window's months: money columns as floats (exact to the 4 decimals the
        metric keeps), `month` a Date."""
        monthly = computed(self.figures.spend, "spend").monthly
        return monthly.with_columns(pl.col(c).cast(pl.Float64)
                                    for c in monthly.columns if c != "month")

    def chart_data(self, chart: str) -> pl.DataFrame:
        """The spend months a spend chart plots (CHART_COLUMNS), for its download."""
        return self.spend_monthly.select(CHART_COLUMNS[chart])

    @property
    def forecast_months(self) -> pl.DataFrame:
        """The 12 forecast months (empty without enough history), for the cumulative chart."""
        return computed(self.figures.forecast, "forecast").months

    @property
    def service(self) -> metrics.ServiceResult:
        return computed(self.figures.service, "service")

    @property
    def problems(self) -> recurring.ProblemsResult:
        return computed(self.figures.problems, "problems")

    @property
    def assets(self) -> recurring.AssetsResult:
        return computed(self.figures.assets, "assets")

    @property
    def sensitivity(self) -> pl.DataFrame:
        return computed(self.figures.sensitivity, "sensitivity")

    # --- checks and the verdict's parts -------------------------------------------------

    @property
    def checks(self) -> list[dict[str, Any]]:
        """The evidence checks that fired (METRICS.md section 8), each with its `topic`:
        the page that explains it (spend, downtime, time_to_resolve or data)."""
        return [{**c.to_dict(), "topic": c.topic}
                for c in computed(self.figures.checks, "checks")]

    def topic_checks(self, topic: str) -> list[dict[str, Any]]:
        """The checks a page explains (those of its topic)."""
        return [c for c in self.checks if c["topic"] == topic]

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
        totals = self.downtime_result.totals
        hours = totals.get("hours") or 0
        return (totals.get("recurring_hours") or 0) / hours if hours else None

    @property
    def last_ttm(self) -> dict[str, Any] | None:
        """The last month's trailing-12-month break-fix and managed cost."""
        monthly = self.spend_monthly
        return None if monthly.is_empty() else monthly.tail(1).row(0, named=True)


def summary(con: duckdb.DuckDBPyConnection, workspace_name: str, scenario: Scenario,
            filters: Filters, families: Iterable[str] = metrics.FAMILIES, *,
            detail: bool = False) -> Summary:
    """The figures of `families` (all those of the JSON by default) for the workspace under
    `scenario` and `filters`; `detail` adds what pages show beyond the JSON (metrics.compute)."""
    return Summary.of(metrics.compute(con, workspace_name, scenario, filters, families,
                                      detail=detail))


def verdict_text(raw: dict[str, Any]) -> str:
    """The verdict sentence of a metrics object (worded by `metrics.verdict`)."""
    return str(raw.get("verdict") or "")


# --- tables the pages show ------------------------------------------------------------------

_RESPONSE = ("response_count", "response_median_hours", "response_business_median_hours")
_RESOLUTION = ("ttr_count", "ttr_median_hours", "ttr_business_median_hours")
SERVICE_CHART_COLUMNS: dict[str, tuple[str, ...]] = {
    "response": ("priority", *_RESPONSE),
    "resolution": ("priority", *_RESOLUTION),
    "sla": ("priority", "respond_target_hours", "respond_timed", "respond_breached",
            "respond_breach_pct", "resolve_target_hours", "resolve_timed", "resolve_breached",
            "resolve_breach_pct"),
}


def service_chart_data(result: metrics.ServiceResult, chart: str) -> pl.DataFrame:
    """The per-priority columns a Service levels chart plots (response, resolution, sla)."""
    return result.by_priority.select(SERVICE_CHART_COLUMNS[chart])


def service_table(result: metrics.ServiceResult) -> pl.DataFrame:
    """The Service levels page's table by priority ('Unknown' for tickets without one);
    without response times, no response columns."""
    table = result.by_priority.with_columns(pl.col("priority").fill_null("Unknown")).select(
        "priority", *_RESPONSE, *_RESOLUTION, "respond_target_hours", "respond_breach_pct",
        "resolve_target_hours", "resolve_breach_pct")
    if not result.response["count"]:
        table = table.drop(*_RESPONSE, "respond_target_hours", "respond_breach_pct")
    return table


def problems_shown(result: recurring.ProblemsResult) -> pl.DataFrame:
    """The Problems page's table of groups (recurring.problems_table, without group ids)."""
    return recurring.problems_table(result).drop("group")


def problem_labels(result: recurring.ProblemsResult) -> dict[str, str]:
    """Group id -> 'problem (N tickets)' for the Problems page's picker, in table order."""
    table = recurring.problems_table(result)
    return {g: f"{p} ({n:,} tickets)" for g, p, n in
            table.select("group", "problem", "tickets").iter_rows()}


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
    return [f"{m:%Y-%m}" for m in months_between(start, end)]


def rejects_shown(con: duckdb.DuckDBPyConnection, limit: int = 5000) -> tuple[int, pl.DataFrame]:
    """How many rows were refused in all, and the first `limit` of them (with reasons)."""
    rejects = store.rejected_rows(con)
    return rejects.height, rejects.head(limit)


def load_history(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every load, newest first, as the Data page lists it (without the file's hash)."""
    return store.load_history(con).drop("sha256")


def data_version(con: duckdb.DuckDBPyConnection) -> tuple[int, int, str]:
    """(newest load id, number of loads, newest load's end): changes whenever any process
    loads a file, and differs for a workspace deleted and created again under its name."""
    row = con.execute(
        "SELECT coalesce(max(load_id), 0), count(*), coalesce(CAST(max(finished_at) AS VARCHAR), '')"
        " FROM loads"
    ).fetchall()[0]
    return int(row[0]), int(row[1]), str(row[2])
