"""Scenario settings (METRICS.md section 6): defaults, coercion, refusals, storage."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import duckdb
import pytest

from pipelines import store
from pipelines.errors import SettingError
from pipelines.scenario import (
    Scenario,
    apply_overrides,
    load_scenario,
    parse_assignments,
    read_scenario_file,
    save_scenario,
)


def test_defaults_are_those_of_section_6() -> None:
    assert Scenario().to_dict() == {
        "per_user": 125.0, "users": 25, "per_device": 0.0, "devices": 0, "flat_monthly": 0.0,
        "onboarding_fee": 0.0, "hourly_rate": 150.0, "cost_per_user_hour": 0.0,
        "users_affected_default": 1, "managed_reduction": 0.0,
        "outage_priorities": ["P1", "P2"], "recurrence_days": 30, "include_parts": False,
        "timezone": "UTC", "exclude_spend": [],
        "business_hours": "Mon-Fri 09:00-17:00", "holidays": [],
        "sla_respond_hours": {"P1": 1.0, "P2": 2.0, "P3": 4.0, "P4": 8.0, "P5": 24.0},
        "sla_resolve_hours": {"P1": 4.0, "P2": 8.0, "P3": 24.0, "P4": 72.0, "P5": 120.0},
        "replacement_cost": 0.0, "offers": [],
    }


def test_cli_strings_are_coerced() -> None:
    s = Scenario.from_dict(parse_assignments([
        "per_user=150", "users=40", "outage_priorities=p1, P3", "include_parts=yes",
        "managed_reduction=0.25", "timezone=Europe/London", "recurrence_days=14",
    ]))
    assert (s.per_user, s.users, s.outage_priorities, s.include_parts) == (150.0, 40, ("P1", "P3"), True)
    assert (s.managed_reduction, s.timezone, s.recurrence_days) == (0.25, "Europe/London", 14)
    assert Scenario.from_dict({"outage_priorities": ""}).outage_priorities == ()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        # Every key in the order of the dataclass (more keys join as sections add them).
        ({"per_usr": 150}, ("unknown scenario key 'per_usr' (did you mean 'per_user'?); known keys: "
         + ", ".join(f.name for f in fields(Scenario)))),
        ({"per_user": -1}, "scenario key 'per_user' must be a number >= 0, not -1"),
        ({"onboarding_fee": "-5"}, "scenario key 'onboarding_fee' must be a number >= 0, not '-5'"),
        ({"devices": -2}, "scenario key 'devices' must be a whole number >= 0, not -2"),
        ({"users": "2.5"}, "scenario key 'users' must be a whole number >= 0, not '2.5'"),
        ({"hourly_rate": "lots"}, "scenario key 'hourly_rate' must be a number, not 'lots'"),
        ({"managed_reduction": 1.5}, ("scenario key 'managed_reduction' must be between 0 and 1"
         " (0.25 = 25% less downtime), not 1.5")),
        ({"managed_reduction": -0.1}, ("scenario key 'managed_reduction' must be between 0 and 1"
         " (0.25 = 25% less downtime), not -0.1")),
        ({"recurrence_days": -1}, ("scenario key 'recurrence_days' must be a whole number >= 0,"
         " not -1")),
        ({"outage_priorities": "P1,P6"}, ("scenario key 'outage_priorities': 'P6' is not a"
         " priority; use P1, P2, P3, P4 or P5")),
        ({"include_parts": "maybe"}, ("scenario key 'include_parts' must be true or false,"
         " not 'maybe'")),
        ({"timezone": "Mars/Olympus"}, ("scenario key 'timezone': 'Mars/Olympus' is not a time"
         " zone name; use an IANA name such as 'UTC' or 'Europe/London'")),
    ],
)
def test_refusals_name_the_key(settings: dict[str, object], message: str) -> None:
    with pytest.raises(SettingError) as exc:
        Scenario.from_dict(settings)
    assert str(exc.value) == message


def test_direct_construction_is_checked_too() -> None:
    with pytest.raises(SettingError, match="'users' must be a whole number >= 0, not -3"):
        Scenario(users=-3)


def test_apply_overrides_keeps_the_rest() -> None:
    base = Scenario.from_dict({"per_user": 99, "users": 12})
    s = apply_overrides(base, {"users": "30"})
    assert (s.per_user, s.users, s.hourly_rate) == (99.0, 30, 150.0)


def test_parse_assignments() -> None:
    assert parse_assignments(["a=1", " b = x=y ", "a=2"]) == {"a": "2", "b": "x=y"}
    with pytest.raises(SettingError) as exc:
        parse_assignments(["per_user"])
    assert str(exc.value) == "--set 'per_user' is not key=value; write it like --set per_user=150"


def test_scenario_file(tmp_path: Path) -> None:
    good = tmp_path / "offer.toml"
    good.write_text('per_user = 150\noutage_priorities = ["P1"]\ntimezone = "Europe/Paris"\n')
    assert read_scenario_file(good) == {
        "per_user": 150, "outage_priorities": ["P1"], "timezone": "Europe/Paris"
    }
    bad = tmp_path / "bad.toml"
    bad.write_text("per_user = -3\n")
    with pytest.raises(SettingError) as exc:
        read_scenario_file(bad)
    assert str(exc.value) == f"{bad}: scenario key 'per_user' must be a number >= 0, not -3"
    broken = tmp_path / "broken.toml"
    broken.write_text("per_user = \n")
    with pytest.raises(SettingError, match=f"^{broken}: not a valid TOML file"):
        read_scenario_file(broken)
    nested = tmp_path / "nested.toml"
    nested.write_text("[offer]\nper_user = 1\n")
    with pytest.raises(SettingError) as exc:
        read_scenario_file(nested)
    assert str(exc.value) == (
        f"{nested}: [offer] is a table; a scenario file holds flat keys such as per_user = 150"
    )
    with pytest.raises(SettingError) as exc:
        read_scenario_file(tmp_path / "missing.toml")
    assert str(exc.value) == f"{tmp_path / 'missing.toml'}: scenario file not found"


def test_stored_per_workspace() -> None:
    con = duckdb.connect()
    store.ensure_schema(con)
    assert load_scenario(con) == Scenario()
    save_scenario(con, Scenario.from_dict({"per_user": 140, "outage_priorities": ["P1"]}))
    loaded = load_scenario(con)
    assert (loaded.per_user, loaded.outage_priorities) == (140.0, ("P1",))
    assert store.get_setting(con, "scenario")["outage_priorities"] == ["P1"]


def test_a_time_zone_is_checked_as_the_list_of_zones_would() -> None:
    """is_zone_name reads one zone, yet says what membership of available_timezones() says
    (without 'localtime'): every listed zone, and none of the system zoneinfo's other files,
    directories or copies."""
    import zoneinfo

    from pipelines.scenario import is_zone_name

    listed = zoneinfo.available_timezones() - {"localtime"}
    assert listed and all(is_zone_name(name) for name in listed)
    for name in ("Europe", "Etc", "", "localtime", "posixrules", "right/UTC",
                 "posix/Europe/London", "zone.tab", "europe/london", "../etc/passwd",
                 "/etc/localtime", "Foo/Bar"):
        assert not is_zone_name(name), name
