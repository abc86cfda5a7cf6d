"""The workspace schema (METRICS.md section 1) and the transactional writes into it."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import polars as pl

SCHEMA = """
CREATE SEQUENCE IF NOT EXISTS load_ids START 1;

CREATE TABLE IF NOT EXISTS loads (
    load_id       INTEGER PRIMARY KEY,
    file_name     VARCHAR NOT NULL,
    sha256        VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,
    format        VARCHAR NOT NULL,
    rows_read     BIGINT NOT NULL,
    rows_loaded   BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL,
    inserted      BIGINT NOT NULL,
    updated       BIGINT NOT NULL,
    warnings      BIGINT NOT NULL DEFAULT 0,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ NOT NULL,
    status        VARCHAR NOT NULL,
    message       VARCHAR,
    CHECK (rows_read = rows_loaded + rows_rejected)
);

CREATE TABLE IF NOT EXISTS rejects (
    load_id    INTEGER NOT NULL,
    row_number BIGINT NOT NULL,
    reason     VARCHAR NOT NULL,
    raw        VARCHAR
);

CREATE TABLE IF NOT EXISTS incidents (
    ticket_id        VARCHAR NOT NULL,
    client           VARCHAR NOT NULL,
    site             VARCHAR,
    asset            VARCHAR,
    category         VARCHAR,
    priority         VARCHAR,
    priority_raw     VARCHAR,
    title            VARCHAR,
    status           VARCHAR,
    opened_at        TIMESTAMPTZ NOT NULL,
    resolved_at      TIMESTAMPTZ,
    downtime_minutes DOUBLE,
    users_affected   INTEGER,
    labour_hours     DOUBLE,
    billed_amount    DECIMAL(18,2),
    -- derived once at load: hours from opened to resolved, NULL when open or resolved before opened
    ttr_hours        DOUBLE,
    load_id          INTEGER NOT NULL,
    -- derived at load: the calendar months of opened_at and resolved_at in the time zone
    -- named by setting MONTHS_TIMEZONE (last, where an upgrade's ADD COLUMN puts them)
    opened_month     DATE,
    resolved_month   DATE,
    -- first response or acknowledgement (METRICS.md section 10); added by an upgrade too
    responded_at     TIMESTAMPTZ,
    -- the naive wall times as written in the export, for the timestamps written without an
    -- offset and read in the workspace time zone (NULL otherwise): a change of the zone
    -- re-reads them (see NAIVE_TIMESTAMPS and retime)
    opened_at_naive    TIMESTAMP,
    resolved_at_naive  TIMESTAMP,
    responded_at_naive TIMESTAMP
);

CREATE TABLE IF NOT EXISTS invoice_lines (
    invoice_id   VARCHAR NOT NULL,
    line_no      INTEGER NOT NULL,
    invoice_date DATE NOT NULL,
    client       VARCHAR,
    description  VARCHAR,
    quantity     DOUBLE,
    unit_price   DECIMAL(18,4),
    amount       DECIMAL(18,2) NOT NULL,
    tax          DECIMAL(18,2),
    currency     VARCHAR,
    ticket_id    VARCHAR,
    kind         VARCHAR NOT NULL CHECK (kind IN ('labour', 'parts', 'contract', 'other')),
    load_id      INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS settings (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL  -- JSON
);
"""

# The setting naming the time zone of incidents.opened_month/resolved_month. Every stored
# month is in that zone: loads compute them there, and saving a scenario with another
# zone recomputes them all. The metrics use them only when it is the call's zone.
MONTHS_TIMEZONE = "months_timezone"
# SQL setting both months of every row matched by the WHERE appended to it; binds $tz.
SET_MONTHS_SQL = (
    "UPDATE incidents SET"
    " opened_month = CAST(date_trunc('month', timezone($tz, opened_at)) AS DATE),"
    " resolved_month = CAST(date_trunc('month', timezone($tz, resolved_at)) AS DATE)"
)

# A ticket "resolved before opened": loaded, counted, left out of time to resolve.
RESOLVED_BEFORE_OPENED_SQL = "coalesce(resolved_at < opened_at, false)"
# The recurrence key within a client: the asset, else the category (computed where it is
# read; files before 2026-12 stored it, and ensure_schema drops that column).
RECURRENCE_KEY_SQL = "coalesce(asset, category)"
# Hours from opened to resolved; NULL when open or resolved before opened.
TTR_SQL = ("CASE WHEN resolved_at >= opened_at"
           " THEN (epoch_us(resolved_at) - epoch_us(opened_at)) / 3600e6 END")
# (timestamp column, its naive wall-time column) of incidents: every timestamp read from
# naive text in the workspace zone keeps its wall time, so that changing the zone re-reads
# it exactly as a load in the new zone would (the same rule for ambiguous and skipped
# wall times: parse.localise). A column added later joins this list.
NAIVE_TIMESTAMPS = [("opened_at", "opened_at_naive"), ("resolved_at", "resolved_at_naive"),
                    ("responded_at", "responded_at_naive")]
NAIVE_COLUMNS = [naive for _, naive in NAIVE_TIMESTAMPS]

INCIDENT_COLUMNS = [
    "ticket_id", "client", "site", "asset", "category", "priority", "priority_raw", "title",
    "status", "opened_at", "resolved_at", "downtime_minutes", "users_affected", "labour_hours",
    "billed_amount", "responded_at",
]
INVOICE_COLUMNS = [
    "invoice_id", "line_no", "invoice_date", "client", "description", "quantity", "unit_price",
    "amount", "tax", "currency", "ticket_id", "kind",
]


@contextmanager
def atomic(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction: everything inside is kept together, or (on any error, Ctrl+C
    included) nothing is and the error goes on."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    """The first value of a query's first row, or None; the result is fully consumed.

    (DuckDB 2 refuses `register()` while a result is only partly fetched.)
    """
    rows = con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
          ) -> pl.DataFrame:
    """A query's result as a Polars frame."""
    return con.sql(sql, params=params or None).pl()


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the workspace tables if they are not there yet; upgrade older ones.

    A file from before the stored months gets the two columns, filled in the time zone
    of its stored scenario, in one transaction. A file that already has every table and
    column of SCHEMA is left alone after one catalog query (every command opens one). A
    file from before 2026-12 loses its stored recurrence_key (computed on read now).
    """
    present = {(t, c) for t, c in con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'main'"
        " AND database_name = current_database()").fetchall()}
    stored_key = ("incidents", "recurrence_key") in present
    if _schema_columns() <= present and not stored_key:
        names = {n for (n,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
            " UNION ALL SELECT view_name FROM duckdb_views() WHERE database_name ="
            " current_database() UNION ALL SELECT index_name FROM duckdb_indexes() WHERE"
            " database_name = current_database() UNION ALL SELECT sequence_name FROM"
            " duckdb_sequences() WHERE database_name = current_database()").fetchall()}
        if _schema_objects() <= names:
            return
    con.execute(SCHEMA)
    if stored_key:
        # RECURRENCE_KEY_SQL is computed where it is read: that costs the metrics nothing
        # and saves the load its write.
        con.execute("ALTER TABLE incidents DROP COLUMN recurrence_key")
    _add_responded_at(con)
    _add_naive_columns(con)
    present = scalar(
        con,
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'incidents'"
        " AND column_name IN ('opened_month', 'resolved_month') AND schema_name = 'main'"
        " AND database_name = current_database()",
    )
    if present == 2:
        return
    with atomic(con):
        con.execute("ALTER TABLE incidents ADD COLUMN IF NOT EXISTS opened_month DATE")
        con.execute("ALTER TABLE incidents ADD COLUMN IF NOT EXISTS resolved_month DATE")
        tz = _months_timezone(con)
        con.execute(SET_MONTHS_SQL + " WHERE opened_month IS NULL", {"tz": tz})
        set_setting(con, MONTHS_TIMEZONE, tz)


def _add_responded_at(con: duckdb.DuckDBPyConnection) -> None:
    """A file from before `responded_at` gets the column (NULL: no response times known)."""
    present = scalar(
        con,
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'incidents'"
        " AND column_name = 'responded_at' AND schema_name = 'main'"
        " AND database_name = current_database()",
    )
    if not present:
        con.execute("ALTER TABLE incidents ADD COLUMN IF NOT EXISTS responded_at TIMESTAMPTZ")


@functools.cache
def _schema_columns() -> frozenset[tuple[str, str]]:
    """(table, column) of every column SCHEMA declares (its column lines, not constraints)."""
    out = set()
    for table, body in re.findall(r"CREATE TABLE IF NOT EXISTS (\w+) \((.*?)\n\);", SCHEMA,
                                  flags=re.DOTALL):
        for line in body.splitlines():
            m = re.match(r"\s+([a-z_][a-z0-9_]*)\s+[A-Z]", line)
            if m and m.group(1) not in ("check", "primary", "unique", "foreign"):
                out.add((table, m.group(1)))
    return frozenset(out)


@functools.cache
def _schema_objects() -> frozenset[str]:
    """Names of every table, sequence, view or index SCHEMA creates."""
    return frozenset(re.findall(r"CREATE\s+(?:UNIQUE\s+)?\w+\s+IF NOT EXISTS\s+(\w+)", SCHEMA))


def _add_naive_columns(con: duckdb.DuckDBPyConnection) -> None:
    """A file from before the naive wall times gets the columns (NULL: such rows keep their
    instants when the zone changes)."""
    present = scalar(
        con,
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'incidents'"
        " AND list_contains(?, column_name) AND schema_name = 'main'"
        " AND database_name = current_database()",
        [NAIVE_COLUMNS],
    )
    if present != len(NAIVE_COLUMNS):
        for column in NAIVE_COLUMNS:
            con.execute(f"ALTER TABLE incidents ADD COLUMN IF NOT EXISTS {column} TIMESTAMP")


def retime(con: duckdb.DuckDBPyConnection, tz: str) -> int:
    """Re-read every stored naive timestamp in time zone `tz`; recompute what derives from it.

    Timestamps that carried an offset keep their instant. ttr_hours and the stored months
    follow, and MONTHS_TIMEZONE is set to `tz`. Runs in the caller's transaction; returns
    the number of incidents re-read.
    """
    from pipelines.parse import localise  # parse does not import store; kept lazy anyway

    where = " OR ".join(f"{naive} IS NOT NULL" for naive in NAIVE_COLUMNS)
    walls = frame(con, f"SELECT rowid AS rid, {', '.join(NAIVE_COLUMNS)} FROM incidents"
                       f" WHERE {where}")
    if walls.height:
        retimed = walls.select("rid", *[localise(walls[naive], tz).alias(column)
                                        for column, naive in NAIVE_TIMESTAMPS])
        con.register("retimed", retimed.to_arrow())
        sets = ", ".join(f"{column} = coalesce(r.{column}, incidents.{column})"
                         for column, _ in NAIVE_TIMESTAMPS)
        con.execute(f"UPDATE incidents SET {sets} FROM retimed r WHERE incidents.rowid = r.rid")
        con.unregister("retimed")
        con.execute(f"UPDATE incidents SET ttr_hours = {TTR_SQL} WHERE {where}")
    con.execute(SET_MONTHS_SQL, {"tz": tz})
    set_setting(con, MONTHS_TIMEZONE, tz)
    return walls.height


def _months_timezone(con: duckdb.DuckDBPyConnection) -> str:
    """The time zone stored months are (to be) in: the recorded one, else the scenario's."""
    recorded = get_setting(con, MONTHS_TIMEZONE)
    if isinstance(recorded, str):
        return recorded
    return str((get_setting(con, "scenario", {}) or {}).get("timezone", "UTC"))


# --- settings (scenario, saved mappings, keyword lists): JSON values by key ---------------

def get_setting(con: duckdb.DuckDBPyConnection, key: str, default: Any = None) -> Any:
    """The JSON-decoded value stored under `key`, or `default`."""
    if not _has_table(con, "settings"):
        return default
    value = scalar(con, "SELECT value FROM settings WHERE key = ?", [key])
    return default if value is None else json.loads(value)


def set_setting(con: duckdb.DuckDBPyConnection, key: str, value: Any) -> None:
    """Store `value` (JSON-encodable) under `key`."""
    con.execute(
        "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", [key, json.dumps(value)]
    )


def settings_with_prefix(con: duckdb.DuckDBPyConnection, prefix: str) -> dict[str, Any]:
    """Every setting whose key starts with `prefix`, decoded."""
    if not _has_table(con, "settings"):
        return {}
    rows = con.execute(
        "SELECT key, value FROM settings WHERE starts_with(key, ?)", [prefix]
    ).fetchall()
    return {k: json.loads(v) for k, v in rows}


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(scalar(
        con,
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND schema_name = 'main'"
        " AND database_name = current_database()",
        [name],
    ))


# --- loads ----------------------------------------------------------------------------------

@dataclass
class LoadSummary:
    """What one file's load did; printed by `ingest --json`, one object per file."""

    file: str
    kind: str
    format: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    inserted: int = 0
    updated: int = 0
    warnings: int = 0
    status: str = "loaded"  # loaded | loaded_with_rejects | unchanged | failed
    message: str = ""
    load_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def find_identical_load(con: duckdb.DuckDBPyConnection, sha256: str) -> int | None:
    """The id of an earlier load of a byte-identical file, if any."""
    load_id = scalar(con, "SELECT min(load_id) FROM loads WHERE sha256 = ?", [sha256])
    return None if load_id is None else int(load_id)


def _before_commit(con: duckdb.DuckDBPyConnection) -> None:
    """A seam the failure-injection test patches to fail a load after its rows are written."""


@dataclass
class Staged:
    """Incident rows too many to hold in memory: Parquet parts written batch by batch.

    Each part has the canonical incident columns, the derived ones (with_derived, months
    in `months_tz`), and ROW/"__updated" so that the load keeps the latest update of each
    ticket across all parts. `unique` says the file's (client, ticket_id) are known
    distinct (the dedup is skipped).
    """

    glob: str
    months_tz: str
    height: int
    unique: bool


STAGED_MEMORY_MB = 512  # a constant of this module, not a value from a user
LATEST_PER_TICKET = ("QUALIFY row_number() OVER (PARTITION BY client, ticket_id"
                     " ORDER BY __updated DESC NULLS LAST, __row DESC) = 1")


def _stage_parts(con: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    """Expose the staged parts as the view `staging` (latest update of each ticket)."""
    # DuckDB spills the dedup's sort and the optimistic writes beyond this, so the load's
    # memory stays bounded whatever the file's size (its default is 80% of the RAM).
    con.execute(f"SET memory_limit = '{STAGED_MEMORY_MB}MB'")
    con.read_parquet(staged.glob).create_view("staged_parts")
    latest = "" if staged.unique else " " + LATEST_PER_TICKET
    con.execute("CREATE OR REPLACE TEMP VIEW staging AS SELECT * EXCLUDE (__row, __updated)"
                f" FROM staged_parts{latest}")


def write_load(
    con: duckdb.DuckDBPyConnection,
    summary: LoadSummary,
    sha256: str,
    rows: pl.DataFrame | Staged,
    rejects: pl.DataFrame,
    started_at: datetime,
) -> LoadSummary:
    """Write one file's canonical rows, its rejects and its `loads` row in one transaction.

    `rows` has the canonical columns of `summary.kind`; `rejects` has row_number, reason, raw.
    Tickets replace the stored ticket with the same (client, ticket_id); invoices replace
    every stored line of the same invoice_id. On any error nothing is kept (`atomic`); a
    process killed before the COMMIT leaves nothing either (DuckDB replays only committed
    transactions from its log).
    """
    # Order is never relied on (every read sorts); without it DuckDB writes in parallel
    # and compresses straight to the file instead of checkpointing the WAL afterwards.
    con.execute("SET preserve_insertion_order = false")
    try:
        with atomic(con):
            load_id = int(scalar(con, "SELECT nextval('load_ids')"))
            inserted, updated = _write_rows(con, summary.kind, rows, load_id)
            if rejects.height:
                con.register("reject_rows", rejects.select("row_number", "reason", "raw")
                             .to_arrow())
                con.execute("INSERT INTO rejects SELECT ?, row_number, reason, raw"
                            " FROM reject_rows", [load_id])
                con.unregister("reject_rows")
            summary.inserted, summary.updated, summary.load_id = inserted, updated, load_id
            summary.status = "loaded_with_rejects" if summary.rows_rejected else "loaded"
            con.execute(
                "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [load_id, summary.file, sha256, summary.kind, summary.format, summary.rows_read,
                 summary.rows_loaded, summary.rows_rejected, inserted, updated,
                 summary.warnings, started_at, datetime.now(UTC), summary.status,
                 summary.message or None],
            )
            _before_commit(con)
    finally:
        if isinstance(rows, Staged):
            con.execute("RESET memory_limit")
    return summary


def _write_rows(con: duckdb.DuckDBPyConnection, kind: str, rows: pl.DataFrame | Staged,
                load_id: int) -> tuple[int, int]:
    """The load's tickets or invoice lines into their table: (inserted, updated)."""
    if isinstance(rows, Staged):
        _stage_parts(con, rows)
        inserted, updated = _replace_incidents(con, load_id)
        if rows.months_tz != _months_timezone(con):
            con.execute(SET_MONTHS_SQL + " WHERE load_id = $id",
                        {"tz": _months_timezone(con), "id": load_id})
        con.execute("DROP VIEW staging")
        con.execute("DROP VIEW staged_parts")
        return inserted, updated
    columns = rows.get_columns()
    if kind == "incidents":
        # The columns are gathered as Series: a DataFrame operation (with_columns, drop,
        # hstack) would first copy every column into one chunk (see as_arrow).
        # Rows that kept no wall times keep their instants on a zone change.
        missing = [pl.repeat(None, rows.height, dtype=pl.Datetime("us"), eager=True).alias(c)
                   for c in NAIVE_COLUMNS if c not in rows.columns]
        inputs = pl.DataFrame([rows[c] for c in ("opened_at", "resolved_at")])
        derived = inputs.select(_derived(_months_timezone(con))).get_columns()
        columns = [c for c in columns if c.name not in DERIVED_COLUMNS] + missing + derived
    con.register("staging", as_arrow(columns))
    replace = _replace_incidents if kind == "incidents" else _replace_invoices
    counts = replace(con, load_id)
    con.unregister("staging")  # not after an error: the aborted transaction refuses it
    return counts


def with_derived(rows: pl.DataFrame, tz: str) -> pl.DataFrame:
    """Incident rows with the columns a load derives: the months of opened_at/resolved_at
    in `tz` (as SET_MONTHS_SQL computes them).

    Computed in Polars before the write: DuckDB's ICU `timezone()` over every row cost
    more than the rest of the insert (1M rows: ~1.5 s). ttr_hours stays in SQL (TTR_SQL):
    Polars divides by a constant as a multiplication by its reciprocal, one ulp off.
    """
    return rows.with_columns(_derived(tz))


def _derived(tz: str) -> list[pl.Expr]:
    opened, resolved = pl.col("opened_at"), pl.col("resolved_at")
    return [
        opened.dt.convert_time_zone(tz).dt.date().dt.month_start().alias("opened_month"),
        resolved.dt.convert_time_zone(tz).dt.date().dt.month_start().alias("resolved_month"),
    ]


def as_arrow(columns: list[pl.Series]) -> Any:
    """The columns as one Arrow table without a copy, each column keeping its own chunks.

    A typed file's text columns come in the reader's chunks and its parsed columns in one;
    DataFrame.to_arrow (like with_columns) first copies every column into one chunk (1M
    tickets: 150 MB and ~0.3 CPU seconds). An Arrow table may mix chunkings; DuckDB scans
    it as it is. String views pass to DuckDB without a copy too.
    """
    import pyarrow as pa  # imported only by a load (ingest overlaps its import)

    newest = pl.CompatLevel.newest()
    return pa.Table.from_arrays(
        [s.to_frame().to_arrow(compat_level=newest).column(0) for s in columns],
        names=[s.name for s in columns])


DERIVED_COLUMNS = ["opened_month", "resolved_month"]


def _replace_incidents(con: duckdb.DuckDBPyConnection, load_id: int) -> tuple[int, int]:
    """Replace stored tickets by the staged ones (the derived columns are staged too)."""
    updated = scalar(con, "SELECT count(*) FROM staging s JOIN incidents i USING (client, ticket_id)")
    if updated:
        con.execute(
            "DELETE FROM incidents i USING staging s"
            " WHERE i.client = s.client AND i.ticket_id = s.ticket_id"
        )
    cols = ", ".join(INCIDENT_COLUMNS + NAIVE_COLUMNS + DERIVED_COLUMNS)
    total = scalar(con, f"INSERT INTO incidents ({cols}, ttr_hours, load_id)"
                   f" SELECT {cols}, {TTR_SQL}, ? FROM staging", [load_id])
    if get_setting(con, MONTHS_TIMEZONE) is None:
        set_setting(con, MONTHS_TIMEZONE, _months_timezone(con))
    return int(total) - int(updated), int(updated)


def _replace_invoices(con: duckdb.DuckDBPyConnection, load_id: int) -> tuple[int, int]:
    updated = scalar(
        con,
        "SELECT count(DISTINCT invoice_id) FROM staging"
        " WHERE invoice_id IN (SELECT invoice_id FROM invoice_lines)",
    )
    total = scalar(con, "SELECT count(DISTINCT invoice_id) FROM staging")
    if updated:
        con.execute(
            "DELETE FROM invoice_lines WHERE invoice_id IN (SELECT invoice_id FROM staging)"
        )
    cols = ", ".join(INVOICE_COLUMNS)
    con.execute(f"INSERT INTO invoice_lines ({cols}, load_id) SELECT {cols}, ? FROM staging", [load_id])
    return int(total) - int(updated), int(updated)


def load_history(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every load, newest first."""
    return frame(
        con,
        "SELECT load_id, file_name, kind, format, rows_read, rows_loaded, rows_rejected, inserted,"
        " updated, warnings, started_at, finished_at, status, message, sha256"
        " FROM loads ORDER BY load_id DESC",
    )


def rejected_rows(con: duckdb.DuckDBPyConnection, load_id: int | None = None) -> pl.DataFrame:
    """Refused input rows with their reasons, for one load or all."""
    sql = (
        "SELECT r.load_id, l.file_name, r.row_number, r.reason, r.raw FROM rejects r"
        " JOIN loads l USING (load_id)"
    )
    params: list[Any] = []
    if load_id is not None:
        sql += " WHERE r.load_id = ?"
        params.append(load_id)
    return frame(con, sql + " ORDER BY r.load_id, r.row_number", params)


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row counts of the canonical tables."""
    return {
        t: int(scalar(con, f"SELECT count(*) FROM {t}"))
        for t in ("incidents", "invoice_lines", "loads", "rejects")
    }
