"""The forward look and the confidence of the verdict (METRICS.md section 11).

`forecast` projects `breakfix(m)` of section 5 for the 12 months after the spend window;
`confidence` says how firmly the spend window itself carries the verdict. Both read only
the spend window's monthly series (so with `--to`, later rows change nothing), draw from
one `random.Random(SEED)` (Mersenne Twister: the same draws on every platform and in
every process) and add floats in a fixed order, so two runs give byte-identical JSON.
Pure Python: a few thousand draws of at most 24 months need no NumPy.

The forecast ("trend or regime, then a smoothed block bootstrap"), chosen for short
(12-48 months), noisy monthly series and tuned on the seeded families of
`benchmarks/backtest.py` (flat, growth, ageing fleet, seasonal, spikes, regime change,
sparse client, with downtime cost), against the trailing-12-month mean:

1. Which months to learn from. On the last `RECENT` (24) months of break-fix (spend +
   downtime cost): a *trend* when Mann-Kendall's test is clear (|z| >= `Z_GATE`, 2.58:
   a false trend on a flat history costs more than a missed mild one); a *regime
   change* where a split leaves at least `MIN_REGIME` months after it and 6 before and
   the two sides differ most by Mann-Whitney, when |z| >= `STEP_Z` (3). When both are
   found, the trend stands unless the step fits with less than `STEP_PENALTY` (half)
   of the trend's absolute deviations. Regime: the months since the change, flat.
   Trend: the 24 months, growing. Neither: the last `FLAT_MONTHS` (12) months, flat;
   a flat forecast from more months would lag any drift the test missed.
2. Growth: the Theil-Sen slope of log(month) (median of pairwise slopes: a spike
   cannot tilt it), a share a month, damped by `DAMPING` per month ahead; its
   standard error from Sen's rank interval (x `SE_INFLATE`), redrawn per path.
3. Paths (`PATHS`): each path moves every month along the growth to the last month,
   shifts them by how far a bootstrap resample's mean is from their mean (how well the
   history pins the level down: this dominates a 12-month sum), then walks 12 months
   by a stationary bootstrap (runs of consecutive months of mean length `BLOCK`, a
   run starting at a month weighted by recency, half-life `RESID_HALF_LIFE` months),
   each month scaled by a smoothing factor 1 + sigma x N(0, 1), and floored at 0.
   Spikes and spells of dear months thus stay in the band at the rate they happened.
   p10/p50/p90 are linear quantiles over the paths, month by month.
4. Invoiced spend and downtime cost walk the same months of the same paths (a drawn
   month brings its spend and its downtime), so break-fix = spend + downtime per
   path, and a path's managed cost carries (1 - managed_reduction) of that path's
   downtime. `p_breakfix_dearer_12m` is the share of paths whose 12-month break-fix
   is strictly above their 12-month managed cost. The `managed` line per month is the
   contract's: fee + onboarding in the first forecast month (section 11 says so
   literally, though section 5 already charged it in the spend window's first month;
   with the default onboarding_fee 0 it makes no difference) + (1 - managed_reduction)
   x that month's p50 downtime cost.

`confidence` ("circular block bootstrap of the spend window's months"): `PATHS`
resamples of the window's months, as long as the window, in runs of `BLOCK`
consecutive months (wrapping round at the end); each resample's totals give whether
break-fix was dearer (break-fix total strictly above managed total, the onboarding fee
counted once) and its break-even price (section 5's formula, floored at 0). It answers
"how far could the past verdict move with a different month or two".

Decisions where METRICS.md is silent:

* With fewer than 12 months in the spend window, `forecast.months` is [] and both
  probabilities are null; the break-even price range is given from 3 months on (below
  3 the verdict is blocked by `short_window`) and is null when `users` is 0.
* Probabilities are rounded to 3 decimals, money to cents.
* The forecast's months are the 12 after the spend window's last month.
"""

from __future__ import annotations

