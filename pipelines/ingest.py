"""Ingest: an export file -> canonical rows and rejects -> one transactional load.

`prepare()` does everything that does not touch the store (read, detect, type, check), so
the CLI's `inspect` and the dashboard's preview show exactly what a load would do.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from pipelines import parse, scrub, store
from pipelines.errors import InputError, SettingError
from pipelines.formats import Detection, Source, detect, header_fingerprint, norm
from pipelines.invoice_kinds import classify_kinds, load_keywords
from pipelines.reading import ROW, RawTable, read_table
from pipelines.workspace import connect, workspace_path
from pipelines.workspace import exists as workspace_exists

Progress = Callable[[float, str], None]
MAPPING_PREFIX = "mapping:"
DATE_ORDER_PREFIX = "date_order:"  # + header fingerprint -> the order decided for that header
TYPED_FIELDS = ("opened_at", "resolved_at", "invoice_date", "downtime_minutes", "users_affected",
                "labour_hours", "billed_amount", "quantity", "unit_price", "amount", "tax",
                "line_no", "responded_at", "response_minutes")


@dataclass
class Prepared:
    """A file read, recognised and typed, ready to load."""

    file_name: str
    raw: RawTable
    detection: Detection
    date_order: parse.DateOrder
    decimal_comma: bool
    rows: pl.DataFrame  # canonical columns of detection.kind, one row per ticket / line
    rejects: pl.DataFrame  # row_number, reason, raw
    rows_read: int
    warnings: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.detection.kind


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def ingest_file(
    path: str | Path,
    workspace: str,
    data_dir: str | Path | None = None,
    *,
    kind: str | None = None,
    format: str | None = None,
    mapping: dict[str, str] | None = None,
    date_order: str | None = None,
    display_name: str | None = None,
    progress: Progress | None = None,
    sheet: str | None = None,
) -> store.LoadSummary:
    """Load one export into `workspace`; return what the load did.

    An identical file (same sha256) already loaded is a no-op ("unchanged"). Anything that
    goes wrong raises a BreakevenError and leaves the workspace as it was; a workspace that
    did not exist is created by its first load only when that load commits (no file is
    left behind by a failed or killed first load).
    """
    path = Path(path)
    name = display_name or path.name
    report = progress or (lambda f, msg: None)
    started = datetime.now(UTC)
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(sha256_of, path)  # hashing overlaps the reading
        report(0.05, f"reading {name}")
        context: dict[str, Any] = {}
        if workspace_exists(workspace, data_dir):
            with connect(workspace, data_dir) as con:
                context = load_context(con)
        # A file that cannot be read fails here, before the workspace is created or opened
        # for writing.
        prepared = prepare(
            path, workspace, kind=kind, format_name=format, user_map=mapping,
            date_order=date_order, display_name=name, progress=report, data_dir=data_dir,
            sheet=sheet, now=started, **context,
        )
        sha = digest.result()
    target = workspace_path(workspace, data_dir)
    if not target.exists():
        return _first_load(target, prepared, sha, started, mapping, report)
    with connect(workspace, data_dir) as con:
        return load_unless_loaded(con, prepared, sha, started, mapping, report)


def _first_load(target: Path, prepared: Prepared, sha: str, started: datetime,
                user_map: dict[str, str] | None, report: Progress) -> store.LoadSummary:
    """Create a workspace with its first load: written to a hidden file beside it, which
    becomes `target` only once the load has committed and the file is closed.

    If another process created the workspace meanwhile, the load goes into that one.
    """
    missing = [d for d in [target.parent, *target.parent.parents] if not d.exists()]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingError(f"cannot create the data directory {target.parent}"
                           f" ({exc.strerror})") from exc
    _drop_stale_partials(target)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    committed = False
    try:
        con = duckdb.connect(str(partial))
        try:
            store.ensure_schema(con)
            summary = load_unless_loaded(con, prepared, sha, started, user_map, report)
        finally:
            con.close()
        try:
            os.link(partial, target)  # never replaces a workspace created meanwhile
            committed = True
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not target.exists():
                os.replace(partial, target)
                committed = True
    finally:
        for p in (partial, partial.with_name(partial.name + ".wal")):
            with contextlib.suppress(OSError):
                p.unlink()
        if not target.exists():
            for d in missing:  # deepest first: only the directories this load created
                with contextlib.suppress(OSError):
                    d.rmdir()
    if committed:
        return summary
    with connect(target.stem, target.parent) as con:
        return load_unless_loaded(con, prepared, sha, started, user_map, report)


def _drop_stale_partials(target: Path) -> None:
    """Remove hidden first-load files left by a process that was killed."""
    for p in target.parent.glob(f".{target.name}.*.partial*"):
        pid = p.name.removeprefix(f".{target.name}.").split(".", 1)[0]
        try:
            os.kill(int(pid), 0)
        except (ValueError, ProcessLookupError):
            with contextlib.suppress(OSError):
                p.unlink()
        except OSError:
            pass  # alive (another user's process)


def load_unless_loaded(
    con: duckdb.DuckDBPyConnection,
    prepared: Prepared,
    sha: str,
    started: datetime,
    user_map: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> store.LoadSummary:
    """Load a prepared file, or report "unchanged" when a byte-identical file was loaded."""
    report = progress or (lambda f, msg: None)
    name = prepared.file_name
    earlier = store.find_identical_load(con, sha)
    if earlier is not None:
        report(1.0, f"{name}: already loaded")
        return store.LoadSummary(
            name, prepared.kind, prepared.detection.profile.name,
            rows_read=prepared.rows_read,
            rows_loaded=prepared.rows_read - prepared.rejects.height,
            rows_rejected=prepared.rejects.height, status="unchanged",
            message=f"identical to load {earlier}; nothing changed",
        )
    report(0.8, f"writing {prepared.rows.height:,} rows of {name}")
    try:
        summary = load_prepared(con, prepared, sha, started, user_map or None)
    except (duckdb.ConversionException, duckdb.ConstraintException,
            duckdb.OutOfRangeException, duckdb.InvalidInputException) as exc:
        # A value the checks above should have refused (a bug): the load is rolled back;
        # say so in one line rather than with a traceback. The fuzz test fails on this text.
        first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{name}: a value could not be stored ({first}); nothing was loaded."
                         " Please report this file") from exc
    report(1.0, f"{name}: loaded")
    return summary


def load_context(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Workspace settings that shape how a file is read: time zone, saved mappings, keywords."""
    scenario = store.get_setting(con, "scenario", {}) or {}
    return {
        "timezone": scenario.get("timezone", "UTC"),
        "saved": {k.removeprefix(MAPPING_PREFIX): v
                  for k, v in store.settings_with_prefix(con, MAPPING_PREFIX).items()},
        "date_orders": {k.removeprefix(DATE_ORDER_PREFIX): v for k, v in
                        store.settings_with_prefix(con, DATE_ORDER_PREFIX).items()},
        "keywords": load_keywords(con),
    }


