"""The dashboard, driven headless with streamlit.testing.v1.AppTest.

Every page runs on workspaces loaded from sample_data/ in a temporary data directory;
widgets are driven by their keys and figures read back from the Plotly specs the app
sends to the browser. Expected values are those of sample_data/README.md.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import streamlit as st
from helpers import SAMPLE_DATA, load_sample
from streamlit.testing.v1 import AppTest

from pipelines import charts, store, workspace
from pipelines.csv_export import csv_bytes
from pipelines.scenario import load_scenario

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
PAGES = ["views/overview.py", "views/spend.py", "views/downtime.py",
         "views/time_to_resolve.py", "views/service_levels.py", "views/problems.py",
         "views/data.py"]
# acme (checked against artifacts/dashboard/acme-*.png): Overview the cumulative cost;
# Spend cumulative, monthly, trailing 12 months, predictability, tornado; Downtime monthly,
# most repeated, calendar; Time to resolve monthly and by priority; Service levels
# resolution by priority, SLA breaches by priority and per month (acme has no first
# response, so no response chart); Problems the tickets-per-month heat map.
CHART_PAGES = {"views/overview.py": 1, "views/spend.py": 5, "views/downtime.py": 3,
               "views/time_to_resolve.py": 2, "views/service_levels.py": 3,
               "views/problems.py": 1}


@pytest.fixture(autouse=True)
def clear_streamlit_caches() -> None:
    """Cached figures would leak from one test's workspace into the next."""
    st.cache_data.clear()
    st.cache_resource.clear()


def app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    if page and page != PAGES[0]:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def specs(at: AppTest) -> list[dict[str, Any]]:
    """The Plotly figures on the page, as the JSON the browser receives."""
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def chart(at: AppTest, title_start: str) -> dict[str, Any]:
    found = [s for s in specs(at) if s["layout"]["title"]["text"].startswith(title_start)]
    assert found, [s["layout"]["title"]["text"] for s in specs(at)]
    return found[0]


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def verdict(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("#### "))


# --- every page -------------------------------------------------------------------------

@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_the_sample_workspace(acme: str, page: str) -> None:
    at = app(page)
    assert not at.error
    assert at.selectbox(key="workspace").value == "acme"
    figures = specs(at)
    assert len(figures) == CHART_PAGES.get(page, 0)
    for fig in figures:
        layout = fig["layout"]
        assert layout["title"]["text"], "every chart says what it shows"
        assert fig["data"], layout["title"]["text"]
        if "xaxis" in layout and layout["xaxis"].get("visible", True):
            assert layout["xaxis"]["title"]["text"] and layout["yaxis"]["title"]["text"] is not None
        for trace in fig["data"]:
            colour = (trace.get("line") or {}).get("color") or (trace.get("marker") or {}).get(
                "color")
            if colour:
                assert colour in charts.OKABE_ITO.values(), colour
    downloads = [d.key for d in at.get("download_button")]
    assert sum(k.startswith("csv_") for k in downloads) >= len(figures)
    for table in at.dataframe:  # a cell without a figure says so, not a grey "None"
        if table.proto.id and "first_rows" not in table.proto.id:
            assert table.proto.placeholder == "no data", table.proto.id


@pytest.mark.parametrize("page", PAGES)
def test_an_empty_workspace_says_so_on_every_page(empty_workspace: str, page: str) -> None:
    at = app(page)
    assert not at.error
    infos = " ".join(i.value for i in at.info)
    if page == "views/data.py":
        assert "Nothing loaded into **empty** yet" in infos
        assert at.file_uploader(key="upload") is not None
    else:
        assert "has no tickets or invoices yet" in infos and "**Data** page" in infos
    assert not at.get("plotly_chart")


@pytest.mark.parametrize("page", PAGES)
def test_no_workspace_at_all_asks_to_create_one(data_dir: Path, page: str) -> None:
    at = app(page)
    assert not at.error
    assert "Create one in the sidebar" in " ".join(i.value for i in at.info)


