"""Backtest the 12-month forecast (METRICS.md section 11): cut, forecast, compare.

    python benchmarks/backtest.py [--families-only] [--cases 40] [--real /tmp/real]

Each history is cut 12 months before the end of its spend window; the forecast made
from the months up to the cut is compared with the 12 months that followed:

* coverage: the share of actual months inside the forecast's p10-p90 band (bar 65-95%);
* MAE: mean absolute error of the p50 against the actual months, beside the naive
  forecast's (the trailing 12-month mean, flat; bar: p50 no worse than naive);
* Brier: mean of (p_breakfix_dearer_12m - outcome)^2, where outcome is 1 when the 12
  actual months of break-fix cost strictly more than 12 months of the managed
  contract (bar < 0.2).

Histories:

1. the sample workspaces (`sample_data/`, loaded into a temporary data directory) and
   the real public logs when present under --real: the UCI ServiceNow event log and
   the HM Treasury spend ledger. Those two have no 24-month spend window (the event
   log has no money at all; the ledger is one quarter), which the script says;
2. synthetic seeded histories in families (flat, growth, ageing fleet, seasonal,
   spikes, regime change, sparse client, with downtime cost), `--cases` per family,
   12 to 36 months before the cut; the managed fee of each case is its last 12 months'
   mean times a factor drawn from 0.6..1.6, as a quote a buyer would weigh.

Everything is seeded: two runs print the same figures.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.metrics import forecast as fc

SEED = 7
REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Case:
    """A history cut 12 months before its end, and the managed contract to weigh."""

    family: str
    spend: list[float]
    downtime: list[float]
    future_spend: list[float]
    future_downtime: list[float]
    fee: float
    onboarding: float = 0.0
    managed_share: float = 1.0


@dataclass
class Score:
    months: int = 0
    covered: int = 0
    abs_err: float = 0.0
    abs_err_naive: float = 0.0
    brier: float = 0.0
    cases: int = 0

    def add(self, case: Case) -> None:
        p = fc.project(case.spend, case.downtime, fee=case.fee, onboarding=case.onboarding,
                       managed_share=case.managed_share)
        actual = [s + d for s, d in zip(case.future_spend, case.future_downtime, strict=True)]
        history = [s + d for s, d in zip(case.spend, case.downtime, strict=True)]
        naive = math.fsum(history[-12:]) / len(history[-12:])
        for h, a in enumerate(actual):
            self.months += 1
            self.covered += p.breakfix_p10[h] <= a <= p.breakfix_p90[h]
            self.abs_err += abs(p.breakfix_p50[h] - a)
            self.abs_err_naive += abs(naive - a)
        managed = (12 * case.fee + case.onboarding
                   + case.managed_share * math.fsum(case.future_downtime))
        outcome = 1.0 if math.fsum(actual) > managed else 0.0
        self.brier += (p.p_breakfix_dearer - outcome) ** 2
        self.cases += 1

    def line(self, name: str) -> str:
        cov = self.covered / self.months
        ratio = self.abs_err / self.abs_err_naive if self.abs_err_naive else float("nan")
        return (f"{name:<22} {self.cases:>5} {cov:>9.1%} {ratio:>14.3f}"
                f" {self.brier / self.cases:>7.3f}")


HEADER = f"{'history':<22} {'cases':>5} {'coverage':>9} {'MAE p50/naive':>14} {'Brier':>7}"


# --- synthetic families --------------------------------------------------------------------

def _noisy(rng: random.Random, mean: float, cv: float) -> float:
    """A gamma draw with this mean and coefficient of variation (0 for a zero mean)."""
    if mean <= 0:
        return 0.0
    shape = 1 / (cv * cv)
    return rng.gammavariate(shape, mean / shape)


def _levels_flat(rng: random.Random, n: int) -> list[float]:
    base = rng.uniform(1500, 8000)
    return [base] * n


def _levels_growth(rng: random.Random, n: int) -> list[float]:
    base, g = rng.uniform(1000, 5000), rng.uniform(0.01, 0.04)
    return [base * (1 + g) ** t for t in range(n)]


def _levels_ageing(rng: random.Random, n: int) -> list[float]:
    """An ageing fleet: failures accelerate (quadratic), from a low start."""
    base, a = rng.uniform(800, 3000), rng.uniform(1.5, 4.0)
    return [base * (1 + a * (t / n) ** 2) for t in range(n)]


def _levels_seasonal(rng: random.Random, n: int) -> list[float]:
    base, amp, phase = rng.uniform(1500, 6000), rng.uniform(0.2, 0.5), rng.randrange(12)
    return [base * (1 + amp * math.sin(2 * math.pi * (t + phase) / 12)) for t in range(n)]


def _levels_regime(rng: random.Random, n: int) -> list[float]:
    """A step up (new site, failing server) or down (kit replaced) somewhere near the cut."""
    base = rng.uniform(1500, 6000)
    factor = rng.uniform(1.5, 2.5) if rng.random() < 0.5 else rng.uniform(0.4, 0.7)
    at = rng.randrange(max(1, n - 24), n - 6)
    return [base * (factor if t >= at else 1.0) for t in range(n)]


def _family(levels: Callable[[random.Random, int], list[float]], *, cv: tuple[float, float],
            spikes: float = 0.0, downtime: float = 0.0) -> Callable[[random.Random, int],
                                                                     tuple[list[float],
                                                                           list[float]]]:
    def make(rng: random.Random, n: int) -> tuple[list[float], list[float]]:
        c = rng.uniform(*cv)
        spend, down = [], []
        for lv in levels(rng, n):
            v = _noisy(rng, lv, c)
            if spikes and rng.random() < spikes:
                v += lv * rng.uniform(2, 6)
            spend.append(round(v, 2))
            down.append(round(_noisy(rng, lv * downtime, 0.8), 2) if downtime else 0.0)
        return spend, down
    return make


def _sparse(rng: random.Random, n: int) -> tuple[list[float], list[float]]:
    """A small client: a few jobs a month or none, each a right-skewed bill."""
    rate, median = rng.uniform(0.3, 2.0), rng.uniform(200, 700)
    out = []
    for _ in range(n):
        jobs, t = 0, rng.expovariate(1.0)
        while t < rate:
            jobs += 1
            t += rng.expovariate(1.0)
        out.append(round(sum(median * math.exp(rng.gauss(0, 0.8)) for _ in range(jobs)), 2))
    return out, [0.0] * n


FAMILIES: dict[str, Callable[[random.Random, int], tuple[list[float], list[float]]]] = {
    "flat": _family(_levels_flat, cv=(0.15, 0.5)),
    "growth": _family(_levels_growth, cv=(0.15, 0.4)),
    "ageing fleet": _family(_levels_ageing, cv=(0.15, 0.4)),
    "seasonal": _family(_levels_seasonal, cv=(0.1, 0.3)),
    "spikes": _family(_levels_flat, cv=(0.15, 0.4), spikes=0.08),
    "regime change": _family(_levels_regime, cv=(0.15, 0.4)),
    "sparse client": _sparse,
    "with downtime": _family(_levels_growth, cv=(0.15, 0.4), downtime=0.4),
}


def synthetic_cases(family: str, count: int, seed: int = SEED) -> list[Case]:
    """`count` seeded histories of one family, each cut 12 months before its end."""
    rng = random.Random(f"{seed}:{family}")
    make = FAMILIES[family]
    cases = []
    for _ in range(count):
        hist = rng.choice((12, 18, 24, 30, 36))
        spend, down = make(rng, hist + 12)
        last = [s + d for s, d in zip(spend[hist - 12:hist], down[hist - 12:hist], strict=True)]
        share = 1 - rng.choice((0.0, 0.5)) if any(down) else 1.0
        mean = math.fsum(last) / 12
        fee = round(max(mean, 1.0) * rng.uniform(0.6, 1.6), 2)
        if any(down):  # the fee is weighed against spend net of the downtime kept
            fee = round(max(math.fsum(spend[hist - 12:hist]) / 12, 1.0)
                        * rng.uniform(0.6, 1.6), 2)
        cases.append(Case(family, spend[:hist], down[:hist], spend[hist:], down[hist:], fee,
                          managed_share=share))
    return cases


# --- real workspaces -----------------------------------------------------------------------

def workspace_cases(real: Path | None) -> list[tuple[str, Case | str]]:
    """Each sample workspace (and real log) cut 12 months before its spend window's end,
    under its stored (default) scenario; a string says why a history was skipped."""
    import contextlib
    import io

    from pipelines import cli, workspace
    from pipelines.metrics import Filters, spend
    from pipelines.scenario import load_scenario

    sources: list[tuple[str, list[Path]]] = [
        (d.name, sorted(p for p in d.iterdir() if p.is_file()))
        for d in sorted((REPO / "sample_data").iterdir()) if d.is_dir()
    ]
    if real is not None:
        for name, file in (("servicenow-uci", "incident_event_log.csv"),
                           ("hmt-spend", "hmt_spend_over_25k_2025Q1.csv")):
            if (real / file).exists():
                sources.append((name, [real / file]))
    out: list[tuple[str, Case | str]] = []
    with tempfile.TemporaryDirectory() as data_dir:
        for name, files in sources:
            with contextlib.redirect_stdout(io.StringIO()):
                cli.main(["ingest", *map(str, files), "--workspace", name,
                          "--data-dir", data_dir])
            with workspace.connect(name, data_dir, read_only=True) as con:
                sc = load_scenario(con)
                full = spend(con, sc)
                months = full.monthly.height
                if months < 24:
                    out.append((name, (f"spend window {months} months (source"
                                       f" {full.source}); needs 24 to cut 12 and compare 12")))
                    continue
                cut_month = full.monthly.get_column("month")[months - 13]
                cut = spend(con, sc, Filters(month_to=f"{cut_month:%Y-%m}"))
                hist, fut = cut.monthly, full.monthly.tail(12)
                out.append((name, Case(
                    name,
                    [float(v) for v in hist["spend"]], [float(v) for v in hist["downtime_cost"]],
                    [float(v) for v in fut["spend"]], [float(v) for v in fut["downtime_cost"]],
                    float(full.monthly_fee), 0.0, 1 - sc.managed_reduction)))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=40, help="synthetic histories per family")
    ap.add_argument("--families-only", action="store_true", help="skip the workspaces")
    ap.add_argument("--real", type=Path, default=Path("/tmp/real"),
                    help="directory with the real public logs (skipped when absent)")
    args = ap.parse_args(argv)
    print(f"forecast method: {fc.FORECAST_METHOD}")
    print(HEADER)
    if not args.families_only:
        pooled = Score()
        for name, case in workspace_cases(args.real if args.real.exists() else None):
            if isinstance(case, str):
                print(f"{name:<22} skipped: {case}")
                continue
            one = Score()
            one.add(case)
            pooled.add(case)
            print(one.line(name))
        if pooled.cases:
            print(pooled.line("workspaces, pooled"))
    total = Score()
    for family in FAMILIES:
        score = Score()
        for case in synthetic_cases(family, args.cases):
            score.add(case)
            total.add(case)
        print(score.line(family))
    print(total.line("all synthetic"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
