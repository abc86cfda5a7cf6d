"""`breakeven metrics` and `breakeven scenario`: the answer, and the settings behind it."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from contextlib import closing
from typing import Any

from pipelines import present, workspace
from pipelines.cli import options
from pipelines.cli.options import filters_from, scenario_for
from pipelines.metrics import forecast as outlook
from pipelines.metrics import metrics_json
from pipelines.parquet import parquet_connection
from pipelines.scenario import (
    Scenario,
    apply_overrides,
    load_scenario,
    parse_assignments,
    save_scenario,
)


def cmd_metrics(args: argparse.Namespace) -> int:
    workspace.check_name(args.workspace)
    filters = filters_from(args)
    if args.parquet:  # the same metric SQL, run on a Parquet export (breakeven export)
        with closing(parquet_connection(args.parquet, args.workspace)) as con:
            scenario = scenario_for(con, args.scenario)
            result = metrics_json(con, args.workspace, scenario, filters)
    else:
        with workspace.connect(args.workspace, args.data_dir, read_only=True) as con:
            scenario = scenario_for(con, args.scenario)
            result = metrics_json(con, args.workspace, scenario, filters)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(summary_text(result))
    return 0


def check_lines(m: dict[str, Any]) -> list[str]:
    """The evidence checks that fired, one line each: blocks first, then warnings."""
    label = {"block": "no verdict", "warn": "warning"}
    ordered = [c for c in m.get("checks", []) if c["level"] == "block"] + [
        c for c in m.get("checks", []) if c["level"] != "block"]
    return [f"  {label.get(c['level'], c['level'])} ({c['id']}): {c['message']}"
            for c in ordered]


def summary_text(m: dict[str, Any]) -> str:
    """A short human summary that leads with the verdict and the checks beside it."""
    w, inc, ttr, down, sp = m["window"], m["incidents"], m["ttr"], m["downtime"], m["spend"]
    head = [m["verdict"], *check_lines(m)]
    if w["start"] is None:
        return "\n".join(head)
    cur = sp.get("currency")

    def num(v: float | None, unit: str = "") -> str:
        return present.number(v, 2, unit)

    share = (down["recurring_hours"] / down["hours"] * 100) if down["hours"] else 0.0
    fee = f"managed fee {present.money(sp['monthly_fee'], cur)}/month"
    if sp["source"] is None:
        spend_line = f"no spend data (no invoices, billed amounts or time worked); {fee}"
    else:
        sw = sp["window"]
        excluded = sp.get("excluded") or {}
        left_out = (f"; {excluded['lines']:,} line{'' if excluded['lines'] == 1 else 's'}"
                    f" ({present.money(excluded['amount'], cur)}) left out by exclude_spend"
                    if excluded.get("lines") else "")
        spend_line = (
            f"break-fix {present.money(sp['breakfix_total'], cur)} vs managed"
            f" {present.money(sp['managed_total'], cur)} over"
            f" {present.months_span(sw['start'], sw['end'])} (from {sp['source']}; {fee}"
            f"{left_out})")
    lines = [
        *head,
        "",
        f"workspace {m['workspace']}, {w['start']} to {w['end']}",
        (f"  tickets        {inc['total']:,} ({inc['resolved']:,} resolved, {inc['open']:,} open,"
        f" {inc['warnings']:,} resolved before opened)"),
        (f"  time to resolve median {num(ttr['median_hours'], ' h')}, p90"
        f" {num(ttr['p90_hours'], ' h')}, mean {num(ttr['mean_hours'], ' h')}"),
        (f"  downtime       {down['incidents']:,} incidents, {num(down['hours'], ' h')};"
        f" recurring {down['recurring_incidents']:,} ({share:.0f}% of hours);"
        f" {down['open_outages']:,} open outage{'' if down['open_outages'] == 1 else 's'}"),
        f"  spend          {spend_line}",
    ]
    ahead, sc = m.get("forecast") or {}, m["scenario"]
    if ahead.get("p_breakfix_dearer_12m") is not None:
        lines.append("  forward look   " + outlook.forward_look(
            ahead["p_breakfix_dearer_12m"], sc["per_user"], sc["users"], sp["monthly_fee"], cur))
    lines += service_lines(m, cur, num)
    if down["top_recurring"]:
        top = down["top_recurring"][0]
        lines.append(f"  most recurring {top['key']} ({top['client']}): {top['incidents']}"
                     f" outages, {num(top['hours'], ' h')}")
    return "\n".join(lines)


def service_lines(m: dict[str, Any], cur: str | None, num: Callable[..., str]) -> list[str]:
    """The lines of METRICS.md sections 9 and 10: predictability, response, SLA replay."""
    from pipelines.metrics.predictability import cv_in_words

    p, r, tb, sla = (m.get(k) or {} for k in ("predictability", "response", "ttr_business",
                                               "sla"))
    out = []
    if p.get("months"):
        surprise = (f"; largest surprise {p['largest_surprise_month']}"
                    f" (+{present.money(p['largest_surprise_amount'], cur)} on the months before)"
                    if p.get("largest_surprise_month") else "")
        out.append(f"  predictability {cv_in_words(p['cv'])}; worst {p['worst_month']}"
                   f" ({present.money(p['worst_amount'], cur)}); {p['months_above_fee']} of"
                   f" {p['months']} months above the managed fee{surprise}")
    if r.get("count"):
        out.append(f"  response       median {num(r['median_hours'], ' h')}, p90"
                   f" {num(r['p90_hours'], ' h')} to first response ({r['count']:,} tickets)")
    else:
        out.append("  response       not measured (no first-response time in the exports)")

    def pcts(kind: str) -> str:
        rows = [(k, v) for k, v in (sla.get(kind) or {}).items() if v["timed"]]
        return ", ".join(f"{k} {v['breach_pct']:.0f}%" for k, v in rows) or "none timed"

    business = m.get("scenario", {}).get("business_hours", "")
    pooled = sla.get("resolve_breach_pct")
    out.append(f"  SLA replay     resolve breaches {num(pooled, '%')} ({pcts('resolve')});"
               f" respond ({pcts('respond')}); business-hours TTR median"
               f" {num(tb.get('median_hours'), ' h')} ({business})")
    return out


def cmd_scenario(args: argparse.Namespace) -> int:
    workspace.check_name(args.workspace)
    if args.set or args.reset:
        # Setting a key may create the workspace (METRICS.md section 6: the time zone is
        # set before the first load); a reset needs one that exists.
        with workspace.connect(args.workspace, args.data_dir, create=not args.reset) as con:
            base = Scenario() if args.reset else load_scenario(con)
            scenario = apply_overrides(base, parse_assignments(args.set or []))
            save_scenario(con, scenario)
    else:
        with workspace.connect(args.workspace, args.data_dir, read_only=True) as con:
            scenario = scenario_for(con, args.scenario)
    values = scenario.to_dict()
    if args.json:
        print(json.dumps(values, indent=2))
    else:
        for key, value in values.items():
            print(f"{key:<24} {value}")
    return 0


def metrics_options(p: argparse.ArgumentParser) -> None:
    options.add_analysis(p)
    options.add_json(p, "print every figure as JSON (the contract in METRICS.md section 7)")
    p.add_argument("--parquet", metavar="DIR",
                   help="read the workspace from a Parquet export (breakeven export) instead"
                        " of its DuckDB file")


def scenario_options(p: argparse.ArgumentParser) -> None:
    options.add_workspace(p)
    # extend: `--set a=1 --set b=2` and `--set a=1 b=2` both keep every assignment.
    p.add_argument("--set", nargs="+", action="extend", metavar="KEY=VALUE",
                   help="change settings, e.g. --set per_user=150 users=40"
                        " outage_priorities=P1,P2 (repeatable)")
    p.add_argument("--reset", action="store_true", help="go back to the defaults first")
    options.add_scenario(p)
    options.add_json(p, "print the scenario as JSON")
