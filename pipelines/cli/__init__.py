"""The `breakeven` command line: checks options, calls the core, prints results.

Errors meant for the user (BreakevenError) print as one line on stderr with exit code 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pipelines import __version__, store, workspace
from pipelines.errors import BreakevenError, SettingError, WorkspaceDamaged

Handler = Callable[[argparse.Namespace], int]


def _add_data_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir", metavar="DIR",
        help="where workspaces live (env BREAKEVEN_DATA_DIR; default"
             f" {workspace.default_data_dir()})",
    )


def _add_workspace(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("--workspace", "-w", required=required, metavar="NAME",
                   help="workspace name: lowercase letters, digits, '-' or '_'")
    _add_data_dir(p)


def _parse_map(items: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        field, sep, header = item.partition("=")
        if not sep or not field.strip():
            raise SettingError(f"--map {item!r}: write it as canonical=Header, e.g."
                               " --map opened_at='Date Logged'")
        out[field.strip()] = header.strip()
    return out


def _date_order(args: argparse.Namespace) -> str | None:
    if getattr(args, "day_first", False):
        return "day-first"
    if getattr(args, "month_first", False):
        return "month-first"
    return None


def _print_json(obj: Any) -> None:
    print(json.dumps(obj, indent=2, default=str))


# --- ingest / inspect -------------------------------------------------------------------------

def cmd_ingest(args: argparse.Namespace) -> int:
    from pipelines.ingest import ingest_file

    workspace.check_name(args.workspace)
    user_map = _parse_map(args.map)
    summaries = []
    failed = False
    for f in args.files:
        path = Path(f)
        progress = None if args.json or not sys.stderr.isatty() else _progress_line
        try:
            s = ingest_file(path, args.workspace, args.data_dir, kind=args.kind,
                            format=args.format, mapping=user_map or None,
                            date_order=_date_order(args), progress=progress,
                            sheet=getattr(args, "sheet", None))
        except BreakevenError as exc:
            if len(args.files) == 1 and not args.json:
                raise
            failed = True
            s = store.LoadSummary(path.name, args.kind or "", args.format or "",
                                  status="failed", message=str(exc))
            if not args.json:
                print(f"breakeven: error: {exc}", file=sys.stderr)
        summaries.append(s)
        if not args.json and s.status != "failed":
            _print_summary(s, args.workspace)
    if args.json:
        keys = ("file", "kind", "format", "rows_read", "rows_loaded", "rows_rejected",
                "inserted", "updated", "status", "warnings", "message", "load_id")
        _print_json([{k: s.as_json()[k] for k in keys} for s in summaries])
    return 1 if failed else 0


def _progress_line(fraction: float, message: str) -> None:
    end = "\n" if fraction >= 1 else "\r"
    print(f"\r[{fraction:4.0%}] {message[:70]:<70}", end=end, file=sys.stderr, flush=True)


def _print_summary(s: store.LoadSummary, workspace_name: str) -> None:
    if s.status == "unchanged":
        print(f"{s.file}: unchanged ({s.message})")
        return
    print(f"{s.file}: {s.kind} ({s.format}), {s.rows_read:,} rows read, {s.rows_loaded:,} loaded,"
          f" {s.rows_rejected:,} rejected; {s.inserted:,} new, {s.updated:,} updated"
          f" [load {s.load_id}]")
    if s.message:
        print(f"  note: {s.message}")
    if s.rows_rejected:
        print(f"  see the rejected rows: breakeven loads --workspace {workspace_name} --rejects {s.load_id}")


def cmd_inspect(args: argparse.Namespace) -> int:
    from pipelines.ingest import load_context, prepare
    from pipelines.metrics.checks import missing_columns

    context: dict[str, Any] = {}
    if args.workspace:
        workspace.check_name(args.workspace)
        if workspace.exists(args.workspace, args.data_dir):
            with workspace.connect(args.workspace, args.data_dir, read_only=True) as con:
                context = load_context(con)
    p = prepare(Path(args.file), args.workspace or "workspace", kind=args.kind,
                format_name=args.format, user_map=_parse_map(args.map) or None,
                date_order=_date_order(args), data_dir=args.data_dir,
                sheet=getattr(args, "sheet", None), **context)
    d = p.detection
    info: dict[str, Any] = {
        "file": p.file_name, "kind": d.kind, "format": d.profile.name,
        "format_title": d.profile.title, "detected_by": d.how, "encoding": p.raw.encoding,
        "delimiter": p.raw.delimiter, "header_row": p.raw.header_row,
        "date_order": {True: "day-first", False: "month-first", None: None}[p.date_order.day_first],
        "date_order_reason": p.date_order.reason, "decimal_comma": p.decimal_comma,
        "mapping": d.mapping_text(), "ignored_columns": d.ignored,
        "signature_found": d.evidence, "resembles": d.resembles,
        "rows_read": p.rows_read, "rows_ok": p.rows_read - p.rejects.height,
        "rows_rejected": p.rejects.height, "notes": p.notes,
        "lacks": missing_columns(d.kind, {f for f, src in d.mapping.items() if src}),
    }
    if args.json:
        _print_json(info)
        return 0
    delim = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe", None: "(spreadsheet)"}
    print(f"{info['file']}: {d.kind} from {d.profile.title} (format '{d.profile.name}',"
          f" by {d.how})")
    if d.why():
        print(f"  why: {d.why()}")
    print(f"  encoding {p.raw.encoding}, delimiter {delim[p.raw.delimiter]},"
          f" header on row {p.raw.header_row}")
    print(f"  dates: {p.date_order.reason}; decimal {'comma' if p.decimal_comma else 'point'}")
    print("  columns:")
    for field, source in info["mapping"].items():
        print(f"    {field:<17} <- {source}")
    print("  ignored: " + (", ".join(d.ignored) or "(none)"))
    print(f"  rows: {p.rows_read:,} read, {info['rows_ok']:,} would load,"
          f" {p.rejects.height:,} would be rejected")
    for r in p.rejects.head(5).iter_rows(named=True):
        print(f"    row {r['row_number']}: {r['reason']}")
    for note in p.notes:
        print(f"  note: {note}")
    for lack in info["lacks"]:
        print(f"  warning: {lack}")
    return 0


# --- workspaces, loads, formats ----------------------------------------------------------------

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
        _print_json(rows)
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


def cmd_loads(args: argparse.Namespace) -> int:
    workspace.check_name(args.workspace)
    with workspace.connect(args.workspace, args.data_dir, read_only=True) as con:
        history = store.load_history(con)
        rejects = store.rejected_rows(con, args.rejects) if args.rejects is not None else (
            store.rejected_rows(con))
    if args.json:
        _print_json({"loads": history.to_dicts(),
                     "rejects": rejects.head(args.limit).to_dicts()})
        return 0
    if history.height == 0:
        print(f"workspace {args.workspace!r} has no loads yet")
        return 0
    if args.rejects is None:
        print(f"{'load':>4}  {'file':<36} {'kind':<9} {'format':<16} {'read':>9} {'loaded':>9}"
              f" {'rejected':>8} {'new':>8} {'updated':>8}  finished")
        for r in history.iter_rows(named=True):
            print(f"{r['load_id']:>4}  {r['file_name'][:36]:<36} {r['kind']:<9}"
                  f" {r['format'][:16]:<16} {r['rows_read']:>9,} {r['rows_loaded']:>9,}"
                  f" {r['rows_rejected']:>8,} {r['inserted']:>8,} {r['updated']:>8,}"
                  f"  {r['finished_at']:%Y-%m-%d %H:%M}")
    print(f"\n{rejects.height:,} rejected rows" + (f" (first {args.limit})"
                                                  if rejects.height > args.limit else ""))
    for r in rejects.head(args.limit).iter_rows(named=True):
        print(f"  load {r['load_id']} {r['file_name']} row {r['row_number']}: {r['reason']}")
    return 0


def cmd_formats(args: argparse.Namespace) -> int:
    from pipelines.formats import profiles

    rows = [{"name": p.name, "kind": p.kind, "title": p.title, "generic": p.generic}
            for p in profiles(args.data_dir)]
    if args.json:
        _print_json(rows)
        return 0
    print(f"{'format':<20} {'kind':<10} tool / export")
    for r in rows:
        print(f"{r['name']:<20} {r['kind']:<10} {r['title']}")
    print("\nDetected from the header; force one with --format NAME, or map columns with"
          " --map field=Header.")
    return 0


# --- the parser ----------------------------------------------------------------------------------

COMMANDS: dict[str, Handler] = {}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="breakeven",
        description="Load your ticket and invoice exports and see when break-fix IT support"
                    " became dearer than a managed contract.",
    )
    parser.add_argument("--version", action="version", version=f"breakeven {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        COMMANDS[name] = handler
        return p

    def reading_options(p: argparse.ArgumentParser) -> None:
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
        order = p.add_mutually_exclusive_group()
        order.add_argument("--day-first", action="store_true",
                           help="dates like 03/04/2024 are 3 April (used when the file can't tell)")
        order.add_argument("--month-first", action="store_true",
                           help="dates like 03/04/2024 are 4 March (used when the file can't tell)")

    p = add("ingest", cmd_ingest, "load ticket or invoice exports (CSV or .xlsx) into a workspace")
    p.add_argument("files", nargs="+", metavar="FILE")
    _add_workspace(p)
    reading_options(p)
    p.add_argument("--json", action="store_true", help="print one summary object per file")

    p = add("inspect", cmd_inspect,
            "show how a file would be read: kind, format, encoding, delimiter, dates, columns")
    p.add_argument("file", metavar="FILE")
    _add_workspace(p, required=False)
    reading_options(p)
    p.add_argument("--json", action="store_true", help="print the detection as JSON")

    p = add("loads", cmd_loads, "list a workspace's loads and rejected rows")
    _add_workspace(p)
    p.add_argument("--rejects", type=int, metavar="LOAD_ID",
                   help="show only the rejected rows of this load")
    p.add_argument("--limit", type=int, default=50, help="rejected rows to show (default 50)")
    p.add_argument("--json", action="store_true", help="print loads and rejects as JSON")

    p = add("workspaces", cmd_workspaces, "list the workspaces in the data directory")
    _add_data_dir(p)
    p.add_argument("--json", action="store_true", help="print as JSON")

    p = add("formats", cmd_formats, "list the export formats breakeven recognises"
            " (yours included: <data-dir>/profiles/*.toml)")
    _add_data_dir(p)
    p.add_argument("--json", action="store_true", help="print as JSON")

    for extra in EXTRA_COMMANDS:
        extra(add)
    return parser


# Modules with more commands; each appends `register(add)` functions to EXTRA_COMMANDS.
COMMAND_MODULES = ["pipelines.cli_metrics", "pipelines.cli_app", "pipelines.cli_refresh",
                   "pipelines.cli_kinds", "pipelines.cli_export", "pipelines.cli_workspace",
                   "pipelines.cli_problems", "pipelines.cli_portfolio"]
EXTRA_COMMANDS: list[Callable[[Callable[..., argparse.ArgumentParser]], None]] = []


def main(argv: Sequence[str] | None = None) -> int:
    import importlib

    for module in COMMAND_MODULES:  # each registers its commands in EXTRA_COMMANDS
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except BreakevenError as exc:
        print(f"breakeven: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("breakeven: interrupted; the workspace is as it was before this load",
              file=sys.stderr)
        return 130
    except BrokenPipeError:
        os._exit(0)


if __name__ == "__main__":
    # Command modules register with the importable `pipelines.cli`, not this `__main__` copy.
    from pipelines.cli import main as package_main

    sys.exit(package_main())
