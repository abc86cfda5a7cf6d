"""Header families, the fixed variants (Zendesk suffixes, HaloPSA stock report, Xero credit
notes, Statuspage impact), `inspect`'s reasons, and a user's own profile in the data dir.

Fixtures are in tests/data/formats/ (sources in tests/data/README.md). Times are UTC.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from pipelines import workspace
from pipelines.errors import SettingError
from pipelines.formats import detect, family, load_profile, profiles
from pipelines.ingest import ingest_file

FORMATS = Path(__file__).parent / "data" / "formats"
TICKET_SQL = ("SELECT ticket_id, client, site, asset, category, priority, priority_raw, title,"
              " status, strftime(opened_at, '%Y-%m-%d %H:%M'),"
              " strftime(resolved_at, '%Y-%m-%d %H:%M'), round(labour_hours, 4),"
              " users_affected, strftime(responded_at, '%Y-%m-%d %H:%M')"
              " FROM incidents ORDER BY opened_at")
LINE_SQL = ("SELECT invoice_id, line_no, strftime(invoice_date, '%Y-%m-%d'), client, description,"
            " amount, tax, ticket_id, kind FROM invoice_lines ORDER BY invoice_id, line_no")


def query(data_dir: Path, sql: str) -> list[tuple]:
    with workspace.connect("t", data_dir) as con:
        return con.execute(sql).fetchall()


def breakeven(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    code = "import sys; from pipelines.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args, "--data-dir", str(data_dir)],
                          check=False, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("header", "expected"), [
    ("Device [txt]", "device"), ("Total time spent (sec) [int]", "totaltimespentsec"),
    ("Labels (2)", "labels"), ("Custom field (Organizations)", "organizations"),
    ("opened_at", "opened"), ("Opened", "opened"), ("Date Opened", "opened"),
    ("Date/Time Opened", "opened"), ("Created Date/Time", "created"),
    ("Ticket #", "ticketnumber"), ("Ticket No", "ticketnumber"),
    # "time" is not dropped: these are durations, not instants.
    ("Resolution Time", "resolutiontime"), ("First Response Time", "firstresponsetime"),
    ("Date", "date"),
])
def test_one_family_rule(header: str, expected: str) -> None:
    assert family(header) == expected


def test_a_generic_file_does_not_take_a_text_column_for_a_date_by_family() -> None:
    """Without a tool's signature, `Resolution` (a text) is not `Resolution Date`."""
    d = detect(["Case Number", "Reported", "Resolution", "Priority Description"], "x.csv")
    assert d.profile.name == "generic"
    assert "resolved_at" not in d.mapping
    assert d.mapping["priority"][0].header == "Priority Description"


def test_zendesk_custom_fields_with_type_suffixes_keep_asset_time_and_users(
        data_dir: Path) -> None:
    """`Device [txt]`, `Total time spent (sec) [int]` (5400 s = 1.5 h), `Users affected [int]`.

    First reply time in minutes (12, 30) gives responded_at = created + minutes; the
    "within business hours" twin is not read.
    """
    s = ingest_file(FORMATS / "zendesk__custom_field_suffixes.csv", "t", data_dir)
    assert (s.format, s.rows_loaded, s.rows_rejected) == ("zendesk", 3, 0)
    assert query(data_dir, TICKET_SQL) == [
        ("201", "Northwind Logistics", None, "NW-NAS01", "Incident", "P1", "Urgent",
         "NAS unreachable", "Solved", "2024-05-06 08:00", "2024-05-06 11:30", 1.5, 14,
         "2024-05-06 08:12"),
        ("202", "Northwind Logistics", None, "NW-NAS01", "Incident", "P2", "High",
         "NAS unreachable again", "Solved", "2024-05-20 14:00", "2024-05-20 15:45", 0.75, 9,
         "2024-05-20 14:30"),
        ("203", "Northwind Logistics", None, "NW-LT-22", "Task", "P4", "Low",
         "Set up new laptop", "Open", "2024-06-03 09:00", None, None, None, None),
    ]


