"""Charts: pure `frame -> plotly Figure` functions shared by the dashboard and the reports.

Every chart has a title saying what it shows, axis titles with units, money labelled with
its currency (when the workspace has a single one), and colours from the Okabe-Ito
palette, which stays distinguishable under the common colour-vision deficiencies.
Colours, series names and layout defaults live here and nowhere else.

Monthly frames carry `month` as a Date (the first of the month); the x axis shows it as
"Jan 2024".
"""

from __future__ import annotations

from datetime import date
from typing import Any

import plotly.graph_objects as go
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


def _money_hover(currency: str | None) -> str:
    return (f"{currency} " if currency else "") + "%{y:,.0f}"


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str, *,
            months: bool = True, legend: bool = True) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        font=FONT,
        template="plotly_white",
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
        _month_ticks(fig)
    return fig


def _month_ticks(fig: go.Figure) -> None:
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


def _empty(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font={"size": 15})
    fig.update_layout(title={"text": title, "x": 0}, template="plotly_white", font=FONT,
                      height=300, xaxis={"visible": False}, yaxis={"visible": False})
    return fig


def _col(frame: pl.DataFrame, name: str) -> list[Any]:
    return frame.get_column(name).to_list()


def _mark_month(fig: go.Figure, months: list[Any], month: date | None, text: str) -> None:
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


# --- spend ---------------------------------------------------------------------------------

def _breakfix_vs_managed(monthly: pl.DataFrame, columns: tuple[str, str],
                         crossover: date | None, label: str, title: str, x_title: str,
                         y_title: str, currency: str | None) -> go.Figure:
    """Break-fix (solid) against managed (dotted) over the months, `crossover` marked."""
    if monthly.is_empty():
        return _empty(title, "No spend in the selected months")
    fig = go.Figure()
    for col, key in zip(columns, ("breakfix", "managed"), strict=True):
        fig.add_trace(go.Scatter(
            x=_col(monthly, "month"), y=_col(monthly, col), name=LABELS[key], mode="lines",
            line={"color": COLOURS[key], "width": 3, "dash": "solid" if key == "breakfix"
                  else "dot"},
            hovertemplate=_money_hover(currency)))
    _mark_month(fig, _col(monthly, "month"), crossover,
                f"{label} from {crossover:%b %Y}" if crossover else "")
    return _layout(fig, title, x_title, money_title(y_title, currency))


def cumulative_spend(monthly: pl.DataFrame, crossover: date | None,
                     currency: str | None, forecast: pl.DataFrame | None = None) -> go.Figure:
    """Cumulative break-fix vs cumulative managed cost per month, the crossover marked;
    with `forecast`, both continue over the next 12 months (break-fix as a p10-p90 band).

    `monthly`: month, cumulative_breakfix, cumulative_managed. `forecast` (optional):
    month, cumulative_breakfix_p10/p50/p90, cumulative_managed (METRICS.md section 11).
    """
    with_forecast = forecast is not None and not forecast.is_empty() and not monthly.is_empty()
    fig = _breakfix_vs_managed(
        monthly, ("cumulative_breakfix", "cumulative_managed"), crossover,
        "Break-fix dearer", "Cumulative cost: break-fix vs managed contract"
        + (", and the next 12 months" if with_forecast else ""), "Month",
        "Cumulative cost", currency)
    if with_forecast:
        assert forecast is not None
        _forecast_band(fig, monthly, forecast, currency)
    return fig


