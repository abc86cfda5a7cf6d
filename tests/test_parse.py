"""Value parsing: money, dates, durations, priorities, missing markers."""

from datetime import UTC, datetime
from decimal import Decimal

import polars as pl
import pytest

from pipelines import parse
from pipelines.errors import InputError


@pytest.mark.parametrize(
    ("text", "decimal_comma", "expected"),
    [
        ("$1,234.50", False, "1234.50"),
        ("(12.00)", False, "-12.00"),
        ("-12", False, "-12"),
        ("$(250.00)", False, "-250.00"),
        ("£ 1,000", False, "1000"),
        ("USD 99.99", False, "99.99"),
        ("1.234,50", True, "1234.50"),
        ("12,5", True, "12.5"),
        ("-3", True, "-3"),
        ("0.10", False, "0.10"),
    ],
)
def test_money_parses_exactly(text: str, decimal_comma: bool, expected: str) -> None:
    value = parse.parse_money(pl.Series([text]), decimal_comma)[0]
    assert value == Decimal(expected)


@pytest.mark.parametrize("text", ["abc", "12abc", "1.234,50", "1,23,4"])
def test_money_refuses_text_that_is_not_an_amount(text: str) -> None:
    assert parse.parse_money(pl.Series([text]), False)[0] is None


def test_decimal_comma_is_decided_per_file() -> None:
    assert parse.decide_decimal_comma({"a": pl.Series(["1.234,50", "12"])}, ",")
    assert not parse.decide_decimal_comma({"a": pl.Series(["1,234.50", "12"])}, ";")
    # No value tells: a semicolon-delimited file is European.
    assert parse.decide_decimal_comma({"a": pl.Series(["12", "1.234"])}, ";")
    assert not parse.decide_decimal_comma({"a": pl.Series(["12"])}, ",")


def test_missing_markers_are_null() -> None:
    s = pl.DataFrame({"x": ["?", "N/A", "null", "-", "", "  ", "None", "real"]})
    assert s.select(parse.clean_text("x")).to_series().to_list() == [None] * 7 + ["real"]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("29/2/2016 01:16", True, utc(2016, 2, 29, 1, 16)),
        ("5/3/2016 12:00", True, utc(2016, 3, 5, 12)),
        ("03/05/2016 12:00", False, utc(2016, 3, 5, 12)),
        ("2024-03-01T10:00:00Z", None, utc(2024, 3, 1, 10)),
        ("2024-03-05 14:22:10 +0200", None, utc(2024, 3, 5, 12, 22, 10)),
        ("2024-03-05T14:22:10+05:30", None, utc(2024, 3, 5, 8, 52, 10)),
        ("25/Feb/26 10:17 PM", None, utc(2026, 2, 25, 22, 17)),
        ("Feb 25, 2026 9:05 AM", None, utc(2026, 2, 25, 9, 5)),
        ("03.02.2024 08:15", True, utc(2024, 2, 3, 8, 15)),
        ("2024-05-02 09:30:00.000000", None, utc(2024, 5, 2, 9, 30)),
        ("12/30/2024 12:05 AM", False, utc(2024, 12, 30, 0, 5)),
    ],
)
def test_timestamps_read_as_instants(text: str, day_first: bool | None,
                                     expected: datetime) -> None:
    assert parse.parse_timestamps(pl.Series([text]), day_first, "UTC")[0] == expected


def test_placeholder_and_impossible_dates() -> None:
    s = pl.Series(["1899-12-30", "1900-01-01 00:00", "31/02/2016 10:00", "soon"])
    assert parse.parse_timestamps(s, True, "UTC").to_list() == [None] * 4
    kept = parse.parse_timestamps(s, True, "UTC", keep_placeholders=True)
    assert (kept < parse.PLACEHOLDER_BEFORE).to_list() == [True, True, None, None]


def test_naive_times_are_wall_time_in_the_workspace_zone_across_dst() -> None:
    """London: clocks go forward 2024-03-31 01:00 GMT, back 2024-10-27 02:00 BST.

    - 2024-03-31 00:30 is GMT -> 00:30 UTC; 03:00 is BST -> 02:00 UTC.
    - 01:30 does not exist that day: read with the offset before the change (GMT) -> 01:30 UTC.
    - 2024-10-27 01:30 happens twice: the earlier (BST) -> 00:30 UTC.
    """
    s = pl.Series(["2024-03-31 00:30", "2024-03-31 03:00", "2024-03-31 01:30",
                   "2024-10-27 01:30"])
    got = parse.parse_timestamps(s, None, "Europe/London").to_list()
    assert got == [utc(2024, 3, 31, 0, 30), utc(2024, 3, 31, 2), utc(2024, 3, 31, 1, 30),
                   utc(2024, 10, 27, 0, 30)]


def test_date_order_from_the_data_then_profile_then_user() -> None:
    day = {"Opened": pl.Series(["29/2/2016 01:16", "1/3/2016 10:00"])}
    assert parse.decide_date_order("f.csv", day, "month-first", None).day_first is True
    month = {"Opened": pl.Series(["02/29/2016"])}
    assert parse.decide_date_order("f.csv", month, None, "day-first").day_first is False
    unclear = {"Opened": pl.Series(["03/04/2024"])}
    assert parse.decide_date_order("f.csv", unclear, "day-first", "month-first").day_first
    assert parse.decide_date_order("f.csv", unclear, None, "month-first").day_first is False
    iso = {"Opened": pl.Series(["2024-03-04"])}
    assert parse.decide_date_order("f.csv", iso, None, None).day_first is None


