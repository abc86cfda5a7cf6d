"""Spend and the break-even (METRICS.md section 5): monthly, cumulative, trailing 12 months.

Costs are compared over the *spend window*: the months from the first to the last month
in which the chosen source has data, inside the analysis window. Decisions where
METRICS.md is silent:

* The source is chosen on the filtered data: "invoices" when any invoice line (of any
  kind) is dated in the window, since loaded invoices are the billing record even when
  they hold only contract or parts lines; else "billed_amount" when a ticket opened in
  the window has one whose month (below) is in the window; else "labour_hours" likewise;
  else none (`source` None, every total and verdict figure None, no months).
* Lines matched by `exclude_spend` still count as invoice lines for choosing the source
  and for the spend window (and `spend_gaps`): the ledger covers that month, the line is
  just not break-fix work. `spend.excluded` lists only the lines the exclusion takes out
  of spend (kinds that would otherwise count: labour, other, parts with include_parts);
  a matching contract line was never spend and is not listed.
* Ticket spend lands in the month of `resolved_at` (of `opened_at` while open), and only
  when that month is inside the window.
* Money is DECIMAL. Amounts derived from measured hours (labour, downtime cost) are
  rounded to 4 decimals per month before they join the decimal sums; their hours are
  added with `fsum` (compensated), so the cents do not depend on the order of rows.
* Downtime cost is counted for the months of the spend window only (it is compared
  month by month with the managed cost there).
* `breakfix_total` and `managed_total` are the spend window's cumulative totals. The
  break-even price solves cumulative managed == cumulative break-fix for per_user:
  per_user + (breakfix_total - managed_total) / (users * months), floored at 0;
  None when users is 0.
* Crossovers are strict: equal costs are not a crossover.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from itertools import accumulate

import duckdb
import polars as pl

from pipelines.metrics.facts import NO_FILTERS, Facts, Filters, month_text, using
from pipelines.scenario import Scenario

SCENARIO_KEYS = ("per_user", "users", "per_device", "devices", "flat_monthly", "onboarding_fee",
                 "hourly_rate", "cost_per_user_hour", "managed_reduction", "include_parts",
                 "exclude_spend")  # beyond the facts'
ZERO = Decimal(0)
_MONEY = pl.Decimal(38, 4)
_MONTHLY_SCHEMA = pl.Schema({
    "month": pl.Date(), "spend": _MONEY, "downtime_cost": _MONEY, "breakfix": _MONEY,
    "managed": _MONEY, "cumulative_breakfix": _MONEY, "cumulative_managed": _MONEY,
    "ttm_breakfix": _MONEY, "ttm_managed": _MONEY,
})
_LINES_SCHEMA = pl.Schema({
    "invoice_id": pl.String(), "line_no": pl.Int32(), "invoice_date": pl.Date(),
    "client": pl.String(), "description": pl.String(), "kind": pl.String(),
    "amount": pl.Decimal(18, 2), "share": pl.Float64(),
})
SOURCES = ("invoices", "billed_amount", "labour_hours")


@dataclass(frozen=True)
class SpendResult:
    """Break-fix versus managed cost over the spend window: per month, in total, and the
    verdict's three figures. Without a source every figure but `monthly_fee` is None."""

    source: str | None  # invoices | billed_amount | labour_hours | None (no spend data)
    # spend_total, downtime_cost_total, breakfix_total, managed_total (None without a source)
    totals: dict[str, Decimal | None]
    monthly: pl.DataFrame  # one row per month of the spend window
    cumulative_crossover: str | None  # 'YYYY-MM'
    run_rate_crossover: str | None
    break_even_price_per_user: Decimal | None
    monthly_fee: Decimal
    window: tuple[date, date] | None = None  # the spend window (first days of its months)
    excluded_lines: int = 0
    excluded_amount: Decimal = ZERO
    # Per month: the downtime person-hours that `downtime_cost` prices (what `repriced`
    # needs to price them again at another cost per user-hour).
    person_hours: tuple[float, ...] = field(default=(), repr=False)

    @property
    def window_text(self) -> tuple[str, str] | None:
        """The spend window as ('YYYY-MM', 'YYYY-MM'), None without a source."""
        return None if self.window is None else (month_text(self.window[0]),
                                                 month_text(self.window[1]))


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


def counted_kinds(scenario: Scenario) -> list[str]:
    """The invoice line kinds that are break-fix spend: labour, other, and parts if asked."""
    return ["labour", "other"] + (["parts"] if scenario.include_parts else [])


