"""Time to resolve: monthly median and p90, by priority, and a table by category."""

import streamlit as st

from dashboard import ui
from pipelines import charts

ctx = ui.context()
st.title("Time to resolve")
if ui.require_data(ctx):
    s = ui.figures(ctx, "time_to_resolve")
    v = s.ttr_result
    t = v.stats
    st.caption("Hours from opened to resolved (else closed). Open tickets are counted, not"
               " timed; tickets resolved before they were opened are left out.")
    ui.show_topic_checks(s, "time_to_resolve")  # the caveats of the verdict this page explains
    cols = st.columns(4)
    cols[0].metric("Tickets timed", f"{t['count']:,}", border=True,
                   help=f"{s.incidents['open']:,} still open;"
                        f" {s.incidents['warnings']:,} resolved before they were opened.")
    cols[1].metric("Median", ui.hours(t["median_hours"]), border=True)
    cols[2].metric("90th percentile", ui.hours(t["p90_hours"]), border=True)
    cols[3].metric("Mean", ui.hours(t["mean_hours"]), border=True)
    ui.show_chart(charts.monthly_ttr(v.monthly), v.monthly, "ttr_monthly")
    ui.show_chart(charts.ttr_by_priority(v.by_priority), v.by_priority,
                  "ttr_by_priority")
    st.subheader("By category")
    ui.show_table(v.by_category, "ttr_by_category", column_config={
        "category": st.column_config.TextColumn("Category"),
        "count": st.column_config.NumberColumn("Tickets timed", format="localized"),
        "mean_hours": st.column_config.NumberColumn("Mean (h)", format="%.1f"),
        "median_hours": st.column_config.NumberColumn("Median (h)", format="%.1f"),
        "p90_hours": st.column_config.NumberColumn("90th percentile (h)", format="%.1f"),
    })
