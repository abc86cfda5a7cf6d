"""Response times, business-time TTR and the SLA replay (METRICS.md section 10), end to end:
a generic ticket CSV loaded by the real CLI, figures read from `metrics --json`.

The eight tickets (UTC workspace, default schedule Mon-Fri 09:00-17:00, default targets
respond P1 1 / P2 2 / P3 4 h, resolve P1 4 / P2 8 / P3 24 h); week of Mon 4 Mar 2024:

| # | pri | opened | responded | resolved | resp cal / bus | ttr cal / bus |
|---|-----|--------|-----------|----------|----------------|---------------|
| 1 | P1 | Mon 09:00 | Mon 09:30 | Mon 12:00 | 0.5 / 0.5 | 3 / 3 |
| 2 | P1 | Mon 16:00 | Mon 18:00 | Tue 11:00 | 2 / 1 (= target: no breach) | 19 / 1+2 = 3 |
| 3 | P2 | Fri 16:00 | Mon 09:30 | Mon 15:00 | 65.5 / 1+0.5 = 1.5 | 71 / 1+6 = 7 |
| 4 | P2 | Sat 10:00 | Sat 10:05 | Mon 17:30 | 1/12 / 0 | 55.5 / 8 (= target) |
| 5 | P3 | Tue 10:00 | Tue 15:00 | Thu 10:00 | 5 / 5 (> 4: breach) | 48 / 7+8+1 = 16 |
| 6 | P3 | Wed 09:00 | - | Mon 10:00 | - | 121 / 8+8+8+1 = 25 (> 24: breach) |
| 7 | P4 | Mon 08:00 | Mon 07:00 (before opening: not timed) | open | - | - |
| 8 | - | Tue 09:00 | Tue 10:00 | Tue 11:00 | 1 / 1 | 2 / 2 |
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.cli import main

CSV = """Ticket Number,Priority,Created,First Response,Resolved
T1,P1,2024-03-04 09:00,2024-03-04 09:30,2024-03-04 12:00
T2,P1,2024-03-04 16:00,2024-03-04 18:00,2024-03-05 11:00
T3,P2,2024-03-08 16:00,2024-03-11 09:30,2024-03-11 15:00
T4,P2,2024-03-09 10:00,2024-03-09 10:05,2024-03-11 17:30
T5,P3,2024-03-05 10:00,2024-03-05 15:00,2024-03-07 10:00
T6,P3,2024-03-06 09:00,,2024-03-11 10:00
T7,P4,2024-03-04 08:00,2024-03-04 07:00,
T8,,2024-03-05 09:00,2024-03-05 10:00,2024-03-05 11:00
"""


def metrics(tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    capsys.readouterr()
    assert main(["metrics", "-w", "svc", "--json", "--data-dir", str(tmp_path), *extra]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def loaded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    tickets = tmp_path / "tickets.csv"
    tickets.write_text(CSV, encoding="utf-8")
    assert main(["ingest", str(tickets), "-w", "svc", "--data-dir", str(tmp_path)]) == 0
    return tmp_path


def test_response_statistics(loaded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Timed responses (calendar hours): 0.5, 2, 65.5, 1/12, 5, 1 -> count 6, mean
    74.0833/6 = 12.35; sorted 1/12, 0.5, 1, 2, 5, 65.5: median (h = 2.5) 1.5, p90 (h = 4.5)
    5 + 0.5 x 60.5 = 35.25. P1 (0.5, 2): median 1.25, p90 0.5 + 0.9 x 1.5 = 1.85; P2 (1/12,
    65.5): median 32.79, p90 1/12 + 0.9 x 65.4167 = 58.96; P3: 5; unknown (ticket 8): 1."""
    out = metrics(loaded, capsys)
    r = out["response"]
    assert (r["count"], r["mean_hours"], r["median_hours"], r["p90_hours"]) == (6, 12.35, 1.5, 35.25)
    assert r["by_priority"] == {
        "P1": {"count": 2, "median_hours": 1.25, "p90_hours": 1.85},
        "P2": {"count": 2, "median_hours": 32.79, "p90_hours": 58.96},
        "P3": {"count": 1, "median_hours": 5.0, "p90_hours": 5.0},
        "P4": {"count": 0, "median_hours": None, "p90_hours": None},
        "P5": {"count": 0, "median_hours": None, "p90_hours": None},
        "unknown": {"count": 1, "median_hours": 1.0, "p90_hours": 1.0},
    }


