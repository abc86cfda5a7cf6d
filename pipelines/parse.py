"""Typing export values: missing markers, dates and times, money, durations, priorities.

Each parser takes a column of text and returns a typed column with NULL where the text
could not be read; the caller compares with the input to list the bad rows in `rejects`.
Decisions that hold for a whole file (day-first or month-first, decimal comma) are made
once per file from all its values, never per row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import polars as pl

from pipelines.errors import FIX_DATE_ORDER, InputError

_MARKERS = ["", "?", "n/a", "na", "null", "none", "nil", "-", "--", "nan", "#n/a"]
# Matched exactly after trimming, in the spellings exports use (a hash lookup per cell
# is several times faster than lower-casing every cell first).
NULL_MARKERS = sorted({v for m in _MARKERS for v in (m, m.upper(), m.title(), m.capitalize())}
                      | {"NaN", "N/a"})
# Spreadsheet and PSA placeholders (1899-12-30, 1900-01-01) and anything before them.
PLACEHOLDER_BEFORE = datetime(1900, 1, 2, tzinfo=UTC)
INSTANT = pl.Datetime("us", "UTC")  # an instant, as Polars holds it
STAGED_MONEY = pl.Decimal(38, 6)  # DuckDB rounds half away from zero to DECIMAL(18,2)
CENTS = pl.Decimal(18, 2)

# --- text -----------------------------------------------------------------------------------


def drop_markers(col: str) -> pl.Expr:
    """The column with missing-value markers as NULL, otherwise untouched."""
    return pl.col(col).replace(NULL_MARKERS + [f" {m} " for m in NULL_MARKERS if m], None
                               ).alias(col)


def has_padding(col: str) -> pl.Expr:
    """Whether any value of the column starts or ends with a space or tab."""
    c = pl.col(col)
    return (c.str.starts_with(" ") | c.str.ends_with(" ") | c.str.starts_with("\t")
            | c.str.ends_with("\t")).any().alias(col)


def clean_text(col: str) -> pl.Expr:
    """Trimmed text, NULL for the missing-value markers (`?`, `N/A`, `null`, `-`, empty...)."""
    return pl.col(col).str.strip_chars().replace(NULL_MARKERS, None).alias(col)


# --- dates ----------------------------------------------------------------------------------

YEAR_LAST = re.compile(r"^\s*([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4}|[0-9]{2})(?:[^0-9]|$)")
_TIME = (r"(?:[ T,]+([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:[.,][0-9]+)?)?\s*([AaPp]\.?[Mm]\.?)?)?"
         r"\s*(Z|UTC|GMT|[+-][0-9]{2}:?[0-9]{2})?\s*$")
# Each layout: a regex and which groups hold (year, month, day); the time groups follow.
LAYOUTS = [
    (r"^\s*([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})" + _TIME, (1, 2, 3)),
    # year last: the order is decided per file
    (r"^\s*([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4}|[0-9]{2})" + _TIME, None),
    (r"^\s*([0-9]{1,2})[/ \-]([A-Za-z]{3,9})\.?[/ \-,]+([0-9]{4}|[0-9]{2})" + _TIME, (3, 2, 1)),
    (r"^\s*(?:[A-Za-z]{3,9},?\s+)?([A-Za-z]{3,9})\.?\s+([0-9]{1,2}),?\s+([0-9]{4})" + _TIME,
     (3, 1, 2)),
]
MONTHS = {m: i + 1 for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}
FAST_NAIVE = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
              "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d"]
FAST_AWARE = ["%Y-%m-%dT%H:%M:%S%#z", "%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%d %H:%M:%S %z",
              "%Y-%m-%d %H:%M:%S%#z"]


def _year_last_formats(day_first: bool) -> list[str]:
    dm = "%d/%m/%Y" if day_first else "%m/%d/%Y"
    out = []
    for sep in ("/", "-", "."):
        d = dm.replace("/", sep)
        out += [f"{d} %H:%M", f"{d} %H:%M:%S", d, f"{d} %I:%M %p", f"{d} %I:%M:%S %p"]
    return out


@dataclass
class DateOrder:
    """How a file writes dates with the year last."""

    day_first: bool | None  # None: the file has no such dates
    reason: str
    # what decided it: "data" (a day above 12), "user" (--day-first/--month-first),
    # "remembered" (an earlier file with this header), "profile", or "none"
    source: str = "none"


def decide_date_order(
    file_name: str,
    columns: dict[str, pl.Series],
    profile_order: str | None,
    user_order: str | None,
    remembered: str | None = None,
    remembered_from: str | None = None,
) -> DateOrder:
    """Day-first or month-first for the whole file (METRICS.md section 2).

    From a value whose first or second part is above 12, else the format profile, else the
    user's setting, else the order remembered for this header (an earlier file of the same
    export showed it or was given it); still undecided is an error naming the setting.
    """
    first_big: tuple[str, str] | None = None
    second_big: tuple[str, str] | None = None
    any_year_last: tuple[str, str] | None = None
    for header, s in columns.items():
        s = first_of_each_date(s)
        s = s.filter(s.str.contains(r"^\s*[0-9]{1,2}[/.\-]"))  # cheap anchored pre-filter
        parts = s.drop_nulls().str.extract_groups(YEAR_LAST.pattern)
        p = parts.struct.unnest().drop_nulls()
        if p.height == 0:
            continue
        p = p.select(pl.all().cast(pl.Int32, strict=False)).with_row_index("i")
        vals = s.drop_nulls().filter(s.drop_nulls().str.contains(YEAR_LAST.pattern))
        any_year_last = any_year_last or (header, vals[0])
        big1 = p.filter(pl.col("1") > 12)
        big2 = p.filter(pl.col("2") > 12)
        if big1.height and first_big is None:
            first_big = (header, vals[int(big1["i"][0])])
        if big2.height and second_big is None:
            second_big = (header, vals[int(big2["i"][0])])
    if first_big and second_big:
        raise InputError(
            f"{file_name}: dates mix day-first ('{first_big[0]}' is '{first_big[1]}') and"
            f" month-first ('{second_big[0]}' is '{second_big[1]}'); export them in one format"
        )
    if first_big:
        return DateOrder(True, f"day-first: '{first_big[0]}' has '{first_big[1]}'", "data")
    if second_big:
        return DateOrder(False, f"month-first: '{second_big[0]}' has '{second_big[1]}'",
                         "data")
    if any_year_last is None:
        return DateOrder(None, "no dates with the year last")
    if profile_order:
        return DateOrder(profile_order == "day-first", f"{profile_order}: the format's default",
                         "profile")
    if user_order:
        return DateOrder(user_order == "day-first", f"{user_order}: your setting", "user")
    if remembered in ("day-first", "month-first"):
        where = f" ({remembered_from})" if remembered_from else ""
        return DateOrder(remembered == "day-first", f"{remembered}: as an earlier file with"
                         f" the same header{where}", "remembered")
    header, example = any_year_last
    problem = (f"{file_name}: cannot tell whether dates like '{example}' ('{header}') are"
               " day-first or month-first (no day above 12 in the file)")
    raise InputError(f"{problem}; pass --day-first or --month-first", fix=FIX_DATE_ORDER,
                     problem=problem)


def first_of_each_date(s: pl.Series) -> pl.Series:
    """The values whose date part (the first 11 characters after leading blanks: enough
    for YEAR_LAST and the character after it) is seen for the first time, in file order.

    The date order depends only on that part, and the first value of each keeps the
    examples named in messages the same; 1M timestamps have a few thousand dates.
    Applied twice, it returns what it returned once (callers may reduce a column first).
    """
    if s.len() < 10_000:
        return s
    key = s.str.strip_chars_start().str.slice(0, 11)
    return s.filter(key.is_first_distinct())


def parse_timestamps(raw: pl.Series, day_first: bool | None, tz: str,
                     keep_placeholders: bool = False) -> pl.Series:
    """Instants (UTC) from text; naive values are wall time in `tz`. NULL where unreadable.

    Placeholder dates (1899-12-30, 1900-01-01) are NULL unless `keep_placeholders`. In a
    daylight-saving change, an ambiguous wall time takes the earlier instant.
    """
    out, _ = parse_timestamps_wall(raw, day_first, tz)
    if not keep_placeholders:
        out = pl.select(pl.when(out < PLACEHOLDER_BEFORE).then(None).otherwise(out)).to_series()
    return out.alias(raw.name)


def parse_timestamps_wall(raw: pl.Series, day_first: bool | None, tz: str
                          ) -> tuple[pl.Series, pl.Series]:
    """(instants, wall times): the instant of each value, and for values written without an
    offset, the naive wall time as written (NULL for values that carried an offset).

    The wall time is what a change of the workspace time zone re-reads (`localise`).
    Placeholders are kept; see `is_placeholder`.
    """
    out: pl.Series | None = None
    wall: pl.Series | None = None
    todo = raw.is_not_null()
    formats = FAST_NAIVE + FAST_AWARE + (_year_last_formats(day_first) if day_first is not None
                                         else [])
    # Fast path: the layouts most of the column uses, found on a sample, parsed natively.
    for _ in range(3):
        pending = raw.filter(todo).head(500)
        if pending.len() == 0:
            break
        fmt = _best_format(pending, formats)
        if fmt is None:
            break
        # Polars' per-value cache pays off only for repeated values (dates without a time);
        # for timestamps, mostly distinct, hashing each one doubles the cost of the parse.
        cache = pending.n_unique() * 2 < pending.len()
        parsed, naive = _strptime(raw, fmt, tz, cache)
        hit = todo & parsed.is_not_null()
        out = parsed if out is None else _where(hit, parsed, out)
        wall = naive if wall is None else _where(hit, naive, wall)
        todo = todo & ~hit
        formats = [f for f in formats if f != fmt]
    if todo.any():
        slow, slow_wall = _parse_by_parts(raw.str.strip_chars(), day_first, tz)
        out = slow if out is None else _where(todo, slow, out)
        wall = slow_wall if wall is None else _where(todo, slow_wall, wall)
    if out is None or wall is None:
        out = pl.repeat(None, len(raw), dtype=INSTANT, eager=True)
        wall = pl.repeat(None, len(raw), dtype=pl.Datetime("us"), eager=True)
    return out.alias(raw.name), wall.alias(raw.name)


def _where(mask: pl.Series, then: pl.Series, otherwise: pl.Series) -> pl.Series:
    return pl.select(pl.when(mask).then(then).otherwise(otherwise)).to_series()


# Dates before 1900 are not ticket or invoice dates. Placeholders for "no date" (Excel's
# 1899-12-30 and 1900-01-01, .NET's 0001-01-01) are empty; any other such date is refused.
PLACEHOLDER_DAYS = (datetime(1899, 12, 29, tzinfo=UTC), datetime(1, 1, 3, tzinfo=UTC))


def is_placeholder(parsed: pl.Series) -> pl.Series:
    """Whether each instant is a spreadsheet/PSA placeholder for "no date"."""
    return pl.select((pl.lit(parsed) < PLACEHOLDER_BEFORE)
                     & ((pl.lit(parsed) >= PLACEHOLDER_DAYS[0])
                        | (pl.lit(parsed) < PLACEHOLDER_DAYS[1]))).to_series()


def _best_format(sample: pl.Series, formats: list[str]) -> str | None:
    best, best_hits = None, 0
    for fmt in formats:
        dtype = INSTANT if "z" in fmt else pl.Datetime("us")
        hits = int(sample.str.strptime(dtype, fmt, strict=False).is_not_null().sum())
        if hits > best_hits:
            best, best_hits = fmt, hits
            if hits == sample.len():
                break
    return best


def _strptime(raw: pl.Series, fmt: str, tz: str, cache: bool = True
              ) -> tuple[pl.Series, pl.Series]:
    if "z" in fmt:
        return (raw.str.strptime(INSTANT, fmt, strict=False, cache=cache),
                pl.repeat(None, len(raw), dtype=pl.Datetime("us"), eager=True))
    naive = raw.str.strptime(pl.Datetime("us"), fmt, strict=False, cache=cache)
    return localise(naive, tz), naive


def localise(naive: pl.Series, tz: str) -> pl.Series:
    """Wall time in `tz` to UTC instants.

    Ambiguous times (clocks going back) take the earlier instant; times skipped when
    clocks go forward are read with the offset in force before the change.
    """
    hour = pl.duration(hours=1)
    return pl.select(pl.coalesce(
        naive.dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null"),
        (naive + hour).dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null"),
    ).dt.convert_time_zone("UTC")).to_series()


def _parse_by_parts(raw: pl.Series, day_first: bool | None, tz: str
                    ) -> tuple[pl.Series, pl.Series]:
    """The general reader: pull date, time and offset apart with regexes, then assemble."""
    pieces = []
    for pattern, ymd in LAYOUTS:
        if ymd is None:
            if day_first is None:
                continue
            ymd = (3, 2, 1) if day_first else (3, 1, 2)
        g = raw.str.extract_groups(pattern).struct.unnest()
        g.columns = [f"g{i}" for i in range(1, g.width + 1)]
        y, m, d = (g[f"g{i}"] for i in ymd)
        pieces.append(pl.DataFrame({"y": y, "m": m, "d": d, "H": g["g4"], "M": g["g5"],
                                    "S": g["g6"], "ampm": g["g7"], "off": g["g8"]}))
    if not pieces:
        return (pl.repeat(None, len(raw), dtype=INSTANT, eager=True).alias(raw.name),
                pl.repeat(None, len(raw), dtype=pl.Datetime("us"), eager=True).alias(raw.name))
    parts = pieces[0]
    for p in pieces[1:]:
        parts = parts.with_columns(
            pl.when(pl.col("y").is_null()).then(p[c]).otherwise(pl.col(c)).alias(c)
            for c in parts.columns)
    month_names = pl.col("m").str.to_lowercase().str.slice(0, 3).replace_strict(
        MONTHS, default=None, return_dtype=pl.Int32)
    hour = pl.col("H").cast(pl.Int32, strict=False).fill_null(0)
    ampm = pl.col("ampm").str.to_lowercase().str.slice(0, 1)
    hour = (pl.when(ampm == "p").then(pl.when(hour == 12).then(12).otherwise(hour + 12))
            .when(ampm == "a").then(pl.when(hour == 12).then(0).otherwise(hour))
            .otherwise(hour))
    year = pl.col("y").cast(pl.Int32, strict=False)
    year = pl.when(year < 100).then(year + 2000).otherwise(year)
    month = pl.coalesce(pl.col("m").cast(pl.Int32, strict=False), month_names)
    off = pl.col("off").str.replace_all(":", "")
    off_min = (pl.when(off.is_in(["Z", "UTC", "GMT"])).then(0)
               .otherwise(off.str.slice(1, 2).cast(pl.Int32, strict=False) * 60
                          + off.str.slice(3, 2).cast(pl.Int32, strict=False))
               * pl.when(off.str.starts_with("-")).then(-1).otherwise(1))
    text = pl.format("{}-{}-{} {}:{}:{}", year.cast(pl.Utf8).str.zfill(4),
                     month.cast(pl.Utf8).str.zfill(2), pl.col("d").str.zfill(2),
                     hour.cast(pl.Utf8).str.zfill(2), pl.col("M").fill_null("00"),
                     pl.col("S").fill_null("00"))
    built = parts.select(
        naive=text.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False),
        off_min=off_min)
    naive = built["naive"]
    local = localise(naive, tz)
    offset_us = built["off_min"].cast(pl.Int64).fill_null(0) * 60_000_000
    aware = naive.dt.replace_time_zone("UTC") - offset_us.cast(pl.Duration("us"))
    has_offset = built["off_min"].is_not_null()
    instant = pl.select(pl.when(has_offset).then(aware).otherwise(local)).to_series()
    wall = pl.select(pl.when(~has_offset).then(naive)).to_series()
    return instant.alias(raw.name), wall.alias(raw.name)


# --- numbers and money ------------------------------------------------------------------------

_CURRENCY = r"(?i)[\s$£€¥\u00a0']|\b(?:usd|gbp|eur|aud|cad|nzd|chf|zar|sek|nok|dkk|jpy|inr|sgd)\b"
_NUMBER = {  # by decimal_comma: digits with optional thousands grouping and decimals
    False: r"^([0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)?(?:\.[0-9]+)?$",
    True: r"^([0-9]+|[0-9]{1,3}(?:\.[0-9]{3})+)?(?:,[0-9]+)?$",
}


def decide_decimal_comma(columns: dict[str, pl.Series], delimiter: str | None) -> bool:
    """Whether the file's numbers use a decimal comma (`1.234,50`), decided once per file.

    A separator followed by other than three digits at the end of a value is a decimal
    separator. With no such value, a semicolon-delimited file is taken as decimal-comma.
    """
    has_comma = any(s.str.contains(",", literal=True).any() for s in columns.values())
    if not has_comma and delimiter != ";":
        return False
    comma = dot = 0
    for s in columns.values():
        # Each distinct value once, weighted by how often it occurs: the same counts.
        counts = s.drop_nulls().value_counts(name="__n")
        v = counts[s.name].str.replace_all(_CURRENCY, "").str.strip_chars("()-+")
        n = counts["__n"]
        comma += int(n.filter(v.str.contains(r",[0-9]{1,2}$|,[0-9]{4,}$|\.[0-9]{3},")).sum())
        dot += int(n.filter(v.str.contains(r"\.[0-9]{1,2}$|\.[0-9]{4,}$|,[0-9]{3}\.")).sum())
    if comma and dot:
        return comma > dot
    if comma or dot:
        return bool(comma)
    return delimiter == ";"


def decimal_comma_votes(col: str, weight: str | None = None) -> list[pl.Expr]:
    """Per column, as decide_decimal_comma counts them: whether any value has a comma, and
    the values read as decimal-comma and as decimal-dot (for a file read in batches).
    `weight`: a column of how many times each value occurs (a frame of distinct values)."""
    v = pl.col(col).str.replace_all(_CURRENCY, "").str.strip_chars("()-+")

    def count(hit: pl.Expr) -> pl.Expr:
        return hit.sum() if weight is None else (hit.cast(pl.Int64) * pl.col(weight)).sum()

    return [pl.col(col).str.contains(",", literal=True).any().alias(col + "\x1fhas"),
            count(v.str.contains(r",[0-9]{1,2}$|,[0-9]{4,}$|\.[0-9]{3},")).alias(col + "\x1fc"),
            count(v.str.contains(r"\.[0-9]{1,2}$|\.[0-9]{4,}$|,[0-9]{3}\.")).alias(col + "\x1fd")]


def decimal_comma_from_votes(votes: dict[str, Any], delimiter: str | None) -> bool:
    """decide_decimal_comma's answer from the votes of decimal_comma_votes()."""
    has_comma = any(bool(v) for k, v in votes.items() if k.endswith("\x1fhas"))
    if not has_comma and delimiter != ";":
        return False
    comma = sum(int(v or 0) for k, v in votes.items() if k.endswith("\x1fc"))
    dot = sum(int(v or 0) for k, v in votes.items() if k.endswith("\x1fd"))
    if comma and dot:
        return comma > dot
    if comma or dot:
        return bool(comma)
    return delimiter == ";"


