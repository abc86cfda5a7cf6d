"""A newcomer's first hour: the README's demo command on a fresh machine, and stopping it.

The command-line tests here are real but need no browser: they run the command exactly as
the README writes it, as a child process with a fresh HOME (no `~/.streamlit`, no data
directory), no terminal on stdin, and wait for the dashboard's health answer. The port
comes from BREAKEVEN_PORT so the test never collides with a dashboard already on 8501.
The browser tests (marked `browser`) look at what a newcomer sees: no request leaves the
machine, the headline tiles show whole figures at 1400 px, and the Months slider follows
a switch of workspace.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from helpers import CHROMIUM_ARGS, REPO, Server, free_port, load_sample
from playwright.sync_api import Page, sync_playwright
from streamlit.testing.v1 import AppTest

README = REPO / "README.md"


def readme_demo_command() -> list[str]:
    """The demo command of the README's first code block (`... && breakeven demo  # ...`)."""
    block = README.read_text(encoding="utf-8").split("```sh", 1)[1].split("```", 1)[0]
    for line in block.splitlines():
        for part in line.split("#", 1)[0].split("&&"):
            words = shlex.split(part)
            if words[:2] == ["breakeven", "demo"]:
                return words
    raise AssertionError("the README's first code block has no `breakeven demo` command")


