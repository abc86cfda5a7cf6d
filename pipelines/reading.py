"""Read an export file into a frame of strings: encoding, delimiter and header detected.

Every cell stays text here; typing is `parse.py`'s job, so that a bad value becomes a
reject with its reason instead of a failed read.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import fastexcel
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
    notes: list[str] = field(default_factory=list)  # how the file was read, for the summary


HEAD_BYTES = 1 << 18
MAX_INNER_BYTES = 4 << 30  # an archive member larger than this is refused (a zip bomb?)
EXPORT_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls")
GZIP_MAGIC = b"\x1f\x8b"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls workbooks (and .doc, .msg)
# Other files users pick by mistake: what to call them in the error.
FOREIGN_MAGIC = [
    (b"%PDF", "a PDF document"), (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"), (b"SQLite format 3", "an SQLite database"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"), (b"Rar!", "a RAR archive"),
    (b"BZh", "a bzip2 archive"), (b"\xfd7zXZ", "an xz archive"),
]


def read_table(path: Path, data: bytes | None = None, *, sheet: str | None = None,
               _depth: int = 0) -> RawTable:
    """Read a CSV (any common delimiter/encoding), .xlsx/.xls, or a .zip/.gz holding one.

    Every failure is an InputError whose message names the file and says what it is;
    nothing else escapes (the fuzz test in tests/test_fuzz.py holds this).
    """
    name = path.name
    try:
        head = data[:HEAD_BYTES] if data is not None else _read_head(path)
    except OSError as exc:
        raise InputError(f"{name}: cannot read the file ({exc.strerror})") from exc
    if not head.strip():
        raise InputError(f"{name}: the file is empty; export again with at least one row of data")
    if head.startswith((XLSX_MAGIC, b"PK\x05\x06")):
        return _read_zip(name, data if data is not None else _read_all(path), sheet, _depth)
    if head.startswith(GZIP_MAGIC):
        return _read_gzip(name, data if data is not None else _read_all(path), sheet, _depth)
    if head.startswith(OLE2_MAGIC):
        return _read_xlsx(name, data if data is not None else _read_all(path), sheet, "xls")
    for magic, what in FOREIGN_MAGIC:
        if head.startswith(magic):
            raise InputError(f"{name}: this is {what}, not an export; export the tickets or"
                             " invoices as CSV or .xlsx")
    markup = _markup(head)
    if markup:
        raise InputError(f"{name}: this is {markup}, not a CSV or .xlsx export; open it in"
                         " Excel and save it as .xlsx or CSV, or export CSV from the tool")
    if data is None and _plain_utf8(head) and not _cr_line_ends(head):
        # The common case: let Polars map the file itself; no copy, no decode in Python.
        head_text = head.decode("utf-8", errors="ignore")
        try:
            return _read_csv(name, head_text, path, "utf-8", lambda: _decoded(name, path)[0])
        except _NotUtf8:
            pass  # invalid UTF-8 further on: decode the whole file below
    if data is None:
        data = _read_all(path)
    text, encoding, notes = decode(name, data)
    text = text.removeprefix("\ufeff")
    unchanged = encoding == "utf-8" and not data.startswith(b"\xef\xbb\xbf")
    if _cr_line_ends(text[:HEAD_BYTES]):
        # Old Mac line ends (a bare CR): Polars splits records on LF only.
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        unchanged = False
    source = data if unchanged else text.encode("utf-8", errors="surrogatepass")
    table = _read_csv(name, text[:HEAD_BYTES], source, encoding, lambda: text)
    table.notes[:0] = notes
    return table


class _NotUtf8(Exception):
    """The fast path met bytes that are not UTF-8."""


def _markup(head: bytes) -> str | None:
    """What a text file that is markup or JSON is (some tools' "Excel" export is HTML)."""
    start = head[:512]
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"),
                     (b"\xfe\xff", "utf-16-be")):
        if start.startswith(bom):
            start = start[len(bom):].decode(enc, errors="ignore").encode("ascii", "ignore")
            break
    text = start.lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html", b"<table", b"<head", b"<body")):
        return "an HTML page (a web table saved with a spreadsheet name)"
    if text.startswith(b"<?xml"):
        return ("an Excel 2003 XML workbook" if b"urn:schemas-microsoft-com:office:spreadsheet"
                in head.lower() else "an XML file")
    if text.startswith((b"[{", b'{"')) or (text.startswith((b"[", b"{")) and text[1:].lstrip(
            )[:1] in (b"{", b'"')):
        return "a JSON file"
    return None