def test_ttr_business(loaded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Business TTR of the 7 resolved tickets: 3, 3, 7, 8, 16, 25, 2 -> mean 64/7 = 9.14;
    sorted 2, 3, 3, 7, 8, 16, 25: median 7, p90 (h = 5.4) 16 + 0.4 x 9 = 19.6."""
    out = metrics(loaded, capsys)
    assert out["ttr_business"] == {"count": 7, "mean_hours": 9.14, "median_hours": 7.0,
                                   "p90_hours": 19.6}
    assert out["ttr"]["count"] == 7  # the same tickets, in calendar time


def test_sla_replay(loaded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Respond: P1 2 timed, 0 breached (ticket 2 is exactly 1 h); P2 2, 0; P3 1, 1 (ticket 5,
    5 h > 4). Resolve: P1 2, 0; P2 2, 0 (ticket 4 exactly 8 h); P3 2, 1 (ticket 6, 25 h >
    24). Pooled resolve: 1 of 6 = 16.67%. Ticket 8 has no priority: no SLA."""
    sla = metrics(loaded, capsys)["sla"]
    none = {"timed": 0, "breached": 0, "breach_pct": None}
    assert sla["respond"] == {
        "P1": {"timed": 2, "breached": 0, "breach_pct": 0.0},
        "P2": {"timed": 2, "breached": 0, "breach_pct": 0.0},
        "P3": {"timed": 1, "breached": 1, "breach_pct": 100.0},
        "P4": none, "P5": none,
    }
    assert sla["resolve"] == {
        "P1": {"timed": 2, "breached": 0, "breach_pct": 0.0},
        "P2": {"timed": 2, "breached": 0, "breach_pct": 0.0},
        "P3": {"timed": 2, "breached": 1, "breach_pct": 50.0},
        "P4": none, "P5": none,
    }
    assert sla["resolve_breach_pct"] == 16.67


def test_partial_sla_table_and_holiday(loaded: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A scenario file naming only P2's resolve target (7.5 h) keeps P1's 4 h and P3's 24 h:
    ticket 4 (8 h) now breaches, 2 of 6 = 33.33%. Mon 11 Mar as a holiday: ticket 3 resolves
    in 1 h, ticket 4 in 0 h, ticket 6 in 24 h (not > 24): P2 0 and P3 0 breaches."""
    file = tmp_path / "sla.toml"
    file.write_text("[sla_resolve_hours]\nP2 = 7.5\n", encoding="utf-8")
    out = metrics(loaded, capsys, "--scenario", str(file))
    assert out["scenario"]["sla_resolve_hours"] == {"P1": 4.0, "P2": 7.5, "P3": 24.0,
                                                    "P4": 72.0, "P5": 120.0}
    assert out["sla"]["resolve"]["P2"] == {"timed": 2, "breached": 1, "breach_pct": 50.0}
    assert out["sla"]["resolve_breach_pct"] == 33.33
    file.write_text('holidays = [2024-03-11]\n', encoding="utf-8")
    out = metrics(loaded, capsys, "--scenario", str(file))
    assert out["scenario"]["holidays"] == ["2024-03-11"]
    assert [out["sla"]["resolve"][p]["breached"] for p in ("P2", "P3")] == [0, 0]


def test_stored_scenario_keys_and_refusals(loaded: Path, capsys: pytest.CaptureFixture[str]
                                           ) -> None:
    """`scenario --set` stores the schedule and a partial target table; a bad one is one line
    naming the key."""
    d = str(loaded)
    assert main(["scenario", "-w", "svc", "--data-dir", d, "--set",
                 "business_hours=Mon-Sun 00:00-24:00", "--set", "sla_respond_hours=P3=6"]) == 0
    out = metrics(loaded, capsys)
    assert out["scenario"]["business_hours"] == "Mon-Sun 00:00-24:00"
    assert out["scenario"]["sla_respond_hours"]["P3"] == 6.0
    assert out["scenario"]["sla_respond_hours"]["P1"] == 1.0
    # Round the clock, business time is calendar time.
    assert out["ttr_business"]["mean_hours"] == out["ttr"]["mean_hours"]
    capsys.readouterr()
    assert main(["scenario", "-w", "svc", "--data-dir", d, "--set",
                 "sla_resolve_hours=P9=4"]) == 1
    assert capsys.readouterr().err.strip() == (
        "breakeven: error: scenario key 'sla_resolve_hours': 'P9' is not a priority;"
        " use P1, P2, P3, P4 or P5")
    assert main(["scenario", "-w", "svc", "--data-dir", d, "--set",
                 "sla_respond_hours=P1=-2"]) == 1
    assert capsys.readouterr().err.strip() == (
        "breakeven: error: scenario key 'sla_respond_hours.P1' must be a number of hours"
        " above 0, not '-2'")


def test_no_response_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file without a first-response column: response counts 0 with null statistics, the
    respond replay times nothing; resolution is still replayed."""
    tickets = tmp_path / "t.csv"
    tickets.write_text("Ticket Number,Priority,Created,Resolved\n"
                       "A1,P1,2024-03-04 09:00,2024-03-04 15:00\n", encoding="utf-8")
    assert main(["ingest", str(tickets), "-w", "svc", "--data-dir", str(tmp_path)]) == 0
    out = metrics(tmp_path, capsys)
    assert out["response"]["count"] == 0 and out["response"]["median_hours"] is None
    assert out["sla"]["respond"]["P1"] == {"timed": 0, "breached": 0, "breach_pct": None}
    assert out["sla"]["resolve"]["P1"] == {"timed": 1, "breached": 1, "breach_pct": 100.0}


DATA = Path(__file__).parent / "data" / "formats"


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        # Zendesk: "First reply time in minutes" after "Created at" (ticket 101: 09:15 + 5 min,
        # 102: 16:02 + 30 min); ticket 103 has no reply yet.
        ("zendesk__tickets.csv", [("101", "2024-03-05 09:20:00+00"),
                                  ("102", "2024-03-14 16:32:00+00"), ("103", None)]),
        # Freshdesk: the "Initial response time" timestamp (not "First response time (in hrs)",
        # which counts Freshdesk's business hours).
        ("freshdesk__tickets.csv", [("3101", "2024-06-03 09:30:02+00"),
                                    ("3102", "2024-06-12 16:25:00+00"), ("3103", None)]),
    ],
)
def test_responded_at_from_tool_exports(tmp_path: Path, file: str,
                                        expected: list[tuple[str, str | None]]) -> None:
    import duckdb

    assert main(["ingest", str(DATA / file), "-w", "t", "--data-dir", str(tmp_path)]) == 0
    con = duckdb.connect(str(tmp_path / "t.duckdb"), read_only=True)
    rows = con.execute(
        "SELECT ticket_id, strftime(responded_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S') || '+00'"
        " FROM incidents ORDER BY ticket_id LIMIT 3").fetchall()
    con.close()
    assert rows == expected


