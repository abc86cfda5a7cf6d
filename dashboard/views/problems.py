"""Problems: the tickets that kept coming back (near-duplicate titles), their months and cost,
one group's tickets, and the assets that cost most to repair."""

import streamlit as st

from dashboard import ui
from pipelines import charts
from pipelines import dashboard_data as data
from pipelines.metrics import problems as figures

ctx = ui.context()
st.title("Problems that kept coming back")
if ui.require_data(ctx):
    s = ui.figures(ctx, "problems")
    found, costly, currency = s.problems, s.assets, s.currency
    st.caption(
        "Tickets whose titles describe the same problem, after reply prefixes, ids, names,"
        " e-mail addresses, dates and numbers are set aside (a group needs 3 or more"
        " tickets). Cost is each ticket's billed amount, else its labour hours at"
        f" {ui.money(ctx.scenario.hourly_rate, currency)} an hour.")
    st.markdown(f"**{figures.recurring_sentence(found, currency)}**")
    if found.titled:  # without titles there is nothing to list or chart (the sentence says so)
        table = data.problems_shown(found)
        ui.show_table(table, "problems", column_config={
            "problem": "Problem", "tickets": "Tickets", "clients": "Clients", "assets": "Assets",
            "span": "First – last", "hours": st.column_config.NumberColumn(
                "Hours to resolve", format="%.1f"),
            "downtime_hours": st.column_config.NumberColumn("Downtime h", format="%.1f"),
            "cost": st.column_config.NumberColumn("Cost", format="%.2f")})
        ui.show_chart(charts.problems_monthly(found.monthly), found.monthly, "problems_monthly")
        if table.height:
            labels = data.problem_labels(found)
            picked = st.selectbox("Tickets of one problem", list(labels),
                                  format_func=labels.__getitem__, key="problems_group")
            ui.show_table(figures.group_tickets(found, picked), "problems_tickets", column_config={
                "client": "Client", "ticket": "Ticket", "title": "Title as typed",
                "asset": "Asset", "opened": st.column_config.DatetimeColumn(
                    "Opened", format="YYYY-MM-DD HH:mm"),
                "cost": st.column_config.NumberColumn("Cost", format="%.2f")})

    st.subheader("The assets that cost most to repair")
    rhem = "n/a" if costly.rhem is None else f"{costly.rhem:,.2f} h"
    cols = st.columns(2)
    cols[0].metric("Endpoints", f"{costly.endpoints:,}", border=True,
                   help="The scenario's devices when set, else the distinct assets seen.")
    cols[1].metric("Reactive hours per endpoint per month (RHEM)", rhem, border=True,
                   help="Labour hours of the window's tickets / endpoints / months.")
    ui.show_table(costly.top, "assets_top", column_config={
        "client": "Client", "asset": "Asset", "incidents": "Tickets",
        "labour_hours": st.column_config.NumberColumn("Labour h", format="%.1f"),
        "cost": st.column_config.NumberColumn("Repair spend", format="%.2f"),
        "downtime_hours": st.column_config.NumberColumn("Downtime h", format="%.1f")})
    price = ctx.scenario.replacement_cost
    past = figures.past_replacement(costly.top, price)
    if price <= 0:
        st.caption("Set a *Replacement price per asset* in the sidebar to see which assets"
                   " cost more to keep repairing than to replace.")
    elif past.height:
        names = ", ".join(f"{r['asset']} ({ui.money(float(r['cost']), currency)})"
                          for r in past.iter_rows(named=True))
        st.warning(f"Repair spend has passed the replacement price of"
                   f" {ui.money(price, currency)} on: {names}.", icon=":material/build:")
    else:
        st.info(f"No asset's repair spend has passed the replacement price of"
                f" {ui.money(price, currency)}.")
