"""`breakeven workspaces` and `breakeven delete`: list workspaces, remove one."""

from __future__ import annotations

import argparse
import sys

from pipelines import store, workspace
from pipelines.cli import options
from pipelines.errors import WorkspaceDamaged


def cmd_workspaces(args: argparse.Namespace) -> int:
    names = workspace.list_workspaces(args.data_dir)
    rows = []
    damaged: list[str] = []
    for name in names:
        try:
            with workspace.connect(name, args.data_dir, read_only=True) as con:
                rows.append({"workspace": name, **store.table_counts(con)})
        except WorkspaceDamaged as exc:  # list the others; say which file is damaged
            damaged.append(str(exc))
            rows.append({"workspace": name, "incidents": None, "invoice_lines": None,
                         "loads": None, "damaged": True})
    for message in damaged:
        print(f"breakeven: warning: {message}", file=sys.stderr)
    if args.json:
        options.print_json(rows)
    elif not rows:
        print(f"no workspaces in {workspace.resolve_data_dir(args.data_dir)};"
              " load one with: breakeven ingest FILE --workspace NAME")
    else:
        print(f"{'workspace':<24} {'incidents':>10} {'invoice lines':>14} {'loads':>6}")
        for r in rows:
            if r.get("damaged"):
                print(f"{r['workspace']:<24} {'(damaged: see the warning above)':>32}")
                continue
            print(f"{r['workspace']:<24} {r['incidents']:>10,} {r['invoice_lines']:>14,}"
                  f" {r['loads']:>6}")
    return 0


def workspaces_options(p: argparse.ArgumentParser) -> None:
    options.add_data_dir(p)
    options.add_json(p)


def cmd_delete(args: argparse.Namespace) -> int:
    workspace.check_name(args.workspace)
    removed = workspace.delete_workspace(args.workspace, args.data_dir)
    print(f"deleted workspace {args.workspace}:")
    for item in removed:
        print(f"  removed {item}")
    return 0
