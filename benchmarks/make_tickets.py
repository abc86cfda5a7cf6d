"""Write a large generic ticket CSV for benchmarks.

``python benchmarks/make_tickets.py [N] [OUT.csv]`` (N defaults to 1,000,000).

The headers are the generic profile's common names (Ticket Number, Client, ... Billable
Amount). Everything is vectorised in Polars and seeded through row-index hashes, so a
million rows take a few seconds and the same N (on the same Polars version) gives the same file.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

DEFAULT_ROWS = 1_000_000
SEED = 20251231
FIRST_CREATED = int(datetime(2022, 1, 1, tzinfo=UTC).timestamp())  # epoch seconds
SPAN_SECONDS = 4 * 365 * 86_400  # tickets spread over four years
OPEN_SHARE = 0.04  # share of tickets still open: empty Resolved

CLIENTS = [f"{name} {suffix}" for name in
           ["Acme", "Northwind", "Contoso", "Fabrikam", "Tailspin", "Wingtip", "Litware",
            "Adventure Works", "Proseware", "Woodgrove", "Lucerne", "Margie's Travel",
            "Coho Winery", "Alpine Ski House", "Blue Yonder", "Fourth Coffee"]
           for suffix in ["Ltd", "Group"]]
SITES = ["Head Office", "North Branch", "South Branch", "Warehouse", "Remote"]
CATEGORIES = ["Hardware", "Software", "Network", "Account", "Printer", "Email", "Backup"]
PRIORITIES = ["1 - Critical", "2 - High", "3 - Medium", "3 - Medium", "4 - Low", "4 - Low"]
SUMMARIES = ["Cannot log in", "Printer offline", "Laptop will not boot", "VPN drops",
             "Email not syncing", "Server unreachable", "Backup job failed", "Slow PC",
             "Wi-Fi dead zone", "New starter setup", "Password reset", "Disk almost full"]
ASSET_KINDS = ["PC", "LAPTOP", "SRV", "PRN", "FW", "NAS", "AP"]


def uniform(index: pl.Series, salt: int) -> pl.Series:
    """Return a pseudo-random float in [0, 1) per row, stable for a given salt."""
    return (index.hash(SEED + salt) % 1_000_000).cast(pl.Float64) / 1_000_000


def pick(index: pl.Series, salt: int, values: list[str]) -> pl.Series:
    """Return one of `values` per row, chosen pseudo-randomly."""
    return pl.Series(values).gather((index.hash(SEED + salt) % len(values)).cast(pl.UInt32))


def tickets_frame(rows: int) -> pl.DataFrame:
    """Return `rows` ticket rows with the generic profile's column names, as text."""
    index = pl.Series("i", range(rows), dtype=pl.UInt64)
    # Ticket numbers rise with time, as in a real tracker; jitter keeps timestamps irregular.
    created_s = FIRST_CREATED + (index.cast(pl.Float64) * (SPAN_SECONDS / max(rows, 1))
                                 + uniform(index, 1) * 3_600).cast(pl.Int64)
    # Exponential durations with a 20-hour mean; a few tickets stay open.
    resolved_s = created_s + (-(1 - uniform(index, 2)).log() * 20 * 3_600).cast(pl.Int64)
    is_open = uniform(index, 3) < OPEN_SHARE
    hours = ((uniform(index, 4) * 16).floor() + 1) / 4  # 0.25 to 4 hours, quarter-hour steps
    asset_number = (index.hash(SEED + 5) % 400).cast(pl.Utf8).str.zfill(3)
    frame = pl.DataFrame({
        "Ticket Number": (index + 1).cast(pl.Utf8).str.zfill(7),
        "Client": pick(index, 6, CLIENTS),
        "Site": pick(index, 7, SITES),
        "Asset": pick(index, 8, ASSET_KINDS),
        "Category": pick(index, 9, CATEGORIES),
        "Priority": pick(index, 10, PRIORITIES),
        "Summary": pick(index, 11, SUMMARIES),
        # Epoch seconds read as naive wall time: the file carries no zone.
        "Created": pl.from_epoch(created_s, time_unit="s").dt.strftime("%Y-%m-%d %H:%M:%S"),
        "Resolved": pl.from_epoch(resolved_s, time_unit="s").dt.strftime("%Y-%m-%d %H:%M:%S"),
        "Time Spent": hours,
        "Billable Amount": (hours * 95).round(2),
    })
    return frame.with_columns(
        pl.format("T-{}", "Ticket Number").alias("Ticket Number"),
        pl.format("{}-{}", "Asset", pl.lit(asset_number)).alias("Asset"),
        pl.when(pl.lit(is_open)).then(None).otherwise(pl.col("Resolved")).alias("Resolved"),
    )


def write_tickets(rows: int, out: Path) -> Path:
    """Write `rows` tickets to `out` as CSV (money and hours with two decimals)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tickets_frame(rows).write_csv(out, float_precision=2, null_value="")
    return out


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, write the file, report its size and the time taken."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="?", type=int, default=DEFAULT_ROWS)
    parser.add_argument("out", nargs="?", type=Path, default=Path("tickets.csv"))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    write_tickets(args.rows, args.out)
    seconds = time.perf_counter() - started
    size_mb = args.out.stat().st_size / 1e6
    print(f"wrote {args.rows:,} rows to {args.out} ({size_mb:.1f} MB) in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
