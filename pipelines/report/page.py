"""The report page: collected figures -> the words, tables and charts of each section,
rendered by `templates/report.html.j2` (Jinja2, autoescaped; CSS in `templates/report.css`).

Nothing here writes HTML: each `_section` function returns plain values (texts, table rows,
chart divs) and the template lays them out and escapes every text. Chart divs are the one
piece of markup passed through as is: plotly.io writes them, and labels built from user
data are entity-escaped first (`escape_labels`: plotly.js reads a small HTML subset in
labels and turns `&lt;` back into `<`).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any, Literal

import jinja2
import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
from markupsafe import Markup, escape
from plotly.offline import get_plotlyjs

from pipelines import __version__, charts, present
from pipelines import dashboard_data as data
from pipelines.metrics import forecast as outlook
from pipelines.metrics import sensitivity
from pipelines.report.collect import SPEND_SOURCES, ReportData

Layout = Literal["screen", "print"]
PRINT_WIDTH_PX = 690  # A4 portrait (210 mm) less 2 x 12 mm margins is ~703 CSS px
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@cache
def environment() -> jinja2.Environment:
    """The one Jinja2 environment of the report and the proposal: autoescaped, strict."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["month"] = present.month
    env.filters["hours"] = present.hours
    env.filters["count"] = lambda n: "n/a" if n is None else f"{int(n):,}"
    env.filters["pct"] = lambda v: "n/a" if v is None else f"{float(v):.0f}%"
    env.filters["code_spans"] = code_spans
    return env


def code_spans(text: str) -> Markup:
    """A check message (written for Markdown) with its `commands` as <code>, escaped."""
    parts = str(escape(text)).split("`")
    return Markup("".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts)))


