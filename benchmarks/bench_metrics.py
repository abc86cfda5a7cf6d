"""Time `metrics_json` on 1M- and 10M-incident workspaces (targets: < 300 ms and < 3 s).

    python benchmarks/bench_metrics.py [--sizes 1000000,10000000] [--keep DIR] [--runs 5]
        [--timezone UTC]

Each workspace is a real DuckDB file generated inside DuckDB with range(): three years
(2022-2024), 300 clients, one asset per 50 incidents (30% of incidents without an
asset), 25 categories, priorities P1 2% / P2 8% / P3 50% / P4 30% / P5 5% / unknown 5%,
explicit downtime minutes on 3% of tickets, 2% still open, 0.5% resolved before opened,
a first response on 80% of tickets (within 5.5 h), and invoice lines (one per 10 incidents: labour, parts, contract, other, 2% credit notes).
Reported: best of --runs after one warm-up, and the median, on a read-only connection,
beside the same run's baseline: one DuckDB statement of the JSON's simplest figure, the
count and linear TTR quantiles per month (BASELINE_SQL), timed the same way, and the
ratio of the two (and to the issue's target, at 1M and 10M); then --cold calls, each the
first call of a fresh process on the workspace (wall and CPU of the call itself, not of
starting Python, and the process's peak resident memory), alternating with the same
calls of the code under --baseline DIR (a checkout or `git archive` of an earlier
commit) when given; and the load average, since other processes on the machine stretch
the wall times.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines import store
from pipelines.metrics import metrics_json
from pipelines.scenario import Scenario

THREE_YEARS_S = 3 * 365 * 86400


def build(path: Path, n: int) -> None:
    """Write a workspace of `n` incidents and n/10 invoice lines to `path`."""
    con = duckdb.connect(str(path))
    con.execute("SET enable_progress_bar = false")
    store.ensure_schema(con)
    con.execute(
        f"""
        INSERT INTO incidents (ticket_id, client, site, asset, category, priority,
            priority_raw, title, status, opened_at, resolved_at, downtime_minutes,
            users_affected, labour_hours, billed_amount, ttr_hours, load_id,
            opened_month, resolved_month, responded_at)
        WITH r AS (
            SELECT i, hash(i) AS h, (hash(i) % 1000) AS p1000,
                   TIMESTAMPTZ '2022-01-01 00:00:00+00'
                   + to_seconds((hash(i * 3) % {THREE_YEARS_S})::BIGINT) AS opened
            FROM range({n}) t(i)
        ), x AS (
            SELECT *,
                   CASE WHEN p1000 < 20 THEN 'P1' WHEN p1000 < 100 THEN 'P2'
                        WHEN p1000 < 600 THEN 'P3' WHEN p1000 < 900 THEN 'P4'
                        WHEN p1000 < 950 THEN 'P5' END AS priority,
                   -- resolution: minutes to a few days, longer for low priorities
                   to_seconds((60 + hash(i * 5) % (CASE WHEN p1000 < 100 THEN 8 ELSE 96 END
                               * 3600))::BIGINT) AS ttr
            FROM r
        )
        SELECT 'T' || lpad(i::VARCHAR, 9, '0'), 'client-' || (h % 300), 'site-' || (h % 7),
               CASE WHEN hash(i * 7) % 10 >= 3 THEN 'asset-' || (hash(i * 11) % {max(n // 50, 1)}) END,
               'category-' || (hash(i * 13) % 25), priority, priority, 'ticket ' || i,
               'closed', opened,
               CASE WHEN hash(i * 17) % 100 < 2 THEN NULL
                    WHEN hash(i * 17) % 1000 < 25 THEN opened - INTERVAL 1 HOUR
                    ELSE opened + ttr END,
               CASE WHEN hash(i * 19) % 100 < 3 THEN (hash(i * 23) % 480)::DOUBLE END,
               CASE WHEN hash(i * 29) % 100 < 20 THEN (1 + hash(i) % 50)::INTEGER END,
               0.25 * (1 + hash(i * 31) % 32), NULL, NULL, 1, NULL, NULL,
               -- a first response within about 5.5 hours on 80% of tickets (section 10)
               CASE WHEN hash(i * 37) % 10 < 8
                    THEN opened + to_seconds((hash(i * 41) % 20000)::BIGINT) END
        FROM x
        """
    )
    con.execute(
        "UPDATE incidents SET ttr_hours = CASE WHEN resolved_at >= opened_at"
        " THEN (epoch_us(resolved_at) - epoch_us(opened_at)) / 3600e6 END"
    )
    # The months a load stores, in the default time zone (UTC), as store.py computes them.
    con.execute(store.SET_MONTHS_SQL, {"tz": "UTC"})
    store.set_setting(con, store.MONTHS_TIMEZONE, "UTC")
    con.execute(
        f"""
        INSERT INTO invoice_lines
        SELECT 'INV-' || (i // 10), (i % 10)::INTEGER,
               DATE '2022-01-01' + (hash(i // 10) % 1095)::INTEGER,
               'client-' || (hash(i // 10) % 300), 'line ' || i, 1, NULL,
               CAST(CASE WHEN hash(i) % 100 < 2 THEN -1 ELSE 1 END
                    * (50 + hash(i * 3) % 2000) AS DECIMAL(18,2)),
               NULL, 'EUR', NULL,
               ['labour', 'labour', 'labour', 'parts', 'contract', 'other'][(1 + hash(i * 5) % 6)::BIGINT],
               1
        FROM range({max(n // 10, 1)}) t(i)
        """
    )
    con.execute("CHECKPOINT")
    con.close()


# The baseline: what DuckDB alone takes for one figure of the JSON (TTR per month), on
# the same file in the same run. metrics_json computes sections 3-12 over the same rows.
BASELINE_SQL = """
    SELECT opened_month, count(*), quantile_cont(ttr_hours, [0.5, 0.9])
    FROM incidents WHERE ttr_hours IS NOT NULL GROUP BY opened_month
"""
TARGETS = {1_000_000: 0.3, 10_000_000: 3.0}  # seconds, issue 17


def timed(path: Path, runs: int, call: Callable[[duckdb.DuckDBPyConnection], object]
          ) -> list[float]:
    """Seconds per `call` on a read-only connection: one warm-up, then `runs` timed calls."""
    con = duckdb.connect(str(path), read_only=True)
    con.execute("SET enable_progress_bar = false")
    call(con)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call(con)
        times.append(time.perf_counter() - started)
    con.close()
    return times


def time_metrics(path: Path, runs: int = 5, timezone: str = "UTC") -> list[float]:
    """Seconds per `metrics_json` call: one warm-up, then `runs` timed calls."""
    scenario = Scenario.from_dict(
        {"cost_per_user_hour": 40, "managed_reduction": 0.3, "timezone": timezone}
    )
    return timed(path, runs, lambda con: metrics_json(con, "bench", scenario))


def time_baseline(path: Path, runs: int = 5) -> list[float]:
    """Seconds per BASELINE_SQL: one warm-up, then `runs` timed statements."""
    return timed(path, runs, lambda con: con.execute(BASELINE_SQL).fetchall())


_COLD = """
import resource, sys, time
sys.path.insert(0, sys.argv[1])
import duckdb
from pipelines.metrics import metrics_json
from pipelines.scenario import Scenario
con = duckdb.connect(sys.argv[2], read_only=True)
con.execute("SET enable_progress_bar = false")
scenario = Scenario.from_dict(
    {"cost_per_user_hour": 40, "managed_reduction": 0.3, "timezone": sys.argv[3]})
wall, cpu = time.perf_counter(), time.process_time()
metrics_json(con, "bench", scenario)
print(time.perf_counter() - wall, time.process_time() - cpu,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""
ROOT = Path(__file__).resolve().parents[1]


def cold_call(root: Path, path: Path, timezone: str) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of the first `metrics_json` call in a fresh process."""
    done = subprocess.run([sys.executable, "-c", _COLD, str(root), str(path), timezone],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        # An older tree under --baseline may not read files this code wrote.
        raise SystemExit(f"cold call of {root} failed:\n{done.stderr.strip()[-800:]}")
    out = done.stdout.split()
    return float(out[0]), float(out[1]), float(out[2])


def report_cold(path: Path, n: int, runs: int, timezone: str, baseline: str | None) -> None:
    """Print the best and median cold call of this code (and of `baseline`, alternating)."""
    roots = {"this code": ROOT} | ({"baseline": Path(baseline)} if baseline else {})
    calls: dict[str, list[tuple[float, float, float]]] = {name: [] for name in roots}
    for _ in range(runs):
        for name, root in roots.items():
            calls[name].append(cold_call(root, path, timezone))
    for name, got in calls.items():
        walls = [w for w, _, _ in got]
        print(f"{n:>10,} incidents: cold call ({name}) best {min(walls) * 1000:.0f} ms wall"
              f" / {min(c for _, c, _ in got) * 1000:.0f} ms CPU, median wall"
              f" {statistics.median(walls) * 1000:.0f} ms ({runs} fresh processes),"
              f" peak RSS {max(r for _, _, r in got):.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--keep", help="build the workspaces in this directory and keep them")
    parser.add_argument("--runs", type=int, default=5, help="timed calls per size (default 5)")
    parser.add_argument(
        "--timezone", default="UTC",
        help="the call's time zone; another than UTC (the stored months' zone) times the"
             " path that computes months per call, as a --scenario override does",
    )
    parser.add_argument("--cold", type=int, default=3,
                        help="first calls in fresh processes per size (default 3; 0: none)")
    parser.add_argument("--baseline", help="a source tree of earlier code to time the cold"
                        " calls of alongside (e.g. from `git archive COMMIT pipelines`)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep or tmp)
        root.mkdir(parents=True, exist_ok=True)
        for n in (int(s) for s in args.sizes.split(",")):
            path = root / f"bench-{n}.duckdb"
            if not path.exists():
                started = time.perf_counter()
                build(path, n)
                print(f"{n:>10,} incidents: built in {time.perf_counter() - started:.1f} s")
            times = time_metrics(path, args.runs, args.timezone)
            base = time_baseline(path, args.runs)
            target = TARGETS.get(n)
            versus = (f"; target {target * 1000:.0f} ms: {statistics.median(times) / target:.2f}x"
                      if target else "")
            print(
                f"{n:>10,} incidents: metrics_json best {min(times) * 1000:.0f} ms,"
                f" median {statistics.median(times) * 1000:.0f} ms"
                f" ({', '.join(f'{t * 1000:.0f}' for t in times)}){versus}"
            )
            print(
                f"{n:>10,} incidents: baseline (one DuckDB statement, TTR per month) best"
                f" {min(base) * 1000:.0f} ms, median {statistics.median(base) * 1000:.0f} ms;"
                f" metrics_json / baseline {statistics.median(times) / statistics.median(base):.1f}x"
                " (median)"
            )
            if args.cold:
                report_cold(path, n, args.cold, args.timezone, args.baseline)
            print(f"load average {' / '.join(f'{v:.2f}' for v in os.getloadavg())}"
                  " (1 / 5 / 15 min; 2 cores)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process (builds and warm calls): {rss:.0f} MB")


if __name__ == "__main__":
    main()
