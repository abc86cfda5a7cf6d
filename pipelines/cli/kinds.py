"""`breakeven kinds`: the keywords that give invoice lines their kind, and the user's own."""

from __future__ import annotations

import argparse
import json

from pipelines import workspace
from pipelines.cli import options
from pipelines.errors import SettingError
from pipelines.invoice_kinds import DEFAULT_KEYWORDS, KINDS, add_keywords, load_keywords, reclassify


def parse_additions(items: list[str]) -> dict[str, list[str]]:
    """`KIND=word,word` items as {kind: [words]}; refuse an unknown kind or no words."""
    out: dict[str, list[str]] = {}
    for item in items:
        kind, sep, words = item.partition("=")
        kind = kind.strip().lower()
        if not sep or kind not in KINDS:
            raise SettingError(f"--add {item!r}: write it as KIND=word,word with KIND one of "
                               + ", ".join(KINDS) + ", e.g. --add contract='per seat,m365'")
        found = [w.strip() for w in words.split(",") if w.strip()]
        if not found:
            raise SettingError(f"--add {item!r}: no words after '='")
        out.setdefault(kind, []).extend(found)
    return out


def cmd_kinds(args: argparse.Namespace) -> int:
    workspace.check_name(args.workspace)
    additions = parse_additions(args.add or [])
    changed = None
    if additions or args.reclassify:
        with workspace.connect(args.workspace, args.data_dir) as con:
            for kind, words in additions.items():
                add_keywords(con, kind, words)
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
    for kind in ("contract", "parts", "labour", "other"):
        print(f"\n{kind}")
        print("  workspace: " + (", ".join(own.get(kind, [])) or "(none)"))
        print("  default:   " + ", ".join(DEFAULT_KEYWORDS[kind]))
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
    p.add_argument("--json", action="store_true", help="print the keyword lists as JSON")

