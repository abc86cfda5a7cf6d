"""Spend: cumulative and trailing-12-month break-fix vs managed cost, and the break-even."""

import streamlit as st

from dashboard import ui
from pipelines import charts

ctx = ui.context()
st.title("Spend")
if ui.require_data(ctx):
    s = ui.summary(ctx)
    cur = s.currency
    source = {"invoices": "invoice lines (labour and other)",
              "billed_amount": "tickets' billed amounts",
              "labour_hours": "tickets' labour hours x hourly rate"}.get(s.spend["source"], "")
    st.caption(f"Break-fix spend from {source}." + ("" if cur else
               " Invoices are in several currencies (or none is given): amounts are shown"
               " without one."))
    cols = st.columns(4)
    cols[0].metric("Break-even price per user",
                   ui.money(s.spend["break_even_price_per_user"], cur, 2), border=True,
                   help="Per user per month. A managed contract priced below this would have cost"
                        " less over the selected months.")
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
    m = s.spend_monthly
    ui.show_chart(charts.cumulative_spend(m, s.cumulative_crossover, cur),
                  m.select("month", "cumulative_breakfix", "cumulative_managed"),
                  "spend_cumulative")
    ui.show_chart(charts.monthly_spend(m, cur),
                  m.select("month", "spend", "downtime_cost", "breakfix", "managed"),
                  "spend_monthly")
    ui.show_chart(charts.trailing_spend(m, s.run_rate_crossover, cur),
                  m.select("month", "ttm_breakfix", "ttm_managed"), "spend_trailing_12_months")
