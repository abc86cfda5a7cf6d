"""The analysis window and the per-incident facts every metric family reads.

Decisions where METRICS.md is silent (see also each family's module):

* Months are calendar months of `scenario.timezone`; an instant's month is that of
  its wall time there (`timezone(tz, ts)`), so DST changes move no incident across
  a month unless its wall time does. Invoice dates are dates and keep their month.
  Loads store each incident's months (`opened_month`, `resolved_month`) in the zone
  store.MONTHS_TIMEZONE names; a call in that zone reads them, a call in another zone
  (a --scenario file) computes them from per-day lists (`_day_months`), same result.
* The window (section 2) is computed on the data that passes the client filter, then
  narrowed to `Filters.month_from`/`month_to`; None when nothing is left.
* Tickets belong to the window when the month of `opened_at` is in it; invoice lines
  when the month of `invoice_date` is. Figures dated by another instant (TTR and
  ticket spend by `resolved_at`) are reported only for months inside the window.
* The client filter compares `client` exactly; invoice lines without a client are
  left out while a client filter is set.
* Recurrence looks back over the client's whole history, also before the window:
  a filter narrows what is reported, not which earlier outage an incident repeats.
  It compares each downtime incident with the previous downtime incident of the
  same (client, asset) or (client, category) key in order (opened_at, ticket_id as text), so of two
  incidents at the same instant the later ticket_id recurs; "at most N days" is
  a difference of instants <= N * 24 h.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import polars as pl

from pipelines import store
from pipelines.errors import SettingError
from pipelines.scenario import Scenario

SCENARIO_KEYS = ("timezone", "outage_priorities", "users_affected_default")  # read by `prepared`
_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


@dataclass(frozen=True)
class Filters:
    """What the user narrowed the analysis to: months 'YYYY-MM' (both ends included), a client."""

    month_from: str | None = None
    month_to: str | None = None
    client: str | None = None

    def __post_init__(self) -> None:
        for flag, value in (("--from", self.month_from), ("--to", self.month_to)):
            if value is not None and not _MONTH.fullmatch(value):
                raise SettingError(
                    f"{flag} {value!r} is not a month; write it as YYYY-MM, for example 2024-03"
                )
        if self.month_from and self.month_to and self.month_from > self.month_to:
            raise SettingError(
                f"--from {self.month_from} is after --to {self.month_to}; swap them"
            )


NO_FILTERS = Filters()


def month_date(month: str) -> date:
    """'2024-03' -> date(2024, 3, 1)."""
    return date(int(month[:4]), int(month[5:7]), 1)


def month_text(d: date) -> str:
    """date(2024, 3, 1) -> '2024-03'."""
    return f"{d.year:04d}-{d.month:02d}"


_EPOCH = date(1970, 1, 1)


def _month_end(first: date) -> date:
    """The last day of the month that starts on `first`."""
    nxt = date(first.year + 1, 1, 1) if first.month == 12 else date(first.year, first.month + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def months_between(start: date, end: date) -> list[date]:
    """First days of every month from `start` to `end`, both included."""
    out, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def month_frame(start: date, end: date) -> pl.DataFrame:
    """One row per month of the window: the spine monthly frames are joined onto."""
    return pl.DataFrame({"month": months_between(start, end)}, schema={"month": pl.Date})


def _window_dates(
    con: duckdb.DuckDBPyConnection, scenario: Scenario, filters: Filters
) -> tuple[date, date] | None:
    row = con.execute(
        """
        WITH t AS (
            SELECT min(opened_at) AS lo, greatest(max(opened_at), max(resolved_at)) AS hi
            FROM incidents WHERE $client::VARCHAR IS NULL OR client = $client
        ), v AS (
            SELECT min(invoice_date) AS lo, max(invoice_date) AS hi
            FROM invoice_lines WHERE $client::VARCHAR IS NULL OR client = $client
        )
        SELECT least(CAST(date_trunc('month', timezone($tz, t.lo)) AS DATE),
                     CAST(date_trunc('month', v.lo) AS DATE)),
               greatest(CAST(date_trunc('month', timezone($tz, t.hi)) AS DATE),
                        CAST(date_trunc('month', v.hi) AS DATE))
        FROM t, v
        """,
        {"client": filters.client, "tz": scenario.timezone},
    ).fetchall()[0]
    if row[0] is None:
        return None
    start, end = row[0], row[1]
    if filters.month_from:
        start = max(start, month_date(filters.month_from))
    if filters.month_to:
        end = min(end, month_date(filters.month_to))
    return (start, end) if start <= end else None


def analysis_window(
    con: duckdb.DuckDBPyConnection, scenario: Scenario, filters: Filters = NO_FILTERS
) -> tuple[str, str] | None:
    """The analysis window as ('YYYY-MM', 'YYYY-MM'), or None when no data falls in it."""
    dates = _window_dates(con, scenario, filters)
    return None if dates is None else (month_text(dates[0]), month_text(dates[1]))


@dataclass(frozen=True)
class Facts:
    """The per-incident facts of one call, as SQL every family reads; nothing is copied.

    Each is a subquery over `incidents` (use it as `FROM ({f.tickets})`, and run the
    statement with `f.frame`/`f.rows`, which bind `params`). Months are the stored
    `opened_month`/`resolved_month` when they are in the call's time zone, else computed.

    * `tickets`: every incident opened in the window: priority, category, opened_at, om
      (local month opened), rm (local month resolved, wherever that falls), ttr_hours,
      resolved_at, responded_at, resolved, warning, labour_hours, billed_amount.
    * `downtime_history`: every downtime incident of the (client-filtered) history, also
      outside the window, which recurrence looks back over: client, recurrence_key,
      no_asset (keyed by category, or not at all), ticket_id, opened_at, om, hours (NULL
      when none), open_outage, users (users_affected or the scenario default).
    * `downtime`: those of `downtime_history` opened in the window.

    Writing these to temp tables cost more than re-reading `incidents` (DuckDB compresses
    what a temp table holds), so each family scans what it needs, once.
    """

    con: duckdb.DuckDBPyConnection
    tickets: str
    downtime_history: str
    params: dict[str, object]
    start: date
    end: date
    scenario: Scenario
    filters: Filters
    # False when months are computed per row (another zone than the stored months', or a
    # file not upgraded yet): then a statement reading `tickets` several times should
    # materialise what it needs once.
    months_stored: bool = True

    @property
    def months(self) -> pl.DataFrame:
        return month_frame(self.start, self.end)

    @property
    def downtime(self) -> str:
        """SQL of the downtime incidents opened in the window (see the class docstring)."""
        return f"SELECT * FROM ({self.downtime_history}) WHERE om BETWEEN $start AND $end"

    def bound(self, sql: str, extra: dict[str, object] | None = None) -> dict[str, object]:
        """The parameters `sql` uses, from `params` and `extra` (DuckDB refuses unused ones)."""
        values = {**self.params, **(extra or {})}
        return {k: v for k, v in values.items() if re.search(rf"\${k}\b", sql)}

    def frame(self, sql: str, extra: dict[str, object] | None = None) -> pl.DataFrame:
        """The result of `sql` (which may read the facts) as a Polars frame."""
        return polars_of(self.con.sql(sql, params=self.bound(sql, extra)))

    def rows(self, sql: str, extra: dict[str, object] | None = None) -> list[tuple[Any, ...]]:
        """The rows of `sql` (which may read the facts), fully fetched."""
        return self.con.execute(sql, self.bound(sql, extra)).fetchall()


def polars_of(relation: duckdb.DuckDBPyRelation) -> pl.DataFrame:
    """A DuckDB result as a Polars frame, handed over by the Arrow C stream interface.

    The same frame as `relation.pl()`, which goes through pyarrow: importing pyarrow is
    about 0.3 s, most of a cold `metrics` call on a million tickets."""
    return pl.DataFrame(relation)


class _ArrowStream:
    """A Polars frame as DuckDB scans it, through the Arrow C stream interface (each scan
    takes a fresh stream); `con.register` of the frame itself would import pyarrow."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        return self.frame.__arrow_c_stream__(requested_schema)


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> Iterator[None]:
    """`frame` readable as the view `name` on `con` while the block runs."""
    con.register(name, _ArrowStream(frame))
    try:
        yield
    finally:
        con.unregister(name)


