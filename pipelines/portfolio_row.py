"""The figures of many portfolio rows in one statement (the lean path of pipelines.portfolio).

What costs in the portfolio of many small workspaces is not their data but DuckDB's
planning of each statement (1-20 ms, however few the rows), and the full path
(`prepared`, `spend`, the nine checks) plans about twenty per workspace. Here one
statement reads a batch of attached workspaces, grouped by workspace and month, and
Python then does what needs only those months, by the rules of the metric modules:

* the window (section 2) from the stored months, the spend source and spend window
  (section 5: invoices, else billed amounts, else hours);
* the monthly frame of `spend.spend` (spend, downtime cost, break-fix, managed, running
  and trailing-12-month sums), from which `spend`'s own functions give the totals,
  crossovers and break-even price;
* which of section 8's checks fire and at what level (a row shows no messages).

The definitions are those of `metrics.facts` (tickets, downtime incidents: hours, users),
`metrics.spend` (the month ticket spend lands in, counted kinds, `exclude_spend`) and
`metrics.checks`; tests/test_portfolio.py compares every row with the one built from
`metrics_json`, for samples, seeded random workspaces and odd scenarios.

Money stays exact: every amount that comes from a float (hours times a rate) is cast to
DECIMAL(38,4) in SQL, as `spend` does, over the same rows (so the same `fsum`), and the
managed cost (decimals only) is rounded to 4 places half away from zero, as DuckDB's cast
to DECIMAL(38,4) does. Sums of decimals are exact either way.

It applies to the unfiltered analysis of a workspace whose months are stored in its
scenario's zone (every loaded workspace unless a zone change is pending): `lean_ready`
says which; the others take the full path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

import duckdb

from pipelines import store
from pipelines.metrics import checks as evidence
from pipelines.metrics.facts import month_text, months_between
from pipelines.metrics.spend import (
    SOURCES,
    SpendResult,
    _dec,
    _no_spend,
    break_even_price,
    counted_kinds,
    monthly_fee,
)
from pipelines.scenario import Scenario

_PLACES = Decimal("0.0001")
ZERO = Decimal(0)
# The columns the statement reads; a file without one of them takes the full path.
NEEDED = {
    "incidents": ("opened_at", "resolved_at", "opened_month", "resolved_month", "ttr_hours",
                  "labour_hours", "billed_amount", "downtime_minutes", "users_affected",
                  "priority", "category", "asset"),
    "invoice_lines": ("invoice_date", "amount", "kind", "description", "client"),
    "loads": ("kind", "status", "rows_read"),
}


@dataclass(frozen=True)
class SpendFigures:
    """The figures of `spend.SpendResult` a row shows (section 5)."""

    source: str | None
    window: tuple[date, date] | None  # the spend window
    months: int  # months of the spend window (0 without a source)
    breakfix_total: Decimal | None
    run_rate_crossover: str | None
    cumulative_crossover: str | None
    break_even_price_per_user: Decimal | None
    monthly_fee: Decimal

    @classmethod
    def of(cls, cost: SpendResult) -> SpendFigures:
        return cls(cost.source, cost.window, cost.monthly.height,
                   cost.totals["breakfix_total"], cost.run_rate_crossover,
                   cost.cumulative_crossover, cost.break_even_price_per_user, cost.monthly_fee)


@dataclass(frozen=True)
class RowFigures:
    """What a portfolio row shows, before rounding: the values the full path yields."""

    window: tuple[date, date] | None
    tickets: int
    downtime_hours: float
    cost: SpendFigures
    checks: list[dict[str, str]]  # id and level of each check that fires, in section 8's order


@dataclass
class _Months:
    """One workspace's aggregates, as the statement returns them."""

    scalars: dict[str, Any] = field(default_factory=dict)
    opened: dict[date, int] = field(default_factory=dict)           # tickets by month opened
    downtime_cost: dict[date, Decimal] = field(default_factory=dict)  # by month opened
    ticket_spend: dict[str, dict[date, Decimal]] = field(
        default_factory=lambda: {"billed_amount": {}, "labour_hours": {}})  # by spend month
    lines: dict[date, tuple[int, Decimal | None, Decimal | None]] = field(
        default_factory=dict)  # by month: lines, counted total, largest counted line


