"""Service-levels page charts (METRICS.md section 10): medians and SLA breaches."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from pipelines.charts.common import COLOURS, Chart, col, count_ticks, empty, layout, priority_names


def service_by_priority(by_priority: pl.DataFrame, what: str) -> go.Figure:
    """Median `what` ('response' or 'resolution') per priority, calendar hours beside
    business hours.

    `by_priority`: priority (null = unknown), <prefix>_count, <prefix>_median_hours,
    <prefix>_business_median_hours, where prefix is 'response' or 'ttr'.
    """
    prefix = "response" if what == "response" else "ttr"
    noun = "first response" if what == "response" else "resolution"
    title = f"{noun.capitalize()} by priority (median hours)"
    timed = by_priority.filter(pl.col(f"{prefix}_count") > 0)
    if timed.is_empty():
        return empty(title, f"No timed {noun}s in the selected months"
                      + (" (the export has no first-response column)" if what == "response"
                         else ""))
    names = priority_names(timed)
    counts = col(timed, f"{prefix}_count")
    fig = Chart()
    for column, label, colour in ((f"{prefix}_median_hours", "Calendar hours", COLOURS["p90"]),
                               (f"{prefix}_business_median_hours", "Business hours",
                                COLOURS["median"])):
        fig.add_trace(go.Bar(x=names, y=col(timed, column), name=label, marker_color=colour,
                             customdata=counts,
                             hovertemplate="%{x}: %{y:,.1f} h (%{customdata:,} tickets)"))
    fig.update_layout(barmode="group")
    count_ticks(fig, names, counts)
    return layout(fig, title, "Priority", f"Median time to {noun} (hours)", months=False).figure()


def sla_breaches(by_priority: pl.DataFrame) -> go.Figure:
    """Share of tickets per priority that would have breached the managed SLA (respond and
    resolve targets, in business hours).

    `by_priority`: priority, respond_timed, respond_breach_pct, resolve_timed,
    resolve_breach_pct, respond_target_hours, resolve_target_hours.
    """
    title = "Under the managed SLA: tickets that would have breached, by priority"
    rows = by_priority.filter(pl.col("priority").is_not_null()
                              & ((pl.col("respond_timed") > 0) | (pl.col("resolve_timed") > 0)))
    if rows.is_empty():
        return empty(title, "No timed tickets with a priority in the selected months")
    names = col(rows, "priority")
    fig = Chart()
    for kind, label, colour in (("respond", "Respond target", COLOURS["p90"]),
                                ("resolve", "Resolve target", COLOURS["breakfix"])):
        targets = col(rows, f"{kind}_target_hours")
        timed = col(rows, f"{kind}_timed")
        if not any(timed):
            continue  # e.g. no first-response times in the exports
        fig.add_trace(go.Bar(
            x=names, y=col(rows, f"{kind}_breach_pct"), name=label, marker_color=colour,
            customdata=list(zip(targets, timed, strict=True)),
            hovertemplate=("%{x}: %{y:.1f}% over %{customdata[0]:g} business h"
                           " (of %{customdata[1]:,} timed)")))
    fig.update_layout(barmode="group")
    fig.update_yaxes(range=[0, 100], ticksuffix="%")
    return layout(fig, title, "Priority", "Tickets breaching (%)", months=False).figure()


def sla_breach_trend(monthly: pl.DataFrame) -> go.Figure:
    """Monthly share of tickets breaching the managed SLA: resolve target (by month
    resolved) and respond target (by month opened).

    `monthly`: month, respond_timed, respond_breach_pct, resolve_timed, resolve_breach_pct.
    """
    title = "SLA breaches per month under the managed targets"
    if monthly.is_empty() or (monthly["resolve_timed"].sum() == 0
                              and monthly["respond_timed"].sum() == 0):
        return empty(title, "No timed tickets with a priority in the selected months")
    fig = Chart()
    for kind, label, colour in (("resolve", "Resolve target (month resolved)",
                                 COLOURS["breakfix"]),
                                ("respond", "Respond target (month opened)", COLOURS["p90"])):
        if monthly[f"{kind}_timed"].sum() == 0:
            continue
        fig.add_trace(go.Scatter(
            x=col(monthly, "month"), y=col(monthly, f"{kind}_breach_pct"), name=label,
            mode="lines+markers", line={"color": colour, "width": 2.5},
            customdata=col(monthly, f"{kind}_timed"),
            hovertemplate="%{y:.1f}% of %{customdata:,} timed"))
    fig.update_yaxes(ticksuffix="%")
    return layout(fig, title, "Month", "Tickets breaching (%)").figure()
