"""Small helpers of the field reader: content keys for ledger lines without an invoice
number, the currency named in a header, unreadable cells."""

from __future__ import annotations

import hashlib
import re

import polars as pl

from pipelines import parse
from pipelines.formats import Source


def as_list(v: str | list[str]) -> list[str]:
    return [v] if isinstance(v, str) else list(v)


def unreadable(text: pl.Series, value: pl.Series) -> pl.Series:
    """Cells with text that did not parse; padded blanks and markers are empty, not bad."""
    bad = text.is_not_null() & value.is_null()
    if bad.any():
        bad = bad & text.str.strip_chars().replace(parse.NULL_MARKERS, None).is_not_null()
    return bad


def content_keys(date: pl.Series, client: pl.Series, description: pl.Series,
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


def currency_from_header(sources: list[Source]) -> str | None:
    """`amount_gbp`, `Amount (USD)` -> the ISO code in the header, when there is one."""
    for s in sources:
        m = re.search(r"(?i)\b(gbp|usd|eur|aud|cad|nzd|chf|zar|sek|nok|dkk|jpy|inr|sgd)\b",
                      s.header.replace("_", " "))
        if m:
            return m.group(1).upper()
    return None

