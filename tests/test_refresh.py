"""`breakeven refresh`: hash-first idempotent loads, exit codes, atomic reports, busy workspaces.

The busy tests use two real processes: one holds `workspace.connect(...)` open (as a long
dashboard rerun does) while `breakeven refresh` runs in another.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from helpers import SAMPLE_DATA

from pipelines import cli, ingest, refresh, report, store, workspace

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A folder holding acme's two exports (ServiceNow tickets, Xero invoices)."""
    d = tmp_path / "exports"
    d.mkdir()
    for f in (SAMPLE_DATA / "acme").iterdir():
        shutil.copy(f, d / f.name)
    return d


def run_cli(*args: str) -> int:
    return cli.main(list(args))


def counts(data_dir: Path, name: str = "acme") -> dict[str, int]:
    with workspace.connect(name, data_dir, read_only=True) as con:
        return store.table_counts(con)


def updated_servicenow(src: Path, dest: Path, n: int = 40, days: int = 12) -> list[str]:
    """A later ServiceNow export: the first `n` resolved P3 tickets of 2025 resolved `days`
    later. Returns their numbers."""
    with src.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    i_num, i_opened = header.index("Number"), header.index("Opened")
    i_prio, i_res, i_closed = header.index("Priority"), header.index("Resolved"), header.index("Closed")
    changed, out = [], [header]
    fmt = "%d/%m/%Y %H:%M:%S"
    for row in body:
        if (len(changed) < n and row[i_prio].startswith("3") and row[i_res]
                and row[i_opened][6:10] == "2025"):
            later = datetime.strptime(row[i_res], fmt) + timedelta(days=days)
            row = list(row)
            row[i_res] = later.strftime(fmt)
            row[i_closed] = (later + timedelta(days=1)).strftime(fmt)
            changed.append(row[i_num])
            out.append(row)
    with dest.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL).writerows(out)
    return changed


# --- idempotence -------------------------------------------------------------------------------

def test_second_refresh_loads_nothing_and_parses_nothing(
        data_dir: Path, source: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("refresh", "-w", "acme", "--source", str(source)) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[2] for line in out[:2]] == ["status=loaded", "status=loaded"]
    first = counts(data_dir)
    assert first["loads"] == 2 and first["incidents"] == 2014

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("an unchanged file was parsed")

    monkeypatch.setattr(ingest, "prepare", no_parsing)
    assert run_cli("refresh", "-w", "acme", "--source", str(source)) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3  # one line per file, then the summary
    assert all("status=unchanged" in line for line in out[:2])
    assert 'reason="already loaded as load 1 (same content)"' in out[0]
    assert "nothing new" in out[2] and "no changes" in out[2]
    assert counts(data_dir) == first


def test_log_line_per_file(data_dir: Path, source: Path) -> None:
    lines: list[str] = []
    result = refresh.refresh("acme", source, data_dir, log=lambda o: lines.append(o.log_line()))
    assert result.exit_code == 0
    assert len(lines) == 2
    assert lines[0].startswith("time=") and "file=servicenow_incidents.csv" in lines[0]
    assert "status=loaded rows_read=2014 rows_loaded=2014 rows_rejected=0 load_id=1" in lines[0]
    assert "file=xero_invoices.csv" in lines[1] and "reason=-" in lines[1]


def test_same_content_twice_in_one_folder_loads_once(data_dir: Path, source: Path) -> None:
    shutil.copy(source / "xero_invoices.csv", source / "xero_invoices_copy.csv")
    result = refresh.refresh("acme", source, data_dir)
    statuses = {f.file: f.status for f in result.files}
    assert statuses == {"servicenow_incidents.csv": "loaded", "xero_invoices.csv": "loaded",
                        "xero_invoices_copy.csv": "unchanged"}
    assert counts(data_dir)["loads"] == 2


def test_updated_tickets_change_the_report(data_dir: Path, source: Path, tmp_path: Path) -> None:
    """A later export that resolves 40 tickets 12 days later: the ticket count stays (they are
    replaced, not added), time to resolve goes up, and the report's figures change."""
    out = tmp_path / "report.html"
    assert refresh.refresh("acme", source, data_dir, reports=[out]).exit_code == 0
    before_html = out.read_text(encoding="utf-8")
    before = report.figures_in(before_html)

    changed = updated_servicenow(source / "servicenow_incidents.csv",
                                 source / "servicenow_incidents_update.csv")
    assert len(changed) == 40
    result = refresh.refresh("acme", source, data_dir, reports=[out])
    assert result.exit_code == 0
    assert {f.file: f.status for f in result.files} == {
        "servicenow_incidents.csv": "unchanged", "xero_invoices.csv": "unchanged",
        "servicenow_incidents_update.csv": "loaded"}
    with workspace.connect("acme", data_dir, read_only=True) as con:
        loads = store.load_history(con)
        assert loads["updated"][0] == 40 and loads["inserted"][0] == 0
        assert store.table_counts(con)["incidents"] == 2014

    after_html = out.read_text(encoding="utf-8")
    after = report.figures_in(after_html)
    assert after_html != before_html
    # 8 charts of spend, downtime and time to resolve; 4 of predictability and service levels;
    # the sensitivity tornado.
    assert set(after) == set(before) and len(after) == 13
    # Spend is from invoices: unchanged. Time to resolve per month: higher p90 somewhere.
    assert after["cumulative_spend"]["data"] == before["cumulative_spend"]["data"]
    p90_before = before["monthly_ttr"]["data"][1]["y"]
    p90_after = after["monthly_ttr"]["data"][1]["y"]
    assert p90_before != p90_after
    assert sum(a or 0 for a in p90_after) > sum(b or 0 for b in p90_before)


