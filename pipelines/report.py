"""The report a prospect can be handed: one self-contained HTML file (or a PDF printed from it).

`render_html(con, workspace, scenario, filters)` returns the whole page as a string: the
verdict, the headline figures, the charts of the dashboard's Overview, Spend, Downtime and
Time to resolve pages (the same `pipelines.charts` functions), the scenario and its
assumptions, and a data-quality section. `write_report(path, html)` writes it atomically,
as HTML or, for a `.pdf` path, printed to PDF by the system Chromium.

Decisions where the issue is silent:

* plotly.js is inlined once, in the head; each chart is a div plus a `Plotly.newPlot` call.
  The page loads nothing: no CDN, no web fonts (system font stacks only), no MathJax.
* The output is deterministic for the same data, scenario and filters (chart ids are
  numbered, there is no "generated at" clock reading; the page says which load the data is
  as of instead), so a refresh with nothing new rewrites a byte-identical report.
* Everything that comes from user data (client, asset and file names, reject reasons,
  notes) is escaped with `html.escape`; chart labels built from it are entity-escaped too
  (plotly.js reads a small HTML subset in labels and turns `&lt;` back into `<`).
* The cumulative-cost chart is on both the Overview and the Spend page; the report shows
  it once. The print layout (`layout="print"`) gives charts a fixed width that fits an A4
  portrait page and makes them static.
"""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb
import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
from plotly.offline import get_plotlyjs

from pipelines import __version__, charts, metrics, present, store, workspace
from pipelines import dashboard_data as data
from pipelines.errors import BreakevenError, SettingError
from pipelines.metrics import forecast as outlook
from pipelines.metrics import sensitivity
from pipelines.scenario import Scenario

Layout = Literal["screen", "print"]
PRINT_WIDTH_PX = 690  # A4 portrait (210 mm) less 2 x 12 mm margins is ~703 CSS px
CHROMIUM_ENV = "BREAKEVEN_CHROMIUM"
PDF_TIMEOUT_SECONDS = 180

