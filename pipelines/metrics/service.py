"""Response times, business hours and the managed SLA replay (METRICS.md section 10).

* `response`: the statistics of section 3 (count, mean, median, p90, linear quantiles)
  on `responded_at - opened_at` in calendar hours, for tickets with
  `responded_at >= opened_at`, overall and per priority.
* `ttr_business`: the same statistics on the business time from `opened_at` to
  `resolved_at` (tickets that have a `ttr_hours`, i.e. resolved at or after opening);
  business time is `pipelines.business_time` (schedule, holidays, workspace zone).
* The SLA replay: a ticket with a priority breaches its resolve target when its
  business-time TTR is strictly above `sla_resolve_hours[priority]`, its respond target
  when its business-time response is strictly above `sla_respond_hours[priority]`.
  Per priority: timed, breached, breach_pct (None when timed is 0); `resolve_breach_pct`
  pools every priority's resolve breaches.

Decisions where METRICS.md is silent:

* The tickets are those opened in the window (as for TTR); a response is timed only when
  `responded_at >= opened_at` (an earlier one is left out, like a ticket resolved before
  it was opened). A ticket with no priority is in the statistics (as "unknown") but not
  in the SLA replay, which has no target for it.
* Breaches compare exact integer microseconds with the target (hours x 3,600,000,000):
  a ticket answered in exactly the target time has not breached.
* `by_priority` lists P1..P5 always and "unknown" when unprioritised tickets were timed.
* `sla.respond` and `sla.resolve` list P1..P5 always (timed 0, breach_pct None when none).
* The monthly breach trend (dashboard, report) groups resolve breaches by the month of
  `resolved_at` (as monthly TTR does) and respond breaches by the month of `opened_at`,
  as PSA SLA reports do; months outside the window are not shown.
* Percentages are 0-100 numbers rounded to 2 decimals in the JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import polars as pl

from pipelines import business_time as bt
from pipelines.metrics.facts import Facts, Filters, using
from pipelines.scenario import PRIORITIES, Scenario

SCENARIO_KEYS = ("timezone", "business_hours", "holidays", "sla_respond_hours",
                 "sla_resolve_hours")  # beyond the facts'
_STATS = ("count", "mean_hours", "median_hours", "p90_hours")
_NO_STATS: dict[str, Any] = {"count": 0, "mean_hours": None, "median_hours": None,
                             "p90_hours": None}
_BY_PRIORITY_SCHEMA = pl.Schema({
    "priority": pl.String(),
    "response_count": pl.Int64(), "response_mean_hours": pl.Float64(),
    "response_median_hours": pl.Float64(), "response_p90_hours": pl.Float64(),
    "response_business_median_hours": pl.Float64(), "response_business_p90_hours": pl.Float64(),
    "ttr_count": pl.Int64(), "ttr_median_hours": pl.Float64(), "ttr_p90_hours": pl.Float64(),
    "ttr_business_count": pl.Int64(), "ttr_business_mean_hours": pl.Float64(),
    "ttr_business_median_hours": pl.Float64(), "ttr_business_p90_hours": pl.Float64(),
    "respond_target_hours": pl.Float64(), "respond_timed": pl.Int64(),
    "respond_breached": pl.Int64(), "respond_breach_pct": pl.Float64(),
    "resolve_target_hours": pl.Float64(), "resolve_timed": pl.Int64(),
    "resolve_breached": pl.Int64(), "resolve_breach_pct": pl.Float64(),
})
_MONTHLY_SCHEMA = pl.Schema({
    "month": pl.Date(), "respond_timed": pl.Int64(), "respond_breached": pl.Int64(),
    "respond_breach_pct": pl.Float64(), "resolve_timed": pl.Int64(),
    "resolve_breached": pl.Int64(), "resolve_breach_pct": pl.Float64(),
})


@dataclass(frozen=True)
class ServiceResult:
    """Response and business-time statistics and the SLA replay of one call."""

    response: dict[str, Any]  # count, mean_hours, median_hours, p90_hours (calendar)
    ttr_business: dict[str, Any]  # the same, business hours
    by_priority: pl.DataFrame  # P1..P5 (+ None when timed): see _BY_PRIORITY_SCHEMA
    respond_breach_pct: float | None  # pooled over the priorities
    resolve_breach_pct: float | None
    monthly: pl.DataFrame  # month, respond_/resolve_ timed, breached, breach_pct
    business_hours: str
    weekly_business_hours: float


def _pct(breached: int, timed: int) -> float | None:
    return None if not timed else 100.0 * breached / timed


def _empty(scenario: Scenario, weekly: float) -> ServiceResult:
    by_priority = _spine(scenario).join(
        pl.DataFrame(schema={k: v for k, v in _BY_PRIORITY_SCHEMA.items()
                             if not k.endswith("target_hours")}),
        on="priority", how="left",
    )
    return ServiceResult(dict(_NO_STATS), dict(_NO_STATS), _fill(by_priority), None, None,
                         pl.DataFrame(schema=_MONTHLY_SCHEMA), scenario.business_hours, weekly)


def _spine(scenario: Scenario) -> pl.DataFrame:
    respond, resolve = dict(scenario.sla_respond_hours), dict(scenario.sla_resolve_hours)
    return pl.DataFrame(
        {"priority": list(PRIORITIES),
         "respond_target_hours": [respond[p] for p in PRIORITIES],
         "resolve_target_hours": [resolve[p] for p in PRIORITIES]},
        schema={"priority": pl.String, "respond_target_hours": pl.Float64,
                "resolve_target_hours": pl.Float64},
    )


def _fill(by_priority: pl.DataFrame) -> pl.DataFrame:
    counts = [c for c in by_priority.columns
              if c.endswith(("_count", "_timed", "_breached"))]
    return by_priority.with_columns(pl.col(counts).fill_null(0)).with_columns(
        respond_breach_pct=_pct_expr("respond"), resolve_breach_pct=_pct_expr("resolve"),
    ).select(list(_BY_PRIORITY_SCHEMA)).cast(_BY_PRIORITY_SCHEMA)  # type: ignore[arg-type]


# Every count is summed from cells: tickets counted per state, month opened and month
# resolved (integer sums, so exact), one cheap grouping for all. The state `st` packs
# three small numbers, (pk * 3 + rs) * 4 + ts, as one grouping key is cheaper than three:
# pk: 0 no priority, 1-5 P1-P5, 6 any other text (in the totals only, as before).
# rs: 0 response not timed (none, or no target), 1 within target, 2 breached.
# ts: 0 not resolved (no TTR), 1 resolved without a target, 2 within, 3 breached.
_PK_SQL = "CASE WHEN pi IS NOT NULL THEN pi WHEN priority IS NULL THEN 0 ELSE 6 END"
_STATE_SQL = """
    (pk * 3 + CASE WHEN resp_b IS NULL OR resp_target IS NULL THEN 0
                   WHEN resp_b > resp_target THEN 2 ELSE 1 END) * 4
    + CASE WHEN ttr_b IS NULL THEN 0 WHEN ttr_target IS NULL THEN 1
           WHEN ttr_b > ttr_target THEN 3 ELSE 2 END AS st
