"""Loading exports into a workspace: every row accounted for, re-loads, atomic failures."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines import store, workspace
from pipelines.cli import main
from pipelines.errors import InputError, SettingError
from pipelines.ingest import ingest_file, prepare

DATA = Path(__file__).parent / "data"
FORMAT_FILES = sorted((DATA / "formats").glob("*.*"))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "workspaces"


def query(data_dir: Path, sql: str, params: list | None = None) -> list[tuple]:
    with workspace.connect("t", data_dir) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.mark.parametrize("path", FORMAT_FILES, ids=lambda p: p.name)
def test_every_fixture_is_detected_and_every_row_accounted_for(path: Path,
                                                                 data_dir: Path) -> None:
    expected_format = path.name.split("__")[0]
    summary = ingest_file(path, "t", data_dir)
    assert summary.format == expected_format
    assert summary.rows_read == summary.rows_loaded + summary.rows_rejected
    table = "incidents" if summary.kind == "incidents" else "invoice_lines"
    ((loads_ok,),) = query(data_dir, "SELECT count(*) FROM loads"
                           " WHERE rows_read = rows_loaded + rows_rejected")
    ((rejects,),) = query(data_dir, "SELECT count(*) FROM rejects")
    ((stored,),) = query(data_dir, f"SELECT count(*) FROM {table}")
    assert loads_ok == 1
    assert rejects == summary.rows_rejected
    assert stored > 0


def test_servicenow_event_log_keeps_the_latest_update_of_each_incident(data_dir: Path) -> None:
    """The excerpt has 258 update rows of 40 incidents; INC0000045's last row is Closed."""
    s = ingest_file(DATA / "formats/servicenow__event_log_excerpt.csv", "t", data_dir)
    assert (s.rows_read, s.rows_loaded, s.rows_rejected, s.inserted) == (258, 258, 0, 40)
    row = query(data_dir, "SELECT status, priority, priority_raw, site, category, asset,"
                " strftime(opened_at, '%Y-%m-%d %H:%M'), strftime(resolved_at, '%Y-%m-%d %H:%M')"
                " FROM incidents WHERE ticket_id = 'INC0000045'")
    assert row == [("Closed", "P3", "3 - Moderate", "Location 143", "Category 55", None,
                    "2016-02-29 01:16", "2016-02-29 11:29")]


def test_loading_the_same_file_twice_changes_nothing(data_dir: Path) -> None:
    path = DATA / "formats/zendesk__tickets.csv"
    first = ingest_file(path, "t", data_dir)
    before = query(data_dir, "SELECT * EXCLUDE (load_id) FROM incidents ORDER BY ticket_id")
    second = ingest_file(path, "t", data_dir)
    assert (first.status, first.inserted) == ("loaded", 4)
    assert (second.status, second.inserted, second.updated) == ("unchanged", 0, 0)
    assert query(data_dir, "SELECT * EXCLUDE (load_id) FROM incidents ORDER BY ticket_id") == before
    assert query(data_dir, "SELECT count(*) FROM loads") == [(1,)]


def test_a_later_export_updates_the_same_tickets(tmp_path: Path, data_dir: Path) -> None:
    v1 = tmp_path / "tickets_v1.csv"
    v2 = tmp_path / "tickets_v2.csv"
    v1.write_text("Ticket Number,Created,Resolved,Priority\n"
                  "A-1,2024-01-02 10:00,,High\nA-2,2024-01-03 10:00,2024-01-03 12:00,Low\n")
    v2.write_text("Ticket Number,Created,Resolved,Priority\n"
                  "A-1,2024-01-02 10:00,2024-01-04 10:00,High\nA-3,2024-01-05 09:00,,Low\n")
    ingest_file(v1, "t", data_dir)
    s = ingest_file(v2, "t", data_dir)
    assert (s.inserted, s.updated) == (1, 1)
    rows = query(data_dir, "SELECT ticket_id, ttr_hours, load_id FROM incidents ORDER BY 1")
    assert rows == [("A-1", 48.0, 2), ("A-2", 2.0, 1), ("A-3", None, 2)]


def test_an_invoice_is_replaced_as_a_whole(tmp_path: Path, data_dir: Path) -> None:
    v1 = tmp_path / "inv1.csv"
    v2 = tmp_path / "inv2.csv"
    v1.write_text("Invoice Number,Invoice Date,Description,Amount\n"
                  "9,2024-01-31,Remote support,100.00\n9,2024-01-31,SSD,80.00\n")
    v2.write_text("Invoice Number,Invoice Date,Description,Amount\n"
                  "9,2024-01-31,Remote support,90.00\n")
    ingest_file(v1, "t", data_dir)
    s = ingest_file(v2, "t", data_dir)
    assert (s.inserted, s.updated) == (0, 1)
    assert query(data_dir, "SELECT line_no, amount, kind FROM invoice_lines") == [
        (1, Decimal("90.00"), "labour")]