def _numeric_text(raw: pl.Series, decimal_comma: bool) -> tuple[pl.Series, pl.Series]:
    """A plain `-1234.50` string for each money/number cell, and whether it was negative."""
    s = raw.str.strip_chars().str.replace_all(_CURRENCY, "")
    negative = (s.str.contains(r"^\(.*\)$") | s.str.starts_with("-") | s.str.ends_with("-")
                | s.str.to_lowercase().str.ends_with("cr"))
    body = s.str.replace(r"(?i)cr$", "").str.strip_chars("()-+")
    ok = body.str.contains(_NUMBER[decimal_comma]) & body.str.contains(r"[0-9]")
    if decimal_comma:
        body = body.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True)
    else:
        body = body.str.replace_all(",", "", literal=True)
    text = pl.select(pl.when(ok).then(pl.when(negative).then("-" + body).otherwise(body))
                     ).to_series()
    return text, negative


def parse_money(raw: pl.Series, decimal_comma: bool) -> pl.Series:
    """Exact decimals from money text: `$1,234.50`, `(12.00)`, `1.234,50`, `-12`, `$(250.00)`."""
    return as_cents_if_exact(parse_money_staged(raw, decimal_comma)).alias(raw.name)


def parse_money_staged(raw: pl.Series, decimal_comma: bool) -> pl.Series:
    """parse_money in the six-decimal staging type (before any range check)."""
    if not decimal_comma:
        value = raw.cast(STAGED_MONEY, strict=False)
        if (value.is_null() == raw.is_null()).all():
            return value.alias(raw.name)
    return by_distinct(raw, lambda s: _numeric_text(s, decimal_comma)[0].cast(
        STAGED_MONEY, strict=False)).alias(raw.name)