"""
_PK, _RS, _TS = pl.col("st") // 12, pl.col("st") // 4 % 3, pl.col("st") % 4
_CELL_COUNTS = {
    "ttr_count": _TS > 0,
    "respond_timed": _RS > 0, "respond_breached": _RS == 2,
    "resolve_timed": _TS >= 2, "resolve_breached": _TS == 3,
}
_KEYS = pl.DataFrame({"pk": range(len(PRIORITIES) + 1), "priority": [None, *PRIORITIES]},
                     schema={"pk": pl.Int32, "priority": pl.String})
# fsum, not avg: the same figure whatever order threads add rows in.
_AGGREGATES = """
    count(resp_h) AS response_count, fsum(resp_h) / count(resp_h) AS response_mean_hours,
    quantile_cont(resp_h, [0.5, 0.9]) AS resp_q,
    count(ttr_bh) AS ttr_business_count,
    fsum(ttr_bh) / count(ttr_bh) AS ttr_business_mean_hours
"""
# The business-time quantiles per priority, and calendar TTR's, only for the dashboard
# (`detail`): holistic aggregates are most of the cost on a million tickets.
_TTR_BQ = ", quantile_cont(ttr_bh, [0.5, 0.9]) AS ttr_bq"
_DETAIL = """,
    quantile_cont(resp_bh, [0.5, 0.9]) AS resp_bq,
    quantile_cont(ttr_h, [0.5, 0.9]) AS ttr_q