def load_prepared(
    con: duckdb.DuckDBPyConnection,
    prepared: Prepared,
    sha: str,
    started: datetime,
    user_map: dict[str, str] | None = None,
) -> store.LoadSummary:
    """Write a prepared file as one load; remember a hand-made mapping for its header."""
    summary = store.LoadSummary(
        prepared.file_name, prepared.kind, prepared.detection.profile.name,
        rows_read=prepared.rows_read, rows_rejected=prepared.rejects.height,
        rows_loaded=prepared.rows_read - prepared.rejects.height, warnings=prepared.warnings,
        message="; ".join(prepared.notes),
    )
    # A workspace that scrubs personal data gets tokens instead (pipelines/scrub.py).
    rows, rejects = scrub.for_load(con, prepared)
    summary = store.write_load(con, summary, sha, rows, rejects, started)
    if user_map:
        save_mapping(con, prepared.raw.headers, prepared.detection, user_map)
    save_date_order(con, prepared)
    return summary


def save_date_order(con: duckdb.DuckDBPyConnection, prepared: Prepared) -> None:
    """Remember the date order a loaded file showed (or was given) for its exact header.

    The next export with the same header whose dates are all ambiguous (no day above 12)
    is then read in the same order, as a saved `--map` is reused.
    """
    order = prepared.date_order
    if order.day_first is None or order.source not in ("data", "user"):
        return
    store.set_setting(con, DATE_ORDER_PREFIX + header_fingerprint(prepared.raw.headers), {
        "order": "day-first" if order.day_first else "month-first",
        "file": prepared.file_name, "reason": order.reason,
    })


