"""A seeded generator of hostile exports, and the checker the fuzz test and benchmark share.

`hostile_files(seed, n, folder)` writes n files that look like ticket or invoice exports
and attack every layer: encodings (BOMs that lie, mixed encodings, random bytes), line
ends (LF, CRLF, bare CR, mixed), delimiters, quotes, ragged and blank rows, huge and empty
cells, values such as inf/-nan/1e309/9999999999999999.99, far and impossible dates,
non-ASCII digits, formula and SQL text, and containers (.gz, .zip, damaged zips and
workbooks, a CSV that is really a zip, a workbook whose first sheet is empty).

`Checker` runs the real CLI (`pipelines.cli.main`) on each file into one workspace and
checks what the issue asks: exit code 0, 1 or 3; on error exactly one line on stderr and
no traceback; rows_read = rows_loaded + rows_rejected in `loads`; a failed load leaves
every table as it was; and the figures still compute afterwards (`metrics --json`).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import random
import re
import shutil
import traceback
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines import cli

INCIDENT_HEADERS = ["Ticket Number", "Created", "Resolved", "Priority", "Client", "Title",
                    "Downtime Minutes", "Users Affected", "Labour Hours", "Status", "Asset"]
INVOICE_HEADERS = ["Invoice Number", "Date", "Client", "Description", "Quantity",
                   "Unit Price", "Amount", "Tax"]
LEDGER_HEADERS = ["Date", "Supplier", "Description", "Amount"]  # no invoice number
NO_AMOUNT_HEADERS = ["Invoice Number", "Date", "Client", "Description", "Quantity",
                     "Unit Price"]

GOOD = {
    "id": lambda r, i: f"T-{i}",
    "date": lambda r, i: f"2024-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
                         f" {r.randint(0, 23):02d}:{r.randint(0, 59):02d}",
    "number": lambda r, i: str(r.choice([0, 1, 2.5, 30, 120, 7.25])),
    "money": lambda r, i: r.choice(["12.50", "1,234.56", "$99.00", "(12.00)", "0.01", "-5"]),
    "text": lambda r, i: r.choice(["Printer jam", "VPN down", "Acme", "Server NAS01", "ok"]),
    "priority": lambda r, i: r.choice(["P1", "High", "3 - Moderate", "Low", "urgent"]),
}
ATTACKS = [
    "", " ", "   ", "\t", "?", "N/A", "null", "-", "--", "NaN", "nan", "-nan", "inf", "-inf",
    "Infinity", "1e309", "-1e309", "1e300", "9999999999999999.99", "99999999999999999999999",
    "1" * 45, "-0", "0x1F", "1,2,3", "1.2.3", "(12.00", "$-", "12.5cr", "\u00a012", "١٢٣",
    "２０２４-01-01", "２０２４-０１-０１ １０:００", "𝟚𝟘𝟚𝟜-01-01", "9999-12-31 23:59:59",
    "99999-01-01", "+12024-01-01 00:00:00", "0001-01-01", "0001-06-15", "1850-03-01",
    "1899-12-30", "2204-01-01", "2024-02-30", "2024-13-01", "31/02/2024", "29/02/2023",
    "12/13/2024", "13/13/2024", "25:61", "2024-01-01 25:61", "2024-01-01T10:00:00+99:99",
    "2024-01-01 10:00 XM", "Feb 30, 2024", "30-Foo-2024", "2024-03-31 02:30",
    "2024-10-27 02:30", "1/1/1", "00/00/0000", "2024-01-01T10:00:00.123456789Z",
    "=1+1", "+SUM(A1:A9)", "@cmd", "-2+3", "=HYPERLINK(\"http://x\")",
    "'; DROP TABLE incidents; --", "Robert'); DROP TABLE loads;--", "$(rm -rf /)",
    "\x00", "a\x00b", "\u202eevil", "\ufeffbom", "\ud7ff", "emoji 🚀", "\r", "a\rb",
    "a\nb", "a\r\nb", "\"quoted\"", "a\"b", "\"open", "x" * 70000, "é" * 300, "\x1b[31m",
    "\u2028", "\\", "%s%s%n", "{}", "{0}", "${x}",
]
HEADER_ATTACKS = ["", " ", "Ticket Number", "Created ", "CREATED", "Amount (GBP)", "Amount",
                  "=cmd|' /C calc'!A0", "(?P<x>", "[", "\\d+", "a" * 5000, "Créé", "\x00",
                  "column 1", "Ticket Number (2)", "Date", "Resolved\nTime", "Σ Time Spent"]
# A cell written raw into the file (quoting deliberately broken).
RAW_ATTACKS = ["\"unterminated", "a\"b\"c", "\"\"\"", "\",\"", ";", "\t", "|"]

ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252", "latin-1",
             "utf16-bom+utf8", "utf8-bom+cp1252", "utf8+random-tail", "random"]
LINE_ENDS = ["\n", "\r\n", "\r", "mixed"]
DELIMITERS = [",", ";", "\t", "|"]


def _field_kind(header: str) -> str:
    h = header.lower()
    if "number" in h:
        return "id"
    if h in ("created", "resolved", "date"):
        return "date"
    if h in ("amount", "unit price", "tax"):
        return "money"
    if h in ("downtime minutes", "users affected", "labour hours", "quantity"):
        return "number"
    if h == "priority":
        return "priority"
    return "text"


def _quote(cell: str, delimiter: str) -> str:
    if any(c in cell for c in (delimiter, '"', "\n", "\r")):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def _table_text(r: random.Random, headers: list[str], rows: int) -> str:
    delimiter = r.choice(DELIMITERS)
    ends = r.choice(LINE_ENDS)
    attack_rate = r.choice([0.0, 0.05, 0.2, 0.6])
    lines = [delimiter.join(_quote(h, delimiter) for h in headers)]
    if r.random() < 0.05:
        lines.insert(0, "Report title")  # a title line above the header
    for i in range(rows):
        cells = []
        for h in headers:
            if r.random() < attack_rate:
                cell = r.choice(ATTACKS)
            else:
                cell = GOOD[_field_kind(h)](r, i)
            cells.append(cell)
        if r.random() < 0.03:
            cells.append("extra")  # ragged: one field too many
        if r.random() < 0.03:
            cells = cells[: r.randint(0, len(cells))]  # ragged: too few
        line = delimiter.join(_quote(c, delimiter) for c in cells)
        if r.random() < 0.02:
            line += r.choice(RAW_ATTACKS)
        lines.append(line)
        if r.random() < 0.03:
            lines.append("")  # a blank line
    if ends == "mixed":
        return "".join(ln + r.choice(["\n", "\r\n", "\r"]) for ln in lines)
    return ends.join(lines) + (ends if r.random() < 0.8 else "")


def _encode(r: random.Random, text: str, encoding: str) -> bytes:
    if encoding == "utf16-bom+utf8":
        return b"\xff\xfe" + text.encode("utf-8", errors="surrogatepass")
    if encoding == "utf8-bom+cp1252":
        return b"\xef\xbb\xbf" + text.encode("cp1252", errors="replace")
    if encoding == "utf8+random-tail":
        data = text.encode("utf-8", errors="surrogatepass")
        cut = r.randint(0, len(data))
        return data[:cut] + r.randbytes(r.randint(1, 400)) + data[cut:]
    if encoding == "random":
        return r.randbytes(r.randint(1, 3000))
    return text.encode(encoding, errors="replace")


def _xlsx(r: random.Random, headers: list[str], rows: int, empty_first: bool) -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False,
                                     "strings_to_formulas": False, "strings_to_urls": False})
    if empty_first:
        book.add_worksheet("Cover")
    sheet = book.add_worksheet("Export")
    for c, h in enumerate(headers):
        sheet.write_string(0, c, h)
    for i in range(rows):
        for c, h in enumerate(headers):
            cell = r.choice(ATTACKS) if r.random() < 0.2 else GOOD[_field_kind(h)](r, i)
            sheet.write_string(i + 1, c, cell.replace("\x00", "")[:30000])
    book.close()
    return buf.getvalue()


def hostile_bytes(r: random.Random) -> tuple[str, bytes]:
    """One hostile export: (file name, bytes)."""
    headers = list(r.choice([INCIDENT_HEADERS, INVOICE_HEADERS, LEDGER_HEADERS,
                             NO_AMOUNT_HEADERS]))
    if r.random() < 0.3:
        r.shuffle(headers)
    if r.random() < 0.05:
        headers.append(headers[0])  # a repeated header
    if r.random() < 0.1:  # attacks in the header too: extra columns, or a renamed one
        for _ in range(r.randint(1, 3)):
            attack = r.choice(HEADER_ATTACKS + ATTACKS[:60])
            if r.random() < 0.5:
                headers.append(attack)
            else:
                headers[r.randrange(len(headers))] = attack
    rows = r.choice([0, 1, 2, 5, 20, 60])
    container = r.choices(["csv", "gz", "zip", "xlsx", "bad"], [80, 5, 5, 5, 5])[0]
    if container == "xlsx":
        return "export.xlsx", _xlsx(r, headers, rows, empty_first=r.random() < 0.5)
    data = _encode(r, _table_text(r, headers, rows), r.choice(ENCODINGS))
    if container == "csv":
        return r.choice(["export.csv", "export.txt", "export.tsv", "Export.CSV"]), data
    if container == "gz":
        return "export.csv.gz", gzip.compress(data)
    if container == "zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for k in range(r.choice([0, 1, 1, 1, 2])):
                z.writestr(f"export{k}.csv", data)
            if r.random() < 0.3:
                z.writestr("__MACOSX/._export0.csv", b"\x00\x05")
        return "export.zip", buf.getvalue()
    # damaged containers and impostors
    kind = r.choice(["cut-xlsx", "cut-zip", "zip-as-csv", "xlsx-as-csv", "flipped-xlsx",
                     "cut-gz", "pdf", "empty", "bom-only"])
    if kind in ("cut-xlsx", "xlsx-as-csv", "flipped-xlsx"):
        book = _xlsx(r, headers, rows, False)
        if kind == "cut-xlsx":
            return "export.xlsx", book[: r.randint(4, max(5, len(book) - 1))]
        if kind == "flipped-xlsx":
            b = bytearray(book)
            for _ in range(20):
                b[r.randrange(30, len(b))] ^= 0xFF
            return "export.xlsx", bytes(b)
        return "export.csv", book
    if kind in ("cut-zip", "zip-as-csv"):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("export.csv", data)
        z_bytes = buf.getvalue()
        if kind == "cut-zip":
            return "export.zip", z_bytes[: r.randint(4, max(5, len(z_bytes) - 1))]
        return "export.csv", z_bytes
    if kind == "cut-gz":
        g = gzip.compress(data)
        return "export.csv.gz", g[: r.randint(2, max(3, len(g) - 1))]
    if kind == "pdf":
        return "export.csv", b"%PDF-1.4\n" + r.randbytes(200)
    if kind == "bom-only":
        return "export.csv", b"\xef\xbb\xbf"
    return "export.csv", b""


def hostile_files(seed: int, n: int, folder: Path) -> Iterator[Path]:
    """Write n hostile exports into `folder` (one sub-folder each, so names can repeat)."""
    r = random.Random(seed)
    for i in range(n):
        name, data = hostile_bytes(r)
        d = folder / f"{i:05d}"
        d.mkdir(parents=True, exist_ok=True)
        path = d / name
        path.write_bytes(data)
        yield path


# --- the checker ------------------------------------------------------------------------------

TABLES = ("incidents", "invoice_lines", "loads", "rejects", "settings")
# Text that must never reach the user: a Python or engine exception passed through.
LEAK = re.compile(r"Traceback|\b(?:[A-Z][a-z]+){1,4}(?:Error|Exception)\b|could not be stored|Please report this file")


@dataclass
class Counts:
    files: int = 0
    loaded: int = 0
    failed: int = 0
    tracebacks: int = 0
    invariant_breaks: int = 0
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"files {self.files}, loaded {self.loaded}, refused {self.failed},"
                f" tracebacks {self.tracebacks}, invariant breaks {self.invariant_breaks}")


def run_cli(argv: list[str]) -> tuple[int | None, str, str, str | None]:
    """(exit code, stdout, stderr, traceback text if an exception escaped main)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 2
        except BaseException:  # noqa: BLE001 - the point is to count them
            return None, out.getvalue(), err.getvalue(), traceback.format_exc()
    return code, out.getvalue(), err.getvalue(), None


