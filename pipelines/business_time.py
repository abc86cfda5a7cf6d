"""Business time (METRICS.md section 10): the hours between two instants that fall inside
the scenario's `business_hours`, skipping its `holidays`, in the workspace time zone.

How it is computed: the schedule is laid out as *segments*, one per business interval
of every local day the tickets span (a holiday has none), each with its start instant,
its length and the business time of every segment before it (all in microseconds,
integers, so nothing is rounded). The business time up to an instant t is then
`cum + min(t - start, length)` of the last segment starting at or before t (0 before
the first); the business time of a span is the difference of its two ends. The
segments are laid out per UTC day (`DayTable`), so each instant finds its segments by
one list look-up on its day number: a few thousand days cover years, and a million
tickets take a few tens of milliseconds.

Schedule text (`business_hours`), decided here where METRICS.md gives only the shape:

* `<days> <hours>`: days are `Mon`..`Sun` (or full names, any case), single or as a
  range `Mon-Fri` (a range may wrap: `Fri-Mon` is Fri, Sat, Sun, Mon), several joined
  by commas (`Mon,Wed`, `Mon-Wed,Fri`); hours are `HH:MM-HH:MM` (`9:00`, `09:00` and
  a bare hour `9` also work), several joined by commas (`09:00-12:00,13:00-17:00`),
  with `24:00` as the end of the day. Examples: `Mon-Fri 09:00-17:00`,
  `Mon-Sun 00:00-24:00`, `Mon,Wed 08:30-18:00`.
* Several groups are separated by `;` (`Mon-Fri 08:00-18:00; Sat 09:00-12:00`); the
  hours of a day named twice are merged (overlaps counted once). `24/7` is short for
  `Mon-Sun 00:00-24:00`.
* A range's end must be after its start: a night shift is written as two ranges
  (`Mon-Fri 22:00-24:00; Tue-Sat 00:00-06:00`), which keeps every day's hours on
  that day's date (and so its holidays).
* Wall times that a DST change skips or repeats are read as Python's `zoneinfo` does
  with `fold=0`: a skipped time is the instant it would have been before the change,
  a repeated one its first occurrence. Local days are 23 or 25 hours long on DST days,
  so `Mon-Sun 00:00-24:00` gives exactly calendar time.
* `holidays` are local dates (in the workspace zone) with no business hours at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pipelines.errors import SettingError

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_FULL = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAYS = {n.lower(): i for i, n in enumerate(DAY_NAMES)} | {n: i for i, n in enumerate(_FULL)}
_TIME = re.compile(r"(\d{1,2})(?::(\d{2}))?")
_GROUP = re.compile(r"(?P<days>[A-Za-z][A-Za-z ,\-]*?)\s+(?P<hours>\d.*)")
_EXAMPLES = ("write days and hours like 'Mon-Fri 09:00-17:00' (also 'Mon,Wed 08:30-18:00',"
             " 'Mon-Sun 00:00-24:00', groups separated by ';')")
US = 1_000_000


@dataclass(frozen=True)
class Schedule:
    """Business hours per weekday (0 = Monday): merged (start, end) minutes of the day."""

    days: tuple[tuple[tuple[int, int], ...], ...]

    @property
    def weekly_hours(self) -> float:
        return sum(e - s for day in self.days for s, e in day) / 60


def parse_business_hours(text: Any, key: str = "business_hours") -> Schedule:
    """The schedule a `business_hours` text describes; a SettingError naming `key` if none."""
    if not isinstance(text, str) or not text.strip():
        raise SettingError(f"scenario key {key!r} must be a text such as 'Mon-Fri 09:00-17:00',"
                           f" not {text!r}")
    source = text.strip()
    per_day: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    groups = ["Mon-Sun 00:00-24:00" if source.lower() in ("24/7", "24x7") else source]
    groups = [g.strip() for g in groups[0].split(";") if g.strip()]
    if not groups:
        raise SettingError(f"scenario key {key!r}: {text!r} names no days; {_EXAMPLES}")
    for group in groups:
        m = _GROUP.fullmatch(group)
        if not m:
            raise SettingError(f"scenario key {key!r}: {group!r} is not days and hours; {_EXAMPLES}")
        days = _days(m.group("days"), key)
        ranges = [_range(r.strip(), key) for r in m.group("hours").split(",") if r.strip()]
        for d in days:
            per_day[d].extend(ranges)
    return Schedule(tuple(_merge(r) for r in per_day))


def _days(text: str, key: str) -> list[int]:
    out: list[int] = []
    for item in (p.strip() for p in text.split(",")):
        if not item:
            continue
        written = [e.strip() for e in item.split("-")]
        ends = [e.lower() for e in written]
        bad = [w for w, e in zip(written, ends, strict=True) if e not in _DAYS]
        if len(ends) > 2 or bad:
            what = bad[0] if bad else item
            raise SettingError(f"scenario key {key!r}: {what!r} is not a day; use Mon, Tue, Wed,"
                               " Thu, Fri, Sat, Sun or a range such as Mon-Fri")
        first, last = _DAYS[ends[0]], _DAYS[ends[-1]]
        span = (last - first) % 7
        out.extend((first + i) % 7 for i in range(span + 1))
    if not out:
        raise SettingError(f"scenario key {key!r}: {text!r} names no days; {_EXAMPLES}")
    return out


def _minutes(text: str, key: str) -> int:
    m = _TIME.fullmatch(text.strip())
    if not m:
        raise SettingError(f"scenario key {key!r}: {text!r} is not a time of day; write it as"
                           " HH:MM, for example 09:00 or 17:30")
    h, mi = int(m.group(1)), int(m.group(2) or 0)
    if mi > 59 or h > 24 or (h == 24 and mi):
        raise SettingError(f"scenario key {key!r}: {text!r} is not a time of day between"
                           " 00:00 and 24:00")
    return h * 60 + mi


def _range(text: str, key: str) -> tuple[int, int]:
    parts = text.split("-")
    if len(parts) != 2:
        raise SettingError(f"scenario key {key!r}: {text!r} is not a range of hours; write it"
                           " like 09:00-17:00")
    start, end = _minutes(parts[0], key), _minutes(parts[1], key)
    if end <= start:
        raise SettingError(
            f"scenario key {key!r}: {text!r} ends before it starts; hours run within one day"
            " (a night shift is two ranges: 'Mon-Fri 22:00-24:00; Tue-Sat 00:00-06:00')")
    return start, end


def _merge(ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(ranges):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return tuple(out)


def parse_holidays(value: Any, key: str = "holidays") -> tuple[str, ...]:
    """Holiday dates as sorted unique 'YYYY-MM-DD' texts, from TOML dates, texts, or one
    comma-separated text (the CLI's --set holidays=2024-12-25,2024-12-26)."""
    items: Iterable[Any]
    if isinstance(value, str):
        items = [v for v in (p.strip() for p in value.split(",")) if v]
    elif isinstance(value, (list, tuple)):
        items = value
    elif isinstance(value, date) and not isinstance(value, datetime):
        items = [value]
    else:
        raise SettingError(f"scenario key {key!r} must be a list of dates such as"
                           f" [\"2024-12-25\", \"2024-12-26\"], not {value!r}")
    out: set[str] = set()
    for item in items:
        if isinstance(item, date) and not isinstance(item, datetime):
            out.add(item.isoformat())
            continue
        try:
            if not isinstance(item, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", item.strip()):
                raise ValueError
            out.add(date.fromisoformat(item.strip()).isoformat())
        except ValueError:
            raise SettingError(f"scenario key {key!r}: {item!r} is not a date; write it as"
                               " YYYY-MM-DD, for example 2024-12-25") from None
    return tuple(sorted(out))


@dataclass(frozen=True)
class Segments:
    """Business intervals as microseconds since the epoch: starts, lengths, and the
    business time of all earlier segments (`cum`); what `day_table` lays out per day."""

    starts: list[int]
    lengths: list[int]
    cum: list[int]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_DAY = timedelta(days=1)


def epoch_us(instant: datetime) -> int:
    """An aware datetime as exact microseconds since the epoch."""
    delta = instant - _EPOCH
    return (delta.days * 86400 + delta.seconds) * US + delta.microseconds


def _instant_us(day: date, minutes: int, zone: ZoneInfo) -> int:
    if minutes == 1440:
        day, minutes = day + _ONE_DAY, 0
    return epoch_us(datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone))


def segments(schedule: Schedule, holidays: Iterable[str], tz: str, first: date,
             last: date) -> Segments:
    """The business intervals of every local day from `first` to `last` (both included)."""
    zone = ZoneInfo(tz)
    off = {date.fromisoformat(h) for h in holidays}
    starts: list[int] = []
    lengths: list[int] = []
    cum: list[int] = []
    total = 0
    prev_end: int | None = None
    day = first
    while day <= last:
        if day not in off:
            for s, e in schedule.days[day.weekday()]:
                a, b = _instant_us(day, s, zone), _instant_us(day, e, zone)
                if prev_end is not None:
                    a = max(a, prev_end)  # DST oddities must not count an hour twice
                if b > a:
                    starts.append(a)
                    lengths.append(b - a)
                    cum.append(total)
                    total += b - a
                    prev_end = b
        day += timedelta(days=1)
    return Segments(starts, lengths, cum)


DAY_US = 86_400 * US


@dataclass(frozen=True)
class DayTable:
    """The segments cut at UTC midnights and laid out per UTC day (epoch_us // DAY_US):
    the business time before the day (`cum`) and its k pieces (start, length; unused
    pieces are (0, 0)).

    In SQL the table is one list with a struct per day, {a, s0, e0, s1, e1, ...}: piece
    j runs from s_j to e_j and `a` is `cum` minus every s_j, so the business time up to
    instant t of that day is `a` plus the sum of t clamped to [s_j, e_j] (an unused
    piece adds 0 - 0). An instant's day is then one list look-up by its UTC day number:
    cheaper than an equality join per instant column, far cheaper than an ASOF join on
    millions of rows."""

    first_day: int
    cum: list[int]
    starts: list[list[int]]  # k lists, one value per day
    lengths: list[list[int]]

    @property
    def pieces(self) -> int:
        return len(self.starts)

    def params(self) -> dict[str, object]:
        before = [c - sum(s[i] for s in self.starts) for i, c in enumerate(self.cum)]
        out: dict[str, object] = {"bt_first_day": self.first_day, "bt_a": before}
        for j in range(self.pieces):
            out[f"bt_s{j}"] = self.starts[j]
            out[f"bt_e{j}"] = [s + n for s, n in zip(self.starts[j], self.lengths[j],
                                                      strict=True)]
        return out

    def sql(self) -> str:
        """The table as a one-row relation: `days`, the list of day structs (values are
        parameters). Cross join it, then look an instant's day up with `day`."""
        fields = "".join(f", 's{j}': s{j}, 'e{j}': e{j}" for j in range(self.pieces))
        cols = "".join(f", unnest($bt_s{j}) AS s{j}, unnest($bt_e{j}) AS e{j}"
                       for j in range(self.pieces))
        return (f"SELECT list({{'a': a{fields}}} ORDER BY i) AS days"
                f" FROM (SELECT unnest(range(len($bt_a))) AS i, unnest($bt_a) AS a{cols})")

    def day(self, instant_us: str) -> str:
        """SQL of the day struct of `instant_us` (NULL when the instant is). Every instant
        must lie in the table's days, as `calendar` makes them: a day before the first
        would be a non-positive index, which DuckDB counts from the list's end."""
        return f"list_extract(days, {instant_us} // {DAY_US} - $bt_first_day + 1)"

    def business_us(self, day: str, instant_us: str) -> str:
        """SQL of the business microseconds before `instant_us`, given `day`, a column
        holding `self.day(instant_us)` (NULL when the instant is)."""
        # The clamp of the instant to [s_j, e_j] as a CASE: cheaper in DuckDB than
        # least(greatest(...)), and NULL for a NULL instant as well.
        terms = "".join(
            f" + CASE WHEN {instant_us} <= {day}.s{j} THEN {day}.s{j}"
            f" WHEN {instant_us} >= {day}.e{j} THEN {day}.e{j} ELSE {instant_us} END"
            for j in range(self.pieces))
        return f"({day}.a{terms})"


def day_table(seg: Segments, first_day: int, last_day: int) -> DayTable:
    """`seg` per UTC day from `first_day` to `last_day` (epoch day numbers, included)."""
    n = last_day - first_day + 1
    pieces: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for s, length in zip(seg.starts, seg.lengths, strict=True):
        a, b = s, s + length
        while a < b:
            d = a // DAY_US
            e = min(b, (d + 1) * DAY_US)
            if first_day <= d <= last_day:
                pieces[d - first_day].append((a, e - a))
            a = e
    k = max([len(p) for p in pieces] + [1])
    cum: list[int] = []
    total = 0
    for p in pieces:
        cum.append(total)
        total += sum(length for _, length in p)
    starts = [[p[j][0] if j < len(p) else 0 for p in pieces] for j in range(k)]
    lengths = [[p[j][1] if j < len(p) else 0 for p in pieces] for j in range(k)]
    return DayTable(first_day, cum, starts, lengths)


def calendar(schedule: Schedule, holidays: Iterable[str], tz: str, lo_us: int, hi_us: int
             ) -> DayTable:
    """The day table covering every instant from `lo_us` to `hi_us` (epoch microseconds)."""
    zone = ZoneInfo(tz)
    first = datetime.fromtimestamp(lo_us // US, zone).date() - timedelta(days=1)
    last = datetime.fromtimestamp(hi_us // US + 1, zone).date() + timedelta(days=1)
    seg = segments(schedule, holidays, tz, first, last)
    return day_table(seg, lo_us // DAY_US, hi_us // DAY_US)


def business_hours_between(con: Any, spans: list[tuple[datetime, datetime]],
                           schedule: Schedule, holidays: Iterable[str], tz: str
                           ) -> list[float]:
    """Business hours of each (start, end) span, through the same SQL the metrics run.

    For checks and tests; the metrics look the days up on the tickets directly.
    """
    if not spans:
        return []
    starts = [epoch_us(a) for a, _ in spans]
    ends = [epoch_us(b) for _, b in spans]
    table = calendar(schedule, holidays, tz, min(starts + ends), max(starts + ends))
    rows = con.execute(
        f"""
        WITH bt_days AS ({table.sql()}),
        t AS (SELECT unnest(range(len($a))) AS i, unnest($a) AS a, unnest($b) AS b),
        d AS (SELECT i, a, b, {table.day('a')} AS da, {table.day('b')} AS db
              FROM t CROSS JOIN bt_days)
        SELECT ({table.business_us('db', 'b')} - {table.business_us('da', 'a')}) / 3600e6
        FROM d
        ORDER BY i
        """,
        {**table.params(), "a": starts, "b": ends},
    ).fetchall()
    return [float(r[0]) for r in rows]
