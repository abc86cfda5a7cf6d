"""A large ticket CSV read in batches, in bounded memory, with the same result as reading
it whole.

What is decided per FILE is decided on the whole file: the date order (from the first
value of each distinct date part of each date column) and the decimal comma (from votes
summed over the number columns). Polars' streaming reader hands over batches of
BATCH_ROWS rows; the first batch usually decides both, so every batch is typed with that
decision while the same evidence is gathered from all of them, and the decision is made
again at the end: only when the whole file says otherwise are the batches typed again,
and when the first batch cannot decide, a first pass over the whole file decides before
any batch is typed. Each batch is typed and checked by the same field reader as a small
file, its rejects kept (with their row numbers), its rows written to a Parquet part in a
temporary directory. The load (store.write_load with a store.Staged) reads the parts in
one transaction and keeps the latest update of each ticket across all of them.

Only plain UTF-8 CSV ticket exports above STREAM_BYTES take this path. Anything else, and
any file whose batches Polars cannot read (ragged rows, bytes that are not UTF-8), is read
whole by prepare() as before: invoices number identical content-keyed lines and lines per
invoice over the whole file, and a skip rule's carried value runs across rows, so those
stay whole-file reads.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from pipelines import parse, reading, store
from pipelines.errors import InputError
from pipelines.ingest.fields import date_headers, number_headers
from pipelines.ingest.prepare import (
    FileContext,
    TypedExport,
    file_notes,
    read_rows,
    reject_rows,
    superseded_note,
)
from pipelines.reading import ROW, RawTable

STREAM_BYTES = 256 << 20  # files above this are read in batches (1M tickets: ~130 MB)
BATCH_ROWS = 250_000
DATE_KEY_CHARS = 11  # the date part YEAR_LAST looks at, and the character after it


def prepare_streamed(path: Path, context: FileContext) -> TypedExport | None:
    """The file prepared batch by batch, or None when it is not one to stream."""
    try:
        if path.stat().st_size < STREAM_BYTES:
            return None
        head = reading._read_head(path)
    except OSError:
        return None
    if not reading._plain_utf8(head) or reading._cr_line_ends(head) or b"\n" not in head:
        return None
    if head.startswith((reading.XLSX_MAGIC, reading.GZIP_MAGIC, reading.OLE2_MAGIC)):
        return None
    sample = reading.read_table(Path(context.name), head[:head.rfind(b"\n") + 1])
    detection = context.detect(sample.headers)
    if (detection.kind != "incidents" or sample.delimiter is None or sample.rejects
            or any(rule.get("carry") for rule in detection.profile.skip_rows_where)):
        return None
    spill = tempfile.TemporaryDirectory(prefix="breakeven-load-")
    try:
        return _prepare_batches(path, context, sample, detection, spill)
    except pl.exceptions.PolarsError:
        spill.cleanup()  # ragged rows, stray quotes, bytes that are not UTF-8: read whole
        return None
    except BaseException:
        spill.cleanup()
        raise


def _scan(path: Path, sample: RawTable) -> pl.LazyFrame:
    return pl.scan_csv(
        path, separator=sample.delimiter or ",", has_header=True,
        skip_rows=sample.header_row - 1, new_columns=sample.headers, infer_schema=False,
        quote_char='"', raise_if_empty=False,
    ).with_row_index(ROW, offset=sample.header_row + 1)


def _first_pass(lf: pl.LazyFrame, context: FileContext, sample: RawTable,
                detection: Any) -> tuple[parse.DateOrder, bool]:
    """The file's date order and decimal comma, decided on all of its rows by a pass of
    their own (when the first batch cannot decide them)."""
    headers = date_headers(detection, sample.headers)
    numbers = number_headers(detection)
    queries = []
    for h in headers:
        key = pl.col(h).str.strip_chars_start().str.slice(0, DATE_KEY_CHARS)
        # min() streams; taking the value at that row in the group would hold the column.
        queries.append(lf.select(ROW, h).filter(pl.col(h).is_not_null())
                       .group_by(key.alias("__key")).agg(pl.col(ROW).min()))
    if numbers:
        queries.append(lf.select(e for h in numbers for e in parse.decimal_comma_votes(h)))
    # One query plan: the scans of the file are shared between the date and number columns.
    found = pl.collect_all(queries, engine="streaming")
    dates = _values_at(lf, headers, [firsts[ROW] for firsts in found[:len(headers)]])
    votes = found[-1].row(0, named=True) if numbers else {}
    return _decided(context, sample, detection, dates, votes)


def _decided(context: FileContext, sample: RawTable, detection: Any,
             dates: dict[str, pl.Series], votes: dict[str, Any]) -> tuple[parse.DateOrder, bool]:
    remembered = context.remembered(sample.headers)
    order = parse.decide_date_order(context.name, dates, detection.profile.date_order,
                                    context.date_order, remembered.get("order"),
                                    remembered.get("file"))
    return order, parse.decimal_comma_from_votes(votes, sample.delimiter)


def _values_at(lf: pl.LazyFrame, headers: list[str], rows: list[pl.Series]
               ) -> dict[str, pl.Series]:
    """Each date column's text at its row numbers (few: one per distinct date), in file
    order, from one more scan of the file."""
    if not headers:
        return {}
    wanted = pl.concat(rows).unique()
    found = (lf.select(ROW, *headers).filter(pl.col(ROW).is_in(wanted.implode()))
             .collect(engine="streaming").sort(ROW))
    return {h: found.filter(pl.col(ROW).is_in(r.implode()))[h]
            for h, r in zip(headers, rows, strict=True)}


class _FileEvidence:
    """What decides the file's date order and decimal comma, gathered batch by batch as the
    first pass gathers it from the whole file: the first value of each date part per date
    column (parse.first_of_each_date, in file order) and the decimal-comma votes summed."""

    def __init__(self, dates: list[str], numbers: list[str]) -> None:
        self.firsts: dict[str, list[pl.Series]] = {h: [] for h in dates}
        self.numbers = numbers
        self.votes: dict[str, Any] = {}

    def add(self, batch: pl.DataFrame) -> None:
        for h, parts in self.firsts.items():
            firsts = parse.first_of_each_date(batch[h].drop_nulls())
            # Copied out: a filtered string column keeps the whole batch's text alive.
            parts.append(pl.Series(h, firsts.to_list(), pl.Utf8))
        if not self.numbers:
            return
        row: dict[str, Any] = {}
        for h in self.numbers:  # each distinct value once, weighted by its count
            counts = batch[h].drop_nulls().value_counts(name="__n")
            row.update(counts.select(parse.decimal_comma_votes(h, "__n")).row(0, named=True))
        for k, v in row.items():
            before = self.votes.get(k)
            if k.endswith("\x1fhas"):
                self.votes[k] = bool(before) or bool(v)
            else:
                self.votes[k] = int(before or 0) + int(v or 0)

    def dates(self) -> dict[str, pl.Series]:
        """Each date column's first value of each date part, in file order."""
        return {h: parse.first_of_each_date(pl.concat(parts) if parts
                                            else pl.Series(h, [], pl.Utf8))
                for h, parts in self.firsts.items()}