def _read_head(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(HEAD_BYTES)


def _read_all(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path.name}: cannot read the file ({exc.strerror})") from exc


def _decoded(name: str, path: Path) -> tuple[str, str, list[str]]:
    text, encoding, notes = decode(name, _read_all(path))
    return text.removeprefix("\ufeff"), encoding, notes


def _cr_line_ends(head: bytes | str) -> bool:
    """Whether lines end with a bare CR (classic Mac) rather than LF or CRLF."""
    if isinstance(head, str):
        bare, lf = head.count("\r") - head.count("\r\n"), head.count("\n")
    else:
        bare, lf = head.count(b"\r") - head.count(b"\r\n"), head.count(b"\n")
    return bare > 0 and bare > lf


def _plain_utf8(head: bytes) -> bool:
    """No BOM, no NUL, and UTF-8 as far as the head goes (a cut character at the end is fine)."""
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3
    return not _looks_binary(head[:4000])


# --- archives and workbooks -------------------------------------------------------------------

def _read_zip(name: str, data: bytes, sheet: str | None, depth: int) -> RawTable:
    """An .xlsx workbook (a zip of XML parts), or a zip archive holding one export."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, EOFError,
            OSError) as exc:  # NotImplementedError: a zip version the module cannot read
        raise InputError(
            f"{name}: a damaged zip file (an .xlsx workbook is one) that cannot be opened"
            f" ({_first_line(exc)}); export it again") from exc
    names = {m.filename for m in members}
    if "[Content_Types].xml" in names or any(n.startswith("xl/") for n in names):
        if any(n.startswith("xl/") for n in names):
            return _read_xlsx(name, data, sheet, "xlsx")
        what = ("a Word document" if any(n.startswith("word/") for n in names) else
                "a PowerPoint file" if any(n.startswith("ppt/") for n in names) else
                "an Office document that is not an Excel workbook")
        raise InputError(f"{name}: this is {what}, not an export; export the tickets or"
                         " invoices as CSV or .xlsx")
    files = [m for m in members if not m.is_dir() and not _hidden_member(m.filename)]
    exports = [m for m in files if m.filename.lower().endswith(EXPORT_SUFFIXES + (".gz",))]
    if len(exports) != 1 or depth > 1:
        listed = ", ".join(m.filename for m in files[:3]) + (", ..." if len(files) > 3 else "")
        held = (f"holds {len(exports)} exports ({listed}); unzip it and load them one by one"
                if len(exports) > 1 else
                f"is a zip archive of {len(files)} file{'' if len(files) == 1 else 's'}"
                f" ({listed or 'none'}) with no CSV or"
                " .xlsx export in it; load the export itself")
        raise InputError(f"{name}: {held}")
    member = exports[0]
    if member.file_size > MAX_INNER_BYTES:
        raise InputError(f"{name}: {member.filename} is {member.file_size:,} bytes unzipped;"
                         " unzip it and load the file itself")
    try:
        inner = archive.read(member)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, ValueError, EOFError,
            OSError, zlib.error) as exc:  # damaged, encrypted or an unknown compression
        raise InputError(f"{name}: cannot unzip {member.filename} ({_first_line(exc)});"
                         " unzip it yourself and load the file") from exc
    inner_name = f"{name} ({Path(member.filename).name})"
    return read_table(Path(inner_name), inner, sheet=sheet, _depth=depth + 1)


def _hidden_member(filename: str) -> bool:
    base = filename.rsplit("/", 1)[-1]
    return filename.startswith("__MACOSX/") or base.startswith((".", "~$"))


def _read_gzip(name: str, data: bytes, sheet: str | None, depth: int) -> RawTable:
    if depth > 1:
        raise InputError(f"{name}: archives nested too deep; unpack it and load the export")
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as g:
            inner = g.read(MAX_INNER_BYTES + 1)
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        raise InputError(f"{name}: a damaged .gz file ({_first_line(exc)}); compress the"
                         " export again or load it uncompressed") from exc
    if len(inner) > MAX_INNER_BYTES:
        raise InputError(f"{name}: over {MAX_INNER_BYTES:,} bytes uncompressed; load the file"
                         " itself")
    inner_name = name[:-3] if name.lower().endswith(".gz") else name
    return read_table(Path(inner_name), inner, sheet=sheet, _depth=depth + 1)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:120] if text else type(exc).__name__


# --- text -------------------------------------------------------------------------------------

def _cp1252_or_latin1(err: UnicodeError) -> tuple[str, int]:
    """Bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) read as Latin-1."""
    if not isinstance(err, UnicodeDecodeError):
        raise err
    return err.object[err.start:err.end].decode("latin-1"), err.end


codecs.register_error("breakeven-latin1", _cp1252_or_latin1)


def _cp1252(data: bytes) -> str:
    return data.decode("cp1252", errors="breakeven-latin1")


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _mixed_utf8(data: bytes, first_bad: int) -> tuple[str, list[int]]:
    """UTF-8 text with some lines in another encoding: each such line read as Windows-1252.

    Returns the text and the (1-based) numbers of the lines that were not UTF-8.
    """
    cut = data.rfind(b"\n", 0, first_bad) + 1
    parts = [data[:cut].decode("utf-8")]
    line_no = data.count(b"\n", 0, cut) + 1
    bad_lines: list[int] = []
    for line in data[cut:].splitlines(keepends=True):
        try:
            parts.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            parts.append(_cp1252(line))
            bad_lines.append(line_no)
        line_no += line.count(b"\n") or 1
    return "".join(parts), bad_lines


def _lines_note(bad_lines: list[int], what: str) -> str:
    shown = ", ".join(str(n) for n in bad_lines[:5]) + (", ..." if len(bad_lines) > 5 else "")
    s = "s" if len(bad_lines) > 1 else ""
    return f"line{s} {shown} ({len(bad_lines):,} line{s}) {what}"


def decode(name: str, data: bytes) -> tuple[str, str, list[str]]:
    """Decode export bytes: BOMs first, then UTF-16 without BOM, UTF-8, Windows-1252.

    Decided from the whole file and never raises on a byte: a file that is UTF-8 except for
    some lines reads those lines as Windows-1252, and says which in a note (the third value).
    A file with binary data (NULs, control bytes) is refused with one line.
    """
    notes: list[str] = []
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return data.decode("utf-32", errors="replace"), "utf-32", notes
    if data.startswith(b"\xef\xbb\xbf"):
        body = data[3:]
        try:
            return body.decode("utf-8"), "utf-8-sig", notes
        except UnicodeDecodeError as exc:
            text, bad = _utf8_or_1252(body, exc)
            if not bad:
                notes.append("the file starts with a UTF-8 mark but its text is not UTF-8:"
                             " read as Windows-1252")
                return text, "windows-1252", notes
            notes.append(_lines_note(bad, "not UTF-8 although the file starts with a UTF-8"
                                          " mark: read as Windows-1252"))
            return text, "utf-8-sig", notes
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16-le" if data.startswith(b"\xff\xfe") else "utf-16-be"
        body = data[2:]
        sample = body[:4000]
        if sample.count(b"\x00") < len(sample) // 8:
            # A UTF-16 mark on 8-bit text (an editor's mistake): UTF-16 text of an export
            # has a NUL beside every ASCII character.
            notes.append("the file starts with a UTF-16 mark but its text is 8-bit: read as"
                         " UTF-8")
            text, enc, more = decode(name, body)
            return text, enc, notes + more
        try:
            return body.decode(encoding), "utf-16", notes
        except UnicodeDecodeError as exc:
            line = body[:exc.start].decode(encoding, errors="replace").count("\n") + 1
            notes.append(f"line {line} has bytes that are not UTF-16: replaced by \ufffd")
            return body.decode(encoding, errors="replace"), "utf-16", notes
    head = data[:4000]
    if head.count(b"\x00") > len(head) // 4:
        # UTF-16 without a BOM puts a NUL beside every ASCII character.
        even, odd = head[0::2].count(b"\x00"), head[1::2].count(b"\x00")
        encoding = "utf-16-be" if even > odd else "utf-16-le"
        try:
            return data.decode(encoding), encoding, notes
        except UnicodeDecodeError:
            pass
    if b"\x00" in head or _looks_binary(head):
        raise InputError(
            f"{name}: this is not a text export (it contains binary data); export the tickets"
            " or invoices as CSV or .xlsx"
        )
    try:
        return data.decode("utf-8"), "utf-8", notes
    except UnicodeDecodeError as exc:
        text, bad = _utf8_or_1252(data, exc)
    if bad:
        notes.append(_lines_note(bad, "not UTF-8: read as Windows-1252"))
        return text, "utf-8", notes
    return text, "windows-1252", notes


def _utf8_or_1252(data: bytes, exc: UnicodeDecodeError) -> tuple[str, list[int]]:
    """Mostly UTF-8 (valid multi-byte characters, or a long valid start): the bad lines as
    Windows-1252, listed. Otherwise the whole file is Windows-1252 (no lines listed)."""
    replaced = data.decode("utf-8", errors="replace")
    non_ascii = len(replaced) - len(replaced.encode("ascii", errors="ignore"))
    wide = non_ascii - replaced.count("\ufffd")
    if wide or exc.start >= (1 << 20):
        return _mixed_utf8(data, exc.start)
    return _cp1252(data), []


def _looks_binary(head: bytes) -> bool:
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    return controls > max(8, len(head) // 50)


def _cells(line: str, delimiter: str) -> list[str]:
    """One line's cells; a line the csv module refuses is split on the delimiter."""
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return line.split(delimiter)