def _month_of(ts: str, day: str) -> str:
    """SQL for the local month of instant `ts` whose 1-based index into the day lists is `day`."""
    return (
        f"CASE WHEN epoch_us({ts}) >= list_extract($day_boundary, {day})"
        f" THEN list_extract($day_m1, {day}) ELSE list_extract($day_m0, {day}) END"
    )


def _day_index(ts: str) -> str:
    # 1-based day number into the lists; NULL outside them (a negative index would
    # count from the lists' end).
    return f"nullif(greatest(epoch_us({ts}) // 86400000000 - $lo_day + 1, 0), 0)"


def stored_months_timezone(con: duckdb.DuckDBPyConnection) -> str | None:
    """The time zone of the stored `opened_month`/`resolved_month`; None when the file
    has no such columns (written before them, opened read-only) or no zone recorded."""
    has_columns = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'incidents'"
        " AND column_name = 'resolved_month' AND schema_name = 'main'"
        " AND database_name = current_database()"
    ).fetchall()[0][0]
    if not has_columns:
        return None
    tz = store.get_setting(con, store.MONTHS_TIMEZONE)
    return tz if isinstance(tz, str) else None


def _stored_months_usable(con: duckdb.DuckDBPyConnection, tz: str) -> bool:
    """True when every incident's stored months are there and in time zone `tz`.

    Loads fill them; a row written some other way (an older tool, a test) leaves them
    NULL, and then the call computes months rather than trust them.
    """
    if stored_months_timezone(con) != tz:
        return False
    missing = con.execute(
        "SELECT count(*) FROM incidents WHERE opened_month IS NULL"
        " OR (resolved_month IS NULL AND resolved_at IS NOT NULL)"
    ).fetchall()[0][0]
    return not missing


