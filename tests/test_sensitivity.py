"""Which inputs move the verdict: break-even price and crossover at each end of a range."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines import charts, cli, workspace
from pipelines.metrics.sensitivity import levers, row_labels, sensitivity, sensitivity_table
from pipelines.scenario import Scenario

HEADER = "Invoice Number,Invoice Date,Customer,Line Type,Description,Amount,Currency\n"


@pytest.fixture
def flat_4000(tmp_path: Path) -> Path:
    """24 months (2023-01..2024-12) of one 4,000 labour line each; no tickets."""
    rows = "".join(f"{i + 1},{2023 + i // 12}-{i % 12 + 1:02d}-15,Acme,Labour,Support,4000.00,GBP\n"
                   for i in range(24))
    (tmp_path / "inv.csv").write_text(HEADER + rows, encoding="utf-8")
    d = tmp_path / "data"
    assert cli.main(["ingest", str(tmp_path / "inv.csv"), "--workspace", "w",
                     "--data-dir", str(d)]) == 0
    return d


def test_each_end_is_recomputed_by_hand(flat_4000: Path) -> None:
    """Break-fix 96,000 over 24 months. Scenario 125 x 25 users: break-even
    125 + (96,000 - 75,000) / (25 x 24) = 160; crossover in the first month (4,000 > 3,125).
    Users 12 and 38 (x0.5, x1.5 rounded): 96,000 / (12 x 24) = 333.33 and
    96,000 / (38 x 24) = 105.26, crossover 2023-01 and never (38 x 125 = 4,750 > 4,000).
    Price 62.50 and 187.50: the break-even stays 160, the crossover 2023-01 and never.
    No ticket has downtime, so downtime cost, the share it avoids and the recurrence window
    move nothing."""
    with workspace.connect("w", flat_4000, read_only=True) as con:
        f = sensitivity(con, Scenario())
    rows = {r["setting"]: r for r in f.iter_rows(named=True)}
    assert f.get_column("setting").to_list() == [
        "users", "per_user", "cost_per_user_hour", "managed_reduction", "recurrence_days"]
    u = rows["users"]
    assert (u["low"], u["high"]) == (12, 38)
    assert u["price_base"] == pytest.approx(160)
    assert u["price_low"] == pytest.approx(333.3333, abs=1e-3)
    assert u["price_high"] == pytest.approx(105.2632, abs=1e-3)
    assert (u["crossover_low"], u["crossover_high"]) == ("2023-01", None)
    p = rows["per_user"]
    assert p["price_low"] == p["price_high"] == pytest.approx(160)
    assert (p["crossover_low"], p["crossover_high"]) == ("2023-01", None)
    for key in ("cost_per_user_hour", "managed_reduction", "recurrence_days"):
        r = rows[key]
        assert r["price_low"] == r["price_high"] == pytest.approx(160)
        assert r["crossover_low"] == r["crossover_high"] == "2023-01"
        assert r["price_swing"] == 0


def test_ranges_follow_the_scenario() -> None:
    """Downtime cost at 0 is tried at 0 and 50; set, at x0.5 and x1.5."""
    got = {lv.key: (lv.low, lv.high) for lv in levers(Scenario(cost_per_user_hour=40))}
    assert got == {"per_user": (62.5, 187.5), "users": (12, 38),
                   "cost_per_user_hour": (20, 60), "managed_reduction": (0, 0.8),
                   "recurrence_days": (7, 90)}
    assert {lv.key: (lv.low, lv.high) for lv in levers(Scenario())}["cost_per_user_hour"] \
        == (0, 50)


def test_table_and_tornado(flat_4000: Path) -> None:
    with workspace.connect("w", flat_4000, read_only=True) as con:
        f = sensitivity(con, Scenario())
    table = sensitivity_table(f, "GBP")
    first = table.row(0, named=True)
    assert first["Input"] == "Users covered" and first["Range"] == "12 to 38"
    assert first["Break-even at low end"] == "GBP 333.33"
    assert first["Crossover at high end"] == "never"
    fig = charts.sensitivity_tornado(f, "GBP", row_labels(f, "GBP"))
    low, high = fig.data
    # bars drawn from the scenario's price; the largest mover on top (plotly draws y upwards)
    assert low.base == 160 or list(low.base) == [160]
    assert low.y[-1].startswith("Users covered (12 to 38)")
    assert high.x[-1] == pytest.approx(105.2632 - 160, abs=1e-3)


def test_no_spend_and_no_users(tmp_path: Path, flat_4000: Path) -> None:
    """No spend: an empty frame and a chart that says so. No users: no price to move."""
    with workspace.connect("empty", tmp_path / "data"):
        pass
    with workspace.connect("empty", tmp_path / "data", read_only=True) as con:
        assert sensitivity(con, Scenario()).is_empty()
    with workspace.connect("w", flat_4000, read_only=True) as con:
        f = sensitivity(con, Scenario(users=0, flat_monthly=3000))
    assert f.get_column("price_base").null_count() == f.height
    fig = charts.sensitivity_tornado(f, None)
    assert "No break-even price" in fig.layout.annotations[0].text
