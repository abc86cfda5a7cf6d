"""Spend page charts: cumulative and monthly cost, the run rate, how much break-fix moves,
and what moves the verdict (METRICS.md sections 5, 9 and 11)."""

from __future__ import annotations

from datetime import date
from typing import Any

import plotly.graph_objects as go
import polars as pl

from pipelines.charts.common import (
    COLOURS,
    LABELS,
    Chart,
    col,
    empty,
    layout,
    mark_month,
    money_hover,
    money_title,
    month_ticks,
)


def _breakfix_vs_managed(monthly: pl.DataFrame, columns: tuple[str, str],
                         crossover: date | None, label: str, title: str, x_title: str,
                         y_title: str, currency: str | None) -> Chart:
    """Break-fix (solid) against managed (dotted) over the months (not empty), `crossover`
    marked."""
    fig = Chart()
    for column, key in zip(columns, ("breakfix", "managed"), strict=True):
        fig.add_trace(go.Scatter(
            x=col(monthly, "month"), y=col(monthly, column), name=LABELS[key], mode="lines",
            line={"color": COLOURS[key], "width": 3, "dash": "solid" if key == "breakfix"
                  else "dot"},
            hovertemplate=money_hover(currency)))
    mark_month(fig, col(monthly, "month"), crossover,
                f"{label} from {crossover:%b %Y}" if crossover else "")
    return layout(fig, title, x_title, money_title(y_title, currency))


def cumulative_spend(monthly: pl.DataFrame, crossover: date | None,
                     currency: str | None, forecast: pl.DataFrame | None = None) -> go.Figure:
    """Cumulative break-fix vs cumulative managed cost per month, the crossover marked;
    with `forecast`, both continue over the next 12 months (break-fix as a p10-p90 band).

    `monthly`: month, cumulative_breakfix, cumulative_managed. `forecast` (optional):
    month, cumulative_breakfix_p10/p50/p90, cumulative_managed (METRICS.md section 11).
    """
    with_forecast = forecast is not None and not forecast.is_empty() and not monthly.is_empty()
    title = ("Cumulative cost: break-fix vs managed contract"
             + (", and the next 12 months" if with_forecast else ""))
    if monthly.is_empty():
        return empty(title, "No spend in the selected months")
    fig = _breakfix_vs_managed(
        monthly, ("cumulative_breakfix", "cumulative_managed"), crossover,
        "Break-fix dearer", title, "Month", "Cumulative cost", currency)
    if with_forecast:
        assert forecast is not None
        _forecast_band(fig, monthly, forecast, currency)
    return fig.figure()


def _forecast_band(fig: Chart, monthly: pl.DataFrame, forecast: pl.DataFrame,
                   currency: str | None) -> None:
    """The forecast's p10-p90 band, p50 and managed line, joined to the last actual month."""
    last = monthly.tail(1).row(0, named=True)
    x = [last["month"], *col(forecast, "month")]

    def joined(column: str, start: str) -> list[Any]:
        return [last[start], *col(forecast, column)]

    hover = money_hover(currency)
    fig.add_trace(go.Scatter(x=x, y=joined("cumulative_breakfix_p10", "cumulative_breakfix"),
                             mode="lines", line={"width": 0}, showlegend=False,
                             name=LABELS["forecast_p10"], hovertemplate=hover))
    fig.add_trace(go.Scatter(x=x, y=joined("cumulative_breakfix_p90", "cumulative_breakfix"),
                             mode="lines", line={"width": 0}, fill="tonexty",
                             fillcolor=COLOURS["forecast_band"], name=LABELS["forecast_band"],
                             hovertemplate=hover))
    fig.add_trace(go.Scatter(x=x, y=joined("cumulative_breakfix_p50", "cumulative_breakfix"),
                             mode="lines", name=LABELS["forecast_p50"],
                             line={"color": COLOURS["breakfix"], "width": 2, "dash": "dash"},
                             hovertemplate=hover))
    fig.add_trace(go.Scatter(x=x, y=joined("cumulative_managed", "cumulative_managed"),
                             mode="lines", name=LABELS["forecast_managed"],
                             line={"color": COLOURS["managed"], "width": 2, "dash": "dashdot"},
                             hovertemplate=hover))
    fig.add_shape(type="rect", x0=last["month"], x1=x[-1], xref="x", y0=0, y1=1,
                  yref="y domain", fillcolor=COLOURS["forecast_area"], line={"width": 0},
                  layer="below")  # what Plotly's add_vrect adds
    fig.add_annotation(x=last["month"], y=0, xref="x", yref="paper", text="Forecast",
                       showarrow=False, xanchor="left", yanchor="bottom", xshift=4,
                       font={"size": 12, "color": "#555555"})
    fig.update_xaxes(range=[col(monthly, "month")[0], x[-1]])
    month_ticks(fig)
    # six series: the legend goes under the chart, where it does not cover the title
    # (below the x axis title: anchored to the chart's bottom edge, not the plot's)
    fig.update_layout(legend={"orientation": "h", "yanchor": "bottom", "y": 0, "yref": "container",
                              "xanchor": "left", "x": 0}, height=520,
                      margin={"l": 70, "r": 30, "t": 70, "b": 150})