def by_distinct(raw: pl.Series, read: Callable[[pl.Series], pl.Series]) -> pl.Series:
    """`read` (value by value, NULL for NULL) run on the column's distinct values and spread
    back to every row: exports repeat the same few amounts and hours, and the text rules
    (regexes) cost far more per value than the lookup."""
    distinct = raw.drop_nulls().unique()
    if distinct.len() * 2 > raw.len():
        return read(raw)
    values = read(distinct)
    return raw.replace_strict(distinct, values, default=None, return_dtype=values.dtype)


# The largest money magnitude a load accepts, by the column's scale. The store's
# DECIMAL(18,2) and DECIMAL(18,4) columns hold more (up to 1e16 and 1e14), but no IT
# invoice line is a trillion, and figures multiply amounts (shares, scenario prices):
# a bound well inside the column keeps every computed figure inside its type as well.
MONEY_LIMIT = {2: Decimal("999999999999.99"), 4: Decimal("999999999999.9999")}
# Durations, counts and quantities beyond this are typing errors, and would overflow the
# DECIMAL(38,4) sums of the metrics.
NUMBER_LIMIT = 1e12


def as_cents_if_exact(value: pl.Series) -> pl.Series:
    """DECIMAL(18,2) when no value has more than two decimals (cheaper to load).

    Otherwise the six-decimal staging type is kept and the database rounds each value half
    away from zero when storing it (Polars' own cast rounds half to even).
    """
    cents = value.cast(CENTS, strict=False)
    exact = (cents.cast(STAGED_MONEY) == value) | value.is_null()
    return cents if exact.all() else value