def _forecast_band(fig: go.Figure, monthly: pl.DataFrame, forecast: pl.DataFrame,
                   currency: str | None) -> None:
    """The forecast's p10-p90 band, p50 and managed line, joined to the last actual month."""
    last = monthly.tail(1).row(0, named=True)
    x = [last["month"], *_col(forecast, "month")]

    def joined(col: str, start: str) -> list[Any]:
        return [last[start], *_col(forecast, col)]

    hover = _money_hover(currency)
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
    fig.add_vrect(x0=last["month"], x1=x[-1], fillcolor=COLOURS["forecast_area"],
                  line_width=0, layer="below")
    fig.add_annotation(x=last["month"], y=0, xref="x", yref="paper", text="Forecast",
                       showarrow=False, xanchor="left", yanchor="bottom", xshift=4,
                       font={"size": 12, "color": "#555555"})
    fig.update_xaxes(range=[_col(monthly, "month")[0], x[-1]])
    _month_ticks(fig)
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
        return _empty(title, "No spend in the selected months")
    fig = go.Figure()
    fig.add_trace(go.Bar(x=_col(monthly, "month"), y=_col(monthly, "spend"),
                         name=LABELS["spend"], marker_color=COLOURS["breakfix"],
                         hovertemplate=_money_hover(currency)))
    if any(v for v in _col(monthly, "downtime_cost")):
        fig.add_trace(go.Bar(x=_col(monthly, "month"), y=_col(monthly, "downtime_cost"),
                             name=LABELS["downtime_cost"], marker_color=COLOURS["downtime_cost"],
                             hovertemplate=_money_hover(currency)))
    fig.add_trace(go.Scatter(x=_col(monthly, "month"), y=_col(monthly, "managed"),
                             name=LABELS["managed"], mode="lines",
                             line={"color": COLOURS["managed"], "width": 3, "shape": "hv"},
                             hovertemplate=_money_hover(currency)))
    fig.update_layout(barmode="stack")
    return _layout(fig, title, "Month", money_title("Cost per month", currency))


def trailing_spend(monthly: pl.DataFrame, crossover: date | None,
                   currency: str | None) -> go.Figure:
    """Trailing-12-month break-fix vs managed cost, the run-rate crossover marked.

    `monthly`: month, ttm_breakfix, ttm_managed.
    """
    return _breakfix_vs_managed(
        monthly, ("ttm_breakfix", "ttm_managed"), crossover, "Run rate dearer",
        "Trailing 12 months: break-fix vs managed contract", "Month (12 months ending)",
        "Cost over the last 12 months", currency)


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
        return _empty(title, "No break-even price to move (no spend data, or 0 users)")

    def month_text(m: str | None) -> str:
        return f"{date(int(m[:4]), int(m[5:7]), 1):%b %Y}" if m else "never"

    names = [f"{name}<br><span style='font-size:11px'>crossover: {month_text(lo)} (low),"
             f" {month_text(hi)} (high)</span>"
             for name, lo, hi in zip(labels or _col(rows, "label"), _col(rows, "crossover_low"),
                                     _col(rows, "crossover_high"))][::-1]
    base = _col(rows, "price_base")[0]
    fig = go.Figure()
    for end, key in (("low", "low_end"), ("high", "high_end")):
        prices = _col(rows, f"price_{end}")[::-1]
        fig.add_trace(go.Bar(
            y=names, x=[(p if p is not None else base) - base for p in prices], base=base,
            orientation="h", name=f"At the {end} end of the range",
            marker_color=COLOURS[key], customdata=prices,
            hovertemplate="break-even " + (f"{currency} " if currency else "")
            + "%{customdata:,.2f} per user<extra></extra>"))
    fig.add_vline(x=base, line={"color": COLOURS["marker"], "width": 1.5, "dash": "dash"})
    fig.add_annotation(x=base, y=1, xref="x", yref="paper", yanchor="bottom", showarrow=False,
                       text=f"scenario {base:,.2f}", font={"size": 11})
    _layout(fig, title, money_title("Break-even price per user per month", currency), "",
            months=False)
    fig.update_layout(barmode="overlay", height=max(340, 140 + 64 * rows.height),
                      legend={"orientation": "h", "yanchor": "top", "y": -0.22,
                              "xanchor": "left", "x": 0},
                      margin={"l": 70, "r": 30, "t": 60, "b": 120})
    fig.update_yaxes(automargin=True, rangemode="normal")
    fig.update_xaxes(rangemode="normal")
    return fig


# --- downtime ------------------------------------------------------------------------------

def monthly_downtime(monthly: pl.DataFrame) -> go.Figure:
    """Downtime hours per month, split into recurring and first-time outages.

    `monthly`: month, hours, recurring_hours.
    """
    title = "Downtime per month: recurring vs first-time outages"
    if monthly.is_empty():
        return _empty(title, "No downtime in the selected months")
    first = [(h or 0) - (r or 0) for h, r in zip(_col(monthly, "hours"),
                                                   _col(monthly, "recurring_hours"))]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=_col(monthly, "month"), y=first, name=LABELS["first_time"],
                         marker_color=COLOURS["first_time"],
                         hovertemplate="%{y:,.1f} h"))
    fig.add_trace(go.Bar(x=_col(monthly, "month"), y=_col(monthly, "recurring_hours"),
                         name=LABELS["recurring"], marker_color=COLOURS["recurring"],
                         hovertemplate="%{y:,.1f} h"))
    fig.update_layout(barmode="stack")
    return _layout(fig, title, "Month (outage opened)", "Downtime (hours)")


