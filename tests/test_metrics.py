"""The metric layer against figures worked out by hand (METRICS.md sections 2-7).

Each test builds a workspace in memory from a dozen rows inserted the way store.py
loads them (ttr_hours from the two instants; the recurrence key, coalesce(asset, category),
is computed where it is read).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

import duckdb
import polars as pl
import pytest
from helpers import ticket

from pipelines import store
from pipelines.errors import SettingError
from pipelines.metrics import (
    Filters,
    analysis_window,
    downtime,
    downtime_by_day,
    incident_counts,
    metrics_json,
    spend,
    time_to_resolve,
    ttr_by_category,
    verdict,
)
from pipelines.metrics.facts import _day_months, stored_months_timezone
from pipelines.scenario import Scenario, save_scenario

UTC = Scenario()


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    store.ensure_schema(c)
    return c


def invoice(
    con: duckdb.DuckDBPyConnection, invoice_id: str, line_no: int, day: str, amount: str,
    kind: str, client: str | None = "acme",
) -> None:
    con.execute(
        "INSERT INTO invoice_lines (invoice_id, line_no, invoice_date, client, amount, kind,"
        " load_id) VALUES (?, ?, CAST(? AS DATE), ?, CAST(? AS DECIMAL(18,2)), ?, 1)",
        [invoice_id, line_no, day, client, amount, kind],
    )


def months(df: pl.DataFrame) -> list[str]:
    return [d.strftime("%Y-%m") for d in df["month"]]


# --- section 2: the window -----------------------------------------------------------------

def test_window_runs_from_first_opened_or_invoice_to_last_resolved(con) -> None:
    """Invoice 2023-12-20 is earliest; T1 resolved 2024-03-02 is latest -> 2023-12..2024-03.

    --from 2024-01 narrows it to 2024-01..2024-03; a client with no rows has no window;
    --from after the data leaves nothing.
    """
    ticket(con, "T1", "2024-01-15 09:00+00", "2024-03-02 10:00+00")
    invoice(con, "I1", 1, "2023-12-20", "100", "labour")
    assert analysis_window(con, UTC) == ("2023-12", "2024-03")
    assert analysis_window(con, UTC, Filters(month_from="2024-01")) == ("2024-01", "2024-03")
    assert analysis_window(con, UTC, Filters(month_to="2024-01")) == ("2023-12", "2024-01")
    assert analysis_window(con, UTC, Filters(client="other")) is None
    assert analysis_window(con, UTC, Filters(month_from="2025-01")) is None


def test_filters_are_checked() -> None:
    with pytest.raises(SettingError) as exc:
        Filters(month_from="2024-13")
    assert str(exc.value) == "--from '2024-13' is not a month; write it as YYYY-MM, for example 2024-03"
    with pytest.raises(SettingError) as exc:
        Filters(month_from="2024-05", month_to="2024-02")
    assert str(exc.value) == "--from 2024-05 is after --to 2024-02; swap them"


def test_empty_workspace(con) -> None:
    """No rows: no window, zero counts, null statistics, empty monthly arrays."""
    out = metrics_json(con, "empty", UTC)
    assert out["window"] == {"start": None, "end": None}
    assert out["incidents"] == {"total": 0, "resolved": 0, "open": 0, "warnings": 0}
    assert out["ttr"]["count"] == 0 and out["ttr"]["median_hours"] is None
    assert out["ttr"]["monthly"] == [] and out["spend"]["monthly"] == []
    assert out["spend"]["cumulative_crossover"] is None
    assert out["spend"]["source"] is None and out["spend"]["breakfix_total"] is None
    assert out["checks"][0]["id"] == "no_spend" and out["verdict_state"] == "insufficient"
    assert out["verdict"] == (
        "No tickets or invoices yet: load your exports (`breakeven ingest FILE -w empty`,"
        " or the dashboard's Data page).")


# --- section 3: TTR --------------------------------------------------------------------------

def test_ttr_statistics_and_data_quality(con) -> None:
    """Resolved after 1 h, 2 h, 10 h (P1, P1, P3); one resolved before opened; one open.

    count 3, mean 13/3 = 4.33, median 2, p90 at rank 0.9 * 2 = 1.8 -> 2 + 0.8 * 8 = 8.4.
    P1: 1 and 2 -> mean 1.5, median 1.5, p90 1 + 0.9 * 1 = 1.9. The warning (resolved
    before opened) is counted as resolved and as a warning, never timed.
    """
    ticket(con, "T1", "2024-01-01 08:00+00", "2024-01-01 09:00+00", priority="P1")
    ticket(con, "T2", "2024-01-02 08:00+00", "2024-01-02 10:00+00", priority="P1")
    ticket(con, "T3", "2024-01-03 08:00+00", "2024-01-03 18:00+00", priority="P3")
    ticket(con, "T4", "2024-01-04 08:00+00", "2024-01-04 07:00+00", priority="P3")
    ticket(con, "T5", "2024-01-05 08:00+00", None, priority="P4")
    assert incident_counts(con, UTC) == {"total": 5, "resolved": 4, "open": 1, "warnings": 1}
    ttr = time_to_resolve(con, UTC)
    assert ttr.stats["count"] == 3
    assert ttr.stats["mean_hours"] == pytest.approx(13 / 3)
    assert ttr.stats["median_hours"] == pytest.approx(2.0)
    assert ttr.stats["p90_hours"] == pytest.approx(8.4)
    p1 = ttr.by_priority.filter(pl.col("priority") == "P1").row(0, named=True)
    assert (p1["count"], p1["median_hours"]) == (2, pytest.approx(1.5))
    assert p1["p90_hours"] == pytest.approx(1.9)
    p5 = ttr.by_priority.filter(pl.col("priority") == "P5").row(0, named=True)
    assert (p5["count"], p5["median_hours"]) == (0, None)
    out = metrics_json(con, "acme", UTC)
    assert out["ttr"]["by_priority"]["P3"] == {
        "count": 1, "mean_hours": 10.0, "median_hours": 10.0, "p90_hours": 10.0
    }
    assert out["ttr"]["mean_hours"] == 4.33


def test_monthly_ttr_by_resolved_month_with_empty_months(con) -> None:
    """T1 opened in January and resolved in March counts in March; T2 in January.

    T1: 2024-01-31 23:00 -> 2024-03-01 01:00 = 29 days (leap February) + 2 h = 698 h.
    T2: 2024-01-10 00:00 -> 06:00 = 6 h, month 2024-01. February is empty: count 0,
    median and p90 null (in the JSON too).
    """
    ticket(con, "T1", "2024-01-31 23:00+00", "2024-03-01 01:00+00", category="Email")
    ticket(con, "T2", "2024-01-10 00:00+00", "2024-01-10 06:00+00", category="Email")
    ttr = time_to_resolve(con, UTC)
    assert months(ttr.monthly) == ["2024-01", "2024-02", "2024-03"]
    assert ttr.monthly["count"].to_list() == [1, 0, 1]
    assert ttr.monthly["median_hours"].to_list() == [6.0, None, 698.0]
    out = metrics_json(con, "acme", UTC)
    assert out["ttr"]["monthly"][1] == {
        "month": "2024-02", "count": 0, "median_hours": None, "p90_hours": None
    }
    assert out["downtime"]["monthly"][1] == {
        "month": "2024-02", "incidents": 0, "hours": 0, "recurring_incidents": 0,
        "recurring_hours": 0,
    }
    by_cat = ttr_by_category(con, UTC)
    assert by_cat.select("category", "count", "mean_hours").rows() == [("Email", 2, 352.0)]


# --- section 4: downtime and recurrence ------------------------------------------------------

def test_recurrence_equal_times_and_day_30_boundary(con) -> None:
    """Same client and asset 'srv1'; P1/P2 without minutes are outages.

    A1 2024-01-01 00:00 P1, 2 h. A2 same instant, 90 minutes given -> recurs (equal times
    count; A2 sorts after A1). N1 P3 on srv1 is no outage and breaks nothing.
    A3 2024-01-31 00:00, exactly 30 days after A2 -> recurs, 1 h.
    A4 2024-03-01 00:00:01, 30 days and 1 s after A3 -> does not recur, 4 h.
    Downtime: 4 incidents, 2 + 1.5 + 1 + 4 = 8.5 h; recurring 2 incidents, 2.5 h.
    Monthly: Jan 3 incidents 4.5 h (2 recurring, 2.5 h), Feb 0, Mar 1 incident 4 h.
    """
    ticket(con, "A1", "2024-01-01 00:00+00", "2024-01-01 02:00+00", asset="srv1", priority="P1")
    ticket(con, "A2", "2024-01-01 00:00+00", "2024-01-05 00:00+00", asset="srv1",
           priority="P3", downtime_minutes=90)
    ticket(con, "N1", "2024-01-20 00:00+00", "2024-01-20 05:00+00", asset="srv1", priority="P3")
    ticket(con, "A3", "2024-01-31 00:00+00", "2024-01-31 01:00+00", asset="srv1", priority="P2")
    ticket(con, "A4", "2024-03-01 00:00:01+00", "2024-03-01 04:00:01+00", asset="srv1",
           priority="P1")
    d = downtime(con, UTC)
    assert d.totals == {"incidents": 4, "hours": 8.5, "open_outages": 0,
                        "recurring_incidents": 2, "recurring_hours": 2.5}
    assert d.monthly.rows() == [
        (date(2024, 1, 1), 3, 4.5, 2, 2.5),
        (date(2024, 2, 1), 0, 0.0, 0, 0.0),
        (date(2024, 3, 1), 1, 4.0, 0, 0.0),
    ]
    assert d.top_recurring.rows() == [("acme", "srv1", 4, 8.5)]
    # recurrence_days = 29: A3 (30 days after A2) no longer recurs.
    assert downtime(con, Scenario(recurrence_days=29)).totals["recurring_incidents"] == 1


def test_recurrence_key_falls_back_to_category_per_client(con) -> None:
    """No asset: key is the category. E1, E2 ('Email', acme) 10 days apart -> E2 recurs.

    X1 has the same category at another client: its own key, no recurrence.
    Z1, Z2 have neither asset nor category: no key, never recur, not in top_recurring.
    Top: (acme, Email) 2 incidents, 3 + 1 = 4 h; keys with one incident are left out.
    """
    ticket(con, "E1", "2024-05-01 00:00+00", "2024-05-01 03:00+00", category="Email", priority="P2")
    ticket(con, "E2", "2024-05-11 00:00+00", "2024-05-11 01:00+00", category="Email", priority="P2")
    ticket(con, "X1", "2024-05-12 00:00+00", "2024-05-12 01:00+00", category="Email",
           priority="P2", client="globex")
    ticket(con, "Z1", "2024-05-02 00:00+00", "2024-05-02 01:00+00", priority="P1")
    ticket(con, "Z2", "2024-05-02 00:00+00", "2024-05-02 01:00+00", priority="P1")
    d = downtime(con, UTC)
    assert (d.totals["incidents"], d.totals["recurring_incidents"]) == (5, 1)
    assert d.totals["recurring_hours"] == 1.0
    assert d.top_recurring.rows() == [("acme", "Email", 2, 4.0)]
    only_globex = downtime(con, UTC, Filters(client="globex"))
    assert (only_globex.totals["incidents"], only_globex.totals["recurring_incidents"]) == (1, 0)


def test_recurrence_looks_back_before_the_window(con) -> None:
    """R1 on 2024-01-25 and R2 on 2024-02-05 (11 days): with --from 2024-02 R2 still recurs."""
    ticket(con, "R1", "2024-01-25 00:00+00", "2024-01-25 01:00+00", asset="fw", priority="P1")
    ticket(con, "R2", "2024-02-05 00:00+00", "2024-02-05 02:00+00", asset="fw", priority="P1")
    d = downtime(con, UTC, Filters(month_from="2024-02"))
    assert (d.totals["incidents"], d.totals["recurring_incidents"], d.totals["hours"]) == (1, 1, 2.0)


def test_open_outages_and_downtime_minutes(con) -> None:
    """O1: P1 open, no minutes -> open outage, 0 h. O2: P1 open with 30 minutes -> 0.5 h.

    O3: P4 with 45 minutes -> outage by minutes, 0.75 h. O4: P1 with 0 minutes -> not an
    outage. O5: P2 resolved before opened, no minutes -> outage, 0 h, not open.
    Total 4 incidents, 1.25 h, 1 open outage.
    """
    ticket(con, "O1", "2024-06-01 00:00+00", None, asset="a", priority="P1")
    ticket(con, "O2", "2024-06-02 00:00+00", None, asset="b", priority="P1", downtime_minutes=30)
    ticket(con, "O3", "2024-06-03 00:00+00", "2024-06-03 05:00+00", asset="c", priority="P4",
           downtime_minutes=45)
    ticket(con, "O4", "2024-06-04 00:00+00", "2024-06-04 05:00+00", asset="d", priority="P1",
           downtime_minutes=0)
    ticket(con, "O5", "2024-06-05 00:00+00", "2024-06-04 23:00+00", asset="e", priority="P2")
    d = downtime(con, UTC)
    assert (d.totals["incidents"], d.totals["hours"], d.totals["open_outages"]) == (4, 1.25, 1)
    by_day = downtime_by_day(con, UTC)
    assert by_day.rows() == [
        (date(2024, 6, 1), 1, 0.0), (date(2024, 6, 2), 1, 0.5), (date(2024, 6, 3), 1, 0.75),
        (date(2024, 6, 5), 1, 0.0),
    ]


# --- section 5: spend and break-even ---------------------------------------------------------

def _spend_rows(con) -> None:
    """acme: one January invoice; tickets with billed amounts and labour hours; globex: tickets."""
    ticket(con, "S1", "2024-01-10 00:00+00", "2024-02-02 00:00+00", labour_hours=2,
           billed_amount="300.00")
    ticket(con, "S2", "2024-02-10 00:00+00", None, labour_hours=1, billed_amount="100.50")
    ticket(con, "G1", "2024-01-10 00:00+00", "2024-01-11 00:00+00", client="globex",
           labour_hours=3)
    invoice(con, "I1", 1, "2024-01-31", "1000.00", "labour")
    invoice(con, "I1", 2, "2024-01-31", "300.00", "parts")
    invoice(con, "I1", 3, "2024-01-31", "500.00", "contract")
    invoice(con, "I1", 4, "2024-01-31", "200.00", "other")
    invoice(con, "C1", 1, "2024-02-15", "-150.00", "labour")


def test_spend_from_invoices_parts_contract_and_credit_notes(con) -> None:
    """Invoices win. Jan: labour 1000 + other 200 = 1200 (parts excluded, contract never);
    Feb: credit note -150. With include_parts: Jan 1500. Total 1050, or 1350 with parts.
    """
    _spend_rows(con)
    s = spend(con, UTC, Filters(client="acme"))
    assert s.source == "invoices"
    assert s.monthly["spend"].to_list() == [Decimal(1200), Decimal(-150)]
    assert s.totals["spend_total"] == Decimal(1050)
    with_parts = spend(con, Scenario(include_parts=True), Filters(client="acme"))
    assert with_parts.totals["spend_total"] == Decimal(1350)


def test_spend_source_precedence_on_filtered_data(con) -> None:
    """globex has no invoices and no billed amounts: labour 3 h * 150 = 450 in January.

    acme without its invoices (all deleted): billed amounts, S1 300.00 in February
    (month of resolution), S2 100.50 in February (open: month of opening). The spend
    window is February alone (January has no billed amount landing in it).
    """
    _spend_rows(con)
    g = spend(con, UTC, Filters(client="globex"))
    assert (g.source, g.totals["spend_total"]) == ("labour_hours", Decimal(450))
    con.execute("DELETE FROM invoice_lines")
    a = spend(con, UTC, Filters(client="acme"))
    assert a.source == "billed_amount"
    assert a.monthly.select("spend").to_series().to_list() == [Decimal("400.50")]
    assert a.window == (date(2024, 2, 1), date(2024, 2, 1))


def test_downtime_cost_and_managed_reduction(con) -> None:
    """cost_per_user_hour 50; D1 2 h x 10 users = 1000; D2 1 h x default 3 users = 150.

    Both in March: downtime_cost 1150. No invoices or billed amounts; D1's labour_hours 0
    makes labour hours the source (0 h is data: spend 0), spend window March.
    per_user 100 x users 10 = fee 1000, onboarding 500 in the first (only) month,
    managed_reduction 0.4: managed = 1000 + 500 + 0.6 x 1150 = 2190; breakfix = 1150.
    Break-even: 100 + (1150 - 2190) / (10 x 1) = -4 -> floored at 0.
    """
    ticket(con, "D1", "2024-03-01 00:00+00", "2024-03-01 02:00+00", priority="P1",
           users_affected=10, labour_hours=0)
    ticket(con, "D2", "2024-03-02 00:00+00", "2024-03-02 01:00+00", priority="P2")
    sc = Scenario.from_dict({"cost_per_user_hour": 50, "users_affected_default": 3,
                             "per_user": 100, "users": 10, "onboarding_fee": 500,
                             "managed_reduction": 0.4})
    s = spend(con, sc)
    row = s.monthly.row(0, named=True)
    assert (row["downtime_cost"], row["breakfix"], row["managed"]) == (
        Decimal(1150), Decimal(1150), Decimal(2190))
    assert s.break_even_price_per_user == Decimal(0)
    assert s.cumulative_crossover is None and s.run_rate_crossover is None
    assert spend(con, Scenario.from_dict({**sc.to_dict(), "users": 0})).break_even_price_per_user is None


def _monthly_spend(con, amounts: list[str]) -> None:
    for i, amount in enumerate(amounts, start=1):
        invoice(con, f"M{i}", 1, f"2024-{i:02d}-15", amount, "labour")


def test_crossover_is_strict(con) -> None:
    """Fee 100 (per_user 100, users 1). Jan spend 100: cumulative 100 = 100, not above.
    Feb 101: 201 > 200 -> cumulative crossover 2024-02, and run-rate (TTM = cumulative
    here) from 2024-02 on. Break-even 100 + 1 / (1 x 2) = 100.50.
    """
    _monthly_spend(con, ["100", "101"])
    s = spend(con, Scenario(per_user=100, users=1))
    assert (s.cumulative_crossover, s.run_rate_crossover) == ("2024-02", "2024-02")
    assert s.break_even_price_per_user == Decimal("100.5")
    assert verdict(s) == (
        "Break-fix has cost more than the managed offer since Feb 2024 on the run-rate"
        " (the last 12 months of break-fix against 12 months of the contract), and more in"
        " total since Feb 2024; break-even price 100.50 per user per month"
        " (Jan 2024 to Feb 2024)."
    )
    assert verdict(s, currency="GBP").endswith("break-even price GBP 100.50 per user per month"
                                               " (Jan 2024 to Feb 2024).")


def test_run_rate_crossover_dips_and_recovers(con) -> None:
    """Fee 100. Spend 150, 0, 100, 200, 100 -> cumulative break-fix 150, 150, 250, 450, 550
    against 100, 200, 300, 400, 500: above in Jan, below Feb-Mar, above from Apr.
    Cumulative crossover 2024-01 (the first month above); run-rate 2024-04.
    """
    _monthly_spend(con, ["150", "0", "100", "200", "100"])
    s = spend(con, Scenario(per_user=100, users=1))
    assert (s.cumulative_crossover, s.run_rate_crossover) == ("2024-01", "2024-04")


def test_run_rate_none_when_last_month_not_above(con) -> None:
    """Spend 300, 0, 0: cumulative 300 / 300 / 300 against 100 / 200 / 300. Cumulative
    crossover 2024-01; the last month is equal, not above, so no run-rate crossover."""
    _monthly_spend(con, ["300", "0", "0"])
    s = spend(con, Scenario(per_user=100, users=1))
    assert (s.cumulative_crossover, s.run_rate_crossover) == ("2024-01", None)
    assert verdict(s) == (
        "Break-fix has cost more than the managed offer in total since Jan 2024, but not on"
        " the run-rate (the last 12 months of break-fix against 12 months of the contract)"
        " to Mar 2024; break-even price 100.00 per user per month (Jan 2024 to Mar 2024)."
    )


def test_trailing_twelve_months_drop_old_months(con) -> None:
    """Spend 1200 in 2024-01, then invoices of 0 until 2025-01 (13 months). Fee 100.

    TTM in 2025-01 covers 2024-02..2025-01: break-fix 0, managed 1200. Cumulative:
    1200 against 1300. Break-even: 100 + (1200 - 1300) / 13 = 92.307... -> 92.31.
    """
    invoice(con, "Y1", 1, "2024-01-10", "1200", "labour")
    invoice(con, "Y2", 1, "2025-01-10", "0", "labour")
    s = spend(con, Scenario(per_user=100, users=1))
    last = s.monthly.row(-1, named=True)
    assert (last["ttm_breakfix"], last["ttm_managed"]) == (Decimal(0), Decimal(1200))
    assert (last["cumulative_breakfix"], last["cumulative_managed"]) == (Decimal(1200), Decimal(1300))
    assert s.run_rate_crossover is None
    out = metrics_json(con, "acme", Scenario(per_user=100, users=1))
    assert out["spend"]["break_even_price_per_user"] == 92.31
    assert verdict(s) == (
        "Break-fix has cost more than the managed offer in total since Jan 2024, but not on"
        " the run-rate (the last 12 months of break-fix against 12 months of the contract)"
        " to Jan 2025; break-even price 92.31 per user per month (Jan 2024 to Jan 2025)."
    )


def test_break_even_price_solves_cumulative_equality(con) -> None:
    """Spend 1000 in each of 3 months = 3000. per_user 50, users 10, onboarding 300,
    flat 100: managed = 3 x (500 + 100) + 300 = 2100. Price p with 3 x (10p + 100) + 300
    = 3000 -> p = 80 = 50 + 900 / 30. Never a crossover before: cumulative 1000 > 900
    in Jan already, so both crossovers are 2024-01.
    """
    _monthly_spend(con, ["1000", "1000", "1000"])
    sc = Scenario.from_dict({"per_user": 50, "users": 10, "onboarding_fee": 300,
                             "flat_monthly": 100})
    s = spend(con, sc)
    assert s.monthly_fee == Decimal(600)
    assert s.break_even_price_per_user == Decimal(80)
    assert s.totals["managed_total"] == Decimal(2100)


def test_verdict_without_crossover(con) -> None:
    _monthly_spend(con, ["10", "10"])
    s = spend(con, Scenario(per_user=100, users=1))
    assert verdict(s) == (
        "Break-fix has cost less than the managed offer from Jan 2024 to Feb 2024, in total"
        " and on the run-rate (the last 12 months of break-fix against 12 months of the"
        " contract); break-even price 10.00 per user per month."
    )
    s0 = spend(con, Scenario(per_user=100, users=0, flat_monthly=100))
    assert verdict(s0).endswith("no per-user break-even price (the scenario has 0 users).")


# --- time zones ------------------------------------------------------------------------------

def test_months_in_the_workspace_time_zone_around_dst(con) -> None:
    """Europe/Berlin: CET (+1) until 2024-03-31 01:00 UTC, CEST (+2) until 2024-10-27.

    B1 opened 2024-03-31 22:30 UTC = 2024-04-01 00:30 CEST -> April in Berlin, March in UTC.
    B2 opened 2024-10-31 23:30 UTC = 2024-11-01 00:30 CET -> November (October in UTC).
    B3 opened 2024-03-30 23:00 UTC (00:00 CET on the 31st), resolved 2024-03-31 02:00 UTC
    (04:00 CEST): 4 hours on the wall clock, 3 hours of duration; resolved in March.
    """
    ticket(con, "B1", "2024-03-31 22:30+00", "2024-03-31 23:30+00", priority="P1")
    ticket(con, "B2", "2024-10-31 23:30+00", "2024-11-01 00:30+00", priority="P1")
    ticket(con, "B3", "2024-03-31 00:00+01", "2024-03-31 04:00+02", priority="P1")
    berlin = Scenario(timezone="Europe/Berlin")
    d = downtime(con, berlin).monthly
    counts = dict(zip(months(d), d["incidents"].to_list(), strict=True))
    assert (counts["2024-03"], counts["2024-04"], counts["2024-10"], counts["2024-11"]) == (1, 1, 0, 1)
    assert analysis_window(con, berlin) == ("2024-03", "2024-11")
    assert analysis_window(con, UTC) == ("2024-03", "2024-11")
    utc = downtime(con, UTC).monthly
    utc_counts = dict(zip(months(utc), utc["incidents"].to_list(), strict=True))
    assert (utc_counts["2024-03"], utc_counts["2024-04"], utc_counts["2024-10"]) == (2, 0, 1)
    ttr = time_to_resolve(con, berlin).monthly
    march = ttr.filter(pl.col("month") == date(2024, 3, 1)).row(0, named=True)
    assert (march["count"], march["median_hours"]) == (1, 3.0)


@pytest.mark.parametrize("tz", ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata",
                                "Australia/Lord_Howe", "America/Santiago"])
def test_month_lookup_agrees_with_timezone_function(tz: str) -> None:
    """The per-day month lists give every instant the month timezone() gives it.

    Instants every 7 minutes 30 seconds through 2024, plus each local month start and the
    microseconds around it.
    """
    con = duckdb.connect()
    lists = _day_months(con, tz, date(2024, 1, 1), date(2024, 12, 1))
    mismatches = con.execute(
        """
        WITH instants AS (
            SELECT unnest(generate_series(TIMESTAMPTZ '2024-01-01 00:00+00',
                                          TIMESTAMPTZ '2024-12-31 23:59+00',
                                          INTERVAL 450 SECOND)) AS ts
            UNION ALL
            SELECT timezone($tz, make_timestamp(2024, m, 1, 0, 0, 0)) + INTERVAL (d) MICROSECOND
            FROM range(2, 13) r(m), (VALUES (-1), (0), (1)) v(d)
        ), looked AS (
            SELECT ts, epoch_us(ts) // 86400000000 - $lo_day + 1 AS i FROM instants
        )
        SELECT count(*) FROM looked
        WHERE CASE WHEN epoch_us(ts) >= list_extract($day_boundary, i)
                   THEN list_extract($day_m1, i) ELSE list_extract($day_m0, i) END
              IS DISTINCT FROM CAST(date_trunc('month', timezone($tz, ts)) AS DATE)
        """,
        {"tz": tz, **lists},
    ).fetchall()[0][0]
    assert mismatches == 0


# --- section 7: the JSON ---------------------------------------------------------------------

def test_metrics_json_shape_and_rounding(con) -> None:
    """Two months; money rounded to cents (333.333 -> 333.33), hours to 2 decimals.

    The invoices are all in February: the spend window is 2024-02 alone, so the
    managed total is one fee, 30 (not 60 over the analysis window's two months).
    """
    ticket(con, "J1", "2024-01-01 00:00+00", "2024-01-01 01:20+00", priority="P1", asset="x")
    invoice(con, "I1", 1, "2024-02-01", "333.33", "labour")
    invoice(con, "I1", 2, "2024-02-01", "0.005", "other")
    out = metrics_json(con, "acme", Scenario(per_user=10, users=3))
    json.dumps(out)  # plain JSON types only
    assert list(out)[:7] == ["workspace", "window", "scenario", "incidents", "ttr",
                             "downtime", "spend"]
    assert {"checks", "verdict_state", "verdict"} <= set(out)
    assert out["window"] == {"start": "2024-01", "end": "2024-02"}
    assert out["ttr"]["median_hours"] == 1.33
    assert out["downtime"]["hours"] == 1.33
    assert list(out["ttr"]["by_priority"]) == ["P1", "P2", "P3", "P4", "P5"]
    sp = out["spend"]
    assert (sp["source"], sp["monthly_fee"], sp["breakfix_total"], sp["managed_total"]) == (
        "invoices", 30.0, 333.34, 30.0)
    assert [m["month"] for m in sp["monthly"]] == ["2024-02"]
    assert sp["window"] == {"start": "2024-02", "end": "2024-02"}
    assert sp["excluded"] == {"lines": 0, "amount": 0.0}
    assert sp["monthly"][0] == {
        "month": "2024-02", "spend": 333.34, "downtime_cost": 0.0, "breakfix": 333.34,
        "managed": 30.0, "cumulative_breakfix": 333.34, "cumulative_managed": 30.0,
        "ttm_breakfix": 333.34, "ttm_managed": 30.0,
    }
    assert (sp["cumulative_crossover"], sp["run_rate_crossover"]) == ("2024-02", "2024-02")
    assert set(out["downtime"]) == {"incidents", "hours", "open_outages", "recurring_incidents",
                                    "recurring_hours", "top_recurring", "monthly"}



# --- months stored at load --------------------------------------------------------------------

BERLIN = Scenario(timezone="Europe/Berlin")

# The DST tickets above, plus a recurring pair and an open outage; opened/resolved as instants.
_LOADED = [
    ("B1", "2024-03-31 22:30+00", "2024-03-31 23:30+00", "P1", "srv"),
    ("B2", "2024-10-31 23:30+00", "2024-11-01 00:30+00", "P1", "srv"),
    ("B3", "2024-03-30 23:00+00", "2024-03-31 02:00+00", "P1", None),
    ("R1", "2024-05-31 22:15+00", "2024-06-01 01:00+00", "P2", "fw"),
    ("R2", "2024-06-10 08:00+00", None, "P2", "fw"),
    ("N1", "2024-06-30 23:00+00", "2024-06-30 21:00+00", "P3", None),
]


def load(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str, str | None, str, str | None]]
         ) -> None:
    """Load incidents the way an ingest does (store.write_load), months included."""
    frame = pl.DataFrame(
        {
            "ticket_id": [r[0] for r in rows], "client": ["acme"] * len(rows),
            "opened_at": [r[1] for r in rows], "resolved_at": [r[2] for r in rows],
            "priority": [r[3] for r in rows], "asset": [r[4] for r in rows],
        }
    ).with_columns(
        pl.col("opened_at", "resolved_at").str.to_datetime("%Y-%m-%d %H:%M%#z", time_unit="us")
    )
    frame = frame.with_columns(
        pl.lit(None, dtype=pl.String).alias(c)
        for c in store.INCIDENT_COLUMNS if c not in frame.columns
    ).select(store.INCIDENT_COLUMNS).with_columns(
        pl.col("downtime_minutes", "labour_hours").cast(pl.Float64),
        pl.col("users_affected").cast(pl.Int32),
        pl.col("billed_amount").cast(pl.Decimal(18, 2)),
    )
    summary = store.LoadSummary("t.csv", "incidents", "test", rows_read=len(rows),
                                rows_loaded=len(rows))
    rejects = pl.DataFrame(schema={"row_number": pl.Int64, "reason": pl.String, "raw": pl.String})
    store.write_load(con, summary, str(len(rows)), frame, rejects, datetime.fromisoformat("2024-12-01T00:00+00:00"))


def stored_months(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str | None, str | None]]:
    rows = con.execute(
        "SELECT ticket_id, strftime(opened_month, '%Y-%m'), strftime(resolved_month, '%Y-%m')"
        " FROM incidents ORDER BY ticket_id"
    ).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


@contextmanager
def months_computed_per_call(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Inside, the metrics compute months per call: the stored months' zone is forgotten."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM settings WHERE key = ?", [store.MONTHS_TIMEZONE])
        assert stored_months_timezone(con) is None
        yield
    finally:
        con.execute("ROLLBACK")


def computed(con: duckdb.DuckDBPyConnection, scenario: Scenario) -> dict[str, object]:
    """metrics_json with the months computed per call."""
    with months_computed_per_call(con):
        return metrics_json(con, "acme", scenario)


def test_loads_store_months_in_the_scenario_time_zone(con) -> None:
    """Saved zone Europe/Berlin: B1 (2024-03-31 22:30 UTC) opened in April there;
    R1 (2024-05-31 22:15 UTC) opened in June; N1 (2024-06-30 23:00 UTC) opened in July
    and 'resolved' (before opening) on 2024-06-30 23:00 Berlin, June; R2 is open."""
    save_scenario(con, BERLIN)
    load(con, _LOADED)
    assert stored_months_timezone(con) == "Europe/Berlin"
    assert stored_months(con) == {
        "B1": ("2024-04", "2024-04"), "B2": ("2024-11", "2024-11"),
        "B3": ("2024-03", "2024-03"), "N1": ("2024-07", "2024-06"),
        "R1": ("2024-06", "2024-06"), "R2": ("2024-06", None),
    }


@pytest.mark.parametrize("stored_tz", ["UTC", "Europe/Berlin"])
def test_stored_months_give_the_figures_computed_months_give(con, stored_tz: str) -> None:
    """Same JSON from the stored months as from months computed per call, with and
    without filters; a call in another zone (a --scenario file) computes its months."""
    save_scenario(con, Scenario(timezone=stored_tz))
    load(con, _LOADED)
    for scenario in (UTC, BERLIN):
        assert metrics_json(con, "acme", scenario) == computed(con, scenario)
    out = metrics_json(con, "acme", BERLIN)
    by_month = {m["month"]: m["incidents"] for m in out["downtime"]["monthly"]}
    assert (by_month["2024-03"], by_month["2024-04"], by_month["2024-06"]) == (1, 1, 2)
    assert out["incidents"] == {"total": 6, "resolved": 5, "open": 1, "warnings": 1}
    filters = Filters(month_from="2024-04", month_to="2024-06", client="acme")
    for scenario in (UTC, BERLIN):
        fast = (time_to_resolve(con, scenario, filters), downtime(con, scenario, filters),
                spend(con, scenario, filters))
        with months_computed_per_call(con):
            slow = (time_to_resolve(con, scenario, filters), downtime(con, scenario, filters),
                    spend(con, scenario, filters))
        for a, b in ((fast[0].monthly, slow[0].monthly), (fast[0].by_priority, slow[0].by_priority),
                     (fast[1].monthly, slow[1].monthly), (fast[2].monthly, slow[2].monthly)):
            assert a.to_dicts() == b.to_dicts()
        assert fast[0].stats == slow[0].stats and fast[1].totals == slow[1].totals


def test_saving_another_time_zone_recomputes_the_stored_months(con) -> None:
    """Loaded in UTC: B1 in March; saving Europe/Berlin moves it to April, and back."""
    load(con, _LOADED)
    assert stored_months_timezone(con) == "UTC"
    assert stored_months(con)["B1"] == ("2024-03", "2024-03")
    save_scenario(con, BERLIN)
    assert stored_months_timezone(con) == "Europe/Berlin"
    assert stored_months(con)["B1"] == ("2024-04", "2024-04")
    assert metrics_json(con, "acme", BERLIN) == computed(con, BERLIN)
    save_scenario(con, Scenario(timezone="UTC", per_user=90))
    assert stored_months(con)["B1"] == ("2024-03", "2024-03")
    save_scenario(con, Scenario(timezone="UTC", per_user=95))  # same zone: months untouched
    assert stored_months_timezone(con) == "UTC"


def test_a_workspace_from_before_the_stored_months_is_upgraded(con) -> None:
    """Read as it is (read-only), its months are computed per call; ensure_schema adds
    and fills the columns in the stored scenario's zone."""
    store.set_setting(con, "scenario", BERLIN.to_dict())
    load(con, _LOADED)
    expected = metrics_json(con, "acme", BERLIN)
    con.execute("DELETE FROM settings WHERE key = ?", [store.MONTHS_TIMEZONE])
    con.execute("ALTER TABLE incidents DROP COLUMN opened_month")
    con.execute("ALTER TABLE incidents DROP COLUMN resolved_month")
    assert stored_months_timezone(con) is None
    assert metrics_json(con, "acme", BERLIN) == expected
    store.ensure_schema(con)
    assert stored_months_timezone(con) == "Europe/Berlin"
    assert stored_months(con)["B1"] == ("2024-04", "2024-04")
    assert metrics_json(con, "acme", BERLIN) == expected


def test_a_workspace_that_stored_the_recurrence_key_is_upgraded(con) -> None:
    """Files before 2026-12 stored recurrence_key (asset, else category); it is computed on
    read now. Read as it is, such a file gives the same figures; ensure_schema drops the
    column, and the figures stay the same."""
    load(con, _LOADED)
    expected = metrics_json(con, "acme", UTC)
    con.execute("ALTER TABLE incidents ADD COLUMN recurrence_key VARCHAR")
    # A stale value must not matter: nothing reads the stored column any more.
    con.execute("UPDATE incidents SET recurrence_key = 'stale'")
    assert metrics_json(con, "acme", UTC) == expected
    store.ensure_schema(con)
    columns = {c for (c,) in con.execute("SELECT column_name FROM duckdb_columns()"
                                         " WHERE table_name = 'incidents'").fetchall()}
    assert "recurrence_key" not in columns and "asset" in columns
    assert metrics_json(con, "acme", UTC) == expected


def test_rows_without_stored_months_make_the_call_compute_them(con) -> None:
    """A row written without months (by hand, by an older tool) is not trusted to the
    stored months of the others: B9 opened 2024-06-30 22:30 UTC is July in Berlin."""
    save_scenario(con, BERLIN)
    load(con, _LOADED)
    ticket(con, "B9", "2024-06-30 22:30+00", "2024-06-30 23:00+00", priority="P1", asset="srv",
           bare=True)
    assert stored_months(con)["B9"] == (None, None)
    out = metrics_json(con, "acme", BERLIN)
    assert out == computed(con, BERLIN)
    by_month = {m["month"]: m["incidents"] for m in out["downtime"]["monthly"]}
    assert (by_month["2024-06"], by_month["2024-07"]) == (2, 1)


def test_mean_ttr_is_the_same_on_every_call_in_another_time_zone(tmp_path) -> None:
    """The mean is a compensated sum over a count: the same figure whatever order DuckDB's
    threads add the rows in. (avg() gave another last digit from call to call on a few
    hundred thousand tickets once months were computed per row, in a zone other than the
    stored months'.)"""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from bench_metrics import build

    path = tmp_path / "w.duckdb"
    build(path, 400_000)
    con = duckdb.connect(str(path), read_only=True)
    sydney = Scenario(timezone="Australia/Sydney")
    means = {time_to_resolve(con, sydney).stats["mean_hours"] for _ in range(12)}
    assert len(means) == 1, means
