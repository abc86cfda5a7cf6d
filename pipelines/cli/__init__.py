"""The `breakeven` command line: checks options, calls the core, prints results.

`COMMANDS` below is the whole command line: one row per command (name, help, the function
that adds its options, the function that runs it). Each command group lives in its own
module (`ingest`, `metrics`, `app`, `refresh`, `kinds`, `export`, `problems`, `portfolio`,
`workspaces`); shared options are in `options`. Nothing registers itself on import.

This module is the only place that prints errors: a BreakevenError raised anywhere below
becomes one line on stderr (`breakeven: error: ...`) and exit code 1. Only `cli.app`
(serve/demo) names the `dashboard` package; nothing in the core imports from here.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import NamedTuple

from pipelines import __version__
from pipelines.cli import (
    app,
    export,
    ingest,
    kinds,
    metrics,
    options,
    portfolio,
    problems,
    refresh,
    workspaces,
)
from pipelines.errors import BreakevenError

Handler = Callable[[argparse.Namespace], int]
Options = Callable[[argparse.ArgumentParser], None]


class Command(NamedTuple):
    name: str
    help: str
    options: Options
    run: Handler


COMMANDS: dict[str, Command] = {c.name: c for c in (
    Command("ingest", "load ticket or invoice exports (CSV or .xlsx) into a workspace",
            ingest.ingest_options, ingest.cmd_ingest),
    Command("inspect", "show how a file would be read: kind, format, encoding, delimiter,"
            " dates, columns", ingest.inspect_options, ingest.cmd_inspect),
    Command("loads", "list a workspace's loads and rejected rows",
            ingest.loads_options, ingest.cmd_loads),
    Command("workspaces", "list the workspaces in the data directory",
            workspaces.workspaces_options, workspaces.cmd_workspaces),
    Command("formats", "list the export formats breakeven recognises"
            " (yours included: <data-dir>/profiles/*.toml)",
            ingest.formats_options, ingest.cmd_formats),
    Command("metrics", "compute time to resolve, downtime, spend and the crossover month",
            metrics.metrics_options, metrics.cmd_metrics),
    Command("scenario", "show or change the managed-contract scenario stored in a workspace",
            metrics.scenario_options, metrics.cmd_scenario),
    Command("serve", "start the dashboard on this machine", app.serve_options, app.cmd_serve),
    Command("demo", "load the sample workspaces and start the dashboard on them",
            app.demo_options, app.cmd_demo),
    Command("refresh", "load the new or changed exports in a folder, then write the report"
            " (for cron)", refresh.refresh_options, refresh.cmd_refresh),
    Command("report", "write a self-contained report (HTML, or PDF through the system"
            " Chromium)", refresh.report_options, refresh.cmd_report),
    Command("kinds", "show or extend the keywords that sort invoice lines into labour, parts,"
            " contract and other", kinds.kinds_options, kinds.cmd_kinds),
    Command("export", "write a workspace's tables as Parquet, partitioned by workspace and"
            " month, for a BI tool or another engine", export.export_options, export.cmd_export),
    Command("delete", "delete a workspace: its DuckDB file, its saved mappings and its"
            " uploaded files", options.add_workspace, workspaces.cmd_delete),
    Command("problems", "list the problems that kept coming back (near-duplicate ticket"
            " titles)", problems.problems_options, problems.cmd_problems),
    Command("portfolio", "one row per workspace (prospect): window, tickets, break-fix per"
            " year, downtime, verdict, break-even, fee, checks",
            portfolio.portfolio_options, portfolio.cmd_portfolio),
    Command("brand", "show or set the MSP's brand for proposals (one per data directory)",
            portfolio.brand_options, portfolio.cmd_brand),
    Command("scrub", "show or set whether a workspace replaces personal data by tokens on"
            " load", portfolio.scrub_options, portfolio.cmd_scrub),
)}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="breakeven",
        description="Load your ticket and invoice exports and see when break-fix IT support"
                    " became dearer than a managed contract.",
    )
    parser.add_argument("--version", action="version", version=f"breakeven {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS.values():
        command.options(sub.add_parser(command.name, help=command.help,
                                       description=command.help))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command].run(args)
    except BreakevenError as exc:
        options.print_error(exc)
        return 1
    except KeyboardInterrupt:
        print("breakeven: interrupted; the workspace is as it was before this load",
              file=sys.stderr)
        return 130
    except BrokenPipeError:
        os._exit(0)
