"""What every chart shares: the palette, series names, layout, empty charts, month axes.

Colours and series names live here and nowhere else. The Okabe-Ito palette stays
distinguishable under the common colour-vision deficiencies.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
COLOURS = {
    "breakfix": OKABE_ITO["vermillion"],
    "downtime_cost": OKABE_ITO["orange"],
    "managed": OKABE_ITO["blue"],
    "recurring": OKABE_ITO["vermillion"],
    "first_time": OKABE_ITO["sky_blue"],
    "median": OKABE_ITO["blue"],
    "p90": OKABE_ITO["orange"],
    "count": OKABE_ITO["bluish_green"],
    "marker": OKABE_ITO["black"],
    "forecast_band": "rgba(213, 94, 0, 0.18)",  # vermillion, light
    "forecast_area": "rgba(0, 0, 0, 0.03)",
    "low_end": OKABE_ITO["sky_blue"],
    "high_end": OKABE_ITO["orange"],
}
# Sequential, colour-blind-safe scale for the calendar (white = no downtime).
# Days without downtime are light grey, so the calendar's grid stays visible.
HEAT_SCALE = [[0.0, "#EBEBEB"], [0.0001, "#FDE8D7"], [0.5, OKABE_ITO["orange"]],
              [1.0, OKABE_ITO["vermillion"]]]
LABELS = {
    "breakfix": "Break-fix (invoiced + downtime)",
    "spend": "Break-fix invoiced",
    "downtime_cost": "Downtime cost",
    "managed": "Managed contract",
    "recurring": "Recurring",
    "first_time": "First-time",
    "median": "Median",
    "p90": "90th percentile",
    "forecast_p10": "Break-fix forecast, 10th percentile",
    "forecast_band": "Break-fix forecast, 80% range",
    "forecast_p50": "Break-fix forecast (median)",
    "forecast_managed": "Managed contract (forecast)",
}
MONTH_FORMAT = "%b %Y"
FONT = {"family": "DejaVu Sans, Arial, sans-serif", "size": 13}


def money_title(what: str, currency: str | None) -> str:
    """An axis title for money: 'Cost (GBP)', or 'Cost' when the currency is unknown or mixed."""
    return f"{what} ({currency})" if currency else what


def money_hover(currency: str | None) -> str:
    """The hover text of a money point: 'GBP 1,234'."""
    return (f"{currency} " if currency else "") + "%{y:,.0f}"


_TEMPLATE = pio.templates["plotly_white"]


def house_template(fig: go.Figure) -> None:
    """Put the house template (plotly_white) on `fig`, as Plotly puts its default template
    on a new figure: without checking the registered, already valid template again.

    `update_layout(template="plotly_white")` checks it in full on every figure, 40-60 ms
    each, which was a third of a dashboard rerun on a page of five charts. The figure's
    JSON is the same either way (tests/test_charts.py).
    """
    fig.layout._validate = False  # Plotly's own _initialize_layout_template does this
    try:
        fig.layout.template = _TEMPLATE
    finally:
        fig.layout._validate = True


class Chart:
    """A chart's parts (traces, layout, shapes, annotations) gathered as plain values, then
    made into one Plotly figure by `figure()`.

    Plotly walks its whole property tree on every `update_layout`, `update_xaxes`,
    `add_shape` or `add_vrect` (5-15 ms each; 50 ms for a chart of ten such calls, a
    third of a dashboard rerun); a figure built from its parts at once is checked once,
    in about 7 ms, and is the same figure (tests/test_charts.py). The methods are named
    as Plotly's and do the same on these one-axis charts; nested settings are merged
    into those set before, as Plotly merges them.
    """

    def __init__(self, *traces: Any) -> None:
        self.data: list[Any] = list(traces)
        self.layout: dict[str, Any] = {}
        self.shapes: list[dict[str, Any]] = []
        self.annotations: list[dict[str, Any]] = []

    def add_trace(self, trace: Any) -> None:
        self.data.append(trace)

    def update_layout(self, **settings: Any) -> None:
        _merge(self.layout, settings)

    def update_xaxes(self, **settings: Any) -> None:
        _merge(self.layout.setdefault("xaxis", {}), settings)

    def update_yaxes(self, **settings: Any) -> None:
        _merge(self.layout.setdefault("yaxis", {}), settings)

    def add_shape(self, **shape: Any) -> None:
        self.shapes.append(shape)

    def add_annotation(self, **annotation: Any) -> None:
        self.annotations.append(annotation)

    def figure(self) -> go.Figure:
        """The Plotly figure, with the house template."""
        parts = {"shapes": self.shapes, "annotations": self.annotations}
        fig = go.Figure(data=self.data,
                        layout={**self.layout, **{k: v for k, v in parts.items() if v}})
        house_template(fig)
        return fig


def _merge(into: dict[str, Any], settings: dict[str, Any]) -> None:
    for key, value in settings.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def layout(fig: Chart, title: str, x_title: str, y_title: str, *,
           months: bool = True, legend: bool = True) -> Chart:
    """The house layout: title top left, axis titles, legend above, month ticks on month axes."""
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        font=FONT,
        margin={"l": 70, "r": 30, "t": 70, "b": 60},
        height=420,
        hovermode="x unified" if months else "closest",
        showlegend=legend,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
    )
    fig.update_xaxes(title={"text": x_title})
    fig.update_yaxes(title={"text": y_title}, rangemode="tozero", separatethousands=True)
    if months:
        fig.update_xaxes(tickformat=MONTH_FORMAT, hoverformat=MONTH_FORMAT)
        month_ticks(fig)
    return fig


def month_ticks(fig: Chart) -> None:
    """One tick per month (or per 3, 6, 12 months on long spans), at the first of the month.

    Left to itself Plotly ticks a 3-month axis every two weeks, so "Mar 2025" shows twice.
    """
    xs = [x for trace in fig.data for x in (getattr(trace, "x", None) or ())
          if isinstance(x, date)]
    if not xs:
        return
    lo, hi = min(xs), max(xs)
    span = (hi.year - lo.year) * 12 + hi.month - lo.month + 1
    # at most about 12 labels: "Jan 2024" side by side across a dashboard chart
    step = next((s for s in (1, 2, 3, 6) if span <= 12 * s), 12)
    fig.update_xaxes(dtick=f"M{step}", tick0=date(lo.year, 1, 1).isoformat())


def empty(title: str, message: str) -> go.Figure:
    """A chart with nothing to draw: its title and a message saying why."""
    fig = Chart()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font={"size": 15})
    fig.update_layout(title={"text": title, "x": 0}, font=FONT,
                      height=300, xaxis={"visible": False}, yaxis={"visible": False})
    return fig.figure()


def col(frame: pl.DataFrame, name: str) -> list[Any]:
    """A column of `frame` as a list (what Plotly's traces take)."""
    return frame.get_column(name).to_list()


def mark_month(fig: Chart, months: list[Any], month: date | None, text: str) -> None:
    """A dashed vertical line at `month` with a label (shape + annotation: safe on date axes).

    The x axis is pinned to the plotted months, and the label sits on the side of the line
    with more room, so a late crossover neither widens the axis nor runs off the chart.
    """
    if months:
        fig.update_xaxes(range=[months[0], months[-1]])
    if month is None:
        return
    fig.add_shape(type="line", x0=month, x1=month, xref="x", y0=0, y1=1, yref="paper",
                  line={"color": COLOURS["marker"], "dash": "dash", "width": 1.5})
    late = month in months and months.index(month) > len(months) / 2
    fig.add_annotation(x=month, y=1, xref="x", yref="paper", text=text, showarrow=False,
                       xanchor="right" if late else "left", yanchor="top",
                       xshift=-4 if late else 4,
                       bgcolor="rgba(255,255,255,0.85)", font={"size": 12})


def priority_names(frame: pl.DataFrame) -> list[str]:
    """The priorities of a by-priority frame as axis labels (a null priority is 'Unknown')."""
    return [p or "Unknown" for p in col(frame, "priority")]


def count_ticks(fig: Chart, names: list[str], counts: list[int]) -> None:
    """Category ticks that carry each category's ticket count under its name."""
    fig.update_xaxes(ticktext=[f"{n}<br>{c:,} tickets" for n, c in zip(names, counts, strict=True)],
                     tickvals=names)