def top_recurring(top: pl.DataFrame) -> go.Figure:
    """The assets (or categories) with the most recurring outages, as horizontal bars.

    `top`: client, key, incidents, hours; most incidents first.
    """
    title = "Most repeated outages: asset (or category) by downtime incidents"
    if top.is_empty():
        return _empty(title, "No asset or category had two or more outages")
    clients = set(_col(top, "client"))
    labels = [k if len(clients) == 1 else f"{k} ({c})"
              for k, c in zip(_col(top, "key"), _col(top, "client"))]
    fig = go.Figure(go.Bar(
        y=labels[::-1], x=_col(top, "incidents")[::-1], orientation="h",
        marker_color=COLOURS["recurring"], customdata=_col(top, "hours")[::-1],
        hovertemplate="%{y}: %{x} outages, %{customdata:,.1f} h<extra></extra>",
        text=[f"{n:,} outages, {h:,.0f} h" for n, h in zip(_col(top, "incidents")[::-1],
                                                          _col(top, "hours")[::-1])],
        textposition="auto"))
    _layout(fig, title, "Downtime incidents (count)", "", months=False, legend=False)
    fig.update_yaxes(automargin=True, rangemode="normal")
    fig.update_layout(height=max(300, 60 + 32 * top.height))
    return fig


def downtime_calendar(daily: pl.DataFrame) -> go.Figure:
    """A calendar heatmap: one row per month, one column per day, shaded by downtime hours.

    `daily`: day (Date), hours. Days without a row had no downtime.
    """
    title = "Downtime calendar: hours of outage opened each day"
    if daily.is_empty():
        return _empty(title, "No downtime in the selected months")
    days = _col(daily, "day")
    first, last = min(days), max(days)
    months: list[date] = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        months.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    row = {mo: i for i, mo in enumerate(months)}
    z: list[list[float | None]] = [[0.0] * 31 for _ in months]
    for mo in months:  # days that do not exist (30 Feb) are blank, not zero
        nxt = date(mo.year + 1, 1, 1) if mo.month == 12 else date(mo.year, mo.month + 1, 1)
        for d in range((nxt - mo).days, 31):
            z[row[mo]][d] = None
    for d, h in zip(days, _col(daily, "hours")):
        z[row[date(d.year, d.month, 1)]][d.day - 1] = float(h or 0)
    fig = go.Figure(go.Heatmap(
        z=z, x=list(range(1, 32)), y=[mo.strftime("%b %Y") for mo in months],
        colorscale=HEAT_SCALE, zmin=0, xgap=1, ygap=1,
        colorbar={"title": {"text": "hours"}},
        hovertemplate="%{y} day %{x}: %{z:,.1f} h<extra></extra>"))
    _layout(fig, title, "Day of month", "Month", months=False, legend=False)
    fig.update_yaxes(autorange="reversed", rangemode="normal", type="category")
    fig.update_xaxes(dtick=1, showgrid=False)
    fig.update_layout(height=max(320, 90 + 20 * len(months)))
    return fig


# --- time to resolve -----------------------------------------------------------------------

def monthly_ttr(monthly: pl.DataFrame) -> go.Figure:
    """Median and 90th-percentile time to resolve per month of resolution.

    `monthly`: month, median_hours, p90_hours (null in a month without resolved tickets).
    """
    title = "Time to resolve per month: median and 90th percentile"
    if monthly.is_empty() or monthly.get_column("median_hours").null_count() == monthly.height:
        return _empty(title, "No resolved tickets in the selected months")
    fig = go.Figure()
    for col, key in (("median_hours", "median"), ("p90_hours", "p90")):
        fig.add_trace(go.Scatter(
            x=_col(monthly, "month"), y=_col(monthly, col), name=LABELS[key],
            mode="lines+markers", line={"color": COLOURS[key], "width": 2.5,
                                        "dash": "solid" if key == "median" else "dash"},
            hovertemplate="%{y:,.1f} h"))
    return _layout(fig, title, "Month (ticket resolved)", "Time to resolve (hours)")