def fresh_env(home: Path, port: int) -> dict[str, str]:
    """The environment of a new user: a new HOME, none of our settings, a chosen port."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("BREAKEVEN_", "STREAMLIT_", "XDG_"))}
    bin_dir = str(Path(sys.executable).parent)  # the `breakeven` installed with this Python
    return {**env, "HOME": str(home), "BREAKEVEN_PORT": str(port),
            "PATH": bin_dir + os.pathsep + env.get("PATH", "")}


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://localhost:{port}/_stcore/health", timeout=2) as r:
            return r.status == 200 and r.read() == b"ok"
    except OSError:
        return False


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_for(check: object, seconds: float) -> float:
    """Seconds until `check()` is true; fails after `seconds`."""
    started = time.monotonic()
    while not check():  # type: ignore[operator]
        assert time.monotonic() - started < seconds, f"not within {seconds} s"
        time.sleep(0.2)
    return time.monotonic() - started


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def start(words: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    """Start a command in its own session (its own process group), stdin not a terminal."""
    return subprocess.Popen(words, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop_all(proc: subprocess.Popen[bytes]) -> None:
    if group_alive(proc.pid):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def test_the_readme_demo_command_serves_on_a_fresh_home_within_60_s(tmp_path: Path) -> None:
    """`breakeven demo` as the README writes it: no first-run prompt, no ~/.streamlit needed
    or written, the sample workspaces under the new HOME, health 'ok' within 60 s; SIGTERM
    stops the dashboard (the port closes, no process of the command is left)."""
    words = readme_demo_command()
    assert words == ["breakeven", "demo"]
    home = tmp_path / "home"
    home.mkdir()
    port = free_port()
    log = tmp_path / "demo.log"
    proc = start(words, fresh_env(home, port), tmp_path, log)
    try:
        took = wait_for(lambda: healthy(port) or proc.poll() is not None, 60)
        assert proc.poll() is None, log.read_text()
        assert took < 60
        text = log.read_text()
        assert "Email" not in text and "Welcome to Streamlit" not in text
        assert f"dashboard on http://localhost:{port}" in text
        demo = home / ".local" / "share" / "breakeven" / "breakeven-demo"
        assert sorted(p.name for p in demo.glob("*.duckdb")) == [
            "acme.duckdb", "prospect-contoso.duckdb", "prospect-northwind.duckdb"]
        assert not (home / ".streamlit").exists()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        wait_for(lambda: not port_open(port), 10)
        wait_for(lambda: not group_alive(proc.pid), 10)  # the streamlit child is gone too
    finally:
        stop_all(proc)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_stopping_serve_stops_the_dashboard(tmp_path: Path, sig: signal.Signals) -> None:
    """The signal goes to `breakeven serve` only (not its group): it must pass it on."""
    port = free_port()
    log = tmp_path / "serve.log"
    proc = start([sys.executable, "-m", "pipelines.cli", "serve", "--data-dir",
                  str(tmp_path / "data"), "--port", str(port)],
                 fresh_env(tmp_path, port), REPO, log)
    try:
        wait_for(lambda: healthy(port) or proc.poll() is not None, 60)
        assert proc.poll() is None, log.read_text()
        os.kill(proc.pid, sig)
        assert proc.wait(timeout=20) == 0
        wait_for(lambda: not port_open(port), 10)
        wait_for(lambda: not group_alive(proc.pid), 10)
    finally:
        stop_all(proc)


def test_demo_refuses_a_busy_port_before_loading(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = subprocess.run(["breakeven", "demo"], env=fresh_env(tmp_path, port),
                           cwd=tmp_path, capture_output=True, text=True, timeout=60,
                           check=False)
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        (f"breakeven: error: port {port} is in use (another dashboard?); stop it or pass"
         f" --port {port + 1}")]
    assert not (tmp_path / ".local").exists()  # nothing loaded


def test_a_bad_port_setting_is_one_line(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "pipelines.cli", "serve"],
                       env={**fresh_env(tmp_path, 1), "BREAKEVEN_PORT": "http"},
                       capture_output=True, text=True, timeout=60, check=False)
    assert (r.returncode, r.stderr.strip()) == (
        1, ("breakeven: error: BREAKEVEN_PORT='http': give a port number between 1 and 65535,"
            " e.g. BREAKEVEN_PORT=8501"))


# --- in the browser ---------------------------------------------------------------------------

BIG_INVOICES = "Invoice Number,Invoice Date,Customer,Description,Amount\n" + "".join(
    f"INV-{m:02d},2024-{m:02d}-15,Big Co,Labour,162930012.55\n" for m in range(1, 13))
BIG_TICKETS = "Ticket Number,Created,Resolved,Priority\n" + "".join(
    f"T-{m},2024-{m:02d}-02 09:00,2024-{m:02d}-03 10:00,P1\n" for m in range(1, 13))


@pytest.fixture
def two_workspaces(tmp_path: Path) -> Iterator[Server]:
    """A server on 'acme' (sample data, Jan 2023 - Dec 2025) and 'big' (2024, large money)."""
    from pipelines.ingest import ingest_file

    data_dir = tmp_path / "data"
    load_sample("acme", data_dir)
    for name, text in (("tickets.csv", BIG_TICKETS), ("invoices.csv", BIG_INVOICES)):
        (tmp_path / name).write_text(text)
        ingest_file(tmp_path / name, "big", data_dir)
    server = Server(data_dir, tmp_path / "streamlit.log")
    yield server
    server.stop()


@pytest.mark.browser
def test_the_dashboard_fetches_nothing_and_tiles_show_whole_figures(
        two_workspaces: Server) -> None:
    """No request leaves localhost (favicon included); at 1400 px every tile's figure fits
    (the big workspace's 12 x 162,930,012.55 is shown in millions, not cut)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "chromium is not installed: apt-get install chromium (as .ci/run does)"
    external: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(30_000)
        page.on("request", lambda r: external.append(r.url) if not re.match(
            r"(https?|wss?)://(localhost|127\.0\.0\.1)[:/]|data:|blob:", r.url) else None)
        page.goto(two_workspaces.url)
        _settle(page)
        links: list[str] = page.locator('[data-testid="stSidebarNav"] a').evaluate_all(
            "els => els.map(e => e.href)")
        assert len(links) >= 5, links
        for link in links:  # every page of the app
            page.goto(link)
            _settle(page)
            _pick_workspace(page, "big")
            values = page.locator('[data-testid="stMetricValue"]')
            cut = values.evaluate_all(
                "els => els.filter(e => e.scrollWidth > e.clientWidth + 1)"
                ".map(e => e.innerText)")
            assert cut == [], f"cut tiles on {link}: {cut}"
            if link.rstrip("/").endswith(("overview", "spend")) or link == links[0]:
                assert any("M" in t for t in values.all_inner_texts())
        icons = page.evaluate(
            "() => [...document.querySelectorAll('link[rel*=icon]')].map(l => l.href)")
        browser.close()
    assert icons and all(i.startswith(("data:", "http://localhost")) for i in icons), icons
    assert external == []


@pytest.mark.browser
def test_the_months_slider_follows_a_switch_of_workspace(two_workspaces: Server) -> None:
    """Narrow acme to Mar 2024 - Sep 2025, switch to 'big': the slider shows big's whole
    range (Jan 2024 - Dec 2024), and back on acme its whole range again."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(30_000)
        page.goto(two_workspaces.url)
        _settle(page)
        _pick_workspace(page, "acme")
        assert _slider(page) == ["Jan 2023", "Dec 2025"]
        thumbs = page.locator('[data-testid="stSlider"] input[type="range"]')
        thumbs.nth(0).focus()
        for _ in range(14):
            page.keyboard.press("ArrowRight")
        _settle(page)
        thumbs.nth(1).focus()
        for _ in range(3):
            page.keyboard.press("ArrowLeft")
        _settle(page)
        assert _slider(page) == ["Mar 2024", "Sep 2025"]
        _pick_workspace(page, "big")
        assert _slider(page) == ["Jan 2024", "Dec 2024"]
        _pick_workspace(page, "acme")
        assert _slider(page) == ["Jan 2023", "Dec 2025"]
        browser.close()


def _settle(page: Page) -> None:
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]')
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    page.wait_for_timeout(400)


def _pick_workspace(page: Page, name: str) -> None:
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name=name, exact=True).click()
    _settle(page)


def _slider(page: Page) -> list[str]:
    """The Months slider's two ends as shown (it is the sidebar's first slider)."""
    values: list[str] = page.locator('[data-testid="stSlider"] input[type="range"]').evaluate_all(
        "els => els.map(e => e.getAttribute('aria-valuetext'))")
    return values[:2]


# --- the dashboard's own faults (AppTest: the real app script, no browser) --------------------

APP = REPO / "dashboard" / "app.py"


def dashboard(page: str | None = None) -> AppTest:
    st.cache_data.clear()
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def test_a_damaged_workspace_is_explained_on_the_page_and_can_be_deleted(
        data_dir: Path) -> None:
    load_sample("acme", data_dir)
    (data_dir / "broken.duckdb").write_bytes(b"\x00junk" * 1000)
    at = dashboard()
    at.selectbox(key="workspace").set_value("broken").run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert errors == [
        (f"workspace file {data_dir / 'broken.duckdb'} is damaged (it is not a DuckDB"
         " database); restore the file from a backup, or delete the workspace under **Delete"
         " workspace** in the sidebar")]
    at.text_input(key="ws_delete_confirm").set_value("broken").run()
    at.button(key="ws_delete_yes").click().run()
    assert not at.exception
    assert not (data_dir / "broken.duckdb").exists()
    assert at.selectbox(key="workspace").options == ["acme"]


def test_uploads_are_removed_once_loaded_and_with_their_workspace(data_dir: Path) -> None:
    """Two files uploaded: the loaded one's copy goes at once; the failing one stays (the
    user is correcting it) until the workspace is deleted, which removes its folder."""
    from pipelines import workspace

    with workspace.connect("acme", data_dir):
        pass
    folder = data_dir / "uploads" / "acme"
    good = (REPO / "tests" / "data" / "formats" / "zendesk__tickets.csv").read_bytes()
    ambiguous = (REPO / "tests" / "data" / "broken" / "ambiguous_dates.csv").read_bytes()
    at = dashboard("views/data.py")
    at.file_uploader(key="upload").set_value(
        [("zendesk.csv", good, "text/csv"), ("ambiguous.csv", ambiguous, "text/csv")]).run()
    assert len(list(folder.iterdir())) == 2
    errors = " ".join(e.value for e in at.error)
    assert "choose the order under **Dates with the year last** above" in errors
    assert "--day-first" not in errors
    at.button(key="load_files").click().run()
    assert not at.exception
    assert len(list(folder.iterdir())) == 1  # the loaded file's copy is gone
    at.text_input(key="ws_delete_confirm").set_value("acme").run()
    at.button(key="ws_delete_yes").click().run()
    assert not at.exception
    assert not folder.exists() and not (data_dir / "acme.duckdb").exists()


def test_open_opens_the_browser_once_the_dashboard_answers(tmp_path: Path) -> None:
    """`--open` hands the address to the user's browser ($BROWSER here: a script that
    records it) only after the health check answers."""
    seen = tmp_path / "opened.txt"
    fake = tmp_path / "fake-browser"
    fake.write_text(f"#!/bin/sh\necho \"$1\" > {seen}\n")
    fake.chmod(0o755)
    port = free_port()
    env = {**fresh_env(tmp_path, port), "BROWSER": f"{fake} %s"}
    proc = start([sys.executable, "-m", "pipelines.cli", "serve", "--data-dir",
                  str(tmp_path / "data"), "--open"], env, REPO, tmp_path / "serve.log")
    try:
        wait_for(seen.exists, 60)
        assert seen.read_text().strip() == f"http://localhost:{port}"
        assert healthy(port)
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        stop_all(proc)
