"""The canonical tables as Parquet, hive-partitioned by workspace and month, and back.

Layout under the export directory (one folder per table)::

    incidents/workspace=acme/month=2024-03/data_0.parquet    (month of opened_at)
    invoice_lines/workspace=acme/month=2024-03/data_0.parquet (month of invoice_date)
    loads/workspace=acme/month=none/data_0.parquet            (not dated: one partition)
    rejects/... settings/...

Any engine that reads hive-partitioned Parquet (DuckDB, Spark, Trino, Polars, a BI
tool) reads it. `parquet_connection` opens such a directory as views named like the
workspace tables, so the metric SQL runs unchanged on either source.

Decisions:

* The month of an incident is its stored `opened_month` (the workspace zone's month),
  else the UTC month of `opened_at` (a file written before stored months).
* An export replaces the workspace's folders whole: it is written beside them under a
  temporary name, then swapped in, so a reader never sees half an export.
* An empty table is written as one empty file in `month=none`, so every table exists
  in the layout and reads back with its columns.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import duckdb

from pipelines.errors import InputError
from pipelines.workspace import check_name

# table -> SQL of its month partition (constants: never user input)
TABLES: dict[str, str] = {
    "incidents": "strftime(coalesce(opened_month,"
                 " CAST(date_trunc('month', timezone('UTC', opened_at)) AS DATE)), '%Y-%m')",
    "invoice_lines": "strftime(invoice_date, '%Y-%m')",
    "loads": "'none'",
    "rejects": "'none'",
    "settings": "'none'",
}
PARTITIONS = ("workspace", "month")


def export_parquet(
    con: duckdb.DuckDBPyConnection, workspace_name: str, out_dir: str | Path
) -> dict[str, int]:
    """Write the workspace's tables under `out_dir`; returns the rows written per table."""
    name = check_name(workspace_name)
    root = Path(out_dir)
    if root.exists() and not root.is_dir():
        raise InputError(f"--parquet {root}: is a file, not a directory")
    counts: dict[str, int] = {}
    for table, month_sql in TABLES.items():
        folder = root / table
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"workspace={name}"
        staging = folder / f".workspace={name}.{uuid.uuid4().hex}.tmp"
        rel = con.sql(f"SELECT *, {month_sql} AS month FROM {table}")  # table and month SQL are constants
        counts[table] = int(con.sql(f"SELECT count(*) FROM {table}").fetchall()[0][0])
        if counts[table]:
            rel.write_parquet(str(staging), partition_by=["month"])
        else:
            (staging / "month=none").mkdir(parents=True)
            rel.write_parquet(str(staging / "month=none" / "data_0.parquet"))
        _swap_in(staging, target)
    return counts


def _swap_in(staging: Path, target: Path) -> None:
    """Replace `target` by `staging` (renames within one directory)."""
    old = target.with_name(f".{target.name}.{uuid.uuid4().hex}.old")
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def parquet_connection(in_dir: str | Path, workspace_name: str) -> duckdb.DuckDBPyConnection:
    """An in-memory connection whose views `incidents`, `invoice_lines`, ... read the
    workspace's rows from a Parquet export directory."""
    name = check_name(workspace_name)
    root = Path(in_dir)
    if not (root / "incidents" / f"workspace={name}").is_dir():
        raise InputError(
            f"--parquet {root}: holds no export of workspace {name!r}; write one with"
            f" breakeven export --workspace {name} --parquet {root}"
        )
    con = duckdb.connect()
    for table in TABLES:
        files = str(root / table / f"workspace={name}" / "*" / "*.parquet")
        rel = con.sql(
            "SELECT * FROM read_parquet($files, hive_partitioning = false)", params={"files": files}
        )
        columns = [c for c in rel.columns if c not in PARTITIONS]
        rel.select(*[duckdb.ColumnExpression(c) for c in columns]).create_view(table)
    return con
