"""breakeven's dashboard: `streamlit run dashboard/app.py` (or `breakeven serve` / `demo`).

Each rerun opens the workspace for its reads and closes it at the end of the run, so a
`breakeven refresh` in another process can write between reruns. The data directory is
`$BREAKEVEN_DATA_DIR` (set by `breakeven serve --data-dir`).
"""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run` puts this folder on sys.path, not its parent: make the app import the
# `dashboard` and `pipelines` it ships with, whatever else is installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import streamlit as st

from dashboard import sidebar, ui
from pipelines import dashboard_data as data
from pipelines import workspace
from pipelines.errors import BreakevenError
from pipelines.scenario import Scenario

HERE = Path(__file__).parent

st.set_page_config(page_title="breakeven", page_icon="⚖️", layout="wide")  # an emoji: no icon font fetched

PAGES = [
    st.Page(HERE / "views" / "overview.py", title="Overview", icon=":material/balance:",
            url_path="overview", default=True),
    st.Page(HERE / "views" / "spend.py", title="Spend", icon=":material/payments:",
            url_path="spend"),
    st.Page(HERE / "views" / "downtime.py", title="Downtime", icon=":material/power_off:",
            url_path="downtime"),
    st.Page(HERE / "views" / "time_to_resolve.py", title="Time to resolve",
            icon=":material/timer:", url_path="time-to-resolve"),
    st.Page(HERE / "views" / "service_levels.py", title="Service levels",
            icon=":material/support_agent:", url_path="service-levels"),
    st.Page(HERE / "views" / "problems.py", title="Problems", icon=":material/repeat:",
            url_path="problems"),
    st.Page(HERE / "views" / "data.py", title="Data", icon=":material/upload_file:",
            url_path="data"),
    st.Page(HERE / "views" / "portfolio.py", title="Portfolio", icon=":material/folder_shared:",
            url_path="portfolio"),
]
page = st.navigation(PAGES)


def run() -> None:
    data_dir = workspace.default_data_dir()
    deleted = st.session_state.pop("_deleted", None)
    if deleted:
        st.toast(f"Deleted workspace {deleted}")
    name = sidebar.pick_workspace(data_dir)
    if name is None:
        token = ui.set_context(ui.Context(data_dir, None, None, Scenario(), data.Filters()))
        try:
            page.run()
        finally:
            ui.reset_context(token)
        return
    with workspace.connect(name, data_dir, wait_seconds=10) as con:
        filter_box = st.sidebar.container()  # shown above the scenario, filled after it
        scenario = sidebar.scenario_editor(con, name)
        version = data.data_version(con)
        months, clients = ui.months_and_clients(ui.cache_key(data_dir, name, version),
                                                scenario.timezone, scenario, con)
        filters = sidebar.filters(months, clients, name, filter_box)
        ctx = ui.Context(data_dir, name, con, scenario, filters, tuple(months), version)
        token = ui.set_context(ctx)
        try:
            page.run()
        finally:
            ui.reset_context(token)


try:
    run()
except BreakevenError as exc:
    ui.show_error(exc)
    if page.url_path == "portfolio":  # the portfolio lists the damaged one: still show it
        _token = ui.set_context(ui.Context(workspace.default_data_dir(), None, None, Scenario(),
                                           data.Filters()))
        try:
            page.run()
        finally:
            ui.reset_context(_token)
