"""The field reader: a RawTable's text columns -> canonical typed columns, each bad value
noted as its row's reason. Subclassed per kind (incidents.py, invoices.py)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from pipelines import parse
from pipelines.formats import Detection, Source, norm
from pipelines.ingest.keys import as_list, unreadable
from pipelines.reading import RawTable

TYPED_FIELDS = ("opened_at", "resolved_at", "invoice_date", "downtime_minutes", "users_affected",
                "labour_hours", "billed_amount", "quantity", "unit_price", "amount", "tax",
                "line_no", "responded_at", "response_minutes")
DATE_FIELDS = ("opened_at", "resolved_at", "invoice_date", "responded_at")
NUMBER_FIELDS = ("billed_amount", "amount", "unit_price", "tax", "labour_hours",
                 "downtime_minutes", "quantity", "response_minutes")

# Parsing a column is mostly one core's work, and Polars lets go of the GIL while it runs:
# a file's date and number columns are parsed two at a time (Reader.prefetch), and each
# result is taken in the reader's fixed order, so the outcome is the same as one by one.
PARSERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="breakeven-parse")


def present(headers: list[str], wanted: tuple[str, ...]) -> list[str]:
    """The headers of `wanted` the file has, as the file spells them."""
    by_norm = {norm(h): h for h in headers}
    return [by_norm[norm(h)] for h in wanted if norm(h) in by_norm]


def date_headers(detection: Detection, headers: list[str]) -> list[str]:
    """The columns whose dates decide the file's date order (updated-at ones included)."""
    cols = [s.header for f in DATE_FIELDS for s in detection.mapping.get(f, [])]
    cols += present(headers, detection.profile.updated)
    return list(dict.fromkeys(cols))


def number_headers(detection: Detection) -> list[str]:
    """The columns whose numbers decide whether the file writes a decimal comma."""
    return list(dict.fromkeys(s.header for f in NUMBER_FIELDS
                              for s in detection.mapping.get(f, [])))


