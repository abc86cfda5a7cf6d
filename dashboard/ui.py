"""What every page shares: the rerun's context, cached figures, chart and error display.

The DuckDB connection lives for one rerun only: `app.py` opens it, sets the context, runs
the page, and closes it, so a `breakeven refresh` in another process can write between
reruns. Figures are cached by value (st.cache_data) per page, keyed by the workspace's data
version (newest load), the scenario settings the page's figures read and the filters -
never the connection itself.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from pipelines import dashboard_data as data
from pipelines import metrics, present
from pipelines.csv_export import csv_bytes
from pipelines.errors import BreakevenError, message_for
from pipelines.scenario import Scenario


@dataclass(frozen=True)
class Context:
    """One rerun's view: the data dir, the workspace (None when there is none yet), its
    connection, the scenario and filters in force, and the months and clients available."""

    data_dir: Path
    workspace: str | None
    con: duckdb.DuckDBPyConnection | None
    scenario: Scenario
    filters: data.Filters
    months: tuple[str, ...] = ()
    version: tuple[Any, ...] = ()


_CURRENT: contextvars.ContextVar[Context] = contextvars.ContextVar("breakeven_context")


def set_context(ctx: Context) -> contextvars.Token[Context]:
    return _CURRENT.set(ctx)


def reset_context(token: contextvars.Token[Context]) -> None:
    _CURRENT.reset(token)


def context() -> Context:
    """The current rerun's context (set by app.py before the page runs)."""
    return _CURRENT.get()


def require_data(ctx: Context) -> bool:
    """Show why there is nothing to chart, and return False, when the workspace is empty."""
    if ctx.workspace is None or ctx.con is None:
        st.info("No workspace yet. Create one in the sidebar, then load your ticket and invoice"
                " exports on the **Data** page.")
        return False
    if not ctx.months:
        st.info(f"Workspace **{ctx.workspace}** has no tickets or invoices yet. Load your"
                " exports on the **Data** page (or run `breakeven demo` for sample data).")
        return False
    return True


# --- cached figures -----------------------------------------------------------------------

def cache_key(data_dir: Path, name: str | None, version: tuple[Any, ...]) -> tuple[Any, ...]:
    """What identifies a workspace's data: any load by any process changes `version`."""
    return (str(data_dir), name, version)


def _key(ctx: Context) -> tuple[Any, ...]:
    return cache_key(ctx.data_dir, ctx.workspace, ctx.version)


# The metric families each page shows, in groups that are computed together (one set of
# facts) and cached by the scenario settings they read (`metrics.scenario_keys`, from each
# family module's SCENARIO_KEYS): changing the price recomputes the spend group, not time to
# resolve or the checks, and a group two pages show is computed once for both. `True`: with
# the detail of the page (TTR by category, downtime per day, service quantiles per priority,
# a problem's tickets).
CHECKS = (("checks",), False)
PAGE_FAMILIES: dict[str, tuple[tuple[tuple[str, ...], bool], ...]] = {
    "overview": ((("incidents", "ttr", "downtime"), False),
                 (("spend", "forecast", "confidence"), False), CHECKS),
    "spend": ((("spend", "predictability", "forecast", "sensitivity"), False), CHECKS),
    "downtime": ((("downtime",), True), CHECKS),
    "time_to_resolve": ((("incidents", "ttr"), True), CHECKS),
    "service_levels": ((("service",), True),),
    "problems": ((("problems", "assets"), True),),
}


def settings(families: tuple[str, ...], scenario: Scenario) -> tuple[Any, ...]:
    """The values of the scenario settings the figures of `families` depend on."""
    return tuple(getattr(scenario, k) for k in metrics.scenario_keys(families))


class _SharedFacts:
    """The per-incident facts of one rerun: built by the first group that misses the
    cache, then shared by the page's other groups (a filter change misses them all; one
    window and stored-months check instead of one per group)."""

    def __init__(self, ctx: Context, stack: contextlib.ExitStack) -> None:
        self._ctx, self._stack = ctx, stack
        self._built = False
        self._facts: metrics.Facts | None = None

    def get(self) -> metrics.Facts | None:
        if not self._built:
            assert self._ctx.con is not None
            self._facts = self._stack.enter_context(
                metrics.prepared(self._ctx.con, self._ctx.scenario, self._ctx.filters))
            self._built = True
        return self._facts


