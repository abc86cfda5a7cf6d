"""Each tool's profile: its fixture detected, loaded, and its rows checked field by field.

The fixtures in tests/data/formats/<profile>__*.csv carry each tool's real header (see
docs/formats.md for where each came from) and made-up rows. Times are UTC: naive values are
read in the workspace's default time zone (UTC), values with an offset keep their instant.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from pipelines import workspace
from pipelines.formats import get_profile
from pipelines.ingest import ingest_file

DATA = Path(__file__).parent / "data"
FORMATS = DATA / "formats"
TICKET_SQL = ("SELECT ticket_id, client, site, asset, category, priority, priority_raw, title,"
              " status, strftime(opened_at, '%Y-%m-%d %H:%M'),"
              " strftime(resolved_at, '%Y-%m-%d %H:%M'), round(labour_hours, 4)"
              " FROM incidents ORDER BY opened_at")
LINE_SQL = ("SELECT invoice_id, line_no, strftime(invoice_date, '%Y-%m-%d'), client, description,"
            " amount, ticket_id, kind FROM invoice_lines ORDER BY invoice_id, line_no")

TICKETS = {
    "connectwise__service_tickets.csv": [
        ("48213", "Northwind Logistics", "Main", "FW-NW-01", "Network", "P1",
         "Priority 1 - Emergency Response", "Firewall dropping VPN tunnels", "Closed",
         "2024-01-16 08:12", "2024-01-16 11:42", 3.25),
        ("48230", "Northwind Logistics", "Warehouse", "PRN-WH-02", "Hardware", "P3",
         "Priority 3 - Normal Response", "Label printer offline", "Closed",
         "2024-01-22 14:05", "2024-01-23 09:30", 1.5),
        ("48251", "Contoso Dental", "Main", None, "Onboarding", "P4",
         "Priority 4 - Scheduled Maintenance", "New starter laptop", "In Progress",
         "2024-02-01 09:00", None, 0.75),
    ],
    "autotask__tickets.csv": [
        ("T20240105.0001", "Fabrikam Legal", None, "FAB-SRV-01", "Server", "P1", "Critical",
         "Server not booting after patching", "Complete", "2024-01-05 07:45",
         "2024-01-05 14:20", 5.5),
        ("T20240118.0007", "Fabrikam Legal", None, "FAB-LT-14", "Software", "P3", "Medium",
         "Outlook keeps asking for password", "Complete", "2024-01-18 10:02",
         "2024-01-18 11:15", 0.5),
        ("T20240202.0003", "Fabrikam Legal", None, "FAB-UPS-01", "Hardware", "P2", "High",
         "Replace failed UPS battery", "In Progress", "2024-02-02 13:30", None, 1.0),
    ],
    # 1063's Date Closed is the placeholder 1899-12-30: the ticket is open.
    "halopsa__tickets.csv": [
        ("1042", "Riverside Vets", "Head Office", None, "Software", "P2", "High",
         "Practice software won't start", "Closed", "2024-03-04 08:31", "2024-03-04 12:01",
         2.5),
        ("1057", "Riverside Vets", "Branch", None, "Network", "P1", "Critical",
         "Branch internet down", "Closed", "2024-03-14 09:00", "2024-03-14 10:15", 1.25),
        ("1063", "Oak Street Dental", "Main", None, "Accounts", "P4", "Low",
         "New email account", "Open", "2024-03-20 15:45", None, 0.0),
    ],
    # Syncro's '1 High' is P2, not P1 (the profile's value map); -04:00 offsets kept.
    "syncro__tickets.csv": [
        ("3301", "Harbour Cafe", None, None, "Hardware", "P2", "1 High", "Laptop won't charge",
         "Resolved", "2024-04-02 13:14", "2024-04-02 18:55", None),
        ("3302", "Harbour Cafe", None, None, "Network", "P1", "0 Urgent", "Card reader offline",
         "Resolved", "2024-04-05 11:50", "2024-04-05 12:35", None),
        ("3303", "Greenway Florist", None, None, "Hardware", "P3", "2 Normal",
         "Set up new receipt printer", "In Progress", "2024-04-16 17:20", None, None),
    ],
    # 25/Feb/26 10:17 PM; Time Spent 5400 s = 1.5 h (not 'Σ Time Spent'); Blocker -> P1.
    "jira__jsm_issues.csv": [
        ("ITS-101", "Northwind Logistics", None, "VPN", "Report a system problem", "P2", "High",
         "VPN disconnects every hour", "Resolved", "2026-02-25 22:17", "2026-02-26 09:30", 1.5),
        ("ITS-102", "Northwind Logistics", None, "Hardware", "Get IT help", "P1", "Blocker",
         "Laptop screen flickers", "Resolved", "2026-03-02 08:05", "2026-03-03 15:45", 1.0),
        ("ITS-103", "Contoso Dental", None, None, "Request access", "P4", "Low",
         "Access to finance share", "Waiting for support", "2026-03-12 11:20", None, None),
    ],
    # Time Tracked 01:15 = 1.25 h; INC-202 has no Closed Time, so Resolved Time ends it.
    "freshservice__tickets.csv": [
        ("#INC-201", "Finance", None, None, "Storage", "P2", "High", "Shared drive not mapping",
         "Closed", "2024-05-06 08:40", "2024-05-06 10:10", 1.25),
        ("#INC-202", "Operations", None, None, "Network", "P3", "Medium",
         "Wi-Fi slow in meeting room", "Resolved", "2024-05-13 14:02", "2024-05-14 09:30", 0.75),
        ("#SR-203", "Operations", None, None, "Hardware", "P4", "Low",
         "New monitor for reception", "Open", "2024-05-20 10:00", None, None),
    ],
    # 3103 has no Company Name: the client is the workspace's name.
    "freshdesk__tickets.csv": [
        ("3101", "Kerr & Co Accountants", None, None, "Incident", "P3", "Medium",
         "Cannot print to office printer", "Closed", "2024-06-03 09:12", "2024-06-03 11:42",
         0.8333),
        ("3102", "Kerr & Co Accountants", None, None, "Problem", "P1", "Urgent",
         "Email bouncing from client domain", "Resolved", "2024-06-12 16:20",
         "2024-06-13 10:05", 2.5),
        ("3103", "t", None, None, "Question", "P4", "Low", "Request: new user account", "Open",
         "2024-06-20 08:00", None, None),
    ],
}

LINES = {
    # Section rows give the client; totals, sections and the footer are rejects.
    "quickbooks__sales_by_customer_detail.csv": [
        ("1043", 1, "2024-01-31", "Acme Dental Group", "Remote support - January",
         Decimal("570.00"), None, "labour"),
        ("1043", 2, "2024-01-31", "Acme Dental Group", "Replacement SSD 1TB",
         Decimal("1234.50"), None, "parts"),
        ("1049", 1, "2024-02-14", "Harbour Cafe", "On-site call-out", Decimal("220.00"), None,
         "labour"),
        ("1051", 1, "2024-02-29", "Acme Dental Group", "Backup monitoring - February",
         Decimal("150.00"), None, "contract"),
        ("1060", 1, "2024-03-15", "Acme Dental Group", "Credit for duplicate visit",
         Decimal("-250.00"), None, "labour"),
    ],
    # Invoice Type: Agreement -> contract, Standard -> labour, Credit Memo -> other.
    "connectwise_invoices__invoice_search.csv": [
        ("CW-24017", 1, "2024-01-31", "Northwind Logistics", "Firewall VPN outage",
         Decimal("412.50"), "48213", "labour"),
        ("CW-24018", 1, "2024-01-31", "Northwind Logistics", "Managed Desktop - February",
         Decimal("1450.00"), None, "contract"),
        ("CW-24031", 1, "2024-02-15", "Northwind Logistics", "Credit: printer visit",
         Decimal("-95.00"), "48230", "other"),
    ],
}


def query(data_dir: Path, sql: str) -> list[tuple]:
    with workspace.connect("t", data_dir) as con:
        return con.execute(sql).fetchall()


@pytest.mark.parametrize("name", sorted(TICKETS), ids=str)
def test_ticket_profiles_load_every_field(name: str, data_dir: Path) -> None:
    s = ingest_file(FORMATS / name, "t", data_dir)
    assert (s.format, s.rows_read, s.rows_loaded, s.rows_rejected) == (
        name.split("__")[0], 3, 3, 0)
    assert query(data_dir, TICKET_SQL) == TICKETS[name]


@pytest.mark.parametrize("name", sorted(LINES), ids=str)
def test_invoice_profiles_load_every_field(name: str, data_dir: Path) -> None:
    s = ingest_file(FORMATS / name, "t", data_dir)
    assert s.format == name.split("__")[0]
    assert s.rows_read == s.rows_loaded + s.rows_rejected
    assert query(data_dir, LINE_SQL) == LINES[name]


def test_quickbooks_report_rows_are_rejects_with_their_reason(data_dir: Path) -> None:
    s = ingest_file(FORMATS / "quickbooks__sales_by_customer_detail.csv", "t", data_dir)
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (11, 5, 6)
    section = "QuickBooks section row (the customer of the lines below), not an invoice line"
    total = "QuickBooks total row (a subtotal of the lines above), not an invoice line"
    assert query(data_dir, "SELECT row_number, reason FROM rejects ORDER BY 1") == [
        (6, section), (11, total), (12, section), (14, total), (15, total),
        (19, "QuickBooks report footer (when the report was run), not an invoice line"),
    ]
    assert query(data_dir, "SELECT sum(amount) FROM invoice_lines") == [(Decimal("1924.50"),)]


def test_every_new_profile_documents_its_quirks() -> None:
    for name in [*(n.split("__")[0] for n in TICKETS), *(n.split("__")[0] for n in LINES)]:
        assert len(get_profile(name).notes) > 40, name


def breakeven(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """`breakeven ARGS` as a user runs it (the installed entry point's main())."""
    code = "import sys; from pipelines.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args, "--data-dir", str(data_dir)],
                          check=False, capture_output=True, text=True, timeout=120)