_LINES_SQL = """
SELECT invoice_id, line_no, invoice_date, client, description, kind, amount,
       CAST(date_trunc('month', invoice_date) AS DATE) AS month,
       list_contains($kinds, kind) AND NOT matched AS counted,
       list_contains($kinds, kind) AND matched AS excluded
FROM (
    SELECT *, {matched} AS matched
    FROM invoice_lines
    WHERE ($client::VARCHAR IS NULL OR client = $client)
      AND invoice_date >= $inv_start AND invoice_date < $inv_after
)
"""


_MATCHED = """EXISTS (
        SELECT 1 FROM unnest($exclude::VARCHAR[]) AS u(x)
        WHERE contains(lower(coalesce(description, '')), lower(x))
           OR contains(lower(coalesce(client, '')), lower(x)))"""


def invoice_lines_sql(f: Facts) -> tuple[str, dict[str, object]]:
    """SQL of the window's invoice lines (client-filtered) with their month, `counted`
    (break-fix spend) and `excluded` (spend left out by `exclude_spend`), and its values."""
    params: dict[str, object] = {
        "client": f.filters.client, "inv_start": f.start, "inv_after": next_month(f.end),
        "kinds": counted_kinds(f.scenario),
    }
    if not f.scenario.exclude_spend:  # the common case: no per-line string search
        return _LINES_SQL.format(matched="false"), params
    return _LINES_SQL.format(matched=_MATCHED), {
        **params, "exclude": list(f.scenario.exclude_spend)}


def _ticket_month() -> str:
    return "CASE WHEN resolved THEN rm ELSE om END"


def _ticket_spend(f: Facts, source: str) -> str:
    """SQL of the tickets that carry `source`'s data, with the month their spend lands in."""
    column = "billed_amount" if source == "billed_amount" else "labour_hours"
    return (
        f"SELECT {_ticket_month()} AS month, {column} AS value FROM ({f.tickets})"
        f" WHERE {column} IS NOT NULL AND {_ticket_month()} BETWEEN $start AND $end"
    )


def choose_source(
    con: duckdb.DuckDBPyConnection, f: Facts
) -> tuple[str | None, tuple[date, date] | None]:
    """The first source of section 5 with data in the window, and its spend window."""
    lines, params = invoice_lines_sql(f)
    row = con.execute(f"SELECT min(month), max(month) FROM ({lines})", params).fetchall()[0]
    if row[0] is not None:
        return "invoices", (row[0], row[1])
    for source in ("billed_amount", "labour_hours"):
        row = f.rows(f"SELECT min(month), max(month) FROM ({_ticket_spend(f, source)})")[0]
        if row[0] is not None:
            return source, (row[0], row[1])
    return None, None


def _spend_sql(f: Facts, source: str) -> tuple[str, dict[str, object]]:
    """SQL of the monthly break-fix spend of `source` (month, amount), and its values."""
    if source == "invoices":
        lines, params = invoice_lines_sql(f)
        return (f"SELECT month, sum(amount) AS amount FROM ({lines}) WHERE counted GROUP BY 1",
                params)
    if source == "billed_amount":
        return (f"SELECT month, sum(value) AS amount FROM ({_ticket_spend(f, source)})"
                " GROUP BY 1"), {}
    sql = (f"SELECT month, fsum(value) * $hourly_rate AS amount"
           f" FROM ({_ticket_spend(f, source)}) GROUP BY 1")
    return sql, {"hourly_rate": f.scenario.hourly_rate}


# The spend window's months priced (METRICS.md section 5), from the monthly spend of the
# source ({spend}) and the downtime facts ({downtime}); `repriced` prices them again in
# decimals exactly as this statement does, so a change here is a change there.
_MONTHLY_SQL = """
WITH months AS (
    SELECT CAST(range AS DATE) AS month
    FROM range($sw_start, $sw_after, INTERVAL 1 MONTH)
), spend AS ({spend}),
cost AS (
    SELECT om AS month, fsum(hours * users) AS person_hours
    FROM ({downtime}) GROUP BY om
), m AS (
    SELECT months.month,
           coalesce(CAST(spend.amount AS DECIMAL(38,4)), 0) AS spend,
           CAST(coalesce(cost.person_hours, 0) * $cost_per_user_hour
                AS DECIMAL(38,4)) AS downtime_cost,
           coalesce(cost.person_hours, 0) AS person_hours
    FROM months LEFT JOIN spend USING (month) LEFT JOIN cost USING (month)
), priced AS (
    SELECT month, spend, downtime_cost,
           CAST(spend + downtime_cost AS DECIMAL(38,4)) AS breakfix,
           CAST($fee + CASE WHEN month = $sw_start THEN $onboarding ELSE 0 END
                + $managed_share * downtime_cost AS DECIMAL(38,4)) AS managed,
           person_hours
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
"""


