"""Time the portfolio over many small workspaces: `python benchmarks/bench_portfolio.py [N]`.

Writes N workspaces (default 1,000) into a temporary data directory: ten distinct ones
loaded from generated ticket CSVs (40-130 tickets each, from make_tickets.py) and copies
of them, plus one file of junk bytes (a damaged workspace). Then it reads the portfolio
twice (the first read also warms the OS file cache) and prints the time of each read,
the rows by status, and the peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import make_tickets

from pipelines.ingest import ingest_file
from pipelines.portfolio import portfolio

TEMPLATES = 10


def make_workspaces(root: Path, n: int) -> None:
    """N small workspaces in `root` (TEMPLATES distinct, the rest copies) and one damaged."""
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(min(TEMPLATES, n)):
            csv = Path(tmp) / f"t{i}.csv"
            make_tickets.tickets_frame(40 + 10 * i).write_csv(csv)
            ingest_file(csv, f"tpl-{i:02d}", root)
    for i in range(TEMPLATES, n - 1):
        shutil.copyfile(root / f"tpl-{i % TEMPLATES:02d}.duckdb", root / f"ws-{i:04d}.duckdb")
    (root / "ws-damaged.duckdb").write_bytes(b"\x00junk, not a database\xff" * 512)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=1000, help="workspaces (default 1000)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-portfolio-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        make_workspaces(root, args.n)
        print(f"made {args.n:,} workspaces in {time.perf_counter() - t0:.1f} s", flush=True)
        for attempt in ("first read", "second read"):
            t0 = time.perf_counter()
            frame = portfolio(root)
            seconds = time.perf_counter() - t0
            by_status = dict(frame.group_by("status").len().sort("status").iter_rows())
            print(f"portfolio {attempt}: {frame.height:,} workspaces in {seconds:.2f} s"
                  f" ({seconds / frame.height * 1000:.1f} ms each); by status {by_status}",
                  flush=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
