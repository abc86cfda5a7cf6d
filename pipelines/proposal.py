"""The proposal a pre-sales team hands a prospect: branded, one HTML file or a PDF.

`proposal_html(con, workspace, scenario, data_dir, prepared_for=...)` renders
`templates/proposal.html.j2` (Jinja2, autoescaped) with the MSP's brand
(pipelines/brand.py): the verdict and its caveats (the evidence checks), the offers side
by side with the recommended one (pipelines/metrics/offers.py), the cost of downtime and
of the problems that kept coming back, the SLA replay, and an appendix of definitions and
data quality. `write_proposal(path, html)` writes it like the report (atomically; a
`.pdf` is printed by the system Chromium).

Decisions where the issue is silent:

* "Prepared for" is `--prepared-for`, else the workspace's only client when it has one,
  else the workspace name.
* The verdict, its caveats and the cumulative-cost chart are those of the recommended
  offer (else the first offer): the proposal argues for the offer it names. Colours are
  the brand's; charts are drawn 690 px wide (A4 portrait less margins) and
  300 px high, so two fit a page with their text. Sections and tables keep whole
  (`break-inside: avoid`) and nothing forces a page break: no half-empty pages.
* Sections whose figures are absent (no `problems` or `sla` key in the metrics, no
  downtime) are left out rather than shown empty; their absence is listed in the
  appendix's data-quality notes.
* Money is shown in whole units of the invoices' currency (none shown when mixed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import plotly.graph_objects as go
import polars as pl
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from pipelines import __version__, charts, present, report, scrub, store, workspace
from pipelines import brand as branding
from pipelines import dashboard_data as data
from pipelines.metrics import Filters, metrics_json, spend
from pipelines.metrics.offers import compare_offers, offer_scenario, offers_of
from pipelines.scenario import Scenario

TEMPLATES = report.TEMPLATES  # one template directory: pipelines/templates/
CHART_HEIGHT = 300

DEFINITIONS = [
    ("Break-fix", ("Paying for IT support per incident: the provider's labour and other"
     " invoiced work (parts when included), plus the cost of downtime when a cost per"
     " user-hour is set.")),
    ("Managed contract", ("A fixed monthly fee (per user, per device and/or flat), an"
     " optional onboarding fee in the first month, and the share of downtime cost the"
     " service does not avoid.")),
    ("Spend window", ("The months from the first to the last month with spend data; every"
     " comparison in this proposal is over these months.")),
    ("Cumulative crossover", ("The first month whose running total of break-fix cost is"
     " above the managed contract's.")),
    ("Run-rate crossover", ("The first month from which 12 months of break-fix cost more"
     " than 12 months of the contract, to the end of the window.")),
    ("Break-even price", ("The price per user per month at which the contract would have"
     " cost exactly what break-fix did over the spend window, other terms unchanged.")),
    ("Downtime", ("Tickets with an outage duration, or else of an outage priority; hours"
     " from the outage duration, else from opened to resolved.")),
    ("Recurring outage", ("An outage of the same device (or category) within the recurrence"
     " window after an earlier one.")),
    ("Problems that kept coming back", ("Groups of three or more tickets whose titles"
     " describe the same problem.")),
    ("SLA replay", ("What the managed contract's service levels would have made of the past"
     " tickets: a ticket breaches when its business-hours time exceeds the target for its"
     " priority.")),
]


@dataclass(frozen=True)
class ProposalData:
    """Everything the proposal shows, read in one go."""

    workspace: str
    prepared_for: str
    brand: branding.Brand
    logo_uri: str | None
    metrics: dict[str, Any]
    offers: pl.DataFrame
    recommended: str | None
    chart_monthly: pl.DataFrame
    chart_crossover: str | None
    currency: str | None
    loads: pl.DataFrame
    rejected: int
    scrubbed: bool


def collect(con: duckdb.DuckDBPyConnection, workspace_name: str, scenario: Scenario,
            data_dir: str | Path | None, *, prepared_for: str | None = None,
            filters: Filters | None = None) -> ProposalData:
    """Read every figure the proposal needs."""
    filters = filters or Filters()
    brand = branding.load_brand(data_dir)
    offers = compare_offers(con, scenario, filters)
    best = next((r["offer"] for r in offers.iter_rows(named=True) if r["recommended"]), None)
    shown = next((o for o in offers_of(scenario) if o.name == best), offers_of(scenario)[0])
    # The verdict, its checks and the charts are those of the offer proposed.
    proposed = offer_scenario(scenario, shown)
    m = metrics_json(con, workspace_name, proposed, filters)
    cost = spend(con, proposed, filters)
    clients = data.clients(con)
    return ProposalData(
        workspace=workspace_name,
        prepared_for=(prepared_for or "").strip() or (clients[0] if len(clients) == 1
                                                      else workspace_name),
        brand=brand,
        logo_uri=branding.logo_data_uri(brand, data_dir),
        metrics=m,
        offers=offers,
        recommended=best,
        chart_monthly=cost.monthly,
        chart_crossover=cost.cumulative_crossover,
        currency=data.currency(con, filters),
        loads=store.load_history(con).sort("load_id"),
        rejected=int(store.scalar(con, "SELECT count(*) FROM rejects") or 0),
        scrubbed=scrub.enabled(con),
    )


# One Jinja2 environment (autoescaped, strict) for the report and the proposal.
_environment = report.environment
code_spans = report.page.code_spans


def _brand_colours(fig: go.Figure, b: branding.Brand) -> go.Figure:
    """The chart's managed-cost traces in the brand's colour."""
    for trace in fig.data:
        if getattr(trace, "name", None) == charts.LABELS["managed"]:
            if isinstance(trace, go.Scatter):
                trace.line.color = b.colour
            else:
                trace.marker.color = b.colour
    fig.update_layout(height=CHART_HEIGHT, margin={"l": 70, "r": 20, "t": 60, "b": 50})
    return fig


def html_from(p: ProposalData, layout: report.Layout = "print") -> str:
    """The proposal page for already collected figures."""
    cur = p.currency
    m = p.metrics
    chart = report.Charts(layout)
    month_frame = p.chart_monthly
    crossover = present.month_date(p.chart_crossover)
    cumulative = chart(_brand_colours(
        charts.cumulative_spend(month_frame, crossover, cur), p.brand), "cumulative_spend")
    offers_chart = chart(_brand_colours(charts.offer_comparison(report.escape_labels(p.offers, ("offer",)), cur), p.brand),
                         "offer_comparison")

    def money(v: Any, decimals: int = 0) -> str:
        return present.money(v, cur, decimals)

    offers = [{**r, "monthly_fee_text": money(r["monthly_fee"], 2),
               "managed_text": money(r["managed_total"]),
               "breakfix_text": money(r["breakfix_total"]),
               "saving_text": money(r["saving"]),
               "break_even_text": money(r["break_even_price_per_user"], 2)}
              for r in p.offers.iter_rows(named=True)]
    best = next((o for o in offers if o["recommended"]), None)
    sp = m.get("spend") or {}
    down = m.get("downtime") or {}
    problems = [{**g, "cost_text": money(g.get("cost"))} for g in (m.get("problems") or [])[:8]]
    sla = m.get("sla")
    notes = []
    if "problems" not in m:
        notes.append("Recurring problems are not computed by this version: section left out.")
    if not sla:
        notes.append("No SLA replay in the metrics: section left out.")
    html = _environment().get_template("proposal.html.j2").render(
        p=p, m=m, brand=p.brand, accent=p.brand.accent_colour, logo_uri=p.logo_uri,
        layout=layout, currency=cur, offers=offers, best=best, sp=sp, down=down,
        window=sp.get("window") or m.get("window") or {},
        checks=m.get("checks") or [], verdict_state=m.get("verdict_state"),
        verdict=m.get("verdict", ""), problems=problems, sla=sla, has_spend=p.chart_monthly.height > 0,
        problems_cost=any(g.get("cost") is not None for g in problems),
        sla_rows=_sla_rows(sla), sla_respond=_any_responded(_sla_rows(sla)), top_recurring=(down.get("top_recurring") or [])[:6],
        downtime_cost=money(sp.get("downtime_cost_total")),
        breakfix_total=money(sp.get("breakfix_total")),
        price=money(sp.get("break_even_price_per_user"), 2),
        cost_per_user_hour=money(m.get("scenario", {}).get("cost_per_user_hour"), 2),
        # Chart divs and plotly.js are ours (labels from user data are escaped by the
        # chart builders' callers); everything else is autoescaped.
        cumulative_chart=Markup(cumulative), offers_chart=Markup(offers_chart),
        definitions=DEFINITIONS, notes=notes, loads=list(p.loads.iter_rows(named=True)),
        version=__version__, plotlyjs=Markup(get_plotlyjs()),
    )
    return html


def _sla_rows(sla: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not sla:
        return []
    out = []
    for prio in ("P1", "P2", "P3", "P4", "P5"):
        respond = (sla.get("respond") or {}).get(prio) or {}
        resolve = (sla.get("resolve") or {}).get(prio) or {}
        if not respond.get("timed") and not resolve.get("timed"):
            continue
        out.append({"priority": prio, "respond": respond, "resolve": resolve})
    return out


def _any_responded(rows: list[dict[str, Any]]) -> bool:
    return any(r["respond"].get("timed") for r in rows)


def proposal_html(con: duckdb.DuckDBPyConnection, workspace_name: str, scenario: Scenario,
                  data_dir: str | Path | None, *, prepared_for: str | None = None,
                  filters: Filters | None = None, layout: report.Layout = "print") -> str:
    """The whole proposal as one self-contained HTML page."""
    return html_from(collect(con, workspace_name, scenario, data_dir,
                             prepared_for=prepared_for, filters=filters), layout)


def workspace_proposal_html(name: str, data_dir: str | Path | None, scenario: Scenario, *,
                            prepared_for: str | None = None, filters: Filters | None = None,
                            layout: report.Layout = "screen") -> str:
    """The proposal of workspace `name` on its own short connection (dashboard downloads)."""
    with workspace.connect(name, data_dir, create=False) as con:
        collected = collect(con, name, scenario, data_dir, prepared_for=prepared_for,
                            filters=filters)
    return html_from(collected, layout)


def write_proposal(path: str | Path, html_text: str) -> Path:
    """Write the proposal atomically: `.html` as is, `.pdf` printed by Chromium."""
    return report.write_report(path, html_text)
