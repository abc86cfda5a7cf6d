"""A large ticket CSV read in batches, in bounded memory, with the same result as reading
it whole.

What is decided per FILE is decided on the whole file before the first batch is typed: a
first pass over the date columns (only the first value of each distinct date part is kept)
decides the date order, and one over the number columns decides the decimal comma. Then
Polars' streaming reader hands over batches of BATCH_ROWS rows; each batch is typed and
checked by the same field reader as a small file, its rejects kept (with their row
numbers), its rows written to a Parquet part in a temporary directory. The load
(store.write_load with a store.Staged) reads the parts in one transaction and keeps the
latest update of each ticket across all of them.

Only plain UTF-8 CSV ticket exports above STREAM_BYTES take this path. Anything else, and
any file whose batches Polars cannot read (ragged rows, bytes that are not UTF-8), is read
whole by prepare() as before: invoices number identical content-keyed lines and lines per
invoice over the whole file, and a skip rule's carried value runs across rows, so those
stay whole-file reads.
"""

from __future__ import annotations

import contextlib
import tempfile
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
    """The file's date order and decimal comma, decided on all of its rows."""
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
    dates = {h: _values_at(lf, h, firsts[ROW].sort())
             for h, firsts in zip(headers, found, strict=False)}
    votes = found[-1].row(0, named=True) if numbers else {}
    remembered = context.remembered(sample.headers)
    order = parse.decide_date_order(context.name, dates, detection.profile.date_order,
                                    context.date_order, remembered.get("order"),
                                    remembered.get("file"))
    return order, parse.decimal_comma_from_votes(votes, sample.delimiter)


def _values_at(lf: pl.LazyFrame, column: str, rows: pl.Series) -> pl.Series:
    """The column's text at these row numbers (few: one per distinct date), in file order."""
    found = (lf.select(ROW, column).join(pl.DataFrame({ROW: rows}).lazy(), on=ROW, how="semi")
             .collect(engine="streaming"))
    return found.sort(ROW)[column]


def _prepare_batches(path: Path, context: FileContext, sample: RawTable, detection: Any,
                     spill: tempfile.TemporaryDirectory[str]) -> TypedExport:
    lf = _scan(path, sample)
    order, decimal_comma = _first_pass(lf, context, sample, detection)
    rejects: list[pl.DataFrame] = []
    notes: list[str] = []
    preview: pl.DataFrame | None = None
    empty_raw = sample.frame.head(0)
    rows_read = warnings = kept = 0
    ascending, last_id = True, None
    months_tz = context.timezone
    for number, batch in enumerate(lf.collect_batches(chunk_size=BATCH_ROWS,
                                                      engine="streaming")):
        batch = reading._drop_blank_rows(batch, sample.headers)
        if batch.height == 0:
            continue
        raw = RawTable(batch, sample.headers, "utf-8", sample.delimiter, sample.header_row)
        reader = context.reader(raw, detection, order, decimal_comma)
        rows, reasons = read_rows(reader, context.workspace, context.keywords)
        rejects.append(reject_rows(raw, reasons))
        if reasons.null_count() < reasons.len():
            rows = rows.filter(reasons.is_null())
        rows_read += batch.height
        warnings += reader.warnings
        notes.extend(n for n in reader.notes if n not in notes)
        ids = rows["ticket_id"]
        if ascending and ids.len():
            ascending = bool((ids.slice(1) > ids.slice(0, ids.len() - 1)).all()) and (
                last_id is None or ids[0] > last_id)
            last_id = ids[-1]
        if preview is None:
            preview, empty_raw = rows.head(1000).drop(ROW, "__updated"), batch.head(0)
        store.with_derived(rows, months_tz).write_parquet(
            Path(spill.name) / f"part-{number:05d}.parquet", compression="lz4")
        kept += rows.height
        if context.progress:
            context.progress(0.3, f"{context.name}: {rows_read:,} rows read")
    if preview is None:
        raise InputError(f"{context.name}: the file has a header row but no data rows")
    glob = str(Path(spill.name) / "*.parquet")
    distinct = kept if ascending else _distinct_tickets(glob)
    # No ticket twice (e.g. ids past a fixed digit width, T-9999999 < T-10000000, so not
    # ascending as text): the load skips the latest-per-ticket window, which spills at 10M.
    unique = ascending or distinct == kept
    notes = file_notes(notes, warnings)
    if kept > distinct:
        notes.append(superseded_note(kept - distinct))
    return TypedExport(
        context.name, RawTable(empty_raw, sample.headers, "utf-8", sample.delimiter,
                               sample.header_row),
        detection, order, decimal_comma, preview, pl.concat(rejects).sort("row_number"),
        rows_read=rows_read, warnings=warnings, notes=notes,
        staged=store.Staged(glob, months_tz, distinct, unique=unique), spill=spill,
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
