"""The report: self-contained HTML (verdict, charts, scenario, data quality), escaping, PDF.

The browser and PDF tests use Debian's Chromium and poppler's pdftoppm (`.ci/run` installs
both); they fail, never skip, without them. They leave what they saw in `artifacts/`:
`report.png` (the HTML report opened offline) and `report-pages/` (the PDF as PNG pages).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import REPO, load_sample
from playwright.sync_api import Route, sync_playwright

from pipelines import cli, report, workspace
from pipelines.ingest import ingest_file
from pipelines.scenario import Scenario, load_scenario

ARTIFACTS = REPO / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
CHARTS = ["cumulative_spend", "monthly_spend", "trailing_spend",
          "sensitivity_tornado",  # the next 12 months and what moves the verdict
          "monthly_downtime",
          "top_recurring", "downtime_calendar", "monthly_ttr", "ttr_by_priority",
          # Predictability and service levels (acme has no first-response times).
          "predictability", "service_resolution", "sla_by_priority", "sla_monthly"]
SCRIPT = "<script>alert(1)</script>"
ASSET = '<img src=x onerror="alert(2)">'


@pytest.fixture(scope="module")
def acme_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with acme loaded (module-scoped: tests only read it)."""
    d = tmp_path_factory.mktemp("acme")
    load_sample("acme", d)
    return d


@pytest.fixture(scope="module")
def acme_html(acme_dir: Path) -> str:
    with workspace.connect("acme", acme_dir) as con:
        return report.render_html(con, "acme", load_scenario(con))


def test_report_has_verdict_charts_scenario_and_quality(acme_html: str) -> None:
    """acme under the default scenario (sample_data/README.md): run-rate crossover 2024-04,
    cumulative 2024-06, break-even about 186.47 per user."""
    assert acme_html.startswith("<!DOCTYPE html>")
    assert ("Break-fix has cost more than the managed offer since Apr 2024 on the run-rate"
            " (the last 12 months of break-fix against 12 months of the contract), and more"
            " in total since Jun 2024; break-even price GBP 186.47 per user per month"
            " (Jan 2023 to Dec 2025).") in acme_html
    assert report.chart_count(acme_html) == len(CHARTS)
    assert list(report.figures_in(acme_html)) == CHARTS
    assert acme_html.count("Plotly.newPlot(") == len(CHARTS)
    for section in ("verdict", "spend", "downtime", "time-to-resolve", "service-levels",
                    "scenario", "data-quality"):
        assert f'id="{section}"' in acme_html
    assert "Contract price per user per month" in acme_html and "GBP 125.00" in acme_html
    assert "servicenow_incidents.csv" in acme_html and "xero_invoices.csv" in acme_html
    assert "3,165 rows read, 3,165 loaded, 0 rejected" in acme_html
    assert "14 tickets are still open" in acme_html


def test_report_is_self_contained(acme_html: str) -> None:
    """plotly.js inlined once; no script, stylesheet, font or image fetched from anywhere."""
    scripts = re.findall(r"<script\b[^>]*>", acme_html)
    assert all("src" not in tag for tag in scripts)
    assert len(scripts) == 1 + len(CHARTS)  # plotly.js once, then one small script per chart
    head, body = acme_html.split("</head>", 1)
    assert head.count("<script>") == 1 and "plotly.js v" in head
    assert body.count("plotly.js v") == 0
    # The page outside plotly.js's own source loads nothing from anywhere.
    page = re.sub(r"<script>.*?</script>", "<script></script>", head, count=1, flags=re.DOTALL) + body
    assert not re.search(r"<link\b|<iframe\b|<img\b", page)
    assert not re.search(r"@import|@font-face|url\(", page)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "https://" not in page and "http://" not in page
    assert "mathjax" not in body.lower()