# --- overview and scenario ----------------------------------------------------------------

def test_overview_shows_the_verdict_and_the_readme_figures(acme: str) -> None:
    at = app()
    assert verdict(at).startswith("#### Break-fix has cost more than the managed offer since"
                                  " Apr 2024 on the run-rate")
    assert metric(at, "Tickets") == "2,014"
    assert metric(at, "Managed contract, last 12 months") == "GBP 37,500"
    fig = chart(at, "Cumulative cost")
    breakfix, managed = fig["data"][0], fig["data"][1]
    assert breakfix["y"][-1] == pytest.approx(167_818.75)
    assert managed["y"][-1] == pytest.approx(112_500)
    assert fig["layout"]["yaxis"]["title"]["text"] == "Cumulative cost (GBP)"
    assert fig["layout"]["shapes"][0]["x0"].startswith("2024-06-01")


def test_changing_the_contract_price_changes_the_verdict_and_is_saved(acme: str,
                                                                       data_dir: Path) -> None:
    at = app()
    before = verdict(at)
    at.number_input(key="sc_per_user").set_value(250.0).run()
    assert not at.exception
    after = verdict(at)
    assert after != before
    assert "cost less than the managed offer" in after
    assert metric(at, "Managed contract, last 12 months") == "GBP 75,000"
    with workspace.connect("acme", data_dir) as con:
        assert load_scenario(con).per_user == 250.0
    # a fresh session reads the saved scenario back into the editor
    st.cache_data.clear()
    again = app()
    assert again.number_input(key="sc_per_user").value == 250.0
    assert verdict(again) == after


def test_scenario_widgets_all_drive_the_figures(acme: str, data_dir: Path) -> None:
    at = app("views/spend.py")
    assert metric(at, "Break-even price per user") == "GBP 186.47"
    at.number_input(key="sc_users").set_value(50).run()
    assert metric(at, "Break-even price per user") == "GBP 93.23"
    at.number_input(key="sc_onboarding_fee").set_value(1000.0).run()
    at.number_input(key="sc_per_device").set_value(10.0).run()
    at.number_input(key="sc_devices").set_value(20).run()
    at.number_input(key="sc_cost_per_user_hour").set_value(20.0).run()
    at.slider(key="sc_managed_reduction").set_value(50).run()
    at.multiselect(key="sc_outage_priorities").set_value(["P1"]).run()
    at.number_input(key="sc_recurrence_days").set_value(14).run()
    assert not at.exception and not at.error
    with workspace.connect("acme", data_dir) as con:
        s = load_scenario(con)
    assert (s.users, s.onboarding_fee, s.per_device, s.devices, s.cost_per_user_hour,
            s.managed_reduction, s.outage_priorities, s.recurrence_days) == (
        50, 1000.0, 10.0, 20, 20.0, 0.5, ("P1",), 14)
    monthly = chart(at, "Monthly cost")
    names = [t["name"] for t in monthly["data"]]
    assert "Downtime cost" in names  # downtime now carries a cost


