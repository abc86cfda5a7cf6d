"""Spend and the break-even (METRICS.md section 5): monthly, cumulative, trailing 12 months.

Decisions where METRICS.md is silent:

* The source is chosen on the filtered data: "invoices" when any invoice line (of any
  kind) is dated in the window, since loaded invoices are the billing record even
  when they hold only contract or parts lines; else "billed_amount" when any ticket
  opened in the window has one; else "labour_hours" (0 when no ticket has hours).
* Ticket spend lands in the month of `resolved_at` (of `opened_at` while open), and
  only when that month is inside the window.
* Money is DECIMAL. Amounts derived from measured hours (labour, downtime cost) are
  rounded to 4 decimals per month before they join the decimal sums; their hours are
  added with `fsum` (compensated), so the cents do not depend on the order of rows.
* `breakfix_total` and `managed_total` are the window's cumulative totals. The
  break-even price solves cumulative managed == cumulative break-fix for per_user:
  per_user + (breakfix_total - managed_total) / (users * months), floored at 0;
  None when users is 0.
* Crossovers are strict: equal costs are not a crossover.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import duckdb
import polars as pl

from pipelines.metrics.facts import Facts, Filters, month_text, using
from pipelines.scenario import Scenario

ZERO = Decimal(0)
_MONEY = pl.Decimal(38, 4)
_MONTHLY_SCHEMA = pl.Schema({
    "month": pl.Date(), "spend": _MONEY, "downtime_cost": _MONEY, "breakfix": _MONEY,
    "managed": _MONEY, "cumulative_breakfix": _MONEY, "cumulative_managed": _MONEY,
    "ttm_breakfix": _MONEY, "ttm_managed": _MONEY,
})


@dataclass(frozen=True)
class SpendResult:
    """Break-fix versus managed cost: per month, in total, and the verdict's three figures."""

    source: str  # invoices | billed_amount | labour_hours
    totals: dict[str, Decimal]  # spend_total, downtime_cost_total, breakfix_total, managed_total
    monthly: pl.DataFrame
    cumulative_crossover: str | None  # 'YYYY-MM'
    run_rate_crossover: str | None
    break_even_price_per_user: Decimal | None
    monthly_fee: Decimal


def _dec(x: float) -> Decimal:
    """A scenario number as the decimal the user wrote (150.0 -> 150, 162.4 -> 162.4)."""
    return Decimal(repr(float(x)))


def monthly_fee(scenario: Scenario) -> Decimal:
    """per_user * users + per_device * devices + flat_monthly, as a decimal."""
    return (
        _dec(scenario.per_user) * scenario.users
        + _dec(scenario.per_device) * scenario.devices
        + _dec(scenario.flat_monthly)
    )


def spend(
    con: duckdb.DuckDBPyConnection,
    scenario: Scenario,
    filters: Filters | None = None,
    *,
    facts: Facts | None = None,
) -> SpendResult:
    """Monthly break-fix and managed cost over the window, with crossovers and break-even."""
    fee = monthly_fee(scenario)
    with using(con, scenario, filters, facts) as f:
        if f is None:
            return SpendResult(
                "labour_hours", _totals(pl.DataFrame(schema=_MONTHLY_SCHEMA)),
                pl.DataFrame(schema=_MONTHLY_SCHEMA), None, None, None, fee,
            )
        source, spend_sql, params = _source(con, f)
        monthly = f.frame(
            f"""
            WITH months AS (
                SELECT CAST(range AS DATE) AS month
                FROM range($start, $after, INTERVAL 1 MONTH)
            ), spend AS ({spend_sql}),
            cost AS (
                SELECT om AS month, fsum(hours * users) AS person_hours
                FROM ({f.downtime}) GROUP BY om
            ), m AS (
                SELECT months.month,
                       coalesce(CAST(spend.amount AS DECIMAL(38,4)), 0) AS spend,
                       CAST(coalesce(cost.person_hours, 0) * $cost_per_user_hour
                            AS DECIMAL(38,4)) AS downtime_cost
                FROM months LEFT JOIN spend USING (month) LEFT JOIN cost USING (month)
            ), priced AS (
                SELECT month, spend, downtime_cost,
                       CAST(spend + downtime_cost AS DECIMAL(38,4)) AS breakfix,
                       CAST($fee + CASE WHEN month = $start THEN $onboarding ELSE 0 END
                            + $managed_share * downtime_cost AS DECIMAL(38,4)) AS managed
                FROM m
            )
            SELECT *,
                   sum(breakfix) OVER cum AS cumulative_breakfix,
                   sum(managed) OVER cum AS cumulative_managed,
                   sum(breakfix) OVER ttm AS ttm_breakfix,
                   sum(managed) OVER ttm AS ttm_managed
            FROM priced
            WINDOW cum AS (ORDER BY month ROWS UNBOUNDED PRECEDING),
                   ttm AS (ORDER BY month ROWS BETWEEN 11 PRECEDING AND CURRENT ROW)
            ORDER BY month
            """,
            {
                **params,
                "cost_per_user_hour": scenario.cost_per_user_hour,
                "fee": fee,
                "onboarding": _dec(scenario.onboarding_fee),
                "managed_share": Decimal(1) - _dec(scenario.managed_reduction),
                "start": f.start,
                "after": _next_month(f.end),
            },
        ).cast(_MONTHLY_SCHEMA)
    totals = _totals(monthly)
    return SpendResult(
        source=source,
        totals=totals,
        monthly=monthly,
        cumulative_crossover=cumulative_crossover(monthly),
        run_rate_crossover=run_rate_crossover(monthly),
        break_even_price_per_user=break_even_price(scenario, totals, monthly.height),
        monthly_fee=fee,
    )


