"""Held-out shapes of each tool's export, with no --format and no --map: columns reordered,
unknown columns added, only the minimal columns kept, alternative spellings (API names vs UI
labels, a French GLPI). Also: a ServiceNow history exported in parts (the 10,000-row list cap)
loads as one history.

Variants are written at run time from the fixtures in tests/data/formats/ (sources in
tests/data/README.md). Times are UTC.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pipelines import workspace
from pipelines.formats import HeaderIndex, detect, get_profile, map_columns, profiles
from pipelines.ingest import ingest_file
from pipelines.reading import read_table

FORMATS = Path(__file__).parent / "data" / "formats"
FIELDS_SQL = ("SELECT ticket_id, client, site, asset, category, priority, title, status,"
              " strftime(opened_at, '%Y-%m-%d %H:%M'), strftime(resolved_at, '%Y-%m-%d %H:%M'),"
              " round(labour_hours, 4), strftime(responded_at, '%Y-%m-%d %H:%M')"
              " FROM incidents ORDER BY ticket_id")


def ticket_fixtures() -> list[Path]:
    """One fixture per ticket tool (not generic), CSV ones (the variants are CSV)."""
    out = []
    for p in sorted(FORMATS.glob("*.csv")):
        name = p.name.split("__")[0]
        if name.startswith("generic"):
            continue
        if get_profile(name).kind == "incidents":
            out.append(p)
    return out


def rows_of(path: Path) -> tuple[list[str], list[list[str]]]:
    table = read_table(path)
    frame = table.frame.select(table.headers)
    return table.headers, [[v if v is not None else "" for v in r] for r in frame.rows()]


def write(path: Path, headers: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(headers)
        w.writerows(rows)
    return path


def project(headers: list[str], rows: list[list[str]], keep: list[str]
            ) -> tuple[list[str], list[list[str]]]:
    idx = [headers.index(h) for h in keep]
    return keep, [[r[i] for i in idx] for r in rows]


def loaded(data_dir: Path, name: str) -> list[tuple]:
    """The rows, with a client that fell back to the workspace's name written 'WS'."""
    with workspace.connect(name, data_dir) as con:
        rows = con.execute(FIELDS_SQL).fetchall()
    return [(r[0], "WS" if r[1] == name else r[1], *r[2:]) for r in rows]


@pytest.mark.parametrize("path", ticket_fixtures(), ids=lambda p: p.name)
def test_reordered_columns_and_unknown_extra_columns_load_the_same(path: Path,
                                                                   data_dir: Path) -> None:
    """Columns reversed, and three columns no tool has added: same tool, same rows, same
    fields as the fixture itself (comparing the two loads, not hand values: those are in
    test_profiles.py / test_formats_tools.py)."""
    tool = path.name.split("__")[0]
    headers, rows = rows_of(path)
    ingest_file(path, "orig", data_dir)
    extra = ["Internal Notes", "zz Custom Ref [txt]", "Contract Renewal"]
    variant_h = list(reversed(headers)) + extra
    variant_r = [list(reversed(r)) + ["note", "REF-1", "2030-01-01"] for r in rows]
    f = write(data_dir.parent / f"variant_{path.stem}.csv", variant_h, variant_r)
    assert detect(variant_h, f.name).profile.name == tool
    s = ingest_file(f, "variant", data_dir)
    assert s.format == tool
    assert loaded(data_dir, "variant") == loaded(data_dir, "orig")


@pytest.mark.parametrize("path", ticket_fixtures(), ids=lambda p: p.name)
def test_minimal_columns_still_detect_the_tool(path: Path, data_dir: Path) -> None:
    """Only the signature columns and the required fields' columns (ticket id, opened):
    the tool is still recognised and every row loads with its id and opened time."""
    tool = path.name.split("__")[0]
    p = get_profile(tool)
    headers, rows = rows_of(path)
    index = HeaderIndex(headers)
    keep = {h for h, _ in p.signature_hits(index) if h is not None}
    mapping = map_columns(p, headers)
    keep |= {s.header for f in ("ticket_id", "opened_at") for s in mapping[f][:1]}
    keep |= {h for u in p.updated if (h := index.exact.get(u.lower().replace(" ", "")))}
    keep |= {h for h in headers if h in p.rule_columns()}
    minimal = [h for h in headers if h in keep]
    mh, mr = project(headers, rows, minimal)
    f = write(data_dir.parent / f"minimal_{path.stem}.csv", mh, mr)
    assert detect(mh, f.name).profile.name == tool, minimal
    full = ingest_file(path, "orig", data_dir)
    s = ingest_file(f, "minimal", data_dir)
    assert (s.format, s.rows_loaded, s.rows_rejected) == (tool, full.rows_loaded, 0)
    with workspace.connect("minimal", data_dir) as con:
        ids = con.execute("SELECT ticket_id, strftime(opened_at, '%Y-%m-%d %H:%M')"
                          " FROM incidents ORDER BY 1").fetchall()
    assert ids == [(r[0], r[8]) for r in loaded(data_dir, "orig")]