def test_month_range_and_client_filters(demo_data_dir: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    d = tmp_path / "data"
    d.mkdir()
    monkeypatch.setenv(workspace.DATA_DIR_ENV, str(d))
    load_sample("prospect-contoso", d)
    at = app("views/time_to_resolve.py")
    total = int(metric(at, "Tickets timed").replace(",", ""))
    at.select_slider(key="month_range").set_value(("2024-01", "2024-06")).run()
    assert not at.exception
    first_half = int(metric(at, "Tickets timed").replace(",", ""))
    assert 0 < first_half < total
    months = chart(at, "Time to resolve per month")["data"][0]["x"]
    assert months[0].startswith("2024-01") and months[-1].startswith("2024-06")
    clients = at.selectbox(key="client").options
    assert len(clients) == 5  # "All clients" and the four companies
    at.selectbox(key="client").set_value(clients[1]).run()
    assert not at.exception
    assert int(metric(at, "Tickets timed").replace(",", "")) < first_half


# --- pages ----------------------------------------------------------------------------------

def test_spend_page_marks_both_crossovers_and_labels_money(acme: str) -> None:
    at = app("views/spend.py")
    assert metric(at, "Cumulative crossover") == "Jun 2024"
    assert metric(at, "Run-rate crossover") == "Apr 2024"
    ttm = chart(at, "Trailing 12 months")
    assert ttm["layout"]["shapes"][0]["x0"].startswith("2024-04-01")
    assert ttm["layout"]["yaxis"]["title"]["text"].endswith("(GBP)")
    assert chart(at, "Monthly cost")["layout"]["barmode"] == "stack"


def test_forward_look_band_and_tornado(acme: str) -> None:
    """Overview: the next 12 months in words; the cumulative chart continues as a band
    (Jan-Dec 2026); Spend: the sensitivity tornado, users on top (the price per user does
    not move the break-even price)."""
    at = app()
    text = next(m.value for m in at.markdown if m.value.startswith("**The next 12 months:**"))
    assert "A managed contract at GBP 125 per user would almost certainly cost less" in text
    names = [t["name"] for t in chart(at, "Cumulative cost")["data"]]
    assert "Break-fix forecast, 80% range" in names and "Managed contract (forecast)" in names
    band = next(t for t in chart(at, "Cumulative cost")["data"]
                if t["name"] == "Break-fix forecast (median)")
    assert band["x"][0].startswith("2025-12-01") and band["x"][-1].startswith("2026-12-01")
    at.switch_page("views/spend.py").run()
    tornado = chart(at, "What moves the verdict")
    assert tornado["data"][0]["y"][-1].startswith("Users covered (12 to 38)")


def test_downtime_page_splits_recurring_hours(acme: str) -> None:
    at = app("views/downtime.py")
    fig = chart(at, "Downtime per month")
    first, recurring = fig["data"]
    assert (first["name"], recurring["name"]) == ("First-time", "Recurring")
    total = sum(first["y"]) + sum(recurring["y"])
    assert metric(at, "Downtime") == f"{total:,.1f} h"
    top = chart(at, "Most repeated outages")["data"][0]
    assert top["y"][-1] == "TWK-NAS01" and top["x"][-1] == 31  # most outages at the top
    assert chart(at, "Downtime calendar")["data"][0]["type"] == "heatmap"


def test_time_to_resolve_page_has_priority_and_category_breakdowns(acme: str) -> None:
    at = app("views/time_to_resolve.py")
    by_priority = chart(at, "Time to resolve by priority")
    assert by_priority["data"][0]["x"] == ["P1", "P2", "P3", "P4", "P5"]
    table = at.dataframe[0].value
    assert {"category", "count", "median_hours", "p90_hours"} <= set(table.columns)


# --- workspaces -------------------------------------------------------------------------

def test_create_switch_and_delete_a_workspace(acme: str, data_dir: Path) -> None:
    at = app()
    at.text_input(key="ws_new_name").set_value("../etc").run()
    at.button(key="ws_create").click().run()
    assert "is not allowed" in " ".join(e.value for e in at.error)
    at.text_input(key="ws_new_name").set_value("prospect-2").run()
    at.button(key="ws_create").click().run()
    assert not at.exception
    assert at.selectbox(key="workspace").value == "prospect-2"
    assert workspace.list_workspaces(data_dir) == ["acme", "prospect-2"]
    at.selectbox(key="workspace").set_value("acme").run()
    assert metric(at, "Tickets") == "2,014"
    at.selectbox(key="workspace").set_value("prospect-2").run()
    assert at.button(key="ws_delete_yes").disabled  # not confirmed yet
    at.text_input(key="ws_delete_confirm").set_value("prospect-2").run()
    at.button(key="ws_delete_yes").click().run()
    assert not at.exception
    assert workspace.list_workspaces(data_dir) == ["acme"]
    assert at.selectbox(key="workspace").value == "acme"


# --- data page ----------------------------------------------------------------------------

def test_upload_preview_load_and_history(empty_workspace: str, data_dir: Path) -> None:
    at = app("views/data.py")
    files = [(f.name, f.read_bytes(), "text/csv") for f in sorted((SAMPLE_DATA / "acme").iterdir())]
    at.file_uploader(key="upload").set_value(files).run()
    assert not at.exception and not at.error
    text = " ".join(m.value for m in at.markdown)
    assert "from **ServiceNow" in text and "from **Xero" in text
    assert at.selectbox(key="map_0_incidents_opened_at").value == "Opened"
    saved = sorted(p.name for p in (data_dir / "uploads" / "empty").iterdir())
    assert len(saved) == 2 and all(re.fullmatch(r"[0-9a-f]{32}\.csv", n) for n in saved)
    at.button(key="load_files").click().run()
    assert not at.exception and not at.error
    success = " ".join(s.value for s in at.success)
    assert "servicenow_incidents.csv: 2,014 of 2,014 rows loaded" in success
    with workspace.connect("empty", data_dir) as con:
        history = store.load_history(con)
    assert sorted(history["file_name"]) == ["servicenow_incidents.csv", "xero_invoices.csv"]
    at.switch_page("views/overview.py").run()
    assert metric(at, "Tickets") == "2,014"


def test_an_unknown_file_is_explained_then_loaded_with_a_corrected_mapping(
        empty_workspace: str, data_dir: Path) -> None:
    csv = (b"Zorg,Quux,Blip,Box\nA-1,2024-03-01 09:00,2024-03-01 12:00,PC1\n"
           b"A-2,2024-03-02 09:00,2024-03-02 10:30,=cmd|' /C calc'!A0\n"
           b"A-3,not a date,,PC2\n")
    at = app("views/data.py")
    at.file_uploader(key="upload").set_value(("odd.csv", csv, "text/csv")).run()
    assert not at.exception
    assert "odd.csv: no recognisable" in " ".join(e.value for e in at.error)
    assert "load_files" not in [b.key for b in at.button]
    at.selectbox(key="kind_0").set_value("incidents").run()
    at.selectbox(key="map_0_incidents_ticket_id").set_value("Zorg").run()
    at.selectbox(key="map_0_incidents_opened_at").set_value("Quux").run()
    at.selectbox(key="map_0_incidents_resolved_at").set_value("Blip").run()
    at.selectbox(key="map_0_incidents_asset").set_value("Box").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "3 rows read: 2 would load, 1 would be rejected" in " ".join(
        m.value for m in at.markdown)
    at.button(key="load_files").click().run()
    assert not at.exception
    with workspace.connect("empty", data_dir) as con:
        assert store.table_counts(con)["incidents"] == 2
        rejects = store.rejected_rows(con)
        saved = store.settings_with_prefix(con, "mapping:")
    assert rejects["reason"][0].startswith("'Quux' is 'not a date'")
    assert next(iter(saved.values()))["map"]["ticket_id"] == "Zorg"  # remembered for this header
    # the rejected rows are shown with their reasons, and their download is neutralised
    assert any("not a date" in str(df.value) for df in at.dataframe)


def test_a_broken_upload_shows_the_error_not_a_traceback(acme: str) -> None:
    at = app("views/data.py")
    at.file_uploader(key="upload").set_value(("empty.csv", b"   \n", "text/csv")).run()
    assert not at.exception
    assert "empty.csv: the file is empty" in " ".join(e.value for e in at.error)


# --- core pieces the pages use ------------------------------------------------------------

def test_csv_downloads_neutralise_formula_like_text() -> None:
    frame = pl.DataFrame({"title": ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "ok", None],
                          "amount": [-120.0, 1.0, 2.0, 3.0, 4.0, 5.0]})
    text = csv_bytes(frame).decode("utf-8-sig").splitlines()
    assert text[1:] == ["\"'=HYPERLINK(\"\"x\"\")\",-120.0", "'+1,1.0", "'-2,2.0", "'@SUM(A1),3.0",
                        "ok,4.0", ",5.0"]