class _Staging:
    """The typed rows of a file's batches, written as Parquet parts to `spill`."""

    def __init__(self, spill: Path, context: FileContext, sample: RawTable, detection: Any,
                 order: parse.DateOrder, decimal_comma: bool) -> None:
        self.spill, self.context, self.sample, self.detection = spill, context, sample, detection
        self.order, self.decimal_comma = order, decimal_comma
        self.rejects: list[pl.DataFrame] = []
        self.notes: list[str] = []
        self.preview: pl.DataFrame | None = None
        self.empty_raw = sample.frame.head(0)
        self.rows_read = self.warnings = self.kept = 0
        self.ascending, self.last_id = True, None
        self.keys: list[pl.Series] = []  # a 64-bit hash of each kept (client, ticket_id)

    @property
    def glob(self) -> str:
        return str(self.spill / "*.parquet")

    def add(self, number: int, batch: pl.DataFrame) -> None:
        context, sample = self.context, self.sample
        batch = reading._drop_blank_rows(batch, sample.headers)
        if batch.height == 0:
            return
        raw = RawTable(batch, sample.headers, "utf-8", sample.delimiter, sample.header_row)
        reader = context.reader(raw, self.detection, self.order, self.decimal_comma)
        rows, reasons = read_rows(reader, context.workspace, context.keywords)
        self.rejects.append(reject_rows(raw, reasons))
        if reasons.null_count() < reasons.len():
            rows = rows.filter(reasons.is_null())
        self.rows_read += batch.height
        self.warnings += reader.warnings
        self.notes.extend(n for n in reader.notes if n not in self.notes)
        ids = rows["ticket_id"]
        if self.ascending and ids.len():
            self.ascending = bool((ids.slice(1) > ids.slice(0, ids.len() - 1)).all()) and (
                self.last_id is None or ids[0] > self.last_id)
            self.last_id = ids[-1]
        self.keys.append(rows.select(pl.struct("client", "ticket_id").hash()).to_series())
        if self.preview is None:
            self.preview, self.empty_raw = rows.head(1000).drop(ROW, "__updated"), batch.head(0)
        store.with_derived(rows, context.timezone).write_parquet(
            self.spill / f"part-{number:05d}.parquet", compression="lz4")
        self.kept += rows.height
        if context.progress:
            context.progress(0.3, f"{context.name}: {self.rows_read:,} rows read")

    def distinct(self) -> int:
        """How many (client, ticket_id) the parts hold: all of them when the ids ascend or
        their hashes are distinct (distinct hashes are distinct keys), else counted."""
        if self.ascending:
            return self.kept
        hashed = pl.concat(self.keys) if self.keys else pl.Series([], dtype=pl.UInt64)
        if hashed.len() == self.kept and hashed.n_unique() == self.kept:
            return self.kept
        return _distinct_tickets(self.glob)


