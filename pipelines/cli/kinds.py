"""`breakeven kinds`: the keywords that give invoice lines their line kind, and the user's own."""

from __future__ import annotations

import argparse
import json

from pipelines import workspace
from pipelines.cli import options
from pipelines.errors import SettingError
from pipelines.line_kinds import (
    DEFAULT_KEYWORDS,
    LINE_KINDS,
    MATCH_ORDER,
    add_keywords,
    load_keywords,
    reclassify,
)


def parse_additions(items: list[str]) -> dict[str, list[str]]:
    """`KIND=word,word` items as {line kind: [words]}; refuse an unknown kind or no words."""
    out: dict[str, list[str]] = {}
    for item in items:
        line_kind, sep, words = item.partition("=")
        line_kind = line_kind.strip().lower()
        if not sep or line_kind not in LINE_KINDS:
            raise SettingError(f"--add {item!r}: write it as KIND=word,word with KIND one of "
                               + ", ".join(LINE_KINDS) + ", e.g. --add contract='per seat,m365'")
        found = [w.strip() for w in words.split(",") if w.strip()]
        if not found:
            raise SettingError(f"--add {item!r}: no words after '='")
        out.setdefault(line_kind, []).extend(found)
    return out


def cmd_kinds(args: argparse.Namespace) -> int:
    workspace.check_name(args.workspace)
    additions = parse_additions(args.add or [])
    changed = None
    if additions or args.reclassify:
        with workspace.connect(args.workspace, args.data_dir) as con:
            for line_kind, words in additions.items():
                add_keywords(con, line_kind, words)
            if args.reclassify:
                changed = reclassify(con)
            own = load_keywords(con)
    elif workspace.exists(args.workspace, args.data_dir):
        with workspace.connect(args.workspace, args.data_dir, read_only=True) as con:
            own = load_keywords(con)
    else:
        own = {}
    if args.json:
        print(json.dumps({"workspace": own, "default": DEFAULT_KEYWORDS,
                          "reclassified": changed}, indent=2))
        return 0
    print("Invoice line kinds: a type column's words, else the description's; the first kind"
          " matched wins (contract, parts, labour, other), the workspace's words before the"
          " defaults.")
    for line_kind in MATCH_ORDER:
        print(f"\n{line_kind}")
        print("  workspace: " + (", ".join(own.get(line_kind, [])) or "(none)"))
        print("  default:   " + ", ".join(DEFAULT_KEYWORDS[line_kind]))
    if changed is not None:
        print(f"\n{changed:,} stored invoice lines changed kind")
    elif additions:
        print("\nLines already loaded keep their kind; add --reclassify to apply the"
              " workspace's words to them")
    return 0


def kinds_options(p: argparse.ArgumentParser) -> None:
    options.add_workspace(p)
    p.add_argument("--add", nargs="+", metavar="KIND=WORDS",
                   help="teach the workspace more words, e.g. --add contract='per seat,m365'"
                        " parts=toner")
    p.add_argument("--reclassify", action="store_true",
                   help="apply the workspace's own words to the descriptions of lines already"
                        " loaded (lines with none of them keep their kind)")
    options.add_json(p, "print the keyword lists as JSON")