def lean_ready(columns: set[tuple[str, str]], scenario: Scenario,
               months_timezone: str | None) -> bool:
    """True when the lean path applies: every column it reads is there (`columns`: (table,
    column) pairs of the file) and the stored months are in the scenario's zone."""
    have = all((t, c) in columns for t, cols in NEEDED.items() for c in cols)
    return have and months_timezone == scenario.timezone


def _union(aliases: list[str], table: str, columns: str) -> str:
    # Aliases are ours (portfolio_ws0, ...), never user text; the index is the row key.
    return " UNION ALL ".join(f"SELECT {i} AS ws, {columns} FROM {a}.{table}"
                              for i, a in enumerate(aliases))


_STATEMENT = """
WITH p AS (SELECT unnest($scenarios, recursive := true)),
inc AS MATERIALIZED (
    SELECT inc.*, p.cpuh, p.rate,
           -- metrics.facts: the downtime incidents, their hours and users
           coalesce(downtime_minutes > 0 OR (downtime_minutes IS NULL
                    AND list_contains(CAST(p.prios AS VARCHAR[]), priority)), false) AS down,
           CASE WHEN downtime_minutes IS NOT NULL THEN downtime_minutes / 60
                ELSE ttr_hours END AS hours,
           coalesce(users_affected, p.users_default) AS users,
           -- metrics.spend: ticket spend lands in the month resolved (opened while open)
           CASE WHEN resolved_at IS NOT NULL THEN resolved_month ELSE opened_month END AS tm
    FROM ({incidents}) inc JOIN p USING (ws)
),
li AS (
    SELECT li.ws, CAST(date_trunc('month', invoice_date) AS DATE) AS month, amount,
           list_contains(p.kinds, kind) AND NOT EXISTS (
               SELECT 1 FROM unnest(CAST(p.exclude AS VARCHAR[])) AS u(x)
               WHERE contains(lower(coalesce(description, '')), lower(x))
                  OR contains(lower(coalesce(client, '')), lower(x))) AS counted
    FROM ({lines}) li JOIN p USING (ws)
)
SELECT ws, 'all' AS part, NULL AS month, count(*) AS n,
       count(*) FILTER (opened_month IS NULL OR (resolved_month IS NULL
                        AND resolved_at IS NOT NULL)) AS k1,
       count(*) FILTER (resolved_at IS NOT NULL) AS k2,
       count(*) FILTER (resolved_at IS NOT NULL AND ttr_hours = 0) AS k3,
       count(*) FILTER (down AND {key} IS NOT NULL) AS k4,
       count(*) FILTER (down AND {key} IS NOT NULL AND asset IS NULL) AS k5,
       fsum(hours) FILTER (down) AS hours, min(opened_month) AS lo,
       max(greatest(opened_month, resolved_month)) AS hi, NULL AS d1, NULL AS d2
FROM inc GROUP BY ws
UNION ALL
SELECT ws, 'opened', opened_month, count(*), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       CAST(coalesce(fsum(hours * users) FILTER (down), 0) * cpuh AS DECIMAL(38,4)), NULL
FROM inc GROUP BY ws, opened_month, cpuh
UNION ALL
SELECT ws, 'spend', tm, NULL, count(billed_amount), count(labour_hours), NULL, NULL, NULL,
       NULL, NULL, NULL, CAST(sum(billed_amount) AS DECIMAL(38,4)),
       CAST(fsum(labour_hours) * rate AS DECIMAL(38,4))
FROM inc GROUP BY ws, tm, rate
UNION ALL
SELECT ws, 'second', NULL, max(n), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM (SELECT ws, count(*) AS n FROM inc GROUP BY ws, {second}) GROUP BY ws
UNION ALL
SELECT ws, 'lines', month, count(*), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       CAST(sum(amount) FILTER (counted) AS DECIMAL(38,4)),
       max(amount) FILTER (counted)
FROM li GROUP BY ws, month
UNION ALL
SELECT ws, 'capped', NULL, count(*), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL
FROM ({loads}) WHERE kind = 'incidents' AND status IN ('loaded', 'loaded_with_rejects')
     AND list_contains($caps, rows_read)
GROUP BY ws
"""