def _same_bytes(a: Path, b: Path) -> bool:
    return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()


def snapshot(db: Path) -> dict[str, tuple[int, int]]:
    """Row count and an order-free checksum of every table."""
    if not db.exists():
        return {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: tuple(con.execute(f"SELECT count(*), coalesce(sum(hash({t})), 0) FROM {t}"
                                     ).fetchone())  # type: ignore[misc]
                for t in TABLES}
    finally:
        con.close()


class Checker:
    """Loads files one by one into workspace `ws` under `data_dir`, checking each."""

    def __init__(self, data_dir: Path, ws: str = "fuzz", metrics_every: int = 25) -> None:
        self.data_dir, self.ws, self.metrics_every = data_dir, ws, metrics_every
        self.db = data_dir / f"{ws}.duckdb"
        self.counts = Counts()

    def _problem(self, path: Path, what: str, traceback_: bool = False) -> None:
        if traceback_:
            self.counts.tracebacks += 1
        else:
            self.counts.invariant_breaks += 1
        self.counts.problems.append(f"{path}: {what}")

    def check(self, path: Path) -> None:
        c = self.counts
        c.files += 1
        # A copy of the workspace before the load: compared byte for byte after a failed
        # load, and table by table only when the bytes differ.
        copy = self.data_dir / "before.copy"
        existed = self.db.exists()
        if existed:
            shutil.copyfile(self.db, copy)
        code, _out, err, tb = run_cli(["ingest", str(path), "-w", self.ws,
                                       "--data-dir", str(self.data_dir)])
        if tb is not None:
            self._problem(path, tb.strip().splitlines()[-1] + "\n" + tb, traceback_=True)
            return
        if code not in (0, 1, 3):
            self._problem(path, f"exit code {code}")
        lines = [ln for ln in err.splitlines() if ln.strip()]
        if code != 0:
            c.failed += 1
            if len(lines) != 1:
                self._problem(path, f"{len(lines)} lines on stderr: {err[:500]!r}")
            if not existed and self.db.exists():
                self._problem(path, "a failed first load left a workspace file")
            elif existed and not _same_bytes(self.db, copy) and snapshot(self.db) != snapshot(
                    copy):
                self._problem(path, "a failed load changed the workspace")
        else:
            c.loaded += 1
            if lines:
                self._problem(path, f"stderr on success: {err[:300]!r}")
            if c.loaded % 10 == 1:
                self.check_loads()
        if LEAK.search(err):
            self._problem(path, f"an internal error reached the user: {err[:300]!r}",
                          traceback_="Traceback" in err)
        if self.metrics_every and c.files % self.metrics_every == 0:
            self.check_metrics(path)

    def check_loads(self) -> None:
        """Every load's rows add up, and the rejects table holds every rejected row."""
        con = duckdb.connect(str(self.db), read_only=True)
        try:
            bad = con.execute("SELECT count(*) FROM loads WHERE rows_read <>"
                              " rows_loaded + rows_rejected").fetchone()
            rejects = con.execute("SELECT (SELECT coalesce(sum(rows_rejected), 0) FROM loads"
                                  " WHERE status <> 'unchanged'), (SELECT count(*) FROM rejects)"
                                  ).fetchone()
        finally:
            con.close()
        if bad and bad[0]:
            self._problem(self.db, "a load with rows_read != loaded + rejected")
        if rejects and rejects[0] != rejects[1]:
            self._problem(self.db, f"rejects table {rejects[1]} rows, loads say {rejects[0]}")

    def check_metrics(self, after: Path) -> None:
        if not self.db.exists():
            return
        code, _out, err, tb = run_cli(["metrics", "-w", self.ws, "--data-dir",
                                       str(self.data_dir), "--json"])
        if tb is not None:
            self._problem(after, "metrics after this load: " + tb.strip().splitlines()[-1]
                          + "\n" + tb, traceback_=True)
        elif code not in (0, 1) or LEAK.search(err):
            self._problem(after, f"metrics after this load: exit {code}: {err[:300]!r}")