import bisect
import functools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate
from typing import Any

import polars as pl

from pipelines import present
from pipelines.metrics.facts import month_text
from pipelines.metrics.spend import SpendResult
from pipelines.scenario import Scenario

SCENARIO_KEYS = ("per_user", "users", "onboarding_fee", "managed_reduction")  # and the spend's
SEED = 20261203
PATHS = 2000
HORIZON = 12
MIN_MONTHS = 12
MIN_PRICE_MONTHS = 3
RECENT = 24
Z_GATE = 2.58
DAMPING = 0.98
BLOCK = 3
RESID_HALF_LIFE = 12.0
STEP_Z = 3.0
MIN_REGIME = 4
FLAT_MONTHS = 12
SE_INFLATE = 2.0
STEP_PENALTY = 0.5
JITTER = 1.5

FORECAST_METHOD = (
    "Mann-Kendall-gated damped Theil-Sen growth or Mann-Whitney regime change, then a"
    f" smoothed stationary block bootstrap of recent months ({PATHS} paths, seed {SEED})"
)
CONFIDENCE_METHOD = (
    f"circular block bootstrap of the spend window's months (blocks of {BLOCK},"
    f" {PATHS} resamples, seed {SEED})"
)


@dataclass(frozen=True)
class Projection:
    """Per forecast month p10/p50/p90 of break-fix and the p50 of downtime cost, and the
    paths' 12-month break-fix and managed sums."""

    breakfix_p10: list[float]
    breakfix_p50: list[float]
    breakfix_p90: list[float]
    downtime_p50: list[float]
    cumulative_p10: list[float]  # of the paths' running break-fix sums
    cumulative_p50: list[float]
    cumulative_p90: list[float]
    breakfix_sums: list[float]
    managed_sums: list[float]

    @property
    def p_breakfix_dearer(self) -> float:
        """Share of paths whose 12-month break-fix is strictly above their managed cost."""
        dearer = sum(1 for b, m in zip(self.breakfix_sums, self.managed_sums, strict=True)
                     if b > m)
        return dearer / len(self.breakfix_sums)


