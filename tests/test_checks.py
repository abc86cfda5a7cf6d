"""The spend window, exclusions and evidence checks (METRICS.md sections 5, 7 and 8).

Each test builds a workspace in memory from a handful of rows worked out by hand in its
docstring; every check is shown firing just past its threshold and not firing at it.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from helpers import ticket

from pipelines import cli, store, workspace
from pipelines.metrics import Filters, metrics_json, spend
from pipelines.metrics.spend import largest_lines
from pipelines.scenario import Scenario

FEE_100 = Scenario(per_user=100, users=1)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    store.ensure_schema(c)
    return c


def invoice(
    con: duckdb.DuckDBPyConnection, invoice_id: str, day: str, amount: str, kind: str = "labour",
    *, line_no: int = 1, description: str | None = None, client: str | None = "acme",
) -> None:
    con.execute(
        "INSERT INTO invoice_lines (invoice_id, line_no, invoice_date, client, description,"
        " amount, kind, load_id) VALUES (?, ?, CAST(? AS DATE), ?, ?, CAST(? AS DECIMAL(18,2)),"
        " ?, 1)",
        [invoice_id, line_no, day, client, description, amount, kind],
    )


def monthly_invoices(con: duckdb.DuckDBPyConnection, months: list[str], amount: str = "50") -> None:
    """One labour line of `amount` on the 15th of each 'YYYY-MM'."""
    for i, m in enumerate(months, start=1):
        invoice(con, f"M{i}", f"{m}-15", amount)


def year(y: int = 2024) -> list[str]:
    return [f"{y}-{m:02d}" for m in range(1, 13)]


def checks(con: duckdb.DuckDBPyConnection, scenario: Scenario = FEE_100) -> dict[str, dict]:
    """The checks that fired, by id (ids are unique)."""
    out = metrics_json(con, "acme", scenario)
    return {c["id"]: c for c in out["checks"]}


# --- section 5: the spend window --------------------------------------------------------------

def test_a_ledger_that_stops_before_the_tickets_is_compared_only_where_it_has_data(con) -> None:
    """Tickets Jan 2024 - Dec 2025 (one on the 1st of every month); invoices of 500 in
    each month of 2025 only. Fee 100, onboarding 1000.

    The analysis window is 2024-01..2025-12 (24 months) but the spend window is
    2025-01..2025-12: 12 months, break-fix 12 x 500 = 6000, managed 12 x 100 + 1000 = 2200
    (onboarding in 2025-01, the spend window's first month). Break-even per user:
    100 + (6000 - 2200) / (1 x 12) = 416.67. Cumulative 500 / 1000 / 1500 against
    1100 / 1200 / 1300: crossover 2025-03 (TTM = cumulative: run-rate from 2025-03).
    12 of 24 tickets (50%) are outside the spend window.
    """
    for i, m in enumerate(year(2024) + year(2025)):
        ticket(con, f"T{i}", f"{m}-01 09:00+00", f"{m}-01 10:00+00")
    monthly_invoices(con, year(2025), "500")
    sc = Scenario(per_user=100, users=1, onboarding_fee=1000)
    out = metrics_json(con, "acme", sc)
    sp = out["spend"]
    assert out["window"] == {"start": "2024-01", "end": "2025-12"}
    assert sp["window"] == {"start": "2025-01", "end": "2025-12"}
    assert [m["month"] for m in sp["monthly"]] == year(2025)
    assert (sp["breakfix_total"], sp["managed_total"]) == (6000.0, 2200.0)
    assert sp["monthly"][0]["managed"] == 1100.0 and sp["monthly"][1]["managed"] == 100.0
    assert sp["break_even_price_per_user"] == 416.67
    assert (sp["cumulative_crossover"], sp["run_rate_crossover"]) == ("2025-03", "2025-03")
    assert out["verdict_state"] == "breakfix_dearer"
    assert [c["id"] for c in out["checks"]] == ["tickets_outside_spend"]
    assert out["checks"][0]["message"] == (
        "12 of 24 (50%) tickets were opened outside the months the spend data covers"
        " (Jan 2025 to Dec 2025): 12 before Jan 2025. Their months are not in the cost"
        " comparison. Load invoices for those months, or look at the spend months only:"
        " `breakeven metrics -w acme --from 2025-01 --to 2025-12` (the dashboard's Months"
        " filter).")


def test_no_source_has_null_figures_and_only_the_no_spend_check(con) -> None:
    """Tickets in Jan and Jun 2024 with no labour hours or billed amounts, no invoices
    (the UCI ServiceNow log): no source. Totals, crossovers and break-even null, monthly
    [], the fee (125 x 25 = 3125) stays. no_spend blocks; short_window and
    tickets_outside_spend do not fire; the ticket check zero_durations (1 of 2 resolved
    at the instant opened, 50%) still does.
    """
    ticket(con, "U1", "2024-01-10 09:00+00", "2024-01-10 09:00+00", priority="P3")
    ticket(con, "U2", "2024-06-10 09:00+00", "2024-06-11 09:00+00", priority="P3")
    out = metrics_json(con, "acme", Scenario())
    sp = out["spend"]
    assert sp["source"] is None
    for key in ("breakfix_total", "managed_total", "downtime_cost_total", "cumulative_crossover",
                "run_rate_crossover", "break_even_price_per_user"):
        assert sp[key] is None, key
    assert sp["monthly"] == [] and sp["monthly_fee"] == 3125.0
    assert sp["window"] == {"start": None, "end": None}
    assert [(c["id"], c["level"]) for c in out["checks"]] == [
        ("no_spend", "block"), ("zero_durations", "warn")]
    assert out["verdict_state"] == "insufficient"
    assert out["verdict"].startswith("No verdict: there is no spend data")
    assert "Jan 2024 to Jun 2024" in out["checks"][0]["message"]


def test_labour_hours_zero_is_data_and_null_is_not(con) -> None:
    """L1 (Mar) has labour_hours 0: source labour_hours, spend window 2024-03 alone, spend 0.
    Without it (only L2, hours NULL, in May) there is no source."""
    ticket(con, "L2", "2024-05-01 09:00+00", "2024-05-01 10:00+00")
    assert spend(con, FEE_100).source is None
    ticket(con, "L1", "2024-03-01 09:00+00", "2024-03-01 10:00+00", labour_hours=0)
    s = spend(con, FEE_100)
    assert s.source == "labour_hours" and s.window_text == ("2024-03", "2024-03")
    assert s.totals["spend_total"] == Decimal(0)


def test_billed_amount_window_follows_the_month_the_spend_lands_in(con) -> None:
    """B1 opened Jan, resolved Apr, billed 200 -> April; B2 opened Feb, open, billed 50 ->
    February; B3 (Jun) has no amount. Spend window 2024-02..2024-04 (3 months)."""
    ticket(con, "B1", "2024-01-05 09:00+00", "2024-04-02 09:00+00", billed_amount="200")
    ticket(con, "B2", "2024-02-05 09:00+00", billed_amount="50")
    ticket(con, "B3", "2024-06-05 09:00+00", "2024-06-06 09:00+00")
    s = spend(con, FEE_100)
    assert s.source == "billed_amount" and s.window_text == ("2024-02", "2024-04")
    assert s.monthly["spend"].to_list() == [Decimal(50), Decimal(0), Decimal(200)]


def test_exclude_spend_matches_description_or_client_case_insensitively(con) -> None:
    """Three months of one invoice each: Jan labour 100 'Laptop repair'; Feb other 10,000
    'Help to Buy costs'; Mar labour 300 for client 'Mortgage Guarantee Co'; plus a Feb
    contract line 'help to buy admin' of 999 (never spend, so never listed as excluded).

    exclude_spend ["HELP TO BUY", "mortgage"]: excluded 2 lines, 10,300; spend 100 in Jan,
    0 in Feb and Mar. The spend window stays Jan..Mar: excluded lines are still the
    ledger's lines. Without the setting, Feb's line is 10,000 / 10,400 = 96% of the
    counted total (dominant_lines); with it the only counted line is Jan's (100%).
    """
    invoice(con, "I1", "2024-01-10", "100", description="Laptop repair")
    invoice(con, "I2", "2024-02-10", "10000", "other", description="Help to Buy costs")
    invoice(con, "I2", "2024-02-10", "999", "contract", line_no=2, description="help to buy admin")
    invoice(con, "I3", "2024-03-10", "300", client="Mortgage Guarantee Co")
    plain = metrics_json(con, "acme", FEE_100)
    assert plain["spend"]["excluded"] == {"lines": 0, "amount": 0.0}
    assert plain["spend"]["breakfix_total"] == 10400.0
    sc = Scenario(per_user=100, users=1, exclude_spend=("HELP TO BUY", "mortgage"))
    out = metrics_json(con, "acme", sc)
    sp = out["spend"]
    assert sp["excluded"] == {"lines": 2, "amount": 10300.0}
    assert [m["spend"] for m in sp["monthly"]] == [100.0, 0.0, 0.0]
    assert sp["window"] == {"start": "2024-01", "end": "2024-03"}
    assert out["scenario"]["exclude_spend"] == ["HELP TO BUY", "mortgage"]
    top = largest_lines(con, sc)
    assert top["invoice_id"].to_list() == ["I1"] and top["share"].to_list() == [1.0]
    gone = largest_lines(con, sc, excluded=True)
    assert gone["invoice_id"].to_list() == ["I2", "I3"]


# --- section 8: each check at its threshold -------------------------------------------------

def test_no_spend_fires_without_data_and_not_with_an_invoice(con) -> None:
    """One ticket, no spend data: no_spend. An invoice line of any kind (here a contract
    line, which is not break-fix) makes invoices the source: no_spend is gone."""
    ticket(con, "T1", "2024-01-10 09:00+00", "2024-01-11 09:00+00")
    assert checks(con)["no_spend"]["level"] == "block"
    invoice(con, "C1", "2024-01-31", "500", "contract")
    assert "no_spend" not in checks(con)
    assert spend(con, FEE_100).source == "invoices"


@pytest.mark.parametrize(("months", "level"), [
    (2, "block"),   # fewer than 3: no verdict
    (3, "warn"),    # 3 is enough for a verdict, short of a year
    (11, "warn"),
    (12, None),     # a full run-rate year
])
def test_short_window_thresholds(con, months: int, level: str | None) -> None:
    """Invoices in Jan .. month `months` of 2024 (first and last month make the window)."""
    monthly_invoices(con, [year()[0], year()[months - 1]])
    fired = checks(con).get("short_window")
    assert (fired or {}).get("level") == level
    out = metrics_json(con, "acme", FEE_100)
    assert (out["verdict_state"] == "insufficient") == (level == "block")


def test_short_window_block_says_so_in_the_verdict(con) -> None:
    """Invoices in Jan and Feb 2024 only: 2 months."""
    monthly_invoices(con, ["2024-01", "2024-02"])
    out = metrics_json(con, "acme", FEE_100)
    assert out["verdict"] == (
        "No verdict: the spend data covers only 2 months (Jan 2024 to Feb 2024); a verdict"
        " needs at least 3.")


@pytest.mark.parametrize(("inside", "outside", "fires"), [
    (4, 1, False),  # 1 of 5 = 20%: not more than 20%
    (7, 2, True),   # 2 of 9 = 22%
])
def test_tickets_outside_spend_threshold(con, inside: int, outside: int, fires: bool) -> None:
    """Invoices every month of 2024 (spend window 2024-01..2024-12); `inside` tickets in
    2024 and `outside` in 2023 (before the spend window, inside the analysis window)."""
    monthly_invoices(con, year())
    for i in range(inside):
        ticket(con, f"I{i}", f"2024-{i + 1:02d}-03 09:00+00", f"2024-{i + 1:02d}-03 11:00+00")
    for i in range(outside):
        ticket(con, f"O{i}", f"2023-{i + 1:02d}-03 09:00+00", f"2023-{i + 1:02d}-03 11:00+00")
    assert ("tickets_outside_spend" in checks(con)) is fires


def test_spend_gaps_two_months_fire_one_does_not(con) -> None:
    """Invoices Jan, Mar, Apr, Jul 2024: Feb alone is a 1-month gap (no warning); May-Jun is
    2 consecutive months without a line (warning naming them). A contract line in May
    covers May: then no run of 2 is left."""
    monthly_invoices(con, ["2024-01", "2024-03", "2024-04", "2024-07"])
    fired = checks(con)["spend_gaps"]
    assert fired["message"] == (
        "No invoice line in May 2024 to Jun 2024 (2 months with no invoice inside the spend"
        " window Jan 2024 to Jul 2024): break-fix looks cheaper there than it was if invoices"
        " are missing. Load the invoices for those months (`breakeven ingest INVOICES.csv -w"
        " acme`).")
    invoice(con, "K1", "2024-05-31", "700", "contract")
    assert "spend_gaps" not in checks(con)


def test_spend_gaps_only_for_invoices(con) -> None:
    """Labour hours in Jan and Apr 2024 (Feb-Mar empty): the source is not invoices."""
    ticket(con, "L1", "2024-01-05 09:00+00", "2024-01-05 10:00+00", labour_hours=1)
    ticket(con, "L2", "2024-04-05 09:00+00", "2024-04-05 10:00+00", labour_hours=1)
    assert "spend_gaps" not in checks(con)


def test_dominant_lines_at_25_percent_and_just_over(con) -> None:
    """Four counted lines in Jan-Apr 2024 of 25 each = 100: each is exactly 25%, not over.
    Raise Jan's to 26 (total 101): 26 / 101 = 25.7% > 25% -> fires, naming that line
    (the others, 25 / 101 = 24.8%, are not over). A parts line of 1000 is not counted."""
    for i, m in enumerate(["2024-01", "2024-02", "2024-03", "2024-04"], start=1):
        invoice(con, f"D{i}", f"{m}-10", "25", description=f"Call-out {i}")
    invoice(con, "P1", "2024-02-10", "1000", "parts", description="Server")
    assert "dominant_lines" not in checks(con)
    con.execute("UPDATE invoice_lines SET amount = 26 WHERE invoice_id = 'D1'")
    assert checks(con)["dominant_lines"]["message"] == (
        "One invoice line is over 25% of the 101 counted as break-fix: invoice D1 line 1 of"
        " 10 Jan 2024 (Call-out 1), 26 (26%). If a line is not IT break-fix work, leave it"
        " out: `breakeven scenario -w acme --set exclude_spend=\"Call-out 1\"`, or the"
        " Exclude button under the largest lines on the dashboard's Spend page.")
    # Left out, the three lines of 25 are each 25 / 75 = 33% of what is left: all named.
    sc = Scenario(per_user=100, users=1, exclude_spend=("call-out 1",))
    assert checks(con, sc)["dominant_lines"]["message"].startswith(
        "3 invoice lines are each over 25% of the 75 counted as break-fix: invoice D2 line 1")


def test_dominant_lines_names_at_most_five(con) -> None:
    """Three lines of 100 in Jan-Mar 2024: 33% each, all three named; with credit notes
    bringing the counted total to 0 no share is meaningful and nothing fires."""
    for i, m in enumerate(["2024-01", "2024-02", "2024-03"], start=1):
        invoice(con, f"D{i}", f"{m}-10", "100", description=f"Visit {i}, on site")
    msg = checks(con)["dominant_lines"]["message"]
    assert msg.count("invoice D") == 3
    assert 'exclude_spend="Visit 1,Visit 2,Visit 3"' in msg  # each up to its first comma
    invoice(con, "CN", "2024-03-20", "-300")
    assert "dominant_lines" not in checks(con)


@pytest.mark.parametrize(("by_asset", "by_category", "fires"), [
    (2, 2, False),  # 2 of 4 keyed outages by category: half, not more than half
    (2, 3, True),   # 3 of 5
])
def test_category_recurrence_threshold(con, by_asset: int, by_category: int, fires: bool) -> None:
    """P1 outages in 2024 keyed by asset 'srv' or by category 'Email'; one more P1 with
    neither (no key) is left out of both counts. Plus a labour line so there is spend."""
    invoice(con, "I1", "2024-01-31", "10")
    n = 0
    for kind, count in (("asset", by_asset), ("category", by_category)):
        for _ in range(count):
            n += 1
            ticket(con, f"P{n}", f"2024-01-{n:02d} 09:00+00", f"2024-01-{n:02d} 10:00+00",
                   priority="P1", **{kind: "srv" if kind == "asset" else "Email"})
    ticket(con, "NK", "2024-01-20 09:00+00", "2024-01-20 10:00+00", priority="P1")
    assert ("category_recurrence" in checks(con)) is fires


def _ticket_csv(path: Path, rows: int) -> Path:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Ticket Number", "Created", "Resolved", "Priority"])
        for i in range(rows):
            day = 1 + i % 28
            w.writerow([f"T{i}", f"2024-03-{day:02d} 09:{i % 60:02d}:{i % 59:02d}",
                        f"2024-03-{day:02d} 17:00:00", "P3"])
    return path


@pytest.mark.parametrize(("rows", "fires"), [(1_000, True), (999, False)])
def test_capped_export_on_a_real_load(tmp_path: Path, rows: int, fires: bool) -> None:
    """A generic ticket CSV of exactly 1,000 rows read (a tool's export limit) warns,
    naming the file; 999 rows do not."""
    data = tmp_path / "data"
    f = _ticket_csv(tmp_path / "tickets.csv", rows)
    assert cli.main(["ingest", str(f), "-w", "capped", "--data-dir", str(data)]) == 0
    with workspace.connect("capped", data, read_only=True) as c:
        out = metrics_json(c, "capped", Scenario())
    fired = {x["id"]: x for x in out["checks"]}
    assert ("capped_export" in fired) is fires
    if fires:
        assert fired["capped_export"]["message"].startswith(
            "The ticket file tickets.csv (1,000 rows) has exactly the row limit")


@pytest.mark.parametrize(("tickets", "sharing", "fires"), [
    (10, 2, False),  # 2 of 10 on one second = 20%: not more than 20%
    (9, 2, True),    # 2 of 9 = 22%
    (1, 1, False),   # one ticket shares its second with nobody
])
def test_import_timestamps_threshold(con, tickets: int, sharing: int, fires: bool) -> None:
    """`sharing` tickets opened 2024-02-01 08:00:00.2 and .7 (the same second), the others
    a minute apart each."""
    invoice(con, "I1", "2024-02-28", "10")
    for i in range(tickets):
        opened = (f"2024-02-01 08:00:00.{2 + 5 * (i % 2)}+00" if i < sharing
                  else f"2024-02-01 09:{i:02d}:00+00")
        ticket(con, f"T{i}", opened, "2024-02-02 08:00:00+00")
    fired = checks(con).get("import_timestamps")
    assert (fired is not None) is fires
    if fires:
        assert "at the same second, 2024-02-01 08:00:00" in fired["message"]


@pytest.mark.parametrize("tz", ["UTC", "Europe/Berlin"])
@pytest.mark.parametrize(("same_second", "other_seconds", "fires"), [
    (2, 0, True),   # 3 of 14 tickets on 2024-03-01 00:30:00 UTC = 21%
    (1, 0, False),  # 2 of 13 = 15%
    (0, 4, False),  # March holds 5 of 16 (31%), its day too, but no second is shared
    (2, 4, False),  # 3 of 18 = 17% on the second, within a crowded day and month
    (3, 4, True),   # 4 of 19 = 21%
])
def test_import_timestamps_across_months(con, tz: str, same_second: int, other_seconds: int,
                                         fires: bool) -> None:
    """One ticket at 00:30:00 UTC on the 1st of each month of 2024 (in Berlin 01:30, the
    same month; the shared second is counted as an instant in either zone, months stored
    in UTC or computed for Berlin); `same_second` more opened at 2024-03-01 00:30:00 UTC
    and `other_seconds` more that day, each on its own second. The check looks only at
    months and days that hold more than 20% of the tickets, so a quiet month never hides
    a shared second and a crowded month without one does not fire."""
    monthly_invoices(con, year())
    for m in range(1, 13):
        ticket(con, f"M{m}", f"2024-{m:02d}-01 00:30:00+00", f"2024-{m:02d}-02 00:00:00+00")
    for i in range(same_second):
        ticket(con, f"S{i}", "2024-03-01 00:30:00+00", "2024-03-02 00:00:00+00")
    for i in range(other_seconds):
        ticket(con, f"O{i}", f"2024-03-01 0{2 + i}:00:00+00", "2024-03-02 00:00:00+00")
    fired = checks(con, Scenario(per_user=100, users=1, timezone=tz)).get("import_timestamps")
    assert (fired is not None) is fires
    if fires:
        shown = "2024-03-01 01:30:00" if tz == "Europe/Berlin" else "2024-03-01 00:30:00"
        assert f"at the same second, {shown}" in fired["message"]
        assert fired["message"].startswith(f"{same_second + 1:,} of {12 + same_second + other_seconds:,}")


@pytest.mark.parametrize(("resolved", "zero", "fires"), [
    (5, 1, False),  # 1 of 5 resolved at the instant opened = 20%
    (9, 2, True),   # 2 of 9 = 22%
])
def test_zero_durations_threshold(con, resolved: int, zero: int, fires: bool) -> None:
    """`zero` tickets resolved at their opening instant, the others an hour later; an open
    ticket is not among the resolved ones."""
    invoice(con, "I1", "2024-02-28", "10")
    for i in range(resolved):
        opened = f"2024-02-{i + 1:02d} 08:00:00+00"
        done = opened if i < zero else f"2024-02-{i + 1:02d} 09:00:00+00"
        ticket(con, f"T{i}", opened, done)
    ticket(con, "OPEN", "2024-02-20 08:00:00+00")
    assert ("zero_durations" in checks(con)) is fires


# --- verdict_state and order ------------------------------------------------------------------

@pytest.mark.parametrize(("amounts", "state"), [
    (["150"] * 12, "breakfix_dearer"),               # run-rate crossover 2024-01
    (["150"] * 8 + ["0"] * 4, "mixed"),              # cumulative 2024-01; Dec TTM 1200 = 1200
    (["50"] * 12, "breakfix_cheaper"),               # never above
])
def test_verdict_state(con, amounts: list[str], state: str) -> None:
    """Fee 100 a month over Jan-Dec 2024, break-fix as listed."""
    for i, amount in enumerate(amounts, start=1):
        invoice(con, f"V{i}", f"2024-{i:02d}-15", amount)
    out = metrics_json(con, "acme", FEE_100)
    assert out["checks"] == [] and out["verdict_state"] == state


def test_checks_keep_the_table_order(con) -> None:
    """Invoices Jan and Apr 2024 (4 months: short_window warn; Feb-Mar a gap; the two
    lines 50% each: dominant_lines); tickets in 2023 (outside); two category-keyed P1
    outages; both tickets resolved at their opening instant, at the same second."""
    monthly_invoices(con, ["2024-01", "2024-04"])
    for i in range(2):
        ticket(con, f"T{i}", "2023-06-01 08:00:00+00", "2023-06-01 08:00:00+00",
               priority="P1", category="Email")
    out = metrics_json(con, "acme", FEE_100)
    assert [c["id"] for c in out["checks"]] == [
        "short_window", "tickets_outside_spend", "spend_gaps", "dominant_lines",
        "category_recurrence", "import_timestamps", "zero_durations"]
    assert all(set(c) == {"id", "level", "message"} for c in out["checks"])
    assert out["verdict_state"] == "breakfix_cheaper"  # 100 + 100 < 400 managed


def test_counts_follow_the_filters(con) -> None:
    """A client or months with nothing in them count no incidents (issue 9)."""
    ticket(con, "T1", "2024-01-10 09:00+00", "2024-01-11 09:00+00")
    for filters in ({"client": "nobody"}, {"month_from": "2030-01"}):
        out = metrics_json(con, "acme", Scenario(), Filters(**filters))
        assert out["incidents"] == {"total": 0, "resolved": 0, "open": 0, "warnings": 0}
        assert out["checks"][0]["id"] == "no_spend"


def test_inspect_says_what_a_ticket_file_without_core_columns_will_lack(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Ticket Number, Created, Priority only: no resolved time, no time worked or billed
    amount, no asset -> three warnings, each naming the --map fix. With Resolved, Asset and
    Hours Worked columns, none."""
    bare = tmp_path / "bare.csv"
    bare.write_text("Ticket Number,Created,Priority\nT1,2024-03-14 09:00,P1\n")
    assert cli.main(["inspect", str(bare)]) == 0
    warnings = [line for line in capsys.readouterr().out.splitlines() if "warning:" in line]
    assert warnings == [
        ("  warning: No resolved (or closed) time: every ticket will count as open, so there is"
        " no time to resolve, and downtime hours only where an outage duration is given. If"
        " the file has such a column, map it (--map resolved_at=HEADER)."),
        ("  warning: No time-worked or billed column: break-fix spend must come from the IT"
        " provider's invoices (load them too), else there is no verdict. If the file has such"
        " a column, map it (--map labour_hours=HEADER or --map billed_amount=HEADER)."),
        ("  warning: No asset (device, configuration item or service) column: recurring outages"
        " will be judged by category, not by the same device failing again. If the file has"
        " such a column, map it (--map asset=HEADER)."),
    ]
    full = tmp_path / "full.csv"
    full.write_text("Ticket Number,Created,Resolved,Priority,Asset,Labour Hours\n"
                    "T1,2024-03-14 09:00,2024-03-14 10:00,P1,srv1,1.5\n")
    assert cli.main(["inspect", str(full)]) == 0
    assert "warning:" not in capsys.readouterr().out


# --- the shells: the dashboard shows the checks where the verdict is -------------------------

def _tickets_only(data: Path, tmp_path: Path) -> None:
    """Two months of tickets with no time worked, no amounts, no asset: no_spend blocks."""
    f = tmp_path / "log.csv"
    f.write_text("Ticket Number,Created,Resolved,Priority,Category\n"
                 "T1,2024-01-03 09:00,2024-01-03 12:00,P1,Email\n"
                 "T2,2024-02-05 09:00,2024-02-05 10:00,P1,Email\n")
    assert cli.main(["ingest", str(f), "-w", "log", "--data-dir", str(data)]) == 0


def test_overview_replaces_the_verdict_by_what_is_missing(
        data_dir: Path, tmp_path: Path) -> None:
    """The Overview of a log without spend: no verdict, the no_spend message with a link to
    the Data page, the category warning under it with a link to Downtime, no cost chart."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    _tickets_only(data_dir, tmp_path)
    app = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
    at = AppTest.from_file(str(app), default_timeout=60).run()
    assert not at.exception, at.exception
    heading = next(m.value for m in at.markdown if m.value.startswith("#### "))
    assert heading.startswith("#### No verdict: there is no spend data")
    assert any(m.value.startswith("No spend data from Jan 2024 to Feb 2024") for m in at.markdown)
    assert [w.value[:40] for w in at.warning] == ["2 of 2 (100%) outages have no asset, so "]
    assert [e.proto.page for e in at.get("page_link")] == ["data", "downtime"]
    assert not at.get("plotly_chart")


@pytest.mark.browser
def test_a_click_on_the_spend_page_excludes_a_line(data_dir: Path, tmp_path: Path) -> None:
    """Invoices of 100 (a laptop repair: parts, not counted), 150 and 10,000 ('Help to Buy
    costs') over Jan-Mar 2024: the Spend page lists the 10,000 line first (98.5% of 10,150);
    selecting it and clicking Exclude
    stores exclude_spend ['Help to Buy costs'] in the workspace; the JSON then leaves out
    1 line of 10,000. Screenshot: artifacts/verdicts/exclude-click.png."""
    import shutil

    from helpers import CHROMIUM_ARGS, Server
    from playwright.sync_api import sync_playwright

    from pipelines.scenario import load_scenario

    f = tmp_path / "ledger.csv"
    f.write_text("Invoice Number,Date,Description,Amount\n"
                 "A1,2024-01-10,Laptop repair,100.00\nA2,2024-02-10,Network call-out,150.00\n"
                 "A3,2024-03-10,Help to Buy costs,10000.00\n")
    assert cli.main(["ingest", str(f), "-w", "ledger", "--data-dir", str(data_dir)]) == 0
    out_dir = Path(__file__).resolve().parent.parent / "artifacts" / "verdicts"
    out_dir.mkdir(parents=True, exist_ok=True)
    srv = Server(data_dir, tmp_path / "server.log")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"),
                                        args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.goto(f"{srv.url}/spend")
            # The subheader itself: the check under the verdict names it in bold too, and
            # which of the two is drawn first depends on timing (strict mode refuses two).
            page.get_by_role("heading", name="Largest break-fix lines").wait_for(timeout=60000)
            grid = page.locator("[data-testid=stDataFrame]").last
            grid.scroll_into_view_if_needed()
            page.wait_for_timeout(1500)
            box = grid.bounding_box()
            assert box is not None
            page.mouse.click(box["x"] + 15, box["y"] + 55)  # the first row's checkbox
            # The warning under the verdict names the button too: wait for the preview.
            page.get_by_text("Leaves out every break-fix line").wait_for(timeout=20000)
            assert page.get_by_text("Help to Buy costs: 1 line, 10,000.").count() == 1
            button = page.get_by_role("button", name="Exclude from break-fix spend")
            button.click()
            page.get_by_text("Left out of spend").wait_for(timeout=30000)
            page.wait_for_timeout(1000)
            page.screenshot(path=str(out_dir / "exclude-click.png"))
            browser.close()
    finally:
        srv.stop()
    with workspace.connect("ledger", data_dir, read_only=True) as c:
        sc = load_scenario(c)
        assert sc.exclude_spend == ("Help to Buy costs",)
        assert metrics_json(c, "ledger", sc)["spend"]["excluded"] == {"lines": 1, "amount": 10000.0}


def test_the_upload_preview_says_what_the_figures_will_lack(data_dir: Path, tmp_path: Path) -> None:
    """The dashboard's preview of a GCP-style status history (created, no resolved, no
    time worked, no asset) carries the same three warnings as `inspect`; an invoice file
    none."""
    from pipelines import uploads

    gcp = tmp_path / "status.csv"
    gcp.write_text("id,service_name,severity,created\n"
                   "g1,Cloud Run,high,2021-01-04T10:00:00+00:00\n")
    ledger = tmp_path / "ledger.csv"
    ledger.write_text("Invoice Number,Date,Description,Amount\nA1,2024-01-10,Repair,100.00\n")
    with workspace.connect("preview", data_dir) as c:
        lacks = uploads.preview(c, "preview", gcp, "status.csv").lacks
        assert [lack.split(":")[0] for lack in lacks] == [
            "No resolved (or closed) time", "No time-worked or billed column",
            "No asset (device, configuration item or service) column"]
        assert uploads.preview(c, "preview", ledger, "ledger.csv").lacks == []
