"""Spend: break-fix vs managed cost over the months the spend data covers, the break-even,
and the largest break-fix lines, any of which can be left out with a click.

Sections, top to bottom (each a function, so later panels slot in between): the spend
checks, the headline tiles, the three cost charts, the largest lines.
"""

from typing import Any

import duckdb
import polars as pl
import streamlit as st

from dashboard import ui
from pipelines import charts, metrics, present
from pipelines import dashboard_data as data
from pipelines.dashboard_data import Summary
from pipelines.metrics import sensitivity
from pipelines.scenario import Scenario, save_scenario

SOURCES = {"invoices": "invoice lines (labour and other)",
           "billed_amount": "tickets' billed amounts",
           "labour_hours": "tickets' labour hours x hourly rate"}


def headline(s: Summary, cur: str | None) -> None:
    sw = s.spend.get("window") or {}
    excluded = s.spend.get("excluded") or {}
    left_out = (f" {present.count(excluded['lines'], 'line')}"
                f" ({present.money(excluded['amount'], cur)}) left out by your exclusions."
                if excluded.get("lines") else "")
    st.caption(f"Break-fix spend from {SOURCES.get(s.spend['source'], '')}, compared over"
               f" {present.months_span(sw.get('start'), sw.get('end'))}: the months the spend"
               " data covers." + left_out + ("" if cur else
               " Invoices are in several currencies (or none is given): amounts are shown"
               " without one."))
    cols = st.columns(4)
    cols[0].metric("Break-even price per user",
                   ui.money(s.spend["break_even_price_per_user"], cur, 2), border=True,
                   help="Per user per month. A managed contract priced below this would have cost"
                        " less over the months compared.")
    cols[1].metric("Cumulative crossover", ui.month_label(s.cumulative_crossover), border=True,
                   help="First month in which total break-fix cost passed the managed"
                        " contract's total.")
    cols[2].metric("Run-rate crossover", ui.month_label(s.run_rate_crossover), border=True,
                   help="From this month on, the last 12 months of break-fix cost more than"
                        " 12 months of the contract.")
    cols[3].metric("Break-fix vs managed, total",
                   ui.money(s.spend["breakfix_total"], cur),
                   delta=f"{ui.money(s.spend['managed_total'], cur)} managed",
                   delta_color="off", delta_arrow="off", border=True)


def cost_charts(s: Summary, cur: str | None) -> None:
    m = s.spend_monthly
    ahead = s.forecast_months
    ui.show_chart(charts.cumulative_spend(m, s.cumulative_crossover, cur, ahead),
                  s.chart_data("cumulative"), "spend_cumulative")
    if not ahead.is_empty():
        st.caption("The shaded band is the forecast's 80% range for cumulative break-fix (1 in"
                   " 10 chance below it, 1 in 10 above), the dashed line its median."
                   " See docs/metrics.md, \"The forward look\".")
    ui.show_chart(charts.monthly_spend(m, cur), s.chart_data("monthly"), "spend_monthly")
    ui.show_chart(charts.trailing_spend(m, s.run_rate_crossover, cur), s.chart_data("trailing"),
                  "spend_trailing_12_months")


def predictability_panel(s: Summary, cur: str | None) -> None:
    """How unpredictable break-fix is (METRICS.md section 9): the monthly bars against the
    flat fee, the worst month and the largest surprise, the cv in words."""
    p = s.raw["predictability"]
    if not p["months"]:
        return
    st.subheader("How predictable is break-fix?")
    st.write(f"Over {present.count(p['months'], 'month')}, break-fix averaged"
             f" {ui.money(p['mean'], cur)} a month: {metrics.cv_in_words(p['cv'])}"
             f" (the managed fee is {ui.money(s.spend['monthly_fee'], cur)}, every month).")
    cols = st.columns(4)
    cols[0].metric("Worst month", ui.month_label(p["worst_month"]), border=True,
                   delta=ui.money(p["worst_amount"], cur), delta_color="off", delta_arrow="off")
    surprise = p["largest_surprise_month"]  # None: no month has 3 earlier months to compare
    cols[1].metric("Largest surprise", "n/a" if surprise is None else ui.month_label(surprise),
                   border=True,
                   delta=(None if p["largest_surprise_amount"] is None else
                          f"{ui.money(p['largest_surprise_amount'], cur)} above trend"),
                   delta_color="off", delta_arrow="off",
                   help="The month furthest above the average of the (up to 12) months before"
                        " it; needs 3 earlier months.")
    cols[2].metric("Months above the managed fee",
                   f"{p['months_above_fee']} of {p['months']}", border=True)
    cols[3].metric("90th percentile month", ui.money(p["p90"], cur), border=True,
                   help="One month in ten cost more than this.")
    ui.show_chart(charts.predictability(s.spend_monthly, s.spend["monthly_fee"],
                                        data.month_date(p["worst_month"]),
                                        data.month_date(p["largest_surprise_month"]), cur),
                  s.chart_data("predictability"), "spend_predictability")


