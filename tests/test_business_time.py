"""Business time (METRICS.md section 10), worked out by hand, through the SQL the metrics run.

Every expected value is counted on a calendar in the docstring or comment beside it.
2024 dates used: Fri 1 Mar, Mon 4 Mar, Fri 29 Mar (Good Friday), Sun 31 Mar (UK clocks
go forward 01:00 GMT -> 02:00 BST), Mon 1 Apr, Sun 10 Mar (US clocks forward 02:00 EST
-> 03:00 EDT), Sun 27 Oct (UK clocks back 02:00 BST -> 01:00 GMT), Sun 3 Nov (US clocks
back 02:00 EDT -> 01:00 EST), Tue 24 - Thu 26 Dec.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pytest

from pipelines.business_time import (
    business_hours_between,
    parse_business_hours,
    parse_holidays,
)
from pipelines.errors import SettingError

LON = ZoneInfo("Europe/London")
NYC = ZoneInfo("America/New_York")
OFFICE = "Mon-Fri 09:00-17:00"


def hours(spans: list[tuple[datetime, datetime]], schedule: str = OFFICE,
          holidays: tuple[str, ...] = (), tz: str = "Europe/London") -> list[float]:
    con = duckdb.connect()
    try:
        return business_hours_between(con, spans, parse_business_hours(schedule), holidays, tz)
    finally:
        con.close()


def lon(*args: int) -> datetime:
    return datetime(*args, tzinfo=LON)  # type: ignore[misc]


def nyc(*args: int) -> datetime:
    return datetime(*args, tzinfo=NYC)  # type: ignore[misc]


def test_within_one_day_and_across_nights() -> None:
    """Mon 10:00-12:30 is 2.5 h; Mon 15:00 -> Wed 11:00 is 2 (Mon) + 8 (Tue) + 2 (Wed) = 12 h;
    Mon 16:30 -> Tue 09:30 is 0.5 + 0.5 = 1 h (the night counts nothing)."""
    assert hours([
        (lon(2024, 3, 4, 10), lon(2024, 3, 4, 12, 30)),
        (lon(2024, 3, 4, 15), lon(2024, 3, 6, 11)),
        (lon(2024, 3, 4, 16, 30), lon(2024, 3, 5, 9, 30)),
    ]) == [2.5, 12.0, 1.0]


def test_weekends_count_nothing() -> None:
    """Fri 1 Mar 16:00 -> Mon 4 Mar 10:00 is 1 (Fri) + 1 (Mon) = 2 h; Sat 12:00 -> Sun 15:00
    is 0 h; Fri 17:00 -> Mon 09:00 is 0 h."""
    assert hours([
        (lon(2024, 3, 1, 16), lon(2024, 3, 4, 10)),
        (lon(2024, 3, 2, 12), lon(2024, 3, 3, 15)),
        (lon(2024, 3, 1, 17), lon(2024, 3, 4, 9)),
    ]) == [2.0, 0.0, 0.0]


def test_opened_outside_hours() -> None:
    """Opened Mon 07:00, resolved 09:30: 0.5 h (the clock starts at 09:00). Opened Sat
    10:00, resolved Mon 09:15: 0.25 h. Opened Mon 18:00, resolved Tue 08:00: 0 h. Opened
    Sun 23:00, resolved Mon 17:45: 8 h (the clock stops at 17:00)."""
    assert hours([
        (lon(2024, 3, 4, 7), lon(2024, 3, 4, 9, 30)),
        (lon(2024, 3, 2, 10), lon(2024, 3, 4, 9, 15)),
        (lon(2024, 3, 4, 18), lon(2024, 3, 5, 8)),
        (lon(2024, 3, 3, 23), lon(2024, 3, 4, 17, 45)),
    ]) == [0.5, 0.25, 0.0, 8.0]


def test_holidays_are_skipped() -> None:
    """Christmas 2024 (Wed 25, Thu 26 Dec) as holidays: Tue 24 Dec 16:00 -> Fri 27 Dec 10:00
    is 1 (Tue) + 1 (Fri) = 2 h instead of 18 h; Good Friday 29 Mar and Easter Monday 1 Apr
    off: Thu 28 Mar 16:00 -> Tue 2 Apr 10:00 is 1 + 1 = 2 h instead of 18 h."""
    spans = [(lon(2024, 12, 24, 16), lon(2024, 12, 27, 10)),
             (lon(2024, 3, 28, 16), lon(2024, 4, 2, 10))]
    assert hours(spans) == [18.0, 18.0]
    assert hours(spans, holidays=("2024-12-25", "2024-12-26", "2024-03-29", "2024-04-01")
                 ) == [2.0, 2.0]


def test_dst_europe_london() -> None:
    """Round the clock (Mon-Sun 00:00-24:00), Sat 30 Mar 12:00 -> Mon 1 Apr 12:00 London is
    47 h (Sunday 31 Mar has 23), Sat 26 Oct 12:00 -> Mon 28 Oct 12:00 is 49 h (Sunday 27
    Oct has 25): business time is elapsed time, as calendar time is.

    Office hours are local wall time on both sides of the change: Fri 29 Mar 16:00 GMT ->
    Mon 1 Apr 10:00 BST is 2 h. Given in UTC, Mon 1 Apr 08:30Z -> 16:00Z is 09:30 -> 17:00
    BST, 7.5 h in London; the same instants in a UTC workspace are 09:00Z -> 16:00Z, 7 h."""
    assert hours([(lon(2024, 3, 30, 12), lon(2024, 4, 1, 12)),
                  (lon(2024, 10, 26, 12), lon(2024, 10, 28, 12))],
                 schedule="Mon-Sun 00:00-24:00") == [47.0, 49.0]
    assert hours([(lon(2024, 3, 29, 16), lon(2024, 4, 1, 10))]) == [2.0]
    utc_span = [(datetime(2024, 4, 1, 8, 30, tzinfo=UTC), datetime(2024, 4, 1, 16, tzinfo=UTC))]
    assert hours(utc_span) == [7.5]
    assert hours(utc_span, tz="UTC") == [7.0]


def test_dst_america_new_york() -> None:
    """Round the clock, Sat 9 Mar 12:00 -> Mon 11 Mar 12:00 New York is 47 h and Sat 2 Nov
    12:00 -> Mon 4 Nov 12:00 is 49 h. Office hours: 13:00Z -> 21:00Z is 09:00-17:00 EDT on
    Mon 11 Mar (8 h) but 08:00-16:00 EST on Fri 8 Mar (7 h: the clock starts at 14:00Z).
    A night shift Sat 22:00 -> Sun 06:00 on the spring-forward night lasts 7 h."""
    assert hours([(nyc(2024, 3, 9, 12), nyc(2024, 3, 11, 12)),
                  (nyc(2024, 11, 2, 12), nyc(2024, 11, 4, 12))],
                 schedule="Mon-Sun 00:00-24:00", tz="America/New_York") == [47.0, 49.0]
    assert hours([(datetime(2024, 3, 11, 13, tzinfo=UTC), datetime(2024, 3, 11, 21, tzinfo=UTC)),
                  (datetime(2024, 3, 8, 13, tzinfo=UTC), datetime(2024, 3, 8, 21, tzinfo=UTC))],
                 tz="America/New_York") == [8.0, 7.0]
    assert hours([(nyc(2024, 3, 9, 20), nyc(2024, 3, 10, 12))],
                 schedule="Sat 22:00-24:00; Sun 00:00-06:00", tz="America/New_York") == [7.0]


def test_other_schedules() -> None:
    """'Mon,Wed 08:30-18:00': Mon 4 Mar 08:00 -> Thu 7 Mar 12:00 is 9.5 (Mon) + 9.5 (Wed) =
    19 h. A lunch break 'Mon-Fri 09:00-12:00,13:00-17:00': Mon 11:00 -> 14:00 is 1 + 1 = 2 h.
    A wrapping range 'Fri-Mon 10:00-11:00': Thu 7 Mar 00:00 -> Wed 13 Mar 00:00 holds Fri,
    Sat, Sun, Mon: 4 h. '24/7' is round the clock: 6 days = 144 h."""
    assert hours([(lon(2024, 3, 4, 8), lon(2024, 3, 7, 12))], "Mon,Wed 08:30-18:00") == [19.0]
    assert hours([(lon(2024, 3, 4, 11), lon(2024, 3, 4, 14))],
                 "Mon-Fri 09:00-12:00, 13:00-17:00") == [2.0]
    week = [(lon(2024, 3, 7), lon(2024, 3, 13))]
    assert hours(week, "Fri-Mon 10:00-11:00") == [4.0]
    assert hours(week, "24/7") == [144.0]


def test_far_from_utc_the_office_day_spans_two_utc_days() -> None:
    """Auckland (UTC+13 in March): 09:00-17:00 NZDT is 20:00Z-04:00Z, across UTC midnight.
    Mon 4 Mar 08:00 -> Tue 5 Mar 18:00 local is two full days: 16 h."""
    akl = ZoneInfo("Pacific/Auckland")
    assert hours([(datetime(2024, 3, 4, 8, tzinfo=akl), datetime(2024, 3, 5, 18, tzinfo=akl))],
                 tz="Pacific/Auckland") == [16.0]


def _brute_force(a: datetime, b: datetime, schedule: str, holidays: set[date],
                 zone: ZoneInfo) -> float:
    """Business minutes counted one minute at a time in local wall time (a and b on whole
    minutes): an independent check of the day-table arithmetic."""
    sched = parse_business_hours(schedule)
    n = 0
    t = a
    while t < b:
        local = t.astimezone(zone)
        minute = local.hour * 60 + local.minute
        if local.date() not in holidays and any(
                s <= minute < e for s, e in sched.days[local.weekday()]):
            n += 1
        t += timedelta(minutes=1)
    return n / 60


@pytest.mark.parametrize("tz", ["Europe/London", "America/New_York", "Pacific/Auckland"])
def test_matches_a_minute_by_minute_count(tz: str) -> None:
    """Seeded random spans of up to 4 days over DST changes, against counting minutes."""
    rng = random.Random(12)
    zone = ZoneInfo(tz)
    schedule = "Mon-Fri 08:30-12:00,13:00-17:30; Sat 10:00-14:00"
    holidays = {date(2024, 3, 29), date(2024, 11, 4)}
    base = datetime(2024, 3, 1, tzinfo=UTC)
    spans = []
    for _ in range(40):
        a = base + timedelta(minutes=rng.randrange(0, 280 * 24 * 60, 15))
        spans.append((a, a + timedelta(minutes=rng.randrange(0, 4 * 24 * 60))))
    expected = [_brute_force(a, b, schedule, holidays, zone) for a, b in spans]
    got = hours(spans, schedule, tuple(d.isoformat() for d in holidays), tz)
    assert got == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "scenario key 'business_hours' must be a text such as 'Mon-Fri 09:00-17:00', not ''"),
        ("Mon-Fir 09:00-17:00", ("scenario key 'business_hours': 'Fir' is not a day; use Mon,"
         " Tue, Wed, Thu, Fri, Sat, Sun or a range such as Mon-Fri")),
        ("Mon-Fri 17:00-09:00", ("scenario key 'business_hours': '17:00-09:00' ends before it"
         " starts; hours run within one day (a night shift is two ranges:"
         " 'Mon-Fri 22:00-24:00; Tue-Sat 00:00-06:00')")),
        ("Mon-Fri 09:00-25:00", ("scenario key 'business_hours': '25:00' is not a time of day"
         " between 00:00 and 24:00")),
        ("weekdays", ("scenario key 'business_hours': 'weekdays' is not days and hours; write"
         " days and hours like 'Mon-Fri 09:00-17:00' (also 'Mon,Wed 08:30-18:00',"
         " 'Mon-Sun 00:00-24:00', groups separated by ';')")),
    ],
)
def test_bad_schedules_name_the_key(text: str, message: str) -> None:
    with pytest.raises(SettingError) as err:
        parse_business_hours(text)
    assert str(err.value) == message


def test_schedule_forms() -> None:
    """Day names in any case or in full; overlapping hours of one day are merged."""
    s = parse_business_hours("monday-FRIDAY 9-12; Mon 11:00-13:00")
    assert s.days[0] == ((540, 780),) and s.days[1] == ((540, 720),) and s.days[5] == ()
    assert parse_business_hours("Mon-Fri 09:00-17:00").weekly_hours == 40


def test_holidays_forms() -> None:
    """TOML dates, 'YYYY-MM-DD' texts or one comma-separated text; sorted, once each."""
    assert parse_holidays([date(2024, 12, 26), "2024-12-25", "2024-12-25"]) == (
        "2024-12-25", "2024-12-26")
    assert parse_holidays("2024-12-25, 2024-01-01") == ("2024-01-01", "2024-12-25")
    with pytest.raises(SettingError, match="'holidays': '25/12/2024' is not a date"):
        parse_holidays(["25/12/2024"])