def batch_figures(con: duckdb.DuckDBPyConnection,
                  batch: list[tuple[str, Scenario]]) -> list[RowFigures | None]:
    """The figures of each (attached alias, scenario) of `batch`, in order, by one statement;
    None for a workspace with incidents whose months are not stored (a test's or an older
    tool's rows), which the full path reads.

    Every alias must be `lean_ready`. A DuckDB error (a damaged block, say) is raised for
    the whole batch; the caller reads those workspaces one by one.
    """
    aliases = [a for a, _ in batch]
    sql = _STATEMENT.format(
        incidents=_union(aliases, "incidents", ", ".join(NEEDED["incidents"])),
        lines=_union(aliases, "invoice_lines", ", ".join(NEEDED["invoice_lines"])),
        loads=_union(aliases, "loads", ", ".join(NEEDED["loads"])),
        second=evidence._SECOND, key=store.RECURRENCE_KEY_SQL)
    scenarios = [{
        "ws": i, "prios": list(s.outage_priorities), "users_default": s.users_affected_default,
        "cpuh": float(s.cost_per_user_hour), "rate": float(s.hourly_rate),
        "kinds": counted_kinds(s), "exclude": list(s.exclude_spend),
    } for i, (_, s) in enumerate(batch)]
    rows = con.execute(sql, {"scenarios": scenarios, "caps": list(evidence.CAPPED_ROWS)}
                       ).fetchall()
    found = [_Months() for _ in batch]
    for row in rows:
        _collect(found[row[0]], row)
    return [_figures(s, m) for (_, s), m in zip(batch, found, strict=True)]


def _collect(m: _Months, row: tuple[Any, ...]) -> None:
    _, part, month, n, k1, k2, k3, k4, k5, hours, lo, hi, d1, d2 = row
    if part == "all":
        m.scalars.update(tickets=n, missing=k1, resolved=k2, zero=k3, keyed=k4,
                         by_category=k5, downtime_hours=hours, lo=lo, hi=hi)
    elif part == "opened":
        m.opened[month] = n
        m.downtime_cost[month] = d1
    elif part == "spend":
        if k1:
            m.ticket_spend["billed_amount"][month] = d1
        if k2:
            m.ticket_spend["labour_hours"][month] = d2
    elif part == "second":
        m.scalars["same_second"] = n
    elif part == "lines":
        m.lines[month] = (n, d1, d2)
    elif part == "capped":
        m.scalars["capped"] = n


def _window(m: _Months) -> tuple[date, date] | None:
    """Section 2's window: as `facts._window_dates`, from the stored months (which are
    the months of those instants in the scenario's zone)."""
    los = [d for d in (m.scalars.get("lo"), min(m.lines, default=None)) if d is not None]
    his = [d for d in (m.scalars.get("hi"), max(m.lines, default=None)) if d is not None]
    return (min(los), max(his)) if los else None


def _figures(scenario: Scenario, m: _Months) -> RowFigures | None:
    if m.scalars.get("missing"):
        return None
    window = _window(m)
    tickets = int(m.scalars.get("tickets") or 0)
    if window is None:
        checks = [("no_spend", evidence.BLOCK)]
        if m.scalars.get("capped"):
            checks.append(("capped_export", evidence.WARN))
        return RowFigures(None, 0, 0.0, SpendFigures.of(_no_spend(monthly_fee(scenario))),
                          [{"id": i, "level": v} for i, v in checks])
    cost = _spend(scenario, m, window)
    return RowFigures(window, tickets, float(m.scalars.get("downtime_hours") or 0.0), cost,
                      _checks(cost, m, tickets))