def quantile(values: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile (NumPy's default) of a non-empty sequence."""
    return _quantiles(values, (q,))[0]


def mann_kendall_z(y: Sequence[float]) -> float:
    """Mann-Kendall trend statistic z (with the tie correction; 0 when nothing varies)."""
    n = len(y)
    s = 0
    for i in range(n - 1):
        for j in range(i + 1, n):
            s += (y[j] > y[i]) - (y[j] < y[i])
    ties: dict[float, int] = {}
    for v in y:
        ties[v] = ties.get(v, 0) + 1
    var = (n * (n - 1) * (2 * n + 5)
           - sum(t * (t - 1) * (2 * t + 5) for t in ties.values())) / 18
    if var <= 0 or s == 0:
        return 0.0
    return (s - (1 if s > 0 else -1)) / math.sqrt(var)


def mann_whitney_z(before: Sequence[float], after: Sequence[float]) -> float:
    """Mann-Whitney U statistic as z (normal approximation, tie-corrected; positive when
    `after` tends to be larger)."""
    n1, n2 = len(before), len(after)
    u = 0.0
    for x in after:
        for y in before:
            u += 1.0 if x > y else 0.5 if x == y else 0.0
    values = [*before, *after]
    ties: dict[float, int] = {}
    for v in values:
        ties[v] = ties.get(v, 0) + 1
    n = n1 + n2
    var = n1 * n2 / 12 * ((n + 1) - sum(t ** 3 - t for t in ties.values()) / (n * (n - 1)))
    return 0.0 if var <= 0 else (u - n1 * n2 / 2) / math.sqrt(var)


def regime_start(y: Sequence[float]) -> int:
    """Index of the first month of the current regime: where the months from a split on
    differ most from those before (Mann-Whitney), when |z| >= `STEP_Z`; else 0.

    The later part must have at least `MIN_REGIME` months, the earlier part 6.
    """
    best, best_z = 0, 0.0
    for k in range(6, len(y) - MIN_REGIME + 1):
        z = abs(mann_whitney_z(y[:k], y[k:]))
        if z > best_z:
            best, best_z = k, z
    return best if best_z >= STEP_Z else 0


def _sad(values: Sequence[float]) -> float:
    """Sum of absolute deviations from the median."""
    m = quantile(values, 0.5)
    return math.fsum(abs(v - m) for v in values)


@dataclass(frozen=True)
class Growth:
    """Monthly growth on the log scale (Theil-Sen slope) and its standard error."""

    slope: float = 0.0
    se: float = 0.0


def growth(y: Sequence[float]) -> Growth:
    """The series' growth when Mann-Kendall finds a clear trend (|z| >= `Z_GATE`), else 0.

    The slope is Theil-Sen's on log(y) (on log(y + 10% of the mean) when a month is 0),
    so growth is a share a month. Its standard error comes from Sen's rank-based
    confidence interval, times `SE_INFLATE` (months are not independent draws).
    """
    if len(y) < 3 or not any(y) or abs(mann_kendall_z(y)) < Z_GATE:
        return Growth()
    offset = 0.0 if min(y) > 0 else max(0.1 * math.fsum(abs(v) for v in y) / len(y), 1e-9)
    logs = [math.log(max(v, 0.0) + offset) for v in y]
    n = len(logs)
    slopes = sorted((logs[j] - logs[i]) / (j - i) for i in range(n - 1) for j in range(i + 1, n))
    half_width = 1.96 * math.sqrt(n * (n - 1) * (2 * n + 5) / 18)
    lo = max(0, int((len(slopes) - half_width) / 2))
    hi = min(len(slopes) - 1, math.ceil((len(slopes) + half_width) / 2))
    return Growth(quantile(slopes, 0.5), SE_INFLATE * (slopes[hi] - slopes[lo]) / (2 * 1.96))


class _Fit:
    """One series' months moved along the growth to the last month, ready to resample."""

    def __init__(self, y: Sequence[float], g: Growth) -> None:
        n = len(y)
        self.flat_zero = not any(y)
        self.moved = [v * math.exp(g.slope * (n - 1 - t)) for t, v in enumerate(y)]
        self.mean = math.fsum(self.moved) / n
        # Smoothed bootstrap: each drawn month is scaled by a factor 1 + sigma * N(0, 1)
        # (floored at 0; mean and median 1, so sums keep their mean and a month without
        # cost stays without), sigma being `JITTER` x Silverman's bandwidth relative to
        # the mean, so a short history's p10-p90 is not pinned to its own few extremes.
        if n > 1 and self.mean > 0:
            sd = math.sqrt(math.fsum((v - self.mean) ** 2 for v in self.moved) / (n - 1))
            iqr = quantile(self.moved, 0.75) - quantile(self.moved, 0.25)
            spread = min(sd, iqr / 1.34) or sd
            self.sigma = min(JITTER * 0.9 * spread * n ** -0.2 / self.mean, 1.0)
        else:
            self.sigma = 0.0

    def shift(self, picks: Sequence[int]) -> float:
        """How far a bootstrap sample's mean is from the history's (picks: the months
        drawn, in draw order): the level's own uncertainty."""
        if self.flat_zero:
            return 0.0
        moved = self.moved
        return sum(moved[i] for i in picks) / len(picks) - self.mean

    def value(self, j: int, shift: float, u: float) -> float:
        """Month j moved to the path's level (`shift`), jittered by the normal draw `u`."""
        if self.flat_zero:
            return 0.0
        return max(0.0, self.moved[j] + shift) * max(0.0, 1.0 + self.sigma * u)


def _window(spend: list[float], downtime: list[float]
            ) -> tuple[list[float], list[float], Growth]:
    """The months the forecast learns from, and their growth: from a regime change on,
    when there is one (flat); else the last `RECENT` months when their total has a clear
    trend; else the last `FLAT_MONTHS` (flat: a flat forecast from more months would lag
    any drift the test missed)."""
    s, d = spend[-RECENT:], downtime[-RECENT:]
    total = [a + b for a, b in zip(s, d, strict=True)]
    g = growth(total)
    first = regime_start(total)
    if first and g.slope:
        n = len(total)
        moved = [v * math.exp(g.slope * (n - 1 - t)) for t, v in enumerate(total)]
        if _sad(moved) * STEP_PENALTY <= _sad(total[:first]) + _sad(total[first:]):
            first = 0
    if first:
        return s[first:], d[first:], Growth()
    if g.slope:
        return s, d, g
    return s[-FLAT_MONTHS:], d[-FLAT_MONTHS:], Growth()


def project(spend: Sequence[float], downtime: Sequence[float], *, fee: float,
            onboarding: float, managed_share: float, seed: int = SEED,
            paths: int = PATHS) -> Projection:
    """Simulated 12 months after the series (see the module docstring); len >= 1."""
    sim = _simulated(tuple(float(v) for v in spend), tuple(float(v) for v in downtime),
                     seed, paths)
    return Projection(
        breakfix_p10=[b[0] for b in sim.bands],
        breakfix_p50=[b[1] for b in sim.bands],
        breakfix_p90=[b[2] for b in sim.bands],
        downtime_p50=list(sim.downtime_p50),
        cumulative_p10=[c[0] for c in sim.cumulative],
        cumulative_p50=[c[1] for c in sim.cumulative],
        cumulative_p90=[c[2] for c in sim.cumulative],
        breakfix_sums=list(sim.breakfix_sums),
        managed_sums=[HORIZON * fee + onboarding + managed_share * dt
                      for dt in sim.downtime_sums],
    )


@dataclass(frozen=True)
class _Simulation:
    """The paths' figures that no contract setting moves (`project` prices the managed
    side from `downtime_sums`)."""

    bands: tuple[list[float], ...]  # per month: p10, p50, p90 of break-fix
    downtime_p50: tuple[float, ...]
    cumulative: tuple[list[float], ...]  # per month: p10, p50, p90 of the running sums
    breakfix_sums: tuple[float, ...]
    downtime_sums: tuple[float, ...]


@functools.lru_cache(maxsize=32)
def _simulated(spend: tuple[float, ...], downtime: tuple[float, ...], seed: int,
               paths: int) -> _Simulation:
    """The simulated paths of a history. Kept for the process: a dashboard rerun after a
    price change meets the same history again and prices it without simulating."""
    s, d, g = _window(list(spend), list(downtime))
    recent = len(s)
    fs, fd = _Fit(s, g), _Fit(d, g)
    rng = random.Random(seed)
    # The loop below draws from `rng` in a fixed order (the figures depend on it); names
    # are bound locally because it runs paths x 12 times.
    draw, gauss, choices, find = rng.random, rng.gauss, rng.choices, bisect.bisect
    months = list(range(recent))
    cum_resid = list(accumulate(0.5 ** ((recent - 1 - t) / RESID_HALF_LIFE)
                                for t in range(recent)))
    by_month: list[list[float]] = [[] for _ in range(HORIZON)]
    dt_by_month: list[list[float]] = [[] for _ in range(HORIZON)]
    cum_by_month: list[list[float]] = [[] for _ in range(HORIZON)]
    bf_sums: list[float] = []
    dt_sums: list[float] = []
    total_resid = cum_resid[-1]
    last = recent - 1
    stay = 1 / BLOCK
    s_moved, s_sigma, s_zero = fs.moved, fs.sigma, fs.flat_zero
    d_moved, d_sigma, d_zero = fd.moved, fd.sigma, fd.flat_zero
    for _ in range(paths):
        picks = choices(months, k=recent)
        ls, ld = fs.shift(picks), fd.shift(picks)
        # this path's growth: the estimate give or take its standard error
        ahead = _ahead(g.slope + gauss(0.0, 1.0) * g.se) if g.slope else [1.0] * HORIZON
        # Stationary bootstrap (Politis & Romano): runs of consecutive months of mean
        # length BLOCK, each run starting at a recency-weighted month.
        # (bisect on the cumulative weights: what random.choices does, without its setup)
        j = find(cum_resid, draw() * total_resid, 0, last)
        bf_sum = dt_sum = 0.0
        for h in range(HORIZON):
            if h and (j + 1 >= recent or draw() < stay):
                j = find(cum_resid, draw() * total_resid, 0, last)
            elif h:
                j += 1
            u = gauss(0.0, 1.0)
            # _Fit.value of each series, written out
            sv = (0.0 if s_zero else
                  max(0.0, s_moved[j] + ls) * max(0.0, 1.0 + s_sigma * u)) * ahead[h]
            dv = 0.0 if d_zero else (
                max(0.0, d_moved[j] + ld) * max(0.0, 1.0 + d_sigma * u)) * ahead[h]
            by_month[h].append(sv + dv)
            dt_by_month[h].append(dv)
            bf_sum += sv + dv
            dt_sum += dv
            cum_by_month[h].append(bf_sum)
        bf_sums.append(bf_sum)
        dt_sums.append(dt_sum)
    return _Simulation(
        bands=tuple(_quantiles(v, (0.1, 0.5, 0.9)) for v in by_month),
        downtime_p50=tuple(_quantiles(v, (0.5,))[0] for v in dt_by_month),
        cumulative=tuple(_quantiles(v, (0.1, 0.5, 0.9)) for v in cum_by_month),
        breakfix_sums=tuple(bf_sums),
        downtime_sums=tuple(dt_sums),
    )


def _ahead(slope: float) -> list[float]:
    """Growth factors for the 12 months ahead at `slope` a month, damped."""
    out, acc = [], 0.0
    for h in range(1, HORIZON + 1):
        acc += DAMPING ** h
        out.append(math.exp(slope * acc))
    return out


def _quantiles(values: Sequence[float], qs: Sequence[float]) -> list[float]:
    """Linear-interpolation quantiles of one sort of `values`."""
    s = sorted(values)
    out = []
    for q in qs:
        pos = (len(s) - 1) * q
        lo = math.floor(pos)
        hi = min(lo + 1, len(s) - 1)
        out.append(s[lo] + (s[hi] - s[lo]) * (pos - lo))
    return out


# --- the metric functions ------------------------------------------------------------------

_FORECAST_SCHEMA = pl.Schema({
    "month": pl.Date(), "breakfix_p10": pl.Float64(), "breakfix_p50": pl.Float64(),
    "breakfix_p90": pl.Float64(), "managed": pl.Float64(),
    "cumulative_breakfix_p10": pl.Float64(), "cumulative_breakfix_p50": pl.Float64(),
    "cumulative_breakfix_p90": pl.Float64(), "cumulative_managed": pl.Float64(),
})
_JSON_MONEY = tuple(c for c in _FORECAST_SCHEMA if c != "month")


@dataclass(frozen=True)
class Forecast:
    """The 12 months after the spend window: break-fix band and the managed line."""

    method: str
    # month, breakfix_p10/p50/p90, managed, and the cumulative sums continuing those of
    # the spend window: cumulative_breakfix_p10/p50/p90 (quantiles of the paths' running
    # sums, not sums of monthly quantiles) and cumulative_managed
    months: pl.DataFrame
    p_breakfix_dearer_12m: float | None


@dataclass(frozen=True)
class Confidence:
    """How firmly the spend window carries the verdict, from resampling its months."""

    method: str
    p_breakfix_dearer: float | None
    break_even_price_p10: float | None
    break_even_price_p90: float | None


def _series(monthly: pl.DataFrame) -> tuple[list[float], list[float]]:
    return ([float(v) for v in monthly.get_column("spend")],
            [float(v) for v in monthly.get_column("downtime_cost")])


def _share(scenario: Scenario) -> float:
    return 1.0 - float(scenario.managed_reduction)


def _after(month: date, k: int) -> date:
    i = month.year * 12 + month.month - 1 + k
    return date(i // 12, i % 12 + 1, 1)


def forecast(cost: SpendResult, scenario: Scenario, *, seed: int = SEED) -> Forecast:
    """Break-fix p10/p50/p90 and the managed cost for the 12 months after the spend window;
    no months and a null probability under `MIN_MONTHS` months of spend window."""
    monthly = cost.monthly
    if monthly.height < MIN_MONTHS:
        return Forecast(FORECAST_METHOD, pl.DataFrame(schema=_FORECAST_SCHEMA), None)
    spend, down = _series(monthly)
    fee, onboarding, share = float(cost.monthly_fee), float(scenario.onboarding_fee), \
        _share(scenario)
    p = project(spend, down, fee=fee, onboarding=onboarding, managed_share=share, seed=seed)
    last = monthly.get_column("month")[-1]
    managed = [fee + (onboarding if h == 0 else 0.0) + share * p.downtime_p50[h]
               for h in range(HORIZON)]
    cum_bf = float(monthly.get_column("cumulative_breakfix")[-1])
    cum_managed = float(monthly.get_column("cumulative_managed")[-1])
    running, acc = [], 0.0
    for m in managed:
        acc += m
        running.append(cum_managed + acc)
    months = pl.DataFrame({
        "month": [_after(last, h + 1) for h in range(HORIZON)],
        "breakfix_p10": p.breakfix_p10,
        "breakfix_p50": p.breakfix_p50,
        "breakfix_p90": p.breakfix_p90,
        "managed": managed,
        "cumulative_breakfix_p10": [cum_bf + v for v in p.cumulative_p10],
        "cumulative_breakfix_p50": [cum_bf + v for v in p.cumulative_p50],
        "cumulative_breakfix_p90": [cum_bf + v for v in p.cumulative_p90],
        "cumulative_managed": running,
    }, schema=_FORECAST_SCHEMA)
    return Forecast(FORECAST_METHOD, months, round(p.p_breakfix_dearer, 3))


def confidence(cost: SpendResult, scenario: Scenario, *, seed: int = SEED,
               resamples: int = PATHS) -> Confidence:
    """P(break-fix was dearer over the spend window) and the break-even price's p10-p90,
    from a circular block bootstrap of the window's months."""
    n = cost.monthly.height
    if n < MIN_PRICE_MONTHS:
        return Confidence(CONFIDENCE_METHOD, None, None, None)
    spend, down = _series(cost.monthly)
    fee, onboarding, share = float(cost.monthly_fee), float(scenario.onboarding_fee), \
        _share(scenario)
    users, per_user = scenario.users, float(scenario.per_user)
    base, any_down = n * fee + onboarding, any(down)
    dearer = 0
    prices: list[float] = []
    for breakfix, downtime in _resampled(tuple(spend), tuple(down), seed, resamples):
        managed = base + (share * downtime if any_down else 0.0)
        dearer += breakfix > managed
        if users:
            prices.append(max(0.0, per_user + (breakfix - managed) / (users * n)))
    p = round(dearer / resamples, 3) if n >= MIN_MONTHS else None
    if not prices:
        return Confidence(CONFIDENCE_METHOD, p, None, None)
    lo, hi = _quantiles(prices, (0.1, 0.9))
    return Confidence(CONFIDENCE_METHOD, p, lo, hi)


@functools.lru_cache(maxsize=32)
def _resampled(spend: tuple[float, ...], down: tuple[float, ...], seed: int,
               resamples: int) -> tuple[tuple[float, float], ...]:
    """Per resample of the months: its break-fix (spend + downtime) and its downtime cost.
    Kept for the process, as `_simulated`: no contract setting moves them."""
    n = len(spend)
    rng = random.Random(seed)
    block = min(BLOCK, n)
    total = [a + b for a, b in zip(spend, down, strict=True)]
    out = []
    for _ in range(resamples):
        picks: list[int] = []
        while len(picks) < n:
            start = rng.randrange(n)
            picks.extend((start + k) % n for k in range(block))
        picks = picks[:n]
        out.append((sum(total[i] for i in picks), sum(down[i] for i in picks)))
    return tuple(out)


def _cents(value: float | None) -> float | None:
    """Money as a JSON number rounded half-up to cents."""
    if value is None:
        return None
    return float(Decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP))


def forecast_json(f: Forecast) -> dict[str, Any]:
    """The `forecast` object of METRICS.md section 7."""
    return {
        "method": f.method,
        "months": [
            {"month": month_text(r["month"]),
             **{k: _cents(r[k]) for k in _JSON_MONEY}}
            for r in f.months.iter_rows(named=True)
        ],
        "p_breakfix_dearer_12m": f.p_breakfix_dearer_12m,
    }


def confidence_json(c: Confidence) -> dict[str, Any]:
    """The `confidence` object of METRICS.md section 7."""
    return {
        "method": c.method,
        "p_breakfix_dearer": c.p_breakfix_dearer,
        "break_even_price_p10": _cents(c.break_even_price_p10),
        "break_even_price_p90": _cents(c.break_even_price_p90),
    }


# (lowest probability, words) for "a managed contract ... would <words> cost less"; below
# 0.4 the sentence turns round to "cost more" with the same bands mirrored.
LIKELIHOOD = ((0.9, "almost certainly"), (0.75, "very likely"), (0.6, "likely"))


def forward_look(p_breakfix_dearer_12m: float | None, per_user: float, users: int,
                 monthly_fee: float, currency: str | None = None) -> str:
    """The forward probability in words: 'A managed contract at GBP 125 per user would very
    likely cost less than break-fix over the next 12 months (83%).'"""
    if p_breakfix_dearer_12m is None:
        return (f"No forward look yet: it needs at least {MIN_MONTHS} months of spend data"
                " to learn from.")
    price = (f"{present.money(per_user, currency)} per user" if users
             else f"{present.money(monthly_fee, currency)} a month")
    p = p_breakfix_dearer_12m
    head = f"A managed contract at {price} would"
    tail = "than break-fix over the next 12 months"
    if 0.4 <= p <= 0.6:
        return (f"{head} be about as likely as not to cost less {tail}"
                f" ({present.percent(p)} chance).")
    less = p > 0.6
    chance = p if less else 1 - p
    words = next((w for lo, w in LIKELIHOOD if chance >= lo), "likely")
    return (f"{head} {words} cost {'less' if less else 'more'} {tail}"
            f" ({present.percent(min(chance, 0.999))}).")  # 2,000 paths never prove 100%


def confidence_text(conf: dict[str, Any] | None, currency: str | None = None) -> str | None:
    """How firm the past verdict is, in a sentence (None when there is nothing to say)."""
    c = conf or {}
    p, lo, hi = c.get("p_breakfix_dearer"), c.get("break_even_price_p10"), \
        c.get("break_even_price_p90")
    parts = []
    if p is not None:
        share = ("none" if p == 0 else "every one" if p == 1 else present.percent(p))
        parts.append(f"break-fix was dearer than the contract in {share} of"
                     f" {PATHS:,} resamples of the months compared")
    if lo is not None and hi is not None:
        parts.append(f"the break-even price falls between {present.money(lo, currency, 2)}"
                     f" and {present.money(hi, currency, 2)} per user in 8 of 10")
    if not parts:
        return None
    text = "; ".join(parts)
    return f"How firm the verdict is: {text} (a different month or two could move it so far)."
