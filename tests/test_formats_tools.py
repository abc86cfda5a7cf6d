"""The tools added for issue 13: each fixture (the tool's real header, made-up rows; sources
in tests/data/README.md) detected with no --format, loaded, and checked field by field.

Also: every profile has a fixture, every fixture is detected as its own tool and no other
profile's signature also matches it (no ties left to chance). Times are UTC.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from pipelines import workspace
from pipelines.formats import detect, profiles
from pipelines.ingest import ingest_file
from pipelines.reading import read_table

FORMATS = Path(__file__).parent / "data" / "formats"
TICKET_SQL = ("SELECT ticket_id, client, site, asset, category, priority, priority_raw, title,"
              " status, strftime(opened_at, '%Y-%m-%d %H:%M'),"
              " strftime(resolved_at, '%Y-%m-%d %H:%M'), round(labour_hours, 4),"
              " strftime(responded_at, '%Y-%m-%d %H:%M')"
              " FROM incidents ORDER BY opened_at")
LINE_SQL = ("SELECT invoice_id, line_no, strftime(invoice_date, '%Y-%m-%d'), client, description,"
            " amount, tax, currency, kind FROM invoice_lines ORDER BY invoice_id, line_no")
NW, CD = "Northwind Logistics", "Contoso Dental"

TICKETS = {
    # Emergency -> P1, Normal -> P3 by the words; no Closed Date: open.
    "osticket__tickets.csv": [
        ("571204", NW, None, None, "Network / VPN", "P2", "High",
         "Cannot connect to VPN from home", "Closed", "2024-09-02 08:14", "2024-09-02 09:50",
         None, None),
        ("571233", NW, None, None, "Hardware", "P3", "Normal", "Printer jams on every job",
         "Resolved", "2024-09-05 13:30", "2024-09-06 08:45", None, None),
        ("571260", CD, None, None, "Email", "P1", "Emergency", "Mail server not accepting mail",
         "Open", "2024-09-09 07:05", None, None, None),
    ],
    # '3 high' is P2 (not P3 by its digit); First Response At is responded_at.
    "zammad__report.csv": [
        ("31001", NW, None, None, "Support", "P2", "3 high", "Laptop will not boot", "closed",
         "2024-10-01 09:00", "2024-10-01 15:00", None, "2024-10-01 09:20"),
        ("31002", NW, None, None, "Support", "P4", "1 low", "Request a new monitor", "open",
         "2024-10-03 11:00", None, None, None),
        ("31003", CD, None, None, "Infrastructure", "P3", "2 normal", "Shared drive very slow",
         "closed", "2024-10-07 14:00", "2024-10-08 09:30", None, "2024-10-07 16:00"),
    ],
    # Semicolons; 'Very high' -> P1 (the profile), not P2 by the word high; Total duration
    # 5400 s = 1.5 h, 7200 s = 2 h; Resolution date before Closing date.
    "glpi__tickets.csv": [
        ("1042", f"Root entity > {NW}", "Head office", None, "Software > Email", "P2", "High",
         "Outlook crashes on start", "Closed", "2024-11-04 09:10", "2024-11-04 11:40", 1.5,
         None),
        ("1047", f"Root entity > {NW}", "Warehouse", None, "Network", "P1", "Very high",
         "Core switch down", "Solved", "2024-11-06 06:55", "2024-11-06 08:25", 2.0, None),
        ("1051", f"Root entity > {CD}", "Main", None, "Accounts", "P5", "Very low",
         "Set up new starter", "Processing (assigned)", "2024-11-08 09:30", None, 0.0, None),
    ],
    # TotalDurationMinutes 90 = 1.5 h, 45 = 0.75 h; TechnicianFirstCommentDate responds.
    "atera__tickets.csv": [
        ("8812", "Harbour Cafe", None, None, "Incident", "P2", "High", "Server disk almost full",
         "Resolved", "2024-12-02 08:00", "2024-12-02 11:30", 1.5, "2024-12-02 08:25"),
        ("8820", "Harbour Cafe", None, None, "Incident", "P1", "Critical",
         "Card machine offline", "Closed", "2024-12-04 09:40", "2024-12-04 10:15", 0.75,
         "2024-12-04 09:42"),
        ("8835", "Greenway Florist", None, None, "Request", "P4", "Low", "New email signature",
         "Open", "2024-12-09 13:00", None, 0.0, None),
    ],
    # Month-first dates (01/13/2025); Resolved Date before Completed Date; Responded Date.
    "manageengine_sdp__requests.csv": [
        ("5101", NW, "Head Office", "Outlook", "Software", "P2", "High",
         "Outlook keeps asking for password", "Closed", "2025-01-13 09:00", "2025-01-13 11:30",
         None, "2025-01-13 09:15"),
        ("5107", NW, "Warehouse", "Screen", "Hardware", "P3", "Medium", "Laptop screen cracked",
         "Resolved", "2025-01-15 14:20", "2025-01-16 16:45", None, "2025-01-15 15:00"),
        ("5112", CD, "Main", "New user", "User Administration", "P4", "Low",
         "New starter account", "Open", "2025-01-20 08:30", None, None, None),
    ],
    # 'First Response Time' (business-hours hours) is not read: responded_at stays NULL.
    "zoho_desk__tickets.csv": [
        ("101", "Kerr & Co Accountants", None, None, "Web", "P2", "High",
         "Website contact form not sending", "Closed", "2025-02-03 09:30", "2025-02-03 13:45",
         None, None),
        ("102", "Kerr & Co Accountants", None, None, "Software", "P3", "Medium",
         "Cannot open shared spreadsheet", "Closed", "2025-02-05 15:10", "2025-02-06 09:40",
         None, None),
        ("103", "Harbour Cafe", None, None, "Hardware", "P4", "Low", "Replace keyboard", "Open",
         "2025-02-10 11:00", None, None, None),
    ],
    # 'Med' -> P3 by the profile; no client column: the workspace ('t') is the client.
    "spiceworks__tickets.csv": [
        ("4401", "t", None, None, "Network", "P2", "High", "Wi-Fi drops in meeting room",
         "closed", "2025-03-03 08:40", "2025-03-03 12:00", None, None),
        ("4402", "t", None, None, "Software", "P3", "Med", "Install PDF editor", "closed",
         "2025-03-04 10:00", "2025-03-05 09:00", None, None),
        ("4403", "t", None, None, "Hardware", "P4", "Low", "Label printer offline", "open",
         "2025-03-06 14:30", None, None, None),
    ],
    # displayId is the number; resolutionTime / firstResponseTime are instants (their
    # ...DueTime twins are SLA targets, not read); Critical -> P1, Low -> P4.
    "superops__tickets.csv": [
        ("062824-0005", NW, "Head Office", None, "Network", "P2", "High",
         "Internet is not working", "Resolved", "2024-06-28 05:25", "2024-06-28 09:40", None,
         "2024-06-28 05:40"),
        ("070124-0002", NW, "Warehouse", None, "Hardware", "P4", "Low", "Laptop will not charge",
         "Open", "2024-07-01 10:00", None, None, None),
        ("070324-0011", CD, "Main", None, "Email", "P1", "Critical",
         "Email bouncing from client domain", "Closed", "2024-07-03 14:00", "2024-07-03 16:30",
         None, "2024-07-03 14:20"),
    ],
    # totalTimeTracked 5400 s = 1.5 h, 2700 s = 0.75 h; HIGH -> P2 by the word (severity
    # MAJOR is not priority); nodeId is the device, locationId the site; the API has no
    # resolved time, so every ticket is unresolved.
    "ninjaone__tickets.csv": [
        ("1201", NW, "3", "88", "PROBLEM", "P2", "HIGH", "Backup job failed on NW-SRV01",
         "Resolved", "2024-08-05 07:30", None, 1.5, None),
        ("1207", NW, "3", None, "SERVICE_REQUEST", "P4", "LOW", "New starter laptop", "Open",
         "2024-08-07 09:00", None, 0.0, None),
        ("1215", CD, "5", "91", "INCIDENT", "P3", "MEDIUM", "Practice software will not open",
         "Resolved", "2024-08-12 13:15", None, 0.75, None),
    ],
    # openDate opens (not createdOn, the record's creation a minute later); completedDate
    # ends, empty while open; issueTypeName is the category.
    "kaseya_bms__tickets.csv": [
        ("TCK20240902.0003", NW, "Head Office", None, "Network", "P1", "Critical",
         "Firewall rebooting every night", "Completed", "2024-09-02 07:45", "2024-09-02 10:15",
         None, None),
        ("TCK20240905.0011", NW, "Warehouse", None, "Email", "P4", "Low",
         "Shared mailbox missing for new starter", "In Progress", "2024-09-05 13:00", None,
         None, None),
        ("TCK20240911.0002", CD, "Main", None, "Server", "P2", "High",
         "Practice server slow after update", "Completed", "2024-09-11 08:20",
         "2024-09-12 09:05", None, None),
    ],
    # The export's real column set (tests/data/README.md): Request Id is the number (not
    # the internal ID), Ticket Closed Time ends, no Account Name so the Account ID is the
    # client; Category, else Classifications ('Incident' for 2043).
    "zoho_desk__ticket_export.csv": [
        ("2041", "412000000011", None, None, "Network", "P2", "High", "VPN drops every hour",
         "Closed", "2025-03-03 09:15", "2025-03-03 12:30", None, None),
        ("2042", "412000000011", None, None, "Hardware", "P4", "Low", "New starter laptop",
         "Open", "2025-03-05 10:00", None, None, None),
        ("2043", "412000000027", None, None, "Incident", "P3", "Medium",
         "Printer offline in reception", "Closed", "2025-03-10 14:30", "2025-03-11 09:00", None,
         None),
    ],
    # A German Zammad: the header translated (tests/data/README.md), dates dd.mm.yyyy
    # (14.10.2024 makes the file day-first); '3 high' -> P2 as in English; Erstreaktion am
    # is responded_at; Geschlossen/Erstreaktion in Minuten (business hours) not read.
    "zammad__german_report.csv": [
        ("41001", "Nordwind Logistik GmbH", None, None, "Support", "P2", "3 high",
         "Drucker im Lager druckt nicht", "geschlossen", "2024-10-01 09:00", "2024-10-01 15:00",
         None, "2024-10-01 09:20"),
        ("41002", "Nordwind Logistik GmbH", None, None, "Support", "P4", "1 low",
         "Neuer Monitor für Empfang", "offen", "2024-10-03 11:00", None, None, None),
        ("41003", "Zahnarztpraxis Sonne", None, None, "Infrastruktur", "P3", "2 normal",
         "Netzlaufwerk sehr langsam", "geschlossen", "2024-10-14 14:00", "2024-10-15 09:30",
         None, "2024-10-14 16:00"),
    ],
}

LINES = {
    # Spacer columns ignored; customer and job sections and their totals are rejects; Name
    # gives the client ('Customer:Job' as QuickBooks writes it); credit memo already negative.
    "quickbooks_desktop__sales_by_customer_detail.csv": ((11, 4, 7), [
        ("1043", 1, "2024-01-31", "Acme Dental Group:Leeds surgery", "Remote support - January",
         Decimal("570.00"), None, None, "labour"),
        ("1043", 2, "2024-01-31", "Acme Dental Group:Leeds surgery", "Replacement SSD 1TB",
         Decimal("1234.50"), None, None, "parts"),
        ("1049", 1, "2024-02-14", "Harbour Cafe", "On-site call-out", Decimal("220.00"), None,
         None, "labour"),
        ("1060", 1, "2024-03-15", "Acme Dental Group", "Credit for duplicate visit",
         Decimal("-250.00"), None, None, "labour"),
    ]),
    # Net of refunds: 450 - 0; 300 - 300 = 0 (refunded); 240 - 40 = 200; the failed
    # charge is a reject. The Invoice ID keys the line, else the charge id.
    "stripe_payments__unified_payments.csv": ((4, 3, 1), [
        ("ch_3OcC3", 1, "2024-03-05", CD, "Remote support hours", Decimal("200.00"), None,
         "GBP", "labour"),
        ("in_1OaA", 1, "2024-01-31", NW, "Managed support - January", Decimal("450.00"), None,
         "GBP", "labour"),
        ("in_1ObB", 1, "2024-02-12", NW, "Emergency call-out", Decimal("0.00"), None, "GBP",
         "labour"),
    ]),
    # The refund is its own negative row, on its own day; the payout is a reject.
    "stripe_balance__itemised.csv": ((4, 3, 1), [
        ("NW-0007", 1, "2024-01-31", NW, "Managed support - January", Decimal("450.00"), None,
         "GBP", "labour"),
        ("NW-0011", 1, "2024-02-12", NW, "Emergency call-out", Decimal("300.00"), None, "GBP",
         "labour"),
        ("NW-0011", 2, "2024-02-20", NW, "REFUND FOR CHARGE (Emergency call-out)",
         Decimal("-300.00"), None, "GBP", "labour"),
    ]),
    # Line Subtotal (before tax) is the amount, Tax 1 Amount the tax; the draft is a reject.
    "freshbooks__invoice_details.csv": ((4, 3, 1), [
        ("0000021", 1, "2024-04-30", "Kerr & Co Accountants", "Remote support - April",
         Decimal("255.00"), Decimal("51.00"), "GBP", "labour"),
        ("0000021", 2, "2024-04-30", "Kerr & Co Accountants", "Replacement keyboard",
         Decimal("45.00"), Decimal("9.00"), "GBP", "parts"),
        ("0000022", 1, "2024-05-31", "Kerr & Co Accountants", "Support plan - May",
         Decimal("400.00"), Decimal("80.00"), "GBP", "labour"),
    ]),
    # PI lines read; the PC credit (positive in the file) negated, VAT too; PP is a reject.
    "sage50__audit_trail.csv": ((4, 3, 1), [
        ("BL-1043", 1, "2024-01-31", "BRIGHTIT", "IT support - remote hours", Decimal("570.00"),
         Decimal("114.00"), None, "labour"),
        ("BL-1043", 2, "2024-01-31", "BRIGHTIT", "Replacement SSD hardware", Decimal("225.00"),
         Decimal("45.00"), None, "parts"),
        ("BL-1060", 1, "2024-03-15", "BRIGHTIT", "Credit: duplicate visit", Decimal("-100.00"),
         Decimal("-20.00"), None, "labour"),
    ]),
    # Tab-delimited; blank lines between sales are not rows; the quote (Q) is a reject.
    "myob__service_sales.txt": ((4, 3, 1), [
        ("00000412", 1, "2024-06-28", "Harbour Cafe", "Remote support - June", Decimal("300.00"),
         Decimal("30.00"), "AUD", "labour"),
        ("00000412", 2, "2024-06-28", "Harbour Cafe", "Network switch hardware",
         Decimal("180.00"), Decimal("18.00"), "AUD", "parts"),
        ("00000419", 1, "2024-07-15", "Harbour Cafe", "Credit: duplicate visit",
         Decimal("-90.00"), Decimal("-9.00"), "AUD", "labour"),
    ]),
}

SECTION = "QuickBooks Desktop section row (the customer of the lines below), not an invoice line"
JOB = ("QuickBooks Desktop section row (a sub-customer or job of the lines below), not an invoice"
       " line")
TOTAL = "QuickBooks Desktop total row (a subtotal of the lines above), not an invoice line"
REJECTS = {
    "quickbooks_desktop__sales_by_customer_detail.csv": [
        (2, SECTION), (3, JOB), (6, TOTAL), (8, TOTAL), (9, SECTION), (11, TOTAL),
        (12, "QuickBooks Desktop grand total row, not an invoice line"),
    ],
    "stripe_payments__unified_payments.csv": [
        (5, "Stripe payment that did not succeed (no money moved), not a charge")],
    "stripe_balance__itemised.csv": [
        (5, ("Stripe balance movement that is not a charge or refund (payout, fee, transfer,"
             " ...), not an invoice line"))],
    "freshbooks__invoice_details.csv": [
        (5, "FreshBooks draft invoice (never sent), not an invoice line")],
    "sage50__audit_trail.csv": [
        (5, "Sage payment, receipt, bank or journal row (money moving), not an invoice line")],
    "myob__service_sales.txt": [(7, "MYOB quote or order (not invoiced), not an invoice line")],
}


def query(data_dir: Path, sql: str) -> list[tuple]:
    with workspace.connect("t", data_dir) as con:
        return con.execute(sql).fetchall()


@pytest.mark.parametrize("name", sorted(TICKETS), ids=str)
def test_ticket_tool_loads_every_field(name: str, data_dir: Path) -> None:
    s = ingest_file(FORMATS / name, "t", data_dir)
    assert (s.format, s.rows_read, s.rows_loaded, s.rows_rejected) == (
        name.split("__")[0], 3, 3, 0)
    assert query(data_dir, TICKET_SQL) == TICKETS[name]


@pytest.mark.parametrize("name", sorted(LINES), ids=str)
def test_invoice_tool_loads_every_field_and_rejects_report_rows(name: str,
                                                               data_dir: Path) -> None:
    s = ingest_file(FORMATS / name, "t", data_dir)
    counts, lines = LINES[name]
    assert (s.format, s.rows_read, s.rows_loaded, s.rows_rejected) == (
        name.split("__")[0], *counts)
    assert query(data_dir, LINE_SQL) == lines
    assert query(data_dir, "SELECT row_number, reason FROM rejects ORDER BY 1") == REJECTS[name]


def fixtures() -> list[Path]:
    return sorted(p for p in FORMATS.iterdir() if p.suffix in (".csv", ".txt", ".xlsx"))


@pytest.mark.parametrize("path", fixtures(), ids=lambda p: p.name)
def test_every_fixture_is_detected_as_its_tool_and_no_other_signature_matches(
        path: Path) -> None:
    """No --format, no --map: the header alone decides, and no second tool could claim it."""
    headers = read_table(path).headers
    expected = path.name.split("__")[0]
    assert detect(headers, path.name).profile.name == expected
    matching = [p.name for p in profiles() if not p.generic and p.matches(headers)]
    assert matching == ([] if expected.startswith("generic") else [expected])


def test_every_profile_has_a_fixture_and_documents_its_quirks() -> None:
    have = {p.name.split("__")[0] for p in fixtures()}
    for p in profiles():
        assert p.name in have, f"{p.name} has no fixture in tests/data/formats/"
        if not p.generic:
            assert len(p.notes) > 40, p.name
    readme = (FORMATS.parent / "README.md").read_text(encoding="utf-8")
    for p in profiles():
        assert f"`{p.name}`" in readme, f"tests/data/README.md names no source for {p.name}"
