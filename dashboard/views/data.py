"""Data: upload exports, check how they will be read, correct the mapping, load, and review.

Widget keys: `upload` (the uploader); per uploaded file i: `kind_{i}`, `date_order_{i}`,
`map_{i}_{kind}_{field}`; `load_files` (the load button).
"""

from pathlib import Path
from typing import Any

import streamlit as st

from dashboard import ui
from pipelines import dashboard_data as data
from pipelines import store, uploads
from pipelines.errors import BreakevenError

NONE = "(none)"
KIND_LABELS: dict[str, str] = {"detected": "Detect from the header", "incidents": "Tickets (incidents)",
               "invoices": "Invoice lines"}
ORDER_LABELS: dict[str, str] = {"file": "Decide from the file", "day-first": "Day first (31/01/2024)",
                "month-first": "Month first (01/31/2024)"}
FIELD_LABELS = {"ticket_id": "ticket id", "opened_at": "opened at", "resolved_at": "resolved at",
                "downtime_minutes": "downtime minutes", "users_affected": "users affected",
                "labour_hours": "labour hours", "billed_amount": "billed amount",
                "invoice_id": "invoice id", "line_no": "line number",
                "invoice_date": "invoice date", "unit_price": "unit price"}


def _count(label: str) -> Any:
    """A count column shown with thousands separators (141,712, not 141712)."""
    return st.column_config.NumberColumn(label, format="localized")


COUNT_COLUMNS = {"rows_read": _count("Rows read"), "rows_loaded": _count("Loaded"),
                 "rows_rejected": _count("Rejected"), "inserted": _count("New"),
                 "updated": _count("Updated")}
ctx = ui.context()
st.title("Data" + (f": {ctx.workspace}" if ctx.workspace else ""))


def _preview(path: str, name: str, kind: str | None, user_map: dict[str, str],
             order: str | None) -> uploads.Preview:
    """A preview, remembered for this session until the workspace's data changes."""
    cache: dict[Any, uploads.Preview] = st.session_state.setdefault("_previews", {})
    key = (ctx.workspace, ctx.version, path, kind, tuple(sorted(user_map.items())), order)
    if key not in cache:
        if len(cache) > 50:
            cache.clear()
        assert ctx.con is not None and ctx.workspace is not None
        cache[key] = uploads.preview(ctx.con, ctx.workspace, Path(path), name, kind=kind,
                                     user_map=user_map, date_order=order)
    return cache[key]


def _session_dict(name: str) -> dict[str, Any]:
    """A dict kept in the session for the current workspace only (uploads are per workspace)."""
    per_workspace: dict[str | None, dict[str, Any]] = st.session_state.setdefault(name, {})
    return per_workspace.setdefault(ctx.workspace, {})


def _forget_widgets(i: int) -> None:
    for k in [k for k in st.session_state if isinstance(k, str) and (
            k.startswith(f"map_{i}_") or k in (f"kind_{i}", f"date_order_{i}"))]:
        del st.session_state[k]


def _file_panel(i: int, file_id: str, path: str, name: str) -> dict[str, Any] | None:
    """One uploaded file: detection, mapping editor, first rows. Returns what to load."""
    with st.container(border=True, key=f"file_{i}"):
        st.subheader(name)
        c1, c2 = st.columns(2)
        kind_choice = c1.selectbox("The file holds", list(KIND_LABELS), key=f"kind_{i}",
                                   format_func=KIND_LABELS.__getitem__)
        order_choice = c2.selectbox("Dates with the year last", list(ORDER_LABELS),
                                    key=f"date_order_{i}", format_func=ORDER_LABELS.__getitem__,
                                    help="Used only when the file cannot tell (no day above"
                                         " 12) and its format does not say.")
        kind = None if kind_choice == "detected" else kind_choice
        order = None if order_choice == "file" else order_choice
        base = _preview(path, name, kind, {}, order)
        fields_kind = base.kind or kind or "incidents"
        chosen: dict[str, str | None] = {}
        with st.expander("Column mapping: which column gives each field",
                         expanded=base.error is not None):
            if not base.headers:
                st.write("No columns could be read from this file.")
            cols = st.columns(3)
            required = uploads.required_fields(fields_kind)
            for n, fld in enumerate(base.fields(fields_kind)):
                options = [NONE, *base.headers]
                current = base.mapping.get(fld)
                label = FIELD_LABELS.get(fld, fld.replace("_", " "))
                chosen[fld] = cols[n % 3].selectbox(
                    label + (" (required)" if fld in required else ""), options,
                    index=options.index(current) if current in options else 0,
                    key=f"map_{i}_{fields_kind}_{fld}",
                    disabled=not base.headers)
            chosen = {f: (None if h == NONE else h) for f, h in chosen.items()}
        user_map = uploads.changed_mapping(base.mapping, chosen) if base.headers else {}
        p = _preview(path, name, kind or (fields_kind if user_map else None), user_map, order) \
            if user_map else base
        if p.error:  # worded for this page by the core (uploads.page_error)
            st.error(p.error, icon=":material/error:")
            return None
        st.markdown(
            f"**{'Tickets' if p.kind == 'incidents' else 'Invoice lines'}** from"
            f" **{p.format_title}** (format `{p.format}`, by {p.detected_by});"
            f" encoding {p.encoding}; dates: {p.date_order_reason}.")
        if p.why:
            st.caption(f"Why: {p.why}.")
        if user_map:
            st.caption("Your corrections will be remembered for files with this header: "
                       + ", ".join(f"{f} <- {h or NONE}" for f, h in user_map.items()))
        st.write(f"{p.rows_read:,} rows read: {p.rows_ok:,} would load,"
                 f" {p.rows_rejected:,} would be rejected."
                 + (f" Ignored columns: {', '.join(p.ignored)}." if p.ignored else ""))
        for note in p.notes:
            st.caption(note)
        for lack in p.lacks:
            st.warning(lack, icon=":material/warning:")
        # An empty cell of the file stays empty here, as a spreadsheet shows it.
        st.dataframe(p.first_rows, hide_index=True, key=f"first_rows_{i}", height=250,
                     placeholder="")
        if p.rows_rejected:
            st.warning(f"First rejected rows of {p.rows_rejected:,}:")
            st.dataframe(p.rejects, hide_index=True, key=f"rejects_{i}", placeholder="")
        return {"file_id": file_id, "path": path, "name": name,
                "kind": kind or (fields_kind if user_map else None), "user_map": user_map,
                "order": order}


