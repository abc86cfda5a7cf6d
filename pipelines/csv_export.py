"""CSV downloads that are safe to open in a spreadsheet.

A text cell starting with `=`, `+`, `-` or `@` (or a tab or carriage return) would be read
by Excel or LibreOffice as a formula (CSV injection: a ticket title such as
`=HYPERLINK(...)` runs when opened). Such cells, and such column names, are prefixed with
a `'`, which spreadsheets show as text. Every column that is not a number, a date/time or
a boolean is first written as text (String, Categorical, Enum, List, Struct, ...), so no
dtype slips through. Numbers stay numbers: a credit note of -120.00 keeps its sign (a
number is never a formula).
"""

from __future__ import annotations

import json
import re

import polars as pl

# A cell starting with one of = + - @ is a formula; tab and carriage return also start
# formulas in some spreadsheet apps (OWASP advice).
_PATTERN = r"^[=+\-@\t\r]"


def _is_plain_value(dtype: pl.DataType) -> bool:
    """True for dtypes whose CSV text cannot start a formula except by a number's sign."""
    return dtype.is_numeric() or dtype.is_temporal() or dtype == pl.Boolean


def safe_header(name: str) -> str:
    """A column name that a spreadsheet shows as text."""
    return "'" + name if re.match(_PATTERN, name) else name


def neutralise(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with every non-numeric column as text, formula-like cells and names prefixed."""
    text = [name for name, dtype in frame.schema.items() if not _is_plain_value(dtype)]
    out = frame.with_columns(_as_text(frame[c]) for c in text)
    out = out.with_columns(
        pl.when(pl.col(c).str.contains(_PATTERN))
        .then(pl.lit("'") + pl.col(c))
        .otherwise(pl.col(c))
        .alias(c)
        for c in text
    )
    return out.rename({n: safe_header(n) for n in out.columns if safe_header(n) != n})


def _as_text(column: pl.Series) -> pl.Series:
    """A column as text: nested values as JSON (`["a", "b"]`), bytes decoded, others cast."""
    dtype = column.dtype
    if isinstance(dtype, (pl.List, pl.Array, pl.Struct)) or dtype == pl.Object:
        values = [None if v is None else json.dumps(v, default=str, ensure_ascii=False)
                  for v in column.to_list()]
        return pl.Series(column.name, values, dtype=pl.String)
    if dtype == pl.Binary:
        return pl.Series(column.name, [None if v is None else v.decode("utf-8", "replace")
                                       for v in column.to_list()], dtype=pl.String)
    return column.cast(pl.String, strict=False)


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """`frame` as UTF-8 CSV (with a BOM, so Excel reads the encoding), formulas neutralised."""
    return b"\xef\xbb\xbf" + neutralise(frame).write_csv().encode("utf-8")
