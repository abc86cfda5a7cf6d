"""Time-to-resolve page charts: per month and per priority."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from pipelines.charts.common import (
    COLOURS,
    LABELS,
    Chart,
    col,
    count_ticks,
    empty,
    layout,
    priority_names,
)


def monthly_ttr(monthly: pl.DataFrame) -> go.Figure:
    """Median and 90th-percentile time to resolve per month of resolution.

    `monthly`: month, median_hours, p90_hours (null in a month without resolved tickets).
    """
    title = "Time to resolve per month: median and 90th percentile"
    if monthly.is_empty() or monthly.get_column("median_hours").null_count() == monthly.height:
        return empty(title, "No resolved tickets in the selected months")
    fig = Chart()
    for column, key in (("median_hours", "median"), ("p90_hours", "p90")):
        fig.add_trace(go.Scatter(
            x=col(monthly, "month"), y=col(monthly, column), name=LABELS[key],
            mode="lines+markers", line={"color": COLOURS[key], "width": 2.5,
                                        "dash": "solid" if key == "median" else "dash"},
            hovertemplate="%{y:,.1f} h"))
    return layout(fig, title, "Month (ticket resolved)", "Time to resolve (hours)").figure()


def ttr_by_priority(by_priority: pl.DataFrame) -> go.Figure:
    """Median and 90th-percentile time to resolve for each priority, with ticket counts.

    `by_priority`: priority (null = unknown), count, median_hours, p90_hours.
    """
    title = "Time to resolve by priority: median and 90th percentile"
    timed = by_priority.filter(pl.col("count") > 0)
    if timed.is_empty():
        return empty(title, "No resolved tickets in the selected months")
    names = priority_names(timed)
    counts = col(timed, "count")
    fig = Chart()
    for column, key in (("median_hours", "median"), ("p90_hours", "p90")):
        fig.add_trace(go.Bar(
            x=names, y=col(timed, column), name=LABELS[key], marker_color=COLOURS[key],
            customdata=counts, hovertemplate="%{x}: %{y:,.1f} h (%{customdata:,} tickets)"))
    fig.update_layout(barmode="group")
    count_ticks(fig, names, counts)
    return layout(fig, title, "Priority", "Time to resolve (hours)", months=False).figure()
