"""Every figure of one workspace, scenario and filters, computed once: `compute` -> `Figures`.

The shells take this one object: the CLI renders it as the JSON of METRICS.md section 7
(`summary.figures_json`), the dashboard and the report hand its frames to the charts.
`compute` builds the per-incident facts once and runs each family over them; a caller
that shows only some families (a dashboard page) names them, and the others stay None.

Each family module declares the scenario settings it reads (`SCENARIO_KEYS`, beside its
function); `scenario_keys` adds up those of some families, so a page is cached by the
settings its figures depend on and nothing else (tests/test_summary_figures.py changes
every other setting and checks the figures stay the same).
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any, TypeVar

import duckdb
import polars as pl

from pipelines.metrics import checks as evidence
from pipelines.metrics import forecast as outlook
from pipelines.metrics import problems as recurring
from pipelines.metrics import sensitivity as levers
from pipelines.metrics import service as sla
from pipelines.metrics.downtime import SCENARIO_KEYS as DOWNTIME_KEYS
from pipelines.metrics.downtime import DowntimeResult, downtime, downtime_by_day
from pipelines.metrics.facts import SCENARIO_KEYS as FACTS_KEYS
from pipelines.metrics.facts import Facts, Filters, incident_counts, using
from pipelines.metrics.predictability import SCENARIO_KEYS as PREDICTABILITY_KEYS
from pipelines.metrics.predictability import Predictability, predictability_of
from pipelines.metrics.spend import SCENARIO_KEYS as SPEND_KEYS
from pipelines.metrics.spend import SpendResult, choose_source, spend, spend_currency
from pipelines.metrics.ttr import SCENARIO_KEYS as TTR_KEYS
from pipelines.metrics.ttr import TTRResult, time_to_resolve
from pipelines.scenario import Scenario

# The families of the JSON, in its order; "sensitivity" is computed only when asked for.
FAMILIES = ("incidents", "ttr", "downtime", "spend", "checks", "predictability", "service",
            "problems", "assets", "forecast", "confidence")
EXTRA = ("sensitivity",)
# The families whose figures are computed from the spend result's money: the spend's
# settings move them too. (The checks read only its source and window, which no setting
# but the facts' moves: see checks.SCENARIO_KEYS.)
_FROM_SPEND = ("predictability", "forecast", "confidence", "sensitivity")
_SCENARIO_KEYS: dict[str, tuple[str, ...]] = {
    "incidents": (), "ttr": TTR_KEYS, "downtime": DOWNTIME_KEYS,
    "spend": SPEND_KEYS, "checks": evidence.SCENARIO_KEYS,
    "predictability": PREDICTABILITY_KEYS, "service": sla.SCENARIO_KEYS,
    "problems": recurring.SCENARIO_KEYS, "assets": recurring.SCENARIO_KEYS,
    "forecast": outlook.SCENARIO_KEYS, "confidence": outlook.SCENARIO_KEYS,
    "sensitivity": levers.SCENARIO_KEYS,
}
_SETTINGS = tuple(f.name for f in fields(Scenario))


def scenario_keys(families: Iterable[str]) -> tuple[str, ...]:
    """The scenario settings the figures of `families` depend on, in Scenario's order:
    those their modules declare, the facts', and the spend's for figures made from it."""
    wanted = set(FACTS_KEYS)
    for name in families:
        wanted.update(_SCENARIO_KEYS[name])
        if name in _FROM_SPEND:
            wanted.update(SPEND_KEYS)
    return tuple(k for k in _SETTINGS if k in wanted)


@dataclass(frozen=True)
class Figures:
    """The results of the metric families for one workspace, scenario and filters, as the
    families return them (frames and statistics, unrounded); a family not computed is None.

    With `detail`, `ttr.by_category`, `downtime_by_day`, the per-priority quantiles of
    `service` and the tickets of `problems` are filled too (the JSON has none of them).
    """

    workspace: str
    scenario: Scenario
    filters: Filters
    families: tuple[str, ...]
    window: tuple[date, date] | None  # the analysis window (first days of its months)
    currency: str | None  # the invoices' one currency, else None
    incidents: dict[str, int] | None = None
    ttr: TTRResult | None = field(default=None, repr=False)
    downtime: DowntimeResult | None = field(default=None, repr=False)
    downtime_by_day: pl.DataFrame | None = field(default=None, repr=False)
    spend: SpendResult | None = field(default=None, repr=False)
    checks: tuple[evidence.Check, ...] | None = None
    predictability: Predictability | None = field(default=None, repr=False)
    service: sla.ServiceResult | None = field(default=None, repr=False)
    problems: recurring.ProblemsResult | None = field(default=None, repr=False)
    assets: recurring.AssetsResult | None = field(default=None, repr=False)
    forecast: outlook.Forecast | None = field(default=None, repr=False)
    confidence: outlook.Confidence | None = field(default=None, repr=False)
    sensitivity: pl.DataFrame | None = field(default=None, repr=False)


_RESULTS = (*FAMILIES, *EXTRA, "downtime_by_day")


def merged(parts: Iterable[Figures]) -> Figures:
    """Figures of one workspace, scenario and filters computed in parts (a dashboard page
    caches its families in groups that change with different settings), as one."""
    parts = list(parts)
    first = parts[0]
    results: dict[str, Any] = {}
    for part in parts:
        assert (part.workspace, part.filters) == (first.workspace, first.filters)
        results.update({f.name: getattr(part, f.name) for f in fields(Figures)
                        if f.name in _RESULTS and getattr(part, f.name) is not None})
    families = tuple(dict.fromkeys(name for part in parts for name in part.families))
    return Figures(first.workspace, first.scenario, first.filters, families, first.window,
                   first.currency, **results)


T = TypeVar("T")


def computed(value: T | None, family: str) -> T:
    """A family's result, which must have been computed (named in `compute`'s families)."""
    if value is None:
        raise ValueError(f"the {family!r} figures were not computed (name them in compute())")
    return value


def compute(
    con: duckdb.DuckDBPyConnection,
    workspace_name: str,
    scenario: Scenario,
    filters: Filters | None = None,
    families: Iterable[str] = FAMILIES,
    *,
    facts: Facts | None = None,
    detail: bool = False,
) -> Figures:
    """The figures of `families` (every family of the JSON by default) from one set of
    per-incident facts (`facts` when the caller built them)."""
    filters = filters or Filters()
    wanted = tuple(families)
    unknown = [name for name in wanted if name not in _SCENARIO_KEYS]
    if unknown:
        raise ValueError(f"unknown metric families {unknown}; known: {list(_SCENARIO_KEYS)}")
    currency = spend_currency(con, filters)
    with using(con, scenario, filters, facts) as f:
        found = _over_facts(con, f, scenario, filters, set(wanted), detail,
                            evidence.Context(workspace_name, currency, filters))
        window = None if f is None else (f.start, f.end)
    kept = {k: v for k, v in found.items()
            if k in wanted or (k == "downtime_by_day" and "downtime" in wanted)}
    return Figures(workspace_name, scenario, filters, wanted, window, currency, **kept)


# The checks read only the spend's source and window: alone, they do not cost a spend().
_NEED_SPEND = {"spend", "predictability", "forecast", "confidence", "sensitivity"}
_FROM_SPEND_ONLY = {"predictability", "forecast", "confidence"}  # computed by _from_spend


def _over_facts(con: duckdb.DuckDBPyConnection, f: Facts | None, scenario: Scenario,
                filters: Filters, wanted: set[str], detail: bool,
                context: evidence.Context) -> dict[str, Any]:
    """Each wanted family's result, and those it is computed from (the caller keeps only
    the wanted ones)."""
    # The forecast and confidence are pure Python (~150 ms whatever the data's size): they
    # run on a thread while DuckDB, which releases the GIL, computes the other families.
    cost = spend(con, scenario, filters, facts=f) if wanted & _NEED_SPEND else None
    # A second cursor only when both threads have families to compute.
    cursor = (_side_cursor(con) if f is not None and wanted & _SIDE and wanted - _SIDE
              else None)
    side = wanted & _SIDE if cursor is not None else set()
    with ThreadPoolExecutor(max_workers=2) as pool:  # a thread starts only on submit
        from_spend = (pool.submit(_from_spend, cost, scenario, wanted)
                      if cost is not None and wanted & _FROM_SPEND_ONLY else None)
        on_side = (pool.submit(_queried, cursor, replace(f, con=cursor), scenario, filters,
                               side, detail, context, cost)
                   if cursor is not None and f is not None else None)
        try:
            out = _queried(con, f, scenario, filters, wanted - side, detail, context, cost)
            if on_side is not None:
                out.update(on_side.result())
        finally:
            if cursor is not None:
                if on_side is not None:
                    on_side.exception()  # wait for it, whatever this thread raised
                cursor.close()
        if cost is not None:
            out["spend"] = cost
        if from_spend is not None:
            out.update(from_spend.result())
    return out


# The families a second thread computes, on its own cursor of the same database, while
# this one computes the others: DuckDB lets go of the GIL while a statement runs, and no
# one statement keeps both cores busy all along (their holistic aggregates sort on one).
# On the benchmark's 1M tickets the JSON took ~500 ms in one thread and ~455 ms in two;
# on 10M, 5.5 s and 4.7 s (docs/scale.md). Every figure is the same either way: each
# family runs its own statements, whose results do not depend on the thread (test).
_SIDE = frozenset({"service", "ttr", "problems"})
_OWN_VIEWS_SQL = """
    SELECT count(*) FROM duckdb_views()
    WHERE temporary AND view_name IN ('incidents', 'invoice_lines', 'loads', 'settings')