def test_undecidable_and_mixed_date_orders_are_refused() -> None:
    with pytest.raises(InputError) as exc:
        parse.decide_date_order("t.csv", {"Created": pl.Series(["03/04/2024"])}, None, None)
    assert str(exc.value) == (
        "t.csv: cannot tell whether dates like '03/04/2024' ('Created') are day-first or"
        " month-first (no day above 12 in the file); pass --day-first or --month-first")
    with pytest.raises(InputError, match="mix day-first"):
        parse.decide_date_order(
            "t.csv", {"A": pl.Series(["13/01/2024"]), "B": pl.Series(["01/13/2024"])}, None, None)


def test_durations_and_numbers() -> None:
    got = parse.parse_number(pl.Series(["1.5", "1:30", "0:45:00", "x", None]), False)
    assert got.to_list() == [1.5, 1.5, 0.75, None, None]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1 - Critical", "P1"), ("Priority 3 - Normal Response", "P3"), ("P2", "P2"),
        ("Urgent", "P1"), ("Emergency", "P1"), ("Highest", "P1"), ("High", "P2"),
        ("medium", "P3"), ("Moderate", "P3"), ("Low", "P4"), ("Lowest", "P5"),
        ("Planning", "P5"), ("whenever", None),
    ],
)
def test_priority_normalisation(raw: str, expected: str | None) -> None:
    got = pl.select(parse.normalise_priority(pl.lit(raw))).item()
    assert got == expected


def test_profile_priority_codes_come_first() -> None:
    got = pl.select(parse.normalise_priority(pl.lit("7"), {"7": "P2"})).item()
    assert got == "P2"


# --- hostile values (issue 9) ---------------------------------------------------------------

def test_non_ascii_digits_are_not_dates_and_never_raise() -> None:
    """Full-width and Arabic-Indic digits match a Unicode `\\d`; only ASCII digits are read."""
    s = pl.Series(["２０２４-01-01", "２０２４-０１-０１ １０:００", "١٢/٠٣/٢٠٢٤", "2024-01-01"])
    got = parse.parse_timestamps(s, True, "UTC").to_list()
    assert got == [None, None, None, datetime(2024, 1, 1, tzinfo=UTC)]
    assert parse.parse_money(pl.Series(["１２.５０"]), False)[0] is None
    assert parse.parse_number(pl.Series(["１２"]), False)[0] is None


def test_mixed_date_attacks_parse_by_parts_without_raising() -> None:
    s = pl.Series(["2024-01-01 99:99", "99/99/9999", "2024-02-30", "1/1/1", "Feb 30, 2024",
                   "00/00/0000", "2024-01-01T10:00:00+99:99", "31-Foo-2024", "12/13/2024 25:00 PM",
                   "30 Feb 2024 10:00"])
    assert parse.parse_timestamps(s, True, "Europe/Amsterdam").null_count() == 9


def test_wall_times_are_kept_for_naive_values_only() -> None:
    """`2024-06-01 10:00` in Amsterdam is 08:00 UTC, wall 10:00; with an offset, no wall."""
    s = pl.Series(["2024-06-01 10:00", "2024-06-01T10:00:00+00:00", "01/06/2024 10:00 Z"])
    instants, walls = parse.parse_timestamps_wall(s, True, "Europe/Amsterdam")
    assert instants.to_list() == [datetime(2024, 6, 1, 8, tzinfo=UTC),
                                  datetime(2024, 6, 1, 10, tzinfo=UTC),
                                  datetime(2024, 6, 1, 10, tzinfo=UTC)]
    assert walls.to_list() == [datetime(2024, 6, 1, 10), None, None]


def test_placeholders_are_the_known_no_date_values_only() -> None:
    s = pl.Series(["1899-12-30", "1900-01-01", "0001-01-01", "1850-03-01", "0001-06-15"])
    parsed = parse.parse_timestamps(s, None, "UTC", keep_placeholders=True)
    assert parse.is_placeholder(parsed).to_list() == [True, True, True, False, False]


def test_first_of_each_date_applied_twice_is_applied_once():
    """The reader reduces each date column on a parser thread, then decide_date_order
    reduces it again: the second pass must keep every value of the first."""
    days = [f"{d:02d}/{m:02d}/2024 {h:02d}:00" for m in (1, 2) for d in range(1, 29)
            for h in range(24)]
    s = pl.Series("Opened", (days * 10) + [" 13/01/2024 09:00", None])
    once = parse.first_of_each_date(s)
    assert once.len() == 2 * 28 + 1  # one per date, and the padded value's own key
    assert parse.first_of_each_date(once).to_list() == once.to_list()


@pytest.mark.parametrize("repeated", [True, False])
def test_timestamps_same_with_or_without_the_parse_cache(repeated):
    """Distinct timestamps skip Polars' per-value cache, repeated ones keep it: the values
    are the same either way (checked against a column read one value at a time)."""
    stamps = [f"2024-03-{d:02d} {h:02d}:{m:02d}:00" for d in range(1, 29) for h in range(24)
              for m in (0, 30)]
    values = (stamps[:3] * 400) if repeated else stamps
    raw = pl.Series("t", values + ["not a date", None])
    parsed, wall = parse.parse_timestamps_wall(raw, None, "Europe/London")
    one_by_one = [parse.parse_timestamps_wall(pl.Series("t", [v]), None, "Europe/London")[0][0]
                  for v in raw.to_list()]
    assert parsed.to_list() == one_by_one
    assert wall.null_count() == 2