def sniff_delimiter(line: str) -> str:
    """The delimiter that splits the header line into the most fields."""
    counts = {d: len(_cells(line, d)) for d in DELIMITERS}
    return max(DELIMITERS, key=lambda d: counts[d])


def unique_headers(names: list[str]) -> list[str]:
    """Header names made unique: a repeated name gets ' (2)', ' (3)', ..."""
    seen: set[str] = set()
    out = []
    for i, raw in enumerate(names):
        base = raw.strip() or f"column {i + 1}"
        name, k = base, 1
        while name in seen:
            k += 1
            name = f"{base} ({k})"
        seen.add(name)
        out.append(name)
    return out


def _find_header(lines: list[str], delimiter: str) -> int:
    """Index of the header line: the first with two or more non-empty cells.

    Report-style exports (QuickBooks) put title lines with one cell above the header.
    """
    for i, line in enumerate(lines[:HEADER_SEARCH_ROWS]):
        cells = _cells(line, delimiter)
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
    header_cells = _cells(head_lines[h], delimiter)
    if len([c for c in header_cells if c.strip()]) < 2:
        raise InputError(
            f"{name}: no header row with column names found in the first {HEADER_SEARCH_ROWS}"
            " lines; export with column headers"
        )
    if len(header_cells) > MAX_COLUMNS:
        raise InputError(f"{name}: the header has {len(header_cells):,} columns; this does not"
                         " look like an export (export the tickets or invoices as CSV)")
    headers = unique_headers(header_cells)
    rejects: list[tuple[int, str, str]] = []
    notes: list[str] = []
    try:
        frame = pl.read_csv(
            source if isinstance(source, Path) else io.BytesIO(source), separator=delimiter,
            has_header=True, skip_rows=h, new_columns=headers, infer_schema=False,
            quote_char='"', raise_if_empty=False,
        )
        if frame.width != len(headers) or frame.columns != headers:
            raise pl.exceptions.ComputeError("column count differs from header")
    except pl.exceptions.PolarsError as exc:
        if isinstance(source, Path) and "utf" in str(exc).lower():
            raise _NotUtf8 from exc
        # Ragged rows or stray quotes: read record by record so the bad ones are listed.
        text = full_text()
        frame, rejects = _read_ragged(text, delimiter, h, headers)
    else:
        frame = frame.with_row_index(ROW, offset=h + 2)
    frame = _drop_blank_rows(frame, headers)
    if frame.height == 0 and not rejects:
        raise InputError(f"{name}: the file has a header row but no data rows")
    return RawTable(frame, headers, encoding, delimiter, h + 1, rejects, notes)