def test_a_load_that_fails_midway_leaves_the_workspace_as_it_was(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_file(DATA / "formats/zendesk__tickets.csv", "t", data_dir)
    tables = ("incidents", "invoice_lines", "loads", "rejects", "settings")
    before = {t: query(data_dir, f"SELECT * FROM {t} ORDER BY ALL") for t in tables}

    def fail(con: duckdb.DuckDBPyConnection) -> None:
        raise OSError("disk full (injected)")

    monkeypatch.setattr(store, "_before_commit", fail)
    with pytest.raises(OSError, match="injected"):
        ingest_file(DATA / "broken/ragged.csv", "t", data_dir, mapping={"priority": "Priority"})
    monkeypatch.undo()
    after = {t: query(data_dir, f"SELECT * FROM {t} ORDER BY ALL") for t in tables}
    assert after == before
    # and the same file loads cleanly afterwards
    assert ingest_file(DATA / "broken/ragged.csv", "t", data_dir).status == "loaded_with_rejects"


def test_rejects_list_the_row_and_the_reason(tmp_path: Path, data_dir: Path) -> None:
    f = tmp_path / "bad_rows.csv"
    f.write_text("Ticket Number,Created,Resolved,Billable Amount,Users Affected\n"
                 "B-1,2024-01-02 10:00,2024-01-02 11:00,$10.00,2\n"
                 ",2024-01-02 10:00,,,\n"
                 "B-3,someday,,,\n"
                 "B-4,2024-01-02 10:00,,ten dollars,\n"
                 "B-5,2024-01-02 10:00,,,2.5\n")
    s = ingest_file(f, "t", data_dir)
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (5, 1, 4)
    assert query(data_dir, "SELECT row_number, reason FROM rejects ORDER BY row_number") == [
        (3, "'Ticket Number' is empty: every ticket needs its number"),
        (4, "'Created' is 'someday', not a date (expected a date and time)"),
        (5, "'Billable Amount' is 'ten dollars', not an amount"),
        (6, "'users affected' is not a whole number"),
    ]
    assert query(data_dir, "SELECT raw FROM rejects WHERE row_number = 4") == [
        ("B-3,someday,,,",)]


def test_resolved_before_opened_is_loaded_with_a_warning(tmp_path: Path,
                                                         data_dir: Path) -> None:
    f = tmp_path / "backwards.csv"
    f.write_text("Ticket Number,Created,Resolved\nX-1,2024-01-02 10:00,2024-01-01 10:00\n")
    s = ingest_file(f, "t", data_dir)
    assert (s.rows_loaded, s.warnings) == (1, 1)
    assert query(data_dir, "SELECT ttr_hours FROM incidents") == [(None,)]


def test_placeholder_dates_are_null_not_rejects(tmp_path: Path, data_dir: Path) -> None:
    f = tmp_path / "halo_like.csv"
    f.write_text("Ticket Number,Created,Resolved\nH-1,2024-01-02 10:00,1899-12-30 00:00:00\n")
    s = ingest_file(f, "t", data_dir)
    assert s.rows_rejected == 0
    assert query(data_dir, "SELECT resolved_at FROM incidents") == [(None,)]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.csv", "empty.csv: the file is empty; export again with at least one row of data"),
        ("header_only.csv", "header_only.csv: the file has a header row but no data rows"),
        ("binary_junk.csv", ("binary_junk.csv: this is not a text export (it contains binary"
         " data); export the tickets or invoices as CSV or .xlsx")),
        ("ambiguous_dates.csv", ("ambiguous_dates.csv: cannot tell whether dates like"
         " '03/04/2024' ('Created') are day-first or month-first (no day above 12 in the"
         " file); pass --day-first or --month-first")),
        ("no_columns.csv", ("no_columns.csv: no recognisable tickets or invoices columns (found:"
         " colour, size, weight); name them with --map ticket_id=HEADER --map opened_at=HEADER"
         " (tickets) or --map invoice_date=HEADER --map amount=HEADER (invoices), or pick"
         " --format (see: breakeven formats)")),
    ],
)
def test_bad_files_are_refused_and_nothing_is_written(name: str, message: str,
                                                      data_dir: Path) -> None:
    with pytest.raises(InputError) as exc:
        ingest_file(DATA / "broken" / name, "t", data_dir)
    assert str(exc.value) == message
    assert query(data_dir, "SELECT count(*) FROM loads") == [(0,)]


def test_user_date_order_resolves_an_ambiguous_file(data_dir: Path) -> None:
    ingest_file(DATA / "broken/ambiguous_dates.csv", "t", data_dir, date_order="month-first")
    assert query(data_dir, "SELECT strftime(opened_at, '%Y-%m-%d') FROM incidents ORDER BY 1") == [
        ("2024-03-04",), ("2024-05-06",)]


def test_a_mapping_given_once_is_remembered_for_the_same_header(tmp_path: Path,
                                                                data_dir: Path) -> None:
    f1 = tmp_path / "odd1.csv"
    f2 = tmp_path / "odd2.csv"
    f1.write_text("Docket,Stamp,Kit\nJ-1,2024-02-01 09:00,Router\n")
    f2.write_text("Docket,Stamp,Kit\nJ-2,2024-02-02 09:00,Switch\n")
    with pytest.raises(InputError):
        ingest_file(f1, "t", data_dir)
    user_map = {"ticket_id": "Docket", "opened_at": "Stamp", "asset": "Kit"}
    ingest_file(f1, "t", data_dir, kind="incidents", mapping=user_map)
    s = ingest_file(f2, "t", data_dir)
    assert s.inserted == 1
    assert query(data_dir, "SELECT ticket_id, asset FROM incidents ORDER BY 1") == [
        ("J-1", "Router"), ("J-2", "Switch")]


def test_workspace_names_are_slugs(data_dir: Path) -> None:
    for bad in ("../x", "A", "", "a/b", "a" * 64, ".hidden"):
        with pytest.raises(SettingError, match="is not allowed"):
            workspace.workspace_path(bad, data_dir)
    assert workspace.workspace_path("prospect-2", data_dir) == data_dir / "prospect-2.duckdb"


