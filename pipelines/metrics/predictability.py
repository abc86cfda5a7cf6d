"""Cost predictability (METRICS.md section 9): how much break-fix moves from month to month.

Over the months of the spend window (section 5), from `spend().monthly`'s `breakfix`
and `managed` columns: mean, sample standard deviation (n - 1; None under 2 months),
cv = std / mean (None when either is None or the mean is 0), the linear-interpolation
p90, the worst month (largest break-fix, earliest on ties), the months above the
monthly fee (strictly), the largest *surprise* (a month's break-fix minus the mean of
up to 12 months before it, for months with at least 3 earlier months; earliest on
ties) and managed_cv (the cv of the managed cost).

Decisions where METRICS.md is silent:

* All arithmetic is Decimal (28 significant digits; the square root too), so the money
  figures are exact to the cent before the JSON rounds them half-up to 2 decimals.
* Without spend data (no months) every figure is None and `months` is 0
  (`months_above_fee` too is None then: a count without data is not 0).
* A negative mean (more credit than charge) still gives std / mean, a negative cv.
* `cv` and `managed_cv` are ratios, rounded in the JSON like every other number of
  section 7 ("same rounding"): half-up to 2 decimals (0.4862 -> 0.49).
* The monthly frame (month, breakfix, managed, trailing_mean, surprise) is what the
  dashboard and report chart: `trailing_mean` is None for the first 3 months.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb
import polars as pl

from pipelines.metrics.facts import Facts, Filters, month_text
from pipelines.metrics.spend import SpendResult, spend
from pipelines.scenario import Scenario

SCENARIO_KEYS: tuple[str, ...] = ()  # none but those of the spend result it is given
_CTX = decimal.Context(prec=28)
_MONEY = pl.Decimal(38, 4)
_MONTHLY_SCHEMA = pl.Schema({
    "month": pl.Date(), "breakfix": _MONEY, "managed": _MONEY,
    "trailing_mean": pl.Decimal(38, 10), "surprise": pl.Decimal(38, 10),
})
MIN_EARLIER = 3  # months before a month for its surprise to count
TRAILING = 12


@dataclass(frozen=True)
class Predictability:
    """The figures of section 9 (None without data) and the months they come from."""

    months: int
    mean: Decimal | None
    std: Decimal | None
    cv: Decimal | None
    p90: Decimal | None
    worst_month: str | None
    worst_amount: Decimal | None
    months_above_fee: int | None
    largest_surprise_month: str | None
    largest_surprise_amount: Decimal | None
    managed_cv: Decimal | None
    monthly_fee: Decimal
    monthly: pl.DataFrame  # month, breakfix, managed, trailing_mean, surprise


def mean(values: list[Decimal]) -> Decimal | None:
    """The arithmetic mean, None for no values."""
    return _CTX.divide(sum(values, Decimal(0)), Decimal(len(values))) if values else None


def sample_std(values: list[Decimal]) -> Decimal | None:
    """The sample standard deviation (n - 1), None under 2 values."""
    if len(values) < 2:
        return None
    m = mean(values)
    assert m is not None
    squares = sum(((v - m) ** 2 for v in values), Decimal(0))
    return _CTX.sqrt(_CTX.divide(squares, Decimal(len(values) - 1)))


def cv(values: list[Decimal]) -> Decimal | None:
    """std / mean; None when either is None or the mean is 0."""
    s, m = sample_std(values), mean(values)
    if s is None or m is None or m == 0:
        return None
    return _CTX.divide(s, m)


def quantile(values: list[Decimal], q: Decimal) -> Decimal | None:
    """The linear-interpolation quantile (NumPy's default, DuckDB quantile_cont)."""
    if not values:
        return None
    xs = sorted(values)
    h = (len(xs) - 1) * q
    lo = int(h)
    if lo + 1 >= len(xs):
        return xs[-1]
    return xs[lo] + (h - lo) * (xs[lo + 1] - xs[lo])


def _decimals(values: Sequence[Decimal | None], dtype: pl.DataType) -> pl.Series:
    """Decimals as a Polars column, through their text: the same values (rounded half to
    even to the column's scale either way), but building a column from Decimal objects
    imports NumPy, about 0.1 s of a cold `metrics` call."""
    text = [None if v is None else format(v, "f") for v in values]
    return pl.Series(text, dtype=pl.String).cast(dtype)


def predictability_of(result: SpendResult) -> Predictability:
    """The section 9 figures of a spend result's monthly break-fix and managed cost."""
    monthly = result.monthly
    fee = result.monthly_fee
    months = [] if monthly.height == 0 else monthly["month"].to_list()
    breakfix = [Decimal(v) for v in monthly["breakfix"].to_list()] if months else []
    managed = [Decimal(v) for v in monthly["managed"].to_list()] if months else []
    trailing: list[Decimal | None] = []
    surprise: list[Decimal | None] = []
    for i, value in enumerate(breakfix):
        if i < MIN_EARLIER:
            trailing.append(None)
            surprise.append(None)
            continue
        m = mean(breakfix[max(0, i - TRAILING):i])
        assert m is not None
        trailing.append(m)
        surprise.append(value - m)
    frame = pl.DataFrame({
        "month": pl.Series(months, dtype=pl.Date),
        **{name: _decimals(values, _MONTHLY_SCHEMA[name]) for name, values in (
            ("breakfix", breakfix), ("managed", managed), ("trailing_mean", trailing),
            ("surprise", surprise))},
    })
    if not breakfix:
        return Predictability(0, None, None, None, None, None, None, None, None, None, None,
                              fee, frame)
    worst = max(range(len(breakfix)), key=lambda i: (breakfix[i], -i))
    scored = [(s, -i) for i, s in enumerate(surprise) if s is not None]
    big = -max(scored)[1] if scored else None
    return Predictability(
        months=len(breakfix),
        mean=mean(breakfix),
        std=sample_std(breakfix),
        cv=cv(breakfix),
        p90=quantile(breakfix, Decimal("0.9")),
        worst_month=month_text(months[worst]),
        worst_amount=breakfix[worst],
        months_above_fee=sum(1 for v in breakfix if v > fee),
        largest_surprise_month=None if big is None else month_text(months[big]),
        largest_surprise_amount=None if big is None else surprise[big],
        managed_cv=cv(managed),
        monthly_fee=fee,
        monthly=frame,
    )


def predictability(
    con: duckdb.DuckDBPyConnection,
    scenario: Scenario,
    filters: Filters | None = None,
    *,
    facts: Facts | None = None,
    spend_result: SpendResult | None = None,
) -> Predictability:
    """Cost predictability over the spend window (pass `spend_result` to reuse one)."""
    result = spend_result or spend(con, scenario, filters, facts=facts)
    return predictability_of(result)


def _ratio(value: Decimal | None) -> float | None:
    from pipelines.metrics.summary import money  # the same half-up rounding to 2 decimals

    return money(value)


def predictability_json(p: Predictability) -> dict[str, Any]:
    """The JSON object `predictability` of section 7 (money half-up to cents)."""
    from pipelines.metrics.summary import money  # summary imports this module

    return {
        "months": p.months,
        "mean": money(p.mean),
        "std": money(p.std),
        "cv": _ratio(p.cv),
        "p90": money(p.p90),
        "worst_month": p.worst_month,
        "worst_amount": money(p.worst_amount),
        "months_above_fee": p.months_above_fee,
        "largest_surprise_month": p.largest_surprise_month,
        "largest_surprise_amount": money(p.largest_surprise_amount),
        "managed_cv": _ratio(p.managed_cv),
    }


def cv_in_words(value: Decimal | float | None) -> str:
    """'a typical month is 40% off the average', or why there is no such figure."""
    if value is None:
        return "too few months (or a zero average) to say how much a month varies"
    pct = abs(float(value)) * 100
    return f"a typical month is {pct:.0f}% off the average"
