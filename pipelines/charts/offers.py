"""The pre-sales proposal's chart: break-fix against each offer."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from pipelines.charts.common import (
    COLOURS,
    LABELS,
    OKABE_ITO,
    Chart,
    col,
    empty,
    layout,
    money_hover,
    money_title,
)


def offer_comparison(offers: pl.DataFrame, currency: str | None) -> go.Figure:
    """Each offer's managed total over the spend window beside break-fix's total there.

    `offers`: offer, breakfix_total, managed_total, recommended (pipelines.metrics.offers).
    """
    title = "Over the same months: break-fix against each offer"
    shown = offers.filter(pl.col("managed_total").is_not_null())
    if shown.is_empty():
        return empty(title, "No spend to compare the offers with")
    names = col(shown, "offer")
    fig = Chart()
    fig.add_trace(go.Bar(
        x=names, y=[float(v) for v in col(shown, "breakfix_total")],
        name=LABELS["breakfix"], marker_color=COLOURS["breakfix"],
        hovertemplate=money_hover(currency)))
    fig.add_trace(go.Bar(
        x=names, y=[float(v) for v in col(shown, "managed_total")],
        name=LABELS["managed"], marker_color=COLOURS["managed"],
        marker_line={"width": [3 if r else 0 for r in col(shown, "recommended")],
                     "color": OKABE_ITO["black"]},
        hovertemplate=money_hover(currency)))
    fig.update_layout(barmode="group")
    return layout(fig, title, "Offer", money_title("Total cost", currency), months=False).figure()