def test_a_column_without_dates_is_not_the_first_response(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """'Acknowledged' matches a first-response synonym, but holds Yes/No: every ticket still
    loads, the column is left unread, and the note says why."""
    f = tmp_path / "ack.csv"
    f.write_text("Ticket Number,Priority,Created,Resolved,Acknowledged\n"
                 "A1,P1,2024-03-04 09:00,2024-03-04 15:00,Yes\n"
                 "A2,P2,2024-03-05 09:00,2024-03-05 10:00,No\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["ingest", str(f), "-w", "svc", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "2 loaded, 0 rejected" in out
    assert "note: 'Acknowledged' holds no dates (e.g. 'Yes'): not read as responded_at" in out
    assert metrics(tmp_path, capsys)["response"]["count"] == 0


# --- the dashboard -----------------------------------------------------------------------

def _app(page: str) -> AppTest:
    import streamlit as st

    st.cache_data.clear()
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py"),
                           default_timeout=60).run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def test_service_levels_page_with_response_times(data_dir: Path) -> None:
    """prospect-northwind (Zendesk, with first reply times): the four charts, the pooled
    resolve breach share as the JSON gives it, and P1's respond breaches drawn."""
    from helpers import load_sample

    load_sample("prospect-northwind", data_dir)
    at = _app("views/service_levels.py")
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert titles == ["First response by priority (median hours)",
                      "Resolution by priority (median hours)",
                      "Under the managed SLA: tickets that would have breached, by priority",
                      "SLA breaches per month under the managed targets"]
    assert next(m.value for m in at.metric if m.label == "SLA resolve breaches") == "11.9%"
    sla = json.loads(at.get("plotly_chart")[2].proto.spec)
    respond = next(t for t in sla["data"] if t["name"] == "Respond target")
    assert respond["x"][0] == "P1" and round(respond["y"][0], 2) == 52.38


def test_scenario_editor_sets_business_hours_and_targets(data_dir: Path) -> None:
    """The sidebar's text fields store the schedule and a target table; a bad schedule is
    refused with the key named, and the stored scenario is kept."""
    from helpers import load_sample

    from pipelines import workspace
    from pipelines.scenario import load_scenario

    load_sample("prospect-northwind", data_dir)
    at = _app("views/service_levels.py")
    assert at.text_input(key="sc_sla_resolve_hours").value == "P1=4, P2=8, P3=24, P4=72, P5=120"
    at.text_input(key="sc_business_hours").set_value("Mon-Fri 08:00-18:00").run()
    at.text_input(key="sc_sla_resolve_hours").set_value("P1=2, P2=8, P3=24, P4=72, P5=120").run()
    at.text_input(key="sc_holidays").set_value("2024-12-25, 2024-12-26").run()
    assert not at.exception
    with workspace.connect("prospect-northwind", data_dir, read_only=True) as con:
        sc = load_scenario(con)
    assert sc.business_hours == "Mon-Fri 08:00-18:00"
    assert dict(sc.sla_resolve_hours)["P1"] == 2.0 and sc.holidays == ("2024-12-25", "2024-12-26")
    at.text_input(key="sc_business_hours").set_value("Mon-Fri 18:00-08:00").run()
    assert "scenario key 'business_hours': '18:00-08:00' ends before it starts" in " ".join(
        e.value for e in at.error)
    with workspace.connect("prospect-northwind", data_dir, read_only=True) as con:
        assert load_scenario(con).business_hours == "Mon-Fri 08:00-18:00"


def test_spend_page_predictability_panel(data_dir: Path) -> None:
    """acme: the cv in words (0.4862 -> 49%), the worst month Nov 2025 outlined in the chart."""
    from helpers import load_sample

    load_sample("acme", data_dir)
    at = _app("views/spend.py")
    text = " ".join(m.value for m in at.markdown)
    assert "a typical month is 49% off the average" in text
    assert next(m.value for m in at.metric if m.label == "Worst month") == "Nov 2025"
    fig = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
               if json.loads(c.proto.spec)["layout"]["title"]["text"].startswith("How much"))
    bars = fig["data"][0]
    assert bars["marker"]["line"]["width"][bars["x"].index(
        next(x for x in bars["x"] if x.startswith("2025-11")))] == 3