@st.cache_data(max_entries=128, show_spinner=False)
def _figures(key: tuple[Any, ...], families: tuple[str, ...], detail: bool,
             values: tuple[Any, ...], filters: data.Filters, _scenario: Scenario,
             _con: duckdb.DuckDBPyConnection, _facts: _SharedFacts) -> metrics.Figures:
    return metrics.compute(_con, key[1], _scenario, filters, families, detail=detail,
                           facts=_facts.get())


@st.cache_data(max_entries=64, show_spinner=False)
def months_and_clients(key: tuple[Any, ...], timezone: str, _scenario: Scenario,
                       _con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[str]]:
    """The months and clients the filters offer, for `key` = (data dir, workspace, version)."""
    return data.months_available(_con, _scenario), data.clients(_con)


@st.cache_data(max_entries=64, show_spinner=False)
def _currency(key: tuple[Any, ...], filters: data.Filters,
              _con: duckdb.DuckDBPyConnection) -> str | None:
    return data.currency(_con, filters)


def figures(ctx: Context, page: str) -> data.Summary:
    """The figures of `page` (a key of PAGE_FAMILIES) for the current workspace, scenario
    and filters; each group cached by the data version, the settings it reads and the
    filters."""
    assert ctx.con is not None
    with contextlib.ExitStack() as stack:
        shared = _SharedFacts(ctx, stack)
        parts = [_figures(_key(ctx), families, detail, settings(families, ctx.scenario),
                          ctx.filters, ctx.scenario, ctx.con, shared)
                 for families, detail in PAGE_FAMILIES[page]]
    # The scenario in force: a cached group may have been computed under another value of
    # a setting it does not read.
    return data.Summary.of(dataclasses.replace(metrics.merged(parts), scenario=ctx.scenario))


def currency(ctx: Context) -> str | None:
    """The invoices' currency under the filters (None when mixed or unknown)."""
    assert ctx.con is not None
    return _currency(_key(ctx), ctx.filters, ctx.con)


# --- display -------------------------------------------------------------------------------

def show_chart(fig: go.Figure, frame: pl.DataFrame, key: str) -> None:
    """A chart with a download of the data it plots (CSV, formula-like text neutralised)."""
    st.plotly_chart(fig, key=f"chart_{key}", config={"displaylogo": False})
    st.download_button(
        "Download this chart's data (CSV)", csv_bytes(frame), file_name=f"{key}.csv",
        mime="text/csv", key=f"csv_{key}", icon=":material/download:", on_click="ignore")


# What a table cell without a figure says (Streamlit's own default is a grey "None").
NO_DATA = "no data"


def show_table(frame: pl.DataFrame, key: str, **kwargs: Any) -> None:
    """A table with a download of its rows (CSV, formula-like text neutralised); a missing
    figure reads "no data"."""
    st.dataframe(frame, key=f"table_{key}", hide_index=True, placeholder=NO_DATA, **kwargs)
    st.download_button(
        "Download this table (CSV)", csv_bytes(frame), file_name=f"{key}.csv", mime="text/csv",
        key=f"csv_{key}", icon=":material/download:", on_click="ignore")


# The page that explains each topic of an evidence check (pipelines.metrics.checks.TOPICS).
TOPIC_PAGES = {"spend": ("views/spend.py", "Spend"), "downtime": ("views/downtime.py", "Downtime"),
               "time_to_resolve": ("views/time_to_resolve.py", "Time to resolve"),
               "data": ("views/data.py", "Data")}


