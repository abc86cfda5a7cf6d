"""`breakeven export`: a workspace's canonical tables as hive-partitioned Parquet."""

from __future__ import annotations

import argparse

from pipelines import workspace
from pipelines.cli import options
from pipelines.parquet import export_parquet


def cmd_export(args: argparse.Namespace) -> int:
    workspace.check_name(args.workspace)
    with workspace.connect(args.workspace, args.data_dir, read_only=True) as con:
        counts = export_parquet(con, args.workspace, args.parquet)
    written = ", ".join(f"{table} {rows:,}" for table, rows in counts.items())
    print(f"{args.workspace}: wrote {written} rows under {args.parquet}"
          f" (partitioned by workspace and month)")
    return 0


def export_options(p: argparse.ArgumentParser) -> None:
    options.add_workspace(p)
    p.add_argument("--parquet", required=True, metavar="DIR",
                   help="directory of the export (created; this workspace's part is replaced)")