def sensitivity_panel(s: Summary, cur: str | None) -> None:
    """Which inputs move the verdict most: a tornado of the break-even price and a table."""
    st.subheader("What moves the verdict?")
    frame = s.sensitivity
    ui.show_chart(charts.sensitivity_tornado(frame, cur, sensitivity.row_labels(frame, cur)),
                  frame, "spend_sensitivity")
    st.caption(sensitivity.NOTE)
    ui.show_table(sensitivity.sensitivity_table(frame, cur), "spend_sensitivity_table")


def _save_exclusions(ctx: ui.Context, texts: list[str]) -> None:
    assert ctx.con is not None
    scenario = Scenario.from_dict({**ctx.scenario.to_dict(), "exclude_spend": texts})
    save_scenario(ctx.con, scenario)
    st.rerun()


@st.cache_data(max_entries=32, show_spinner=False)
def _largest(key: tuple[Any, ...], filters: data.Filters, settings: tuple[Any, ...],
             _scenario: Scenario, _con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The 15 largest counted lines, cached like the figures: by the data version (`key`),
    the filters and the settings they read (`settings`: the time zone of the window, the
    kinds counted and the exclusions), not by the price, which reruns the page."""
    return metrics.largest_lines(_con, _scenario, filters, limit=15)


def largest_lines(ctx: ui.Context, cur: str | None) -> None:
    """The largest counted lines; select one and leave it (and lines like it) out."""
    st.subheader("Largest break-fix lines")
    assert ctx.con is not None
    sc = ctx.scenario
    top = _largest(ui.cache_key(ctx.data_dir, ctx.workspace, ctx.version), ctx.filters,
                   (sc.timezone, sc.include_parts, sc.exclude_spend), sc, ctx.con)
    if top.is_empty():
        st.caption("No invoice line is counted as break-fix in these months.")
    else:
        st.caption("A line that is not IT break-fix work (a grant, rent, a one-off purchase)"
                   " makes break-fix look dearer than it was. Select it to leave it out;"
                   " the exclusion is saved in the workspace's scenario (`exclude_spend`).")
        # The key changes with the exclusions, so a saved exclusion clears the selection.
        event = st.dataframe(
            top, key=f"largest_lines_{len(ctx.scenario.exclude_spend)}", hide_index=True,
            placeholder=ui.NO_DATA,
            on_select="rerun",
            selection_mode="single-row",
            column_config={"invoice_date": st.column_config.DateColumn("date",
                                                                       format="D MMM YYYY"),
                           "share": st.column_config.NumberColumn("% of break-fix",
                                                                  format="percent"),
                           "amount": st.column_config.NumberColumn(f"amount{f' ({cur})' if cur else ''}",
                                                                   format="%,.2f")})
        rows = event.selection.rows if event else []
        if rows:
            line = top.row(rows[0], named=True)
            text = metrics.exclusion_text(line["description"], line["client"])
            n, amount = metrics.exclusion_preview(ctx.con, ctx.scenario, ctx.filters, text)
            if text:
                st.write(f"Leaves out every break-fix line whose description or client"
                         f" contains **{text}**: {present.count(n, 'line')},"
                         f" {present.money(amount, cur)}.")
                if st.button("Exclude from break-fix spend", key="exclude_line",
                             icon=":material/remove_circle:"):
                    _save_exclusions(ctx, [*ctx.scenario.exclude_spend, text])
            else:
                st.write("This line has no description or client to match it by.")
    if ctx.scenario.exclude_spend:
        st.markdown("**Left out of spend** (lines whose description or client contains):")
        for i, text in enumerate(ctx.scenario.exclude_spend):
            cols = st.columns([4, 1])
            cols[0].write(f"`{text}`")
            if cols[1].button("Put back", key=f"include_{i}", icon=":material/undo:"):
                _save_exclusions(ctx, [t for t in ctx.scenario.exclude_spend if t != text])


ctx = ui.context()
st.title("Spend")
if ui.require_data(ctx):
    s = ui.figures(ctx, "spend")
    cur = s.currency
    ui.show_checks([c for c in s.checks if c["id"] == "no_spend"])
    ui.show_topic_checks(s, "spend")
    if s.spend["source"] is not None:
        headline(s, cur)
        cost_charts(s, cur)
        predictability_panel(s, cur)
        sensitivity_panel(s, cur)
        largest_lines(ctx, cur)
