"""Scrubbing personal data on load: e-mail addresses, phone numbers and person names.

A workspace whose setting `scrub_personal_data` is true replaces, in every load, before
anything is written:

* e-mail addresses by `email-<8 hex>`, phone numbers by `phone-<8 hex>` and person names
  by `person-<8 hex>`, in the text columns of the loaded rows (incidents: title, client,
  site, asset, category, status, priority_raw; invoice lines: description, client) and in
  the `raw` row and `reason` of every rejected row;
* every value of a *personal column* of the export (a header naming a requester, caller,
  contact, reporter, assignee, agent, technician, a user, an e-mail or phone, a first/
  last/full name, "opened by", "created by"...). Those values are never stored as columns,
  but they are in the raw rows of `rejects`, and when such a column is mapped to a
  canonical field (a requester as the client) the field holds the token. Names found in
  them are also replaced wherever they appear in the other text (a title "Laptop for Jane
  Smith" whose requester is Jane Smith);
* names after a title (`Mr`, `Mrs`, `Ms`, `Dr`...) or after `for`/`from`/`by`/`user`/
  `caller`/`contact`/`attn`/`cc` followed by two capitalised words that are not common IT
  words ("for Head Office" stays; "for Jane Smith" goes).

A token is an HMAC-SHA256 of the normalised value (e-mails lowercased, phones as their
digits, names casefolded with single spaces) under a random secret kept in the workspace
(setting `scrub_secret`): the same person gets the same token in every load of the
workspace (recurrence, problems and clients still group), tokens of two workspaces do not
match, and a token cannot be turned back into the value without the secret. Ticket and
invoice numbers, dates and amounts are never touched.

Decisions where the issue is silent:

* Off by default for workspaces made by `breakeven ingest` (an operations manager's own
  history); on for workspaces made from the portfolio (the dashboard's New prospect box,
  `breakeven portfolio --new NAME`), which are prospects' data. Set it any time with
  `breakeven scrub -w W --on|--off`; it applies to the loads that follow. Turning it on
  also scrubs what is stored already (e-mails, phones, titled names in the stored text
  and raw rows), since the names of personal columns are gone by then.
* Client names are organisations (the prospect's companies, departments, suppliers):
  they are kept, except for e-mail addresses and phone numbers inside them, and except
  when the client column is itself a personal column.
* A phone number is 9 to 15 digits written with spaces, dots, dashes or brackets (or
  `+`/`00` first); a run of digits with no separator counts only when it starts with 0
  or + and has 10 to 13 digits, so ticket numbers, amounts, dates and times stay.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from pipelines import store
from pipelines.reading import ROW

if TYPE_CHECKING:
    from pipelines.ingest import TypedExport

SETTING = "scrub_personal_data"
SECRET = "scrub_secret"

EMAIL = re.compile(r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
PHONE = re.compile(r"(?<![\w+.:/-])(?:\+|00)?\(?\d[\d ().-]{6,}\d(?![\w:/]|[.,]\d)")
_DATE_LIKE = re.compile(r"^\(?\d{4}[-.]\d{1,2}[-.]\d{1,2}|^\d{1,2}[-.]\d{1,2}[-.]\d{2,4}(?!\d)")
_DECIMAL = re.compile(r"^\d+\.\d{1,2}$")
_NAME_WORD = r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?"
TITLED = re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?\s+{_NAME_WORD}(?:\s+{_NAME_WORD})?")
AFTER_WORD = re.compile(
    rf"\b(?:for|from|by|user|caller|contact|attn:?|cc:?)\s+({_NAME_WORD}\s+{_NAME_WORD})\b")
# Capitalised words after "for"/"from" that are places, teams or products, not people.
NOT_NAMES = frozenset(re.findall(r"\w+", """
office head branch site team support desk service services group ltd limited inc plc
server servers printer printers network laptop laptops windows microsoft teams outlook
excel word office365 google apple new old main north south east west central remote
reception accounts finance sales marketing it hr admin board warehouse store shop
monday tuesday wednesday thursday friday saturday sunday january february march april
may june july august september october november december the all every
"""))
# Header words that make an export column personal (header lowercased, words spaced).
PERSONAL_HEADER = re.compile(
    r"\b(?:requester|requested|caller|contact|reporter|reported by|assignee|assigned to"
    r"|technician|agent|engineer|opened by|created by|updated by|resolved by|closed by"
    r"|submitted by|raised by|logged by|owner|user|username|user name|end user|email|e mail"
    r"|mail|phone|mobile|telephone|tel|first name|last name|full name|surname|person"
    r"|employee|customer contact)\b")
NOT_PERSONAL_HEADER = re.compile(r"\busers? affected\b|\bnumber of users\b|\bseats\b")
# Canonical text columns scrubbed per kind (ids, dates and amounts never are).
TEXT_COLUMNS = {
    "incidents": ("title", "client", "site", "asset", "category", "status", "priority_raw"),
    "invoices": ("description", "client"),
}


def enabled(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the workspace scrubs personal data on load."""
    return bool(store.get_setting(con, SETTING, False))


