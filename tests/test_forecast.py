"""The forward look and the confidence of the verdict (METRICS.md section 11)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from pipelines import cli, workspace
from pipelines.metrics import Filters
from pipelines.metrics import forecast as fc
from pipelines.metrics.spend import SpendResult
from pipelines.metrics.summary import metrics_json
from pipelines.scenario import Scenario

REPO = Path(__file__).resolve().parents[1]
HEADER = "Invoice Number,Invoice Date,Customer,Line Type,Description,Amount,Currency\n"


def invoices(path: Path, months: list[tuple[int, int, float]], first_id: int = 1) -> Path:
    """A generic invoice CSV: one labour line per (year, month, amount), dated the 15th."""
    lines = [f"{first_id + i},{y:04d}-{m:02d}-15,Acme,Labour,Remote support,{amount:.2f},GBP\n"
             for i, (y, m, amount) in enumerate(months)]
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def month_list(start_year: int, count: int, amount: float) -> list[tuple[int, int, float]]:
    return [(start_year + i // 12, i % 12 + 1, amount) for i in range(count)]


def load(data_dir: Path, name: str, *files: Path) -> None:
    assert cli.main(["ingest", *map(str, files), "--workspace", name,
                     "--data-dir", str(data_dir)]) == 0


def metrics(data_dir: Path, name: str, *extra: str) -> dict:
    with workspace.connect(name, data_dir, read_only=True) as con:
        to = extra[extra.index("--to") + 1] if "--to" in extra else None
        return metrics_json(con, name, Scenario(), Filters(month_to=to))


# --- the statistics, by hand ---------------------------------------------------------------

def test_mann_kendall_z_of_a_rising_run() -> None:
    """[1, 2, 3, 4, 5]: all 10 pairs rise, S = 10; var = 5*4*15/18 = 16.667;
    z = (10 - 1) / sqrt(16.667) = 2.2045. A constant series has no trend (z = 0)."""
    assert fc.mann_kendall_z([1, 2, 3, 4, 5]) == pytest.approx(9 / math.sqrt(300 / 18))
    assert fc.mann_kendall_z([7, 7, 7, 7]) == 0.0


def test_growth_of_an_exact_exponential_is_its_rate_and_a_flat_series_has_none() -> None:
    """100 x 1.05^t over 24 months: every pairwise log slope is log(1.05), so Theil-Sen
    gives exactly that, with no spread; a flat series fails the Mann-Kendall gate."""
    g = fc.growth([100 * 1.05 ** t for t in range(24)])
    assert g.slope == pytest.approx(math.log(1.05))
    assert g.se == pytest.approx(0.0, abs=1e-12)
    assert fc.growth([100.0, 120.0, 90.0, 110.0] * 6) == fc.Growth()


def test_regime_start_finds_a_step_and_ignores_noise_free_flat() -> None:
    """12 months at 1000 then 8 at 3000: the split with the largest Mann-Whitney z is at
    index 12 (every later month above every earlier one)."""
    assert fc.regime_start([1000.0] * 12 + [3000.0] * 8) == 12
    assert fc.regime_start([1000.0] * 20) == 0


def test_quantile_is_linear_interpolation() -> None:
    """[1, 2, 3, 4]: position 0.1 * 3 = 0.3 -> 1.3; the median 2.5."""
    assert fc.quantile([4, 1, 3, 2], 0.1) == pytest.approx(1.3)
    assert fc.quantile([4, 1, 3, 2], 0.5) == pytest.approx(2.5)


def test_a_constant_history_forecasts_itself_and_the_probability_is_strict() -> None:
    """24 months of 1000, no downtime: no trend, no spread, no jitter, so every path is
    1000 a month: p10 = p50 = p90 = 1000, 12-month break-fix 12,000. Against a fee of 999
    (managed 11,988) break-fix is dearer on every path (1.0); against 1000 it is equal,
    which is not dearer (0.0)."""
    p = fc.project([1000.0] * 24, [0.0] * 24, fee=999, onboarding=0, managed_share=1)
    assert p.breakfix_p10 == p.breakfix_p50 == p.breakfix_p90 == [1000.0] * 12
    assert p.cumulative_p50[-1] == pytest.approx(12_000)
    assert p.p_breakfix_dearer == 1.0
    assert fc.project([1000.0] * 24, [0.0] * 24, fee=1000, onboarding=0,
                      managed_share=1).p_breakfix_dearer == 0.0


def test_downtime_cost_in_the_managed_line_and_the_onboarding_fee_in_its_first_month() -> None:
    """Spend 500 and downtime 200 every month, fee 600, onboarding 1000, reduction 0.5:
    break-fix 700 a month; managed = 600 + 0.5 x 200 = 700, plus 1000 in the first forecast
    month. Over 12 months break-fix 8,400 against managed 9,400: never dearer."""
    monthly = pl.DataFrame({
        "month": pl.date_range(pl.date(2023, 1, 1), pl.date(2024, 12, 1), "1mo", eager=True),
        "spend": [500.0] * 24, "downtime_cost": [200.0] * 24,
        "cumulative_breakfix": [700.0 * (i + 1) for i in range(24)],
        "cumulative_managed": [700.0 * (i + 1) for i in range(24)],
    })
    result = SpendResult("invoices", {}, monthly, None, None, None, Decimal(600))
    f = fc.forecast(result, Scenario(per_user=24, users=25, onboarding_fee=1000,
                                     managed_reduction=0.5))
    assert f.months.get_column("breakfix_p50").to_list() == [700.0] * 12
    assert f.months.get_column("managed").to_list() == [1700.0] + [700.0] * 11
    assert f.months.get_column("month")[0] == date(2025, 1, 1)
    assert f.months.get_column("cumulative_managed")[-1] == pytest.approx(16_800 + 9_400)
    assert f.p_breakfix_dearer_12m == 0.0


# --- through the workspace ---------------------------------------------------------------------

def test_short_and_empty_spend_windows(tmp_path: Path) -> None:
    """11 months: no forecast months, both probabilities null, but a break-even range
    (11 months of 2000 against 25 x 125 = 3125: every resample gives 125 + (2000 - 3125) /
    25 = 80 per user). No spend at all: everything null."""
    d = tmp_path / "data"
    load(d, "short", invoices(tmp_path / "inv.csv", month_list(2024, 11, 2000)))
    m = metrics(d, "short")
    assert m["forecast"]["months"] == [] and m["forecast"]["p_breakfix_dearer_12m"] is None
    assert m["confidence"]["p_breakfix_dearer"] is None
    assert m["confidence"]["break_even_price_p10"] == m["confidence"]["break_even_price_p90"] \
        == 80.0
    with workspace.connect("none", d):
        pass
    m = metrics(d, "none")
    assert m["forecast"]["months"] == []
    assert m["confidence"] == {"method": fc.CONFIDENCE_METHOD, "p_breakfix_dearer": None,
                               "break_even_price_p10": None, "break_even_price_p90": None}


def test_json_keys_follow_the_contract(tmp_path: Path) -> None:
    d = tmp_path / "data"
    load(d, "flat", invoices(tmp_path / "inv.csv", month_list(2023, 24, 4000)))
    m = metrics(d, "flat")
    assert set(m["forecast"]) == {"method", "months", "p_breakfix_dearer_12m"}
    assert set(m["confidence"]) == {"method", "p_breakfix_dearer", "break_even_price_p10",
                                    "break_even_price_p90"}
    first = m["forecast"]["months"][0]
    assert first["month"] == "2025-01" and len(m["forecast"]["months"]) == 12
    assert {"breakfix_p10", "breakfix_p50", "breakfix_p90", "managed"} <= set(first)
    # 4000 a month against 3125: break-fix dearer for sure, past and future
    assert m["forecast"]["p_breakfix_dearer_12m"] == 1.0
    assert m["confidence"]["p_breakfix_dearer"] == 1.0
    assert first["breakfix_p50"] == 4000.0 and first["managed"] == 3125.0


def test_rows_after_to_change_neither_forecast_nor_confidence(tmp_path: Path) -> None:
    """With --to 2024-12, loading 2025's invoices (at ten times the level) changes nothing."""
    d = tmp_path / "data"
    rising = [(2023 + i // 12, i % 12 + 1, 2000 + 150 * i) for i in range(24)]
    load(d, "w", invoices(tmp_path / "a.csv", rising))
    before = metrics(d, "w", "--to", "2024-12")
    load(d, "w", invoices(tmp_path / "b.csv", month_list(2025, 6, 40_000), first_id=100))
    after = metrics(d, "w", "--to", "2024-12")
    assert after["forecast"] == before["forecast"]
    assert after["confidence"] == before["confidence"]
    assert metrics(d, "w")["forecast"] != before["forecast"]


def test_two_processes_give_byte_identical_json(tmp_path: Path) -> None:
    """`breakeven metrics --json` in two processes with different hash seeds: same bytes."""
    d = tmp_path / "data"
    noisy = [(2023 + i // 12, i % 12 + 1, 2500 + (i * 7919 % 13) * 180) for i in range(30)]
    load(d, "w", invoices(tmp_path / "a.csv", noisy))
    outs = []
    for seed in ("1", "2"):
        outs.append(subprocess.run(
            [sys.executable, "-m", "pipelines.cli", "metrics", "--workspace", "w",
             "--data-dir", str(d), "--json"], check=True, capture_output=True, cwd=REPO,
            env={**os.environ, "PYTHONHASHSEED": seed}).stdout)
    assert outs[0] == outs[1]
    f = json.loads(outs[0])["forecast"]
    assert len(f["months"]) == 12
    assert all(r["breakfix_p10"] <= r["breakfix_p50"] <= r["breakfix_p90"] for r in f["months"])


def test_sample_workspace_has_a_forward_look_line(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "data"
    load(d, "acme", *sorted((REPO / "sample_data" / "acme").glob("*.csv")))
    capsys.readouterr()
    assert cli.main(["metrics", "--workspace", "acme", "--data-dir", str(d)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "forward look" in x)
    assert "A managed contract at GBP 125 per user would" in line
    assert "over the next 12 months" in line


# --- words -------------------------------------------------------------------------------

@pytest.mark.parametrize(("p", "words"), [
    (0.95, "almost certainly cost less than break-fix over the next 12 months (95%)"),
    (0.83, "very likely cost less than break-fix over the next 12 months (83%)"),
    (0.65, "likely cost less"),
    (0.5, "be about as likely as not to cost less"),
    (0.3, "likely cost more than break-fix over the next 12 months (70%)"),
    (0.2, "very likely cost more"),
    (0.0, "almost certainly cost more than break-fix over the next 12 months (over 99%)"),
])
def test_forward_look_words(p: float, words: str) -> None:
    text = fc.forward_look(p, 125, 25, 3125, "GBP")
    assert text.startswith("A managed contract at GBP 125 per user would ")
    assert words in text


def test_forward_look_without_users_names_the_monthly_fee_and_without_data_says_why() -> None:
    assert fc.forward_look(0.8, 0, 0, 2000, None).startswith(
        "A managed contract at 2,000 a month would very likely cost less")
    assert "at least 12 months" in fc.forward_look(None, 125, 25, 3125)


# --- the bar of section 11, on seeded histories ----------------------------------------

def test_backtest_on_seeded_families_meets_the_bar() -> None:
    """Pooled over the benchmark's families (10 seeded histories each, seed 7): the 80%
    band covers 65-95% of actual months, the p50 beats the trailing-12-month mean, and
    the Brier score of p_breakfix_dearer_12m is under 0.2."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import backtest
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    score = backtest.Score()
    for family in backtest.FAMILIES:
        for case in backtest.synthetic_cases(family, 10):
            score.add(case)
    assert 0.65 <= score.covered / score.months <= 0.95
    assert score.abs_err < score.abs_err_naive
    assert score.brier / score.cases < 0.2


def test_a_second_price_reuses_the_paths_and_prices_them_as_a_fresh_run() -> None:
    """The simulated paths are kept per history (a dashboard price change meets the same
    history again): another fee, onboarding or share gives what a first run gives, and a
    caller changing its Projection does not change the next one."""
    spend = [1000.0 + 40 * t for t in range(24)]
    down = [50.0 * (t % 5) for t in range(24)]
    first = fc.project(spend, down, fee=1200, onboarding=0, managed_share=1)
    first.breakfix_p50[0] = -1.0
    first.managed_sums.clear()
    again = fc.project(spend, down, fee=900, onboarding=500, managed_share=0.6)
    fc._simulated.cache_clear()
    fresh = fc.project(spend, down, fee=900, onboarding=500, managed_share=0.6)
    assert again == fresh
    assert again.breakfix_p50[0] > 0
    assert again.breakfix_sums == fc.project(spend, down, fee=1200, onboarding=0,
                                             managed_share=1).breakfix_sums
    assert again.managed_sums != fc.project(spend, down, fee=1200, onboarding=0,
                                            managed_share=1).managed_sums