@pytest.mark.parametrize(("headers", "tool"), [
    # ServiceNow labels instead of field names (a list export with display labels).
    (["Number", "Opened", "Short description", "Priority", "State", "Resolved"], "servicenow"),
    # Zendesk's API names (a view exported through the API) vs its CSV labels.
    (["id", "requester", "created_at", "solved_at", "subject", "priority"], "zendesk"),
    # HaloPSA stock report vs Request_View.
    (["Ticket ID", "Date Opened", "Date Resolved", "Client", "Priority Description"], "halopsa"),
    # HaloPSA's REST API names (an API dump written to CSV), as public API clients type them.
    (["id", "summary", "details", "tickettype_id", "client_id", "client_name", "site_name",
      "status_id", "status", "priority_id", "priority", "category_1", "dateoccurred",
      "datecreated", "deadlinedate", "fixbydate", "respondbydate", "responsedate"], "halopsa"),
    # ConnectWise's REST API names, flattened with "/" (and "." in another dump).
    (["id", "summary", "board/name", "status/name", "company/name", "priority/name",
      "dateEntered", "closedDate", "actualHours"], "connectwise"),
    (["id", "summary", "board.name", "status.name", "company.name", "priority.name",
      "dateEntered", "closedDate", "dateResponded"], "connectwise"),
    # Zendesk through its API (requester_id, organization_id) and a view exported to CSV,
    # whose created time is labelled "Requested".
    (["id", "subject", "status", "priority", "type", "organization_id", "requester_id",
      "submitter_id", "created_at", "updated_at", "solved_at"], "zendesk"),
    (["ID", "Subject", "Requester", "Requested", "Updated", "Assignee", "Status", "Priority",
      "Group", "Organization"], "zendesk"),
    # Freshdesk and Freshservice exports without the Due by Time column.
    (["Ticket ID", "Subject", "Status", "Priority", "Type", "Created time", "Resolved time",
      "Closed time", "Last update time", "Company Name", "Contact ID", "Time tracked"],
     "freshdesk"),
    (["Ticket Id", "Subject", "Status", "Priority", "Type", "Created Time", "Resolved Time",
      "Closed Time", "Last Updated Time", "Requester Email", "Department", "Time Tracked"],
     "freshservice"),
    # Syncro labels instead of API names.
    (["Number", "Customer Business Then Name", "Problem Type", "Created At", "Subject"],
     "syncro"),
    # SuperOps: only the ticket number, the created time and one SLA column.
    (["displayId", "subject", "createdTime", "resolutionTime", "firstResponseViolated"],
     "superops"),
    # NinjaOne board labels instead of API names.
    (["Ticket ID", "Created", "Subject", "Status", "Severity", "Tracked Time"], "ninjaone"),
    # Kaseya BMS ticket list labels (a label export with Created On: not Autotask's).
    (["Ticket Number", "Title", "Account", "Status", "Priority", "Issue Type", "Open Date",
      "Completed Date", "Created On"], "kaseya_bms"),
    # A French GLPI (semicolons are the reader's business; the header decides).
    (["ID", "Titre", "Statut", "Date d'ouverture", "Dernière modification", "Priorité"], "glpi"),
])
def test_alternative_spellings_of_one_tool(headers: list[str], tool: str) -> None:
    d = detect(headers, "held_out.csv")
    assert d.profile.name == tool
    assert {"ticket_id", "opened_at"} <= set(d.mapping)
    others = [p.name for p in profiles() if not p.generic and p.matches(headers)]
    assert tool in others


