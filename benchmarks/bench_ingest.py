"""Time breakeven's ingest of a large ticket CSV against DuckDB's own CSV load.

``python benchmarks/bench_ingest.py [--rows N] [--runs R] [--shape profile|map|both]``
``python benchmarks/bench_ingest.py --rows 10000000 --memory`` (one run each: peak RSS)

Two files of the same N tickets: the "profile" file make_tickets.py writes (headers a
format profile recognises, ISO dates, commas), and the "map" file, shaped like a held-out
generic export: the same rows under headers no profile knows, in another column order,
semicolon-separated, with day-first dates (31/01/2022 14:05), decimal commas (1,25) and
four extra columns nothing maps (one with quoted text holding the delimiter), loaded with
`--map` as a user would load it. Each is generated once and reused from the cache directory.

The baseline is DuckDB's own `CREATE TABLE t AS SELECT * FROM read_csv(file)` of the same
file into a fresh database file (its sniffer picks delimiter and types; every column of
the file is loaded), closed so that it is on disk. Each run happens in a fresh child
process with a fresh workspace or database, alternating the two engines so that neither
benefits from a warmer machine; a child reports its own wall time for the load alone
(imports excluded) and its peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ENGINES = ("breakeven", "duckdb")


@dataclass(frozen=True)
class Run:
    """What one child reported."""

    engine: str
    shape: str
    seconds: float
    cpu_seconds: float  # user + system time of all the child's threads during the load
    peak_mb: float
    baseline_mb: float
    rows: int


def cpu_seconds() -> float:
    """User plus system CPU time of this process so far, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    """Return this process's peak resident set size in MB (Linux reports KiB)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib * (1 if sys.platform != "darwin" else 1 / 1024) / 1024


SHAPES = ("profile", "map")
# The --map a user gives for the map file (its headers are in MAP_HEADERS).
USER_MAP = {"ticket_id": "Ref", "client": "Customer Org", "site": "Location Name",
            "asset": "Kit", "category": "Area", "priority": "Urgency Level",
            "title": "Subject Line", "opened_at": "Logged On", "resolved_at": "Closed On",
            "labour_hours": "Effort (h)", "billed_amount": "Charge"}
MAP_HEADERS = {"Ticket Number": "Ref", "Client": "Customer Org", "Site": "Location Name",
               "Asset": "Kit", "Category": "Area", "Priority": "Urgency Level",
               "Summary": "Subject Line", "Created": "Logged On", "Resolved": "Closed On",
               "Time Spent": "Effort (h)", "Billable Amount": "Charge"}


def load_with_breakeven(csv_path: Path, work_dir: Path) -> tuple[float, int, float]:
    """Ingest into a fresh workspace; return (seconds, rows loaded, baseline MB)."""
    sys.path.insert(0, str(REPO))
    from pipelines.ingest import ingest_file

    mapping = USER_MAP if csv_path.name.startswith("mapped_") else None
    baseline = peak_rss_mb()
    started = time.perf_counter()
    summary = ingest_file(csv_path, "bench", data_dir=work_dir, mapping=mapping)
    seconds = time.perf_counter() - started
    if summary.rows_loaded != summary.rows_read:
        print(f"warning: {summary.rows_rejected:,} of {summary.rows_read:,} rows rejected",
              file=sys.stderr)
    return seconds, summary.rows_loaded, baseline


def load_with_duckdb(csv_path: Path, work_dir: Path) -> tuple[float, int, float]:
    """CREATE TABLE AS read_csv into a fresh DuckDB file; return (seconds, rows, baseline MB)."""
    import duckdb

    baseline = peak_rss_mb()
    started = time.perf_counter()
    con = duckdb.connect(str(work_dir / "bench.duckdb"))
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(csv_path)])
    row = con.execute("SELECT count(*) FROM t").fetchone()
    con.close()  # closing checkpoints to disk, which is part of a load
    seconds = time.perf_counter() - started
    return seconds, row[0] if row else 0, baseline


def child(engine: str, csv_path: Path, work_dir: Path) -> None:
    """Run one load in this process and print what it took as JSON."""
    load = load_with_breakeven if engine == "breakeven" else load_with_duckdb
    cpu_before = cpu_seconds()
    seconds, rows, baseline = load(csv_path, work_dir)
    cpu = cpu_seconds() - cpu_before
    shape = "map" if csv_path.name.startswith("mapped_") else "profile"
    print(json.dumps({"engine": engine, "shape": shape, "seconds": seconds, "cpu_seconds": cpu,
                      "peak_mb": peak_rss_mb(), "baseline_mb": baseline, "rows": rows}))


def run_child(engine: str, csv_path: Path, scratch: Path) -> Run:
    """Run one load in a fresh child process on a fresh directory; return its report."""
    work_dir = Path(tempfile.mkdtemp(prefix=f"{engine}-", dir=scratch))
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--child", engine, "--csv", str(csv_path),
             "--work-dir", str(work_dir)],
            capture_output=True, text=True, cwd=REPO, check=False)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    if done.returncode != 0:
        raise SystemExit(f"{engine} run failed (exit {done.returncode}):\n{done.stderr.strip()}")
    if done.stderr.strip():
        print(done.stderr.strip(), file=sys.stderr)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return Run(**report)


def ensure_csv(rows: int, cache_dir: Path) -> Path:
    """Return the cached N-row ticket CSV, generating it first if it is missing."""
    path = cache_dir / f"tickets_{rows}.csv"
    if not path.exists():
        print(f"generating {rows:,} rows into {path} ...", flush=True)
        partial = path.with_suffix(".partial")
        # In a child process: a child forked from a parent that held the rows would report
        # the parent's memory as its own peak (Linux keeps ru_maxrss across exec).
        subprocess.run([sys.executable, str(Path(__file__).resolve().parent / "make_tickets.py"),
                        str(rows), str(partial)], check=True, stdout=subprocess.DEVNULL)
        partial.replace(path)  # a crash mid-write never leaves a truncated file to reuse
    return path


# The map file's column order: mapped columns shuffled among four that nothing maps.
MAP_ORDER = ["Logged On", "Ref", "Channel", "Customer Org", "Subject Line", "Location Name",
             "Notes", "Urgency Level", "Area", "Kit", "Assigned Group", "Closed On",
             "Effort (h)", "Survey Score", "Charge"]


def ensure_mapped(profile_csv: Path) -> Path:
    """The map-shaped twin of the profile file (see the module's docstring)."""
    path = profile_csv.with_name("mapped_v2_" + profile_csv.name.removeprefix("tickets_"))
    if not path.exists():
        import polars as pl

        print(f"writing the --map twin {path} ...", flush=True)
        partial = path.with_suffix(".partial")
        i = pl.int_range(pl.len(), dtype=pl.UInt64)
        (pl.scan_csv(profile_csv, infer_schema=False).rename(MAP_HEADERS)
         .with_columns(pl.col(c).str.to_datetime("%Y-%m-%d %H:%M:%S")
                       .dt.strftime("%d/%m/%Y %H:%M") for c in ("Logged On", "Closed On"))
         .with_columns(pl.col(c).str.replace(".", ",", literal=True)
                       for c in ("Effort (h)", "Charge"))
         .with_columns(
             Channel=(i.hash(1) % 3).replace_strict({0: "Email", 1: "Phone", 2: "Portal"},
                                                    return_dtype=pl.Utf8),
             Notes=pl.when(i % 7 == 0).then(pl.lit('caller said "urgent"; call back'))
             .otherwise(pl.format("seen at {}", pl.col("Location Name"))),
             **{"Assigned Group": pl.format("Team {}", (i.hash(2) % 9).cast(pl.Utf8)),
                "Survey Score": ((i.hash(3) % 50).cast(pl.Float64) / 10).cast(pl.Utf8)
                .str.replace(".", ",", literal=True)})
         .select(MAP_ORDER)
         .sink_csv(partial, separator=";"))
        partial.replace(path)
    return path


def load_average() -> str:
    """The machine's load average now (1, 5, 15 minutes), as `uptime` shows it."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f}"


def print_table(runs: list[Run], rows: int, csv_path: Path) -> None:
    """Print best, median and memory per engine, then the ratio ours/duckdb."""
    size_mb = csv_path.stat().st_size / 1e6
    print(f"\n{rows:,} rows, {size_mb:.1f} MB ({csv_path}); {load_average()}")
    print(f"{'engine':<10} {'runs':>4} {'best s':>8} {'median s':>9} {'cpu s (med)':>12} "
          f"{'rows/s (best)':>14} {'peak RSS MB':>12} {'above start MB':>15} {'rows loaded':>12}")
    summary: dict[str, tuple[float, float, float]] = {}
    for engine in ENGINES:
        mine = [r for r in runs if r.engine == engine]
        if not mine:
            continue
        best = min(r.seconds for r in mine)
        median = statistics.median(r.seconds for r in mine)
        peak = max(r.peak_mb for r in mine)
        above = max(r.peak_mb - r.baseline_mb for r in mine)
        cpu = statistics.median(r.cpu_seconds for r in mine)
        summary[engine] = (best, median, cpu)
        print(f"{engine:<10} {len(mine):>4} {best:>8.2f} {median:>9.2f} {cpu:>12.2f} "
              f"{mine[0].rows / best:>14,.0f} {peak:>12,.0f} {above:>15,.0f} {mine[0].rows:>12,}")
    if len(summary) == 2:
        (ours_best, ours_median, ours_cpu) = summary["breakeven"]
        (duck_best, duck_median, duck_cpu) = summary["duckdb"]
        print(f"ratio breakeven/duckdb: best {ours_best / duck_best:.2f}x, "
              f"median {ours_median / duck_median:.2f}x, cpu (median) {ours_cpu / duck_cpu:.2f}x")
    print("peak RSS is the child's whole process (interpreter and imports included); "
          "'above start' is the growth during the load.")


def main(argv: list[str] | None = None) -> int:
    """Parse the command line; run the benchmark, or one load when called as a child."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the CSV")
    parser.add_argument("--runs", type=int, default=3, help="runs per engine")
    parser.add_argument("--cache-dir", type=Path,
                        default=Path(tempfile.gettempdir()) / "breakeven-bench",
                        help="where the generated CSV is kept between runs")
    parser.add_argument("--only", choices=ENGINES, help="time one engine alone")
    parser.add_argument("--shape", choices=(*SHAPES, "both"), default="both",
                        help="the profile-detected file, the --map file, or both")
    parser.add_argument("--memory", action="store_true",
                        help="one run per engine on the profile file: peak RSS side by side")
    parser.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        child(args.child, args.csv, args.work_dir)
        return 0

    args.cache_dir.mkdir(parents=True, exist_ok=True)
    csv_path = ensure_csv(args.rows, args.cache_dir)
    engines = (args.only,) if args.only else ENGINES
    shapes = ("profile",) if args.memory else SHAPES if args.shape == "both" else (args.shape,)
    runs_each = 1 if args.memory else args.runs
    for shape in shapes:
        path = csv_path if shape == "profile" else ensure_mapped(csv_path)
        runs: list[Run] = []
        with tempfile.TemporaryDirectory(prefix="scratch-", dir=args.cache_dir) as scratch:
            for number in range(1, runs_each + 1):
                for engine in engines:  # alternate, so drift in the machine hits both alike
                    run = run_child(engine, path, Path(scratch))
                    print(f"{shape} run {number}/{runs_each} {engine:<10} {run.seconds:7.2f} s"
                          f"  cpu {run.cpu_seconds:6.2f} s  peak {run.peak_mb:,.0f} MB  ({load_average()})", flush=True)
                    runs.append(run)
        print(f"[{shape} file{', --map' if shape == 'map' else ''}]", end="")
        print_table(runs, args.rows, path)
        if args.memory and len(runs) == 2:
            ours, duck = runs
            print(f"peak RSS breakeven/duckdb: {ours.peak_mb:,.0f} / {duck.peak_mb:,.0f} MB ="
                  f" {ours.peak_mb / duck.peak_mb:.2f}x (limit 1,500 MB:"
                  f" {'under' if ours.peak_mb < 1500 else 'OVER'})")
    return 0

if __name__ == "__main__":
    sys.exit(main())