def test_charts_of_empty_frames_say_there_is_nothing_to_show() -> None:
    empty = pl.DataFrame(schema={"month": pl.Date, "cumulative_breakfix": pl.Float64,
                                 "cumulative_managed": pl.Float64})
    fig = charts.cumulative_spend(empty, None, None)
    assert fig.layout.annotations[0].text == "No spend in the selected months"
    assert charts.money_title("Cost", None) == "Cost"


# --- the evidence checks say what to do on the page ----------------------------------------

def _checks_workspace(data_dir: Path, tmp_path: Path) -> None:
    """12 months of P1 tickets with a category and no asset, and invoices in Jan and Apr 2024
    only, one line of them most of the total. Fires short_window (4 months), tickets_outside
    (8 of 12 tickets after Apr 2024), spend_gaps (Feb-Mar), dominant_lines (the 9,000 line)
    and category_recurrence (12 of 12 outages keyed by category)."""
    from pipelines import cli

    tickets = tmp_path / "tickets.csv"
    tickets.write_text("Ticket Number,Created,Resolved,Priority,Category\n" + "".join(
        f"T{m},2024-{m:02d}-03 09:00,2024-{m:02d}-03 12:00,P1,Email\n" for m in range(1, 13)))
    invoices = tmp_path / "invoices.csv"
    invoices.write_text("Invoice Number,Date,Description,Amount\n"
                        "A1,2024-01-10,Repair,100.00\n"
                        "A2,2024-04-10,Server rebuild,9000.00\n"
                        "A3,2024-04-12,Repair,100.00\n")
    assert cli.main(["ingest", str(tickets), str(invoices), "-w", "checks",
                     "--data-dir", str(data_dir)]) == 0