MAX_COLUMNS = 5000
_BARE_CR = re.compile(r"\r(?!\n)")
_CR_MARK = "\ue000"  # a private-use character standing in for a cell's bare CR
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # huge cells are values, not errors


def _read_ragged(
    text: str, delimiter: str, h: int, headers: list[str]
) -> tuple[pl.DataFrame, list[tuple[int, str, str]]]:
    """Records one by one (Python's csv module); rows it cannot split are rejects.

    Row numbers count physical lines up to the record's first line, as elsewhere.
    """
    # A bare CR left here is inside a cell (files that end lines with one were converted):
    # kept as the cell's text, as the fast reader keeps it, not taken for a line end.
    inner_cr = "\r" in text and bool(_BARE_CR.search(text))
    if inner_cr:
        text = _BARE_CR.sub(_CR_MARK, text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str | None]] = []
    numbers: list[int] = []
    rejects: list[tuple[int, str, str]] = []
    width = len(headers)
    index = 0
    while True:
        start_line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            index += 1
            if index > h + 1:
                rejects.append((start_line, f"the row cannot be split into fields ({exc})",
                                ""))
            continue
        index += 1
        if index <= h + 1:
            continue
        row_number = start_line
        if not any(c.strip() for c in record):
            continue  # a blank line is not a row
        if len(record) > width and any(c.strip() for c in record[width:]):
            rejects.append((
                row_number,
                (f"row has {len(record)} fields but the header has {width}"
                " (a delimiter or quote inside a value?)"),
                delimiter.join(record),
            ))
            continue
        if inner_cr:
            record = [c.replace(_CR_MARK, "\r") for c in record]
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


