"""What the report shows, read from a workspace in one go: one `metrics.compute` (one set
of per-incident facts) for every figure, the same `Summary` the dashboard pages use."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from pipelines import dashboard_data as data
from pipelines import metrics, store
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
    loads: pl.DataFrame
    reject_reasons: pl.DataFrame
    clients: list[str]

    @property
    def ttr_by_category(self) -> pl.DataFrame:
        return self.summary.ttr_result.by_category

    @property
    def downtime_by_day(self) -> pl.DataFrame:
        return self.summary.downtime_by_day.select("day", "hours")

    @property
    def service(self) -> metrics.ServiceResult:
        """METRICS.md section 10, with the per-priority quantiles."""
        return self.summary.service

    @property
    def sensitivity(self) -> pl.DataFrame:
        """pipelines.metrics.sensitivity."""
        return self.summary.sensitivity


def collect(con: duckdb.DuckDBPyConnection, workspace_name: str, scenario: Scenario,
            filters: data.Filters | None = None) -> ReportData:
    """Read every figure the report needs: every family of the JSON and the sensitivity,
    with the detail the pages show, from one set of facts."""
    filters = filters or data.Filters()
    families = (*metrics.FAMILIES, "sensitivity")
    return ReportData(
        workspace=workspace_name,
        scenario=scenario,
        filters=filters,
        summary=data.summary(con, workspace_name, scenario, filters, families, detail=True),
        loads=store.load_history(con).sort("load_id"),
        reject_reasons=reject_reasons(con),
        clients=data.clients(con),
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
