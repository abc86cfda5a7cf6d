"""Overview: the verdict (or what is missing for one) and its caveats, the headline
figures, and the cumulative cost chart."""

import streamlit as st

from dashboard import ui
from pipelines import charts, report
from pipelines.metrics import forecast as outlook

ctx = ui.context()
st.title("Overview" + (f": {ctx.workspace}" if ctx.workspace else ""))
if ui.require_data(ctx):
    s = ui.figures(ctx, "overview")
    # A block check replaces the verdict by what is missing and how to add it; warnings
    # sit under the verdict and link to the page that explains them.
    with st.container(key="verdict", border=True):
        st.markdown(f"#### {s.verdict}")
        for check in s.blocks:
            st.markdown(ui.page_message(check))
        if s.blocks:
            st.page_link("views/data.py", label="Load exports on the Data page",
                         icon=":material/upload_file:")
    ui.show_checks(s.warnings)
    cur = s.currency
    # The forward look (METRICS.md section 11): the next 12 months, in words.
    ahead = s.raw["forecast"]
    if not s.blocks and ahead["p_breakfix_dearer_12m"] is not None:
        with st.container(key="forward_look", border=True):
            st.markdown("**The next 12 months:** " + outlook.forward_look(
                ahead["p_breakfix_dearer_12m"], ctx.scenario.per_user, ctx.scenario.users,
                s.spend["monthly_fee"], cur))
            firm = outlook.confidence_text(s.raw.get("confidence"), cur)
            if firm:
                st.caption(firm)
    ttm = s.last_ttm or {}
    share = s.recurring_share
    row1 = st.columns(3)
    row1[0].metric("Tickets", f"{s.incidents['total']:,}", border=True,
                   help=f"{s.incidents['open']:,} still open;"
                        f" {s.incidents['warnings']:,} resolved before they were opened.")
    row1[1].metric("Median time to resolve", ui.hours(s.ttr["median_hours"]), border=True)
    row1[2].metric("90th percentile time to resolve", ui.hours(s.ttr["p90_hours"]),
                   border=True, help="9 in 10 tickets were resolved within this time.")
    row2 = st.columns(3)
    row2[0].metric("Downtime", ui.hours(s.downtime["hours"]), border=True,
                   delta=None if share is None else f"{share:.0%} recurring",
                   delta_color="off", delta_arrow="off",
                   help=f"{s.downtime['incidents']:,} outages, of which"
                        f" {s.downtime['recurring_incidents']:,} repeated an outage of the same"
                        " asset (or category) shortly before.")
    row2[1].metric("Break-fix, last 12 months", ui.money(ttm.get("ttm_breakfix"), cur),
                   border=True, help="Invoiced break-fix work plus downtime cost, over the"
                                     f" 12 months to {ui.month_label(ttm.get('month'))}.")
    row2[2].metric("Managed contract, last 12 months", ui.money(ttm.get("ttm_managed"), cur),
                   border=True, help=f"{ui.money(s.spend['monthly_fee'], cur)} a month"
                                     " under the scenario in the sidebar.")
    if not s.spend_monthly.is_empty():
        fig = charts.cumulative_spend(s.spend_monthly, s.cumulative_crossover, cur,
                                      s.forecast_months)
        ui.show_chart(fig, s.chart_data("cumulative"), "overview_cumulative")
    # The same report `breakeven report` writes; built only when clicked, on its own
    # short connection (this rerun's connection is closed by then).
    st.download_button(
        "Download the report (HTML)",
        data=lambda: report.workspace_report_html(str(ctx.workspace), ctx.data_dir, ctx.scenario,
                                                  ctx.filters),
        file_name=f"breakeven-{ctx.workspace}.html", mime="text/html", key="report_download",
        icon=":material/description:", on_click="ignore",
        help="One self-contained file (verdict, charts, scenario, data quality) that opens"
             " with no network.")