SCENARIO_LABELS: dict[str, str] = {
    "per_user": "Contract price per user per month",
    "users": "Users covered",
    "per_device": "Contract price per device per month",
    "devices": "Devices covered",
    "flat_monthly": "Flat monthly fee",
    "onboarding_fee": "Onboarding fee (one-off, first month)",
    "hourly_rate": "Hourly rate (spend from labour hours)",
    "cost_per_user_hour": "Downtime cost per user-hour (0 = left out)",
    "users_affected_default": "Users affected when a ticket does not say",
    "managed_reduction": "Downtime cost avoided by the managed service",
    "outage_priorities": "Priorities that count as outages",
    "recurrence_days": "Recurrence window (days)",
    "include_parts": "Parts count as break-fix spend",
    "timezone": "Time zone of naive timestamps and months",
    "business_hours": "Business hours (local time; SLA clock)",
    "holidays": "Holidays (no business hours)",
    "sla_respond_hours": "SLA: respond within (business hours)",
    "sla_resolve_hours": "SLA: resolve within (business hours)",
}
SPEND_SOURCES = {
    "invoices": "invoice lines of kind labour and other (parts too when included)",
    "billed_amount": "the tickets' billed amounts",
    "labour_hours": "the tickets' labour hours times the hourly rate",
}


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows, read from the workspace in one go."""

    workspace: str
    scenario: Scenario
    filters: data.Filters
    summary: data.Summary
    ttr_by_category: pl.DataFrame
    downtime_by_day: pl.DataFrame
    loads: pl.DataFrame
    reject_reasons: pl.DataFrame
    clients: list[str]
    service: metrics.ServiceResult | None = None  # METRICS.md section 10
    sensitivity: pl.DataFrame | None = None  # pipelines.metrics.sensitivity


def collect(con: duckdb.DuckDBPyConnection, workspace_name: str, scenario: Scenario,
            filters: data.Filters | None = None) -> ReportData:
    """Read every figure the report needs (the same functions the dashboard pages call)."""
    filters = filters or data.Filters()
    return ReportData(
        workspace=workspace_name,
        scenario=scenario,
        filters=filters,
        summary=data.summary(con, workspace_name, scenario, filters),
        ttr_by_category=metrics.ttr_by_category(con, scenario, filters),
        downtime_by_day=metrics.downtime_by_day(con, scenario, filters).select("day", "hours"),
        loads=store.load_history(con).sort("load_id"),
        reject_reasons=reject_reasons(con),
        clients=data.clients(con),
        service=data.service_view(con, scenario, filters),
        sensitivity=sensitivity.sensitivity(con, scenario, filters),
    )


def reject_reasons(con: duckdb.DuckDBPyConnection, limit: int = 10) -> pl.DataFrame:
    """The commonest reasons rows were refused, values blanked so alike reasons group.

    `'Opened' is '31/02/2024', not a date` and `'Opened' is '99/99', not a date` are one
    reason; columns: reason, rows, files (distinct file names), example (file row N).
    """
    return store.frame(
        con,
        r"""
        WITH r AS (
            SELECT regexp_replace(r.reason, ' is ''[^'']*''', ' is ''…''', 'g') AS reason,
                   l.file_name, r.row_number, r.load_id
            FROM rejects r JOIN loads l USING (load_id)
        )
        SELECT reason, count(*) AS rows, count(DISTINCT file_name) AS files,
               arg_min(file_name || ' row ' || row_number, (load_id, row_number)) AS example
        FROM r GROUP BY reason ORDER BY rows DESC, reason LIMIT ?
        """,
        [limit],
    )


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


# --- writing ---------------------------------------------------------------------------------

def write_report(path: str | Path, html_text: str) -> Path:
    """Write the report to `path` atomically: HTML as is, `.pdf` printed by Chromium.

    The file appears complete or not at all (temp file in the same folder, then rename).
    For a PDF, pass the HTML rendered with `layout="print"`.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".html", ".htm", ".pdf"):
        raise SettingError(f"report {path}: name it .html or .pdf (for example report.html)")
    if not path.parent.is_dir():
        raise SettingError(f"report {path}: folder {path.parent} does not exist; create it first")
    if suffix == ".pdf":
        pdf = html_to_pdf(html_text)
        _replace_atomically(path, pdf)
    else:
        _replace_atomically(path, html_text.encode("utf-8"))
    return path