"""


def _side_cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection | None:
    """A second cursor on the database of `con`, when it reads the same tables; None when
    they are temporary views (CREATE TEMP VIEW, a registered frame), which belong to `con`
    alone. A Parquet export's views are in its in-memory database: a cursor sees them."""
    if con.execute(_OWN_VIEWS_SQL).fetchall()[0][0]:
        return None
    cursor = con.cursor()
    cursor.execute("SET enable_progress_bar = false")  # the figures print nothing
    return cursor


def _queried(con: duckdb.DuckDBPyConnection, f: Facts | None, scenario: Scenario,
             filters: Filters, wanted: set[str], detail: bool, context: evidence.Context,
             cost: SpendResult | None) -> dict[str, Any]:
    """The wanted families that read the facts (`cost`: the spend, when computed)."""
    out: dict[str, Any] = {}
    if wanted & {"incidents", "checks"}:
        out["incidents"] = incident_counts(con, scenario, filters, facts=f)
    if "ttr" in wanted:
        out["ttr"] = time_to_resolve(con, scenario, filters, facts=f, by_category=detail)
    if "downtime" in wanted:
        out["downtime"] = downtime(con, scenario, filters, facts=f)
        if detail:
            out["downtime_by_day"] = downtime_by_day(con, scenario, filters, facts=f)
    if "service" in wanted:
        out["service"] = sla.service_levels(con, scenario, filters, facts=f, detail=detail)
    if "problems" in wanted:
        out["problems"] = recurring.problems(con, scenario, filters, facts=f,
                                             with_tickets=detail)
    if "assets" in wanted:
        out["assets"] = recurring.assets(con, scenario, filters, facts=f)
    if "checks" in wanted:
        counts = out["incidents"]
        assert isinstance(counts, dict)
        source = ((cost.source, cost.window) if cost is not None
                  else (None, None) if f is None else choose_source(con, f))
        out["checks"] = tuple(evidence.evidence_checks(con, f, source, counts, context))
    if "sensitivity" in wanted:
        out["sensitivity"] = levers.sensitivity(con, scenario, filters, facts=f, base=cost)
    return out


def _from_spend(cost: SpendResult, scenario: Scenario, wanted: set[str]) -> dict[str, Any]:
    """The families computed from the spend result alone (no query)."""
    out: dict[str, Any] = {}
    if "predictability" in wanted:
        out["predictability"] = predictability_of(cost)
    if "forecast" in wanted:
        out["forecast"] = outlook.forecast(cost, scenario)
    if "confidence" in wanted:
        out["confidence"] = outlook.confidence(cost, scenario)
    return out
