"""`breakeven problems`: every recurring-problem group and its tickets (METRICS.md section 12)."""

from __future__ import annotations

import argparse
import json

from pipelines import present, workspace
from pipelines.cli import options
from pipelines.metrics.problems import problems, problems_json, recurring_sentence


def cmd_problems(args: argparse.Namespace) -> int:
    workspace.check_name(args.workspace)
    filters = options.filters_from(args)
    with workspace.connect(args.workspace, args.data_dir, read_only=True) as con:
        scenario = options.scenario_for(con, args.scenario)
        result = problems(con, scenario, filters)
    groups = problems_json(result, limit=None, with_tickets=True)
    if args.json:
        print(json.dumps({"workspace": args.workspace, "problems": groups}, indent=2,
                         ensure_ascii=False))
    else:
        print(problems_text(args.workspace, groups) if groups
              else f"workspace {args.workspace}: {recurring_sentence(result)}")
    return 0


def problems_text(name: str, groups: list[dict[str, object]]) -> str:
    """A readable table: one line per group, most tickets first."""
    def num(v: object, decimals: int = 1) -> str:
        return present.number(None if v is None else float(str(v)), decimals)

    width = min(48, max(len(str(g["label"])) for g in groups))
    lines = [f"workspace {name}: {len(groups):,} problems came back 3 or more times", "",
             (f"{'problem':<{width}}  {'tickets':>7}  {'clients':>7}  {'assets':>6}"
             f"  {'first':>7}  {'last':>7}  {'ttr h':>9}  {'down h':>8}  {'cost':>10}")]
    for g in groups:
        label = str(g["label"])
        label = label if len(label) <= width else label[: width - 1] + "…"
        lines.append(
            f"{label:<{width}}  {g['incidents']:>7,}  {g['clients']:>7,}  {g['assets']:>6,}"
            f"  {g['first']:>7}  {g['last']:>7}  {num(g['ttr_hours']):>9}"
            f"  {num(g['downtime_hours']):>8}  {num(g['cost'], 2):>10}")
    lines += ["", "Each group's tickets: breakeven problems --json"]
    return "\n".join(lines)


def problems_options(p: argparse.ArgumentParser) -> None:
    options.add_analysis(p)
    options.add_json(p, "print every group with its tickets as JSON (METRICS.md section 12)")

