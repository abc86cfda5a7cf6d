"""Portfolio: every prospect (workspace) of the data directory in one sortable table.

Click a row to open that workspace (the sidebar switches to it, and the Overview opens).
New prospects made here scrub personal data on load. The proposal of any prospect can be
downloaded, in the brand set below (or with `breakeven brand`).

Widget keys: `pf_table`, `pf_offers`, `pf_new_name`, `pf_new`, `pf_prospect`, `pf_prepared_for`,
`pf_proposal`, `pf_brand_name`, `pf_brand_colour`, `pf_brand_contact`, `pf_brand_logo`,
`pf_brand_save`.
"""

import tempfile
from pathlib import Path

import streamlit as st

from dashboard import ui
from pipelines import brand, portfolio, proposal, workspace
from pipelines.errors import BreakevenError
from pipelines.metrics.offers import compare_offers, recommended
from pipelines.scenario import load_scenario

ctx = ui.context()
st.title("Portfolio")
st.caption("One row per prospect (workspace) in this data directory, read-only. Click a row"
           " to open it; click a column heading to sort.")

held = {ctx.workspace: ctx.con} if ctx.workspace and ctx.con is not None else {}
frame = portfolio.portfolio(ctx.data_dir, connections=held)

if frame.height == 0:
    st.info("No prospects yet: create one below, then load its exports on the Data page.")
else:
    shown = portfolio.listed(frame)
    picked = st.dataframe(
        shown, key="pf_table", hide_index=True, width="stretch", placeholder=ui.NO_DATA,
        on_select="rerun", selection_mode="single-row",
        column_config={
            "workspace": st.column_config.TextColumn("Prospect"),
            "status": st.column_config.TextColumn("Status", help="ok, empty, damaged or busy"),
            "window": st.column_config.TextColumn("Window"),
            "tickets": st.column_config.NumberColumn("Tickets", format="localized"),
            "breakfix_per_year": st.column_config.NumberColumn(
                "Break-fix / year", format="%,.0f",
                help="Break-fix cost (spend plus downtime cost) over the spend window, per 12"
                     " months."),
            "downtime_hours": st.column_config.NumberColumn("Downtime h", format="%,.1f"),
            "verdict": st.column_config.TextColumn("Break-fix is"),
            "run_rate_crossover": st.column_config.TextColumn("Run-rate crossover"),
            "cumulative_crossover": st.column_config.TextColumn("Cumulative crossover"),
            "break_even_price_per_user": st.column_config.NumberColumn(
                "Break-even / user", format="%.2f"),
            "monthly_fee": st.column_config.NumberColumn("Fee / month", format="%.2f",
                                                         help="At the prospect's scenario."),
            "checks": st.column_config.TextColumn(
                "Checks", help="Evidence checks that fire (! = blocks the verdict)."),
            "scrubbed": st.column_config.CheckboxColumn("Scrubbed",
                                                        help="Personal data tokenised on load."),
            "message": st.column_config.TextColumn("Note"),
        },
    )
    rows = picked.selection.rows if picked is not None else []
    if rows:
        target = shown["workspace"][rows[0]]
        if shown["status"][rows[0]] in ("ok", "empty"):
            st.session_state["_switch_to"] = target
            st.switch_page(Path(__file__).with_name("overview.py"))
        else:
            st.warning(f"{target}: {shown['message'][rows[0]]}")

