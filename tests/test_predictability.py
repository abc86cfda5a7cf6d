"""Cost predictability (METRICS.md section 9), worked out by hand.

End to end: six months of labour invoices, Jan-Jun 2024, of 100, 300, 200, 600, 200, 400,
loaded by the real CLI; the managed fee is 10 per user x 20 users = 200 a month.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from pipelines.cli import main
from pipelines.metrics.predictability import cv_in_words, predictability_of, quantile
from pipelines.metrics.spend import SpendResult

INVOICES = """Invoice Number,Invoice Date,Customer,Description,Line Type,Amount
I1,2024-01-15,Acme,Printer fix,Labour,100.00
I2,2024-02-15,Acme,Server call-out,Labour,300.00
I3,2024-03-15,Acme,Laptop rebuild,Labour,200.00
I4,2024-04-15,Acme,Network outage,Labour,600.00
I5,2024-05-15,Acme,Email issue,Labour,200.00
I6,2024-06-15,Acme,Backup restore,Labour,400.00
"""


def metrics(tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    capsys.readouterr()
    assert main(["metrics", "-w", "p", "--json", "--data-dir", str(tmp_path), *extra]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    f = tmp_path / "invoices.csv"
    f.write_text(INVOICES, encoding="utf-8")
    d = str(tmp_path)
    assert main(["ingest", str(f), "-w", "p", "--data-dir", d]) == 0
    assert main(["scenario", "-w", "p", "--data-dir", d,
                 "--set", "per_user=10", "--set", "users=20"]) == 0
    return tmp_path


def test_predictability_by_hand(loaded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """mean 1800/6 = 300; deviations -200, 0, -100, 300, -100, 100, squares sum 160,000,
    / 5 = 32,000, std = 178.885 -> 178.89; cv 0.5963 -> 0.60 (2 decimals, half-up); sorted 100, 200, 200, 300, 400, 600:
    p90 (h = 4.5) 400 + 0.5 x 200 = 500; worst 2024-04 (600); above the fee of 200 (strictly):
    300, 600, 400 = 3 months. Surprises: Apr 600 - mean(100, 300, 200) = 400; May 200 - 300 =
    -100; Jun 400 - 280 = 120 -> largest 2024-04, 400. Managed is 200 every month: cv 0."""
    p = metrics(loaded, capsys)["predictability"]
    assert p == {
        "months": 6, "mean": 300.0, "std": 178.89, "cv": 0.6, "p90": 500.0,
        "worst_month": "2024-04", "worst_amount": 600.0, "months_above_fee": 3,
        "largest_surprise_month": "2024-04", "largest_surprise_amount": 400.0,
        "managed_cv": 0.0,
    }


def test_managed_cv_with_onboarding(loaded: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """An onboarding fee of 600 in the first month: managed 800, 200 x 5; mean 300; squares
    250,000 + 5 x 10,000 = 300,000, / 5 = 60,000, std 244.949; cv 0.8165 -> 0.82."""
    f = tmp_path / "s.toml"
    f.write_text("onboarding_fee = 600\n", encoding="utf-8")
    assert metrics(loaded, capsys, "--scenario", str(f))["predictability"]["managed_cv"] == 0.82


def test_no_spend_gives_nulls(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Tickets without money: no spend source, months 0, every figure null."""
    t = tmp_path / "t.csv"
    t.write_text("Ticket Number,Created,Resolved\nA,2024-03-04 09:00,2024-03-04 10:00\n",
                 encoding="utf-8")
    assert main(["ingest", str(t), "-w", "p", "--data-dir", str(tmp_path)]) == 0
    p = metrics(tmp_path, capsys)["predictability"]
    assert p["months"] == 0
    assert all(v is None for k, v in p.items() if k != "months")


def result(values: list[str], fee: str = "200", managed: list[str] | None = None) -> SpendResult:
    months = [date(2024 + i // 12, i % 12 + 1, 1) for i in range(len(values))]
    money = pl.Decimal(38, 4)
    monthly = pl.DataFrame(
        {"month": months, "breakfix": [Decimal(v) for v in values],
         "managed": [Decimal(v) for v in (managed or [fee] * len(values))]},
        schema={"month": pl.Date, "breakfix": money, "managed": money})
    return SpendResult("invoices", {}, monthly, None, None, None, Decimal(fee))


def test_ties_are_the_earliest_month() -> None:
    """Worst: 500 in Jan, Mar and Apr -> Jan. Surprises: Apr 500 - mean(500, 100, 300) = 200;
    May 550 - mean(500, 100, 300, 500) = 550 - 350 = 200: a tie -> Apr."""
    assert predictability_of(result(["500", "100", "500", "500"])).worst_month == "2024-01"
    p = predictability_of(result(["500", "100", "300", "500", "550"]))
    assert (p.worst_month, p.worst_amount) == ("2024-05", Decimal(550))
    assert (p.largest_surprise_month, p.largest_surprise_amount) == ("2024-04", Decimal(200))


def test_surprise_uses_at_most_twelve_earlier_months() -> None:
    """14 months: 12 x 100, then 100, then 1,400. Month 14's trailing mean is the 12 months
    before it (months 2-13, all 100): surprise 1,300; month 13's is 0."""
    p = predictability_of(result(["100"] * 13 + ["1400"]))
    assert (p.largest_surprise_month, p.largest_surprise_amount) == ("2025-02", Decimal(1300))
    assert p.monthly["surprise"].to_list()[:3] == [None, None, None]


def test_few_months() -> None:
    """One month: std, cv, managed_cv null; p90 the value; no surprise (3 earlier months
    needed). Three months: still no surprise. A zero mean: cv null."""
    p = predictability_of(result(["250"]))
    assert (p.months, p.mean, p.std, p.cv, p.p90) == (1, Decimal(250), None, None, Decimal(250))
    assert p.managed_cv is None and p.largest_surprise_month is None
    assert p.months_above_fee == 1
    assert predictability_of(result(["1", "2", "3"])).largest_surprise_amount is None
    assert predictability_of(result(["100", "-100"])).cv is None


def test_linear_quantile_matches_numpy_definition() -> None:
    """[1, 2, 3, 4]: p90 at h = 2.7 -> 3 + 0.7 = 3.7; median 2.5."""
    xs = [Decimal(v) for v in (4, 1, 3, 2)]
    assert quantile(xs, Decimal("0.9")) == Decimal("3.7")
    assert quantile(xs, Decimal("0.5")) == Decimal("2.5")


def test_cv_in_words() -> None:
    assert cv_in_words(Decimal("0.4012")) == "a typical month is 40% off the average"
    assert cv_in_words(None).startswith("too few months")
