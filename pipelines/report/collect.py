"""What the report shows, read from a workspace in one go (the functions the dashboard
pages call)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from pipelines import dashboard_data as data
from pipelines import metrics, store
from pipelines.metrics import sensitivity
from pipelines.scenario import Scenario

SPEND_SOURCES = {
    "invoices": "invoice lines of kind labour and other (parts too when included)",
    "billed_amount": "the tickets' billed amounts",
    "labour_hours": "the tickets' labour hours times the hourly rate",
}


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows, read from the workspace in one go."""

    workspace: str
    scenario: Scenario
    filters: data.Filters
    summary: data.Summary
    ttr_by_category: pl.DataFrame
    downtime_by_day: pl.DataFrame
    loads: pl.DataFrame
    reject_reasons: pl.DataFrame
    clients: list[str]
    service: metrics.ServiceResult | None = None  # METRICS.md section 10
    sensitivity: pl.DataFrame | None = None  # pipelines.metrics.sensitivity


def collect(con: duckdb.DuckDBPyConnection, workspace_name: str, scenario: Scenario,
            filters: data.Filters | None = None) -> ReportData:
    """Read every figure the report needs (the same functions the dashboard pages call)."""
    filters = filters or data.Filters()
    return ReportData(
        workspace=workspace_name,
        scenario=scenario,
        filters=filters,
        summary=data.summary(con, workspace_name, scenario, filters),
        ttr_by_category=metrics.ttr_by_category(con, scenario, filters),
        downtime_by_day=metrics.downtime_by_day(con, scenario, filters).select("day", "hours"),
        loads=store.load_history(con).sort("load_id"),
        reject_reasons=reject_reasons(con),
        clients=data.clients(con),
        service=data.service_view(con, scenario, filters),
        sensitivity=sensitivity.sensitivity(con, scenario, filters),
    )


def reject_reasons(con: duckdb.DuckDBPyConnection, limit: int = 10) -> pl.DataFrame:
    """The commonest reasons rows were refused, values blanked so alike reasons group.

    `'Opened' is '31/02/2024', not a date` and `'Opened' is '99/99', not a date` are one
    reason; columns: reason, rows, files (distinct file names), example (file row N).
    """
    return store.frame(
        con,
        r"""
        WITH r AS (
            SELECT regexp_replace(r.reason, ' is ''[^'']*''', ' is ''…''', 'g') AS reason,
                   l.file_name, r.row_number, r.load_id
            FROM rejects r JOIN loads l USING (load_id)
        )
        SELECT reason, count(*) AS rows, count(DISTINCT file_name) AS files,
               arg_min(file_name || ' row ' || row_number, (load_id, row_number)) AS example
        FROM r GROUP BY reason ORDER BY rows DESC, reason LIMIT ?
        """,
        [limit],
    )
