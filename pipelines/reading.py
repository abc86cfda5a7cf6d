"""Read an export file into a frame of strings: encoding, delimiter and header detected.

Every cell stays text here; typing is `parse.py`'s job, so that a bad value becomes a
reject with its reason instead of a failed read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines.errors import InputError

ROW = "__row"  # row number in the file, counting the header row as row 1
DELIMITERS = (",", ";", "\t", "|")
HEADER_SEARCH_ROWS = 30
XLSX_MAGIC = b"PK\x03\x04"


@dataclass
class RawTable:
    """An export as read: text cells under their (de-duplicated) header names."""

    frame: pl.DataFrame  # one Utf8 column per header, plus ROW
    headers: list[str]
    encoding: str
    delimiter: str | None  # None for spreadsheets
    header_row: int  # 1-based row of the header in the file
    rejects: list[tuple[int, str, str]] = field(default_factory=list)  # (row, reason, raw)


HEAD_BYTES = 1 << 18


def read_table(path: Path, data: bytes | None = None, *, sheet: str | None = None) -> RawTable:
    """Read a CSV (any common delimiter/encoding) or .xlsx export into a RawTable."""
    name = path.name
    try:
        head = data[:HEAD_BYTES] if data is not None else _read_head(path)
    except OSError as exc:
        raise InputError(f"{name}: cannot read the file ({exc.strerror})") from exc
    if not head.strip():
        raise InputError(f"{name}: the file is empty; export again with at least one row of data")
    if head.startswith(XLSX_MAGIC):
        return _read_xlsx(name, data if data is not None else path.read_bytes(), sheet)
    if data is None and _plain_utf8(head):
        # The common case: let Polars map the file itself; no copy, no decode in Python.
        head_text = head.decode("utf-8", errors="ignore")
        try:
            return _read_csv(name, head_text, path, "utf-8", lambda: path.read_text("utf-8"))
        except _NotUtf8:
            pass  # invalid UTF-8 further on: decode the whole file below
    if data is None:
        data = path.read_bytes()
    text, encoding = decode(name, data)
    text = text.removeprefix("\ufeff")
    source = data if encoding == "utf-8" else text.encode("utf-8")
    return _read_csv(name, text[:HEAD_BYTES], source, encoding, lambda: text)


class _NotUtf8(Exception):
    """The fast path met bytes that are not UTF-8."""


def _read_head(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(HEAD_BYTES)


def _plain_utf8(head: bytes) -> bool:
    """No BOM, no NUL, and UTF-8 as far as the head goes (a cut character at the end is fine)."""
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3
    return not _looks_binary(head[:4000])


def decode(name: str, data: bytes) -> tuple[str, str]:
    """Decode export bytes: BOMs first, then UTF-16 without BOM, UTF-8, Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    head = data[:4000]
    if head.count(b"\x00") > len(head) // 4:
        # UTF-16 without a BOM puts a NUL beside every ASCII character.
        even, odd = head[0::2].count(b"\x00"), head[1::2].count(b"\x00")
        encoding = "utf-16-be" if even > odd else "utf-16-le"
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            pass
    if b"\x00" in head or _looks_binary(head):
        raise InputError(
            f"{name}: this is not a text export (it contains binary data); export the tickets"
            " or invoices as CSV or .xlsx"
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name}: the text encoding is not UTF-8, UTF-16 or Windows-1252 (byte"
            f" {exc.start}); save the export as UTF-8 CSV"
        ) from exc


