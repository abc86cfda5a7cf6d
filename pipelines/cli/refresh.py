"""`breakeven refresh` (load what is new in a folder, rewrite the reports) and `breakeven report`.

Exit codes of `refresh`: 0 done (also when nothing was new), 1 failed (the workspace is
unchanged; see pipelines/refresh.py for the one exception), 3 done but rows were rejected.
Each file gets one log line on stdout; an error is raised as a BreakevenError, which
`pipelines.cli.main` prints as one line on stderr (exit 1).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pipelines import report, workspace
from pipelines.cli import options
from pipelines.cli.options import filters_from, scenario_for
from pipelines.errors import BreakevenError, SettingError
from pipelines.refresh import FileOutcome, refresh


def cmd_refresh(args: argparse.Namespace) -> int:
    def log(outcome: FileOutcome) -> None:
        print(outcome.log_line(), flush=True)

    reports = [p for p in (args.report, args.pdf) if p]
    if args.report and Path(args.report).suffix.lower() not in (".html", ".htm"):
        raise SettingError(f"--report {args.report}: name it .html (use --pdf for a PDF)")
    if args.pdf and Path(args.pdf).suffix.lower() != ".pdf":
        raise SettingError(f"--pdf {args.pdf}: name it .pdf")
    result = refresh(args.workspace, args.source, args.data_dir, reports=reports,
                     scenario_file=args.scenario, log=log, date_order=options.date_order(args))
    line = result.summary_line()
    if result.error:  # exit 1 (EXIT_FAILED), printed by pipelines.cli.main
        raise BreakevenError(line)
    print(line, flush=True)
    return result.exit_code


def cmd_report(args: argparse.Namespace) -> int:
    workspace.check_name(args.workspace)
    out = Path(args.out)
    layout: report.Layout = "print" if out.suffix.lower() == ".pdf" else "screen"
    if args.proposal:  # the branded pre-sales proposal (pipelines/proposal.py)
        from pipelines.cli.portfolio import write_proposal_for
        return write_proposal_for(args, out, layout)
    with workspace.connect(args.workspace, args.data_dir, read_only=True) as con:
        options.require_data(con, args.workspace, "there is nothing to report; load your"
                             f" exports first: breakeven ingest FILE --workspace"
                             f" {args.workspace} (no report written)")
        scenario = scenario_for(con, args.scenario)
        collected = report.collect(con, args.workspace, scenario, filters_from(args))
    html_text = report.html_from(collected, layout)
    report.write_report(out, html_text)
    print(f"report written to {out} ({report.chart_count(html_text)} charts)")
    return 0


def refresh_options(p: argparse.ArgumentParser) -> None:
    options.add_workspace(p)
    p.add_argument("--source", required=True, metavar="DIR",
                   help="folder of exports (csv, tsv, txt, xlsx); files already loaded (same"
                        " content) are skipped")
    p.add_argument("--report", metavar="FILE.html", help="write the HTML report here")
    p.add_argument("--pdf", metavar="FILE.pdf",
                   help="write the report as PDF here (printed by the system Chromium)")
    options.add_scenario(p)
    options.add_date_order(p, ", in files that can't tell")


def report_options(p: argparse.ArgumentParser) -> None:
    options.add_workspace(p)
    p.add_argument("--out", required=True, metavar="FILE.html|FILE.pdf",
                   help="where to write the report; .html opens offline, .pdf is for print")
    p.add_argument("--proposal", action="store_true",
                   help="write the branded proposal for a prospect instead (see breakeven brand)")
    p.add_argument("--prepared-for", metavar="TEXT",
                   help="the proposal's 'Prepared for' line (default: the only client, else"
                        " the workspace name)")
    options.add_filters(p)
    options.add_scenario(p)