if ctx.workspace and ctx.con is not None and frame.height:
    with st.container(border=True):
        st.subheader(f"Offers for {ctx.workspace}")
        offers = compare_offers(ctx.con, ctx.scenario, ctx.filters)
        best = recommended(offers)
        st.caption(
            (f"Recommended: **{best}**, the lowest fee that would have cost less than"
             " break-fix over the spend window." if best else
             "No offer would have cost less than break-fix over the spend window.")
            + " Set the offers with `breakeven scenario -w " + ctx.workspace
            + " --set offers='Essentials:per_user=95;Premium:per_user=160'` or a scenario"
              " file's `[[offers]]` tables.")
        st.dataframe(
            offers, key="pf_offers", hide_index=True, width="stretch", placeholder="-",
            column_config={
                "recommended": None,  # said in the caption above
                "offer": "Offer", "per_user": "Per user", "per_device": "Per device",
                "flat_monthly": "Flat", "managed_reduction": st.column_config.NumberColumn(
                    "Downtime avoided", format="percent"),
                "onboarding_fee": "Onboarding",
                "cumulative_crossover": "Cumulative crossover",
                "run_rate_crossover": "Run-rate crossover",
                "monthly_fee": st.column_config.NumberColumn(
                    "Fee / month", format="%.2f"),
                "managed_total": st.column_config.NumberColumn("Managed total", format="%.0f"),
                "breakfix_total": st.column_config.NumberColumn("Break-fix total",
                                                                format="%.0f"),
                "saving": st.column_config.NumberColumn("Saving", format="%.0f"),
                "break_even_price_per_user": st.column_config.NumberColumn(
                    "Break-even / user", format="%.2f"),
                "beats_breakfix": st.column_config.CheckboxColumn("Beats break-fix"),
            })

left, right = st.columns(2)
with left, st.container(border=True):
    st.subheader("New prospect")
    st.caption("Personal data (e-mails, phone numbers, names) in its exports is replaced by"
               " tokens as they load.")
    new_name = st.text_input("Name", key="pf_new_name", placeholder="e.g. prospect-northwind")
    if st.button("Create prospect", key="pf_new"):
        try:
            portfolio.create_prospect(new_name.strip(), str(ctx.data_dir))
            st.session_state["_switch_to"] = new_name.strip()
            st.switch_page(Path(__file__).with_name("data.py"))
        except BreakevenError as exc:
            ui.show_error(exc)

with right, st.container(border=True):
    st.subheader("Proposal")
    ready = portfolio.ready(frame)
    if not ready:
        st.caption("A proposal needs a prospect with loaded data.")
    else:
        default = ready.index(ctx.workspace) if ctx.workspace in ready else 0
        name = st.selectbox("Prospect", ready, index=default, key="pf_prospect")
        prepared_for = st.text_input("Prepared for", key="pf_prepared_for",
                                     placeholder="the prospect's company name")

        def build(name: str = name, prepared_for: str = prepared_for) -> str:
            with workspace.connect(name, ctx.data_dir, create=False) as con:
                scenario = load_scenario(con)
            return proposal.workspace_proposal_html(name, ctx.data_dir, scenario,
                                                    prepared_for=prepared_for or None)

        st.download_button(
            "Download the proposal (HTML)", data=build, file_name=f"proposal-{name}.html",
            mime="text/html", key="pf_proposal", icon=":material/description:",
            on_click="ignore", help="Branded, one self-contained file; print it to PDF or use"
                                    " breakeven report --proposal --out FILE.pdf")

with st.expander("Brand of the proposals (this data directory)"):
    current = brand.load_brand(ctx.data_dir)
    b_name = st.text_input("MSP name", value=current.name, key="pf_brand_name")
    b_colour = st.color_picker("Colour", value=current.colour, key="pf_brand_colour")
    b_contact = st.text_input("Contact line", value=current.contact, key="pf_brand_contact")
    b_logo = st.file_uploader("Logo (PNG, JPEG or SVG, at most 512 KB)",
                              type=["png", "jpg", "jpeg", "svg"], key="pf_brand_logo")
    if st.button("Save the brand", key="pf_brand_save"):
        try:
            logo_path = None
            with tempfile.TemporaryDirectory() as tmp:
                if b_logo is not None:
                    logo_path = Path(tmp) / "logo"
                    logo_path.write_bytes(b_logo.getvalue())
                brand.set_brand(ctx.data_dir, name=b_name, colour_value=b_colour,
                                contact=b_contact, logo=logo_path)
            st.success("Brand saved.")
        except BreakevenError as exc:
            ui.show_error(exc)
