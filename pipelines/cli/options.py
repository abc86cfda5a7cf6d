"""The options several commands share, and the few helpers that read them.

Errors are printed only through `print_error`: by `pipelines.cli.main`, and by a
multi-file `ingest`, which reports a failed file and goes on with the next.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pipelines import store, workspace
from pipelines.errors import InputError, SettingError
from pipelines.metrics import Filters
from pipelines.scenario import Scenario, apply_overrides, load_scenario, read_scenario_file


def add_data_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir", metavar="DIR",
        help="where workspaces live (env BREAKEVEN_DATA_DIR; default"
             f" {workspace.default_data_dir()})",
    )


def add_workspace(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("--workspace", "-w", required=required, metavar="NAME",
                   help="workspace name: lowercase letters, digits, '-' or '_'")
    add_data_dir(p)


def add_date_order(p: argparse.ArgumentParser,
                   when: str = " (used when the file can't tell)") -> None:
    order = p.add_mutually_exclusive_group()
    order.add_argument("--day-first", action="store_true",
                       help=f"dates like 03/04/2024 are 3 April{when}")
    order.add_argument("--month-first", action="store_true",
                       help=f"dates like 03/04/2024 are 4 March{when}")


def add_reading(p: argparse.ArgumentParser) -> None:
    """How to read a file: kind, format, column map, sheet, date order."""
    p.add_argument("--kind", choices=["incidents", "invoices"],
                   help="what the file holds (default: detected from the header)")
    p.add_argument("--format", metavar="NAME",
                   help="the export's format (default: detected; list: breakeven formats)")
    p.add_argument("--map", action="append", metavar="FIELD=HEADER",
                   help="take a field from a column, e.g. --map opened_at='Date Logged';"
                        " repeatable; remembered for files with the same header")
    p.add_argument("--sheet", metavar="NAME",
                   help="the workbook sheet to read (default: the first sheet that holds"
                        " a header row with data)")
    add_date_order(p)


def add_scenario(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", metavar="FILE.toml",
                   help="override the workspace's scenario for this call (flat keys, e.g."
                        " per_user = 150)")


def add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from", dest="month_from", metavar="YYYY-MM",
                   help="first month to analyse (tickets by opened, invoices by date)")
    p.add_argument("--to", dest="month_to", metavar="YYYY-MM", help="last month to analyse")
    p.add_argument("--client", metavar="NAME", help="only this client/company")


def add_analysis(p: argparse.ArgumentParser) -> None:
    """What a command that computes figures reads: the workspace, the months and client to
    analyse, and a scenario override."""
    add_workspace(p)
    add_filters(p)
    add_scenario(p)


def add_json(p: argparse.ArgumentParser, help_text: str = "print as JSON") -> None:
    p.add_argument("--json", action="store_true", help=help_text)


def parse_map(items: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        field, sep, header = item.partition("=")
        if not sep or not field.strip():
            raise SettingError(f"--map {item!r}: write it as canonical=Header, e.g."
                               " --map opened_at='Date Logged'")
        out[field.strip()] = header.strip()
    return out


def date_order(args: argparse.Namespace) -> str | None:
    if getattr(args, "day_first", False):
        return "day-first"
    if getattr(args, "month_first", False):
        return "month-first"
    return None


def filters_from(args: argparse.Namespace) -> Filters:
    return Filters(args.month_from, args.month_to, args.client)


def scenario_for(con: Any, scenario_file: str | None) -> Scenario:
    """The workspace's scenario, overridden for this call by `--scenario FILE.toml`."""
    stored = load_scenario(con)
    return apply_overrides(stored, read_scenario_file(scenario_file)) if scenario_file else stored


def require_data(con: Any, name: str, then: str) -> None:
    """Refuse an empty workspace: `then` says what would have been written and how to fill it."""
    counts = store.table_counts(con)
    if not counts["incidents"] and not counts["invoice_lines"]:
        raise InputError(f"workspace {name!r} has no tickets or invoices yet, so {then}")


def print_error(exc: BaseException) -> None:
    """The one way an error reaches the user: one line on stderr, no traceback."""
    print(f"breakeven: error: {exc}", file=sys.stderr)


def print_json(obj: Any) -> None:
    print(json.dumps(obj, indent=2, default=str))