def test_halopsa_stock_ticket_report_is_halopsa_with_priorities(data_dir: Path) -> None:
    """Date Opened / Date Resolved / Client / Priority Description; 1899-12-30 is open."""
    s = ingest_file(FORMATS / "halopsa__stock_ticket_report.csv", "t", data_dir)
    assert (s.format, s.rows_loaded, s.rows_rejected) == ("halopsa", 3, 0)
    assert query(data_dir, TICKET_SQL) == [
        ("2310", "Riverside Vets", "Head Office", None, "Email", "P3", "Medium",
         "Email not syncing on phones", "Resolved", "2024-07-01 09:05", "2024-07-01 11:35",
         None, None, None),
        ("2318", "Riverside Vets", "Head Office", None, "Hardware", "P1", "Critical",
         "Server room UPS alarm", "Resolved", "2024-07-03 22:10", "2024-07-04 01:40", None,
         None, None),
        ("2325", "Oak Street Dental", "Main", None, "Accounts", "P4", "Low",
         "New starter account", "Open", "2024-07-08 08:30", None, None, None, None),
    ]


def test_xero_credit_notes_typed_in_words_are_subtracted(data_dir: Path) -> None:
    """`Sales credit note` and `Credit Note` lines (positive in the file) become negative,
    tax too: 300.00 - 75.00 - 50.00 = 175.00."""
    s = ingest_file(FORMATS / "xero__credit_notes.csv", "t", data_dir)
    assert (s.format, s.rows_loaded, s.rows_rejected) == ("xero", 3, 0)
    assert query(data_dir, LINE_SQL) == [
        ("CN-0012", 1, "2024-07-05", "Harbour Cafe", "Credit: duplicate visit",
         Decimal("-75.00"), Decimal("-15.00"), None, "labour"),
        ("CN-0013", 1, "2024-07-12", "Harbour Cafe", "Goodwill credit", Decimal("-50.00"),
         Decimal("-10.00"), None, "other"),
        ("INV-0107", 1, "2024-06-30", "Harbour Cafe", "Remote support - hours",
         Decimal("300.00"), Decimal("60.00"), None, "labour"),
    ]
    assert query(data_dir, "SELECT sum(amount) FROM invoice_lines") == [(Decimal("175.00"),)]


def test_statuspage_impact_levels_are_priorities(data_dir: Path) -> None:
    """critical -> P1, major -> P2, minor -> P3, none -> NULL (no impact; also a missing-value
    marker). started_at opens the incident, else created_at (z0c has no started_at)."""
    s = ingest_file(FORMATS / "statuspage__incident_history.csv", "t", data_dir)
    assert (s.format, s.rows_loaded, s.rows_rejected) == ("statuspage", 4, 0)
    assert query(data_dir, TICKET_SQL) == [
        ("p31zjtct2jer", "t", None, "API", None, "P2", "major", "Elevated API error rates",
         "resolved", "2024-08-02 10:02", "2024-08-02 11:50", None, None, None),
        ("k7h2v9d1m0xq", "t", None, "Web app", None, "P1", "critical", "Dashboard unavailable",
         "resolved", "2024-08-09 07:25", "2024-08-09 09:05", None, None, None),
        ("z0c4b8n6r2ty", "t", None, "Notifications", None, "P3", "minor",
         "Delayed email notifications", "resolved", "2024-08-15 15:00", "2024-08-15 16:20",
         None, None, None),
        ("m5e8w1q3a9lu", "t", None, "Database", None, None, None,
         "Scheduled database maintenance", "completed", "2024-08-20 01:00",
         "2024-08-20 02:00", None, None, None),
    ]