def secret(con: duckdb.DuckDBPyConnection) -> bytes:
    """The workspace's token secret, created (and stored) on first use."""
    value = store.get_setting(con, SECRET)
    if not isinstance(value, str):
        value = secrets.token_hex(32)
        store.set_setting(con, SECRET, value)
    return bytes.fromhex(value)


class Scrubber:
    """Replaces personal data in text by stable tokens under one workspace's secret."""

    def __init__(self, key: bytes, names: Iterable[str] = ()) -> None:
        self.key = key
        self.names = sorted({n for n in names if _looks_like_name(n)}, key=len, reverse=True)
        # Any spacing between a name's words: "Jane  Smith" is Jane Smith.
        spelled = "|".join(r"\s+".join(map(re.escape, n.split())) for n in self.names)
        self._names_re = (re.compile(rf"(?<!\w)(?:{spelled})(?!\w)", re.IGNORECASE)
                          if self.names else None)

    def token(self, kind: str, value: str) -> str:
        if kind == "email":
            basis = value.strip().lower()
        elif kind == "phone":
            basis = re.sub(r"\D", "", value)
        else:
            basis = " ".join(value.casefold().split())
        digest = hmac.new(self.key, f"{kind}:{basis}".encode(), hashlib.sha256).hexdigest()
        return f"{kind}-{digest[:8]}"

    def text(self, value: str) -> str:
        """`value` with every e-mail, phone number and person name replaced by its token."""
        out = EMAIL.sub(lambda m: self.token("email", m.group(0)), value)
        out = PHONE.sub(self._phone, out)
        if self._names_re is not None:
            out = self._names_re.sub(lambda m: self.token("person", m.group(0)), out)
        out = TITLED.sub(lambda m: self.token("person", m.group(0)), out)
        return AFTER_WORD.sub(self._after_word, out)

    def personal(self, value: str) -> str:
        """A personal column's whole value as one token (an e-mail, a phone or a name)."""
        v = value.strip()
        if not v:
            return value
        if EMAIL.fullmatch(v):
            return self.token("email", v)
        if _is_phone(v):
            return self.token("phone", v)
        if not any(ch.isalpha() for ch in v):
            return value  # an id or a count: nothing personal to hide
        return self.text(v) if ("@" in v or _has_phone(v)) else self.token("person", v)

    def _phone(self, m: re.Match[str]) -> str:
        return self.token("phone", m.group(0)) if _is_phone(m.group(0)) else m.group(0)

    def _after_word(self, m: re.Match[str]) -> str:
        words = m.group(1).split()
        if any(w.lower() in NOT_NAMES for w in words):
            return m.group(0)
        start = m.start(1) - m.start(0)
        return m.group(0)[:start] + self.token("person", m.group(1))

    def series(self, s: pl.Series, fn: Callable[[str], str] | None = None) -> pl.Series:
        """A text column scrubbed, each distinct value once."""
        fn = fn or self.text
        if s.dtype != pl.String or s.len() == 0:
            return s
        values = s.drop_nulls().unique().to_list()
        mapping = {v: fn(v) for v in values}
        changed = {k: v for k, v in mapping.items() if k != v}
        if not changed:
            return s
        return s.replace(changed)


def _is_phone(text: str) -> bool:
    t = text.strip()
    digits = re.sub(r"\D", "", t)
    if not 9 <= len(digits) <= 15 or _DATE_LIKE.match(t) or _DECIMAL.match(t):
        return False
    if re.fullmatch(r"\d+", t):  # no separators: only a number dialled from 0
        return t.startswith("0") and 10 <= len(digits) <= 13
    return bool(re.fullmatch(r"(?:\+|00)?[\d ().-]+", t))


def _has_phone(text: str) -> bool:
    return any(_is_phone(m.group(0)) for m in PHONE.finditer(text))


def _looks_like_name(value: str) -> bool:
    v = value.strip()
    return (2 < len(v) <= 60 and "@" not in v and any(ch.isalpha() for ch in v)
            and " " in v and not _has_phone(v))