def _month_columns(stored: bool) -> tuple[str, str]:
    """SQL for (month opened, month resolved): stored columns, or computed from day lists."""
    if stored:
        return "opened_month", "resolved_month"
    return (
        _month_of("opened_at", _day_index("opened_at")),
        _month_of("resolved_at", _day_index("resolved_at")),
    )


_TICKETS_SQL = """
SELECT * FROM (
    SELECT priority, category, opened_at, {om} AS om, {rm} AS rm, ttr_hours,
           resolved_at, {responded} AS responded_at,
           resolved_at IS NOT NULL AS resolved,
           {backwards} AS warning,
           labour_hours, billed_amount
    FROM incidents
    WHERE $client::VARCHAR IS NULL OR client = $client
){in_window}
"""

_DOWNTIME_SQL = """
SELECT client, {key} AS recurrence_key, asset IS NULL AS no_asset, ticket_id, opened_at,
       {om} AS om,
       CASE WHEN downtime_minutes IS NOT NULL THEN downtime_minutes / 60
            ELSE ttr_hours END AS hours,
       downtime_minutes IS NULL AND resolved_at IS NULL AS open_outage,
       coalesce(users_affected, $users_default) AS users
FROM incidents
WHERE ($client::VARCHAR IS NULL OR client = $client)
  AND coalesce(downtime_minutes > 0
               OR (downtime_minutes IS NULL AND list_contains($prios, priority)), false)
"""