class Reader:
    """Turns a RawTable's text columns into canonical typed columns, noting bad values."""

    def __init__(self, name: str, raw: RawTable, detection: Detection,
                 user_order: str | None, tz: str, *, remembered: dict[str, Any] | None = None,
                 now: datetime | None = None, keep_walls: bool = True,
                 order: parse.DateOrder | None = None,
                 decimal_comma: bool | None = None) -> None:
        """`order` and `decimal_comma`, when given, were decided on the whole file (a batch
        of a large file is read as the file is); otherwise they are decided here."""
        self.name, self.raw, self.det, self.tz = name, raw, detection, tz
        # METRICS.md section 8: a date more than a day after the load's start is refused.
        self.latest = (now or datetime.now(UTC)) + timedelta(days=1)
        self.keep_walls = keep_walls
        self.walls: dict[str, pl.Series] = {}  # field -> naive wall times (see store.retime)
        self.frame = raw.frame
        self.height = raw.frame.height
        self.problems: list[pl.Series] = []
        self._parses: dict[tuple[str, str], Future[Any]] = {}
        self.notes: list[str] = []
        self.warnings = 0
        profile = detection.profile
        self.updated_sources = [Source(h) for h in self._present(profile.updated)]
        used = {s.header for sources in detection.mapping.values() for s in sources}
        used |= {s.header for s in self.updated_sources}
        used |= set(self._present(profile.rule_columns()))
        typed = {s.header for f in TYPED_FIELDS for s in detection.mapping.get(f, [])}
        typed |= {s.header for s in self.updated_sources}
        text = sorted(used - typed)
        padded = self.frame.select(parse.has_padding(h) for h in text).row(0) if text else ()
        trim = {h for h, pad in zip(text, padded, strict=True) if pad}
        # Every used column is cleaned once, all in one parallel pass. Text is trimmed only
        # in columns that have padded values (most exports have none); dates and numbers
        # only lose their missing-value markers: their parsers trim what needs trimming.
        self.clean = self.frame.select(
            parse.clean_text(h) if h in trim else parse.drop_markers(h) for h in sorted(used))
        self.skip_reason, self.carried = self._skipped_rows()
        # The file's two decisions run side by side: the decimal comma on one parser
        # thread, the first value of each date per column on the other.
        comma = None if decimal_comma is not None else PARSERS.submit(
            parse.decide_decimal_comma, {h: self._text(h) for h in number_headers(detection)},
            raw.delimiter)
        if order is None:
            dates = date_headers(detection, raw.headers)
            firsts = [PARSERS.submit(parse.first_of_each_date, self._text(h)) for h in dates]
            order = parse.decide_date_order(
                name, {h: f.result() for h, f in zip(dates, firsts, strict=True)},
                profile.date_order, user_order, (remembered or {}).get("order"),
                (remembered or {}).get("file"))
        self.order = order
        self.decimal_comma = comma.result() if comma is not None else bool(decimal_comma)

    def _skipped_rows(self) -> tuple[pl.Series, dict[str, pl.Series]]:
        """Rows the profile says are not data, with their reason; values carried down.

        The first rule a row matches gives its reason. A `carry` rule's value holds for the
        rows below it until the next skipped row (the next section, or a total).
        """
        reason = self._nulls("reason", pl.Utf8)
        carried: dict[str, pl.Series] = {}
        taken = pl.repeat(False, self.height, eager=True)
        for rule in self.det.profile.skip_rows_where:
            cols = self._present(tuple(as_list(rule["column"])))
            if not cols:
                continue
            text = self._text(cols[0])
            hit = text.str.contains(rule.get("pattern", ".")).fill_null(False) & ~taken
            if not hit.any():
                continue
            reason = pl.select(pl.when(hit).then(pl.lit(rule["reason"])).otherwise(reason)
                               ).to_series()
            if rule.get("carry"):
                carried[rule["carry"]] = pl.select(pl.when(hit).then(text)).to_series()
            taken = taken | hit
        for fld, values in carried.items():
            # Any skipped row ends a section: "" marks it, so filling down stops there.
            marked = pl.select(pl.when(taken & values.is_null()).then(pl.lit(""))
                               .otherwise(values)).to_series()
            carried[fld] = marked.forward_fill().replace("", None).alias(fld)
        return reason.alias("reason"), carried

    def _parsed(self, what: str, header: str) -> Future[Any]:
        """The column's parse as `what` ("date": (instants, walls), "money", "number"),
        started once, on a parser thread."""
        key = (what, header)
        if key not in self._parses:
            txt, comma = self._text(header), self.decimal_comma
            read: Callable[[], Any] = {
                "date": lambda: parse.parse_timestamps_wall(txt, self.order.day_first, self.tz),
                "money": lambda: parse.parse_money_staged(txt, comma),
                "number": lambda: parse.parse_number(txt, comma),
            }[what]
            self._parses[key] = PARSERS.submit(read)
        return self._parses[key]

    def prefetch(self, dates: list[Source], money: list[Source], numbers: list[Source]) -> None:
        """Start parsing these sources now, so that they run side by side."""
        for what, sources in (("date", dates), ("money", money), ("number", numbers)):
            for src in sources:
                self._parsed(what, src.header)

    def _present(self, headers: tuple[str, ...]) -> list[str]:
        return present(self.raw.headers, headers)

    def _text(self, header: str) -> pl.Series:
        return self.clean[header]

    def _sources(self, fld: str) -> list[Source]:
        return self.det.mapping.get(fld, [])

    def _label(self, fld: str) -> str:
        return " / ".join(f"'{s.header}'" for s in self._sources(fld)) or fld

    def _nulls(self, name: str, dtype: pl.DataType | type[pl.DataType]) -> pl.Series:
        return pl.repeat(None, self.height, dtype=dtype, eager=True).alias(name)

    def _flag(self, mask: pl.Series, message: str, value: pl.Series | None = None) -> None:
        """Note `message` for the rows in `mask`; `{}` in it stands for that row's `value`."""
        mask = mask.fill_null(False)
        if not mask.any():
            return
        text = (pl.format(message, pl.lit(value)) if value is not None
                else pl.lit(message, dtype=pl.Utf8))
        self.problems.append(pl.select(pl.when(pl.lit(mask)).then(text)).to_series())

    def text(self, fld: str) -> pl.Series:
        """The field's cleaned text: its source headers in turn, first non-empty value.

        A value carried down from a section row (see `_skipped_rows`) comes last.
        """
        cols = [self._text(s.header) for s in self._sources(fld)]
        if fld in self.carried:
            cols.append(self.carried[fld])
        if not cols:
            return self._nulls(fld, pl.Utf8)
        if len(cols) == 1:
            return cols[0].alias(fld)
        return pl.select(pl.coalesce(cols)).to_series().alias(fld)

    def _raw_text(self, fld: str) -> pl.Series:
        """The field's text as written (trimmed), "" where it has none: for content keys."""
        return self.text(fld).str.strip_chars().fill_null("").alias(fld)

    def _blank(self, fld: str) -> pl.Series:
        """Rows where every source of `fld` is empty (blank, or a missing-value marker)."""
        sources = self._sources(fld)
        if not sources:
            return pl.repeat(True, self.height, eager=True)
        blanks = [self._text(s.header).str.strip_chars().replace(parse.NULL_MARKERS, None)
                  .is_null() for s in sources]
        return pl.select(pl.all_horizontal(blanks)).to_series()

    def required_text(self, fld: str, what: str) -> pl.Series:
        s = self.text(fld)
        self._flag(s.is_null(), f"{self._label(fld)} is empty: {what}")
        return s

    def timestamps(self, fld: str, sources: list[Source] | None = None,
                   required: bool = False) -> pl.Series:
        """Instants from the field's sources (first readable one), each value checked.

        Refused: unreadable text; a date before 1900 that is not a placeholder for "no
        date" (those are empty: parse.is_placeholder); a date more than a day after the
        load's start (METRICS.md section 8). The naive wall times are kept in `walls`.
        """
        sources = self._sources(fld) if sources is None else sources
        how = {True: "dates in this file are day-first", False: "dates in this file are"
               " month-first", None: "expected a date and time"}[self.order.day_first]
        values: list[pl.Series] = []
        walls: list[pl.Series] = []
        placeholders: list[pl.Series] = []
        for src in sources:
            txt = self._text(src.header)
            parsed, wall = self._parsed("date", src.header).result()
            placeholder = parse.is_placeholder(parsed)
            bad = unreadable(txt, parsed)
            self._flag(bad, f"'{src.header}' is '{{}}', not a date ({how})", txt)
            early = (parsed < parse.PLACEHOLDER_BEFORE) & ~placeholder
            self._flag(early, f"'{src.header}' is '{{}}', before 1900: not a real date", txt)
            late = parsed > self.latest
            self._flag(late, f"'{src.header}' is '{{}}', more than a day after this load", txt)
            drop = (placeholder | early | late).fill_null(False)
            if drop.any():
                parsed = parsed.set(drop, None)  # type: ignore[arg-type]
                wall = wall.set(drop, None)  # type: ignore[arg-type]
            values.append(parsed)
            walls.append(wall)
            placeholders.append(placeholder.fill_null(False) | (parsed.is_null() & ~bad
                                                                & ~(early | late).fill_null(False)))
        if not values:
            return self._nulls(fld, parse.INSTANT)
        out = values[0] if len(values) == 1 else pl.select(pl.coalesce(values)).to_series()
        if self.keep_walls:
            # The wall time of the value that was used (coalesce takes the first non-null).
            wall_out = walls[0]
            for v, w in zip(values[1:], walls[1:], strict=True):
                wall_out = pl.select(pl.when(pl.lit(out).is_not_null() & pl.lit(wall_out).is_null()
                                             & pl.lit(v).is_not_null()).then(w)
                                     .otherwise(wall_out)).to_series()
            self.walls[fld] = wall_out.alias(fld + "_naive")
        if required:
            empty = pl.select(pl.all_horizontal(placeholders)).to_series()
            self._flag(empty, f"{self._label(fld)} is empty: a date is required")
        return out.alias(fld)

    def wall(self, fld: str) -> pl.Series:
        """The naive wall times kept for `fld` (NULL where none)."""
        return self.walls.get(fld, self._nulls(fld + "_naive", pl.Datetime("us")))

    def numbers(self, fld: str, money: bool = False, minimum: float | None = None) -> pl.Series:
        """The field's numbers (exact decimals for money), each value checked.

        Refused: unreadable text; inf/nan; a magnitude the store cannot hold (money) or
        beyond parse.NUMBER_LIMIT (durations, counts, quantities); below `minimum`.
        A refused value is NULL here, so nothing computed from it can fail.
        """
        dtype = parse.STAGED_MONEY if money else pl.Float64
        values: list[pl.Series] = []
        for src in self._sources(fld):
            txt = self._text(src.header)
            value = self._parsed("money" if money else "number", src.header).result()
            if src.scale != 1:
                value = (value * float(src.scale)) if not money else (
                    value.cast(pl.Float64) * float(src.scale)).cast(parse.STAGED_MONEY,
                                                                     strict=False)
            kind = "an amount" if money else "a number"
            self._flag(unreadable(txt, value), f"'{src.header}' is '{{}}', not {kind}", txt)
            if money:
                limit = parse.MONEY_LIMIT[4 if fld == "unit_price" else 2]
                bad = value.abs() > limit
                self._flag(bad, f"'{src.header}' is '{{}}', too large an amount (over"
                           f" {limit:,})", txt)
            else:
                nonfinite = ~value.is_finite()
                self._flag(nonfinite, f"'{src.header}' is '{{}}', not a finite number", txt)
                big = value.abs() > parse.NUMBER_LIMIT
                self._flag(big & ~nonfinite, f"'{src.header}' is '{{}}', too large", txt)
                bad = nonfinite | big
            if minimum is not None:
                low = value < minimum
                self._flag(low & ~bad, f"'{src.header}' is '{{}}', below {minimum:g}", txt)
                bad = bad | low
            bad = bad.fill_null(False)
            if bad.any():
                value = value.set(bad, None)  # type: ignore[arg-type]
            values.append(value)
        if not values:
            return self._nulls(fld, dtype)
        out = values[0] if len(values) == 1 else pl.select(pl.coalesce(values)).to_series()
        if money:
            out = parse.as_cents_if_exact(out)
        return out.alias(fld)

    def _require(self, rows: pl.DataFrame, columns: tuple[str, ...]) -> None:
        """The store's NOT NULL columns: a row with no value there that no other check
        refused is refused here, so a load never meets the constraint."""
        unflagged = self.reasons().is_null()
        for column in columns:
            missing = rows[column].is_null() & unflagged
            if missing.any():
                label = self._label(column) if self._sources(column) else column
                self._flag(missing, f"{label} has no usable value: the row cannot be stored")
                unflagged = unflagged & ~missing

    def reasons(self) -> pl.Series:
        """Why each refused row is refused; a skipped row's reason is only its rule's."""
        if not self.problems:
            return self.skip_reason
        joined = pl.concat_str(self.problems, separator="; ", ignore_nulls=True)
        any_problem = pl.any_horizontal([p.is_not_null() for p in self.problems])
        return pl.select(pl.coalesce(self.skip_reason, pl.when(any_problem).then(joined))
                         ).to_series().alias("reason")