def save_mapping(con: duckdb.DuckDBPyConnection, headers: list[str], detection: Detection,
                 user_map: dict[str, str]) -> None:
    """Remember `user_map` for files with this exact header (by fingerprint)."""
    store.set_setting(con, MAPPING_PREFIX + header_fingerprint(headers), {
        "kind": detection.kind, "format": detection.profile.name, "map": user_map,
        "headers": headers,
    })


def prepare(
    path: Path,
    workspace: str,
    *,
    kind: str | None = None,
    format_name: str | None = None,
    user_map: dict[str, str] | None = None,
    date_order: str | None = None,
    timezone: str = "UTC",
    saved: dict[str, Any] | None = None,
    keywords: dict[str, list[str]] | None = None,
    display_name: str | None = None,
    data: bytes | None = None,
    progress: Progress | None = None,
    data_dir: str | Path | None = None,
    date_orders: dict[str, Any] | None = None,
    sheet: str | None = None,
    now: datetime | None = None,
) -> Prepared:
    """Read, recognise and type one export without touching the store.

    `data_dir` is where the user's own format profiles are looked for (default: the
    default data directory).
    """
    name = display_name or path.name
    if date_order not in (None, "day-first", "month-first"):
        raise SettingError(f"date order {date_order!r}: use day-first or month-first")
    raw = read_table(path, data, sheet=sheet)
    detection = detect(raw.headers, name, kind=kind, format_name=format_name,
                       user_map=user_map, saved=saved, data_dir=data_dir)
    if progress:
        progress(0.3, f"{name}: {detection.profile.title}, {raw.frame.height:,} rows")
    remembered = (date_orders or {}).get(header_fingerprint(raw.headers)) or {}
    reader = _Reader(name, raw, detection, date_order,
                     detection.profile.naive_timezone or timezone,
                     remembered=remembered, now=now or datetime.now(UTC),
                     keep_walls=detection.profile.naive_timezone is None)
    if detection.kind == "incidents":
        rows, reasons = reader.incidents(workspace)
    else:
        rows, reasons = reader.invoices(keywords or {})
    rejects = _rejects(raw, reasons)
    if reasons.null_count() < reasons.len():
        rows = rows.filter(reasons.is_null())
    notes = list(raw.notes) + list(reader.notes)
    if detection.kind == "incidents":
        rows, superseded = _latest_per_ticket(rows)
        if superseded:
            notes.append(f"{superseded:,} rows were earlier updates of the same tickets;"
                         " the latest update of each ticket stands")
        rows = rows.drop(ROW, "__updated")
    else:
        rows = rows.drop(ROW)
    return Prepared(
        name, raw, detection, reader.order, reader.decimal_comma, rows, rejects,
        rows_read=raw.frame.height + len(raw.rejects), warnings=reader.warnings, notes=notes,
    )


def _rejects(raw: RawTable, reasons: pl.Series) -> pl.DataFrame:
    bad = raw.frame.filter(reasons.is_not_null())
    sep = raw.delimiter or ","
    parsed = bad.select(
        pl.col(ROW).cast(pl.Int64).alias("row_number"),
        reason=reasons.filter(reasons.is_not_null()),
        raw=pl.concat_str([pl.col(h).fill_null("") for h in raw.headers], separator=sep),
    )
    ragged = pl.DataFrame(raw.rejects, schema={"row_number": pl.Int64, "reason": pl.Utf8,
                                               "raw": pl.Utf8}, orient="row")
    return pl.concat([ragged, parsed]).sort("row_number")


