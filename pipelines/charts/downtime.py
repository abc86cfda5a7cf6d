"""Downtime page charts: hours per month, the most repeated outages, the calendar."""

from __future__ import annotations

import calendar
from datetime import date

import plotly.graph_objects as go
import polars as pl

from pipelines.charts.common import COLOURS, HEAT_SCALE, LABELS, Chart, col, empty, layout
from pipelines.metrics.facts import months_between


def monthly_downtime(monthly: pl.DataFrame) -> go.Figure:
    """Downtime hours per month, split into recurring and first-time outages.

    `monthly`: month, hours, recurring_hours.
    """
    title = "Downtime per month: recurring vs first-time outages"
    if monthly.is_empty():
        return empty(title, "No downtime in the selected months")
    first = [(h or 0) - (r or 0) for h, r in zip(col(monthly, "hours"),
                                                   col(monthly, "recurring_hours"))]
    fig = Chart()
    fig.add_trace(go.Bar(x=col(monthly, "month"), y=first, name=LABELS["first_time"],
                         marker_color=COLOURS["first_time"],
                         hovertemplate="%{y:,.1f} h"))
    fig.add_trace(go.Bar(x=col(monthly, "month"), y=col(monthly, "recurring_hours"),
                         name=LABELS["recurring"], marker_color=COLOURS["recurring"],
                         hovertemplate="%{y:,.1f} h"))
    fig.update_layout(barmode="stack")
    return layout(fig, title, "Month (outage opened)", "Downtime (hours)").figure()


def top_recurring(top: pl.DataFrame) -> go.Figure:
    """The assets (or categories) with the most recurring outages, as horizontal bars.

    `top`: client, key, incidents, hours; most incidents first.
    """
    title = "Most repeated outages: asset (or category) by downtime incidents"
    if top.is_empty():
        return empty(title, "No asset or category had two or more outages")
    clients = set(col(top, "client"))
    labels = [k if len(clients) == 1 else f"{k} ({c})"
              for k, c in zip(col(top, "key"), col(top, "client"))]
    fig = Chart(go.Bar(
        y=labels[::-1], x=col(top, "incidents")[::-1], orientation="h",
        marker_color=COLOURS["recurring"], customdata=col(top, "hours")[::-1],
        hovertemplate="%{y}: %{x} outages, %{customdata:,.1f} h<extra></extra>",
        text=[f"{n:,} outages, {h:,.0f} h" for n, h in zip(col(top, "incidents")[::-1],
                                                          col(top, "hours")[::-1])],
        textposition="auto"))
    layout(fig, title, "Downtime incidents (count)", "", months=False, legend=False)
    fig.update_yaxes(automargin=True, rangemode="normal")
    fig.update_layout(height=max(300, 60 + 32 * top.height))
    return fig.figure()


def downtime_calendar(daily: pl.DataFrame) -> go.Figure:
    """A calendar heatmap: one row per month, one column per day, shaded by downtime hours.

    `daily`: day (Date), hours. Days without a row had no downtime.
    """
    title = "Downtime calendar: hours of outage opened each day"
    if daily.is_empty():
        return empty(title, "No downtime in the selected months")
    days = col(daily, "day")
    first, last = min(days), max(days)
    months = months_between(first, last)
    row = {mo: i for i, mo in enumerate(months)}
    z: list[list[float | None]] = []
    for mo in months:  # days that do not exist (30 Feb) are blank, not zero
        days_in = calendar.monthrange(mo.year, mo.month)[1]
        z.append([0.0] * days_in + [None] * (31 - days_in))
    for d, h in zip(days, col(daily, "hours")):
        z[row[date(d.year, d.month, 1)]][d.day - 1] = float(h or 0)
    fig = Chart(go.Heatmap(
        z=z, x=list(range(1, 32)), y=[mo.strftime("%b %Y") for mo in months],
        colorscale=HEAT_SCALE, zmin=0, xgap=1, ygap=1,
        colorbar={"title": {"text": "hours"}},
        hovertemplate="%{y} day %{x}: %{z:,.1f} h<extra></extra>"))
    layout(fig, title, "Day of month", "Month", months=False, legend=False)
    fig.update_yaxes(autorange="reversed", rangemode="normal", type="category")
    fig.update_xaxes(dtick=1, showgrid=False)
    fig.update_layout(height=max(320, 90 + 20 * len(months)))
    return fig.figure()