def parse_number(raw: pl.Series, decimal_comma: bool) -> pl.Series:
    """Floats from numeric text; `h:mm` or `h:mm:ss` durations are read as hours."""
    if not decimal_comma:
        fast = raw.cast(pl.Float64, strict=False)
        if (fast.is_null() == raw.is_null()).all():
            return fast
    return by_distinct(raw, lambda s: _number_text(s, decimal_comma)).alias(raw.name)


def _number_text(raw: pl.Series, decimal_comma: bool) -> pl.Series:
    """parse_number's reading of text that is not a plain number."""
    text, _ = _numeric_text(raw, decimal_comma)
    hms = raw.str.strip_chars().str.extract_groups(r"^([0-9]{1,9}):([0-9]{2})(?::([0-9]{2}))?$"
                                                   ).struct.unnest()
    hms.columns = ["h", "m", "s"]
    hours = hms.select(pl.col("h").cast(pl.Float64, strict=False)
                       + pl.col("m").cast(pl.Float64, strict=False) / 60
                       + pl.col("s").cast(pl.Float64, strict=False).fill_null(0) / 3600
                       ).to_series()
    return pl.select(pl.coalesce(text.cast(pl.Float64, strict=False), hours)).to_series(
    ).alias(raw.name)


# --- priority ---------------------------------------------------------------------------------

