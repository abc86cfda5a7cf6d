"""Charts: pure `frame -> plotly Figure` functions shared by the dashboard and the reports.

One module per page (or family of figures), each function a frame in and a Figure out,
no I/O: `spend` (cumulative, monthly, run rate, predictability, what moves the verdict),
`downtime`, `ttr`, `service` (service levels), `problems`, `offers` (the proposal's
offer comparison). `common` holds what they share: palette, series names, layout, the
empty chart and month ticks.

Every chart has a title saying what it shows, axis titles with units, money labelled with
its currency (when the workspace has a single one), and colours from the Okabe-Ito
palette. Monthly frames carry `month` as a Date (the first of the month); the x axis shows
it as "Jan 2024". Callers use `from pipelines import charts; charts.cumulative_spend(...)`.
"""

from pipelines.charts.common import (
    COLOURS,
    FONT,
    HEAT_SCALE,
    LABELS,
    MONTH_FORMAT,
    OKABE_ITO,
    money_title,
)
from pipelines.charts.downtime import downtime_calendar, monthly_downtime, top_recurring
from pipelines.charts.offers import offer_comparison
from pipelines.charts.problems import problems_monthly
from pipelines.charts.service import service_by_priority, sla_breach_trend, sla_breaches
from pipelines.charts.spend import (
    cumulative_spend,
    monthly_spend,
    predictability,
    sensitivity_tornado,
    trailing_spend,
)
from pipelines.charts.ttr import monthly_ttr, ttr_by_priority

__all__ = [
    "COLOURS", "FONT", "HEAT_SCALE", "LABELS", "MONTH_FORMAT", "OKABE_ITO", "cumulative_spend",
    "downtime_calendar", "money_title", "monthly_downtime", "monthly_spend", "monthly_ttr",
    "offer_comparison", "predictability", "problems_monthly", "sensitivity_tornado",
    "service_by_priority", "sla_breach_trend", "sla_breaches", "top_recurring",
    "trailing_spend", "ttr_by_priority",
]
