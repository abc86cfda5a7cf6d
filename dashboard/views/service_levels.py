"""Service levels: first response and resolution by priority, calendar vs business hours,
and what the managed contract's SLA would have made of this history (METRICS.md
section 10)."""

import streamlit as st

from dashboard import ui
from pipelines import charts
from pipelines import dashboard_data as data

ctx = ui.context()
st.title("Service levels")
if ui.require_data(ctx):
    v = ui.figures(ctx, "service_levels").service
    sc = ctx.scenario
    hol = f", {len(sc.holidays)} holidays off" if sc.holidays else ""
    st.caption(f"Business hours: {sc.business_hours} ({v.weekly_business_hours:g} h a week"
               f"{hol}), in {sc.timezone}. Calendar hours count every hour; business hours"
               " only those the support desk is open. Change the hours and the SLA targets"
               " under *Service levels* in the sidebar.")
    r, b = v.response, v.ttr_business
    cols = st.columns(4)
    cols[0].metric("Response, median", ui.hours(r["median_hours"]), border=True,
                   help=f"Calendar hours from opened to the first response, over"
                        f" {r['count']:,} tickets with a response time.")
    cols[1].metric("Response, 90th percentile", ui.hours(r["p90_hours"]), border=True)
    cols[2].metric("Resolution (business h)", ui.hours(b["median_hours"]), border=True,
                   help=f"Median business hours from opened to resolved, over"
                        f" {b['count']:,} resolved tickets.")
    pct = v.resolve_breach_pct
    cols[3].metric("SLA resolve breaches", "n/a" if pct is None else f"{pct:.1f}%",
                   border=True,
                   help="Share of resolved tickets with a priority whose business-hours time"
                        " to resolve exceeds the managed contract's target for it.")
    by = v.by_priority
    if not r["count"]:
        st.info("These exports carry no first-response time, so response times and the"
                " respond SLA are not measured. Zendesk's *First reply time in minutes*,"
                " Freshdesk's and Freshservice's *Initial response time*, Autotask's *First"
                " Response Date Time*, ConnectWise's and HaloPSA's *Date Responded*, or a"
                " column such as *First Response* or *Acknowledged* are read when present.",
                icon=":material/info:")
    left, right = st.columns(2) if r["count"] else (st.container(), None)
    if right is not None:
        with left:
            ui.show_chart(charts.service_by_priority(by, "response"),
                          data.service_chart_data(v, "response"), "service_response")
    with right if right is not None else left:
        ui.show_chart(charts.service_by_priority(by, "resolution"),
                      data.service_chart_data(v, "resolution"), "service_resolution")
    st.subheader("The managed SLA, replayed on this history")
    st.caption("A ticket breaches when its business-hours time is above the target for its"
               " priority. Tickets without a priority have no target and are left out.")
    ui.show_chart(charts.sla_breaches(by), data.service_chart_data(v, "sla"), "sla_by_priority")
    ui.show_chart(charts.sla_breach_trend(v.monthly), v.monthly, "sla_monthly")
    st.subheader("By priority")
    ui.show_table(data.service_table(v), "service_by_priority", column_config={
        "priority": st.column_config.TextColumn("Priority"),
        "response_count": st.column_config.NumberColumn("Responses timed", format="localized"),
        "response_median_hours": st.column_config.NumberColumn("Response median (h)", format="%.1f"),
        "response_business_median_hours": st.column_config.NumberColumn(
            "Response median, business (h)", format="%.1f"),
        "ttr_count": st.column_config.NumberColumn("Resolved", format="localized"),
        "ttr_median_hours": st.column_config.NumberColumn("Resolution median (h)", format="%.1f"),
        "ttr_business_median_hours": st.column_config.NumberColumn(
            "Resolution median, business (h)", format="%.1f"),
        "respond_target_hours": st.column_config.NumberColumn("Respond target (h)", format="%g"),
        "respond_breach_pct": st.column_config.NumberColumn("Respond breaches", format="%.1f%%"),
        "resolve_target_hours": st.column_config.NumberColumn("Resolve target (h)", format="%g"),
        "resolve_breach_pct": st.column_config.NumberColumn("Resolve breaches", format="%.1f%%"),
    })