# What to do about a check, worded for the dashboard. The core's messages end with the
# command-line fix (`breakeven ...`, `--map FIELD=HEADER`); on a page the user needs the
# widget instead. Per check id: (a regex matching the command-line part, the page's words).
# A message the pattern does not match is shown as the core wrote it.
_MAPPING = "under *Column mapping* on the **Data** page"
PAGE_FIXES: dict[str, tuple[tuple[str, str], ...]] = {
    "no_spend": (
        (r" \(`breakeven ingest [^`]*`, or the dashboard's Data page\)",
         " on the **Data** page"),
        (r" \(map it with `--map labour_hours=HEADER` or `--map billed_amount=HEADER`\)",
         f" (choose that column for *labour hours* or *billed amount* {_MAPPING})"),
        (r" \(--from/--to, --client, or the dashboard's filters\)",
         " with the **Months** and **Client** filters in the sidebar"),
    ),
    "short_window": ((r"widen --from/--to \(the dashboard's Months filter\)",
                      "widen the **Months** filter in the sidebar"),),
    "tickets_outside_spend": (
        ((r" Load invoices for those months, or look at the spend months only: `[^`]*`"
          r" \(the dashboard's Months filter\)\."),
         (" Load invoices for those months on the **Data** page, or look at the spend months"
          " only: narrow the **Months** filter in the sidebar to them.")),),
    "spend_gaps": ((r" \(`breakeven ingest [^`]*`\)\.", " on the **Data** page."),),
    "dominant_lines": (
        ((r" leave it out: `[^`]*`, or the Exclude button under the largest lines on the"
          r" dashboard's Spend page\."),
         (" leave it out: select it under **Largest break-fix lines** on the **Spend** page"
          " and click **Exclude from break-fix spend**.")),),
    "category_recurrence": (
        (r" \(`--map asset=HEADER`, or the mapping on the dashboard's Data page\)",
         f" (choose that column for *asset* {_MAPPING})"),),
    "import_timestamps": ((r" \(`--map opened_at=HEADER`\)",
                           f" (choose that column for *opened at* {_MAPPING})"),),
    "zero_durations": ((r" \(`--map resolved_at=HEADER`\)",
                        f" (choose that column for *resolved at* {_MAPPING})"),),
}


def page_message(check: dict[str, Any]) -> str:
    """A check's message with its command-line fix replaced by what to do on the page."""
    text = str(check["message"])
    for pattern, words in PAGE_FIXES.get(str(check["id"]), ()):
        text = re.sub(pattern, words.replace("\\", "\\\\"), text)
    return text


def show_checks(checks: list[dict[str, Any]], *, link: bool = True) -> None:
    """Each check as a warning (or an error for a block), with a link to the page that
    explains it unless that is the page shown (`link=False`)."""
    for c in checks:
        box = st.error if c["level"] == "block" else st.warning
        box(page_message(c), icon=":material/block:" if c["level"] == "block"
            else ":material/warning:")
        page, title = TOPIC_PAGES.get(c.get("topic", "data"), TOPIC_PAGES["data"])
        if link:
            st.page_link(page, label=f"More on the {title} page", icon=":material/arrow_forward:")


def show_topic_checks(s: data.Summary, topic: str) -> None:
    """The evidence checks this page explains (those whose topic it is), without links."""
    show_checks(s.topic_checks(topic), link=False)


def show_error(exc: BreakevenError) -> None:
    """A BreakevenError without a traceback, its advice worded for the dashboard."""
    st.error(message_for(exc, "dashboard"), icon=":material/error:")


def money(value: float | None, currency: str | None, decimals: int = 0) -> str:
    """1234.5 -> 'GBP 1,235' (or '1,235' when the currency is unknown); None -> 'n/a'.

    Short enough for a headline tile at 1400 px (up to 4 tiles a row): from a million on,
    in millions with one decimal ('GBP 44.8M'); from 100,000 on, without decimals.
    """
    if value is not None and abs(value) >= 1_000_000:
        return present.money(value / 1_000_000, currency, 1) + "M"
    if value is not None and abs(value) >= 100_000:
        decimals = 0
    return present.money(value, currency, decimals)


def hours(value: float | None) -> str:
    """12.345 -> '12.3 h', 134045.0 -> '134,045 h' (tile-sized); None -> 'n/a'."""
    if value is not None and abs(value) >= 10_000:
        return f"{value:,.0f} h"
    return present.hours(value)


def month_label(month: Any) -> str:
    """date(2024, 3, 1) or '2024-03' -> 'Mar 2024'; None -> 'never'."""
    return present.month(month)

