"""`breakeven portfolio`, `breakeven brand` and `breakeven scrub`: the pre-sales commands."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pipelines import brand, portfolio, present, scrub, workspace
from pipelines.cli import options


def _num(value: Any, decimals: int = 0) -> str:
    return present.number(value, decimals, none="")


def table_text(frame: Any) -> str:
    """The portfolio as a fixed-width table (breakfix and downtime per year and in total)."""
    heads = ["workspace", "status", "window", "tickets", "break-fix/yr", "downtime h",
             "verdict", "run-rate", "cumulative", "break-even/user", "fee/month", "checks"]
    rows = []
    for r in frame.iter_rows(named=True):
        window = (f"{r['window_start']}..{r['window_end']}" if r["window_start"] else "")
        rows.append([
            r["workspace"], r["status"], window, _num(r["tickets"]),
            _num(r["breakfix_per_year"]), _num(r["downtime_hours"], 1),
            present.VERDICT_WORDS.get(r["verdict_state"] or "", r["verdict_state"] or ""),
            r["run_rate_crossover"] or ("" if r["status"] != "ok" else "-"),
            r["cumulative_crossover"] or ("" if r["status"] != "ok" else "-"),
            _num(r["break_even_price_per_user"], 2), _num(r["monthly_fee"], 2),
            ", ".join(r["checks"] or []),
        ])
    numeric = {3, 4, 5, 9, 10}
    widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(heads)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    out = [line(heads)] + [line(row) for row in rows]
    problems = [r for r in frame.iter_rows(named=True) if r["message"]]
    for r in problems:
        out.append(f"  {r['workspace']}: {r['message']}")
    return "\n".join(out)


def cmd_portfolio(args: argparse.Namespace) -> int:
    if args.new:
        portfolio.create_prospect(args.new, args.data_dir)
        print(f"workspace {args.new} created; personal data is scrubbed on load"
              f" (load its exports with: breakeven ingest FILE -w {args.new})")
        return 0
    frame = portfolio.portfolio(args.data_dir, use_cache=not args.no_cache)
    frame = portfolio.sort_portfolio(frame, args.sort, args.desc)
    if args.json:
        options.print_json(portfolio.as_json(frame))
    elif frame.height == 0:
        print(f"no workspaces in {workspace.resolve_data_dir(args.data_dir)}; create one with"
              " breakeven portfolio --new NAME, or load a file with breakeven ingest")
    else:
        print(table_text(frame))
    return 0


def cmd_brand(args: argparse.Namespace) -> int:
    changing = any(v is not None for v in (args.name, args.logo, args.colour, args.accent,
                                           args.contact)) or args.clear
    b = (brand.set_brand(args.data_dir, name=args.name, logo=args.logo,
                         colour_value=args.colour, accent=args.accent, contact=args.contact,
                         clear=args.clear)
         if changing else brand.load_brand(args.data_dir))
    values = {"name": b.name, "logo": b.logo, "colour": b.colour, "accent": b.accent_colour,
              "contact": b.contact, "file": str(brand.brand_path(args.data_dir))}
    if args.json:
        options.print_json(values)
    else:
        for k, v in values.items():
            print(f"{k:<8} {v or '(none)'}")
    return 0


def cmd_scrub(args: argparse.Namespace) -> int:
    workspace.check_name(args.workspace)
    if args.on or args.off:
        with workspace.connect(args.workspace, args.data_dir, create=False) as con:
            changed = scrub.set_enabled(con, bool(args.on))
        if args.on:
            total = sum(changed.values())
            print(f"workspace {args.workspace}: personal data is scrubbed on load from now on;"
                  f" {total:,} stored values scrubbed"
                  + (f" ({', '.join(f'{k} {v:,}' for k, v in changed.items())})" if total else ""))
        else:
            print(f"workspace {args.workspace}: personal data is no longer scrubbed on load"
                  " (what is stored stays scrubbed)")
        return 0
    with workspace.connect(args.workspace, args.data_dir, read_only=True) as con:
        on = scrub.enabled(con)
    print(f"workspace {args.workspace}: personal data {'is' if on else 'is not'} scrubbed on"
          " load")
    return 0


def portfolio_options(p: argparse.ArgumentParser) -> None:
    options.add_data_dir(p)
    p.add_argument("--sort", default="workspace", metavar="KEY",
                   help=f"sort by {', '.join(portfolio.SORT_KEYS)} (default workspace)")
    p.add_argument("--desc", action="store_true", help="largest first")
    p.add_argument("--new", metavar="NAME",
                   help="create an empty prospect workspace that scrubs personal data on load")
    p.add_argument("--no-cache", action="store_true",
                   help="recompute every row (default: unchanged workspaces come from the cache)")
    options.add_json(p, "print the rows as JSON")


def brand_options(p: argparse.ArgumentParser) -> None:
    options.add_data_dir(p)
    p.add_argument("--name", help="the MSP's name, as the proposal shows it")
    p.add_argument("--logo", metavar="FILE", help="PNG, JPEG or SVG, at most 512 KB ('' removes it)")
    p.add_argument("--colour", "--color", dest="colour", metavar="#RRGGBB",
                   help="the brand colour (page heading, verdict)")
    p.add_argument("--accent", metavar="#RRGGBB",
                   help="a second colour (managed-cost lines, table heads); default a darker"
                        " shade of --colour")
    p.add_argument("--contact", help="contact line, e.g. 'Sam Lee, sales@msp.example, 020 7946 0000'")
    p.add_argument("--clear", action="store_true", help="forget the stored brand first")
    options.add_json(p, "print the brand as JSON")


def scrub_options(p: argparse.ArgumentParser) -> None:
    options.add_workspace(p)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--on", action="store_true",
                   help="scrub from now on (and scrub e-mails and phones stored already)")
    g.add_argument("--off", action="store_true", help="stop scrubbing the next loads")


def write_proposal_for(args: argparse.Namespace, out: Path, layout: Any) -> int:
    """`breakeven report --proposal`: the branded proposal of one workspace."""
    from pipelines import proposal

    with workspace.connect(args.workspace, args.data_dir, read_only=True) as con:
        options.require_data(con, args.workspace, "there is no proposal to write; load its"
                             f" exports first: breakeven ingest FILE -w {args.workspace}")
        scenario = options.scenario_for(con, args.scenario)
        collected = proposal.collect(con, args.workspace, scenario, args.data_dir,
                                     prepared_for=args.prepared_for,
                                     filters=options.filters_from(args))
    html_text = proposal.html_from(collected, layout)
    proposal.write_proposal(out, html_text)
    best = collected.recommended
    print(f"proposal written to {out} for {collected.prepared_for}"
          + (f"; recommended offer: {best}" if best else "; no offer beats break-fix"))
    return 0