PRIORITY_WORDS = [
    (r"\b(critical|urgent|emergency|highest)\b", "P1"),
    (r"\bhigh\b", "P2"),
    (r"\b(medium|normal|moderate)\b", "P3"),
    (r"\b(lowest|planning)\b", "P5"),
    (r"\blow\b", "P4"),
]


def normalise_priorities(raw: pl.Series, value_map: dict[str, str] | None = None) -> pl.Series:
    """normalise_priority over a column, computed once per distinct value."""
    distinct = raw.unique().drop_nulls()
    table = pl.select(raw=distinct, p=normalise_priority(pl.lit(distinct), value_map))
    return raw.replace_strict(table["raw"], table["p"], default=None,
                              return_dtype=pl.Utf8).alias("priority")


def normalise_priority(raw: pl.Expr, value_map: dict[str, str] | None = None) -> pl.Expr:
    """`P1`..`P5` from a raw priority (METRICS.md section 1), NULL when unknown."""
    low = raw.str.to_lowercase()
    expr: Any = pl.when(raw.str.contains(r"[1-5]")).then(
        pl.lit("P") + raw.str.extract(r"([1-5])", 1))
    for pattern, p in PRIORITY_WORDS:
        expr = expr.when(low.str.contains(pattern)).then(pl.lit(p))
    result: pl.Expr = expr.otherwise(None)
    if value_map:
        mapped = low.replace_strict({k.lower(): v for k, v in value_map.items()}, default=None,
                                    return_dtype=pl.Utf8)
        result = pl.coalesce(mapped, result)
    return result