def test_uploads_in_memory_read_like_files(data_dir: Path) -> None:
    src = DATA / "formats/generic__tickets.xlsx"
    p = prepare(Path("upload-1234.bin"), "t", data=src.read_bytes(),
                display_name="tickets.xlsx")
    assert (p.file_name, p.kind, p.raw.header_row, p.rows.height) == ("tickets.xlsx",
                                                                      "incidents", 3, 2)


def test_event_log_copies_keep_the_latest_updated_row(tmp_path: Path, data_dir: Path) -> None:
    shutil.copy(DATA / "formats/servicenow__event_log_excerpt.csv", tmp_path / "log.csv")
    f = tmp_path / "generic_log.csv"
    f.write_text("Ticket Number,Created,Status,Updated\n"
                 "E-1,2024-01-02 10:00,Closed,2024-01-05 10:00\n"
                 "E-1,2024-01-02 10:00,New,2024-01-02 10:00\n"
                 "E-2,2024-01-03 10:00,New,\n"
                 "E-2,2024-01-03 10:00,Open,\n")
    s = ingest_file(f, "t", data_dir)
    assert (s.rows_read, s.rows_loaded, s.rows_rejected, s.inserted) == (4, 4, 0, 2)
    assert query(data_dir, "SELECT ticket_id, status FROM incidents ORDER BY 1") == [
        ("E-1", "Closed"), ("E-2", "Open")]


def test_windows_1252_bytes_after_a_long_utf8_start_are_still_read(tmp_path: Path,
                                                                  data_dir: Path) -> None:
    """The fast path trusts the first 256 KiB; a later non-UTF-8 byte must not be lost."""
    f = tmp_path / "long.csv"
    rows = "".join(f"T-{i},2024-01-01 10:00,Acme\n" for i in range(12_000))
    f.write_bytes(b"Ticket Number,Created,Client\n" + rows.encode()
                  + "T-last,2024-01-02 10:00,Caf\xe9 M\xfcller\n".encode("cp1252"))
    s = ingest_file(f, "t", data_dir)
    assert (s.rows_read, s.rows_rejected) == (12_001, 0)
    assert query(data_dir, "SELECT client FROM incidents WHERE ticket_id = 'T-last'") == [
        ("Café Müller",)]


def test_invoice_amount_from_quantity_and_unit_price(tmp_path: Path, data_dir: Path) -> None:
    f = tmp_path / "no_amount.csv"
    f.write_text("Invoice Number,Invoice Date,Description,Quantity,Unit Price\n"
                 "7,2024-03-31,Remote support hours,1.5,95.00\n7,2024-03-31,Cable,3,2.335\n"
                 "8,2024-03-31,Visit,,50\n")
    s = ingest_file(f, "t", data_dir)
    assert (s.rows_loaded, s.rows_rejected) == (2, 1)
    assert query(data_dir, "SELECT line_no, amount FROM invoice_lines ORDER BY 1") == [
        (1, Decimal("142.50")), (2, Decimal("7.01"))]


def test_padded_text_is_trimmed_and_padded_markers_are_empty(tmp_path: Path,
                                                            data_dir: Path) -> None:
    f = tmp_path / "padded.csv"
    f.write_text("Ticket Number,Created,Client,Asset,Billable Amount\n"
                 "P-1, 2024-01-02 10:00 ,  Acme Ltd ,\tNAS-1, 12.50 \n"
                 "P-2,2024-01-03 10:00, ? , N/A ,  \n")
    s = ingest_file(f, "t", data_dir)
    assert (s.rows_loaded, s.rows_rejected) == (2, 0)
    assert query(data_dir, "SELECT ticket_id, client, asset, billed_amount FROM incidents"
                 " ORDER BY 1") == [("P-1", "Acme Ltd", "NAS-1", Decimal("12.50")),
                                    ("P-2", "t", None, None)]


def test_a_small_tracker_export_with_common_header_names(tmp_path: Path, data_dir: Path) -> None:
    f = tmp_path / "jobs.csv"
    f.write_text("Job #,Customer,Date Logged,Date Closed,Problem,Engineer Hours,Charge (£),Machine\n"
                 "J1,Bob's Bakery,14/03/2024 09:00,14/03/2024 12:00,Till broken,3,£270.00,TILL-1\n"
                 "J2,Bob's Bakery,02/04/2024 10:00,,Wifi down,,,\n", encoding="utf-8")
    s = ingest_file(f, "t", data_dir)
    assert (s.format, s.rows_loaded, s.rows_rejected) == ("generic", 2, 0)
    assert query(data_dir, "SELECT ticket_id, client, asset, labour_hours, billed_amount,"
                 " ttr_hours FROM incidents ORDER BY 1") == [
        ("J1", "Bob's Bakery", "TILL-1", 3.0, Decimal("270.00"), 3.0),
        ("J2", "Bob's Bakery", None, None, None, None)]


# --- data a load gets wrong, hostile input (issue 9) -----------------------------------------

HOSTILE = DATA / "hostile"


def rejects_of(data_dir: Path, ws: str = "t") -> list[tuple]:
    with workspace.connect(ws, data_dir, read_only=True) as con:
        return con.execute("SELECT row_number, reason FROM rejects ORDER BY 1").fetchall()


