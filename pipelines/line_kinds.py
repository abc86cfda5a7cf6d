"""Line kinds: what an invoice line paid for (`labour`, `parts`, `contract`, `other`), from
its type column, else keywords in its description.

Not the kind of a file (incidents or invoices, `Detection.kind`): see the glossary in
docs/architecture.md. The line kind is stored in `invoice_lines.kind` and shown by
`breakeven kinds`. The keyword lists are defaults a workspace can extend (setting
`kind_keywords`); the first line kind whose keyword appears in the text wins, in the order
contract, parts, labour, other (`MATCH_ORDER`).
"""

from __future__ import annotations

import re
from typing import Any

import duckdb
import polars as pl

from pipelines import store

LINE_KINDS = ("labour", "parts", "contract", "other")
MATCH_ORDER = ("contract", "parts", "labour", "other")  # the first that matches wins
DEFAULT_KEYWORDS: dict[str, list[str]] = {
    "contract": ["contract", "managed service", "managed services", "retainer", "subscription",
                 "monthly fee", "agreement", "per user", "per device", "licence", "license",
                 "maintenance", "recurring", "msp", "saas"],
    "parts": ["part", "parts", "hardware", "product", "material", "materials", "equipment",
              "ssd", "hdd", "disk", "drive", "laptop", "desktop", "monitor", "printer", "toner",
              "cable", "ram", "memory", "battery", "router", "switch", "replacement", "device",
              "optiplex", "goods", "inventory"],
    "labour": ["labour", "labor", "hour", "hours", "hourly", "time", "support", "call-out",
               "callout", "call out", "onsite", "on-site", "remote", "engineer", "technician",
               "service", "services", "repair", "install", "installation", "consult",
               "consultancy", "project", "professional", "work", "helpdesk", "visit"],
    "other": ["other", "expense", "travel", "mileage", "fee"],
}
SETTING = "kind_keywords"


def load_keywords(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The workspace's extra keywords per line kind (matched before the defaults)."""
    return store.get_setting(con, SETTING, {}) or {}


def add_keywords(con: duckdb.DuckDBPyConnection, line_kind: str, words: list[str]) -> None:
    """Teach the workspace more keywords for `line_kind`."""
    current = load_keywords(con)
    current[line_kind] = sorted(set(current.get(line_kind, []))
                                | {w.strip().lower() for w in words if w})
    store.set_setting(con, SETTING, current)


def _pattern(words: list[str]) -> str:
    alts = "|".join(re.escape(w.lower()) for w in sorted(set(words), key=len, reverse=True))
    return rf"(?:^|[^a-z]){{1}}(?:{alts})(?:[^a-z]|$)"


def _classify(text: pl.Series, keywords: dict[str, list[str]],
              defaults: bool = True) -> pl.Series:
    low = text.str.to_lowercase()
    expr: Any = pl.when(pl.lit(False)).then(pl.lit(None, dtype=pl.Utf8))
    # The workspace's own words first, so they can override a default.
    for table in (keywords, DEFAULT_KEYWORDS) if defaults else (keywords,):
        for line_kind in MATCH_ORDER:
            words = table.get(line_kind, [])
            if words:
                expr = expr.when(low.str.contains(_pattern(words))).then(pl.lit(line_kind))
    return pl.select(expr.otherwise(None)).to_series()


def classify_kinds(type_text: pl.Series, description: pl.Series,
                   keywords: dict[str, list[str]]) -> pl.Series:
    """Each line's line kind: its type column's words, else its description's, else `other`."""
    by_type = _classify(type_text, keywords)
    by_description = _classify(description, keywords)
    return pl.select(pl.coalesce(by_type, by_description, pl.lit("other"))).to_series().alias(
        "kind")


def reclassify(con: duckdb.DuckDBPyConnection) -> int:
    """Apply the workspace's own keywords to stored lines' descriptions; return lines changed.

    Only the workspace's words are applied: a line whose description has none of them keeps
    the kind it was loaded with (which may have come from a type column).
    """
    own = load_keywords(con)
    if not any(own.values()):
        return 0
    lines = store.frame(con, "SELECT invoice_id, line_no, description, kind FROM invoice_lines"
                             " WHERE description IS NOT NULL")
    if lines.height == 0:
        return 0
    new_kind = _classify(lines["description"], own, defaults=False)
    changed = lines.with_columns(new_kind=new_kind).filter(
        pl.col("new_kind").is_not_null() & (pl.col("new_kind") != pl.col("kind")))
    if changed.height:
        con.register("reclassified", changed.select("invoice_id", "line_no", "new_kind").to_arrow())
        con.execute("UPDATE invoice_lines SET kind = r.new_kind FROM reclassified r"
                    " WHERE invoice_lines.invoice_id = r.invoice_id"
                    " AND invoice_lines.line_no = r.line_no")
        con.unregister("reclassified")
    return changed.height