def _latest_per_ticket(rows: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """One row per (client, ticket_id): the latest update, else the last row in the file."""
    ids = rows["ticket_id"]
    # Exports sorted by ticket number are unique when strictly increasing: a cheap check.
    if rows.height < 2 or (ids.slice(1) > ids.slice(0, rows.height - 1)).all() or (
            ids.n_unique() == rows.height):
        return rows, 0
    latest = (rows.sort(["__updated", ROW], nulls_last=False)
              .unique(subset=["client", "ticket_id"], keep="last", maintain_order=False)
              .sort(ROW))
    return latest, rows.height - latest.height


class _Reader:
    """Turns a RawTable's text columns into canonical typed columns, noting bad values."""

    def __init__(self, name: str, raw: RawTable, detection: Detection,
                 user_order: str | None, tz: str, *, remembered: dict[str, Any] | None = None,
                 now: datetime | None = None, keep_walls: bool = True) -> None:
        self.name, self.raw, self.det, self.tz = name, raw, detection, tz
        # METRICS.md section 8: a date more than a day after the load's start is refused.
        self.latest = (now or datetime.now(UTC)) + timedelta(days=1)
        self.keep_walls = keep_walls
        self.walls: dict[str, pl.Series] = {}  # field -> naive wall times (see store.retime)
        self.frame = raw.frame
        self.height = raw.frame.height
        self.problems: list[pl.Series] = []
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
        date_fields = ("opened_at", "resolved_at", "invoice_date", "responded_at")
        date_cols = {s.header: self._text(s.header) for f in date_fields
                     for s in detection.mapping.get(f, [])}
        date_cols.update({s.header: self._text(s.header) for s in self.updated_sources})
        remembered = remembered or {}
        self.order = parse.decide_date_order(name, date_cols, profile.date_order, user_order,
                                             remembered.get("order"), remembered.get("file"))
        money_fields = ("billed_amount", "amount", "unit_price", "tax", "labour_hours",
                        "downtime_minutes", "quantity", "response_minutes")
        money_cols = {s.header: self._text(s.header) for f in money_fields
                      for s in detection.mapping.get(f, [])}
        self.decimal_comma = parse.decide_decimal_comma(money_cols, raw.delimiter)

    def _skipped_rows(self) -> tuple[pl.Series, dict[str, pl.Series]]:
        """Rows the profile says are not data, with their reason; values carried down.

        The first rule a row matches gives its reason. A `carry` rule's value holds for the
        rows below it until the next skipped row (the next section, or a total).
        """
        reason = self._nulls("reason", pl.Utf8)
        carried: dict[str, pl.Series] = {}
        taken = pl.repeat(False, self.height, eager=True)
        for rule in self.det.profile.skip_rows_where:
            cols = self._present(tuple(_as_list(rule["column"])))
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

    def _present(self, headers: tuple[str, ...]) -> list[str]:
        by_norm = {norm(h): h for h in self.raw.headers}
        return [by_norm[norm(h)] for h in headers if norm(h) in by_norm]

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
            parsed, wall = parse.parse_timestamps_wall(txt, self.order.day_first, self.tz)
            placeholder = parse.is_placeholder(parsed)
            bad = _unreadable(txt, parsed)
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
            value = (parse.parse_money_staged(txt, self.decimal_comma) if money
                     else parse.parse_number(txt, self.decimal_comma))
            if src.scale != 1:
                value = (value * float(src.scale)) if not money else (
                    value.cast(pl.Float64) * float(src.scale)).cast(parse.STAGED_MONEY,
                                                                     strict=False)
            kind = "an amount" if money else "a number"
            self._flag(_unreadable(txt, value), f"'{src.header}' is '{{}}', not {kind}", txt)
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

    # --- the two kinds -------------------------------------------------------------------

    def incidents(self, workspace: str) -> tuple[pl.DataFrame, pl.Series]:
        profile = self.det.profile
        ticket_id = self.required_text("ticket_id", "every ticket needs its number")
        priority_raw = self.text("priority")
        opened = self.timestamps("opened_at", required=True)
        resolved = self.timestamps("resolved_at")
        responded = self.responded_at(opened)
        updated = self.timestamps("__updated", self.updated_sources)
        users = self.numbers("users_affected", minimum=0)
        self._flag(users.is_not_null() & (users != users.floor()),
                   "'users affected' is not a whole number")
        self._flag(users >= 2**31, "'users affected' is '{}', too large", users.cast(pl.Utf8))
        rows = pl.DataFrame({
            ROW: self.frame[ROW],
            "ticket_id": ticket_id,
            "client": self.text("client").fill_null(workspace),
            "site": self.text("site"),
            "asset": self.text("asset"),
            "category": self.text("category"),
            "priority_raw": priority_raw,
            "title": self.text("title"),
            "status": self.text("status"),
            "opened_at": opened,
            "resolved_at": resolved,
            "downtime_minutes": self.numbers("downtime_minutes", minimum=0),
            "users_affected": users.cast(pl.Int32, strict=False),
            "labour_hours": self.numbers("labour_hours", minimum=0),
            "billed_amount": self.numbers("billed_amount", money=True),
            "responded_at": responded,
            "__updated": updated,
            "priority": parse.normalise_priorities(priority_raw, profile.values.get("priority")),
        })
        self._require(rows, ("ticket_id", "client", "opened_at"))
        reasons = self.reasons()
        ok = reasons.is_null()
        backwards = rows.filter(ok & (pl.col("resolved_at") < pl.col("opened_at"))).height
        if backwards:
            self.warnings = backwards
            self.notes.append(f"{backwards:,} tickets were resolved before they were opened:"
                              " loaded, but left out of time to resolve")
        rows = rows.with_columns(self.wall(column).alias(naive)
                                 for column, naive in store.NAIVE_TIMESTAMPS)
        cols = store.INCIDENT_COLUMNS + store.NAIVE_COLUMNS
        return rows.select(ROW, *cols, "__updated"), reasons

    def _dated_sources(self, fld: str) -> list[Source]:
        """The field's sources that hold at least one date. An optional column matched by
        name but holding no date at all ('Acknowledged' = Yes/No) is not that field: it is
        left unread, with a note, rather than refusing every row."""
        kept = []
        for src in self._sources(fld):
            txt = self._text(src.header)
            parsed, _ = parse.parse_timestamps_wall(txt, self.order.day_first, self.tz)
            if txt.drop_nulls().len() and not parsed.drop_nulls().len():
                example = txt.drop_nulls()[0]
                self.notes.append(f"'{src.header}' holds no dates (e.g. '{example}'): not read"
                                  f" as {fld}")
                continue
            kept.append(src)
        return kept

    def responded_at(self, opened: pl.Series) -> pl.Series:
        """The first response: its timestamp, else opened_at + the calendar minutes to it.

        A negative duration is kept (the ticket then stays out of response times, like a
        ticket resolved before it was opened); an unreadable one refuses the row.
        """
        stamp = self.timestamps("responded_at", self._dated_sources("responded_at"))
        if not self._sources("response_minutes"):
            return stamp
        minutes = self.numbers("response_minutes")
        micros = (pl.lit(minutes) * 60e6).round(0).cast(pl.Int64, strict=False)
        after = pl.lit(opened) + pl.duration(microseconds=micros)
        derived = pl.select(after).to_series()
        late = stamp.is_null() & (derived > self.latest)
        self._flag(late, f"{self._label('response_minutes')} is '{{}}': a response more than a"
                   " day after this load", minutes.cast(pl.Utf8))
        derived = derived.set(late.fill_null(False), None)  # type: ignore[arg-type]
        if self.keep_walls and "opened_at" in self.walls:
            # The wall time of a derived response: the opening's wall time plus the minutes.
            wall_after = pl.select(pl.lit(self.walls["opened_at"])
                                   + pl.duration(microseconds=micros)).to_series()
            self.walls["responded_at"] = pl.select(pl.when(stamp.is_null()).then(wall_after)
                                                   .otherwise(self.wall("responded_at"))
                                                   ).to_series()
        return pl.select(pl.coalesce(pl.lit(stamp), pl.lit(derived))).to_series().alias(
            "responded_at")

    def invoices(self, keywords: dict[str, list[str]]) -> tuple[pl.DataFrame, pl.Series]:
        profile = self.det.profile
        invoice_id = self.text("invoice_id")
        date = self.timestamps("invoice_date", required=True)
        # Quantity and unit price are parsed once: each bad value gives one reason.
        quantity = self.numbers("quantity")
        unit_price = self.numbers("unit_price", money=True)
        if self._sources("amount"):
            amount = self.numbers("amount", money=True)
            self._flag(self._blank("amount"),
                       f"{self._label('amount')} is empty: every invoice line needs an amount")
            amount_text = self._raw_text("amount")
        else:  # no amount column: quantity x unit price, rounded to cents by the store
            amount = (quantity.cast(parse.STAGED_MONEY, strict=False)
                      * unit_price.cast(parse.STAGED_MONEY, strict=False)
                      ).cast(parse.STAGED_MONEY, strict=False)
            empty = self._blank("quantity") | self._blank("unit_price")
            self._flag(empty, f"{self._label('quantity')} or {self._label('unit_price')} is"
                       " empty: the line's amount is unknown")
            big = amount.abs() > parse.MONEY_LIMIT[2]
            self._flag(big, f"{self._label('quantity')} x {self._label('unit_price')} is"
                       " '{}', too large an amount (over"
                       f" {parse.MONEY_LIMIT[2]:,})", amount.cast(pl.Utf8))
            amount = amount.set(big.fill_null(False), None)  # type: ignore[arg-type]
            amount_text = pl.select(pl.concat_str(
                [self._raw_text("quantity"), self._raw_text("unit_price")], separator="x")
            ).to_series()
        description = self.text("description")
        client = self.text("client")
        missing_id = invoice_id.is_null() & self.skip_reason.is_null()
        if missing_id.any():
            # Spend ledgers often have no invoice number: key such lines by their content,
            # as written in the file (the same text gives the same key in any later file,
            # whatever else is in it and whatever the workspace's time zone).
            keys = _content_keys(self._raw_text("invoice_date"), self._raw_text("client"),
                                 self._raw_text("description"), amount_text)
            invoice_id = pl.select(pl.coalesce(invoice_id, keys)).to_series().alias("invoice_id")
            self.notes.append(f"{int(missing_id.sum()):,} lines have no invoice number: each is"
                              " keyed by its date, client, description and amount")
        for col in self._present(profile.subtract.get("amount", ())):  # Stripe's refunds
            less = parse.parse_money(self._text(col), self.decimal_comma)
            self._flag(_unreadable(self._text(col), less), f"'{col}' is '{{}}', not an amount",
                       self._text(col))
            amount = (amount - less.fill_null(0)).alias("amount")
        tax = self.numbers("tax", money=True)
        negate = self._negate_mask(profile.negate_when)
        if negate is not None:
            amount = pl.select(pl.when(negate).then(-amount.abs()).otherwise(amount)).to_series()
            tax = pl.select(pl.when(negate).then(-tax.abs()).otherwise(tax)).to_series()
        line_no = self.numbers("line_no")
        rows = pl.DataFrame({
            ROW: self.frame[ROW],
            "invoice_id": invoice_id,
            "line_no": line_no.cast(pl.Int32, strict=False),
            "invoice_date": date.dt.convert_time_zone(self.tz).dt.date(),
            "client": client,
            "description": description,
            "quantity": quantity,
            "unit_price": unit_price,
            "amount": amount,
            "tax": tax,
            "currency": self.text("currency").str.to_uppercase(),
            "ticket_id": self.text("ticket_id"),
            "kind": classify_kinds(self._kind_text(), description, keywords),
        })
        if not self._sources("line_no"):
            rows = rows.with_columns(
                line_no=(pl.int_range(pl.len()).over("invoice_id") + 1).cast(pl.Int32))
        if not self._sources("currency"):
            code = _currency_from_header(self._sources("amount"))
            if code:
                rows = rows.with_columns(currency=pl.lit(code))
        self._require(rows, ("invoice_id", "line_no", "invoice_date", "amount", "kind"))
        reasons = self.reasons()
        return rows.select(ROW, *store.INVOICE_COLUMNS), reasons

    def _kind_text(self) -> pl.Series:
        """The type column's text, through the profile's `[values.kind]` map where it has one.

        A map turns a tool's own type names (ConnectWise `Standard`) into a kind's name.
        """
        text = self.text("kind")
        value_map = self.det.profile.values.get("kind")
        if not value_map:
            return text
        lowered = {k.lower(): v for k, v in value_map.items()}
        mapped = text.str.to_lowercase().replace_strict(lowered, default=None,
                                                        return_dtype=pl.Utf8)
        return pl.select(pl.coalesce(mapped, text)).to_series().alias("kind")

    def _negate_mask(self, rule: dict[str, Any]) -> pl.Series | None:
        if not rule:
            return None
        cols = self._present(tuple(rule.get("column", ())))
        if not cols:
            return None
        values = [v.lower() for v in rule.get("values", [])]
        text = self._text(cols[0]).str.to_lowercase()
        mask = text.is_in(values).fill_null(False)
        if rule.get("pattern"):  # e.g. "credit": Xero's ACCRECCREDIT, "Sales credit note"
            mask = mask | text.str.contains(rule["pattern"].lower()).fill_null(False)
        return mask


def _as_list(v: str | list[str]) -> list[str]:
    return [v] if isinstance(v, str) else list(v)


def _unreadable(text: pl.Series, value: pl.Series) -> pl.Series:
    """Cells with text that did not parse; padded blanks and markers are empty, not bad."""
    bad = text.is_not_null() & value.is_null()
    if bad.any():
        bad = bad & text.str.strip_chars().replace(parse.NULL_MARKERS, None).is_not_null()
    return bad


def _content_keys(date: pl.Series, client: pl.Series, description: pl.Series,
                  amount: pl.Series) -> pl.Series:
    """Stable ids for ledger lines that have no invoice number, from their raw text.

    The cells are joined with a separator no export uses (an empty cell is "", so no two
    different lines join to the same text). Identical lines in one file get #1, #2, ...
    so none replaces another.
    """
    content = pl.select(pl.concat_str([date.fill_null(""), client.fill_null(""),
                                       description.fill_null(""), amount.fill_null("")],
                                      separator="\x1f")).to_series()
    keys = [hashlib.sha1(c.encode("utf-8", errors="surrogatepass")).hexdigest()[:12]
            for c in content.to_list()]
    frame = pl.DataFrame({"k": keys}).with_columns(n=pl.int_range(pl.len()).over("k") + 1)
    return frame.select(pl.format("L-{}-{}", "k", "n")).to_series().alias("invoice_id")


def _currency_from_header(sources: list[Source]) -> str | None:
    """`amount_gbp`, `Amount (USD)` -> the ISO code in the header, when there is one."""
    for s in sources:
        m = re.search(r"(?i)\b(gbp|usd|eur|aud|cad|nzd|chf|zar|sek|nok|dkk|jpy|inr|sgd)\b",
                      s.header.replace("_", " "))
        if m:
            return m.group(1).upper()
    return None