def personal_headers(headers: Iterable[str]) -> list[str]:
    """The headers of an export that hold personal data (requester, contact, e-mail...)."""
    out = []
    for h in headers:
        words = " ".join(re.findall(r"[a-z0-9]+", h.lower()))
        if PERSONAL_HEADER.search(words) and not NOT_PERSONAL_HEADER.search(words):
            out.append(h)
    return out


def scrub_prepared(key: bytes, prepared: TypedExport) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The prepared file's rows and rejects with personal data replaced by tokens."""
    raw = prepared.raw
    personal = [h for h in personal_headers(raw.headers) if h in raw.frame.columns]
    names: set[str] = set()
    for h in personal:
        names.update(v.strip() for v in raw.frame[h].drop_nulls().unique().to_list())
    scrub = Scrubber(key, names)
    mapped_personal = {f for f, sources in prepared.detection.mapping.items()
                       if any(s.header in personal for s in sources)}
    rows = prepared.rows
    cols = [c for c in TEXT_COLUMNS.get(prepared.kind, ()) if c in rows.columns]
    rows = rows.with_columns(
        scrub.series(rows[c], scrub.personal if c in mapped_personal else None) for c in cols)
    rejects = _scrub_rejects(scrub, prepared, personal)
    return rows, rejects


def _scrub_rejects(scrub: Scrubber, prepared: TypedExport, personal: list[str]) -> pl.DataFrame:
    """Rejected rows rebuilt from their scrubbed cells (ragged lines: scrubbed as text)."""
    rejects = prepared.rejects
    if rejects.height == 0:
        return rejects
    raw = prepared.raw
    sep = raw.delimiter or ","
    bad = raw.frame.filter(pl.col(ROW).cast(pl.Int64).is_in(rejects["row_number"].implode()))
    cells = bad.select(
        pl.col(ROW).cast(pl.Int64).alias("row_number"),
        *[(scrub.series(bad[h], scrub.personal) if h in personal else scrub.series(bad[h]))
          .alias(h) for h in raw.headers])
    rebuilt = cells.select(
        "row_number",
        pl.concat_str([pl.col(h).fill_null("") for h in raw.headers], separator=sep)
        .alias("rebuilt"))
    out = rejects.join(rebuilt, on="row_number", how="left", maintain_order="left")
    return out.with_columns(
        raw=pl.coalesce("rebuilt", scrub.series(out["raw"])),
        reason=scrub.series(out["reason"]),
    ).select(rejects.columns)


def for_load(con: duckdb.DuckDBPyConnection,
             prepared: TypedExport) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows and rejects a load writes: scrubbed when the workspace asks for it.

    Called by `ingest.load_prepared` just before the write.
    """
    if not enabled(con):
        return prepared.rows, prepared.rejects
    return scrub_prepared(secret(con), prepared)


def scrub_stored(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Scrub what a workspace holds already (its text columns and rejects); counts changed.

    Personal columns' names are not stored, so this catches e-mails, phone numbers and
    titled names; loads made with the setting on caught the rest. One transaction.
    """
    scrub = Scrubber(secret(con))
    targets = [("incidents", c) for c in TEXT_COLUMNS["incidents"]]
    targets += [("invoice_lines", c) for c in TEXT_COLUMNS["invoices"]]
    targets += [("rejects", "raw"), ("rejects", "reason")]
    changed: dict[str, int] = {}
    with store.atomic(con):
        for table, col in targets:
            values = [r[0] for r in con.execute(
                f"SELECT DISTINCT {col} FROM {table} WHERE {col} IS NOT NULL").fetchall()]
            pairs = [(v, scrub.text(v)) for v in values]
            pairs = [(old, new) for old, new in pairs if old != new]
            if not pairs:
                continue
            frame = pl.DataFrame(pairs, schema={"old": pl.String, "new": pl.String},
                                 orient="row")
            con.register("scrub_pairs", frame.to_arrow())
            n = store.scalar(con, f"SELECT count(*) FROM {table} t JOIN scrub_pairs p"
                                  f" ON t.{col} = p.old")
            con.execute(f"UPDATE {table} SET {col} = p.new FROM scrub_pairs p"
                        f" WHERE {table}.{col} = p.old")
            con.unregister("scrub_pairs")
            changed[f"{table}.{col}"] = int(n or 0)
    return changed


def set_enabled(con: duckdb.DuckDBPyConnection, on: bool) -> dict[str, int]:
    """Turn scrubbing on or off; turning it on scrubs what is stored already."""
    store.set_setting(con, SETTING, bool(on))
    return scrub_stored(con) if on else {}
