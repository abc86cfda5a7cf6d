"""CSV downloads that are safe to open in a spreadsheet.

A text cell starting with `=`, `+`, `-` or `@` would be read by Excel or LibreOffice as a
formula (CSV injection: a ticket title such as `=HYPERLINK(...)` runs when opened). Such
cells are prefixed with a `'`, which spreadsheets show as text. Numbers stay numbers:
only text columns are touched, so a credit note of -120.00 keeps its sign.
"""

from __future__ import annotations

import polars as pl

FORMULA_STARTS = ("=", "+", "-", "@")
# Tab and carriage return also start formulas in some spreadsheet apps (OWASP advice).
_PATTERN = r"^[=+\-@\t\r]"


def neutralise(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with every text cell that could start a formula prefixed by a `'`."""
    text = [name for name, dtype in frame.schema.items() if dtype in (pl.String, pl.Categorical)]
    return frame.with_columns(
        pl.when(pl.col(c).cast(pl.String).str.contains(_PATTERN))
        .then(pl.lit("'") + pl.col(c).cast(pl.String))
        .otherwise(pl.col(c).cast(pl.String))
        .alias(c)
        for c in text
    )


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """`frame` as UTF-8 CSV (with a BOM, so Excel reads the encoding), formulas neutralised."""
    nested = [n for n, t in frame.schema.items() if isinstance(t, (pl.List, pl.Struct, pl.Array))]
    flat = frame.with_columns(pl.col(n).cast(pl.String, strict=False) for n in nested) if nested \
        else frame
    return b"\xef\xbb\xbf" + neutralise(flat).write_csv().encode("utf-8")
