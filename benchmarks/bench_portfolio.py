"""Time the portfolio over many small workspaces: `python benchmarks/bench_portfolio.py [N]`.

Writes N workspaces (default 1,000) into a temporary data directory: ten distinct ones
loaded from generated ticket CSVs (40-130 tickets each, from make_tickets.py) and copies
of them, plus one file of junk bytes (a damaged workspace). Then, `--runs` times, it reads
the portfolio in a fresh Python process twice:

* cold: no row cache (the cache file is removed first), as the first `breakeven portfolio`
  of a data directory, or one after an upgrade;
* warm: the cache the cold read wrote (unchanged workspaces are a stat each).

Each line gives the seconds of `portfolio()` and of the whole process (imports included),
the rows by status, the process's peak resident memory and the load average of the
machine. With `--baseline REV` the same reads run, alternating, on the code of git
revision REV (`git archive` of its `pipelines/` into a temporary directory), and the
ratio of the cold reads is printed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

import make_tickets

from pipelines.ingest import ingest_file

TEMPLATES = 10
# Run in a fresh interpreter: time one portfolio read, print one JSON line.
CHILD = """
import json, os, resource, sys, time
t0 = time.perf_counter()
# An editable install of breakeven would be found before sys.path: read sys.argv[2]'s code.
sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
sys.path.insert(0, sys.argv[2])
import pipelines
from pipelines.portfolio import portfolio
t1 = time.perf_counter()
frame = portfolio(sys.argv[1])
t2 = time.perf_counter()
print(json.dumps({
    "read": t2 - t1, "process": t2 - t0, "rows": frame.height,
    "status": dict(frame.group_by("status").len().sort("status").iter_rows()),
    "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "load": os.getloadavg()[0], "code": pipelines.__file__}))
"""


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


def baseline_code(rev: str, into: Path) -> Path:
    """The `pipelines/` package of git revision `rev`, unpacked under `into`."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "pipelines"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def read_once(code: Path, root: Path, cold: bool) -> dict[str, object]:
    """One portfolio read of `root` in a fresh process running the package under `code`."""
    if cold:
        (root / ".portfolio-cache.json").unlink(missing_ok=True)
    out = subprocess.run([sys.executable, "-c", CHILD, str(root), str(code)], check=True,
                         capture_output=True, text=True).stdout
    r = dict(json.loads(out.splitlines()[-1]))
    if not str(r["code"]).startswith(str(code)):  # an installed copy would shadow `code`
        raise SystemExit(f"the child ran {r['code']}, not the code under {code}")
    return r


def line(label: str, r: dict[str, object]) -> str:
    return (f"{label:<18} portfolio {r['read']:6.2f} s, process {r['process']:6.2f} s;"
            f" {r['rows']:,} rows {r['status']}; peak RSS {r['rss_mb']:.0f} MB;"
            f" load {r['load']:.2f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=1000, help="workspaces (default 1000)")
    ap.add_argument("--runs", type=int, default=1, help="cold+warm pairs (default 1)")
    ap.add_argument("--baseline", metavar="REV", help="also time the code of git revision REV")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-portfolio-") as tmp:
        root = Path(tmp) / "data"
        root.mkdir()
        t0 = time.perf_counter()
        make_workspaces(root, args.n)
        print(f"made {args.n:,} workspaces in {time.perf_counter() - t0:.1f} s", flush=True)
        codes = {"this": REPO}
        if args.baseline:
            codes[args.baseline] = baseline_code(args.baseline, Path(tmp))
        cold: dict[str, list[float]] = {k: [] for k in codes}
        for run in range(1, args.runs + 1):
            for name, code in codes.items():
                for kind in ("cold", "warm"):
                    r = read_once(code, root, cold=kind == "cold")
                    print(line(f"{name} {kind} #{run}", r), flush=True)
                    if kind == "cold":
                        cold[name].append(float(r["read"]))  # type: ignore[arg-type]
        if args.baseline:
            best = {k: min(v) for k, v in cold.items()}
            print(f"cold read, best of {args.runs}: this {best['this']:.2f} s,"
                  f" {args.baseline} {best[args.baseline]:.2f} s:"
                  f" {best[args.baseline] / best['this']:.1f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
