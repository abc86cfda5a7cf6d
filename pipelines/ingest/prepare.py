"""prepare(): one export read, recognised and typed, without touching the store.

The CLI's `inspect` and the dashboard's preview show exactly what a load would do. A large
plain CSV of tickets is read in batches instead (stream.py); the result is the same.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from pipelines import parse, store
from pipelines.errors import SettingError
from pipelines.formats import Detection, detect, header_fingerprint
from pipelines.ingest.fields import Reader
from pipelines.ingest.incidents import TicketReader, backwards_note
from pipelines.ingest.invoices import LedgerReader
from pipelines.reading import ROW, RawTable, read_table

Progress = Callable[[float, str], None]


@dataclass
class TypedExport:
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
    # A large file's rows, staged on disk batch by batch (then `rows` holds the first
    # batch's rows only, for a preview); `spill` is the directory holding them.
    staged: store.Staged | None = None
    spill: tempfile.TemporaryDirectory[str] | None = None

    @property
    def kind(self) -> str:
        return self.detection.kind

    @property
    def height(self) -> int:
        """The rows the load writes (after the latest-update-per-ticket rule)."""
        return self.staged.height if self.staged is not None else self.rows.height

    def close(self) -> None:
        """Remove staged parts, if any (a no-op for a file held in memory)."""
        if self.spill is not None:
            self.spill.cleanup()
            self.spill = None


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
) -> TypedExport:
    """Read, recognise and type one export without touching the store.

    `data_dir` is where the user's own format profiles are looked for (default: the
    default data directory).
    """
    name = display_name or path.name
    if date_order not in (None, "day-first", "month-first"):
        raise SettingError(f"date order {date_order!r}: use day-first or month-first")
    context = FileContext(name, workspace, kind, format_name, user_map, date_order, timezone,
                          saved, keywords or {}, date_orders or {}, data_dir,
                          now or datetime.now(UTC), progress)
    if data is None:
        from pipelines.ingest.stream import prepare_streamed

        streamed = prepare_streamed(path, context)
        if streamed is not None:
            return streamed
    raw = read_table(path, data, sheet=sheet)
    detection = context.detect(raw.headers)
    if progress:
        progress(0.3, f"{name}: {detection.profile.title}, {raw.frame.height:,} rows")
    reader = context.reader(raw, detection)
    rows, reasons = read_rows(reader, workspace, keywords or {})
    rejects = reject_rows(raw, reasons)
    if reasons.null_count() < reasons.len():
        rows = rows.filter(reasons.is_null())
    notes = list(raw.notes) + file_notes(reader.notes, reader.warnings)
    if detection.kind == "incidents":
        rows, superseded = _latest_per_ticket(rows)
        if superseded:
            notes.append(superseded_note(superseded))
        rows = rows.drop(ROW, "__updated")
    else:
        rows = rows.drop(ROW)
    return TypedExport(
        name, raw, detection, reader.order, reader.decimal_comma, rows, rejects,
        rows_read=raw.frame.height + len(raw.rejects), warnings=reader.warnings, notes=notes,
    )


@dataclass
class FileContext:
    """What shapes how one file is read, besides its own content."""

    name: str
    workspace: str
    kind: str | None
    format_name: str | None
    user_map: dict[str, str] | None
    date_order: str | None
    timezone: str
    saved: dict[str, Any] | None
    keywords: dict[str, list[str]]
    date_orders: dict[str, Any]
    data_dir: str | Path | None
    now: datetime
    progress: Progress | None

    def detect(self, headers: list[str]) -> Detection:
        return detect(headers, self.name, kind=self.kind, format_name=self.format_name,
                      user_map=self.user_map, saved=self.saved, data_dir=self.data_dir)

    def remembered(self, headers: list[str]) -> dict[str, Any]:
        """The date order remembered for this exact header, if any."""
        return self.date_orders.get(header_fingerprint(headers)) or {}

    def reader(self, raw: RawTable, detection: Detection, order: parse.DateOrder | None = None,
               decimal_comma: bool | None = None) -> Reader:
        """The kind's field reader over `raw` (order/decimal comma decided here if not given)."""
        cls = TicketReader if detection.kind == "incidents" else LedgerReader
        return cls(self.name, raw, detection, self.date_order,
                   detection.profile.naive_timezone or self.timezone,
                   remembered=self.remembered(raw.headers), now=self.now,
                   keep_walls=detection.profile.naive_timezone is None, order=order,
                   decimal_comma=decimal_comma)


def read_rows(reader: Reader, workspace: str, keywords: dict[str, list[str]]
              ) -> tuple[pl.DataFrame, pl.Series]:
    """The reader's canonical rows (ROW kept) and each row's reason (NULL: loaded)."""
    if isinstance(reader, TicketReader):
        return reader.incidents(workspace)
    assert isinstance(reader, LedgerReader)
    return reader.invoices(keywords)


def file_notes(reader_notes: list[str], backwards: int) -> list[str]:
    """The reader's notes, then the count of tickets resolved before they were opened."""
    return list(reader_notes) + ([backwards_note(backwards)] if backwards else [])


def superseded_note(count: int) -> str:
    return (f"{count:,} rows were earlier updates of the same tickets; the latest update of"
            " each ticket stands")


def reject_rows(raw: RawTable, reasons: pl.Series) -> pl.DataFrame:
    """The refused rows: row number, reason, the row's text (ragged rows first read)."""
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

