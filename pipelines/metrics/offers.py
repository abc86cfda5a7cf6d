"""The offers side by side: each offer's fee, managed total, break-even and crossovers.

Each offer of the scenario (`offers`, pipelines/offers.py) is priced by `spend()` under
the scenario with that offer's terms (its per-user, per-device and flat prices, its
managed reduction and onboarding fee where it names them), over the same spend window and
break-fix history. With no offers set, the scenario's own prices are the one offer,
named `DEFAULT_NAME`.

Decisions where the issue is silent:

* An offer *beats break-fix* when its managed total over the spend window is strictly
  below break-fix's total there; None when there is no spend to compare.
* The *recommended* offer is the cheapest one that beats break-fix: the lowest monthly
  fee (what the prospect pays), ties by lower managed total, then by name. None when no
  offer beats break-fix.
* `saving` is break-fix total minus the offer's managed total (negative: it would have
  cost more). Break-fix totals differ between offers only by the downtime cost each one
  leaves (its reduction), so both totals are per offer.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import duckdb
import polars as pl

from pipelines.metrics.facts import Facts, Filters, using
from pipelines.metrics.spend import spend
from pipelines.offers import Offer
from pipelines.scenario import Scenario

DEFAULT_NAME = "Managed offer"
SCHEMA = pl.Schema({  # type: ignore[arg-type]  # mypy reads the mixed dict as object
    "offer": pl.String, "per_user": pl.Float64, "per_device": pl.Float64,
    "flat_monthly": pl.Float64, "managed_reduction": pl.Float64,
    "onboarding_fee": pl.Float64, "monthly_fee": pl.Decimal(38, 2),
    "breakfix_total": pl.Decimal(38, 2), "managed_total": pl.Decimal(38, 2),
    "saving": pl.Decimal(38, 2), "break_even_price_per_user": pl.Decimal(38, 2),
    "cumulative_crossover": pl.String, "run_rate_crossover": pl.String,
    "beats_breakfix": pl.Boolean, "recommended": pl.Boolean,
})
_CENT = Decimal("0.01")


def offers_of(scenario: Scenario) -> tuple[Offer, ...]:
    """The scenario's offers, or its own prices as the one offer."""
    if scenario.offers:
        return scenario.offers
    return (Offer(DEFAULT_NAME, scenario.per_user, scenario.per_device, scenario.flat_monthly,
                  scenario.managed_reduction, scenario.onboarding_fee),)


def offer_scenario(scenario: Scenario, offer: Offer) -> Scenario:
    """`scenario` with `offer`'s terms in force (what `spend()` prices)."""
    return replace(
        scenario, per_user=offer.per_user, per_device=offer.per_device,
        flat_monthly=offer.flat_monthly,
        managed_reduction=(scenario.managed_reduction if offer.managed_reduction is None
                           else offer.managed_reduction),
        onboarding_fee=(scenario.onboarding_fee if offer.onboarding_fee is None
                        else offer.onboarding_fee),
        offers=(),
    )


def _cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(_CENT)


def compare_offers(
    con: duckdb.DuckDBPyConnection,
    scenario: Scenario,
    filters: Filters | None = None,
    *,
    facts: Facts | None = None,
) -> pl.DataFrame:
    """One row per offer (columns `SCHEMA`), in the scenario's order."""
    rows = []
    with using(con, scenario, filters, facts) as f:
        for offer in offers_of(scenario):
            terms = offer_scenario(scenario, offer)
            # The facts do not depend on prices or the reduction, so they are shared.
            cost = spend(con, terms, filters, facts=f)
            has_spend = cost.source is not None and cost.monthly.height > 0
            breakfix = cost.totals["breakfix_total"] if has_spend else None
            managed = cost.totals["managed_total"] if has_spend else None
            rows.append({
                "offer": offer.name, "per_user": terms.per_user,
                "per_device": terms.per_device, "flat_monthly": terms.flat_monthly,
                "managed_reduction": terms.managed_reduction,
                "onboarding_fee": terms.onboarding_fee,
                "monthly_fee": _cents(cost.monthly_fee),
                "breakfix_total": _cents(breakfix), "managed_total": _cents(managed),
                "saving": None if breakfix is None or managed is None
                else _cents(breakfix - managed),
                "break_even_price_per_user": _cents(cost.break_even_price_per_user)
                if has_spend else None,
                "cumulative_crossover": cost.cumulative_crossover,
                "run_rate_crossover": cost.run_rate_crossover,
                "beats_breakfix": None if breakfix is None or managed is None
                else managed < breakfix,
                "recommended": False,
            })
    frame = pl.DataFrame(rows, schema=SCHEMA, orient="row")
    best = recommended(frame)
    return frame.with_columns(recommended=pl.col("offer") == best) if best else frame


def recommended(frame: pl.DataFrame) -> str | None:
    """The cheapest offer (by monthly fee) that beats break-fix, or None."""
    winners = frame.filter(pl.col("beats_breakfix").fill_null(False))
    if winners.height == 0:
        return None
    return str(winners.sort(["monthly_fee", "managed_total", "offer"]).row(0, named=True)["offer"])