def test_print_layout_fixes_chart_widths(acme_dir: Path) -> None:
    with workspace.connect("acme", acme_dir) as con:
        printed = report.render_html(con, "acme", load_scenario(con), layout="print")
    figs = report.figures_in(printed)
    assert {f["layout"]["width"] for f in figs.values()} == {report.PRINT_WIDTH_PX}
    assert '"staticPlot": true' in printed or '"staticPlot":true' in printed


def test_filters_and_scenario_reach_the_report(acme_dir: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "offer.toml"
    scenario.write_text("per_user = 250\nusers = 25\n")
    out = tmp_path / "r.html"
    assert cli.main(["report", "-w", "acme", "--data-dir", str(acme_dir), "--out", str(out),
                     "--from", "2024-01", "--to", "2024-12", "--scenario", str(scenario)]) == 0
    assert capsys.readouterr().out == f"report written to {out} ({len(CHARTS)} charts)\n"
    text = out.read_text(encoding="utf-8")
    assert "Jan 2024 to Dec 2024" in text and "months narrowed to 2024-01..2024-12" in text
    assert "GBP 250.00" in text
    cumulative = report.figures_in(text)["cumulative_spend"]["data"][1]  # managed
    assert cumulative["y"][-1] == pytest.approx(12 * 250 * 25)


def test_empty_workspace_report(empty_workspace: str, data_dir: Path) -> None:
    with workspace.connect(empty_workspace, data_dir) as con:
        text = report.render_html(con, empty_workspace, Scenario())
    assert "No tickets or invoices yet: load your exports" in text
    assert report.chart_count(text) == 0
    assert "0 files loaded" in text


# --- escaping ---------------------------------------------------------------------------------

def _hostile_workspace(data_dir: Path, tmp_path: Path) -> str:
    """Tickets whose client, asset and file name are markup."""
    f = tmp_path / "tickets.csv"
    f.write_text(
        "Ticket Number,Client,Asset,Priority,Created,Resolved,Downtime minutes\n"
        f"T-1,{SCRIPT},'{ASSET}',P1,2024-01-02 10:00,2024-01-02 12:00,120\n"
        f"T-2,{SCRIPT},'{ASSET}',P1,2024-01-10 10:00,2024-01-10 11:00,60\n"
        "T-3,Other & Co,srv,P3,2024-02-01 09:00,2024-02-03 09:00,\n"
        "T-4,Other & Co,srv,P3,2024-02-05 09:00,not a date,\n",
        encoding="utf-8")
    ingest_file(f, "hostile", data_dir, display_name='<b onmouseover="alert(3)">x</b>.csv')
    return "hostile"


def test_user_text_is_escaped(data_dir: Path, tmp_path: Path) -> None:
    name = _hostile_workspace(data_dir, tmp_path)
    with workspace.connect(name, data_dir) as con:
        text = report.render_html(con, name, Scenario())
    body = text.split("</head>", 1)[1]
    assert SCRIPT not in text
    assert "<img" not in body and "<b " not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body  # the client list in the subtitle
    # The loads table (the template's autoescape writes a quote as &#34;).
    assert "&lt;b onmouseover=&#34;alert(3)&#34;&gt;x&lt;/b&gt;.csv" in body
    assert "Other &amp; Co" in body
    # Chart labels: entity-escaped for plotly.js, and '<' never raw inside the script JSON.
    top = report.figures_in(text)["top_recurring"]["data"][0]["y"]
    assert top == ["&#x27;&lt;img src=x onerror=&quot;alert(2)&quot;&gt;&#x27;"]
    scripts = re.findall(r"<script>(.*?)</script>", body, re.DOTALL)
    assert len(scripts) == report.chart_count(text)
    assert all("<" not in s for s in scripts)


@pytest.mark.browser  # Chromium
def test_escaped_report_runs_no_script(data_dir: Path, tmp_path: Path) -> None:
    """Opened in Chromium, the hostile names show as text and nothing pops up."""
    name = _hostile_workspace(data_dir, tmp_path)
    page_file = tmp_path / "hostile.html"
    with workspace.connect(name, data_dir) as con:
        html_text = report.render_html(con, name, Scenario())
        report.write_report(page_file, html_text)
    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(page_file.as_uri())
        # No spend data in these tickets: the spend charts are not drawn, the others are.
        drawn = report.chart_count(html_text)
        assert "cumulative_spend" not in report.figures_in(html_text) and drawn >= 5
        page.wait_for_function(f"document.querySelectorAll('.plot-container').length === {drawn}")
        page.mouse.move(10, 10)
        header = page.locator("header .subtitle").inner_text()
        browser.close()
    assert dialogs == []
    assert SCRIPT in header


# --- the browser, offline, and the PDF ------------------------------------------------------

@pytest.mark.browser  # Chromium
def test_report_renders_offline_in_chromium(acme_dir: Path, acme_html: str) -> None:
    """Every chart draws with the network cut; screenshot: artifacts/report.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    page_file = ARTIFACTS / "report.html"
    report.write_report(page_file, acme_html)
    blocked: list[str] = []
    errors: list[str] = []

    def only_files(route: Route) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_offline(True)
        context.route("**/*", only_files)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(page_file.as_uri(), wait_until="load")
        page.wait_for_function(
            f"document.querySelectorAll('.plot-container').length === {len(CHARTS)}")
        drawn = page.evaluate("""() => [...document.querySelectorAll('figure.chart')].map(f => ({
            name: f.dataset.chart,
            svgs: f.querySelectorAll('svg.main-svg').length,
            marks: f.querySelectorAll('.trace, .bars path, .heatmaplayer image').length}))""")
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        browser.close()
    assert [d["name"] for d in drawn] == CHARTS
    assert all(d["svgs"] >= 1 and d["marks"] >= 1 for d in drawn), drawn
    assert blocked == [] and errors == []
    assert (ARTIFACTS / "report.png").stat().st_size > 50_000


@pytest.mark.browser  # Chromium
def test_pdf_report_prints_to_pages(acme_dir: Path) -> None:
    """`breakeven report --out X.pdf` through the system Chromium; pdftoppm turns it into
    PNG pages in artifacts/report-pages/."""
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = ARTIFACTS / "report.pdf"
    pdf.unlink(missing_ok=True)
    assert cli.main(["report", "-w", "acme", "--data-dir", str(acme_dir),
                     "--out", str(pdf)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    pages_dir = ARTIFACTS / "report-pages"
    shutil.rmtree(pages_dir, ignore_errors=True)
    pages_dir.mkdir()
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm is missing: apt-get install poppler-utils"
    subprocess.run([pdftoppm, "-png", "-r", "80", str(pdf), str(pages_dir / "page")],
                   check=True, timeout=120)
    pages = sorted(pages_dir.glob("page-*.png"))
    assert len(pages) >= 5  # verdict + figures, spend, downtime, time to resolve, the rest
    assert all(p.stat().st_size > 10_000 for p in pages)
    assert not list(ARTIFACTS.glob(".report.pdf.*.tmp"))


def test_pdf_needs_chromium(acme_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(report.CHROMIUM_ENV, raising=False)
    assert cli.main(["report", "-w", "acme", "--data-dir", str(acme_dir),
                     "--out", str(tmp_path / "r.pdf")]) == 1
    assert "a PDF report needs Chromium, which was not found on PATH" in capsys.readouterr().err
    assert not (tmp_path / "r.pdf").exists()


def test_dashboard_entry_point_matches_the_cli_report(acme_dir: Path, acme_html: str) -> None:
    """What the dashboard's download button calls: same page, its own short connection."""
    text = report.workspace_report_html("acme", acme_dir, Scenario())
    assert text == acme_html
    with workspace.connect("acme", acme_dir, read_only=True):
        pass  # the connection was closed again: the workspace opens read-only
