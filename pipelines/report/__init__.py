"""The report a prospect can be handed: one self-contained HTML file (or a PDF printed from it).

    collect.py   ReportData: every figure the report shows, read in one go (the same
                 functions the dashboard pages call)
    page.py      ReportData -> the page, through templates/report.html.j2 (Jinja2,
                 autoescaped) and templates/report.css; chart divs from pipelines.charts
    pdf.py       writing: HTML as is, PDF printed by the system Chromium; atomically

`render_html(con, workspace, scenario, filters)` returns the whole page as a string: the
verdict, the headline figures, the charts of the dashboard's Overview, Spend, Downtime and
Time to resolve pages, the scenario and its assumptions, and a data-quality section.
`write_report(path, html)` writes it, as HTML or, for a `.pdf` path, as PDF.

Decisions where the issue is silent:

* plotly.js is inlined once, in the head; each chart is a div plus a `Plotly.newPlot` call.
  The page loads nothing: no CDN, no web fonts (system font stacks only), no MathJax.
* The output is deterministic for the same data, scenario and filters (chart ids are
  numbered, there is no "generated at" clock reading; the page says which load the data is
  as of instead), so a refresh with nothing new rewrites a byte-identical report.
* Everything that comes from user data (client, asset and file names, reject reasons,
  notes) is escaped by the template's autoescape; chart labels built from it are
  entity-escaped too (plotly.js reads a small HTML subset in labels).
* The cumulative-cost chart is on both the Overview and the Spend page; the report shows
  it once. The print layout (`layout="print"`) gives charts a fixed width that fits an A4
  portrait page and makes them static.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import duckdb

from pipelines import dashboard_data as data
from pipelines import workspace
from pipelines.errors import BreakevenError
from pipelines.report.collect import SPEND_SOURCES, ReportData, collect, reject_reasons
from pipelines.report.page import (
    PRINT_WIDTH_PX,
    TEMPLATES,
    Charts,
    Layout,
    environment,
    escape_labels,
    html_from,
)
from pipelines.report.pdf import (
    CHROMIUM_ENV,
    PDF_TIMEOUT_SECONDS,
    chromium_pdf_command,
    find_chromium,
    html_to_pdf,
    write_report,
)
from pipelines.scenario import Scenario

__all__ = [
    "CHROMIUM_ENV", "PDF_TIMEOUT_SECONDS", "PRINT_WIDTH_PX", "SPEND_SOURCES", "TEMPLATES",
    "BreakevenError", "Charts", "Layout", "ReportData", "chart_count", "chromium_pdf_command",
    "collect", "environment", "escape_labels", "figures_in", "find_chromium", "html_from",
    "html_to_pdf", "reject_reasons", "render_html", "workspace_report_html", "write_report",
]


def render_html(con: duckdb.DuckDBPyConnection, workspace_name: str, scenario: Scenario,
                filters: data.Filters | None = None, *, layout: Layout = "screen") -> str:
    """The whole report as one self-contained HTML page."""
    return html_from(collect(con, workspace_name, scenario, filters), layout=layout)


def workspace_report_html(name: str, data_dir: str | Path | None, scenario: Scenario,
                          filters: data.Filters | None = None, *,
                          layout: Layout = "screen") -> str:
    """The report of workspace `name`, opening (and closing) its own connection.

    For callers that do not hold a connection, such as the dashboard's download button,
    whose data (a callable) is produced after the rerun's connection was closed:
    `st.download_button(..., data=lambda: report.workspace_report_html(ctx.workspace,
    ctx.data_dir, ctx.scenario, ctx.filters))`.
    """
    with workspace.connect(name, data_dir, create=False) as con:
        collected = collect(con, name, scenario, filters)
    return html_from(collected, layout=layout)


def chart_count(html_text: str) -> int:
    """How many charts a rendered report holds."""
    return len(re.findall(r'<figure class="chart"', html_text))


def figures_in(html_text: str) -> dict[str, dict[str, Any]]:
    """The figures of a rendered report by chart name: {"data": [...], "layout": {...}}.

    Lets a test (or a diff tool) compare two reports' figures rather than their bytes.
    """
    decoder = json.JSONDecoder()
    out: dict[str, dict[str, Any]] = {}
    for m in re.finditer(r'<figure class="chart" data-chart="([^"]+)">.*?Plotly\.newPlot\(\s*'
                         r'"[^"]+",\s*', html_text, re.DOTALL):
        traces, end = decoder.raw_decode(html_text, m.end())
        rest = re.match(r",\s*", html_text[end:])
        layout, _ = decoder.raw_decode(html_text, end + (rest.end() if rest else 0))
        out[html.unescape(m.group(1))] = {"data": traces, "layout": layout}
    return out