def _no_spend(fee: Decimal) -> SpendResult:
    none: dict[str, Decimal | None] = {k: None for k in (
        "spend_total", "downtime_cost_total", "breakfix_total", "managed_total")}
    return SpendResult(None, none, pl.DataFrame(schema=_MONTHLY_SCHEMA), None, None, None, fee)


def spend(
    con: duckdb.DuckDBPyConnection,
    scenario: Scenario,
    filters: Filters | None = None,
    *,
    facts: Facts | None = None,
) -> SpendResult:
    """Monthly break-fix and managed cost over the spend window, with crossovers and
    break-even; every figure None (no months) when no source has data in the window."""
    fee = monthly_fee(scenario)
    with using(con, scenario, filters, facts) as f:
        if f is None:
            return _no_spend(fee)
        source, window = choose_source(con, f)
        if source is None or window is None:
            return _no_spend(fee)
        spend_sql, params = _spend_sql(f, source)
        monthly = f.frame(
            _MONTHLY_SQL.format(spend=spend_sql, downtime=f.downtime),
            {
                **params,
                "cost_per_user_hour": scenario.cost_per_user_hour,
                "fee": fee,
                "onboarding": _dec(scenario.onboarding_fee),
                "managed_share": Decimal(1) - _dec(scenario.managed_reduction),
                "sw_start": window[0],
                "sw_after": next_month(window[1]),
            },
        )
        person_hours = tuple(monthly.get_column("person_hours").to_list())
        monthly = monthly.drop("person_hours").cast(_MONTHLY_SCHEMA)
        excluded = (0, ZERO)
        if source == "invoices":
            lines, lp = invoice_lines_sql(f)
            row = con.execute(
                f"SELECT count(*), coalesce(sum(amount), 0) FROM ({lines}) WHERE excluded", lp
            ).fetchall()[0]
            excluded = (int(row[0]), Decimal(row[1]))
    totals = _totals(monthly)
    return SpendResult(
        source=source,
        totals=totals,
        monthly=monthly,
        cumulative_crossover=cumulative_crossover(monthly),
        run_rate_crossover=run_rate_crossover(monthly),
        break_even_price_per_user=break_even_price(scenario, totals, monthly.height),
        monthly_fee=fee,
        window=window,
        excluded_lines=excluded[0],
        excluded_amount=excluded[1],
        person_hours=person_hours,
    )


# The settings `repriced` can move: the managed contract's price and the downtime it avoids.
PRICE_KEYS = ("per_user", "users", "per_device", "devices", "flat_monthly", "onboarding_fee",
              "managed_reduction")
_FOUR_DECIMALS = Decimal("0.0001")


def downtime_costs(
    con: duckdb.DuckDBPyConnection, base: SpendResult, cost_per_user_hour: float
) -> list[Decimal]:
    """`base`'s monthly downtime cost at another cost per user-hour: its person-hours times
    the cost, rounded to 4 decimals by DuckDB as `spend()` rounds them (a statement over
    the months' numbers, not the tickets)."""
    row = con.execute(
        "SELECT [CAST(h * $cost AS DECIMAL(38,4)) FOR h IN $hours]",
        {"hours": list(base.person_hours), "cost": float(cost_per_user_hour)},
    ).fetchall()[0]
    return list(row[0])


def repriced(
    base: SpendResult, scenario: Scenario, downtime_cost: list[Decimal] | None = None
) -> SpendResult:
    """What `spend()` gives under `scenario` over the facts `base` was computed from, where
    `scenario` differs from base's only in PRICE_KEYS, or also in `cost_per_user_hour`
    when `downtime_cost` gives its months' cost (`downtime_costs`). No query: the months
    are priced again in decimals, exactly as spend()'s statement does (its decimals are
    exact; the managed cost is rounded to 4 decimals half away from zero, as DuckDB casts)."""
    if base.source is None or base.window is None:
        return _no_spend(monthly_fee(scenario))
    fee = monthly_fee(scenario)
    months = base.monthly.get_column("month").to_list()
    spent = base.monthly.get_column("spend").to_list()
    costs = base.monthly.get_column("downtime_cost").to_list() if downtime_cost is None \
        else downtime_cost
    if len(costs) != len(months):
        raise ValueError(f"{len(costs)} months of downtime cost for {len(months)} months")
    with localcontext(prec=120, rounding=ROUND_HALF_UP):  # no decimal rounded but the casts'
        onboarding = _dec(scenario.onboarding_fee)
        share = Decimal(1) - _dec(scenario.managed_reduction)
        breakfix = [s + c for s, c in zip(spent, costs)]
        managed = [(fee + (onboarding if m == base.window[0] else ZERO) + share * c)
                   .quantize(_FOUR_DECIMALS) for m, c in zip(months, costs)]
        cum_b, cum_m = list(accumulate(breakfix)), list(accumulate(managed))
        monthly = pl.DataFrame({
            "month": months, "spend": spent, "downtime_cost": costs, "breakfix": breakfix,
            "managed": managed, "cumulative_breakfix": cum_b, "cumulative_managed": cum_m,
            "ttm_breakfix": _trailing(cum_b), "ttm_managed": _trailing(cum_m),
        }, schema=_MONTHLY_SCHEMA)
    totals = _totals(monthly)
    return SpendResult(
        source=base.source, totals=totals, monthly=monthly,
        cumulative_crossover=cumulative_crossover(monthly),
        run_rate_crossover=run_rate_crossover(monthly),
        break_even_price_per_user=break_even_price(scenario, totals, monthly.height),
        monthly_fee=fee, window=base.window, excluded_lines=base.excluded_lines,
        excluded_amount=base.excluded_amount, person_hours=base.person_hours,
    )


