"""The command line: checks the database after each call, and the exact error lines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main

DATA = Path(__file__).parent / "data"


def run(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """`breakeven ARGS` in a real child process, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args, "--data-dir", str(data_dir)],
        check=False, capture_output=True, text=True, timeout=120,
    )


def test_ingest_json_prints_one_summary_per_file(tmp_path: Path) -> None:
    files = [DATA / "formats/zendesk__tickets.csv", DATA / "formats/xero__invoices.csv"]
    r = run("ingest", *map(str, files), "--workspace", "acme", "--json", data_dir=tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert [(o["file"], o["kind"], o["format"], o["rows_read"], o["rows_loaded"],
             o["rows_rejected"], o["inserted"], o["updated"], o["status"]) for o in out] == [
        ("zendesk__tickets.csv", "incidents", "zendesk", 4, 4, 0, 4, 0, "loaded"),
        ("xero__invoices.csv", "invoices", "xero", 4, 4, 0, 3, 0, "loaded"),
    ]
    con = duckdb.connect(str(tmp_path / "acme.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM incidents").fetchall() == [(4,)]
    assert con.execute("SELECT sum(amount) FROM invoice_lines").fetchall()[0][0] == 1475
    con.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", str(DATA / "broken/empty.csv"), "-w", "acme"],
         ("breakeven: error: empty.csv: the file is empty; export again with at least one row"
         " of data")),
        (["ingest", str(DATA / "broken/header_only.csv"), "-w", "acme"],
         "breakeven: error: header_only.csv: the file has a header row but no data rows"),
        (["ingest", str(DATA / "broken/binary_junk.csv"), "-w", "acme"],
         ("breakeven: error: binary_junk.csv: this is not a text export (it contains binary"
         " data); export the tickets or invoices as CSV or .xlsx")),
        (["ingest", str(DATA / "formats/zendesk__tickets.csv"), "-w", "../x"],
         ("breakeven: error: workspace name '../x' is not allowed: use 1-63 lowercase letters,"
         " digits, '-' or '_', starting with a letter or digit (for example 'acme' or"
         " 'prospect-2')")),
        (["ingest", str(DATA / "formats/zendesk__tickets.csv"), "-w", "acme", "--map", "nope"],
         ("breakeven: error: --map 'nope': write it as canonical=Header, e.g."
         " --map opened_at='Date Logged'")),
        (["ingest", "missing.csv", "-w", "acme"],
         "breakeven: error: missing.csv: cannot read the file (No such file or directory)"),
        (["loads", "-w", "nobody"],
         None),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_1(args: list[str], message: str | None,
                                                tmp_path: Path) -> None:
    r = run(*args, data_dir=tmp_path)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1
    if message:
        assert lines[0] == message
    assert not (tmp_path / "acme.duckdb").exists() or args[0] != "ingest"


def test_loads_shows_history_and_rejects(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    d = str(tmp_path)
    assert main(["ingest", str(DATA / "broken/ragged.csv"), "-w", "acme", "--data-dir", d]) == 0
    capsys.readouterr()
    assert main(["loads", "-w", "acme", "--data-dir", d, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(r["file_name"], r["rows_read"], r["rows_loaded"], r["rows_rejected"])
            for r in out["loads"]] == [("ragged.csv", 3, 2, 1)]
    assert [(r["row_number"], r["reason"]) for r in out["rejects"]] == [
        (3, "row has 5 fields but the header has 3 (a delimiter or quote inside a value?)")]


def test_workspaces_formats_and_inspect(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    d = str(tmp_path)
    main(["ingest", str(DATA / "formats/zendesk__tickets.csv"), "-w", "north", "--data-dir", d])
    capsys.readouterr()
    assert main(["workspaces", "--data-dir", d, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["workspace"] == "north"
    assert main(["formats", "--json"]) == 0
    names = {f["name"] for f in json.loads(capsys.readouterr().out)}
    assert {"servicenow", "zendesk", "xero", "generic", "generic_invoices"} <= names
    assert main(["inspect", str(DATA / "formats/generic__tickets_semicolon_cp1252.csv"),
                 "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["encoding"], info["delimiter"], info["date_order"], info["decimal_comma"]) == (
        "windows-1252", ";", "day-first", True)
    assert info["mapping"]["asset"] == "Device"
    assert info["ignored_columns"] == []


def test_metrics_imports_neither_the_dashboard_nor_the_report() -> None:
    """A command's module is imported only when it runs: `breakeven metrics` does not pay
    for Plotly, Streamlit or the report's template engine (about 0.15 s a call)."""
    code = ("import sys\nfrom pipelines.cli import main\n"
            "try:\n    main(['metrics', '--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('plotly', 'streamlit', 'jinja2') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_every_command_has_help(capsys: pytest.CaptureFixture) -> None:
    from pipelines.cli import COMMANDS, build_parser

    build_parser()
    for name in list(COMMANDS):
        with pytest.raises(SystemExit) as exc:
            main([name, "--help"])
        assert exc.value.code == 0
        assert "usage: breakeven " + name in capsys.readouterr().out