"""


def _query(f: Facts, scenario: Scenario, schedule: bt.Schedule,
           detail: bool) -> pl.DataFrame | None:
    """The window's response and business-time figures: one row for all tickets, one per
    priority key (pk), and the ticket count `n` per cell (st, om, rm); None when no
    ticket is in the window."""
    # Maxima of the columns, not a greatest() per ticket: DuckDB answers these from
    # its stored statistics where no filter narrows the rows.
    span = f.rows(
        "SELECT epoch_us(min(opened_at)), epoch_us(greatest(max(opened_at),"
        f" max(resolved_at), max(responded_at))) FROM ({f.tickets})")[0]
    if span[0] is None:
        return None
    cal = bt.calendar(schedule, scenario.holidays, scenario.timezone, span[0], span[1])
    respond_us = [round(dict(scenario.sla_respond_hours)[p] * 3600e6) for p in PRIORITIES]
    resolve_us = [round(dict(scenario.sla_resolve_hours)[p] * 3600e6) for p in PRIORITIES]
    # Business time is what the calendar counts up to each end, minus up to the start
    # (each end's day looked up once, in `d`, and its count computed once, in `c`).
    sql = f"""
    WITH bt_days AS ({cal.sql()}),
    t AS (
        SELECT priority, om, rm, ttr_hours AS ttr_h, epoch_us(opened_at) AS o,
               CASE WHEN ttr_hours IS NOT NULL THEN epoch_us(resolved_at) END AS r,
               CASE WHEN responded_at >= opened_at THEN epoch_us(responded_at) END AS p,
               list_position($prios_all, priority) AS pi
        FROM ({f.tickets})
    ), d AS (
        SELECT t.*, {cal.day("o")} AS day_o, {cal.day("r")} AS day_r,
               {cal.day("p")} AS day_p
        FROM t CROSS JOIN bt_days
    ), c AS (
        SELECT priority, om, rm, ttr_h, o, p, pi,
               {cal.business_us("day_o", "o")} AS open_b,
               {cal.business_us("day_r", "r")} AS resolve_b,
               {cal.business_us("day_p", "p")} AS respond_b
        FROM d
    ), e AS (
        SELECT om, rm, ttr_h, {_PK_SQL} AS pk, (p - o) / 3600e6 AS resp_h,
               respond_b - open_b AS resp_b, resolve_b - open_b AS ttr_b,
               list_extract($respond_us, pi) AS resp_target,
               list_extract($resolve_us, pi) AS ttr_target
        FROM c
    ), b AS MATERIALIZED (
        SELECT om, rm, pk, resp_h, ttr_b / 3600e6 AS ttr_bh,
               {"resp_b / 3600e6 AS resp_bh, ttr_h," if detail else ""} {_STATE_SQL}
        FROM e
    )
    SELECT 'all' AS grp, {_AGGREGATES}{_TTR_BQ} FROM b
    UNION ALL BY NAME
    SELECT 'priority' AS grp, pk, {_AGGREGATES}{_TTR_BQ + _DETAIL if detail else ""}
    FROM b GROUP BY pk
    UNION ALL BY NAME
    SELECT 'cell' AS grp, st, om, rm, count(*) AS n FROM b GROUP BY st, om, rm
    """
    return f.frame(sql, {**cal.params(), "prios_all": list(PRIORITIES),
                         "respond_us": respond_us, "resolve_us": resolve_us})


def _monthly(cells: pl.DataFrame, months: pl.DataFrame) -> pl.DataFrame:
    """Respond breaches by month opened, resolve breaches by month resolved, per month
    of the window."""
    opened = cells.group_by(pl.col("om").alias("month")).agg(
        pl.col("respond_timed", "respond_breached").sum())
    resolved = cells.filter(pl.col("rm").is_not_null()).group_by(
        pl.col("rm").alias("month")).agg(pl.col("resolve_timed", "resolve_breached").sum())
    return (months.join(opened, on="month", how="left")
            .join(resolved, on="month", how="left")
            .with_columns(pl.col("respond_timed", "respond_breached", "resolve_timed",
                                 "resolve_breached").fill_null(0))
            .with_columns(respond_breach_pct=_pct_expr("respond"),
                          resolve_breach_pct=_pct_expr("resolve"))
            .select(list(_MONTHLY_SCHEMA)).cast(_MONTHLY_SCHEMA))  # type: ignore[arg-type]


def service_levels(
    con: duckdb.DuckDBPyConnection,
    scenario: Scenario,
    filters: Filters | None = None,
    *,
    facts: Facts | None = None,
    detail: bool = False,
) -> ServiceResult:
    """Response times, business-time TTR and the SLA replay of the window's tickets.

    `detail` adds, per priority, the business-time response and TTR quantiles and the
    calendar TTR quantiles (the dashboard's side-by-side table); without it they are None.
    """
    schedule = bt.parse_business_hours(scenario.business_hours)
    with using(con, scenario, filters, facts) as f:
        if f is None:
            return _empty(scenario, schedule.weekly_hours)
        rows = _query(f, scenario, schedule, detail)
        if rows is None:
            return _empty(scenario, schedule.weekly_hours)
        months = f.months
    for col in ("resp_bq", "ttr_q", "ttr_bq"):
        if col not in rows.columns:
            rows = rows.with_columns(pl.lit(None, pl.List(pl.Float64)).alias(col))
    rows = rows.with_columns(
        response_median_hours=pl.col("resp_q").list.get(0),
        response_p90_hours=pl.col("resp_q").list.get(1),
        response_business_median_hours=pl.col("resp_bq").list.get(0),
        response_business_p90_hours=pl.col("resp_bq").list.get(1),
        ttr_median_hours=pl.col("ttr_q").list.get(0),
        ttr_p90_hours=pl.col("ttr_q").list.get(1),
        ttr_business_median_hours=pl.col("ttr_bq").list.get(0),
        ttr_business_p90_hours=pl.col("ttr_bq").list.get(1),
    ).drop("resp_q", "resp_bq", "ttr_q", "ttr_bq")
    cells = rows.filter(pl.col("grp") == "cell").with_columns(
        pl.when(state).then(pl.col("n")).otherwise(0).alias(name)
        for name, state in _CELL_COUNTS.items())
    counts = list(_CELL_COUNTS)
    per = (rows.filter(pl.col("grp") == "priority").drop("grp", "om", "rm", "st", "n")
           .with_columns(pl.col("pk").cast(pl.Int32)).join(_KEYS, on="pk")
           .join(cells.group_by(_PK.cast(pl.Int32).alias("pk")).agg(pl.col(counts).sum()),
                 on="pk").drop("pk"))
    overall = {**rows.filter(pl.col("grp") == "all").row(0, named=True),
               **cells.select(pl.col(counts).sum()).row(0, named=True)}
    response = {k: overall[f"response_{k}"] for k in _STATS}
    ttr_business = {k: overall[f"ttr_business_{k}"] for k in _STATS}
    by_priority = pl.concat([
        _spine(scenario).join(per, on="priority", how="left"),
        per.filter(pl.col("priority").is_null()
                   & ((pl.col("response_count") > 0) | (pl.col("ttr_count") > 0)))
        .with_columns(respond_target_hours=pl.lit(None, pl.Float64),
                      resolve_target_hours=pl.lit(None, pl.Float64)),
    ], how="diagonal_relaxed")
    by_priority = _fill(by_priority)
    monthly = _monthly(cells, months)
    return ServiceResult(
        response=response,
        ttr_business=ttr_business,
        by_priority=by_priority,
        respond_breach_pct=_pct(int(overall["respond_breached"]), int(overall["respond_timed"])),
        resolve_breach_pct=_pct(int(overall["resolve_breached"]), int(overall["resolve_timed"])),
        monthly=monthly,
        business_hours=scenario.business_hours,
        weekly_business_hours=schedule.weekly_hours,
    )


def _pct_expr(prefix: str) -> pl.Expr:
    timed, breached = pl.col(f"{prefix}_timed"), pl.col(f"{prefix}_breached")
    return pl.when(timed > 0).then(100.0 * breached / timed).otherwise(None)


def service_json(result: ServiceResult) -> dict[str, Any]:
    """The JSON objects `response`, `ttr_business` and `sla` of section 7."""
    from pipelines.metrics.summary import hours  # summary imports this module

    def stats(d: dict[str, Any]) -> dict[str, Any]:
        return {"count": int(d["count"]), **{k: hours(d[k]) for k in _STATS[1:]}}

    response = stats(result.response)
    by_priority: dict[str, Any] = {}
    sla: dict[str, Any] = {"respond": {}, "resolve": {}}
    for row in result.by_priority.iter_rows(named=True):
        name = row["priority"] or "unknown"
        by_priority[name] = {"count": row["response_count"],
                             "median_hours": hours(row["response_median_hours"]),
                             "p90_hours": hours(row["response_p90_hours"])}
        if row["priority"] is None:
            continue
        for kind in ("respond", "resolve"):
            sla[kind][name] = {"timed": row[f"{kind}_timed"],
                               "breached": row[f"{kind}_breached"],
                               "breach_pct": hours(row[f"{kind}_breach_pct"])}
    if "unknown" in by_priority and not by_priority["unknown"]["count"]:
        del by_priority["unknown"]  # unprioritised tickets were resolved, none responded
    response["by_priority"] = by_priority
    sla["resolve_breach_pct"] = hours(result.resolve_breach_pct)
    return {"response": response, "ttr_business": stats(result.ttr_business), "sla": sla}
