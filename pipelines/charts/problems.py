"""Problems page chart: the recurring problems' tickets per month."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from pipelines.charts.common import HEAT_SCALE, Chart, col, empty, layout
from pipelines.metrics.facts import months_between


def problems_monthly(monthly: pl.DataFrame, groups: int = 10) -> go.Figure:
    """Tickets per month of the recurring problems with the most tickets, as a heat map:
    one row per problem (most tickets on top), one column per month.

    `monthly`: group, label, month, tickets, in the order of the groups (months without
    tickets may be missing: they show as 0); the first `groups` groups are drawn.
    """
    title = "Problems that kept coming back: tickets per month"
    if monthly.is_empty():
        return empty(title, "No problem came back 3 or more times")
    order = list(dict.fromkeys(col(monthly, "group")))[:groups]
    first, last = min(col(monthly, "month")), max(col(monthly, "month"))
    months = months_between(first, last)  # first and last are firsts of months
    labels, cells = [], []
    for group in order:
        rows = monthly.filter(pl.col("group") == group)
        counts = dict(zip(col(rows, "month"), col(rows, "tickets"), strict=True))
        label = str(rows["label"][0])
        labels.append(label if len(label) <= 40 else label[:39] + "…")
        cells.append([counts.get(m, 0) for m in months])
    fig = Chart(go.Heatmap(
        z=cells[::-1], x=months, y=labels[::-1], colorscale=HEAT_SCALE, xgap=1, ygap=1,
        colorbar={"title": {"text": "tickets"}},
        hovertemplate="%{y}<br>%{x|%b %Y}: %{z} tickets<extra></extra>"))
    layout(fig, title, "Month opened", "", legend=False)
    fig.update_yaxes(automargin=True, rangemode="normal")
    fig.update_layout(height=max(300, 120 + 34 * len(order)), hovermode="closest")
    return fig.figure()