def test_a_mapping_made_in_the_cli_is_used_for_the_next_file(tmp_path: Path,
                                                             data_dir: Path) -> None:
    first, second = tmp_path / "jobs_march.csv", tmp_path / "jobs_april.csv"
    first.write_text("Job Ref,Logged On,Kit,Engineer Hours\nJ-1,2024-03-01 09:00,Router,1.5\n")
    second.write_text("Job Ref,Logged On,Kit,Engineer Hours\nJ-2,2024-04-02 10:00,Switch,2\n")
    r = breakeven("ingest", str(first), "-w", "t", "--kind", "incidents",
                  "--map", "ticket_id=Job Ref", "--map", "opened_at=Logged On",
                  "--map", "asset=Kit", "--map", "labour_hours=Engineer Hours",
                  data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    r = breakeven("inspect", str(second), "-w", "t", "--json", data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert (info["detected_by"], info["mapping"]["asset"]) == ("saved mapping", "Kit")
    r = breakeven("ingest", str(second), "-w", "t", data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    assert query(data_dir, "SELECT ticket_id, asset, labour_hours FROM incidents ORDER BY 1"
                 ) == [("J-1", "Router", 1.5), ("J-2", "Switch", 2.0)]


@pytest.mark.parametrize("name", sorted([*TICKETS, *LINES]), ids=str)
def test_inspect_explains_each_new_fixture(name: str, data_dir: Path) -> None:
    r = breakeven("inspect", str(FORMATS / name), "--json", data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["format"] == name.split("__")[0]
    assert info["kind"] in ("incidents", "invoices")
    assert (info["encoding"], info["delimiter"]) == ("utf-8", ",")
    assert "date_order_reason" in info and info["mapping"] and "ignored_columns" in info
    assert not {h for src in info["mapping"].values() for h in src.split(", else ")} & set(
        info["ignored_columns"])


def test_kinds_adds_words_and_reclassifies_stored_lines(data_dir: Path) -> None:
    ingest_file(FORMATS / "quickbooks__sales_by_customer_detail.csv", "t", data_dir)
    r = breakeven("kinds", "-w", "t", "--add", "parts=duplicate visit", "--reclassify",
                  data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    assert "1 stored invoice lines changed kind" in r.stdout
    assert query(data_dir, "SELECT kind FROM invoice_lines WHERE invoice_id = '1060'") == [
        ("parts",)]
    r = breakeven("kinds", "-w", "t", "--add", "hardware=x", data_dir=data_dir)
    assert r.returncode == 1
    assert r.stderr.strip() == ("breakeven: error: --add 'hardware=x': write it as"
                                " KIND=word,word with KIND one of labour, parts, contract,"
                                " other, e.g. --add contract='per seat,m365'")
