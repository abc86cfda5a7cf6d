"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright.

A `streamlit run` server runs in a subprocess on a free localhost port with a temporary
data directory. Chromium must be installed (`.ci/run` installs it); these tests fail,
never skip, without it. Screenshots go to `artifacts/` (git-ignored).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import CHROMIUM_ARGS, REPO, SAMPLE_DATA, Server, load_sample
from playwright.sync_api import Browser, Page, expect, sync_playwright

pytestmark = pytest.mark.browser

ARTIFACTS = REPO / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
PAGES = {"overview": "", "spend": "spend", "downtime": "downtime",
         "time-to-resolve": "time-to-resolve", "service-levels": "service-levels",
         "problems": "problems", "portfolio": "portfolio", "data": "data"}
# The first workspace (acme), as in artifacts/dashboard/acme-*.png: see
# test_dashboard_apptest.CHART_PAGES for what each chart is.
CHART_COUNT = {"overview": 1, "spend": 5, "downtime": 3, "time-to-resolve": 2,
               "service-levels": 3, "problems": 1, "portfolio": 0, "data": 0}
# What a page without charts must show once it has run.
NO_CHART_TEXT = {"portfolio": "Offers for acme", "data": "Load history"}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("chromium is not installed: apt-get install chromium (as .ci/run does)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser: Browser, height: int = 1000) -> Page:
    page = browser.new_page(viewport={"width": 1400, "height": height})
    page.set_default_timeout(30_000)
    return page


def settle(page: Page) -> None:
    """Wait until the script has finished its rerun and the app is connected."""
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]')
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    page.wait_for_timeout(300)


def goto(page: Page, base: str, path: str) -> None:
    page.goto(f"{base}/{path}")
    settle(page)


def verdict(page: Page) -> str:
    return page.locator(".st-key-verdict").inner_text().strip()


def charts_drawn(page: Page) -> int:
    """Plotly charts rendered with at least one trace drawn."""
    charts = page.locator('[data-testid="stPlotlyChart"]')
    charts.first.locator(".main-svg").first.wait_for()
    # Plotly draws each chart in its own frame: poll until every chart on the page has
    # drawn and the number of charts has stopped changing (at most 20 s).
    seen = (-1, -1)
    for _ in range(40):
        total = charts.count()
        drawn = sum(1 for i in range(total)
                    if charts.nth(i).locator("g.trace, g.hm, g.heatmaplayer image").count() > 0)
        if (drawn, total) == seen and drawn == total:
            break
        seen = (drawn, total)
        page.wait_for_timeout(500)
    return drawn


@pytest.fixture
def tickets_only(data_dir: Path, tmp_path: Path) -> Iterator[Server]:
    """A server on workspace 'acme' holding the ServiceNow tickets but no invoices yet."""
    from pipelines.ingest import ingest_file

    ingest_file(SAMPLE_DATA / "acme" / "servicenow_incidents.csv", "acme", data_dir)
    server = Server(data_dir, tmp_path / "streamlit.log")
    yield server
    server.stop()


def test_upload_an_export_in_the_browser_and_see_the_verdict_and_charts_change(
        browser: Browser, tickets_only: Server, data_dir: Path) -> None:
    page = open_page(browser, height=1600)
    goto(page, tickets_only.url, "")
    before = verdict(page)
    # Tickets with no time worked or amounts: nothing to price break-fix with, no chart.
    assert before.startswith("No verdict: there is no spend data")
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 0

    goto(page, tickets_only.url, "data")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        str(SAMPLE_DATA / "acme" / "xero_invoices.csv"))
    expect(page.get_by_text(re.compile(r"Invoice lines.* from.*Xero"))).to_be_visible()
    settle(page)
    page.screenshot(path=str(ARTIFACTS / "browser-upload-preview.png"), full_page=True)
    page.get_by_role("button", name="Load 1 file").click()
    expect(page.get_by_text("xero_invoices.csv: 1,151 of 1,151 rows loaded")).to_be_visible()
    settle(page)
    page.screenshot(path=str(ARTIFACTS / "browser-after-load.png"), full_page=True)
    assert list((data_dir / "uploads" / "acme").iterdir()) == []  # loaded: copy removed

    goto(page, tickets_only.url, "")
    after = verdict(page)
    assert after != before
    assert after.startswith("Break-fix has cost more than the managed offer since Apr 2024")
    assert charts_drawn(page) == 1
    page.screenshot(path=str(ARTIFACTS / "browser-overview-after-load.png"), full_page=True)

    # the contract price, typed in the sidebar, moves the verdict again
    price = page.locator(".st-key-sc_per_user input")
    price.fill("250")
    price.press("Enter")
    expect(page.locator(".st-key-verdict")).to_contain_text("cost less than the managed offer")
    settle(page)
    page.screenshot(path=str(ARTIFACTS / "browser-overview-price-250.png"), full_page=True)


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    d = tmp_path_factory.mktemp("demo-browser")
    for folder in sorted(p for p in SAMPLE_DATA.iterdir() if p.is_dir()):
        load_sample(folder.name, d)
    server = Server(d, d / "streamlit.log")
    yield server
    server.stop()


@pytest.mark.parametrize("name", list(PAGES))
def test_screenshot_every_page_with_the_demo_data(browser: Browser, demo_server: Server,
                                                  name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # Streamlit scrolls inside its main block, so a tall window shows the whole page.
    page = open_page(browser, height=2600)
    goto(page, demo_server.url, PAGES[name])
    assert page.locator('[data-testid="stException"]').count() == 0
    if CHART_COUNT[name]:
        assert charts_drawn(page) == CHART_COUNT[name]
    else:
        expect(page.get_by_text(NO_CHART_TEXT[name])).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    page.close()


def test_screenshot_the_upload_preview(browser: Browser, demo_server: Server) -> None:
    page = open_page(browser, height=2000)
    goto(page, demo_server.url, "data")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        [str(SAMPLE_DATA / "prospect-northwind" / "zendesk_tickets.csv"),
         str(REPO / "tests" / "data" / "broken" / "ambiguous_dates.csv")])
    expect(page.get_by_text(re.compile(r"Tickets.* from.*Zendesk"))).to_be_visible()
    settle(page)
    page.screenshot(path=str(SCREENSHOTS / "data-upload-preview.png"), full_page=True)
    page.close()


def test_the_overview_offers_the_report_as_a_download(browser: Browser,
                                                      demo_server: Server) -> None:
    page = open_page(browser)
    goto(page, demo_server.url, "")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the report (HTML)").click()
    path = info.value.path()
    html = Path(path).read_text(encoding="utf-8")
    assert info.value.suggested_filename == "breakeven-acme.html"
    assert "Break-fix has cost more than the managed offer since Apr 2024" in html
    # 13, as `breakeven report` writes for acme (tests/test_report.py CHARTS): spend 3 and
    # the tornado, downtime 3, time to resolve 2, predictability 1, service levels 3
    assert html.count("Plotly.newPlot") == 13
    page.close()
