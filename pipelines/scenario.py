"""The managed-contract scenario (METRICS.md section 6): defaults, validation, storage.

A scenario is stored per workspace under the setting key ``scenario`` and can be
overridden for one call by a TOML file (``--scenario FILE``) or ``--set key=value``.
Values from the CLI arrive as strings ("150", "P1,P2", "true") and are coerced here;
every refusal is a `SettingError` whose message names the key and the fix.
"""

from __future__ import annotations

import difflib
import tomllib
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb

from pipelines import business_time, store
from pipelines.errors import SettingError
from pipelines.offers import Offer, parse_offers
from pipelines.offers import setting_number as _number

SETTING_KEY = "scenario"
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


# Keys whose value is a table by priority; a partial table overrides only what it names.
SLA_DEFAULTS: dict[str, dict[str, float]] = {
    "sla_respond_hours": {"P1": 1.0, "P2": 2.0, "P3": 4.0, "P4": 8.0, "P5": 24.0},
    "sla_resolve_hours": {"P1": 4.0, "P2": 8.0, "P3": 24.0, "P4": 72.0, "P5": 120.0},
}
SLA_KEYS = tuple(SLA_DEFAULTS)


@dataclass(frozen=True)
class Scenario:
    """Every scenario setting in force; the defaults are those of METRICS.md section 6."""

    per_user: float = 125.0
    users: int = 25
    per_device: float = 0.0
    devices: int = 0
    flat_monthly: float = 0.0
    onboarding_fee: float = 0.0
    hourly_rate: float = 150.0
    cost_per_user_hour: float = 0.0
    users_affected_default: int = 1
    managed_reduction: float = 0.0
    outage_priorities: tuple[str, ...] = ("P1", "P2")
    recurrence_days: int = 30
    include_parts: bool = False
    timezone: str = "UTC"
    exclude_spend: tuple[str, ...] = ()
    # Section 10: the business-hours calendar (see pipelines.business_time for the text)
    # and the SLA targets, stored as (priority, hours) pairs for P1..P5 (to_dict: tables).
    business_hours: str = "Mon-Fri 09:00-17:00"
    holidays: tuple[str, ...] = ()
    sla_respond_hours: tuple[tuple[str, float], ...] = tuple(SLA_DEFAULTS["sla_respond_hours"].items())
    sla_resolve_hours: tuple[tuple[str, float], ...] = tuple(SLA_DEFAULTS["sla_resolve_hours"].items())
    # Section 12: the price of replacing an asset; repair spend above it is flagged (0 = off).
    replacement_cost: float = 0.0
    # The offers an MSP sells, compared side by side (pipelines/offers.py); () = this
    # scenario's own prices are the one offer.
    offers: tuple[Offer, ...] = ()

    def __post_init__(self) -> None:
        # Direct construction is checked and coerced like from_dict (users=25.0 -> 25).
        for f in fields(self):
            object.__setattr__(self, f.name, _coerce(f.name, getattr(self, f.name)))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Scenario:
        """A scenario from `d` (missing keys take their defaults), validated and coerced."""
        unknown = [k for k in d if k not in _KINDS]
        if unknown:
            key = unknown[0]
            hint = difflib.get_close_matches(str(key), list(_KINDS), n=1)
            did_you_mean = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise SettingError(
                f"unknown scenario key {key!r}{did_you_mean}; known keys: {', '.join(_KINDS)}"
            )
        return cls(**d)

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON-ready values (priorities as a list)."""
        out = asdict(self)
        out["outage_priorities"] = list(self.outage_priorities)
        out["exclude_spend"] = list(self.exclude_spend)
        out["holidays"] = list(self.holidays)
        out["offers"] = [o.to_dict() for o in self.offers]
        for key in SLA_KEYS:
            out[key] = dict(getattr(self, key))
        return out

    @property
    def monthly_fee(self) -> float:
        """per_user * users + per_device * devices + flat_monthly."""
        return self.per_user * self.users + self.per_device * self.devices + self.flat_monthly


# key -> how its value is checked and coerced.
_KINDS: dict[str, str] = {
    "per_user": "price", "users": "count", "per_device": "price", "devices": "count",
    "flat_monthly": "price", "onboarding_fee": "price", "hourly_rate": "price",
    "cost_per_user_hour": "price", "users_affected_default": "count",
    "managed_reduction": "share", "outage_priorities": "priorities",
    "recurrence_days": "count", "include_parts": "bool", "timezone": "timezone",
    "exclude_spend": "texts", "business_hours": "schedule", "holidays": "dates",
    "sla_respond_hours": "sla", "sla_resolve_hours": "sla",
    "replacement_cost": "price", "offers": "offers",
}
assert list(_KINDS) == [f.name for f in fields(Scenario)]


def _coerce(key: str, value: Any) -> Any:
    kind = _KINDS[key]
    if kind == "price":
        number = _number(key, value)
        if number < 0:
            raise SettingError(f"scenario key {key!r} must be a number >= 0, not {value!r}")
        return number
    if kind == "count":
        number = _number(key, value)
        if number < 0 or number != int(number):
            raise SettingError(f"scenario key {key!r} must be a whole number >= 0, not {value!r}")
        return int(number)
    if kind == "share":
        number = _number(key, value)
        if not 0 <= number <= 1:
            raise SettingError(
                f"scenario key {key!r} must be between 0 and 1 (0.25 = 25% less downtime),"
                f" not {value!r}"
            )
        return number
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise SettingError(f"scenario key {key!r} must be true or false, not {value!r}")
    if kind == "priorities":
        return _priorities(key, value)
    if kind == "texts":
        return _texts(key, value)
    if kind == "schedule":
        business_time.parse_business_hours(value, key)
        return value.strip()
    if kind == "dates":
        return business_time.parse_holidays(value, key)
    if kind == "offers":
        return parse_offers(key, value)
    if kind == "sla":
        return tuple({**SLA_DEFAULTS[key], **_sla_table(key, value)}.items())
    return _timezone(key, value)


def _sla_table(key: str, value: Any) -> dict[str, float]:
    """Hours by priority from a table ({P1 = 1, P3 = 6}), pairs, or 'P1=1,P3=6' (the CLI)."""
    items: Iterable[Any]
    if isinstance(value, Mapping):
        items = value.items()
    elif isinstance(value, str):
        items = [p.partition("=")[::2] if "=" in p else (p, None)
                 for p in (q.strip() for q in value.split(",")) if p]
    elif isinstance(value, (list, tuple)) and all(
            isinstance(v, (list, tuple)) and len(v) == 2 for v in value):
        items = value
    else:
        raise SettingError(
            f"scenario key {key!r} must be a table of hours by priority such as"
            f" {{P1 = 1, P2 = 4}} (on the command line: P1=1,P2=4), not {value!r}")
    out: dict[str, float] = {}
    for prio, hours in items:
        name = str(prio).strip().upper()
        if name not in PRIORITIES:
            raise SettingError(
                f"scenario key {key!r}: {prio!r} is not a priority; use P1, P2, P3, P4 or P5")
        if hours is None or (isinstance(hours, str) and not hours.strip()):
            raise SettingError(f"scenario key {key!r}: {name} has no hours; write {name}=4")
        number = _number(f"{key}.{name}", hours)
        if number <= 0:
            raise SettingError(
                f"scenario key '{key}.{name}' must be a number of hours above 0, not {hours!r}")
        out[name] = number
    return out


def _priorities(key: str, value: Any) -> tuple[str, ...]:
    items: Iterable[Any]
    if isinstance(value, str):
        items = [p for p in value.split(",") if p.strip()]
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        raise SettingError(
            f"scenario key {key!r} must be a list of priorities such as \"P1,P2\", not {value!r}"
        )
    out: list[str] = []
    for item in items:
        p = str(item).strip().upper()
        if p not in PRIORITIES:
            raise SettingError(
                f"scenario key {key!r}: {item!r} is not a priority; use P1, P2, P3, P4 or P5"
            )
        if p not in out:
            out.append(p)
    return tuple(out)


def _texts(key: str, value: Any) -> tuple[str, ...]:
    """A list of strings; from the CLI, comma-separated ('' -> none). An empty string
    would match every line, so it is refused rather than kept."""
    items: Iterable[Any]
    if isinstance(value, str):
        items = [t.strip() for t in value.split(",")] if value.strip() else []
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        raise SettingError(
            f"scenario key {key!r} must be a list of strings such as \"Help to Buy,Rent\","
            f" not {value!r}"
        )
    out: list[str] = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise SettingError(
                f"scenario key {key!r}: {item!r} is not a non-empty string (an empty one"
                " would match every line)"
            )
        if item not in out:
            out.append(item)
    return tuple(out)


# Files of the system zoneinfo that are not zone names DuckDB knows.
_NOT_ZONES = frozenset({"localtime", "posixrules"})


@lru_cache(maxsize=64)
def is_zone_name(name: str) -> bool:
    """Whether `name` is one of zoneinfo.available_timezones() (less _NOT_ZONES), by
    reading that one zone: listing them all reads every zone file (~60 ms a process)."""
    if name in _NOT_ZONES or name.startswith(("posix/", "right/")):  # copies, not listed
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # a directory: OSError
        return False
    return True


def _timezone(key: str, value: Any) -> str:
    name = value.strip() if isinstance(value, str) else value
    if not isinstance(name, str) or not is_zone_name(name):
        raise SettingError(
            f"scenario key {key!r}: {value!r} is not a time zone name;"
            " use an IANA name such as 'UTC' or 'Europe/London'"
        )
    return name


def load_scenario(con: duckdb.DuckDBPyConnection) -> Scenario:
    """The workspace's stored scenario, or the defaults when none is stored."""
    return Scenario.from_dict(store.get_setting(con, SETTING_KEY, {}) or {})