def _trailing(running: list[Decimal]) -> list[Decimal]:
    """The sums of the last 12 values (fewer at the start) from their running sums."""
    return [r - (running[i - 12] if i >= 12 else ZERO) for i, r in enumerate(running)]


def next_month(first: date) -> date:
    """The first day of the month after the one starting on `first`."""
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _totals(monthly: pl.DataFrame) -> dict[str, Decimal | None]:
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
    scenario: Scenario, totals: dict[str, Decimal | None], months: int
) -> Decimal | None:
    """The per-user price at which the spend window's managed cost equals its break-fix."""
    breakfix, managed = totals["breakfix_total"], totals["managed_total"]
    if scenario.users == 0 or months == 0 or breakfix is None or managed is None:
        return None
    price = _dec(scenario.per_user) + (breakfix - managed) / (scenario.users * months)
    return max(price, ZERO)


def largest_lines(
    con: duckdb.DuckDBPyConnection,
    scenario: Scenario,
    filters: Filters | None = None,
    *,
    limit: int = 10,
    excluded: bool = False,
    facts: Facts | None = None,
) -> pl.DataFrame:
    """The largest invoice lines counted as break-fix in the window (or, with `excluded`,
    the lines `exclude_spend` leaves out), largest first, with their share of the counted
    lines' total (None when that total is not above 0).

    Columns: invoice_id, line_no, invoice_date, client, description, kind, amount, share.
    """
    with using(con, scenario, filters or NO_FILTERS, facts) as f:
        if f is None:
            return pl.DataFrame(schema=_LINES_SCHEMA)
        lines, params = invoice_lines_sql(f)
        out = con.sql(
            f"""
            WITH l AS ({lines}),
            total AS (SELECT sum(amount) AS t FROM l WHERE counted)
            SELECT invoice_id, line_no, invoice_date, client, description, kind, amount,
                   CASE WHEN total.t > 0 THEN CAST(amount AS DOUBLE) / CAST(total.t AS DOUBLE)
                   END AS share
            FROM l, total WHERE {'excluded' if excluded else 'counted'}
            ORDER BY amount DESC, invoice_date, invoice_id, line_no
            LIMIT $limit
            """,
            params={**params, "limit": limit},
        ).pl()
    return out.cast(_LINES_SCHEMA)  # type: ignore[arg-type]


def spend_currency(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> str | None:
    """The invoices' currency when they use exactly one, else None (mixed or unknown)."""
    client = filters.client if filters else None
    codes = con.execute(
        "SELECT DISTINCT currency FROM invoice_lines"
        " WHERE currency IS NOT NULL AND ($client::VARCHAR IS NULL OR client = $client)",
        {"client": client},
    ).fetchall()
    return codes[0][0] if len(codes) == 1 else None


def exclusion_text(description: str | None, client: str | None) -> str:
    """A string `exclude_spend` matches a line by: its description up to the first comma
    (a comma would split a --set value), else its client; '' when it has neither."""
    for text in (description, client):
        head = (text or "").split(",")[0].strip()
        if head:
            return head
    return ""


def exclusion_preview(
    con: duckdb.DuckDBPyConnection, scenario: Scenario, filters: Filters | None, text: str
) -> tuple[int, Decimal]:
    """How many counted break-fix lines of the window (and their total) adding `text` to
    `exclude_spend` would leave out."""
    if not text.strip():
        return 0, ZERO
    with using(con, scenario, filters or NO_FILTERS, None) as f:
        if f is None:
            return 0, ZERO
        lines, params = invoice_lines_sql(f)
        row = con.execute(
            f"SELECT count(*), coalesce(sum(amount), 0) FROM ({lines}) WHERE counted AND"
            " (contains(lower(coalesce(description, '')), lower($text))"
            "  OR contains(lower(coalesce(client, '')), lower($text)))",
            {**params, "text": text},
        ).fetchall()[0]
    return int(row[0]), Decimal(row[1])
