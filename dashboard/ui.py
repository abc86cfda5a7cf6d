"""What every page shares: the rerun's context, cached figures, chart and error display.

The DuckDB connection lives for one rerun only: `app.py` opens it, sets the context, runs
the page, and closes it, so a `breakeven refresh` in another process can write between
reruns. Figures are cached by value (st.cache_data), keyed by the workspace's data version
(newest load), the scenario and the filters - never the connection itself.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from pipelines import dashboard_data as data
from pipelines import present
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


@st.cache_data(max_entries=64, show_spinner=False)
def _summary(key: tuple[Any, ...], scenario: Scenario, filters: data.Filters,
             _con: duckdb.DuckDBPyConnection) -> data.Summary:
    return data.summary(_con, key[1], scenario, filters)


@st.cache_data(max_entries=64, show_spinner=False)
def _ttr_view(key: tuple[Any, ...], timezone: str, filters: data.Filters,
              _scenario: Scenario, _con: duckdb.DuckDBPyConnection) -> data.TTRView:
    return data.ttr_view(_con, _scenario, filters)


@st.cache_data(max_entries=64, show_spinner=False)
def _downtime_view(key: tuple[Any, ...], timezone: str, outage_priorities: tuple[str, ...],
                   recurrence_days: int, filters: data.Filters, _scenario: Scenario,
                   _con: duckdb.DuckDBPyConnection) -> data.DowntimeView:
    return data.downtime_view(_con, _scenario, filters)


@st.cache_data(max_entries=64, show_spinner=False)
def _service_view(key: tuple[Any, ...], settings: tuple[Any, ...], filters: data.Filters,
                  _scenario: Scenario, _con: duckdb.DuckDBPyConnection) -> Any:
    return data.service_view(_con, _scenario, filters)


@st.cache_data(max_entries=64, show_spinner=False)
def months_and_clients(key: tuple[Any, ...], timezone: str, _scenario: Scenario,
                       _con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[str]]:
    """The months and clients the filters offer, for `key` = (data dir, workspace, version)."""
    return data.months_available(_con, _scenario), data.clients(_con)


def summary(ctx: Context) -> data.Summary:
    """Every figure of the current workspace, scenario and filters."""
    assert ctx.con is not None
    return _summary(_key(ctx), ctx.scenario, ctx.filters, ctx.con)


def ttr_view(ctx: Context) -> data.TTRView:
    """The time-to-resolve figures; cached by the settings they depend on (not the price)."""
    assert ctx.con is not None
    return _ttr_view(_key(ctx), ctx.scenario.timezone, ctx.filters, ctx.scenario, ctx.con)


def service_view(ctx: Context) -> Any:
    """Response, business-time TTR and the SLA replay (a metrics.ServiceResult); cached by
    the settings they depend on: zone, business hours, holidays, SLA targets."""
    assert ctx.con is not None
    sc = ctx.scenario
    settings = (sc.timezone, sc.business_hours, sc.holidays, sc.sla_respond_hours,
                sc.sla_resolve_hours)
    return _service_view(_key(ctx), settings, ctx.filters, sc, ctx.con)


def downtime_view(ctx: Context) -> data.DowntimeView:
    """The downtime figures; cached by the settings they depend on (not the price)."""
    assert ctx.con is not None
    sc = ctx.scenario
    return _downtime_view(_key(ctx), sc.timezone, sc.outage_priorities, sc.recurrence_days,
                          ctx.filters, sc, ctx.con)


# --- display -------------------------------------------------------------------------------

def show_chart(fig: go.Figure, frame: pl.DataFrame, key: str) -> None:
    """A chart with a download of the data it plots (CSV, formula-like text neutralised)."""
    st.plotly_chart(fig, key=f"chart_{key}", config={"displaylogo": False})
    st.download_button(
        "Download this chart's data (CSV)", csv_bytes(frame), file_name=f"{key}.csv",
        mime="text/csv", key=f"csv_{key}", icon=":material/download:", on_click="ignore")


def show_table(frame: pl.DataFrame, key: str, **kwargs: Any) -> None:
    """A table with a download of its rows (CSV, formula-like text neutralised)."""
    st.dataframe(frame, key=f"table_{key}", hide_index=True, **kwargs)
    st.download_button(
        "Download this table (CSV)", csv_bytes(frame), file_name=f"{key}.csv", mime="text/csv",
        key=f"csv_{key}", icon=":material/download:", on_click="ignore")


# The page that explains each topic of an evidence check (pipelines.metrics.checks.TOPICS).
TOPIC_PAGES = {"spend": ("views/spend.py", "Spend"), "downtime": ("views/downtime.py", "Downtime"),
               "time_to_resolve": ("views/time_to_resolve.py", "Time to resolve"),
               "data": ("views/data.py", "Data")}


def show_checks(checks: list[dict[str, Any]], *, link: bool = True) -> None:
    """Each check as a warning (or an error for a block), with a link to the page that
    explains it unless that is the page shown (`link=False`)."""
    for c in checks:
        box = st.error if c["level"] == "block" else st.warning
        box(c["message"], icon=":material/block:" if c["level"] == "block"
            else ":material/warning:")
        page, title = TOPIC_PAGES.get(c.get("topic", "data"), TOPIC_PAGES["data"])
        if link:
            st.page_link(page, label=f"More on the {title} page", icon=":material/arrow_forward:")


def show_topic_checks(ctx: Context, topic: str) -> None:
    """The evidence checks this page explains (those whose topic it is), without links."""
    show_checks([c for c in summary(ctx).checks if c["topic"] == topic], link=False)


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