def _day_months(
    con: duckdb.DuckDBPyConnection, tz: str, start: date, end: date
) -> dict[str, object]:
    """Per UTC day around the window: its local month at its start (m0), at its end (m1),
    and the instant in between where the local month changes (NULL when it does not).

    Converting a thousand day starts with timezone() is far cheaper than converting
    millions of timestamps; a UTC day holds at most one local month start.
    """
    lo_day = (start - _EPOCH).days - 1
    hi_day = (_month_end(end) - _EPOCH).days + 1
    rows = con.execute(
        """
        SELECT m0, m1,
               CASE WHEN m0 <> m1 THEN epoch_us(timezone($tz, CAST(m1 AS TIMESTAMP))) END
        FROM (
            SELECT d,
                   CAST(date_trunc('month', timezone($tz, to_timestamp(d * 86400))) AS DATE)
                       AS m0,
                   CAST(date_trunc('month', timezone($tz, to_timestamp(d * 86400 + 86399.999999)))
                       AS DATE) AS m1
            FROM range($lo, $hi + 1) r(d)
        ) ORDER BY d
        """,
        {"tz": tz, "lo": lo_day, "hi": hi_day},
    ).fetchall()
    return {
        "lo_day": lo_day,
        "day_m0": [r[0] for r in rows],
        "day_m1": [r[1] for r in rows],
        "day_boundary": [r[2] for r in rows],
    }


def _has_responded_at(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'incidents'"
        " AND column_name = 'responded_at' AND schema_name = 'main'"
        " AND database_name = current_database()"
    ).fetchall()[0][0])


@contextmanager
def prepared(
    con: duckdb.DuckDBPyConnection, scenario: Scenario, filters: Filters = NO_FILTERS
) -> Iterator[Facts | None]:
    """The facts of one call (None when the window is empty)."""
    dates = _window_dates(con, scenario, filters)
    if dates is None:
        yield None
        return
    stored = _stored_months_usable(con, scenario.timezone)
    om, rm = _month_columns(stored)
    params: dict[str, object] = {
        "client": filters.client, "start": dates[0], "end": dates[1],
        "prios": list(scenario.outage_priorities),
        "users_default": scenario.users_affected_default,
    }
    if not stored:
        params.update(_day_months(con, scenario.timezone, dates[0], dates[1]))
    # Without --from/--to the window runs from the first to the last month of the
    # (client-filtered) data, so every incident is opened in it: no month to compute.
    narrowed = filters.month_from is not None or filters.month_to is not None
    in_window = " WHERE om BETWEEN $start AND $end" if narrowed else ""
    # A file from before responded_at, opened read-only (not upgraded), has no response times.
    responded = "responded_at" if _has_responded_at(con) else "CAST(NULL AS TIMESTAMPTZ)"
    tickets = _TICKETS_SQL.format(om=om, rm=rm, in_window=in_window, responded=responded,
                                  backwards=store.RESOLVED_BEFORE_OPENED_SQL)
    yield Facts(
        con, tickets, _DOWNTIME_SQL.format(om=om, key=store.RECURRENCE_KEY_SQL), params,
        dates[0], dates[1], scenario, filters, months_stored=stored,
    )


@contextmanager
def using(
    con: duckdb.DuckDBPyConnection,
    scenario: Scenario,
    filters: Filters | None,
    facts: Facts | None,
) -> Iterator[Facts | None]:
    """`facts` when the caller already built them, else facts built for this call."""
    if facts is not None:
        yield facts
        return
    with prepared(con, scenario, filters or NO_FILTERS) as built:
        yield built


def incident_counts(
    con: duckdb.DuckDBPyConnection,
    scenario: Scenario,
    filters: Filters | None = None,
    *,
    facts: Facts | None = None,
) -> dict[str, int]:
    """Incidents opened in the window: total, resolved, open, and data-quality warnings.

    `resolved` counts every incident with a `resolved_at`, including the `warnings`
    (resolved before opened), so total = resolved + open.
    """
    with using(con, scenario, filters, facts) as f:
        if f is None:
            return {"total": 0, "resolved": 0, "open": 0, "warnings": 0}
        row = f.rows(
            "SELECT count(*), count(*) FILTER (resolved), count(*) FILTER (NOT resolved),"
            f" count(*) FILTER (warning) FROM ({f.tickets})"
        )[0]
    return {"total": row[0], "resolved": row[1], "open": row[2], "warnings": row[3]}