def _batches(lf: pl.LazyFrame) -> Iterator[pl.DataFrame]:
    return iter(lf.collect_batches(chunk_size=BATCH_ROWS, engine="streaming"))


def _staged(lf: pl.LazyFrame, context: FileContext, sample: RawTable, detection: Any,
            spill: Path) -> _Staging:
    """The file's batches typed and written, with the date order and decimal comma decided
    on the whole file.

    Both are usually clear from the first batch (a day above 12, the format's order, the
    user's): the batches are typed with them while the evidence of every batch is gathered,
    and the decision is made again on all of it at the end. Only when it differs (say the
    first day above 12 is in a later batch, against the user's setting) are the batches
    typed again; when the first batch cannot decide, a first pass over the whole file does.
    """
    batches = _batches(lf)
    first = next(batches, None)
    evidence = _FileEvidence(date_headers(detection, sample.headers), number_headers(detection))
    assumed = None
    if first is not None:
        evidence.add(first)  # blank rows too, as the first pass reads them
        with contextlib.suppress(InputError):  # undecided, or mixed: the first pass tells
            assumed = _decided(context, sample, detection, evidence.dates(), evidence.votes)
    if first is None or assumed is None:
        decided = _first_pass(lf, context, sample, detection)
    else:
        staging = _Staging(spill, context, sample, detection, *assumed)
        staging.add(0, first)
        del first  # not held while the other batches are read
        for number, batch in enumerate(batches, start=1):
            evidence.add(batch)
            staging.add(number, batch)
        decided = _decided(context, sample, detection, evidence.dates(), evidence.votes)
        if (decided[0].day_first, decided[1]) == (assumed[0].day_first, assumed[1]):
            staging.order = decided[0]  # the whole file's reason, for the summary
            return staging
        for part in spill.glob("*.parquet"):
            part.unlink()
    staging = _Staging(spill, context, sample, detection, *decided)
    for number, batch in enumerate(_batches(lf)):
        staging.add(number, batch)
    return staging


def _prepare_batches(path: Path, context: FileContext, sample: RawTable, detection: Any,
                     spill: tempfile.TemporaryDirectory[str]) -> TypedExport:
    lf = _scan(path, sample)
    staging = _staged(lf, context, sample, detection, Path(spill.name))
    if staging.preview is None:
        raise InputError(f"{context.name}: the file has a header row but no data rows")
    distinct = staging.distinct()
    # No ticket twice (e.g. ids past a fixed digit width, T-9999999 < T-10000000, so not
    # ascending as text): the load skips the latest-per-ticket window, which spills at 10M.
    kept = staging.kept
    unique = distinct == kept
    notes = file_notes(staging.notes, staging.warnings)
    if kept > distinct:
        notes.append(superseded_note(kept - distinct))
    sample_raw = RawTable(staging.empty_raw, sample.headers, "utf-8", sample.delimiter,
                          sample.header_row)
    return TypedExport(
        context.name, sample_raw, detection, staging.order, staging.decimal_comma,
        staging.preview, pl.concat(staging.rejects).sort("row_number"),
        rows_read=staging.rows_read, warnings=staging.warnings, notes=notes,
        staged=store.Staged(staging.glob, context.timezone, distinct, unique=unique),
        spill=spill,
    )


def _distinct_tickets(glob: str) -> int:
    """How many (client, ticket_id) the staged parts hold (DuckDB spills, memory bounded)."""
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = '{store.STAGED_MEMORY_MB}MB'")
        with contextlib.suppress(duckdb.Error):
            con.execute("SET temp_directory = ?", [tempfile.gettempdir()])
        row = con.execute("SELECT count(*) FROM (SELECT DISTINCT client, ticket_id"
                          " FROM read_parquet(?))", [glob]).fetchone()
    finally:
        con.close()
    return int(row[0]) if row else 0
