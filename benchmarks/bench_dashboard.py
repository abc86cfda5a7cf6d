"""Time a dashboard rerun after a filter or the contract price changes, on 1M incidents.

    python benchmarks/bench_dashboard.py [--incidents 1000000] [--keep DIR] [--pages spend,...]

Builds a workspace with `bench_metrics.build` (generated inside DuckDB), then drives the
real app with streamlit.testing.v1.AppTest: for each page, it changes the contract price,
the month range and the client, and times `AppTest.run()` - the whole script rerun the
server would do (open the workspace, sidebar, metrics, charts, close), without the
browser's drawing. Every change is a new value, so every timed rerun misses the figure
cache and recomputes the figures of the page shown (a page computes only the metric
families it shows, cached by the settings they read: dashboard/ui.py PAGE_FAMILIES).
Target (issue 17): < 0.5 s per rerun after a change. The load average is printed with
the numbers: the machine is shared, and a busy one makes every rerun slower.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_metrics import build

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
PAGES = ["views/overview.py", "views/spend.py", "views/downtime.py",
         "views/time_to_resolve.py", "views/service_levels.py", "views/problems.py"]
TARGET = 0.5
WORKSPACE = "bench"


def timed(at, label: str, results: dict[str, list[float]]) -> None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - started
    if at.exception:
        raise SystemExit(f"{label}: {at.exception[0].message}")
    results.setdefault(label, []).append(seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="build the workspace here and keep it")
    parser.add_argument("--pages", help="only these pages, comma-separated (spend,overview)")
    args = parser.parse_args(argv)
    pages = PAGES if not args.pages else [
        p for p in PAGES if Path(p).stem in args.pages.split(",")]
    if not pages:
        parser.error(f"--pages: none of {args.pages!r}; pages: "
                     + ", ".join(Path(p).stem for p in PAGES))

    data_dir = args.keep or Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / f"{WORKSPACE}.duckdb"
    if not path.exists():
        started = time.perf_counter()
        build(path, args.incidents)
        print(f"built {args.incidents:,} incidents in {time.perf_counter() - started:.1f} s")
    os.environ["BREAKEVEN_DATA_DIR"] = str(data_dir)

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    print(f"load average at the start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    results: dict[str, list[float]] = {}
    price = 125.0
    for page in pages:
        at = AppTest.from_file(str(APP), default_timeout=120)
        timed(at, "first load (overview)", results)
        if page != PAGES[0]:
            at.switch_page(page)
            timed(at, "switch page", results)
        months = at.select_slider(key="month_range").options
        clients = at.selectbox(key="client").options
        for step in range(3):
            price += 5
            at.number_input(key="sc_per_user").set_value(price)
            timed(at, f"{page}: contract price", results)
            at.select_slider(key="month_range").set_value(
                (_raw(months[step + 1]), _raw(months[-1 - step])))
            timed(at, f"{page}: month range", results)
            at.selectbox(key="client").set_value(clients[step + 1])
            timed(at, f"{page}: client", results)
        at.selectbox(key="client").set_value(clients[0])
        timed(at, f"{page}: client", results)

    print(f"\ndashboard reruns on {args.incidents:,} incidents (AppTest.run(), seconds),"
          f" load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}:")
    print(f"{'change':<42} {'runs':>4} {'median':>7} {'max':>7}")
    worst = 0.0
    for label, times in results.items():
        print(f"{label:<42} {len(times):>4} {statistics.median(times):>7.3f} {max(times):>7.3f}")
        if ":" in label:
            worst = max(worst, max(times))
    print(f"\nslowest rerun after a change: {worst:.3f} s (target < {TARGET} s)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process (build, app and reruns): {rss:.0f} MB")
    return 0 if worst < TARGET else 1


def _raw(label: str) -> str:
    """'Feb 2022' (the slider's label) -> '2022-02'."""
    return time.strftime("%Y-%m", time.strptime(label, "%b %Y"))


if __name__ == "__main__":
    sys.exit(main())