def save_scenario(con: duckdb.DuckDBPyConnection, scenario: Scenario) -> None:
    """Store `scenario` as the workspace's scenario.

    A new time zone re-reads every stored naive timestamp in it and recomputes what
    derives from them (store.retime: instants, ttr_hours, months), with the setting, in
    one transaction: loading then changing the zone equals changing it then loading.
    """
    if store.get_setting(con, store.MONTHS_TIMEZONE) == scenario.timezone:
        store.set_setting(con, SETTING_KEY, scenario.to_dict())
        return
    with store.atomic(con):
        store.retime(con, scenario.timezone)
        store.set_setting(con, SETTING_KEY, scenario.to_dict())


def read_scenario_file(path: str | Path) -> dict[str, Any]:
    """The flat key/value table of a scenario TOML file, checked; errors name the file."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise SettingError(f"{p}: scenario file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingError(f"{p}: not a valid TOML file ({exc})") from None
    except UnicodeDecodeError:
        raise SettingError(f"{p}: not a text file (TOML is UTF-8); give a scenario file of"
                           " key = value lines, such as per_user = 150") from None
    except OSError as exc:
        raise SettingError(f"{p}: cannot read the scenario file ({exc.strerror})") from None
    nested = [k for k, v in data.items() if isinstance(v, dict) and k not in SLA_KEYS]
    if nested:
        raise SettingError(
            f"{p}: [{nested[0]}] is a table; a scenario file holds flat keys such as per_user = 150"
        )
    try:
        Scenario.from_dict(data)
    except SettingError as exc:
        raise SettingError(f"{p}: {exc}") from None
    return data


def apply_overrides(base: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """`base` with the keys of `overrides` replaced, validated like `Scenario.from_dict`.

    An SLA table overrides only the priorities it names; the others keep `base`'s hours.
    """
    merged = {**base.to_dict(), **overrides}
    for key in SLA_KEYS:
        if key in overrides and key in _KINDS:
            merged[key] = {**dict(getattr(base, key)), **_sla_table(key, overrides[key])}
    return Scenario.from_dict(merged)


def parse_assignments(assignments: Iterable[str]) -> dict[str, str]:
    """`["per_user=150", "outage_priorities=P1,P2"]` -> a dict of raw strings (last one wins)."""
    out: dict[str, str] = {}
    for item in assignments:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise SettingError(
                f"--set {item!r} is not key=value; write it like --set per_user=150"
            )
        out[key.strip()] = value.strip()
    return out