def test_checks_on_the_pages_name_widgets_not_commands(data_dir: Path, tmp_path: Path) -> None:
    """Every check that fires is worded for the page: no `breakeven ...`, no --map/--from,
    no backticks; the page's words name the Data page, the Months filter, the Exclude
    button."""
    from pipelines import metrics
    from pipelines.scenario import Scenario

    _checks_workspace(data_dir, tmp_path)
    with workspace.connect("checks", data_dir) as con:
        fired = {c["id"] for c in metrics.metrics_json(con, "checks", Scenario())["checks"]}
    assert fired == {"short_window", "tickets_outside_spend", "spend_gaps", "dominant_lines",
                     "category_recurrence"}
    at = app()
    shown = [w.value for w in at.warning]
    assert len(shown) == len(fired)
    text = " ".join(shown)
    for cli_word in ("`", "breakeven ", "--map", "--from", "--set", "-w "):
        assert cli_word not in text, (cli_word, text)
    assert "narrow the **Months** filter in the sidebar" in text
    assert "click **Exclude from break-fix spend**" in text
    assert "choose that column for *asset* under *Column mapping* on the **Data** page" in text


def test_a_log_without_spend_is_told_to_load_invoices_on_the_data_page(
        data_dir: Path, tmp_path: Path) -> None:
    from pipelines import cli

    log = tmp_path / "log.csv"
    log.write_text("Ticket Number,Created,Resolved,Priority,Category\n"
                   "T1,2024-01-03 09:00,2024-01-03 12:00,P1,Email\n"
                   "T2,2024-02-05 09:00,2024-02-05 10:00,P1,Email\n")
    assert cli.main(["ingest", str(log), "-w", "log", "--data-dir", str(data_dir)]) == 0
    for page in ("views/overview.py", "views/spend.py"):
        at = app(page)
        texts = [m.value for m in at.markdown] + [e.value for e in at.error]
        block = next(t for t in texts if t.startswith("No spend data from Jan 2024"))
        assert "`" not in block and "--map" not in block, block
        assert "invoices on the **Data** page" in block
        assert "*labour hours* or *billed amount* under *Column mapping*" in block


