"""Every fault a newcomer met, as one clear line and exit 1, and advice that fits the command.

Each test runs the real command line (a child process, as a user runs it, or
`pipelines.cli.main`) on real DuckDB files in a temporary data directory, and checks the
exact line and the files left behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines import uploads, workspace
from pipelines.cli import main
from pipelines.csv_export import csv_bytes
from pipelines.errors import (
    FIX_DATE_ORDER,
    FIX_MAPPING,
    BreakevenError,
    InputError,
    is_damaged_file,
    is_lock_conflict,
    message_for,
)

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parent.parent
ZENDESK = DATA / "formats" / "zendesk__tickets.csv"
AMBIGUOUS = DATA / "broken" / "ambiguous_dates.csv"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`breakeven ARGS` in a real child process."""
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], check=False,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def one_error_line(r: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a failed command (exit 1, no traceback)."""
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


# --- settings checked where they are read ----------------------------------------------------

def test_a_busy_wait_that_is_not_a_number_is_one_line(tmp_path: Path) -> None:
    assert main(["ingest", str(ZENDESK), "-w", "acme", "--data-dir", str(tmp_path)]) == 0
    r = run("metrics", "-w", "acme", "--data-dir", str(tmp_path),
            env={"BREAKEVEN_BUSY_WAIT": "30s"})
    assert one_error_line(r) == (
        "breakeven: error: BREAKEVEN_BUSY_WAIT='30s': give the number of seconds to wait for a"
        " busy workspace, e.g. BREAKEVEN_BUSY_WAIT=30")
    # commands that open no workspace are not affected at all
    assert run("formats", env={"BREAKEVEN_BUSY_WAIT": "30s"}).returncode == 0


def test_a_data_dir_that_is_a_file_is_one_line(tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    r = run("ingest", str(ZENDESK), "-w", "acme", "--data-dir", str(a_file))
    assert one_error_line(r) == (
        f"breakeven: error: --data-dir {a_file} is a file, not a folder; name the folder that"
        " holds (or will hold) the workspaces")
    r = run("ingest", str(ZENDESK), "-w", "acme", "--data-dir", str(a_file / "sub"))
    assert one_error_line(r).startswith(
        f"breakeven: error: cannot create the data directory {a_file / 'sub'} (Not a"
        " directory)")
    r = run("workspaces", env={"BREAKEVEN_DATA_DIR": str(a_file)})
    assert "BREAKEVEN_DATA_DIR=" in one_error_line(r)
    assert a_file.read_text() == "not a folder"


def test_a_binary_scenario_file_is_one_line(tmp_path: Path) -> None:
    assert main(["ingest", str(ZENDESK), "-w", "acme", "--data-dir", str(tmp_path)]) == 0
    junk = tmp_path / "offer.toml"
    junk.write_bytes(b"per_user = 150\n\xff\xfe\x00\x81 binary")
    r = run("metrics", "-w", "acme", "--data-dir", str(tmp_path), "--scenario", str(junk))
    assert one_error_line(r) == (
        f"breakeven: error: {junk}: not a text file (TOML is UTF-8); give a scenario file of"
        " key = value lines, such as per_user = 150")


# --- DuckDB's errors, translated in one place by type ----------------------------------------

@pytest.mark.parametrize("name", ["acme", "lockwood-legal"])
def test_a_damaged_workspace_file_is_named_with_its_fix(tmp_path: Path, name: str) -> None:
    """Junk bytes in W.duckdb: 'damaged', never a traceback, never 'busy' ('lock' in a name
    or path is not a lock conflict)."""
    data_dir = tmp_path / "locks"  # "lock" in the path as well
    data_dir.mkdir()
    path = data_dir / f"{name}.duckdb"
    path.write_bytes(bytes(range(256)) * 20)
    r = run("metrics", "-w", name, "--data-dir", str(data_dir),
            env={"BREAKEVEN_BUSY_WAIT": "0"})
    assert one_error_line(r) == (
        f"breakeven: error: workspace file {path} is damaged (it is not a DuckDB database);"
        f" restore it from a backup, or delete it with: breakeven delete --workspace {name}")
    r = run("delete", "-w", name, "--data-dir", str(data_dir))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [f"deleted workspace {name}:",
                                     f"  removed {path} (damaged)"]
    assert not path.exists()


def test_a_file_damaged_inside_is_named_when_it_is_read(tmp_path: Path) -> None:
    """A real workspace with a block overwritten opens, then fails its checksum on a query."""
    assert main(["ingest", str(ZENDESK), "-w", "acme", "--data-dir", str(tmp_path)]) == 0
    path = tmp_path / "acme.duckdb"
    data = bytearray(path.read_bytes())
    data[4096:len(data) - 4096] = b"\x5a" * (len(data) - 8192)
    path.write_bytes(bytes(data))
    r = run("metrics", "-w", "acme", "--data-dir", str(tmp_path))
    assert one_error_line(r).startswith(f"breakeven: error: workspace file {path} is damaged (")


def test_busy_only_for_a_real_lock_conflict(tmp_path: Path) -> None:
    """Another process holding the file for writing is 'busy' after the wait bound."""
    assert main(["ingest", str(ZENDESK), "-w", "acme", "--data-dir", str(tmp_path)]) == 0
    path = tmp_path / "acme.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", ("import duckdb, sys, time; c = duckdb.connect(sys.argv[1]);"
                                " print('held', flush=True); time.sleep(60)"), str(path)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        r = run("metrics", "-w", "acme", "--data-dir", str(tmp_path),
                env={"BREAKEVEN_BUSY_WAIT": "0.5"})
        assert one_error_line(r) == (
            f"breakeven: error: workspace 'acme' is busy (another breakeven process is writing"
            f" to {path}); waited 0 s. Try again when it finishes, or raise BREAKEVEN_BUSY_WAIT.")
    finally:
        holder.kill()
        holder.wait()


def test_lock_and_damage_are_told_apart_by_type_and_anchored_message() -> None:
    lock = duckdb.IOException('IO Error: Could not set lock on file "/d/acme.duckdb":'
                              " Conflicting lock is held in python3 (PID 7)")
    junk = duckdb.IOException('IO Error: The file "/lock/lockwood.duckdb" exists, but it is'
                              " not a valid DuckDB database file!")
    assert is_lock_conflict(lock) and not is_damaged_file(lock)
    assert is_damaged_file(junk) and not is_lock_conflict(junk)
    # the words alone, in another exception type or mid-message, are neither
    assert not is_lock_conflict(duckdb.BinderException('Could not set lock on file "x"'))
    assert not is_lock_conflict(duckdb.IOException("Cannot open /x/Could not set lock on file"))
    assert not is_damaged_file(duckdb.CatalogException("Table with name lock does not exist"))


# --- breakeven delete -------------------------------------------------------------------------

def test_delete_removes_the_file_its_uploads_and_mappings(tmp_path: Path) -> None:
    d = str(tmp_path)
    odd = tmp_path / "odd.csv"
    odd.write_text("Ref,Logged\nA-1,2024-03-01 09:00\n")
    assert main(["ingest", str(odd), "-w", "acme", "--data-dir", d, "--map", "ticket_id=Ref",
                 "--map", "opened_at=Logged"]) == 0
    upload = uploads.save_upload(tmp_path, "acme", "tickets.csv", b"a,b\n1,2\n")
    assert upload.parent == tmp_path / "uploads" / "acme"
    other = uploads.save_upload(tmp_path, "beta", "tickets.csv", b"a,b\n1,2\n")
    r = run("delete", "-w", "acme", "--data-dir", d)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "deleted workspace acme:",
        f"  removed {tmp_path / 'acme.duckdb'} (1 ticket, 0 invoice lines, 1 load, 1 saved mapping)",
        f"  removed {tmp_path / 'uploads' / 'acme'} (1 uploaded file)",
    ]
    assert not (tmp_path / "acme.duckdb").exists() and not upload.exists()
    assert other.exists()  # another workspace's uploads stay
    r = run("delete", "-w", "acme", "--data-dir", d)
    assert one_error_line(r) == (
        f"breakeven: error: 'acme' is not a workspace in {tmp_path} (workspaces: none)")
    assert one_error_line(run("delete", "-w", "../etc", "--data-dir", d)).startswith(
        "breakeven: error: workspace name '../etc' is not allowed")


# --- advice that names flags of the command that printed it -----------------------------------

def test_refresh_takes_the_date_order_its_error_asks_for(tmp_path: Path) -> None:
    source = tmp_path / "drop"
    source.mkdir()
    (source / "tickets.csv").write_bytes(AMBIGUOUS.read_bytes())
    args = ["refresh", "-w", "acme", "--source", str(source), "--data-dir", str(tmp_path)]
    r = run(*args)
    assert r.returncode == 1
    assert ("cannot tell whether dates like '03/04/2024' ('Created') are day-first or"
            " month-first (no day above 12 in the file); pass --day-first or --month-first"
            in r.stdout)
    r = run(*args, "--day-first")
    assert r.returncode == 0, r.stdout + r.stderr
    con = duckdb.connect(str(tmp_path / "acme.duckdb"), read_only=True)
    opened = con.execute("SELECT min(opened_at)::DATE FROM incidents").fetchall()[0][0]
    con.close()
    assert opened.isoformat() == "2024-04-03"  # 03/04/2024 read day-first: 3 April


def test_refresh_words_mapping_advice_for_its_own_options(tmp_path: Path) -> None:
    """refresh has no --map: its advice names the command that does, and the saved mapping."""
    source = tmp_path / "drop"
    source.mkdir()
    (source / "odd.csv").write_text("Zorg,Quux\nA-1,2024-03-01 09:00\n")
    r = run("refresh", "-w", "acme", "--source", str(source), "--data-dir", str(tmp_path))
    assert r.returncode == 1
    reason = r.stdout.split("reason=", 1)[1]
    assert "odd.csv: no recognisable tickets or invoices columns (found: Zorg, Quux)" in reason
    assert ("map its columns once with breakeven ingest FILE --workspace acme --map"
            " FIELD=HEADER (or on the dashboard's Data page)") in reason
    assert "pick --format" not in reason


def test_page_errors_name_controls_of_the_page_not_flags(tmp_path: Path) -> None:
    """The Data page's wording comes from the error's kind, not from its text."""
    with workspace.connect("acme", tmp_path) as con:
        ambiguous = uploads.preview(con, "acme", AMBIGUOUS, "tickets.csv")
        odd = tmp_path / "odd.csv"
        odd.write_text("Zorg,Quux\nA-1,2024-03-01 09:00\n")
        unknown = uploads.preview(con, "acme", odd, "odd.csv")
    assert ambiguous.error == (
        "tickets.csv: cannot tell whether dates like '03/04/2024' ('Created') are day-first"
        " or month-first (no day above 12 in the file); choose the order under **Dates with"
        " the year last** above")
    assert unknown.error is not None and unknown.error.startswith(
        "odd.csv: no recognisable tickets or invoices columns (found: Zorg, Quux); choose what"
        " the file holds and, under **Column mapping**, the column for each required field")
    for text in (ambiguous.error, unknown.error):
        assert "--" not in text


def test_message_for_leaves_errors_without_a_kind_as_they_are() -> None:
    plain = InputError("x.csv: the file is empty; export again")
    assert message_for(plain, "dashboard") == message_for(plain, "refresh") == str(plain)
    kinded = BreakevenError("x: bad; pass --day-first", fix=FIX_DATE_ORDER, problem="x: bad")
    assert message_for(kinded) == "x: bad; pass --day-first"
    assert message_for(kinded, "refresh") == "x: bad; pass --day-first"  # refresh has them
    assert message_for(BreakevenError("m", fix=FIX_MAPPING, problem="p"), "refresh").startswith(
        "p; map its columns once with breakeven ingest FILE --workspace NAME")


# --- scenario, metrics and report on new or empty workspaces ---------------------------------

def test_scenario_set_twice_keeps_both_and_creates_the_workspace(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture
                                                                 ) -> None:
    d = str(tmp_path)
    assert main(["scenario", "-w", "fresh", "--data-dir", d, "--set", "per_user=150",
                 "--set", "users=40", "timezone=Europe/London", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["per_user"], shown["users"], shown["timezone"]) == (150.0, 40, "Europe/London")
    assert workspace.list_workspaces(d) == ["fresh"]
    assert main(["scenario", "-w", "fresh", "--data-dir", d, "--json"]) == 0
    stored = json.loads(capsys.readouterr().out)
    assert (stored["per_user"], stored["users"], stored["timezone"]) == (
        150.0, 40, "Europe/London")


def test_metrics_on_an_empty_workspace_does_not_suggest_unused_filters(tmp_path: Path) -> None:
    d = str(tmp_path)
    assert main(["scenario", "-w", "empty", "--data-dir", d, "--set", "users=3"]) == 0
    r = run("metrics", "-w", "empty", "--data-dir", d)
    assert r.returncode == 0, r.stderr
    assert "--from" not in r.stdout and "--to" not in r.stdout and "widen" not in r.stdout
    assert "breakeven ingest FILE -w empty" in r.stdout


def test_report_on_an_empty_workspace_refuses(tmp_path: Path) -> None:
    d = str(tmp_path)
    assert main(["scenario", "-w", "empty", "--data-dir", d, "--set", "users=3"]) == 0
    out = tmp_path / "report.html"
    r = run("report", "-w", "empty", "--data-dir", d, "--out", str(out))
    assert one_error_line(r) == (
        "breakeven: error: workspace 'empty' has no tickets or invoices yet, so there is"
        " nothing to report; load your exports first: breakeven ingest FILE --workspace empty"
        " (no report written)")
    assert not out.exists()


# --- CSV downloads ----------------------------------------------------------------------------

def test_csv_download_neutralises_every_dtype_and_header() -> None:
    """Enum, Categorical, List, Struct, Binary and header cells that start a formula get a
    quote; numbers keep their sign."""
    frame = pl.DataFrame({
        "=HYPERLINK(1)": ["ok", "=1+1"],
        "enum": pl.Series(["=1+1", "a"], dtype=pl.Enum(["=1+1", "a"])),
        "cat": pl.Series(["@SUM(A1)", "\tx"], dtype=pl.Categorical),
        "list": [["=1+1"], None],
        "struct": [{"a": "+1"}, None],
        "bytes": [b"-2+3", None],
        "amount": [-120.0, 5.0],
    })
    lines = csv_bytes(frame).decode("utf-8-sig").splitlines()
    assert lines == [
        "'=HYPERLINK(1),enum,cat,list,struct,bytes,amount",
        "ok,'=1+1,'@SUM(A1),\"[\"\"=1+1\"\"]\",\"{\"\"a\"\": \"\"+1\"\"}\",'-2+3,-120.0",
        "'=1+1,a,'\tx,,,,5.0",
    ]


def test_serve_refuses_a_port_in_use_in_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        started = time.monotonic()
        r = run("serve", "--data-dir", str(tmp_path), "--port", str(port))
    assert one_error_line(r) == (f"breakeven: error: port {port} is in use (another"
                                 f" dashboard?); stop it or pass --port {port + 1}")
    assert time.monotonic() - started < 30
