"""Time the recurring-problem groups (`problems`) and `assets` on a large workspace.

    python benchmarks/bench_problems.py [--rows 1000000] [--runs 3] [--keep DIR]

The workspace is a real DuckDB file generated inside DuckDB with range(): three years,
300 clients, 60 problems, each typed 4 ways, with a reply prefix on 15% of titles, a
ticket id on 40%, a person's name on 25% and an asset id on 20% (so most raw titles are
distinct: the worst case for a method that works on distinct titles), labour hours on
half the tickets and a billed amount on a quarter. Prints the wall and CPU time of each run (after one
warm-up), the number of groups, distinct titles and keys, and the peak RSS of the process.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines import store
from pipelines.metrics.problems import assets, problems, title_groups
from pipelines.scenario import Scenario

THINGS = ["Outlook", "Teams", "Excel", "VPN", "Printer", "Scanner", "Laptop", "Wi-Fi",
          "Sage", "SharePoint", "OneDrive", "Phone", "Monitor", "Docking station", "Server"]
SYMPTOMS = [("keeps crashing", "crashes", "crashing again", "crashed"),
            ("not connecting", "will not connect", "cannot connect", "connection fails"),
            ("very slow", "slow", "running slowly", "slow today"),
            ("password reset", "reset password", "password expired", "password reset please")]
FIRST = ["John", "Sarah", "Priya", "Tom", "Anna", "Luis", "Mei", "Oliver"]
LAST = ["Smith", "Kowalski", "Patel", "Jones", "Garcia", "Chen", "Brown", "Walker"]


def build(path: Path, rows: int) -> None:
    con = duckdb.connect(str(path))
    store.ensure_schema(con)
    con.execute("CREATE TEMP MACRO h(a, b) AS CAST(hash(a, b) % 2147483647 AS BIGINT)")
    variants = [f"{t} {s}" if i % 2 == 0 else f"{s.capitalize()} {t}"
                for t in THINGS for group in SYMPTOMS for i, s in enumerate(group)]
    con.execute(
        """
        INSERT INTO incidents (ticket_id, client, asset, priority, title, opened_at,
            resolved_at, labour_hours, billed_amount, ttr_hours, load_id,
            opened_month, resolved_month)
        SELECT 'T' || i, 'Client ' || (h(i, 1) % 300), 'PC-' || (h(i, 2) % 5000),
               'P' || (1 + h(i, 3) % 5),
               CASE WHEN h(i, 4) % 100 < 15 THEN 'RE: ' ELSE '' END
               || $variants[1 + h(i, 5) % len($variants)]
               || CASE WHEN h(i, 6) % 100 < 40 THEN ' INC' || lpad(i::VARCHAR, 8, '0')
                       ELSE '' END
               || CASE WHEN h(i, 7) % 100 < 25
                       THEN ' - ' || $first[1 + h(i, 8) % 8] || ' ' || $last[1 + h(i, 9) % 8]
                       ELSE '' END
               || CASE WHEN h(i, 10) % 100 < 20 THEN ' on PC-' || (h(i, 11) % 9000)
                       ELSE '' END,
               o, o + INTERVAL (1 + h(i, 12) % 48) HOUR,
               CASE WHEN h(i, 13) % 2 = 0 THEN (1 + h(i, 14) % 8) / 4 END,
               CASE WHEN h(i, 15) % 4 = 0 THEN CAST(50 + h(i, 16) % 300 AS DECIMAL(18,2))
               END,
               1 + h(i, 12) % 48, 1,
               CAST(date_trunc('month', o) AS DATE), NULL
        FROM (SELECT i, TIMESTAMPTZ '2022-01-01 00:00:00+00'
                        + to_seconds(CAST(h(i, 17) % (3 * 365 * 86400) AS BIGINT)) AS o
              FROM range($rows) r(i))
        """,
        {"variants": variants, "first": FIRST, "last": LAST, "rows": rows},
    )
    con.execute("UPDATE incidents SET resolved_month = CAST(date_trunc('month', resolved_at)"
                " AS DATE)")
    store.set_setting(con, store.MONTHS_TIMEZONE, "UTC")
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the workspace here and keep it")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp())
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bench-problems.duckdb"
    if not path.exists():
        t0 = time.perf_counter()
        build(path, args.rows)
        print(f"built {args.rows:,} tickets in {time.perf_counter() - t0:.1f} s")
    con = duckdb.connect(str(path), read_only=True)
    scenario = Scenario()
    problems(con, scenario)  # warm-up: regex compilation, DuckDB caches
    for run in range(1, args.runs + 1):
        t0, c0 = time.perf_counter(), time.process_time()
        result = problems(con, scenario)
        t1, c1 = time.perf_counter(), time.process_time()
        problems(con, scenario, with_tickets=False)  # as metrics_json calls it
        t2, c2 = time.perf_counter(), time.process_time()
        costly = assets(con, scenario)
        t3, c3 = time.perf_counter(), time.process_time()
        print(f"run {run}: problems {t1 - t0:.2f} s wall / {c1 - c0:.2f} s CPU"
              f" ({result.groups.height} groups, {result.tickets.height:,} tickets listed);"
              f" without the ticket list {t2 - t1:.2f} s / {c2 - c1:.2f} s;"
              f" assets {t3 - t2:.2f} s / {c3 - c2:.2f} s"
              f" ({costly.endpoints:,} endpoints, RHEM {costly.rhem:.3f})")
    print(f"load average while running: {os.getloadavg()[0]:.1f} (wall time waits for the CPU"
          " when other processes share it; CPU time counts every thread of this one)")
    distinct = con.sql("SELECT title, count(*) AS n FROM incidents GROUP BY title").pl()
    keys = title_groups(distinct["title"], distinct["n"])
    print(f"{distinct.height:,} distinct titles -> {keys['key'].n_unique():,} keys ->"
          f" {keys['group'].drop_nulls().n_unique():,} groups before the 3-ticket rule")
    print(pl.DataFrame(result.groups.head(5).select("label", "incidents")))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:,.0f} MB")


if __name__ == "__main__":
    main()