def test_ledger_lines_without_numbers_keep_their_key_across_files_and_zones(
        tmp_path: Path, data_dir: Path) -> None:
    """The same line in a later export replaces itself: keyed by its raw text, not by the
    parsed amount (whose text depends on the other lines' decimals) or the instant."""
    first = tmp_path / "spend_jan.csv"
    first.write_text("Date,Supplier,Description,Amount\n"
                     "31/01/2025,Acme IT,Support,\"25,000.00\"\n"
                     "15/01/2025,Acme IT,Parts,1200.125\n")
    later = tmp_path / "spend_jan_again.csv"
    later.write_text("Date,Supplier,Description,Amount\n31/01/2025,Acme IT,Support,\"25,000.00\"\n")
    ingest_file(first, "t", data_dir)
    main(["scenario", "-w", "t", "--data-dir", str(data_dir), "--set", "timezone=Pacific/Auckland"])
    s = ingest_file(later, "t", data_dir)
    assert (s.inserted, s.updated) == (0, 1)
    assert query(data_dir, "SELECT count(*), sum(amount) FROM invoice_lines") == [
        (2, Decimal("26200.13"))]


def test_the_date_order_of_a_header_is_remembered(tmp_path: Path, data_dir: Path) -> None:
    """January's export shows 13/03/2024 (day-first); February's, same header, has only
    ambiguous dates and loads day-first: 03/04/2024 is 3 April."""
    header = "Job Ref,Date Raised,Date Closed\n"
    (tmp_path / "jan.csv").write_text(header + "J-1,13/03/2024 09:00,14/03/2024 10:00\n")
    (tmp_path / "feb.csv").write_text(header + "J-2,03/04/2024 09:00,05/04/2024 10:00\n")
    mapping = {"ticket_id": "Job Ref", "opened_at": "Date Raised", "resolved_at": "Date Closed"}
    ingest_file(tmp_path / "jan.csv", "t", data_dir, mapping=mapping)
    ingest_file(tmp_path / "feb.csv", "t", data_dir)
    assert query(data_dir, "SELECT strftime(opened_at, '%Y-%m-%d') FROM incidents"
                 " WHERE ticket_id = 'J-2'") == [("2024-04-03",)]
    # An order given once by hand is remembered the same way.
    other = "Ref,Created\n"
    (tmp_path / "a.csv").write_text(other + "K-1,03/04/2024\n")
    (tmp_path / "b.csv").write_text(other + "K-2,05/06/2024\n")
    with pytest.raises(InputError, match="day-first or month-first"):
        ingest_file(tmp_path / "a.csv", "t", data_dir)
    ingest_file(tmp_path / "a.csv", "t", data_dir, date_order="month-first")
    ingest_file(tmp_path / "b.csv", "t", data_dir)
    assert query(data_dir, "SELECT strftime(opened_at, '%Y-%m-%d') FROM incidents"
                 " WHERE ticket_id = 'K-2'") == [("2024-05-06",)]


ZONE_FILE = ("Ticket Number,Created,Resolved,Priority\n"
             "Z-1,2024-03-31 01:30,2024-03-31 02:30,High\n"  # 02:30 does not exist in Amsterdam
             "Z-2,2024-10-27 02:30,2024-10-27 03:30,Low\n"  # 02:30 happens twice
             "Z-3,2024-06-01T10:00:00+00:00,2024-06-01 12:00,Low\n"  # an offset keeps its instant
             "Z-4,2024-01-31 23:30,,Low\n")  # January in Amsterdam, 22:30 UTC


def test_zone_then_load_equals_load_then_zone(tmp_path: Path, data_dir: Path) -> None:
    """METRICS.md section 6: the figures never depend on the order of zone and files."""
    f = tmp_path / "tickets.csv"
    f.write_text(ZONE_FILE)
    zone = ["--data-dir", str(data_dir), "--set", "timezone=Europe/Amsterdam"]
    ingest_file(f, "late", data_dir)
    assert main(["scenario", "-w", "late", *zone]) == 0
    assert main(["scenario", "-w", "early", *zone]) == 0  # before the first load
    ingest_file(f, "early", data_dir)
    sql = "SELECT * EXCLUDE (load_id, client) FROM incidents ORDER BY ticket_id"
    with workspace.connect("late", data_dir, read_only=True) as con:
        late = con.execute(sql).fetchall()
        z1 = con.execute("SELECT strftime(opened_at, '%H:%M'), ttr_hours, strftime(resolved_at,"
                         " '%H:%M') FROM incidents WHERE ticket_id IN ('Z-1', 'Z-2', 'Z-3')"
                         " ORDER BY 1").fetchall()
        months = con.execute("SELECT opened_month FROM incidents WHERE ticket_id = 'Z-4'"
                             ).fetchall()
    with workspace.connect("early", data_dir, read_only=True) as con:
        early = con.execute(sql).fetchall()
    assert late == early
    # Z-1 00:30-01:30 UTC (the skipped 02:30 read at +01:00); Z-2 00:30 (earlier of the
    # two 02:30s, +02:00) to 02:30 (+01:00); Z-3 opened 10:00 UTC as written.
    assert z1 == [("00:30", 1.0, "01:30"), ("00:30", 2.0, "02:30"), ("10:00", 0.0, "10:00")]
    assert months == [(date(2024, 1, 1),)]
    # and back to UTC: the wall times as written
    main(["scenario", "-w", "late", "--data-dir", str(data_dir), "--set", "timezone=UTC"])
    with workspace.connect("late", data_dir, read_only=True) as con:
        assert con.execute("SELECT strftime(opened_at, '%Y-%m-%d %H:%M') FROM incidents"
                           " WHERE ticket_id = 'Z-4'").fetchall() == [("2024-01-31 23:30",)]