def test_month_axes_tick_once_a_month_on_short_data() -> None:
    """3 months: one tick a month (Plotly alone ticks every two weeks, 'Mar 2025' twice);
    36 months: every 3 months; 60 months: every 6."""
    from datetime import date

    def monthly(n: int) -> pl.DataFrame:
        months = [date(2023 + (m // 12), m % 12 + 1, 1) for m in range(n)]
        return pl.DataFrame({"month": months, "cumulative_breakfix": [1.0] * n,
                             "cumulative_managed": [2.0] * n})

    for n, dtick in ((3, "M1"), (12, "M1"), (13, "M2"), (36, "M3"), (60, "M6")):
        fig = charts.cumulative_spend(monthly(n), None, "GBP")
        assert fig.layout.xaxis.dtick == dtick, n
        assert fig.layout.xaxis.tickformat == charts.MONTH_FORMAT


def test_the_portfolio_lists_every_sample_workspace(demo_data_dir: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    copy = tmp_path / "demo"
    shutil.copytree(demo_data_dir, copy)  # the portfolio writes its cache there
    monkeypatch.setenv("BREAKEVEN_DATA_DIR", str(copy))
    at = app("views/portfolio.py")
    assert not at.error
    table = at.dataframe(key="pf_table").value
    assert sorted(table["workspace"]) == ["acme", "prospect-contoso", "prospect-northwind"]
    assert set(table["status"]) == {"ok"}


def test_replacement_price_and_hourly_rate_are_set_in_the_sidebar(data_dir: Path) -> None:
    """prospect-contoso's costliest assets (sample_data): DUS-PROD-PC01 4,628.00,
    FRA-SRV01 4,294.00, BIE-CNC-PC02 4,276.00, BIE-PRN02 4,207.00, then 3,888.00: a
    replacement price of 4,000 is passed by those four. The rate is saved in the scenario."""
    load_sample("prospect-contoso", data_dir)
    at = app("views/problems.py")
    assert any("Replacement price per asset" in c.value for c in at.caption)
    at.number_input(key="sc_replacement_cost").set_value(4000.0).run()
    warning = " ".join(w.value for w in at.warning)
    assert "passed the replacement price of EUR 4,000 on:" in warning
    for asset in ("DUS-PROD-PC01", "FRA-SRV01", "BIE-CNC-PC02", "BIE-PRN02"):
        assert asset in warning
    assert "DUS-ROUTER01" not in warning
    at.number_input(key="sc_hourly_rate").set_value(100.0).run()
    assert any("EUR 100 an hour" in c.value for c in at.caption)
    with workspace.connect("prospect-contoso", data_dir) as con:
        saved = load_scenario(con)
    assert (saved.replacement_cost, saved.hourly_rate) == (4000.0, 100.0)


def test_a_page_recomputes_only_the_figures_a_change_moves(acme: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The price moves the spend group only; time to resolve and the checks stay cached
    (ui.PAGE_FAMILIES, keyed by metrics.scenario_keys); a filter moves every group."""
    from pipelines import metrics
    computed: list[tuple[str, ...]] = []
    real = metrics.compute

    def counting(*args: Any, **kwargs: Any) -> Any:
        computed.append(tuple(args[4]))
        return real(*args, **kwargs)

    monkeypatch.setattr(metrics, "compute", counting)
    at = app()
    assert computed == [("incidents", "ttr", "downtime"), ("spend", "forecast", "confidence"),
                        ("checks",)]
    computed.clear()
    at.number_input(key="sc_per_user").set_value(250.0).run()
    assert computed == [("spend", "forecast", "confidence")]
    computed.clear()
    at.switch_page("views/time_to_resolve.py").run()
    assert computed == [("incidents", "ttr")]  # the checks were computed for the Overview
    computed.clear()
    at.select_slider(key="month_range").set_value(("2024-01", "2024-06")).run()
    assert computed == [("incidents", "ttr"), ("checks",)]
    assert not at.exception
