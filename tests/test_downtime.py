"""How recurrence is computed (METRICS.md section 4): the window over each recurrence key
in order (opened_at, ticket_id), first tried partitioned by the key's hash and ordered by
the instant alone, else (two keys on one hash, or two incidents of a key at one instant)
the exact window. Hand-worked cases in each docstring."""

from __future__ import annotations

import importlib

import duckdb
import pytest
from helpers import ticket

from pipelines import store
from pipelines.metrics import downtime
from pipelines.scenario import Scenario

UTC = Scenario()
# The module (pipelines.metrics re-exports its function under the same name).
module = importlib.import_module("pipelines.metrics.downtime")


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    store.ensure_schema(c)
    return c


def _statements(con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The windows `downtime` runs, recorded as it builds their SQL."""
    seen: list[str] = []
    build = module._downtime_sql

    def recording(f: object, window: str) -> str:
        seen.append(window)
        return build(f, window)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "_downtime_sql", recording)
    return seen


def test_incidents_at_one_instant_recur_in_ticket_order(con, monkeypatch) -> None:
    """Asset srv: B0 2024-01-01 (1 h); B2 (5 h) and B1 (2 h) both 2024-03-01 00:00, 60
    days later (no recurrence by time). In ticket order B1 comes first and does not recur;
    B2 recurs on B1 (0 days): 1 recurring incident of 5 h, whichever was loaded first.
    The tie sends the call to the exact window."""
    seen = _statements(con, monkeypatch)
    ticket(con, "B0", "2024-01-01 00:00+00", "2024-01-01 01:00+00", asset="srv", priority="P1")
    ticket(con, "B2", "2024-03-01 00:00+00", "2024-03-01 09:00+00", asset="srv",
           priority="P3", downtime_minutes=300)
    ticket(con, "B1", "2024-03-01 00:00+00", "2024-03-01 09:00+00", asset="srv",
           priority="P3", downtime_minutes=120)
    d = downtime(con, UTC)
    assert (d.totals["recurring_incidents"], d.totals["recurring_hours"]) == (1, 5.0)
    assert seen == [module._FAST, module._EXACT]


def test_distinct_instants_take_the_hash_window_only(con, monkeypatch) -> None:
    """C1, C2 on asset fw 10 days apart: C2 recurs (2 h). No tie, no shared hash: one
    statement, the hash-partitioned window."""
    seen = _statements(con, monkeypatch)
    ticket(con, "C1", "2024-05-01 00:00+00", "2024-05-01 01:00+00", asset="fw", priority="P1")
    ticket(con, "C2", "2024-05-11 00:00+00", "2024-05-11 02:00+00", asset="fw", priority="P1")
    d = downtime(con, UTC)
    assert (d.totals["recurring_incidents"], d.totals["recurring_hours"]) == (1, 2.0)
    assert seen == [module._FAST]


def test_keys_sharing_a_partition_fall_back_to_the_exact_window(con, monkeypatch) -> None:
    """Assets a1 (2024-05-01) and a2 (2024-05-10) of one client: different keys, nothing
    recurs. A first window partitioned by client alone (as if the keys' hashes were
    equal) would make a2 recur on a1; it sees one partition for two keys, so the exact
    window decides: 0 recurring."""
    monkeypatch.setattr(module, "_FAST", "PARTITION BY client ORDER BY opened_at")
    ticket(con, "D1", "2024-05-01 00:00+00", "2024-05-01 01:00+00", asset="a1", priority="P1")
    ticket(con, "D2", "2024-05-10 00:00+00", "2024-05-10 01:00+00", asset="a2", priority="P1")
    d = downtime(con, UTC)
    assert (d.totals["incidents"], d.totals["recurring_incidents"]) == (2, 0)