def _source(con: duckdb.DuckDBPyConnection, f: Facts) -> tuple[str, str, dict[str, object]]:
    """The spend source with data (section 5 precedence), its monthly SQL and parameters."""
    invoice_filter = (
        "($client::VARCHAR IS NULL OR client = $client)"
        " AND invoice_date >= $inv_start AND invoice_date < $inv_after"
    )
    inv = {"client": f.filters.client, "inv_start": f.start, "inv_after": _next_month(f.end)}
    row = con.execute(
        f"SELECT count(*) FROM invoice_lines WHERE {invoice_filter}", inv
    ).fetchall()[0]
    kinds = ["labour", "other"] + (["parts"] if f.scenario.include_parts else [])
    if row[0]:
        sql = (
            f"SELECT CAST(date_trunc('month', invoice_date) AS DATE) AS month,"
            f" sum(amount) AS amount FROM invoice_lines"
            f" WHERE {invoice_filter} AND list_contains($kinds, kind) GROUP BY 1"
        )
        return "invoices", sql, {**inv, "kinds": kinds}
    ticket_month = "CASE WHEN resolved THEN rm ELSE om END"
    row = f.rows(f"SELECT count(billed_amount) FROM ({f.tickets})")[0]
    if row[0]:
        sql = (
            f"SELECT {ticket_month} AS month, sum(billed_amount) AS amount"
            f" FROM ({f.tickets}) GROUP BY 1"
        )
        return "billed_amount", sql, {}
    sql = (
        f"SELECT {ticket_month} AS month, fsum(labour_hours) * $hourly_rate AS amount"
        f" FROM ({f.tickets}) GROUP BY 1"
    )
    return "labour_hours", sql, {"hourly_rate": f.scenario.hourly_rate}


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _totals(monthly: pl.DataFrame) -> dict[str, Decimal]:
    def total(col: str) -> Decimal:
        value = monthly[col].sum() if monthly.height else None
        return ZERO if value is None else Decimal(value)

    return {
        "spend_total": total("spend"),
        "downtime_cost_total": total("downtime_cost"),
        "breakfix_total": total("breakfix"),
        "managed_total": total("managed"),
    }


def cumulative_crossover(monthly: pl.DataFrame) -> str | None:
    """The first month whose cumulative break-fix is strictly above cumulative managed."""
    for row in monthly.iter_rows(named=True):
        if row["cumulative_breakfix"] > row["cumulative_managed"]:
            return month_text(row["month"])
    return None


def run_rate_crossover(monthly: pl.DataFrame) -> str | None:
    """The first month from which trailing-12-month break-fix stays strictly above managed."""
    since: str | None = None
    for row in monthly.iter_rows(named=True):
        if row["ttm_breakfix"] > row["ttm_managed"]:
            since = since or month_text(row["month"])
        else:
            since = None
    return since


def break_even_price(
    scenario: Scenario, totals: dict[str, Decimal], months: int
) -> Decimal | None:
    """The per-user price at which the window's managed cost equals its break-fix cost."""
    if scenario.users == 0 or months == 0:
        return None
    gap = totals["breakfix_total"] - totals["managed_total"]
    price = _dec(scenario.per_user) + gap / (scenario.users * months)
    return max(price, ZERO)