# Invoice headers as public code writes or reads each tool's file (tests/data/README.md).
REAL_INVOICE_HEADERS = {
    # A FreshBooks Invoice Details upload page's expected columns: "Invoice Number", not "#".
    "freshbooks": ["Client Name", "Invoice Number", "Date Issued", "Invoice Status",
                   "Date Paid", "Item Name", "Item Description", "Rate", "Quantity",
                   "Discount Percentage", "Line Subtotal", "Tax 1 Type", "Tax 1 Amount",
                   "Tax 2 Type", "Tax 2 Amount", "Line Total", "Currency"],
    # MYOB Item Sales, tab-separated, as a PHP export writes it (indent-padded address lines).
    "myob": ["Co./Last Name", "First Name", "Addr 1 - Line 1", "           - Line 2",
             "           - Line 3", "           - Line 4", "Invoice #", "Date", "Customer PO",
             "Ship Via", "Already Printed", "Item Number", "Quantity", "Description", "Price",
             "Discount", "Total", "Job", "Comment", "Journal Memo", "Salesperson Last Name",
             "Salesperson First Name", "Shipping Date", "Tax Code", "Tax Amount",
             "Freight Amount", "Tax on Freight", "Freight Tax Amount", "Sale Status",
             "Currency Code", "Exchange Rate"],
    # Sage 50's audit-trail CSV as CiviCRM's Sage50 export provider writes it.
    "sage50": ["Type", "Account Reference", "Nominal A/C Ref", "Department Code", "Date",
               "Reference", "Details", "Net Amount", "Tax Code", "Tax Amount", "Exchange Rate",
               "Extra Reference", "User Name", "Project Refn", "Cost Code Refn"],
    # Stripe payments, the older export (Created (UTC), Tax, Mode) a public script lists.
    "stripe_payments": ["id", "Description", "Created (UTC)", "Amount", "Amount Refunded",
                        "Currency", "Converted Amount", "Converted Amount Refunded", "Fee",
                        "Tax", "Converted Currency", "Mode", "Status", "Statement Descriptor",
                        "Customer ID", "Customer Description", "Customer Email", "Captured",
                        "Card ID", "Card Last4", "Card Brand"],
}


@pytest.mark.parametrize("tool", sorted(REAL_INVOICE_HEADERS), ids=str)
def test_invoice_headers_from_public_code_are_detected(tool: str) -> None:
    headers = REAL_INVOICE_HEADERS[tool]
    d = detect(headers, "held_out.csv")
    assert d.profile.name == tool
    assert {"invoice_id", "invoice_date", "amount"} <= set(d.mapping)
    assert [p.name for p in profiles() if not p.generic and p.matches(headers)] == [tool]


def test_french_glpi_export_reads_numbers_and_day_first_dates(data_dir: Path) -> None:
    """Header as a public GLPI-CSV dashboard parses a French export (tests/data/README.md).

    Priorité is GLPI's number, counting up: 5 (très haute) -> P1, 4 (haute) -> P2, 2 (basse)
    -> P4, never the digit read as P5/P4/P2. Dates DD-MM-YYYY HH:MM (18-11-2024 is day
    first). Catégorie is the category, not Type. No Entité column: the workspace is the client.
    No resolution date in this export: every ticket is unresolved.
    """
    s = ingest_file(FORMATS / "glpi__french_export.csv", "t", data_dir)
    assert (s.format, s.rows_read, s.rows_loaded, s.rows_rejected) == ("glpi", 3, 3, 0)
    with workspace.connect("t", data_dir) as con:
        got = con.execute(
            "SELECT ticket_id, client, category, priority, priority_raw, status,"
            " strftime(opened_at, '%Y-%m-%d %H:%M'), resolved_at FROM incidents"
            " ORDER BY opened_at").fetchall()
    assert got == [
        ("5 732 943", "t", "Matériel > Imprimante", "P2", "4", "Clos", "2024-11-04 09:10", None),
        ("5 732 951", "t", "Logiciel > Messagerie", "P1", "5", "Résolu", "2024-11-06 06:55",
         None),
        ("5 733 002", "t", "Comptes", "P4", "2", "En cours (Attribué)", "2024-11-18 14:20",
         None),
    ]


def test_servicenow_history_exported_in_parts_loads_as_one(data_dir: Path) -> None:
    """A list export stops at 10,000 rows, so a long history comes as several files.

    The real UCI excerpt (40 incidents, 258 update rows) cut in two by row position, so one
    incident's updates fall in both parts: loading both into one workspace gives the same 40
    incidents, each in its latest state, as loading the whole file (rows 258 = 258 read over
    two loads; the second load updates the incident it shares with the first).
    """
    path = FORMATS / "servicenow__event_log_excerpt.csv"
    headers, rows = rows_of(path)
    whole = ingest_file(path, "whole", data_dir)
    assert (whole.rows_read, whole.rows_rejected) == (258, 0)
    cut = 130
    shared = rows[cut - 1][0]
    assert rows[cut][0] == shared  # the cut falls inside one incident's updates
    a = ingest_file(write(data_dir.parent / "part1.csv", headers, rows[:cut]), "parts", data_dir)
    b = ingest_file(write(data_dir.parent / "part2.csv", headers, rows[cut:]), "parts", data_dir)
    assert a.rows_read + b.rows_read == 258
    assert (a.format, b.format) == ("servicenow", "servicenow")
    with workspace.connect("parts", data_dir) as con:
        n = con.execute("SELECT count(*), count(DISTINCT ticket_id) FROM incidents").fetchone()
    assert n == (40, 40)
    assert loaded(data_dir, "parts") == loaded(data_dir, "whole")