def test_generic_reads_impact_words_of_a_status_history(tmp_path: Path, data_dir: Path) -> None:
    """A generic file with an `impact` column: major -> P2, minor -> P3 (generic's map)."""
    f = tmp_path / "history.csv"
    f.write_text("Incident ID,Opened,Impact\nA,2024-01-02 10:00,major\nB,2024-01-03 10:00,"
                 "minor\nC,2024-01-04 10:00,critical\n")
    s = ingest_file(f, "t", data_dir)
    assert s.format == "generic"
    assert query(data_dir, "SELECT ticket_id, priority FROM incidents ORDER BY 1") == [
        ("A", "P2"), ("B", "P3"), ("C", "P1")]


# --- inspect says why ---------------------------------------------------------------------

def test_inspect_names_the_signature_columns_found(data_dir: Path) -> None:
    r = breakeven("inspect", str(FORMATS / "halopsa__stock_ticket_report.csv"),
                  data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    assert ("  why: its signature columns 'Ticket ID', 'Date Opened', 'Priority Description'"
            in r.stdout.splitlines())
    r = breakeven("inspect", str(FORMATS / "halopsa__stock_ticket_report.csv"), "--json",
                  data_dir=data_dir)
    assert json.loads(r.stdout)["signature_found"] == [
        "'Ticket ID'", "'Date Opened'", "'Priority Description'"]


def test_inspect_of_a_generic_file_names_the_closest_tool_and_what_it_lacks(
        tmp_path: Path, data_dir: Path) -> None:
    f = tmp_path / "tickets.csv"
    f.write_text("Issue key,Created,Summary\nIT-1,2024-01-02 10:00,VPN down\n")
    r = breakeven("inspect", str(f), "--json", data_dir=data_dir)
    info = json.loads(r.stdout)
    assert info["format"] == "generic"
    assert info["resembles"] == {"format": "jira", "title": "Jira Service Management issues",
                                 "found": ["Issue key", "Created"], "missing": ["'Issue id'"]}
    r = breakeven("inspect", str(f), data_dir=data_dir)
    assert ("  why: no known tool's full signature; closest is Jira Service Management issues"
            " ('jira'): has 'Issue key', 'Created'; lacks 'Issue id'") in r.stdout.splitlines()


# --- bring your own tool ---------------------------------------------------------------------

OWN_PROFILE = '''\
# A home-grown helpdesk's export.
name = "acme_desk"
title = "Acme Desk tickets"
kind = "incidents"
signature = [["Job Ref"], ["Logged On"], ["Kit"]]
notes = "Our own helpdesk."

[columns]
ticket_id = ["Job Ref"]
opened_at = ["Logged On"]
resolved_at = ["Fixed On"]
asset = ["Kit"]
priority = ["Urgency"]
labour_hours = ["Engineer Minutes*1/60"]

[values.priority]
"Drop everything" = "P1"
'''


def test_a_users_own_profile_in_the_data_dir_is_detected_and_loaded(
        tmp_path: Path, data_dir: Path) -> None:
    """Engineer Minutes 90 x 1/60 = 1.5 h; "Drop everything" -> P1 by the profile's map."""
    (data_dir / "profiles").mkdir()
    (data_dir / "profiles" / "acme_desk.toml").write_text(OWN_PROFILE)
    f = tmp_path / "jobs.csv"
    f.write_text("Job Ref,Logged On,Fixed On,Kit,Urgency,Engineer Minutes\n"
                 "J-7,2024-03-01 09:00,2024-03-01 10:30,Router,Drop everything,90\n")
    r = breakeven("formats", data_dir=data_dir)
    assert "acme_desk" in r.stdout
    r = breakeven("inspect", str(f), data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("jobs.csv: incidents from Acme Desk tickets (format"
                               " 'acme_desk', by profile)")
    r = breakeven("ingest", str(f), "-w", "t", data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    assert query(data_dir, "SELECT ticket_id, asset, priority, labour_hours,"
                 " strftime(resolved_at, '%H:%M') FROM incidents") == [
        ("J-7", "Router", "P1", 1.5, "10:30")]


@pytest.mark.parametrize(("text", "problem"), [
    ("name = 'x'\ntitle = 'X'\nkind = 'incidents'\nsignature = [['A']]\n[columns\n",
     "is not valid TOML"),
    (("name = 'x'\ntitle = 'X'\nkind = 'tickets'\nsignature = [['A']]\n[columns]\n"
      "ticket_id = 'A'\n"), "kind 'tickets' is not 'incidents' or 'invoices'"),
    (("name = 'x'\ntitle = 'X'\nkind = 'incidents'\nsignature = [['A']]\n[columns]\n"
      "ticket_no = 'A'\n"), "[columns] 'ticket_no' is not a field of incidents"),
    ("name = 'x'\ntitle = 'X'\nkind = 'incidents'\n[columns]\nticket_id = 'A'\n",
     "a tool's profile needs a signature"),
])
def test_a_broken_user_profile_is_one_clear_line_naming_the_file(
        text: str, problem: str, tmp_path: Path, data_dir: Path) -> None:
    (data_dir / "profiles").mkdir()
    bad = data_dir / "profiles" / "mine.toml"
    bad.write_text(text)
    f = tmp_path / "t.csv"
    f.write_text("Ticket,Created\n1,2024-01-01 10:00\n")
    r = breakeven("ingest", str(f), "-w", "t", data_dir=data_dir)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr
    assert lines[0].startswith(f"breakeven: error: format profile {bad}: {problem}")
    assert lines[0].endswith("; fix the file or remove it (see docs/formats.md, 'Bring your"
                             " own tool')")
    with pytest.raises(SettingError, match="mine.toml"):
        load_profile(bad)


def test_a_user_profile_replaces_a_shipped_one_of_the_same_name(data_dir: Path) -> None:
    (data_dir / "profiles").mkdir()
    own = OWN_PROFILE.replace('name = "acme_desk"', 'name = "syncro"')
    (data_dir / "profiles" / "syncro.toml").write_text(own)
    titles = {p.name: p.title for p in profiles(data_dir)}
    assert titles["syncro"] == "Acme Desk tickets"
    assert [p.name for p in profiles(data_dir)].count("syncro") == 1


# --- other shapes of the same exports (no --format, no --map) --------------------------------

SHAPES = [
    # A Zendesk view export: "Ticket ID", a [list] device, a [dec] custom number.
    (("Ticket ID,Subject,Requester,Requester email,Organization,Status,Priority,Ticket type,"
     "Created at,Updated at,Solved at,Device [list],Total time spent (sec) [int],"
     "Users affected [dec]"), "zendesk", {"asset": "Device [list]",
                                         "users_affected": "Users affected [dec]"}),
    (("Ticket ID,Summary,Client,Site,Status,Priority Description,Category 1,Agent,Date Opened,"
     "Date Resolved,Time Taken"), "halopsa", {"category": "Category 1",
                                             "labour_hours": "Time Taken"}),
    # osTicket 1.9 wrote the creation date as "Date" and had no Closed Date.
    (("Ticket Number,Date,Subject,From,From Email,Priority,Department,Help Topic,Source,"
     "Current Status,Last Updated,Due Date,Overdue,Answered,Agent Assigned,Team Assigned,"
     "Thread Count"), "osticket", {"opened_at": "Date"}),
    (("Number,Title,State,Priority,Group,Owner,Customer,Organization,Create Channel,Created At,"
     "Updated At,Closed At,First Response At,Article Count"), "zammad",
     {"ticket_id": "Number", "responded_at": "First Response At"}),
    (("ID,Title,Status,Last update,Opening date,Priority,Requester,Assigned to,Category,"
     "Time to resolve,Closing date"), "glpi", {"resolved_at": "Closing date"}),
    # Atera's fields spelled as labels: one family each.
    (("Ticket ID,Ticket Title,Ticket Number,Ticket Priority,Ticket Status,Customer Name,"
     "Ticket Created Date,Ticket Resolved Date,Technician First Comment Date"), "atera",
     {"opened_at": "Ticket Created Date", "responded_at": "Technician First Comment Date"}),
    (("Request ID,Subject,Requester,Technician,Status,Priority,Site,Group,Category,Created Time,"
     "Due By Time,Responded Time,Resolved Time,Completed Time"), "manageengine_sdp",
     {"opened_at": "Created Time", "responded_at": "Responded Time"}),
    (("Ticket Id,Subject,Status,Priority,Channel,Account Name,Contact Name,Ticket Owner,"
     "Department,Created Time,Modified Time,Due Date,Ticket Closed Time"), "zoho_desk",
     {"resolved_at": "Ticket Closed Time"}),
    # Statuspage labels without the id column: the shortlink keys each incident.
    ("Name,Status,Impact,Created At,Started At,Resolved At,Shortlink", "statuspage",
     {"ticket_id": "Shortlink", "priority": "Impact"}),
    (("Number,Opened,Short description,Caller,Priority,State,Category,Assignment group,Updated,"
     "Resolved,Company,Configuration item"), "servicenow", {"opened_at": "Opened"}),
    (("Summary,Issue key,Issue id,Issue Type,Status,Priority,Created,Resolved,"
     "Custom field (Organizations),Labels,Labels,Time Spent"), "jira",
     {"client": "Custom field (Organizations)"}),
    (("id,Description,Created (UTC),Amount,Amount Refunded,Currency,Status,Statement Descriptor,"
     "Customer Email,Captured,Invoice ID"), "stripe_payments", {"invoice_date": "Created (UTC)"}),
    # QuickBooks Desktop with one indent column; Customer Balance Detail has no Name.
    (",Type,,Date,,Num,,Memo,,Name,,Amount,,Balance", "quickbooks_desktop", {"client": "Name"}),
    (",,Type,,Date,,Num,,Account,,Amount,,Balance", "quickbooks_desktop", {"amount": "Amount"}),
    (("Co./Last Name,First Name,Invoice #,Date,Item Number,Quantity,Description,Price,Total,"
     "Inc-Tax Total,Tax Code,GST Amount,Sale Status,Currency Code,Card ID"), "myob",
     {"amount": "Total"}),
    (("ContactName,InvoiceNumber,InvoiceDate,Description,Quantity,UnitAmount,LineAmount,"
     "TaxAmount,Currency,Type"), "xero", {"amount": "LineAmount"}),
    # Near misses stay generic: Date Opened/Closed alone is no PSA's signature.
    ("Ticket ID,Date Opened,Date Closed,Priority,Client,Summary", "generic",
     {"opened_at": "Date Opened", "resolved_at": "Date Closed"}),
]


@pytest.mark.parametrize(("header", "expected", "some"), SHAPES, ids=[s[1] for s in SHAPES])
def test_other_shapes_of_an_export_are_detected_with_the_right_columns(
        header: str, expected: str, some: dict[str, str]) -> None:
    from pipelines.reading import unique_headers

    d = detect(unique_headers(header.split(",")), "x.csv")
    assert d.profile.name == expected
    assert {f: d.mapping[f][0].header for f in some} == some


def test_a_tool_signature_without_the_required_columns_falls_back_to_generic() -> None:
    """Statuspage's signature (impact, started_at, created_at) matches, but none of its id
    columns is there: the generic synonyms read the file instead of failing."""
    headers = ["Incident Number", "name", "impact", "started_at", "created_at", "resolved_at"]
    assert [p.name for p in profiles() if not p.generic and p.matches(headers)] == [
        "statuspage"]
    d = detect(headers, "x.csv")
    assert (d.profile.name, d.mapping["ticket_id"][0].header,
            d.mapping["priority"][0].header) == ("generic", "Incident Number", "impact")


def test_the_upload_preview_says_why_too(data_dir: Path) -> None:
    """The dashboard's Data page shows the same reason as `inspect` (Preview.why)."""
    from pipelines import uploads

    src = FORMATS / "halopsa__stock_ticket_report.csv"
    with workspace.connect("t", data_dir) as con:
        p = uploads.preview(con, "t", src, src.name)
    assert p.why == "its signature columns 'Ticket ID', 'Date Opened', 'Priority Description'"