def test_values_the_store_cannot_hold_are_rejects(tmp_path: Path, data_dir: Path) -> None:
    f = tmp_path / "big.csv"
    f.write_text("Invoice Number,Date,Client,Quantity,Unit Price,Amount\n"
                 "I-1,2025-01-02,Acme,1,9999999999999999.99,10\n"
                 "I-2,2025-01-02,Acme,1,10,9999999999999999.99\n"
                 "I-3,2025-01-02,Acme,1,10,10\n")
    s = ingest_file(f, "t", data_dir)
    assert (s.rows_loaded, s.rows_rejected) == (1, 2)
    assert rejects_of(data_dir) == [
        (2, ("'Unit Price' is '9999999999999999.99', too large an amount (over"
             " 999,999,999,999.9999)")),
        (3, "'Amount' is '9999999999999999.99', too large an amount (over 999,999,999,999.99)"),
    ]


def test_no_amount_column_parses_quantity_and_price_once(tmp_path: Path,
                                                         data_dir: Path) -> None:
    f = tmp_path / "lines.csv"
    f.write_text("Invoice Number,Date,Client,Description,Quantity,Unit Price\n"
                 "I-1,2025-01-02,Acme,Labour,two,75.00\n"
                 "I-2,2025-01-02,Acme,Labour,2,\n"
                 "I-3,2025-01-02,Acme,Labour,2,75.00\n")
    s = ingest_file(f, "t", data_dir)
    assert (s.rows_loaded, s.rows_rejected) == (1, 2)
    assert rejects_of(data_dir) == [
        (2, "'Quantity' is 'two', not a number"),
        (3, "'Quantity' or 'Unit Price' is empty: the line's amount is unknown"),
    ]


@pytest.mark.parametrize("value", ["inf", "-inf", "-nan", "Infinity", "1e309"])
def test_non_finite_numbers_are_rejects_and_metrics_still_compute(
        tmp_path: Path, data_dir: Path, value: str) -> None:
    f = tmp_path / "t.csv"
    f.write_text("Ticket Number,Created,Resolved,Priority,Downtime Minutes,Labour Hours\n"
                 f"A-1,2024-01-02 10:00,2024-01-02 12:00,P1,{value},1\n"
                 f"A-2,2024-01-02 10:00,2024-01-02 12:00,P1,30,{value}\n"
                 "A-3,2024-01-02 10:00,2024-01-02 12:00,P1,30,1\n")
    s = ingest_file(f, "t", data_dir)
    assert (s.rows_loaded, s.rows_rejected) == (1, 2)
    assert rejects_of(data_dir) == [
        (2, f"'Downtime Minutes' is '{value}', not a finite number"),
        (3, f"'Labour Hours' is '{value}', not a finite number"),
    ]
    assert main(["metrics", "-w", "t", "--data-dir", str(data_dir), "--json"]) == 0


def test_dates_out_of_range_are_rejects(tmp_path: Path, data_dir: Path) -> None:
    """METRICS.md section 8: more than a day after the load's start is refused; before 1900
    too, except the placeholders for no date (0001-01-01 here: the ticket is open)."""
    f = tmp_path / "t.csv"
    f.write_text("Ticket Number,Created,Resolved\n"
                 "A-1,9999-12-31 10:00,\n"
                 "A-2,2024-01-02 10:00,2204-01-02 10:00\n"
                 "A-3,1850-03-01 10:00,\n"
                 "A-4,2024-01-02 10:00,0001-01-01 00:00\n")
    s = ingest_file(f, "t", data_dir)
    assert (s.rows_loaded, s.rows_rejected) == (1, 3)
    assert rejects_of(data_dir) == [
        (2, "'Created' is '9999-12-31 10:00', more than a day after this load"),
        (3, "'Resolved' is '2204-01-02 10:00', more than a day after this load"),
        (4, "'Created' is '1850-03-01 10:00', before 1900: not a real date"),
    ]
    assert query(data_dir, "SELECT ticket_id, resolved_at FROM incidents") == [("A-4", None)]
    assert main(["metrics", "-w", "t", "--data-dir", str(data_dir), "--json"]) == 0