def _load(pending: list[dict[str, Any]]) -> None:
    assert ctx.con is not None and ctx.workspace is not None
    bar = st.progress(0.0, text="Starting")
    results = []
    for j, item in enumerate(pending):
        def report(fraction: float, message: str, j: int = j) -> None:
            bar.progress(min(1.0, (j + fraction) / len(pending)), text=message)
        try:
            results.append(uploads.load(
                ctx.con, ctx.workspace, Path(item["path"]), item["name"], kind=item["kind"],
                user_map=item["user_map"], date_order=item["order"], progress=report))
            _session_dict("_loaded_ids")[item["file_id"]] = results[-1]
            uploads.discard(item["path"])  # loaded: the copy is no longer needed
            _session_dict("_uploads").pop(item["file_id"], None)
        except BreakevenError as exc:
            results.append(store.LoadSummary(item["name"], item["kind"] or "", "",
                                             status="failed", message=uploads.page_error(exc)))
    bar.progress(1.0, text="Done")
    st.session_state["_last_loads"] = results
    st.rerun()


def _last_loads() -> None:
    results: list[store.LoadSummary] = st.session_state.get("_last_loads") or []
    if not results:
        return
    assert ctx.con is not None
    st.subheader("Last load")
    for s in results:
        if s.status == "failed":
            st.error(f"{s.file}: {s.message}", icon=":material/error:")
        elif s.status == "unchanged":
            st.info(f"{s.file}: unchanged ({s.message})")
        else:
            st.success(f"{s.file}: {s.rows_loaded:,} of {s.rows_read:,} rows loaded"
                       f" ({s.inserted:,} new, {s.updated:,} updated), {s.rows_rejected:,}"
                       f" rejected [load {s.load_id}]")
    ui.show_table(uploads.summary_rows(results), "last_load_summary", column_config={
        "file": "File", "kind": "Kind", "format": "Format", "status": "Status",
        **COUNT_COLUMNS, "load_id": "Load", "message": "Notes"})
    for s in results:
        if s.rows_rejected and s.load_id is not None:
            st.markdown(f"**Rejected rows of {s.file}**, with the reason for each:")
            ui.show_table(store.rejected_rows(ctx.con, s.load_id), f"rejects_load_{s.load_id}")


if ctx.workspace is None or ctx.con is None:
    ui.require_data(ctx)
else:
    st.caption("Upload ticket exports (ServiceNow, Zendesk, spreadsheets...) and invoice"
               " exports (Xero, vendor CSVs). Each file is checked before it is loaded.")
    files = st.file_uploader("Ticket and invoice exports (CSV or Excel)",
                             type=["csv", "txt", "tsv", "xlsx"], accept_multiple_files=True,
                             key="upload") or []
    saved: dict[str, tuple[str, str]] = _session_dict("_uploads")
    loaded: dict[str, store.LoadSummary] = _session_dict("_loaded_ids")
    for gone in [k for k in saved if k not in {f.file_id for f in files}]:
        uploads.discard(saved.pop(gone)[0])  # taken off the page: not needed any more
    pending = []
    for i, f in enumerate(files):
        if st.session_state.get(f"_file_{i}") != f.file_id:
            _forget_widgets(i)
            st.session_state[f"_file_{i}"] = f.file_id
        if f.file_id not in loaded and (f.file_id not in saved
                                        or not Path(saved[f.file_id][0]).exists()):
            path = uploads.save_upload(ctx.data_dir, ctx.workspace, f.name, f.getvalue())
            saved[f.file_id] = (str(path), uploads.display_name(f.name))
        if f.file_id in loaded:
            s = loaded[f.file_id]
            st.success(f"{s.file}: {s.status.replace('_', ' ')}"
                       + (f" as load {s.load_id}" if s.load_id else ""),
                       icon=":material/check_circle:")
            continue
        path_text, name = saved[f.file_id]
        item = _file_panel(i, f.file_id, path_text, name)
        if item:
            pending.append(item)
    if pending and st.button(f"Load {len(pending)} file{'s' if len(pending) > 1 else ''}",
                             key="load_files", type="primary"):
        _load(pending)
    _last_loads()

    st.subheader("Load history")
    history = data.load_history(ctx.con)
    if history.is_empty():
        st.info(f"Nothing loaded into **{ctx.workspace}** yet.")
    else:
        ui.show_table(history, "load_history", column_config={
            "load_id": "Load", "file_name": "File", "kind": "Kind", "format": "Format",
            **COUNT_COLUMNS, "warnings": _count("Warnings"),
            "started_at": st.column_config.DatetimeColumn("Started", format="YYYY-MM-DD HH:mm"),
            "finished_at": None, "status": "Status", "message": "Notes"})
        total, rejects = data.rejects_shown(ctx.con)
        with st.expander(f"All rejected rows ({total:,})"):
            ui.show_table(rejects, "rejected_rows")