def monthly_spend(monthly: pl.DataFrame, currency: str | None) -> go.Figure:
    """Per month: break-fix invoiced spend and downtime cost (stacked) against the contract.

    `monthly`: month, spend, downtime_cost, managed.
    """
    title = "Monthly cost: break-fix (bars) vs managed contract (line)"
    if monthly.is_empty():
        return empty(title, "No spend in the selected months")
    fig = Chart()
    fig.add_trace(go.Bar(x=col(monthly, "month"), y=col(monthly, "spend"),
                         name=LABELS["spend"], marker_color=COLOURS["breakfix"],
                         hovertemplate=money_hover(currency)))
    if any(v for v in col(monthly, "downtime_cost")):
        fig.add_trace(go.Bar(x=col(monthly, "month"), y=col(monthly, "downtime_cost"),
                             name=LABELS["downtime_cost"], marker_color=COLOURS["downtime_cost"],
                             hovertemplate=money_hover(currency)))
    fig.add_trace(go.Scatter(x=col(monthly, "month"), y=col(monthly, "managed"),
                             name=LABELS["managed"], mode="lines",
                             line={"color": COLOURS["managed"], "width": 3, "shape": "hv"},
                             hovertemplate=money_hover(currency)))
    fig.update_layout(barmode="stack")
    return layout(fig, title, "Month", money_title("Cost per month", currency)).figure()


def trailing_spend(monthly: pl.DataFrame, crossover: date | None,
                   currency: str | None) -> go.Figure:
    """Trailing-12-month break-fix vs managed cost, the run-rate crossover marked.

    `monthly`: month, ttm_breakfix, ttm_managed.
    """
    title = "Trailing 12 months: break-fix vs managed contract"
    if monthly.is_empty():
        return empty(title, "No spend in the selected months")
    return _breakfix_vs_managed(
        monthly, ("ttm_breakfix", "ttm_managed"), crossover, "Run rate dearer", title,
        "Month (12 months ending)", "Cost over the last 12 months", currency).figure()