def _replace_atomically(path: Path, content: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def find_chromium() -> str:
    """The system Chromium: `$BREAKEVEN_CHROMIUM`, else `chromium` (or its other names) on PATH."""
    explicit = os.environ.get(CHROMIUM_ENV)
    if explicit:
        found = shutil.which(explicit)
        if not found:
            raise SettingError(f"{CHROMIUM_ENV}={explicit!r} is not an executable browser")
        return found
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    raise SettingError(
        "a PDF report needs Chromium, which was not found on PATH: install it (Debian/Ubuntu:"
        f" sudo apt-get install chromium), set {CHROMIUM_ENV} to its path, or write the report"
        " as .html instead"
    )


def chromium_pdf_command(chromium: str, html_file: Path, pdf_file: Path,
                         profile_dir: Path) -> list[str]:
    """The headless Chromium command line that prints `html_file` to `pdf_file`, offline."""
    cmd = [
        chromium, "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-extensions", "--mute-audio",
        # The report needs no network; make sure nothing is even resolved.
        "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
        f"--user-data-dir={profile_dir}",
        "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw",
        # Virtual time lets the inline scripts (plotly.js drawing) finish before printing.
        "--virtual-time-budget=15000",
        f"--print-to-pdf={pdf_file}",
        html_file.resolve().as_uri(),
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return cmd


def html_to_pdf(html_text: str, chromium: str | None = None,
                timeout: float = PDF_TIMEOUT_SECONDS) -> bytes:
    """Print an HTML page to PDF with the system Chromium (never a downloaded browser)."""
    browser = chromium or find_chromium()
    with tempfile.TemporaryDirectory(prefix="breakeven-pdf-") as tmp:
        page, pdf = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        page.write_text(html_text, encoding="utf-8")
        cmd = chromium_pdf_command(browser, page, pdf, Path(tmp) / "profile")
        # A private HOME: Chromium writes nothing outside the temp folder (cron, systemd).
        env = {**os.environ, "HOME": tmp, "XDG_CONFIG_HOME": f"{tmp}/config",
               "XDG_CACHE_HOME": f"{tmp}/cache"}
        try:
            done = subprocess.run(cmd, check=False, capture_output=True, text=True,
                                  timeout=timeout, stdin=subprocess.DEVNULL, env=env)
        except subprocess.TimeoutExpired as exc:
            raise BreakevenError(f"Chromium ({browser}) did not print the PDF within"
                                 f" {timeout:.0f} s") from exc
        if not pdf.exists() or pdf.stat().st_size == 0 or not pdf.read_bytes().startswith(b"%PDF"):
            tail = " ".join((done.stderr or "").strip().splitlines()[-3:])
            raise BreakevenError(f"Chromium ({browser}) did not write the PDF (exit code"
                                 f" {done.returncode}): {tail or 'no message'}")
        return pdf.read_bytes()


# --- the page ---------------------------------------------------------------------------------

def e(value: Any) -> str:
    """Text for the page, escaped (quotes too, so it is also safe inside attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def _money(value: float | None, currency: str | None, decimals: int = 0) -> str:
    return present.money(value, currency, decimals)


def _n(count: int, one: str, many: str) -> str:
    """'1 outage is' / '3 outages are'."""
    return f"{count:,} {one if count == 1 else many}"


def _hours(value: float | None) -> str:
    return present.hours(value)


def _month(value: Any) -> str:
    return present.month(value)


def _escape_labels(frame: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """User text for chart labels, entity-escaped (plotly.js turns `&lt;` back into `<`)."""
    return frame.with_columns(
        pl.col(c).map_elements(html.escape, return_dtype=pl.String) for c in columns
        if c in frame.columns
    )


class _Charts:
    """Turns figures into divs with numbered ids; plotly.js itself is in the page head once."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.count = 0

    def __call__(self, fig: go.Figure, name: str) -> str:
        self.count += 1
        config: dict[str, Any] = {"displaylogo": False}
        if self.layout == "print":
            fig.update_layout(width=PRINT_WIDTH_PX, autosize=False)
            config.update(staticPlot=True, responsive=False)
        else:
            config.update(responsive=True,
                          modeBarButtonsToRemove=["select2d", "lasso2d", "autoScale2d"])
        div = pio.to_html(fig, config=config, include_plotlyjs=False, include_mathjax=False,
                          full_html=False, div_id=f"chart-{self.count}", validate=False)
        return f'<figure class="chart" data-chart="{e(name)}">{div}</figure>'


def html_from(r: ReportData, layout: Layout = "screen") -> str:
    """The report page for already collected figures."""
    chart = _Charts(layout)
    s = r.summary
    title = f"IT support: break-fix or managed? {r.workspace}"
    if s.empty:
        body = (f'<section class="verdict"><p>{e(s.verdict)}</p>{_checks_html(r)}</section>'
                + _scenario_section(r) + _quality_section(r))
    else:
        body = "".join([
            (f'<section class="verdict" id="verdict"><h2>Verdict</h2><p>{e(s.verdict)}</p>'
             f"{_checks_html(r)}</section>"),
            _headlines(r),
            _spend_section(r, chart),
            _outlook_section(r, chart),
            _downtime_section(r, chart),
            _problems_section(r),
            _ttr_section(r, chart),
            _service_section(r, chart),
            _scenario_section(r),
            _quality_section(r),
        ])
    return PAGE.format(
        title=e(title), css=CSS, plotlyjs=get_plotlyjs(), heading=e(title),
        subtitle=_subtitle(r), body=body,
        footer=e(f"Made by breakeven {__version__} from the workspace {r.workspace}."
                 " Figures follow the definitions in the Scenario and assumptions section."),
        layout=e(layout),
    )


def _subtitle(r: ReportData) -> str:
    w = r.summary.raw.get("window") or {}
    parts = []
    if w.get("start"):
        parts.append(f"{_month(w['start'])} to {_month(w['end'])}")
    f = r.filters
    if f.client:
        parts.append(f"client {f.client}")
    elif r.clients:
        shown = ", ".join(r.clients[:6]) + (f" and {len(r.clients) - 6} more"
                                            if len(r.clients) > 6 else "")
        parts.append(f"clients: {shown}")
    if f.month_from or f.month_to:
        parts.append(f"months narrowed to {f.month_from or 'start'}..{f.month_to or 'end'}")
    if r.loads.height:
        last = r.loads.tail(1).row(0, named=True)
        parts.append(f"data as of load {last['load_id']} ({last['finished_at']:%Y-%m-%d %H:%M}"
                     " UTC)")
    return " · ".join(e(p) for p in parts)


def _checks_html(r: ReportData) -> str:
    """The evidence checks beside the verdict: what blocks it, then its caveats."""
    items = [f'<li class="check {e(c["level"])}"><strong>'
             f'{"No verdict" if c["level"] == "block" else "Caveat"}:</strong> {e(c["message"])}</li>'
             for c in r.summary.blocks + r.summary.warnings]
    return f'<ul class="checks">{"".join(items)}</ul>' if items else ""


def _card(label: str, value: str, note: str = "") -> str:
    return (f'<div class="card"><div class="label">{e(label)}</div>'
            f'<div class="value">{e(value)}</div>'
            + (f'<div class="note">{e(note)}</div>' if note else "") + "</div>")


def _headlines(r: ReportData) -> str:
    s, cur = r.summary, r.summary.currency
    ttm = s.last_ttm or {}
    share = s.recurring_share
    priced = s.spend.get("source") is not None  # without spend data no month is "never"
    cards = [
        _card("Break-even price per user", _money(s.spend["break_even_price_per_user"], cur, 2),
              "per user per month; a contract below it would have cost less"),
        _card("Cumulative crossover", _month(s.cumulative_crossover) if priced else "n/a",
              "first month total break-fix passed the contract's total"),
        _card("Run-rate crossover", _month(s.run_rate_crossover) if priced else "n/a",
              "from then on, 12 months of break-fix cost more than 12 of the contract"),
        _card("Break-fix vs managed, total", _money(s.spend["breakfix_total"], cur),
              f"{_money(s.spend['managed_total'], cur)} managed"),
        _card("Break-fix, last 12 months", _money(ttm.get("ttm_breakfix"), cur),
              f"to {_month(ttm.get('month'))}"),
        _card("Managed contract, last 12 months", _money(ttm.get("ttm_managed"), cur),
              f"{_money(s.spend['monthly_fee'], cur)} a month"),
        _card("Tickets", f"{s.incidents['total']:,}",
              f"{s.incidents['open']:,} open; {s.incidents['warnings']:,} resolved before opened"),
        _card("Median time to resolve", _hours(s.ttr["median_hours"]),
              f"90th percentile {_hours(s.ttr['p90_hours'])}"),
        _card("Downtime", _hours(s.downtime["hours"]),
              f"{s.downtime['incidents']:,} outages"
              + ("" if share is None else f", {share:.0%} of hours recurring")),
    ]
    return f'<section class="cards">{"".join(cards)}</section>'


def _spend_section(r: ReportData, chart: _Charts) -> str:
    s, cur, m = r.summary, r.summary.currency, r.summary.spend_monthly
    if s.spend["source"] is None:
        return ('<section id="spend"><h2>Spend: break-fix against the managed contract</h2>'
                '<p class="caption">No spend data: no invoices, and no ticket has a billed'
                " amount or time worked.</p></section>")
    source = SPEND_SOURCES.get(s.spend["source"], s.spend["source"])
    sw = s.spend.get("window") or {}
    note = (f"Break-fix spend from {source}, compared over"
            f" {present.months_span(sw.get('start'), sw.get('end'))} (the months the spend"
            " data covers).")
    if not cur:
        note += " Amounts are shown without a currency (invoices use several, or none is given)."
    return (
        '<section id="spend"><h2>Spend: break-fix against the managed contract</h2>'
        f'<p class="caption">{e(note)}</p>'
        + chart(charts.cumulative_spend(m, s.cumulative_crossover, cur,
                                        outlook.forecast_frame(s.raw.get("forecast"))),
                "cumulative_spend")
        + chart(charts.monthly_spend(m, cur), "monthly_spend")
        + chart(charts.trailing_spend(m, s.run_rate_crossover, cur), "trailing_spend")
        + "</section>"
    )


def _outlook_section(r: ReportData, chart: _Charts) -> str:
    """The next 12 months in words, how firm the verdict is, and what moves it."""
    s, cur = r.summary, r.summary.currency
    if s.spend["source"] is None:
        return ""
    ahead = s.raw.get("forecast") or {}
    firm = outlook.confidence_text(s.raw.get("confidence"), cur)
    frame = r.sensitivity if r.sensitivity is not None else pl.DataFrame()
    table = sensitivity.sensitivity_table(frame, cur) if not frame.is_empty() else None
    forward = outlook.forward_look(ahead.get("p_breakfix_dearer_12m"), r.scenario.per_user,
                                   r.scenario.users, s.spend["monthly_fee"], cur)
    return (
        '<section id="outlook"><h2>The next 12 months, and how sure the verdict is</h2>'
        f"<p>{e(forward)}</p>"
        + (f'<p class="caption">{e(firm)}</p>' if firm else "")
        + (f'<p class="caption">Forecast method: {e(ahead.get("method") or "")}; the shaded'
           " band on the cumulative chart above is its 80% range.</p>"
           if ahead.get("months") else "")
        + ("" if table is None else
           chart(charts.sensitivity_tornado(frame, cur, sensitivity.row_labels(frame, cur)),
                 "sensitivity_tornado")
           + f'<p class="caption">{e(sensitivity.NOTE)}</p>'
           + _table(table.columns, [list(row) for row in table.iter_rows()]))
        + "</section>"
    )


def _downtime_section(r: ReportData, chart: _Charts) -> str:
    s, sc = r.summary, r.scenario
    prios = ", ".join(sc.outage_priorities) or "none"
    top = _escape_labels(s.top_recurring, ("client", "key"))
    note = (f"An outage is a ticket with an outage duration, or else of priority {prios}; it"
            f" recurs when the same asset (or category) was down within {sc.recurrence_days}"
            f" days before. {_n(s.downtime['open_outages'], 'outage is', 'outages are')} still"
            " open (no hours counted yet).")
    return (
        '<section id="downtime"><h2>Downtime</h2>'
        f'<p class="caption">{e(note)}</p>'
        + chart(charts.monthly_downtime(s.downtime_monthly), "monthly_downtime")
        + chart(charts.top_recurring(top), "top_recurring")
        + chart(charts.downtime_calendar(r.downtime_by_day), "downtime_calendar")
        + "</section>"
    )


def _problems_section(r: ReportData) -> str:
    """Problems that kept coming back: the pre-sales sentence and the top groups' cost."""
    from pipelines.metrics.problems import TOP, sentence

    groups = r.summary.raw.get("problems") or []
    cur = r.summary.currency
    rows = [[g["label"], f"{g['incidents']:,}", f"{g['clients']:,}", f"{g['assets']:,}",
             f"{_month(g['first'])} – {_month(g['last'])}", _hours(g["ttr_hours"]),
             _money(g["cost"], cur)] for g in groups[:10]]
    text = sentence(len(groups), [g["cost"] for g in groups], cur, at_least=len(groups) >= TOP)
    note = ("Tickets whose titles describe the same problem (reply prefixes, ids, names and"
            " numbers set aside); cost is each ticket's billed amount, else its labour hours at"
            f" the scenario's hourly rate. The {min(10, len(groups))} with the most tickets:")
    return (
        '<section id="problems"><h2>Problems that kept coming back</h2>'
        f"<p><strong>{e(text)}</strong></p>"
        + (f'<p class="caption">{e(note)}</p>' + _table(
            ["Problem", "Tickets", "Clients", "Assets", "First – last", "Time to resolve",
             "Cost"], rows, numeric=(1, 2, 3, 5, 6)) if groups else "")
        + "</section>"
    )


def _ttr_section(r: ReportData, chart: _Charts) -> str:
    s = r.summary
    t = s.ttr
    note = (f"Hours from opened to resolved (else closed), {t['count']:,} tickets timed: median"
            f" {_hours(t['median_hours'])}, 90th percentile {_hours(t['p90_hours'])}, mean"
            f" {_hours(t['mean_hours'])}. Open tickets are counted, not timed; tickets resolved"
            " before they were opened are left out.")
    cats = r.ttr_by_category.head(15)
    rows = [[c if c is not None else "(no category)", f"{n:,}", _hours(mean), _hours(med),
             _hours(p90)]
            for c, n, mean, med, p90 in cats.select(
                "category", "count", "mean_hours", "median_hours", "p90_hours").iter_rows()]
    more = r.ttr_by_category.height - cats.height
    return (
        '<section id="time-to-resolve"><h2>Time to resolve</h2>'
        f'<p class="caption">{e(note)}</p>'
        + chart(charts.monthly_ttr(s.ttr_monthly), "monthly_ttr")
        + chart(charts.ttr_by_priority(s.ttr_by_priority), "ttr_by_priority")
        + '<div class="keep"><h3>By category</h3>'
        + _table(["Category", "Tickets timed", "Mean", "Median", "90th percentile"], rows,
                 numeric=(1, 2, 3, 4))
        + (f'<p class="caption">and {more:,} more categories.</p>' if more > 0 else "")
        + "</div></section>"
    )


def _service_section(r: ReportData, chart: _Charts) -> str:
    """Cost predictability (section 9) and service levels with the SLA replay (section 10)."""
    from pipelines.metrics.predictability import cv_in_words

    s, cur, sc, v = r.summary, r.summary.currency, r.scenario, r.service
    p = s.raw.get("predictability") or {}
    parts = ['<section id="service-levels"><h2>Predictability and service levels</h2>']
    if p.get("months"):
        surprise = (f" The largest surprise was {_month(p['largest_surprise_month'])},"
                    f" {_money(p['largest_surprise_amount'], cur)} above the average of the"
                    " months before it." if p.get("largest_surprise_month") else "")
        text = (f"Over {_n(p['months'], 'month', 'months')}, break-fix averaged"
                f" {_money(p['mean'], cur)} a month: {cv_in_words(p['cv'])}. The worst month,"
                f" {_month(p['worst_month'])}, cost {_money(p['worst_amount'], cur)};"
                f" {p['months_above_fee']} of {p['months']} months cost more than the flat"
                f" managed fee of {_money(s.spend['monthly_fee'], cur)}.{surprise}")
        parts.append(f"<p><strong>{e(text)}</strong></p>")
        parts.append(chart(charts.predictability(
            s.spend_monthly, s.spend["monthly_fee"], data.month_date(p["worst_month"]),
            data.month_date(p["largest_surprise_month"]), cur), "predictability"))
    if v is not None:
        resp, tb = v.response, v.ttr_business
        hol = f", {_n(len(sc.holidays), 'holiday', 'holidays')} off" if sc.holidays else ""
        note = (f"Business hours {sc.business_hours} ({v.weekly_business_hours:g} h a week{hol})"
                f" in {sc.timezone}. Resolution in business hours: median"
                f" {_hours(tb['median_hours'])}, 90th percentile {_hours(tb['p90_hours'])}"
                f" over {tb['count']:,} tickets. ")
        note += (f"First response: median {_hours(resp['median_hours'])}, 90th percentile"
                 f" {_hours(resp['p90_hours'])} over {resp['count']:,} tickets (calendar hours)."
                 if resp["count"] else "The exports carry no first-response time.")
        pooled = v.resolve_breach_pct
        note += (" Under the managed SLA's resolve targets, "
                 + (f"{pooled:.1f}% of the tickets with a priority would have breached."
                    if pooled is not None else "no ticket with a priority was timed."))
        parts.append(f'<p class="caption">{e(note)}</p>')
        if resp["count"]:
            parts.append(chart(charts.service_by_priority(v.by_priority, "response"),
                               "service_response"))
        parts.append(chart(charts.service_by_priority(v.by_priority, "resolution"),
                           "service_resolution"))
        parts.append(chart(charts.sla_breaches(v.by_priority), "sla_by_priority"))
        parts.append(chart(charts.sla_breach_trend(v.monthly), "sla_monthly"))
    return "".join(parts) + "</section>"


def _table(headers: list[str], rows: list[list[Any]], numeric: tuple[int, ...] = ()) -> str:
    head = "".join(f'<th class="num">{e(h)}</th>' if i in numeric else f"<th>{e(h)}</th>"
                   for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{e(v)}</td>' if i in numeric else f"<td>{e(v)}</td>"
                         for i, v in enumerate(row)) + "</tr>"
        for row in rows)
    if not rows:
        body = f'<tr><td colspan="{len(headers)}" class="none">none</td></tr>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _setting_text(key: str, value: Any, currency: str | None) -> str:
    if key == "managed_reduction":
        return f"{float(value):.0%}"
    if key == "outage_priorities":
        return ", ".join(value) or "none"
    if key == "include_parts":
        return "yes" if value else "no"
    if isinstance(value, dict):  # SLA targets by priority
        return ", ".join(f"{p} {h:g} h" for p, h in value.items())
    if key == "holidays":
        return ", ".join(value) or "none"
    if key in ("per_user", "per_device", "flat_monthly", "onboarding_fee", "hourly_rate",
               "cost_per_user_hour"):
        return _money(float(value), currency, 2)
    return f"{value:,}" if isinstance(value, int) else str(value)


def _scenario_section(r: ReportData) -> str:
    cur = r.summary.currency
    values = r.scenario.to_dict()
    rows = [[SCENARIO_LABELS.get(k, k), _setting_text(k, v, cur), k] for k, v in values.items()]
    assumptions = [
        (f"The managed contract costs {_money(r.scenario.monthly_fee, cur, 2)} a month"
        " (price per user times users, plus price per device times devices, plus the flat fee),"
        " and the onboarding fee once, in the first month."),
        ("Break-fix cost in a month is its break-fix spend plus, when a downtime cost per"
        " user-hour is set, the cost of that month's outages; the managed scenario carries the"
        " share of downtime cost it does not avoid."),
        ("Cumulative crossover: the first month whose running total of break-fix cost is above"
        " the contract's. Run-rate crossover: the first month from which the trailing 12 months"
        " of break-fix stay above 12 months of the contract to the end of the window."),
        ("Break-even price: the price per user per month at which the contract would have cost"
        " exactly what break-fix did over the window, other terms unchanged."),
        ("Months are calendar months in the time zone above; tickets count in the month they"
        " were opened (time to resolve: the month they were resolved), invoices by invoice date."),
    ]
    items = "".join(f"<li>{e(a)}</li>" for a in assumptions)
    return ('<section id="scenario"><h2>Scenario and assumptions</h2>'
            + _table(["Setting", "Value", "Key"], rows) + f"<ul>{items}</ul></section>")


def _quality_section(r: ReportData) -> str:
    loads = r.loads
    read = int(loads["rows_read"].sum()) if loads.height else 0
    loaded = int(loads["rows_loaded"].sum()) if loads.height else 0
    rejected = int(loads["rows_rejected"].sum()) if loads.height else 0
    rows = [[row["load_id"], row["file_name"], row["kind"], row["format"],
             f"{row['rows_read']:,}", f"{row['rows_loaded']:,}", f"{row['rows_rejected']:,}",
             f"{row['finished_at']:%Y-%m-%d %H:%M}"]
            for row in loads.iter_rows(named=True)]
    reasons = [[row["reason"], f"{row['rows']:,}", row["example"]]
               for row in r.reject_reasons.iter_rows(named=True)]
    warnings = _warnings(r)
    warn_html = ("<ul>" + "".join(f"<li>{e(w)}</li>" for w in warnings) + "</ul>"
                 if warnings else '<p class="caption">No warnings.</p>')
    return (
        '<section id="data-quality"><h2>Data quality</h2>'
        f'<p>{_n(len(rows), "file", "files")} loaded: {read:,} rows read, {loaded:,} loaded,'
        f' {rejected:,} rejected (every rejected row is kept with its reason:'
        f' <code>breakeven loads --workspace {e(r.workspace)}</code>).</p>'
        + _table(["Load", "File", "Holds", "Format", "Rows read", "Loaded", "Rejected",
                  "Loaded at (UTC)"], rows, numeric=(0, 4, 5, 6))
        + "<h3>Top reasons rows were rejected</h3>"
        + _table(["Reason", "Rows", "First example"], reasons, numeric=(1,))
        + "<h3>Warnings</h3>" + warn_html + "</section>"
    )


def _warnings(r: ReportData) -> list[str]:
    s = r.summary
    out = [f"{'No verdict' if c['level'] == 'block' else 'Caveat'} ({c['id']}): {c['message']}"
           for c in s.blocks + s.warnings]
    if not s.empty:
        inc = s.incidents
        if inc.get("warnings"):
            out.append(f"{_n(inc['warnings'], 'ticket was', 'tickets were')} resolved before"
                       " they were opened:"
                       " they count as tickets but are left out of time to resolve.")
        if inc.get("open"):
            out.append(f"{_n(inc['open'], 'ticket is', 'tickets are')} still open: counted,"
                       " not timed.")
        if s.downtime.get("open_outages"):
            out.append(f"{_n(s.downtime['open_outages'], 'outage is', 'outages are')} still"
                       " open and adds no downtime hours yet." if s.downtime["open_outages"] == 1
                       else f"{s.downtime['open_outages']:,} outages are still open and add no"
                       " downtime hours yet.")
        if s.currency is None and s.spend.get("source") == "invoices":
            out.append("Invoices are in several currencies, or none is given: amounts are added"
                       " up as they are, without conversion.")
    for row in r.loads.iter_rows(named=True):
        if row["message"]:
            out.append(f"{row['file_name']} (load {row['load_id']}): {row['message']}")
    return out


CSS = """
:root { --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --accent: #0072B2;
        --warm: #D55E00; --card: #f6f8fa; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; color: var(--ink); background: #fff;
       font: 15px/1.5 "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 48px; }
header h1 { font-size: 26px; margin: 0 0 4px; }
header .subtitle { color: var(--muted); margin: 0 0 20px; }
h2 { font-size: 21px; margin: 36px 0 8px; padding-top: 8px; border-top: 2px solid var(--line); }
h3 { font-size: 16px; margin: 22px 0 6px; }
.verdict { border-left: 6px solid var(--warm); background: #fff4ec; padding: 14px 18px;
           margin: 8px 0 20px; border-radius: 4px; }
.verdict h2 { border: 0; margin: 0 0 4px; padding: 0; font-size: 15px; text-transform: uppercase;
              letter-spacing: .05em; color: var(--warm); }
.verdict p { font-size: 19px; font-weight: 600; margin: 0; }
.verdict ul.checks { margin: 10px 0 0; padding-left: 20px; font-size: 14px; }
.verdict li.check.block { color: #8a1c00; }
.cards { display: grid; grid-template-columns: repeat(3, 1fr); gap: 10px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px;
        padding: 10px 14px; break-inside: avoid; }
.card .label { color: var(--muted); font-size: 13px; }
.card .value { font-size: 22px; font-weight: 700; }
.card .note { color: var(--muted); font-size: 12px; }
.caption { color: var(--muted); font-size: 13px; }
figure.chart { margin: 14px 0 22px; break-inside: avoid; page-break-inside: avoid; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 6px 0 12px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left;
         vertical-align: top; overflow-wrap: break-word; }
th { background: var(--card); white-space: nowrap; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.none { color: var(--muted); font-style: italic; }
tr { break-inside: avoid; }
code { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 12px; }
footer { color: var(--muted); font-size: 12px; margin-top: 32px; }
@page { size: A4; margin: 12mm; }
@media print {
  main { max-width: none; padding: 0; }
  body { font-size: 12px; }
  .cards { grid-template-columns: repeat(3, 1fr); }
  .card .value { font-size: 17px; }
  h2, h3 { break-after: avoid; }
  section#downtime, section#time-to-resolve, section#service-levels, section#scenario,
  section#data-quality { break-before: page; border-top: 0; }
  .keep { break-inside: avoid; }
  section h2 { border-top: 0; margin-top: 0; }
}
"""

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="breakeven">
<title>{title}</title>
<style>{css}</style>
<script>{plotlyjs}</script>
</head>
<body data-layout="{layout}">
<main>
<header><h1>{heading}</h1><p class="subtitle">{subtitle}</p></header>
{body}
<footer>{footer}</footer>
</main>
</body>
</html>
"""


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