def ttr_by_priority(by_priority: pl.DataFrame) -> go.Figure:
    """Median and 90th-percentile time to resolve for each priority, with ticket counts.

    `by_priority`: priority (null = unknown), count, median_hours, p90_hours.
    """
    title = "Time to resolve by priority: median and 90th percentile"
    timed = by_priority.filter(pl.col("count") > 0)
    if timed.is_empty():
        return _empty(title, "No resolved tickets in the selected months")
    names = [p or "Unknown" for p in _col(timed, "priority")]
    counts = _col(timed, "count")
    fig = go.Figure()
    for col, key in (("median_hours", "median"), ("p90_hours", "p90")):
        fig.add_trace(go.Bar(
            x=names, y=_col(timed, col), name=LABELS[key], marker_color=COLOURS[key],
            customdata=counts, hovertemplate="%{x}: %{y:,.1f} h (%{customdata:,} tickets)"))
    fig.update_layout(barmode="group")
    fig.update_xaxes(ticktext=[f"{n}<br>{c:,} tickets" for n, c in zip(names, counts)],
                     tickvals=names)
    return _layout(fig, title, "Priority", "Time to resolve (hours)", months=False)


def problems_monthly(monthly: pl.DataFrame, groups: int = 10) -> go.Figure:
    """Tickets per month of the recurring problems with the most tickets, as a heat map:
    one row per problem (most tickets on top), one column per month.

    `monthly`: group, label, month, tickets, in the order of the groups (months without
    tickets may be missing: they show as 0); the first `groups` groups are drawn.
    """
    title = "Problems that kept coming back: tickets per month"
    if monthly.is_empty():
        return _empty(title, "No problem came back 3 or more times")
    order = list(dict.fromkeys(_col(monthly, "group")))[:groups]
    first, last = min(_col(monthly, "month")), max(_col(monthly, "month"))
    months = [date(y, m, 1) for y in range(first.year, last.year + 1) for m in range(1, 13)
              if first <= date(y, m, 1) <= last]
    labels, cells = [], []
    for group in order:
        rows = monthly.filter(pl.col("group") == group)
        counts = dict(zip(_col(rows, "month"), _col(rows, "tickets"), strict=True))
        label = str(rows["label"][0])
        labels.append(label if len(label) <= 40 else label[:39] + "…")
        cells.append([counts.get(m, 0) for m in months])
    fig = go.Figure(go.Heatmap(
        z=cells[::-1], x=months, y=labels[::-1], colorscale=HEAT_SCALE, xgap=1, ygap=1,
        colorbar={"title": {"text": "tickets"}},
        hovertemplate="%{y}<br>%{x|%b %Y}: %{z} tickets<extra></extra>"))
    _layout(fig, title, "Month opened", "", legend=False)
    fig.update_yaxes(automargin=True, rangemode="normal")
    fig.update_layout(height=max(300, 120 + 34 * len(order)), hovermode="closest")
    return fig

# --- offers (pre-sales proposal) -------------------------------------------------------------

def offer_comparison(offers: pl.DataFrame, currency: str | None) -> go.Figure:
    """Each offer's managed total over the spend window beside break-fix's total there.

    `offers`: offer, breakfix_total, managed_total, recommended (pipelines.metrics.offers).
    """
    title = "Over the same months: break-fix against each offer"
    shown = offers.filter(pl.col("managed_total").is_not_null())
    if shown.is_empty():
        return _empty(title, "No spend to compare the offers with")
    names = _col(shown, "offer")
    fig = go.Figure()
    fig.add_trace(go.Bar(
        x=names, y=[float(v) for v in _col(shown, "breakfix_total")],
        name=LABELS["breakfix"], marker_color=COLOURS["breakfix"],
        hovertemplate=_money_hover(currency)))
    fig.add_trace(go.Bar(
        x=names, y=[float(v) for v in _col(shown, "managed_total")],
        name=LABELS["managed"], marker_color=COLOURS["managed"],
        marker_line={"width": [3 if r else 0 for r in _col(shown, "recommended")],
                     "color": OKABE_ITO["black"]},
        hovertemplate=_money_hover(currency)))
    fig.update_layout(barmode="group")
    return _layout(fig, title, "Offer", money_title("Total cost", currency), months=False)


# --- cost predictability and service levels (METRICS.md sections 9 and 10) -----------------