def test_a_failed_first_load_leaves_nothing_behind(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "new" / "dir"

    def fail(con: duckdb.DuckDBPyConnection) -> None:
        raise OSError("disk full (injected)")

    monkeypatch.setattr(store, "_before_commit", fail)
    with pytest.raises(OSError, match="injected"):
        ingest_file(DATA / "formats/zendesk__tickets.csv", "t", data_dir)
    assert not (tmp_path / "new").exists()
    monkeypatch.undo()
    ingest_file(DATA / "formats/zendesk__tickets.csv", "t", data_dir)
    assert sorted(p.name for p in data_dir.iterdir()) == ["t.duckdb"]


def test_an_amount_of_spaces_is_a_reject(tmp_path: Path, data_dir: Path) -> None:
    f = tmp_path / "inv.csv"
    f.write_text("Invoice Number,Date,Client,Amount\nI-1,2025-01-02,Acme,   \n"
                 "I-2,2025-01-02,Acme,10\n")
    s = ingest_file(f, "t", data_dir)
    assert (s.rows_loaded, s.rows_rejected) == (1, 1)
    assert rejects_of(data_dir) == [
        (2, "'Amount' is empty: every invoice line needs an amount")]


TICKETS = "Ticket Number,Created,Resolved,Title\n"


@pytest.mark.parametrize(("name", "data", "loaded", "rejected", "note"), [
    # a UTF-16 mark in front of UTF-8 text
    ("bom16.csv", b"\xff\xfe" + (TICKETS + "A-1,2024-01-02 10:00,,Caf\u00e9\n").encode(),
     1, 0, "UTF-16 mark but its text is 8-bit"),
    # a UTF-8 mark in front of Windows-1252 bytes
    ("bom8.csv", b"\xef\xbb\xbf" + (TICKETS + "A-1,2024-01-02 10:00,,Caf\u00e9 \u2013 ok\n"
                                    ).encode("cp1252"), 1, 0, "UTF-8 mark but its text is not UTF-8"),
    # classic Mac line ends
    ("cr.csv", (TICKETS + "A-1,2024-01-02 10:00,,x\nA-2,2024-01-03 10:00,,y\n"
                ).replace("\n", "\r").encode(), 2, 0, None),
    # Windows-1252, a ragged row and a bare CR inside a cell
    ("ragged.csv", (TICKETS + "A-1,2024-01-02 10:00,,Caf\u00e9\nA-2,2024-01-02 10:00,,a,b,c\n"
                    "A-3,2024-01-02 10:00,,in\rside\n").encode("cp1252"), 2, 1, None),
    # non-ASCII digits in a date
    ("digits.csv", (TICKETS + "A-1,\uff12\uff10\uff12\uff14-01-01 10:00,,x\n"
                    "A-2,2024-01-02 10:00,,y\n").encode(), 1, 1, None),
])
def test_hostile_text_files_load_or_reject_and_never_raise(
        tmp_path: Path, data_dir: Path, name: str, data: bytes, loaded: int, rejected: int,
        note: str | None) -> None:
    f = tmp_path / name
    f.write_bytes(data)
    s = ingest_file(f, "t", data_dir)
    assert (s.rows_loaded, s.rows_rejected) == (loaded, rejected)
    if note:
        assert note in s.message


def test_random_bytes_after_a_utf8_megabyte_are_read_with_the_lines_named(
        tmp_path: Path, data_dir: Path) -> None:
    rows = "".join(f"A-{i},2024-01-02 10:00,,ok\n" for i in range(40_000))
    f = tmp_path / "long.csv"
    f.write_bytes((TICKETS + rows).encode() + b"B-1,2024-01-02 10:00,,\x81\xfe\xff\x9d\n")
    s = ingest_file(f, "t", data_dir)
    assert (s.rows_read, s.rows_loaded) == (40_001, 40_001)
    assert "line 40002 (1 line) not UTF-8: read as Windows-1252" in s.message


def test_printable_garbage_is_one_clear_line(tmp_path: Path, data_dir: Path) -> None:
    f = tmp_path / "garbage.csv"
    f.write_text('"a""b,c"d""e,,,\n' + "x;y|z\t" * 500 + "\n" + "\"\"\",,\n" * 3)
    with pytest.raises(InputError) as exc:
        ingest_file(f, "t", data_dir)
    assert str(exc.value).startswith("garbage.csv: ")
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize(("name", "message"), [
    ("damaged.xlsx", ("damaged.xlsx: a damaged zip file (an .xlsx workbook is one) that"
                      " cannot be opened (File is not a zip file); export it again")),
    ("photos.zip", ("photos.zip: is a zip archive of 2 files (IMG_0001.jpg, IMG_0002.jpg)"
                    " with no CSV or .xlsx export in it; load the export itself")),
    ("really_a_zip.csv", ("really_a_zip.csv: is a zip archive of 1 file (minutes.pdf) with no"
                          " CSV or .xlsx export in it; load the export itself")),
])
def test_archives_and_workbooks_that_are_not_exports_are_named(name: str, message: str,
                                                               data_dir: Path) -> None:
    with pytest.raises(InputError) as exc:
        ingest_file(HOSTILE / name, "t", data_dir)
    assert str(exc.value) == message
    assert not data_dir.exists()


def test_zip_and_gz_load_as_the_export_inside(data_dir: Path) -> None:
    """The UCI event log ships zipped: the excerpt zipped loads like the excerpt."""
    s = ingest_file(HOSTILE / "incident_event_log_excerpt.csv.zip", "t", data_dir)
    assert (s.format, s.rows_read, s.rows_loaded, s.inserted) == ("servicenow", 258, 258, 40)
    s = ingest_file(HOSTILE / "zendesk_tickets.csv.gz", "t", data_dir)
    assert (s.format, s.inserted) == ("zendesk", 4)


def test_a_workbook_whose_first_sheet_is_empty_reads_the_export_sheet(data_dir: Path) -> None:
    s = ingest_file(HOSTILE / "second_sheet.xlsx", "t", data_dir)
    assert (s.rows_loaded, s.inserted) == (2, 2)
    assert "read sheet 'Tickets'" in s.message
    with pytest.raises(InputError, match="the workbook's sheet 'Cover' has no header row"):
        ingest_file(HOSTILE / "second_sheet.xlsx", "u", data_dir, sheet="Cover")


# --- a large file, read in batches (pipelines/ingest/stream.py) ------------------------------

STREAM_CSV = """Ticket Number,Client,Created,Resolved,Time Spent,Last Updated
T-3,Acme,01/02/2024 09:00,01/02/2024 10:00,"1,5",01/02/2024 10:00
T-1,Acme,02/02/2024 09:00,,2,02/02/2024 09:00
T-2,Acme,03/02/2024 09:00,03/02/2024 11:00,x,03/02/2024 11:00
T-1,Acme,02/02/2024 09:00,04/02/2024 09:30,2,04/02/2024 09:30

T-4,Acme,05/02/2024 09:00,05/02/2024 08:00,1,05/02/2024 09:00
T-5,Acme,20/02/2024 09:00,21/02/2024 09:00,1,21/02/2024 09:00
"""


def _tables(data_dir: Path) -> tuple[list[tuple], list[tuple], list[tuple]]:
    incidents = query(data_dir, "SELECT ticket_id, opened_at, resolved_at, labour_hours,"
                      " ttr_hours, opened_month, opened_at_naive FROM incidents"
                      " ORDER BY ticket_id")
    rejects = query(data_dir, "SELECT row_number, reason, raw FROM rejects ORDER BY row_number")
    loads = query(data_dir, "SELECT rows_read, rows_loaded, rows_rejected, inserted, warnings,"
                  " message FROM loads")
    return incidents, rejects, loads


def test_a_large_file_read_in_batches_loads_as_read_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 2 rows: the same tables as one read of the whole file.

    By hand: 7 data rows (one blank line, not a row: 6 read); T-2's 'x' is refused (row 4);
    T-1 appears in batches 1 and 2: the update of 04/02 stands (one ticket, one
    'earlier update' note); T-4 resolved before opened: a warning. The only day above 12
    (20/02) is in the last batch: the date order is the file's, so 01/02 is 1 February.
    """
    from pipelines.ingest import stream

    path = tmp_path / "big.csv"
    path.write_text(STREAM_CSV)
    whole, batched = tmp_path / "whole", tmp_path / "batched"
    ingest_file(path, "t", whole)
    monkeypatch.setattr(stream, "STREAM_BYTES", 1)
    monkeypatch.setattr(stream, "BATCH_ROWS", 2)
    summary = ingest_file(path, "t", batched)
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (6, 5, 1)
    assert summary.inserted == 4 and summary.warnings == 1
    incidents, rejects, loads = _tables(batched)
    assert _tables(whole) == (incidents, rejects, loads)
    assert [r[0] for r in incidents] == ["T-1", "T-3", "T-4", "T-5"]
    assert incidents[1][1].month == 2 and incidents[1][1].day == 1  # 01/02 is 1 February
    assert incidents[0][2] is not None  # T-1: the later update, resolved, stands
    assert [(r[0], r[1]) for r in rejects] == [(4, "'Time Spent' is 'x', not a number")]
    assert "1 tickets were resolved before they were opened" in loads[0][5]
    assert "1 rows were earlier updates of the same tickets" in loads[0][5]


def test_a_batched_file_of_distinct_ids_out_of_text_order_skips_the_dedup(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """T-10 sorts before T-9 as text, but no ticket is there twice: Staged.unique, all 3 kept."""
    from pipelines import store
    from pipelines.ingest import stream

    path = tmp_path / "big.csv"
    path.write_text("Ticket Number,Client,Created\nT-9,Acme,2024-01-01 09:00\n"
                    "T-10,Acme,2024-01-02 09:00\nT-11,Acme,2024-01-03 09:00\n")
    whole, batched = tmp_path / "whole", tmp_path / "batched"
    ingest_file(path, "t", whole)
    monkeypatch.setattr(stream, "STREAM_BYTES", 1)
    monkeypatch.setattr(stream, "BATCH_ROWS", 2)
    seen: list[bool] = []
    stage = store._stage_parts
    monkeypatch.setattr(store, "_stage_parts",
                        lambda con, staged: (seen.append(staged.unique), stage(con, staged))[1])
    summary = ingest_file(path, "t", batched)
    assert seen == [True]
    assert (summary.rows_read, summary.rows_loaded, summary.inserted) == (3, 3, 3)
    assert _tables(whole) == _tables(batched)


def _batched_passes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Batches of 2 rows; the list fills with "first pass" and "batch" as they run."""
    from pipelines.ingest import stream

    monkeypatch.setattr(stream, "STREAM_BYTES", 1)
    monkeypatch.setattr(stream, "BATCH_ROWS", 2)
    seen: list[str] = []
    first_pass, add = stream._first_pass, stream._Staging.add
    monkeypatch.setattr(stream, "_first_pass",
                        lambda *a: (seen.append("first pass"), first_pass(*a))[1])
    monkeypatch.setattr(stream._Staging, "add",
                        lambda self, *a: (seen.append("batch"), add(self, *a))[1])
    return seen


def test_a_batched_file_decided_by_its_first_batch_is_read_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """13/02 in the first batch says day-first; the later batches agree (05/03 is 5 March):
    no pass of its own for the date order, each batch typed once, the same tables. T-1 is
    there twice (its hash repeats): the later row stands, as in one read."""
    path = tmp_path / "big.csv"
    path.write_text("Ticket Number,Client,Created,Time Spent\nT-1,Acme,13/02/2024 09:00,1\n"
                    "T-2,Acme,14/02/2024 09:00,2\nT-3,Acme,05/03/2024 09:00,1.5\n"
                    "T-1,Acme,13/02/2024 09:00,3\n")
    whole, batched = tmp_path / "whole", tmp_path / "batched"
    ingest_file(path, "t", whole)
    seen = _batched_passes(monkeypatch)
    summary = ingest_file(path, "t", batched)
    assert seen == ["batch", "batch"]
    assert (summary.rows_read, summary.inserted) == (4, 3)
    incidents = _tables(batched)[0]
    assert _tables(whole) == _tables(batched)
    assert incidents[2][1].month == 3  # T-3 opened 5 March
    assert incidents[0][3] == 3.0  # T-1's later row


@pytest.mark.parametrize("first, late, order", [
    # The user's month-first, refuted by 20/02 in the last batch: day-first.
    ("01/12/2024", "T-3,Acme,20/02/2024 09:00,1", "month-first"),
    # Whole hours in the first batch, a decimal comma only in the last: "1,5" is 1.5.
    ("13/01/2024", "T-3,Acme,01/02/2024 09:00,\"1,5\"", None),
])
def test_a_batched_file_whose_later_batch_decides_otherwise_is_typed_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: str, late: str,
        order: str | None) -> None:
    """The first batch is typed as it decides; the last batch shows otherwise, so the
    batches are typed again with the whole file's decision, and the tables are those of one
    read of the whole file."""
    path = tmp_path / "big.csv"
    path.write_text("Ticket Number,Client,Created,Time Spent\n"
                    f"T-1,Acme,{first} 09:00,1\nT-2,Acme,02/12/2024 09:00,2\n{late}\n")
    whole, batched = tmp_path / "whole", tmp_path / "batched"
    ingest_file(path, "t", whole, date_order=order)
    seen = _batched_passes(monkeypatch)
    ingest_file(path, "t", batched, date_order=order)
    assert seen == ["batch", "batch", "batch", "batch"]
    assert _tables(whole) == _tables(batched)
    assert query(batched, "SELECT labour_hours FROM incidents WHERE ticket_id = 'T-3'"
                 )[0][0] == (1.5 if order is None else 1.0)
    if order:  # 01/12 is 1 December, as the whole file says (not 12 January)
        assert query(batched, "SELECT month(opened_at) FROM incidents WHERE ticket_id = 'T-1'"
                     ) == [(12,)]