def _spend(scenario: Scenario, m: _Months, window: tuple[date, date]) -> SpendFigures:
    """The figures of `spend.spend(con, scenario)`, from the monthly aggregates."""
    fee = monthly_fee(scenario)
    lo, hi = window
    sources: dict[str, dict[date, Decimal]] = {
        "invoices": {k: v[1] if v[1] is not None else ZERO for k, v in m.lines.items()},
        **{s: {k: v for k, v in m.ticket_spend[s].items() if lo <= k <= hi}
           for s in ("billed_amount", "labour_hours")},
    }
    source = next((s for s in SOURCES if sources[s]), None)
    if source is None:
        return SpendFigures.of(_no_spend(fee))
    amounts = sources[source]
    spend_window = (min(amounts), max(amounts))
    months = months_between(*spend_window)
    onboarding = _dec(scenario.onboarding_fee)
    share = Decimal(1) - _dec(scenario.managed_reduction)
    breakfix: list[Decimal] = []
    managed: list[Decimal] = []
    cumulative = run_rate = None
    cum_b = cum_m = ZERO
    with localcontext() as ctx:
        ctx.prec = 60  # sums of DECIMAL(38,4) stay exact, as DuckDB's are
        for i, month in enumerate(months):
            dc = m.downtime_cost.get(month, ZERO)
            breakfix.append(amounts.get(month, ZERO) + dc)
            managed.append(managed_cost(fee + (onboarding if i == 0 else 0), share, dc))
            cum_b, cum_m = cum_b + breakfix[-1], cum_m + managed[-1]
            # spend.cumulative_crossover / run_rate_crossover: strictly above
            if cumulative is None and cum_b > cum_m:
                cumulative = month_text(month)
            if sum(breakfix[-12:], ZERO) > sum(managed[-12:], ZERO):
                run_rate = run_rate or month_text(month)
            else:
                run_rate = None
    totals: dict[str, Decimal | None] = {"breakfix_total": cum_b, "managed_total": cum_m}
    return SpendFigures(source, spend_window, len(months), totals["breakfix_total"], run_rate,
                        cumulative, break_even_price(scenario, totals, len(months)), fee)


def managed_cost(fee: Decimal, share: Decimal, downtime_cost: Decimal) -> Decimal:
    """spend's `CAST(fee + share * downtime_cost AS DECIMAL(38,4))`, all decimals: exact,
    then rounded to 4 places half away from zero, as that cast rounds."""
    with localcontext() as ctx:
        ctx.prec = 80
        return (fee + share * downtime_cost).quantize(_PLACES, ROUND_HALF_UP)


def _checks(cost: SpendFigures, m: _Months, tickets: int) -> list[dict[str, str]]:
    """Section 8's checks that fire (id, level), by the rules of metrics.checks."""
    out: list[tuple[str, str]] = []
    s = m.scalars
    if cost.source is None or cost.window is None:
        out.append(("no_spend", evidence.BLOCK))
    else:
        lo, hi = cost.window
        n = len(months_between(lo, hi))
        if n < 12:
            out.append(("short_window", evidence.BLOCK if n < 3 else evidence.WARN))
        outside = sum(k for month, k in m.opened.items() if month < lo or month > hi)
        if tickets and outside * 5 > tickets:
            out.append(("tickets_outside_spend", evidence.WARN))
        if cost.source == "invoices":
            if _has_gap(set(m.lines), lo, hi):
                out.append(("spend_gaps", evidence.WARN))
            total = sum((v[1] for v in m.lines.values() if v[1] is not None), ZERO)
            largest = max((v[2] for v in m.lines.values() if v[2] is not None), default=None)
            if largest is not None and total > 0 and largest * 4 > total:
                out.append(("dominant_lines", evidence.WARN))
    keyed, by_category = s.get("keyed") or 0, s.get("by_category") or 0
    if keyed and by_category * 2 > keyed:
        out.append(("category_recurrence", evidence.WARN))
    if s.get("capped"):
        out.append(("capped_export", evidence.WARN))
    same = s.get("same_second") or 0
    if tickets and same >= 2 and same * 5 > tickets:
        out.append(("import_timestamps", evidence.WARN))
    resolved, zero = s.get("resolved") or 0, s.get("zero") or 0
    if resolved and zero * 5 > resolved:
        out.append(("zero_durations", evidence.WARN))
    return [{"id": i, "level": level} for i, level in out]


def _has_gap(covered: set[date], lo: date, hi: date) -> bool:
    """True when two or more months in a row of [lo, hi] have no invoice line."""
    run = 0
    for month in months_between(lo, hi):
        run = 0 if month in covered else run + 1
        if run >= 2:
            return True
    return False