def predictability(monthly: pl.DataFrame, fee: float | None, worst: date | None,
                   surprise: date | None, currency: str | None) -> go.Figure:
    """Monthly break-fix as bars against the flat managed fee, the worst month and the
    largest surprise (against the trailing mean) called out.

    `monthly`: month, breakfix (the spend window's months).
    """
    title = "How much break-fix moves: each month against the flat managed fee"
    if monthly.is_empty():
        return _empty(title, "No spend in the selected months")
    months = _col(monthly, "month")
    values = _col(monthly, "breakfix")
    # The worst month's bar is outlined; the colour stays the break-fix colour.
    outline = [3 if m == worst else 0 for m in months]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=months, y=values, name=LABELS["breakfix"],
                         marker={"color": COLOURS["breakfix"],
                                 "line": {"color": COLOURS["marker"], "width": outline}},
                         hovertemplate=_money_hover(currency)))
    if fee is not None:
        fig.add_trace(go.Scatter(x=months, y=[fee] * len(months), mode="lines",
                                 name="Managed fee (flat)",
                                 line={"color": COLOURS["managed"], "width": 3},
                                 hovertemplate=_money_hover(currency)))
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
    return _layout(fig, title, "Month", money_title("Break-fix per month", currency))


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
        return _empty(title, f"No timed {noun}s in the selected months"
                      + (" (the export has no first-response column)" if what == "response"
                         else ""))
    names = [p or "Unknown" for p in _col(timed, "priority")]
    counts = _col(timed, f"{prefix}_count")
    fig = go.Figure()
    for col, label, colour in ((f"{prefix}_median_hours", "Calendar hours", COLOURS["p90"]),
                               (f"{prefix}_business_median_hours", "Business hours",
                                COLOURS["median"])):
        fig.add_trace(go.Bar(x=names, y=_col(timed, col), name=label, marker_color=colour,
                             customdata=counts,
                             hovertemplate="%{x}: %{y:,.1f} h (%{customdata:,} tickets)"))
    fig.update_layout(barmode="group")
    fig.update_xaxes(ticktext=[f"{n}<br>{c:,} tickets" for n, c in zip(names, counts, strict=True)],
                     tickvals=names)
    return _layout(fig, title, "Priority", f"Median time to {noun} (hours)", months=False)


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
        return _empty(title, "No timed tickets with a priority in the selected months")
    names = _col(rows, "priority")
    fig = go.Figure()
    for kind, label, colour in (("respond", "Respond target", COLOURS["p90"]),
                                ("resolve", "Resolve target", COLOURS["breakfix"])):
        targets = _col(rows, f"{kind}_target_hours")
        timed = _col(rows, f"{kind}_timed")
        if not any(timed):
            continue  # e.g. no first-response times in the exports
        fig.add_trace(go.Bar(
            x=names, y=_col(rows, f"{kind}_breach_pct"), name=label, marker_color=colour,
            customdata=list(zip(targets, timed, strict=True)),
            hovertemplate=("%{x}: %{y:.1f}% over %{customdata[0]:g} business h"
                           " (of %{customdata[1]:,} timed)")))
    fig.update_layout(barmode="group")
    fig.update_yaxes(range=[0, 100], ticksuffix="%")
    return _layout(fig, title, "Priority", "Tickets breaching (%)", months=False)


def sla_breach_trend(monthly: pl.DataFrame) -> go.Figure:
    """Monthly share of tickets breaching the managed SLA: resolve target (by month
    resolved) and respond target (by month opened).

    `monthly`: month, respond_timed, respond_breach_pct, resolve_timed, resolve_breach_pct.
    """
    title = "SLA breaches per month under the managed targets"
    if monthly.is_empty() or (monthly["resolve_timed"].sum() == 0
                              and monthly["respond_timed"].sum() == 0):
        return _empty(title, "No timed tickets with a priority in the selected months")
    fig = go.Figure()
    for kind, label, colour in (("resolve", "Resolve target (month resolved)",
                                 COLOURS["breakfix"]),
                                ("respond", "Respond target (month opened)", COLOURS["p90"])):
        if monthly[f"{kind}_timed"].sum() == 0:
            continue
        fig.add_trace(go.Scatter(
            x=_col(monthly, "month"), y=_col(monthly, f"{kind}_breach_pct"), name=label,
            mode="lines+markers", line={"color": colour, "width": 2.5},
            customdata=_col(monthly, f"{kind}_timed"),
            hovertemplate="%{y:.1f}% of %{customdata:,} timed"))
    fig.update_yaxes(ticksuffix="%")
    return _layout(fig, title, "Month", "Tickets breaching (%)")
