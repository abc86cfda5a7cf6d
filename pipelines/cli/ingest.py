"""`breakeven ingest`, `inspect`, `loads` and `formats`: reading files into a workspace."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pipelines import store, workspace
from pipelines.cli import options
from pipelines.errors import BreakevenError


def cmd_ingest(args: argparse.Namespace) -> int:
    from pipelines.ingest import ingest_file

    workspace.check_name(args.workspace)
    user_map = options.parse_map(args.map)
    summaries = []
    failed = False
    for f in args.files:
        path = Path(f)
        progress = None if args.json or not sys.stderr.isatty() else _progress_line
        try:
            s = ingest_file(path, args.workspace, args.data_dir, kind=args.kind,
                            format=args.format, mapping=user_map or None,
                            date_order=options.date_order(args), progress=progress,
                            sheet=getattr(args, "sheet", None))
        except BreakevenError as exc:
            if len(args.files) == 1 and not args.json:
                raise
            failed = True
            s = store.LoadSummary(path.name, args.kind or "", args.format or "",
                                  status="failed", message=str(exc))
            if not args.json:
                options.print_error(exc)
        summaries.append(s)
        if not args.json and s.status != "failed":
            _print_summary(s, args.workspace)
    if args.json:
        keys = ("file", "kind", "format", "rows_read", "rows_loaded", "rows_rejected",
                "inserted", "updated", "status", "warnings", "message", "load_id")
        options.print_json([{k: s.as_json()[k] for k in keys} for s in summaries])
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
                format_name=args.format, user_map=options.parse_map(args.map) or None,
                date_order=options.date_order(args), data_dir=args.data_dir,
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
        options.print_json(info)
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


def cmd_loads(args: argparse.Namespace) -> int:
    workspace.check_name(args.workspace)
    with workspace.connect(args.workspace, args.data_dir, read_only=True) as con:
        history = store.load_history(con)
        rejects = store.rejected_rows(con, args.rejects) if args.rejects is not None else (
            store.rejected_rows(con))
    if args.json:
        options.print_json({"loads": history.to_dicts(),
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
        options.print_json(rows)
        return 0
    print(f"{'format':<20} {'kind':<10} tool / export")
    for r in rows:
        print(f"{r['name']:<20} {r['kind']:<10} {r['title']}")
    print("\nDetected from the header; force one with --format NAME, or map columns with"
          " --map field=Header.")
    return 0


def ingest_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE")
    options.add_workspace(p)
    options.add_reading(p)
    options.add_json(p, "print one summary object per file")


def inspect_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE")
    options.add_workspace(p, required=False)
    options.add_reading(p)
    options.add_json(p, "print the detection as JSON")


def loads_options(p: argparse.ArgumentParser) -> None:
    options.add_workspace(p)
    p.add_argument("--rejects", type=int, metavar="LOAD_ID",
                   help="show only the rejected rows of this load")
    p.add_argument("--limit", type=int, default=50, help="rejected rows to show (default 50)")
    options.add_json(p, "print loads and rejects as JSON")


def formats_options(p: argparse.ArgumentParser) -> None:
    options.add_data_dir(p)
    options.add_json(p)