def predictability(monthly: pl.DataFrame, fee: float | None, worst: date | None,
                   surprise: date | None, currency: str | None) -> go.Figure:
    """Monthly break-fix as bars against the flat managed fee, the worst month and the
    largest surprise (against the trailing mean) called out.

    `monthly`: month, breakfix (the spend window's months).
    """
    title = "How much break-fix moves: each month against the flat managed fee"
    if monthly.is_empty():
        return empty(title, "No spend in the selected months")
    months = col(monthly, "month")
    values = col(monthly, "breakfix")
    # The worst month's bar is outlined; the colour stays the break-fix colour.
    outline = [3 if m == worst else 0 for m in months]
    fig = Chart()
    fig.add_trace(go.Bar(x=months, y=values, name=LABELS["breakfix"],
                         marker={"color": COLOURS["breakfix"],
                                 "line": {"color": COLOURS["marker"], "width": outline}},
                         hovertemplate=money_hover(currency)))
    if fee is not None:
        fig.add_trace(go.Scatter(x=months, y=[fee] * len(months), mode="lines",
                                 name="Managed fee (flat)",
                                 line={"color": COLOURS["managed"], "width": 3},
                                 hovertemplate=money_hover(currency)))
    by_month = dict(zip(months, values, strict=True))
    if worst in by_month:
        fig.add_annotation(x=worst, y=by_month[worst], text="Worst month", showarrow=True,
                           arrowhead=2, ay=-30, bgcolor="rgba(255,255,255,0.85)")
    if surprise in by_month and surprise != worst:
        fig.add_annotation(x=surprise, y=by_month[surprise], text="Largest surprise",
                           showarrow=True, arrowhead=2, ay=-45,
                           bgcolor="rgba(255,255,255,0.85)")
    elif surprise == worst and worst is not None:
        fig.add_annotation(x=worst, y=by_month[worst], text="(and the largest surprise)",
                           showarrow=False, yshift=48, font={"size": 11})
    return layout(fig, title, "Month", money_title("Break-fix per month", currency)).figure()


def sensitivity_tornado(frame: pl.DataFrame, currency: str | None,
                        labels: list[str] | None = None) -> go.Figure:
    """A tornado: the break-even price per user at each end of each input's range, the
    input that moves it most on top, the crossover month at each end under its name.

    `frame`: pipelines.metrics.sensitivity's (label, price_base, price_low, price_high,
    crossover_low, crossover_high), in its order; `labels`: the row names to show (with
    their ranges), else `label`.
    """
    title = "What moves the verdict: break-even price per user at each end of a range"
    rows = frame.filter(pl.col("price_base").is_not_null())
    if rows.is_empty():
        return empty(title, "No break-even price to move (no spend data, or 0 users)")

    def month_text(m: str | None) -> str:
        return f"{date(int(m[:4]), int(m[5:7]), 1):%b %Y}" if m else "never"

    names = [f"{name}<br><span style='font-size:11px'>crossover: {month_text(lo)} (low),"
             f" {month_text(hi)} (high)</span>"
             for name, lo, hi in zip(labels or col(rows, "label"), col(rows, "crossover_low"),
                                     col(rows, "crossover_high"))][::-1]
    base = col(rows, "price_base")[0]
    fig = Chart()
    for end, key in (("low", "low_end"), ("high", "high_end")):
        prices = col(rows, f"price_{end}")[::-1]
        fig.add_trace(go.Bar(
            y=names, x=[(p if p is not None else base) - base for p in prices], base=base,
            orientation="h", name=f"At the {end} end of the range",
            marker_color=COLOURS[key], customdata=prices,
            hovertemplate="break-even " + (f"{currency} " if currency else "")
            + "%{customdata:,.2f} per user<extra></extra>"))
    fig.add_shape(type="line", x0=base, x1=base, xref="x", y0=0, y1=1, yref="y domain",
                  line={"color": COLOURS["marker"], "width": 1.5, "dash": "dash"})  # add_vline
    fig.add_annotation(x=base, y=1, xref="x", yref="paper", yanchor="bottom", showarrow=False,
                       text=f"scenario {base:,.2f}", font={"size": 11})
    layout(fig, title, money_title("Break-even price per user per month", currency), "",
            months=False)
    fig.update_layout(barmode="overlay", height=max(340, 140 + 64 * rows.height),
                      legend={"orientation": "h", "yanchor": "top", "y": -0.22,
                              "xanchor": "left", "x": 0},
                      margin={"l": 70, "r": 30, "t": 60, "b": 120})
    fig.update_yaxes(automargin=True, rangemode="normal")
    fig.update_xaxes(rangemode="normal")
    return fig.figure()
