"""Downtime: monthly hours split recurring / first-time, top recurring assets, a calendar."""

import streamlit as st

from dashboard import ui
from pipelines import charts

ctx = ui.context()
st.title("Downtime")
if ui.require_data(ctx):
    s = ui.figures(ctx, "downtime")
    v = s.downtime_result
    d = v.totals
    prios = ", ".join(ctx.scenario.outage_priorities) or "none"
    st.caption(f"An outage is a ticket with an outage duration, or else of priority {prios};"
               f" it recurs when the same asset (or category) was down within"
               f" {ctx.scenario.recurrence_days} days before.")
    ui.show_topic_checks(s, "downtime")  # the caveats of the verdict this page explains
    cols = st.columns(4)
    cols[0].metric("Outages", f"{d['incidents']:,}", border=True,
                   help=f"{d['open_outages']:,} still open (no hours counted yet).")
    cols[1].metric("Downtime", ui.hours(d["hours"]), border=True)
    cols[2].metric("Recurring outages", f"{d['recurring_incidents']:,}", border=True)
    share = s.recurring_share
    cols[3].metric("Recurring share of downtime", "n/a" if share is None else f"{share:.0%}",
                   border=True, help=f"{ui.hours(d['recurring_hours'])} of recurring outages.")
    ui.show_chart(charts.monthly_downtime(v.monthly), v.monthly, "downtime_monthly")
    ui.show_chart(charts.top_recurring(v.top_recurring), v.top_recurring,
                  "downtime_top_recurring")
    ui.show_chart(charts.downtime_calendar(s.downtime_by_day), s.downtime_by_day,
                  "downtime_calendar")
