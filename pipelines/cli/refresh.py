"""`breakeven refresh` (load what is new in a folder, rewrite the reports) and `breakeven report`.

Exit codes of `refresh`: 0 done (also when nothing was new), 1 failed (the workspace is
unchanged; see pipelines/refresh.py for the one exception), 3 done but rows were rejected.
Each file gets one log line on stdout; errors go to stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from pipelines import cli, report, store, workspace
from pipelines.cli_metrics import (
    add_filter_options,
    add_scenario_option,
    filters_from,
    scenario_for,
)
from pipelines.errors import InputError
from pipelines.refresh import FileOutcome, refresh


def cmd_refresh(args: argparse.Namespace) -> int:
    def log(outcome: FileOutcome) -> None:
        print(outcome.log_line(), flush=True)

    reports = [p for p in (args.report, args.pdf) if p]
    if args.report and Path(args.report).suffix.lower() not in (".html", ".htm"):
        print(f"breakeven: error: --report {args.report}: name it .html (use --pdf for a PDF)",
              file=sys.stderr)
        return 1
    if args.pdf and Path(args.pdf).suffix.lower() != ".pdf":
        print(f"breakeven: error: --pdf {args.pdf}: name it .pdf", file=sys.stderr)
        return 1
    result = refresh(args.workspace, args.source, args.data_dir, reports=reports,
                     scenario_file=args.scenario, log=log, date_order=cli._date_order(args))
    line = result.summary_line()
    if result.error:
        print(f"breakeven: error: {line}", file=sys.stderr)
    else:
        print(line, flush=True)
    return result.exit_code


def cmd_report(args: argparse.Namespace) -> int:
    workspace.check_name(args.workspace)
    out = Path(args.out)
    layout: report.Layout = "print" if out.suffix.lower() == ".pdf" else "screen"
    if args.proposal:  # the branded pre-sales proposal (pipelines/proposal.py)
        from pipelines.cli_portfolio import write_proposal_for
        return write_proposal_for(args, out, layout)
    with workspace.connect(args.workspace, args.data_dir, read_only=True) as con:
        counts = store.table_counts(con)
        if not counts["incidents"] and not counts["invoice_lines"]:
            raise InputError(
                f"workspace {args.workspace!r} has no tickets or invoices yet, so there is"
                f" nothing to report; load your exports first: breakeven ingest FILE"
                f" --workspace {args.workspace} (no report written)")
        scenario = scenario_for(con, args.scenario)
        collected = report.collect(con, args.workspace, scenario, filters_from(args))
    html_text = report.html_from(collected, layout)
    report.write_report(out, html_text)
    print(f"report written to {out} ({report.chart_count(html_text)} charts)")
    return 0


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    p = add("refresh", cmd_refresh,
            "load the new or changed exports in a folder, then write the report (for cron)")
    cli._add_workspace(p)
    p.add_argument("--source", required=True, metavar="DIR",
                   help="folder of exports (csv, tsv, txt, xlsx); files already loaded (same"
                        " content) are skipped")
    p.add_argument("--report", metavar="FILE.html", help="write the HTML report here")
    p.add_argument("--pdf", metavar="FILE.pdf",
                   help="write the report as PDF here (printed by the system Chromium)")
    add_scenario_option(p)
    order = p.add_mutually_exclusive_group()
    order.add_argument("--day-first", action="store_true",
                       help="dates like 03/04/2024 are 3 April, in files that can't tell")
    order.add_argument("--month-first", action="store_true",
                       help="dates like 03/04/2024 are 4 March, in files that can't tell")

    p = add("report", cmd_report,
            "write a self-contained report (HTML, or PDF through the system Chromium)")
    cli._add_workspace(p)
    p.add_argument("--out", required=True, metavar="FILE.html|FILE.pdf",
                   help="where to write the report; .html opens offline, .pdf is for print")
    p.add_argument("--proposal", action="store_true",
                   help="write the branded proposal for a prospect instead (see breakeven brand)")
    p.add_argument("--prepared-for", metavar="TEXT",
                   help="the proposal's 'Prepared for' line (default: the only client, else"
                        " the workspace name)")
    add_filter_options(p)
    add_scenario_option(p)


cli.EXTRA_COMMANDS.append(register)
