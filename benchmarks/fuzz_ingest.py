"""The hostile-export fuzz run at a larger size than CI's: prints files, tracebacks and
invariant breaks (see tests/hostile.py for what is generated and checked).

    python3 benchmarks/fuzz_ingest.py --files 3000 [--seed N]
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from hostile import Checker, hostile_files


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--files", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--per-workspace", type=int, default=300,
                    help="start a fresh workspace after this many files")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="breakeven-fuzz-"))
    started = time.monotonic()
    totals = collections.Counter()
    problems: list[str] = []
    checker = Checker(root / "ws0")
    for i, path in enumerate(hostile_files(args.seed, args.files, root / "files")):
        if i and i % args.per_workspace == 0:
            checker.check_loads()
            checker.check_metrics(Path("(end of batch)"))
            totals.update(vars(checker.counts) | {"problems": 0})
            problems += checker.counts.problems
            checker = Checker(root / f"ws{i}")
        checker.check(path)
        path.unlink()
    checker.check_loads()
    checker.check_metrics(Path("(end)"))
    totals.update(vars(checker.counts) | {"problems": 0})
    problems += checker.counts.problems
    print(f"files {totals['files']}, loaded {totals['loaded']}, refused {totals['failed']},"
          f" tracebacks {totals['tracebacks']}, invariant breaks {totals['invariant_breaks']}"
          f" ({time.monotonic() - started:.0f} s, seed {args.seed})")
    for p in problems[:20]:
        print("----", p[:2000])
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