def test_a_failed_batched_load_leaves_the_workspace_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One transaction over all batches: a failure before COMMIT keeps nothing."""
    from pipelines.ingest import stream

    path = tmp_path / "big.csv"
    path.write_text(STREAM_CSV)
    data_dir = tmp_path / "ws"
    first = tmp_path / "first.csv"
    first.write_text("Ticket Number,Client,Created\nT-9,Acme,2024-01-01 09:00\n")
    ingest_file(first, "t", data_dir)
    monkeypatch.setattr(stream, "STREAM_BYTES", 1)
    monkeypatch.setattr(stream, "BATCH_ROWS", 2)

    def fail(con: duckdb.DuckDBPyConnection) -> None:
        raise RuntimeError("injected")

    monkeypatch.setattr(store, "_before_commit", fail)
    with pytest.raises(RuntimeError):
        ingest_file(path, "t", data_dir)
    assert query(data_dir, "SELECT ticket_id FROM incidents") == [("T-9",)]
    assert query(data_dir, "SELECT count(*) FROM loads") == [(1,)]


def test_write_keeps_each_columns_chunks_and_stores_the_same_rows(tmp_path: Path) -> None:
    """A typed file's text columns come in many chunks and its parsed columns in one: the
    write hands them to DuckDB as they are (no copy into one chunk), and the stored rows,
    derived months included, are those of the same rows in one chunk."""
    import polars as pl

    def tickets(n: int, first: int) -> pl.DataFrame:
        return pl.DataFrame({
            "ticket_id": [f"T-{first + i}" for i in range(n)],
            "client": ["Acme"] * n,
            "asset": [None if i % 3 else f"PC-{i}" for i in range(n)],
            "category": ["Printer"] * n,
        })

    text = pl.concat([tickets(4, 0), tickets(5, 4)], rechunk=False)  # two chunks
    opened = pl.Series("opened_at", [f"2024-0{1 + i % 3}-{31 if i % 3 == 2 else 28} 23:30"
                                     for i in range(9)]
                       ).str.to_datetime().dt.replace_time_zone("UTC")
    rows = pl.DataFrame([*text.get_columns(), opened,
                         opened.dt.offset_by("2d").alias("resolved_at")])
    assert rows["ticket_id"].n_chunks() == 2 and rows["opened_at"].n_chunks() == 1
    table = store.as_arrow(rows.get_columns())
    assert table.column("ticket_id").num_chunks == 2
    assert table.column("opened_at").num_chunks == 1

    def stored(frame: pl.DataFrame, name: str) -> pl.DataFrame:
        con = duckdb.connect(str(tmp_path / f"{name}.duckdb"))
        store.ensure_schema(con)
        store.set_setting(con, store.MONTHS_TIMEZONE, "Europe/Paris")
        full = frame.with_columns(pl.lit(None, pl.Utf8).alias(c) for c in
                                  ("site", "priority", "priority_raw", "title", "status"))
        full = full.with_columns(
            pl.lit(None, pl.Float64).alias("downtime_minutes"),
            pl.lit(None, pl.Int32).alias("users_affected"),
            pl.lit(None, pl.Float64).alias("labour_hours"),
            pl.lit(None, pl.Decimal(18, 2)).alias("billed_amount"),
            pl.lit(None, pl.Datetime("us", "UTC")).alias("responded_at"))
        summary = store.LoadSummary(name, "incidents", "test", rows_read=9, rows_loaded=9,
                                    rows_rejected=0)
        rejects = pl.DataFrame(schema={"row_number": pl.Int64, "reason": pl.Utf8,
                                       "raw": pl.Utf8})
        store.write_load(con, summary, name, full, rejects, datetime(2024, 12, 1, tzinfo=UTC))
        out = con.sql("SELECT * EXCLUDE (load_id) FROM incidents ORDER BY ticket_id").pl()
        # The months as the SQL of a zone change computes them.
        assert con.execute("SELECT count(*) FROM incidents WHERE opened_month IS DISTINCT FROM"
                       " CAST(date_trunc('month', timezone('Europe/Paris', opened_at)) AS DATE)"
                       ).fetchone() == (0,)
        con.close()
        return out

    split, whole = stored(rows, "split"), stored(rows.rechunk(), "whole")
    assert split.equals(whole)
    # 2024-01-28 23:30 UTC is 00:30 on the 29th in Paris; 2024-02-28 23:30 the 29th.
    assert split["opened_month"].to_list()[:2] == [date(2024, 1, 1), date(2024, 2, 1)]
    assert "recurrence_key" not in split.columns  # computed where it is read (metrics.facts)