def _looks_binary(head: bytes) -> bool:
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    return controls > max(8, len(head) // 50)


def sniff_delimiter(line: str) -> str:
    """The delimiter that splits the header line into the most fields."""
    counts = {d: len(next(csv.reader([line], delimiter=d), [])) for d in DELIMITERS}
    return max(DELIMITERS, key=lambda d: counts[d])


def unique_headers(names: list[str]) -> list[str]:
    """Header names made unique: a repeated name gets ' (2)', ' (3)', ..."""
    seen: dict[str, int] = {}
    out = []
    for i, raw in enumerate(names):
        n = raw.strip() or f"column {i + 1}"
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out


def _find_header(lines: list[str], delimiter: str) -> int:
    """Index of the header line: the first with two or more non-empty cells.

    Report-style exports (QuickBooks) put title lines with one cell above the header.
    """
    for i, line in enumerate(lines[:HEADER_SEARCH_ROWS]):
        cells = next(csv.reader([line], delimiter=delimiter), [])
        if sum(1 for c in cells if c.strip()) >= 2:
            return i
    return 0


def _read_csv(
    name: str, head_text: str, source: Path | bytes, encoding: str, full_text: Callable[[], str]
) -> RawTable:
    head_lines = head_text.splitlines()[:HEADER_SEARCH_ROWS] or [""]
    first = next((ln for ln in head_lines if ln.strip()), "")
    delimiter = sniff_delimiter(first)
    h = _find_header(head_lines, delimiter)
    header_cells = next(csv.reader([head_lines[h]], delimiter=delimiter), [])
    if len([c for c in header_cells if c.strip()]) < 2:
        raise InputError(
            f"{name}: no header row with column names found in the first {HEADER_SEARCH_ROWS}"
            " lines; export with column headers"
        )
    headers = unique_headers(header_cells)
    rejects: list[tuple[int, str, str]] = []
    try:
        frame = pl.read_csv(
            source if isinstance(source, Path) else io.BytesIO(source), separator=delimiter,
            has_header=True, skip_rows=h, new_columns=headers, infer_schema=False,
            quote_char='"', raise_if_empty=False,
        )
        if frame.width != len(headers):
            raise pl.exceptions.ComputeError("column count differs from header")
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        if isinstance(source, Path) and "utf" in str(exc).lower():
            raise _NotUtf8 from exc
        # Ragged rows: read record by record so the bad ones can be listed, not lost.
        frame, rejects = _read_ragged(full_text(), delimiter, h, headers)
    else:
        frame = frame.with_row_index(ROW, offset=h + 2)
    frame = _drop_blank_rows(frame, headers)
    if frame.height == 0:
        raise InputError(f"{name}: the file has a header row but no data rows")
    return RawTable(frame, headers, encoding, delimiter, h + 1, rejects)


def _read_ragged(
    text: str, delimiter: str, h: int, headers: list[str]
) -> tuple[pl.DataFrame, list[tuple[int, str, str]]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[list[str | None]] = []
    numbers: list[int] = []
    rejects: list[tuple[int, str, str]] = []
    width = len(headers)
    for i, record in enumerate(reader):
        if i <= h:
            continue
        row_number = i + 1
        if len(record) > width and any(c.strip() for c in record[width:]):
            rejects.append((
                row_number,
                (f"row has {len(record)} fields but the header has {width}"
                " (a delimiter or quote inside a value?)"),
                delimiter.join(record),
            ))
            continue
        cells: list[str | None] = [c if c != "" else None for c in record[:width]]
        rows.append(cells + [None] * (width - len(cells)))
        numbers.append(row_number)
    frame = pl.DataFrame(rows, schema={c: pl.Utf8 for c in headers}, orient="row")
    frame = frame.with_columns(pl.Series(ROW, numbers, dtype=pl.UInt32)).select(ROW, *headers)
    return frame, rejects


def _drop_blank_rows(frame: pl.DataFrame, headers: list[str]) -> pl.DataFrame:
    """Blank lines are not rows: drop records whose every cell is empty."""
    blank = frame.select(pl.all_horizontal([pl.col(c).is_null() for c in headers])).to_series()
    return frame.filter(~blank) if blank.any() else frame


def _read_xlsx(name: str, data: bytes, sheet: str | None) -> RawTable:
    try:
        frame = pl.read_excel(io.BytesIO(data), sheet_name=sheet, has_header=False,
                              infer_schema_length=0, drop_empty_rows=False)
    except Exception as exc:  # fastexcel raises its own types for corrupt workbooks
        raise InputError(f"{name}: cannot read this .xlsx workbook ({exc})") from exc
    frame = frame.select(pl.all().cast(pl.Utf8))
    if frame.height == 0:
        raise InputError(f"{name}: the workbook's first sheet is empty")
    lines = [
        [c for c in row if c is not None and str(c).strip()]
        for row in frame.head(HEADER_SEARCH_ROWS).iter_rows()
    ]
    h = next((i for i, cells in enumerate(lines) if len(cells) >= 2), 0)
    headers = unique_headers([str(c) if c is not None else "" for c in frame.row(h)])
    body = frame.slice(h + 1)
    body.columns = headers
    body = body.with_row_index(ROW, offset=h + 2)
    body = _drop_blank_rows(body, headers)
    if body.height == 0:
        raise InputError(f"{name}: the workbook has a header row but no data rows")
    return RawTable(body, headers, "xlsx", None, h + 1)
