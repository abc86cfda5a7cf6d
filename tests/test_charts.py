"""The charts package: one module per page, every chart still `charts.X`, frame -> Figure."""

from __future__ import annotations

import inspect
from datetime import date
from typing import Any

import plotly.graph_objects as go
import polars as pl

from pipelines import charts


def test_every_chart_is_a_public_name_of_the_package() -> None:
    """Callers write `charts.X`: each page module's public functions are re-exported."""
    from pipelines.charts import downtime, offers, problems, service, spend, ttr

    for module in (downtime, offers, problems, service, spend, ttr):
        public = {n for n, f in vars(module).items() if inspect.isfunction(f)
                  and f.__module__ == module.__name__ and not n.startswith("_")}
        assert public, module.__name__
        assert public <= set(charts.__all__), (module.__name__, public - set(charts.__all__))
        for name in public:
            assert getattr(charts, name) is getattr(module, name)


def test_downtime_calendar_blanks_days_a_month_does_not_have() -> None:
    """Feb 2024 has 29 days (30 and 31 blank); a day with no row is 0; Jan 2025 is the 12th
    row after Jan 2024 (months without downtime still get a row)."""
    daily = pl.DataFrame({"day": [date(2024, 1, 31), date(2024, 2, 29), date(2025, 1, 2)],
                          "hours": [2.5, 1.0, 4.0]})
    heat = charts.downtime_calendar(daily).data[0]
    assert list(heat.y)[:3] == ["Jan 2024", "Feb 2024", "Mar 2024"]
    assert len(heat.y) == 13
    jan, feb, apr = heat.z[0], heat.z[1], heat.z[3]
    assert jan[30] == 2.5 and jan[0] == 0.0
    assert feb[28] == 1.0 and feb[29] is None and feb[30] is None
    assert apr[29] == 0.0 and apr[30] is None
    assert heat.z[12][1] == 4.0


def test_problems_monthly_fills_the_months_between_with_zero() -> None:
    """Two groups over Nov 2024 - Feb 2025: a month a group has no row for shows 0; the
    first group (most tickets) is drawn on top, i.e. last in the heat map's rows."""
    monthly = pl.DataFrame({
        "group": [1, 1, 2], "label": ["VPN drops", "VPN drops", "Printer jams"],
        "month": [date(2024, 11, 1), date(2025, 2, 1), date(2024, 12, 1)],
        "tickets": [3, 4, 2]})
    heat = charts.problems_monthly(monthly).data[0]
    assert list(heat.x) == [date(2024, 11, 1), date(2024, 12, 1), date(2025, 1, 1),
                            date(2025, 2, 1)]
    assert list(heat.y) == ["Printer jams", "VPN drops"]
    assert [list(r) for r in heat.z] == [[0, 2, 0, 0], [3, 0, 0, 4]]


def test_an_empty_frame_gives_a_titled_chart_saying_why() -> None:
    empty = pl.DataFrame({"month": [], "hours": [], "recurring_hours": []},
                         schema={"month": pl.Date, "hours": pl.Float64,
                                 "recurring_hours": pl.Float64})
    fig = charts.monthly_downtime(empty)
    assert isinstance(fig, go.Figure) and not fig.data
    assert fig.layout.title.text == "Downtime per month: recurring vs first-time outages"
    assert fig.layout.annotations[0].text == "No downtime in the selected months"


def test_ticks_under_each_priority_carry_its_ticket_count() -> None:
    by_priority = pl.DataFrame({"priority": ["P1", None], "count": [1200, 3],
                                "median_hours": [2.0, 5.0], "p90_hours": [4.0, 9.0]})
    fig = charts.ttr_by_priority(by_priority)
    assert list(fig.layout.xaxis.tickvals) == ["P1", "Unknown"]
    assert list(fig.layout.xaxis.ticktext) == ["P1<br>1,200 tickets", "Unknown<br>3 tickets"]


def test_charts_carry_the_house_template_as_update_layout_would_set_it() -> None:
    """`common.house_template` skips Plotly's re-check of the template, not the template:
    a chart's figure is the one `update_layout(template="plotly_white")` makes, and
    changing one chart's template leaves the registered one (and the next chart) alone."""
    import plotly.io as pio

    from pipelines.charts import common

    monthly = pl.DataFrame({"month": [date(2024, 1, 1), date(2024, 2, 1)], "y": [1.0, 2.0]})
    for fig in (common.layout(common.Chart(go.Scatter(x=common.col(monthly, "month"),
                                                      y=common.col(monthly, "y"))),
                              "Title", "Month", "Hours").figure(),
                common.empty("Nothing", "no data")):
        checked = go.Figure(fig)
        checked.update_layout(template="plotly_white")
        assert fig.to_dict() == checked.to_dict()
        assert fig.layout.template.layout.paper_bgcolor == "white"
        fig.layout.template.layout.paper_bgcolor = "red"
    assert pio.templates["plotly_white"].layout.paper_bgcolor == "white"
    assert common.empty("Again", "no data").layout.template.layout.paper_bgcolor == "white"


def test_a_chart_built_from_its_parts_is_the_figure_plotly_s_own_calls_make() -> None:
    """`common.Chart` gathers what Plotly's update_layout/update_xaxes/add_shape/add_vrect/
    add_vline/add_annotation would set, nested settings merged, and builds the same figure."""
    from pipelines.charts import common

    x = [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)]

    def calls(fig: Any) -> None:
        fig.add_trace(go.Scatter(x=x, y=[1, 2, 3], name="a"))
        fig.update_layout(legend={"orientation": "h", "y": 1.0}, height=300)
        fig.update_layout(legend={"y": -0.2}, barmode="group")  # merged into the first
        fig.update_xaxes(range=[x[0], x[-1]])
        fig.update_xaxes(dtick="M1")
        fig.update_yaxes(title={"text": "Hours"}, rangemode="tozero")
        fig.add_annotation(x=x[1], y=1, xref="x", yref="paper", text="here", showarrow=False)

    plotly = go.Figure()
    calls(plotly)
    plotly.add_vrect(x0=x[1], x1=x[2], fillcolor="#eeeeee", line_width=0, layer="below")
    plotly.add_vline(x=x[1], line={"color": "#000000", "dash": "dash"})
    plotly.update_layout(template="plotly_white")
    chart = common.Chart()
    calls(chart)
    chart.add_shape(type="rect", x0=x[1], x1=x[2], xref="x", y0=0, y1=1, yref="y domain",
                    fillcolor="#eeeeee", line={"width": 0}, layer="below")
    chart.add_shape(type="line", x0=x[1], x1=x[1], xref="x", y0=0, y1=1, yref="y domain",
                    line={"color": "#000000", "dash": "dash"})
    assert chart.figure().to_dict() == plotly.to_dict()