def _read_xlsx(name: str, data: bytes, sheet: str | None, what: str = "xlsx") -> RawTable:
    """The sheet named, else the first sheet that holds a header row and data rows."""
    label = "an .xlsx workbook" if what == "xlsx" else "an .xls workbook"
    try:
        reader = fastexcel.read_excel(data)
        sheets = list(reader.sheet_names)
    except Exception as exc:  # fastexcel raises its own types
        raise InputError(f"{name}: cannot read this as {label}: the file is damaged or not a"
                         " workbook; open it in Excel and save it again, or export CSV") from exc
    if sheet is not None and sheet not in sheets:
        raise InputError(f"{name}: the workbook has no sheet {sheet!r}; its sheets are"
                         f" {', '.join(repr(s) for s in sheets)}")
    tried: list[str] = []
    for sheet_name in [sheet] if sheet is not None else sheets:
        try:
            frame = pl.read_excel(io.BytesIO(data), sheet_name=sheet_name, has_header=False,
                                  infer_schema_length=0, drop_empty_rows=False,
                                  raise_if_empty=False)
        except Exception as exc:
            raise InputError(f"{name}: cannot read sheet {sheet_name!r} of {label}: the file"
                             " is damaged; open it in Excel and save it again, or export CSV"
                             ) from exc
        table = _sheet_table(frame, what)
        if table is not None:
            if len(sheets) > 1:
                table.notes.append(f"read sheet {sheet_name!r}")
            return table
        tried.append(sheet_name)
    if sheet is not None or len(sheets) == 1:
        raise InputError(f"{name}: the workbook's sheet {tried[0]!r} has no header row with"
                         " data rows under it")
    raise InputError(f"{name}: none of the workbook's sheets ({', '.join(map(repr, sheets))})"
                     " holds a header row with data rows under it")


def _sheet_table(frame: pl.DataFrame, what: str) -> RawTable | None:
    """One sheet as a RawTable, or None when it has no header row with data under it."""
    if frame.height == 0 or frame.width == 0:
        return None
    frame = frame.select(pl.all().cast(pl.Utf8))
    lines = [
        [c for c in row if c is not None and str(c).strip()]
        for row in frame.head(HEADER_SEARCH_ROWS).iter_rows()
    ]
    h = next((i for i, cells in enumerate(lines) if len(cells) >= 2), None)
    if h is None:
        return None
    headers = unique_headers([str(c) if c is not None else "" for c in frame.row(h)])
    body = frame.slice(h + 1)
    body.columns = headers
    body = body.with_row_index(ROW, offset=h + 2)
    body = _drop_blank_rows(body, headers)
    if body.height == 0:
        return None
    return RawTable(body, headers, what, None, h + 1)