def test_a_file_from_before_responded_at(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                         ) -> None:
    """A workspace written before the column existed: read-only metrics time no response
    (and do not fail); the first read-write open adds the column, empty."""
    import duckdb

    f = tmp_path / "t.csv"
    f.write_text("Ticket Number,Priority,Created,Resolved\n"
                 "A1,P1,2024-03-04 09:00,2024-03-04 15:00\n", encoding="utf-8")
    assert main(["ingest", str(f), "-w", "svc", "--data-dir", str(tmp_path)]) == 0
    con = duckdb.connect(str(tmp_path / "svc.duckdb"))
    for col in ("responded_at_naive", "responded_at"):
        con.execute(f"ALTER TABLE incidents DROP COLUMN IF EXISTS {col}")
    con.close()
    out = metrics(tmp_path, capsys)  # read-only: no upgrade
    assert out["response"]["count"] == 0 and out["ttr_business"]["count"] == 1
    from pipelines import workspace

    with workspace.connect("svc", tmp_path) as con:
        assert con.execute("SELECT count(responded_at) FROM incidents").fetchall() == [(0,)]


def test_a_priority_outside_p1_p5(loaded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A priority text no target names (a tool or map that wrote 'P9' for ticket 1): the
    ticket stays in the overall statistics (6 responses, 7 business TTRs) but in no
    priority row and no SLA figure: P1 keeps ticket 2 only (response 2 h, 1 respond and 1
    resolve timed), 'unknown' keeps ticket 8 only, pooled resolve 1 of 5 = 20%."""
    import duckdb

    con = duckdb.connect(str(loaded / "svc.duckdb"))
    con.execute("UPDATE incidents SET priority = 'P9' WHERE ticket_id = 'T1'")
    con.close()
    out = metrics(loaded, capsys)
    assert (out["response"]["count"], out["ttr_business"]["count"]) == (6, 7)
    by = out["response"]["by_priority"]
    assert set(by) == {"P1", "P2", "P3", "P4", "P5", "unknown"}
    assert by["P1"] == {"count": 1, "median_hours": 2.0, "p90_hours": 2.0}
    assert by["unknown"] == {"count": 1, "median_hours": 1.0, "p90_hours": 1.0}
    sla = out["sla"]
    assert sla["respond"]["P1"] == {"timed": 1, "breached": 0, "breach_pct": 0.0}
    assert sla["resolve"]["P1"] == {"timed": 1, "breached": 0, "breach_pct": 0.0}
    assert sla["resolve_breach_pct"] == 20.0