def test_nothing_new_rewrites_an_identical_report(data_dir: Path, source: Path,
                                                  tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    refresh.refresh("acme", source, data_dir, reports=[out])
    first = out.read_bytes()
    out.unlink()
    result = refresh.refresh("acme", source, data_dir, reports=[out])
    assert result.loaded == [] and out.read_bytes() == first


# --- exit codes ----------------------------------------------------------------------------------

def test_exit_3_when_rows_rejected(data_dir: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(DATA / "broken" / "ragged.csv", src / "ragged.csv")
    assert run_cli("refresh", "-w", "rag", "--source", str(src)) == 3
    out = capsys.readouterr().out
    assert "status=loaded_with_rejects" in out and "rows_rejected=1" in out
    assert "breakeven loads --workspace rag" in out
    # Nothing new the next time: those rejects were reported already.
    assert run_cli("refresh", "-w", "rag", "--source", str(src)) == 0


def test_exit_1_a_bad_file_loads_nothing(data_dir: Path, source: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """One unreadable file fails the whole refresh before any write: the good new file in
    the same folder is not loaded either, and the workspace is as it was."""
    assert run_cli("refresh", "-w", "acme", "--source", str(source)) == 0
    before = counts(data_dir)
    capsys.readouterr()
    shutil.copy(DATA / "formats" / "zendesk__tickets.csv", source / "a_zendesk.csv")
    shutil.copy(DATA / "broken" / "binary_junk.csv", source / "b_junk.csv")
    assert run_cli("refresh", "-w", "acme", "--source", str(source)) == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 4  # one per file; the summary goes to stderr
    by_file = {line.split()[1]: line for line in lines}
    assert "status=failed" in by_file["file=b_junk.csv"]
    assert "not a text export" in by_file["file=b_junk.csv"]
    assert "status=not_loaded" in by_file["file=a_zendesk.csv"]
    assert "b_junk.csv failed" in by_file["file=a_zendesk.csv"]
    assert captured.err.startswith("breakeven: error: refresh acme failed; nothing was loaded,"
                                   " the workspace is unchanged")
    assert counts(data_dir) == before


def test_exit_1_bad_options_before_anything(data_dir: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("refresh", "-w", "acme", "--source", str(tmp_path / "nope")) == 1
    assert "not a folder" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_cli("refresh", "-w", "acme", "--source", str(empty)) == 1
    assert "holds no exports" in capsys.readouterr().err
    assert not workspace.exists("acme", data_dir)
    assert run_cli("refresh", "-w", "acme", "--source", str(empty),
                   "--report", str(tmp_path / "missing" / "r.html")) == 1
    assert "does not exist; create it first" in capsys.readouterr().err


def test_a_failed_load_is_rolled_back(data_dir: Path, source: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A storage error while writing the second file: the first stays loaded (its own
    transaction), the second leaves nothing behind, exit 1, and the log says which."""
    calls = {"n": 0}

    def fail_second(con: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise store.duckdb.IOException("disk full (injected)")

    monkeypatch.setattr(store, "_before_commit", fail_second)
    result = refresh.refresh("acme", source, data_dir)
    assert result.exit_code == 1
    assert [f.status for f in result.files] == ["loaded", "failed"]
    assert "rolled back" in result.files[1].reason
    assert "after loading 1 file(s)" in result.summary_line()
    c = counts(data_dir)
    assert c["loads"] == 1 and c["invoice_lines"] == 0 and c["incidents"] == 2014
    monkeypatch.undo()
    again = refresh.refresh("acme", source, data_dir)
    assert [f.status for f in again.files] == ["unchanged", "loaded"]


# --- atomic reports ------------------------------------------------------------------------------

def test_report_write_is_atomic(data_dir: Path, source: Path, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "r.pdf"
    out.write_bytes(b"%PDF-old")

    def broken_printer(html_text: str, *a: object, **k: object) -> bytes:
        raise report.BreakevenError("Chromium crashed (injected)")

    monkeypatch.setattr(report.pdf, "html_to_pdf", broken_printer)  # what write_report calls
    result = refresh.refresh("acme", source, data_dir, reports=[out])
    assert result.exit_code == 1 and "could not be written" in (result.error or "")
    assert out.read_bytes() == b"%PDF-old"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


# --- two processes ----------------------------------------------------------------------------------

HOLDER = """
import sys, time
from pipelines import workspace
with workspace.connect(sys.argv[1], sys.argv[2]) as con:
    con.execute("SELECT count(*) FROM incidents").fetchall()
    print("holding", flush=True)
    time.sleep(float(sys.argv[3]))
print("released", flush=True)
"""


CLI = "import sys; from pipelines.cli import main; sys.exit(main(sys.argv[1:]))"


def _hold(name: str, data_dir: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process holding the workspace open, as a long dashboard rerun would."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, name, str(data_dir), str(seconds)],
                            stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "holding"
    return proc


def _refresh_process(data_dir: Path, source: Path, busy_wait: str,
                     *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BREAKEVEN_DATA_DIR": str(data_dir), "BREAKEVEN_BUSY_WAIT": busy_wait}
    return subprocess.run([sys.executable, "-c", CLI, "refresh", "-w", "acme",
                           "--source", str(source), *extra],
                          check=False, capture_output=True, text=True, env=env, cwd=REPO,
                          timeout=120)


def test_refresh_waits_for_a_busy_workspace_then_loads(data_dir: Path, source: Path,
                                                       tmp_path: Path) -> None:
    assert refresh.refresh("acme", source, data_dir).exit_code == 0
    updated_servicenow(source / "servicenow_incidents.csv", source / "update.csv")
    holder = _hold("acme", data_dir, 3.0)
    started = time.monotonic()
    done = _refresh_process(data_dir, source, "30", "--report", str(tmp_path / "r.html"))
    waited = time.monotonic() - started
    holder.wait(timeout=30)
    assert done.returncode == 0, done.stderr
    assert waited >= 2.0  # it had to wait for the holder to let go
    assert "file=update.csv status=loaded" in done.stdout
    assert counts(data_dir)["loads"] == 3
    assert (tmp_path / "r.html").exists()


def test_refresh_gives_up_on_a_workspace_busy_too_long(data_dir: Path, source: Path) -> None:
    assert refresh.refresh("acme", source, data_dir).exit_code == 0
    before = counts(data_dir)
    updated_servicenow(source / "servicenow_incidents.csv", source / "update.csv")
    holder = _hold("acme", data_dir, 8.0)
    try:
        started = time.monotonic()
        done = _refresh_process(data_dir, source, "1")
        elapsed = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 1
    assert elapsed < 7
    assert ("breakeven: error: refresh acme failed; nothing was loaded, the workspace is"
            " unchanged: workspace 'acme' is busy") in done.stderr
    assert "raise BREAKEVEN_BUSY_WAIT" in done.stderr
    assert len(done.stdout.splitlines()) == 3  # still one line per file
    assert all("status=not_loaded" in line and "busy" in line
               for line in done.stdout.splitlines())
    assert counts(data_dir) == before


# --- a real dashboard server reading while refresh writes -------------------------------------

def new_tickets(src: Path, dest: Path, n: int = 6) -> None:
    """A ServiceNow export of `n` tickets not seen before (acme's first rows, renumbered)."""
    with src.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    out = [rows[0]] + [[f"INC99{i:05d}", *row[1:]] for i, row in enumerate(rows[1:n + 1])]
    with dest.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL).writerows(out)


@pytest.mark.browser
def test_refresh_while_the_dashboard_serves_the_workspace(data_dir: Path, source: Path,
                                                          tmp_path: Path) -> None:
    """`streamlit run dashboard/app.py` on acme, a browser reloading it over and over, and a
    refresh in another process: the refresh succeeds and the next rerun shows the new tickets.
    Screenshot: artifacts/refresh-while-serving.png."""
    from helpers import CHROMIUM_ARGS, Server
    from playwright.sync_api import Page, sync_playwright

    assert refresh.refresh("acme", source, data_dir).exit_code == 0
    server = Server(data_dir, tmp_path / "streamlit.log")
    try:
        def tickets(page: Page) -> str:
            page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
            metric = page.locator('[data-testid="stMetric"]').filter(has_text="Tickets").first
            return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"),
                                        args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1400})
            page.set_default_timeout(60_000)
            page.goto(server.url)
            assert tickets(page) == "2,014"

            new_tickets(source / "servicenow_incidents.csv", source / "z_new_tickets.csv")
            env = {**os.environ, "BREAKEVEN_DATA_DIR": str(data_dir),
                   "BREAKEVEN_BUSY_WAIT": "30"}
            writer = subprocess.Popen(
                [sys.executable, "-c", CLI, "refresh", "-w", "acme", "--source", str(source),
                 "--report", str(tmp_path / "r.html")],
                cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            reruns = 0
            while writer.poll() is None:  # keep the app reading while refresh writes
                page.reload()
                tickets(page)
                reruns += 1
            out, err = writer.communicate(timeout=60)
            assert writer.returncode == 0, err
            assert "file=z_new_tickets.csv status=loaded rows_read=6" in out
            page.reload()
            assert tickets(page) == "2,020"  # the next rerun shows the new data
            assert page.locator('[data-testid="stException"]').count() == 0
            ARTIFACTS = REPO / "artifacts"
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "refresh-while-serving.png"), full_page=True)
            browser.close()
        assert reruns >= 1
    finally:
        server.stop()