def escape_labels(frame: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """User text for chart labels, entity-escaped (plotly.js turns `&lt;` back into `<`)."""
    return frame.with_columns(
        pl.col(c).map_elements(html.escape, return_dtype=pl.String) for c in columns
        if c in frame.columns
    )


class Charts:
    """Turns figures into chart divs with numbered ids; plotly.js is in the page head once."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.count = 0

    def __call__(self, fig: go.Figure, name: str) -> Markup:
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
        return Markup(environment().get_template("chart.html.j2").render(name=name,
                                                                          div=Markup(div)))


def html_from(r: ReportData, layout: Layout = "screen") -> str:
    """The report page for already collected figures."""
    chart = Charts(layout)
    s = r.summary
    sections: list[dict[str, Any]] = []
    if not s.empty:
        sections = [x for x in (
            _spend_section(r, chart), _outlook_section(r, chart), _downtime_section(r, chart),
            _problems_section(r), _ttr_section(r, chart), _service_section(r, chart),
        ) if x is not None]
    title = f"IT support: break-fix or managed? {r.workspace}"
    return environment().get_template("report.html.j2").render(
        title=title, layout=layout, css=Markup(_css()), plotlyjs=Markup(get_plotlyjs()),
        subtitle=" · ".join(_subtitle(r)), empty=s.empty, verdict=s.verdict,
        checks=s.blocks + s.warnings, cards=[] if s.empty else _cards(r), sections=sections,
        scenario=_scenario_section(r), quality=_quality_section(r),
        footer=(f"Made by breakeven {__version__} from the workspace {r.workspace}."
                " Figures follow the definitions in the Scenario and assumptions section."),
    )


@cache
def _css() -> str:
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


def _table(headers: list[str], rows: list[list[Any]],
           numeric: tuple[int, ...] = ()) -> dict[str, Any]:
    return {"headers": headers, "rows": rows, "numeric": numeric}


def _subtitle(r: ReportData) -> list[str]:
    w = r.summary.raw.get("window") or {}
    parts = []
    if w.get("start"):
        parts.append(f"{present.month(w['start'])} to {present.month(w['end'])}")
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
    return parts


def _cards(r: ReportData) -> list[tuple[str, str, str]]:
    """The headline figures: (label, value, note)."""
    s, cur = r.summary, r.summary.currency
    ttm = s.last_ttm or {}
    share = s.recurring_share
    priced = s.spend.get("source") is not None  # without spend data no month is "never"
    money = present.money
    hours = present.hours
    return [
        ("Break-even price per user", money(s.spend["break_even_price_per_user"], cur, 2),
         "per user per month; a contract below it would have cost less"),
        ("Cumulative crossover", present.month(s.cumulative_crossover) if priced else "n/a",
         "first month total break-fix passed the contract's total"),
        ("Run-rate crossover", present.month(s.run_rate_crossover) if priced else "n/a",
         "from then on, 12 months of break-fix cost more than 12 of the contract"),
        ("Break-fix vs managed, total", money(s.spend["breakfix_total"], cur),
         f"{money(s.spend['managed_total'], cur)} managed"),
        ("Break-fix, last 12 months", money(ttm.get("ttm_breakfix"), cur),
         f"to {present.month(ttm.get('month'))}"),
        ("Managed contract, last 12 months", money(ttm.get("ttm_managed"), cur),
         f"{money(s.spend['monthly_fee'], cur)} a month"),
        ("Tickets", f"{s.incidents['total']:,}",
         (f"{s.incidents['open']:,} open; {s.incidents['warnings']:,}"
         f" {present.RESOLVED_BEFORE_OPENED}")),
        ("Median time to resolve", hours(s.ttr["median_hours"]),
         f"90th percentile {hours(s.ttr['p90_hours'])}"),
        ("Downtime", hours(s.downtime["hours"]),
         f"{s.downtime['incidents']:,} outages"
         + ("" if share is None else f", {share:.0%} of hours recurring")),
    ]


def _section(id_: str, title: str, **parts: Any) -> dict[str, Any]:
    """One section: `blocks` is the ordered list of (kind, value) the template shows."""
    return {"id": id_, "title": title, "blocks": parts.get("blocks", [])}


def _spend_section(r: ReportData, chart: Charts) -> dict[str, Any]:
    s, cur, m = r.summary, r.summary.currency, r.summary.spend_monthly
    title = "Spend: break-fix against the managed contract"
    if s.spend["source"] is None:
        return _section("spend", title, blocks=[("caption", ("No spend data: no invoices, and no"
                                                 " ticket has a billed amount or time worked."))])
    source = SPEND_SOURCES.get(s.spend["source"], s.spend["source"])
    sw = s.spend.get("window") or {}
    note = (f"Break-fix spend from {source}, compared over"
            f" {present.months_span(sw.get('start'), sw.get('end'))} (the months the spend"
            " data covers).")
    if not cur:
        note += " Amounts are shown without a currency (invoices use several, or none is given)."
    return _section("spend", title, blocks=[
        ("caption", note),
        ("chart", chart(charts.cumulative_spend(m, s.cumulative_crossover, cur,
                                                s.forecast_months), "cumulative_spend")),
        ("chart", chart(charts.monthly_spend(m, cur), "monthly_spend")),
        ("chart", chart(charts.trailing_spend(m, s.run_rate_crossover, cur), "trailing_spend")),
    ])


def _outlook_section(r: ReportData, chart: Charts) -> dict[str, Any] | None:
    """The next 12 months in words, how firm the verdict is, and what moves it."""
    s, cur = r.summary, r.summary.currency
    if s.spend["source"] is None:
        return None
    ahead = s.raw.get("forecast") or {}
    firm = outlook.confidence_text(s.raw.get("confidence"), cur)
    frame = r.sensitivity if r.sensitivity is not None else pl.DataFrame()
    table = sensitivity.sensitivity_table(frame, cur) if not frame.is_empty() else None
    forward = outlook.forward_look(ahead.get("p_breakfix_dearer_12m"), r.scenario.per_user,
                                   r.scenario.users, s.spend["monthly_fee"], cur)
    blocks: list[tuple[str, Any]] = [("text", forward)]
    if firm:
        blocks.append(("caption", firm))
    if ahead.get("months"):
        blocks.append(("caption", (f"Forecast method: {ahead.get('method') or ''}; the shaded"
                                  " band on the cumulative chart above is its 80% range.")))
    if table is not None:
        blocks += [
            ("chart", chart(charts.sensitivity_tornado(frame, cur,
                                                       sensitivity.row_labels(frame, cur)),
                            "sensitivity_tornado")),
            ("caption", sensitivity.NOTE),
            ("table", _table(table.columns, [list(row) for row in table.iter_rows()])),
        ]
    return _section("outlook", "The next 12 months, and how sure the verdict is", blocks=blocks)


def _downtime_section(r: ReportData, chart: Charts) -> dict[str, Any]:
    s, sc = r.summary, r.scenario
    prios = ", ".join(sc.outage_priorities) or "none"
    top = escape_labels(s.top_recurring, ("client", "key"))
    open_outages = s.downtime["open_outages"]
    note = (f"An outage is a ticket with an outage duration, or else of priority {prios}; it"
            f" recurs when the same asset (or category) was down within {sc.recurrence_days}"
            f" days before. {open_outages:,} {'outage is' if open_outages == 1 else 'outages are'}"
            " still open (no hours counted yet).")
    return _section("downtime", "Downtime", blocks=[
        ("caption", note),
        ("chart", chart(charts.monthly_downtime(s.downtime_monthly), "monthly_downtime")),
        ("chart", chart(charts.top_recurring(top), "top_recurring")),
        ("chart", chart(charts.downtime_calendar(r.downtime_by_day), "downtime_calendar")),
    ])


def _problems_section(r: ReportData) -> dict[str, Any]:
    """Problems that kept coming back: the pre-sales sentence and the top groups' cost."""
    from pipelines.metrics.problems import TOP, sentence

    groups = r.summary.raw.get("problems") or []
    cur = r.summary.currency
    rows = [[g["label"], f"{g['incidents']:,}", f"{g['clients']:,}", f"{g['assets']:,}",
             f"{present.month(g['first'])} – {present.month(g['last'])}",
             present.hours(g["ttr_hours"]), present.money(g["cost"], cur)] for g in groups[:10]]
    text = sentence(len(groups), [g["cost"] for g in groups], cur, at_least=len(groups) >= TOP,
                    titled=r.summary.problems.titled)
    note = ("Tickets whose titles describe the same problem (reply prefixes, ids, names and"
            " numbers set aside); cost is each ticket's billed amount, else its labour hours at"
            f" the scenario's hourly rate. The {min(10, len(groups))} with the most tickets:")
    blocks: list[tuple[str, Any]] = [("strong", text)]
    if groups:
        blocks += [("caption", note), ("table", _table(
            ["Problem", "Tickets", "Clients", "Assets", "First – last", "Time to resolve",
             "Cost"], rows, numeric=(1, 2, 3, 5, 6)))]
    return _section("problems", "Problems that kept coming back", blocks=blocks)


def _ttr_section(r: ReportData, chart: Charts) -> dict[str, Any]:
    s = r.summary
    t = s.ttr
    hours = present.hours
    note = (f"Hours from opened to resolved (else closed), {t['count']:,} tickets timed: median"
            f" {hours(t['median_hours'])}, 90th percentile {hours(t['p90_hours'])}, mean"
            f" {hours(t['mean_hours'])}. Open tickets are counted, not timed; tickets resolved"
            " before they were opened are left out.")
    cats = r.ttr_by_category.head(15)
    rows = [[c if c is not None else "(no category)", f"{n:,}", hours(mean), hours(med),
             hours(p90)]
            for c, n, mean, med, p90 in cats.select(
                "category", "count", "mean_hours", "median_hours", "p90_hours").iter_rows()]
    more = r.ttr_by_category.height - cats.height
    return _section("time-to-resolve", "Time to resolve", blocks=[
        ("caption", note),
        ("chart", chart(charts.monthly_ttr(s.ttr_monthly), "monthly_ttr")),
        ("chart", chart(charts.ttr_by_priority(s.ttr_by_priority), "ttr_by_priority")),
        ("keep", {"title": "By category",
                  "table": _table(["Category", "Tickets timed", "Mean", "Median",
                                   "90th percentile"], rows, numeric=(1, 2, 3, 4)),
                  "caption": f"and {more:,} more categories." if more > 0 else ""}),
    ])


def _predictability_blocks(r: ReportData, chart: Charts) -> list[tuple[str, Any]]:
    """Cost predictability (METRICS.md section 9): the sentence and its chart."""
    from pipelines.metrics.predictability import cv_in_words

    s, cur = r.summary, r.summary.currency
    p = s.raw.get("predictability") or {}
    if not p.get("months"):
        return []
    money = present.money
    surprise = (f" The largest surprise was {present.month(p['largest_surprise_month'])},"
                f" {money(p['largest_surprise_amount'], cur)} above the average of the"
                " months before it." if p.get("largest_surprise_month") else "")
    text = (f"Over {present.count(p['months'], 'month')}, break-fix averaged"
            f" {money(p['mean'], cur)} a month: {cv_in_words(p['cv'])}. The worst month,"
            f" {present.month(p['worst_month'])}, cost {money(p['worst_amount'], cur)};"
            f" {p['months_above_fee']} of {p['months']} months cost more than the flat"
            f" managed fee of {money(s.spend['monthly_fee'], cur)}.{surprise}")
    return [("strong", text), ("chart", chart(charts.predictability(
        s.spend_monthly, s.spend["monthly_fee"], data.month_date(p["worst_month"]),
        data.month_date(p["largest_surprise_month"]), cur), "predictability"))]


def _service_section(r: ReportData, chart: Charts) -> dict[str, Any]:
    """Cost predictability (section 9) and service levels with the SLA replay (section 10)."""
    sc, v = r.scenario, r.service
    blocks = _predictability_blocks(r, chart)
    if v is not None:
        hours = present.hours
        resp, tb = v.response, v.ttr_business
        hol = f", {present.count(len(sc.holidays), 'holiday')} off" if sc.holidays else ""
        note = (f"Business hours {sc.business_hours} ({v.weekly_business_hours:g} h a week{hol})"
                f" in {sc.timezone}. Resolution in business hours: median"
                f" {hours(tb['median_hours'])}, 90th percentile {hours(tb['p90_hours'])}"
                f" over {tb['count']:,} tickets. ")
        note += (f"First response: median {hours(resp['median_hours'])}, 90th percentile"
                 f" {hours(resp['p90_hours'])} over {resp['count']:,} tickets (calendar hours)."
                 if resp["count"] else "The exports carry no first-response time.")
        pooled = v.resolve_breach_pct
        note += (" Under the managed SLA's resolve targets, "
                 + (f"{pooled:.1f}% of the tickets with a priority would have breached."
                    if pooled is not None else "no ticket with a priority was timed."))
        blocks.append(("caption", note))
        if resp["count"]:
            blocks.append(("chart", chart(charts.service_by_priority(v.by_priority, "response"),
                                          "service_response")))
        blocks += [
            ("chart", chart(charts.service_by_priority(v.by_priority, "resolution"),
                            "service_resolution")),
            ("chart", chart(charts.sla_breaches(v.by_priority), "sla_by_priority")),
            ("chart", chart(charts.sla_breach_trend(v.monthly), "sla_monthly")),
        ]
    return _section("service-levels", "Predictability and service levels", blocks=blocks)


ASSUMPTIONS = [
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


def _scenario_section(r: ReportData) -> dict[str, Any]:
    cur = r.summary.currency
    rows = [[present.SCENARIO_LABELS.get(k, k), present.setting(k, v, cur), k]
            for k, v in r.scenario.to_dict().items()]
    fee = (f"The managed contract costs {present.money(r.scenario.monthly_fee, cur, 2)} a month"
           " (price per user times users, plus price per device times devices, plus the flat"
           " fee), and the onboarding fee once, in the first month.")
    return {"table": _table(["Setting", "Value", "Key"], rows), "assumptions": [fee, *ASSUMPTIONS]}


def _quality_section(r: ReportData) -> dict[str, Any]:
    loads = r.loads
    total = {k: int(loads[k].sum()) if loads.height else 0
             for k in ("rows_read", "rows_loaded", "rows_rejected")}
    rows = [[row["load_id"], row["file_name"], row["kind"], row["format"],
             f"{row['rows_read']:,}", f"{row['rows_loaded']:,}", f"{row['rows_rejected']:,}",
             f"{row['finished_at']:%Y-%m-%d %H:%M}"]
            for row in loads.iter_rows(named=True)]
    reasons = [[row["reason"], f"{row['rows']:,}", row["example"]]
               for row in r.reject_reasons.iter_rows(named=True)]
    return {
        "files": present.count(len(rows), "file"), **total, "workspace": r.workspace,
        "loads": _table(["Load", "File", "Holds", "Format", "Rows read", "Loaded", "Rejected",
                         "Loaded at (UTC)"], rows, numeric=(0, 4, 5, 6)),
        "reasons": _table(["Reason", "Rows", "First example"], reasons, numeric=(1,)),
        "warnings": _warnings(r),
    }


def _warnings(r: ReportData) -> list[str]:
    s = r.summary
    out = [f"{'No verdict' if c['level'] == 'block' else 'Caveat'} ({c['id']}): {c['message']}"
           for c in s.blocks + s.warnings]
    if not s.empty:
        inc = s.incidents
        if inc.get("warnings"):
            n = inc["warnings"]
            out.append(f"{n:,} {'ticket was' if n == 1 else 'tickets were'} resolved before"
                       " they were opened:"
                       " they count as tickets but are left out of time to resolve.")
        if inc.get("open"):
            n = inc["open"]
            out.append(f"{n:,} {'ticket is' if n == 1 else 'tickets are'} still open: counted,"
                       " not timed.")
        if s.downtime.get("open_outages"):
            out.append("1 outage is still open and adds no downtime hours yet."
                       if s.downtime["open_outages"] == 1
                       else f"{s.downtime['open_outages']:,} outages are still open and add no"
                       " downtime hours yet.")
        if s.currency is None and s.spend.get("source") == "invoices":
            out.append("Invoices are in several currencies, or none is given: amounts are added"
                       " up as they are, without conversion.")
    for row in r.loads.iter_rows(named=True):
        if row["message"]:
            out.append(f"{row['file_name']} (load {row['load_id']}): {row['message']}")
    return out
