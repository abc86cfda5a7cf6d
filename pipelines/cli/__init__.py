"""The `breakeven` command line: checks options, calls the core, prints results.

`COMMANDS` below is the whole command line: one row per command (name, help, the function
that adds its options, the function that runs it). Each command group lives in its own
module (`ingest`, `metrics`, `app`, `refresh`, `kinds`, `export`, `problems`, `portfolio`,
`workspaces`); shared options are in `options`. Nothing registers itself on import, and
a command's module is imported only when that command runs (or its help is asked for).

This module is the only place that prints errors: a BreakevenError raised anywhere below
becomes one line on stderr (`breakeven: error: ...`) and exit code 1. Only `cli.app`
(serve/demo) names the `dashboard` package; nothing in the core imports from here.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from pipelines import __version__
from pipelines.cli import options
from pipelines.errors import BreakevenError


class Command(NamedTuple):
    """One command: its options and its handler as "module.function" in pipelines.cli,
    imported only when the command is the one run (a dashboard's or a report's imports
    are not paid by `breakeven metrics`)."""

    name: str
    help: str
    options: str
    run: str

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        _function(self.options)(parser)

    def execute(self, args: argparse.Namespace) -> int:
        return int(_function(self.run)(args))


def _function(where: str) -> Callable[..., Any]:
    module, name = where.split(".")
    return getattr(importlib.import_module(f"pipelines.cli.{module}"), name)  # type: ignore[no-any-return]


COMMANDS: dict[str, Command] = {c.name: c for c in (
    Command("ingest", "load ticket or invoice exports (CSV or .xlsx) into a workspace",
            "ingest.ingest_options", "ingest.cmd_ingest"),
    Command("inspect", "show how a file would be read: kind, format, encoding, delimiter,"
            " dates, columns", "ingest.inspect_options", "ingest.cmd_inspect"),
    Command("loads", "list a workspace's loads and rejected rows",
            "ingest.loads_options", "ingest.cmd_loads"),
    Command("workspaces", "list the workspaces in the data directory",
            "workspaces.workspaces_options", "workspaces.cmd_workspaces"),
    Command("formats", "list the export formats breakeven recognises"
            " (yours included: <data-dir>/profiles/*.toml)",
            "ingest.formats_options", "ingest.cmd_formats"),
    Command("metrics", "compute time to resolve, downtime, spend and the crossover month",
            "metrics.metrics_options", "metrics.cmd_metrics"),
    Command("scenario", "show or change the managed-contract scenario stored in a workspace",
            "metrics.scenario_options", "metrics.cmd_scenario"),
    Command("serve", "start the dashboard on this machine", "app.serve_options", "app.cmd_serve"),
    Command("demo", "load the sample workspaces and start the dashboard on them",
            "app.demo_options", "app.cmd_demo"),
    Command("refresh", "load the new or changed exports in a folder, then write the report"
            " (for cron)", "refresh.refresh_options", "refresh.cmd_refresh"),
    Command("report", "write a self-contained report (HTML, or PDF through the system"
            " Chromium)", "refresh.report_options", "refresh.cmd_report"),
    Command("kinds", "show or extend the keywords that sort invoice lines into labour, parts,"
            " contract and other", "kinds.kinds_options", "kinds.cmd_kinds"),
    Command("export", "write a workspace's tables as Parquet, partitioned by workspace and"
            " month, for a BI tool or another engine", "export.export_options", "export.cmd_export"),
    Command("delete", "delete a workspace: its DuckDB file, its saved mappings and its"
            " uploaded files", "options.add_workspace", "workspaces.cmd_delete"),
    Command("problems", "list the problems that kept coming back (near-duplicate ticket"
            " titles)", "problems.problems_options", "problems.cmd_problems"),
    Command("portfolio", "one row per workspace (prospect): window, tickets, break-fix per"
            " year, downtime, verdict, break-even, fee, checks",
            "portfolio.portfolio_options", "portfolio.cmd_portfolio"),
    Command("brand", "show or set the MSP's brand for proposals (one per data directory)",
            "portfolio.brand_options", "portfolio.cmd_brand"),
    Command("scrub", "show or set whether a workspace replaces personal data by tokens on"
            " load", "portfolio.scrub_options", "portfolio.cmd_scrub"),
)}


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every command; given `argv`, only the command it names gets its
    options (the others are listed, with their help line, as ever)."""
    parser = argparse.ArgumentParser(
        prog="breakeven",
        description="Load your ticket and invoice exports and see when break-fix IT support"
                    " became dearer than a managed contract.",
    )
    parser.add_argument("--version", action="version", version=f"breakeven {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = _chosen(argv)
    for command in COMMANDS.values():
        parser_of = sub.add_parser(command.name, help=command.help, description=command.help)
        if chosen in (None, command.name):
            command.add_options(parser_of)
    return parser


def _chosen(argv: Sequence[str] | None) -> str | None:
    """The command `argv` names (its first word: the top level's options take no value),
    "" when it names none (the top-level help needs no command's options), None when argv
    is not given (every command's options)."""
    if argv is None:
        return None
    words = [a for a in argv if not a.startswith("-")]
    return words[0] if words and words[0] in COMMANDS else ""


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    try:
        return COMMANDS[args.command].execute(args)
    except BreakevenError as exc:
        options.print_error(exc)
        return 1
    except KeyboardInterrupt:
        print("breakeven: interrupted; the workspace is as it was before this load",
              file=sys.stderr)
        return 130
    except BrokenPipeError:
        os._exit(0)
