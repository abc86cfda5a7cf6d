"""The sidebar: workspace picker (create, switch, delete), filters, and the scenario editor.

Widget keys are stable (tests drive them): `workspace`, `ws_new_name`, `ws_create`,
`ws_delete_confirm`, `ws_delete_yes`, `month_range`, `client`, and
`sc_<scenario key>` for every scenario setting shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import streamlit as st

from dashboard import ui
from pipelines import dashboard_data as data
from pipelines import present, workspace
from pipelines.errors import BreakevenError
from pipelines.scenario import PRIORITIES, Scenario, load_scenario, save_scenario

ALL_CLIENTS = "All clients"
# key -> (label, kind, help); kind: money | count | share | priorities | text | dates |
# hours_table (a 'P1=1, P2=2' text)
SCENARIO_FIELDS: dict[str, tuple[str, str, str]] = {
    "per_user": ("Contract price per user / month", "money",
                 "What the managed-services offer charges per user each month."),
    "users": ("Users", "count", "Users covered by the contract."),
    "per_device": ("Contract price per device / month", "money",
                   "Extra monthly charge per managed device (0 if the offer is per user only)."),
    "devices": ("Devices", "count", "Devices covered by the contract."),
    "onboarding_fee": ("Onboarding fee (one-off)", "money",
                       "Charged once, in the first month of the window."),
    "hourly_rate": ("Hourly rate of break-fix work", "money",
                    ("What an hour of the tickets' time worked costs, where the export gives"
                     " hours and no billed amount.")),
    "cost_per_user_hour": ("Downtime cost per user-hour", "money",
                           ("What an hour of outage costs per affected user. 0 leaves downtime"
                           " out of the cost comparison.")),
    "managed_reduction": ("Downtime cut by the managed service (%)", "share",
                          "Share of downtime cost the managed service is expected to avoid."),
    "outage_priorities": ("Outage priorities", "priorities",
                          ("Tickets of these priorities count as downtime when the export has"
                          " no outage duration.")),
    "recurrence_days": ("Recurrence window (days)", "count",
                        ("An outage recurs when the same asset (or category) was down within"
                        " this many days before.")),
    "replacement_cost": ("Replacement price per asset", "money",
                         ("The Problems page flags assets whose repair spend has passed it"
                          " (0: not compared).")),
    # Service levels (METRICS.md section 10): shown under their own heading.
    "business_hours": ("Business hours", "text",
                       ("Days and local hours the desk is open, e.g. 'Mon-Fri 09:00-17:00' or"
                        " 'Mon-Fri 08:00-18:00; Sat 09:00-12:00' ('24/7' for round the clock).")),
    "holidays": ("Holidays", "dates",
                 "Dates with no business hours, YYYY-MM-DD, separated by commas."),
    "sla_respond_hours": ("SLA: respond within (business hours)", "hours_table",
                          "Target per priority, e.g. P1=1, P2=2, P3=4, P4=8, P5=24."),
    "sla_resolve_hours": ("SLA: resolve within (business hours)", "hours_table",
                          "Target per priority, e.g. P1=4, P2=8, P3=24, P4=72, P5=120."),
}
SERVICE_LEVEL_KEYS = ("business_hours", "holidays", "sla_respond_hours", "sla_resolve_hours")


def pick_workspace(data_dir: Path) -> str | None:
    """The workspace picker with create and delete; returns the current workspace, if any."""
    apply_pending_switch()
    sb = st.sidebar
    sb.title("breakeven")
    names = workspace.list_workspaces(data_dir)
    if st.session_state.get("workspace") not in names:
        st.session_state.pop("workspace", None)
    current = sb.selectbox("Workspace", names, key="workspace",
                           placeholder="No workspace yet: create one below",
                           help="One organisation's tickets and invoices (a DuckDB file in"
                                f" {data_dir}).") if names else None
    with sb.expander("New workspace", expanded=not names):
        new_name = st.text_input("Name", key="ws_new_name", placeholder="e.g. acme or prospect-2",
                                 help="Lowercase letters, digits, '-' or '_'.")
        if st.button("Create workspace", key="ws_create"):
            try:
                name = workspace.check_name(new_name.strip())
                with workspace.connect(name, data_dir):
                    pass
                st.session_state["_switch_to"] = name
                st.rerun()
            except BreakevenError as exc:
                ui.show_error(exc)
    if current:
        with sb.expander("Delete workspace"):
            st.write(f"Deletes **{current}**: everything loaded into it, its saved column"
                     " mappings and its uploaded files. Type its name to confirm.")
            typed = st.text_input("Workspace name", key="ws_delete_confirm")
            if st.button("Delete for good", key="ws_delete_yes", type="primary",
                         disabled=typed.strip() != current):
                try:
                    workspace.delete_workspace(current, data_dir)  # as `breakeven delete`
                    for per_workspace in ("_uploads", "_loaded_ids"):
                        st.session_state.get(per_workspace, {}).pop(current, None)
                    st.session_state["_deleted"] = current
                    st.session_state["_switch_to"] = None
                    st.rerun()
                except BreakevenError as exc:
                    ui.show_error(exc)
    return current


def apply_pending_switch() -> None:
    """Apply a switch asked for in the previous run (before the picker widget exists)."""
    if "_switch_to" in st.session_state:
        target = st.session_state.pop("_switch_to")
        if target is None:
            st.session_state.pop("workspace", None)
        else:
            st.session_state["workspace"] = target
        st.session_state.pop("ws_delete_confirm", None)
        st.session_state.pop("ws_new_name", None)


def filters(months: list[str], clients: list[str], name: str,
            box: Any = None) -> data.Filters:
    """Month range and client filter for the workspace `name` (in `box`, else the sidebar)."""
    sb = box if box is not None else st.sidebar
    sb.subheader("Filters")
    if not months:
        return data.Filters()
    # Back to everything on a switch of workspace or when the months on offer change.
    # The widgets are reset by assigning their state before they are drawn: that is what
    # makes Streamlit send the new value to the browser (a widget keyed by name keeps its
    # identity across workspaces, and dropping its state would leave the browser showing
    # the previous workspace's range while the figures used the full one). `value=` is
    # still given: it is what makes the slider a range (the state alone would not).
    scope = (name, months[0], months[-1], tuple(clients))
    state = st.session_state
    if state.get("_filters_for") != scope:
        state["month_range"] = (months[0], months[-1])
        state["client"] = ALL_CLIENTS
        state["_filters_for"] = scope
    if len(months) > 1:
        current = state.get("month_range")
        if not (isinstance(current, tuple) and len(current) == 2
                and all(m in months for m in current)):
            state["month_range"] = (months[0], months[-1])  # dropped while not drawn
        lo, hi = sb.select_slider("Months", options=months, key="month_range",
                                  value=(months[0], months[-1]), format_func=_month_label,
                                  help="Tickets by the month opened, invoices by invoice date.")
    else:
        lo = hi = months[0]
    if state.get("client") not in (ALL_CLIENTS, *clients):
        state["client"] = ALL_CLIENTS
    client = sb.selectbox("Client", [ALL_CLIENTS, *clients], key="client",
                          disabled=len(clients) < 2)
    return data.Filters(
        month_from=None if lo == months[0] else lo,
        month_to=None if hi == months[-1] else hi,
        client=None if client == ALL_CLIENTS else client,
    )


def _month_label(month: str) -> str:
    return present.month(month, none=month)


def scenario_editor(con: duckdb.DuckDBPyConnection, name: str) -> Scenario:
    """The scenario widgets, loaded from and saved to the workspace; the scenario in force."""
    stored = load_scenario(con)
    # Load the widgets from the workspace on a switch, when Streamlit dropped their state,
    # or when another process (the CLI) changed the stored scenario since we last saw it.
    if (st.session_state.get("_scenario_for") != name
            or st.session_state.get("_scenario_seen") != stored.to_dict()
            or any(f"sc_{k}" not in st.session_state for k in SCENARIO_FIELDS)):
        for key, value in stored.to_dict().items():
            if key in SCENARIO_FIELDS:
                st.session_state[f"sc_{key}"] = _to_widget(key, value)
        st.session_state["_scenario_for"] = name
        st.session_state["_scenario_seen"] = stored.to_dict()
    sb = st.sidebar
    sb.subheader("Managed-services offer")
    values: dict[str, Any] = {}
    for key, (label, kind, help_text) in SCENARIO_FIELDS.items():
        wkey = f"sc_{key}"
        if key == SERVICE_LEVEL_KEYS[0]:
            sb.subheader("Service levels")
        if kind in ("text", "dates", "hours_table"):
            values[key] = sb.text_input(label, key=wkey, help=help_text)
        elif kind == "money":
            values[key] = sb.number_input(label, min_value=0.0, step=5.0, format="%.2f",
                                          key=wkey, help=help_text)
        elif kind == "count":
            values[key] = sb.number_input(label, min_value=0, step=1, key=wkey, help=help_text)
        elif kind == "share":
            percent = sb.slider(label, min_value=0, max_value=100, step=5, key=wkey,
                                help=help_text, format="%d%%")
            values[key] = percent / 100
        else:
            values[key] = sb.multiselect(label, list(PRIORITIES), key=wkey, help=help_text)
    try:
        scenario = Scenario.from_dict({**stored.to_dict(), **values})
    except BreakevenError as exc:
        sb.error(str(exc))
        return stored
    if scenario != stored:
        save_scenario(con, scenario)
        st.session_state["_scenario_seen"] = scenario.to_dict()
    return scenario


def _to_widget(key: str, value: Any) -> Any:
    kind = SCENARIO_FIELDS[key][1]
    if kind == "text":
        return str(value)
    if kind == "dates":
        return ", ".join(value)
    if kind == "hours_table":
        return ", ".join(f"{p}={h:g}" for p, h in dict(value).items())
    if kind == "money":
        return float(value)
    if kind == "share":
        return round(float(value) * 100)
    if kind == "count":
        return int(value)
    return list(value)
