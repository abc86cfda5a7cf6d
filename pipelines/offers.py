"""Managed-service offers an MSP sells (the scenario key `offers`): their terms, checked.

An offer is a table with a `name` and its own prices: `per_user`, `per_device`,
`flat_monthly`, and optionally its own `managed_reduction` and `onboarding_fee`. In a
scenario TOML file:

    [[offers]]
    name = "Essentials"
    per_user = 95
    managed_reduction = 0.1

    [[offers]]
    name = "Premium"
    per_user = 160
    per_device = 5
    managed_reduction = 0.4

On the command line (`breakeven scenario -w W --set offers=...`): offers separated by `;`,
each `NAME:key=value,key=value`, e.g.
`offers="Essentials:per_user=95,managed_reduction=0.1;Premium:per_user=160"`; and
`offers=` (empty) clears them.

Decisions where the issue is silent:

* An offer's prices it does not name are 0 (a per-user offer has no device price);
  its `managed_reduction` and `onboarding_fee`, when not named, are the scenario's.
  Users and devices counted are always the scenario's (they describe the prospect).
* Names are unique (case-insensitively) and at most 40 characters; up to 8 offers.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipelines.errors import SettingError

MAX_OFFERS = 8
OFFER_KEYS = ("name", "per_user", "per_device", "flat_monthly", "managed_reduction",
              "onboarding_fee")


@dataclass(frozen=True)
class Offer:
    """One offer's terms; None means "the scenario's" (reduction and onboarding only)."""

    name: str
    per_user: float = 0.0
    per_device: float = 0.0
    flat_monthly: float = 0.0
    managed_reduction: float | None = None
    onboarding_fee: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in OFFER_KEYS}


def parse_offers(key: str, value: Any) -> tuple[Offer, ...]:
    """The `offers` setting as Offers, from a list of tables, Offers, or the CLI's text."""
    if isinstance(value, str):
        items: list[Any] = [_from_text(key, part) for part in value.split(";") if part.strip()]
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise SettingError(
            f"scenario key {key!r} must be a list of offer tables ([[offers]] in a scenario"
            f" file) or 'NAME:per_user=95,...;NAME:...' on the command line, not {value!r}")
    if len(items) > MAX_OFFERS:
        raise SettingError(f"scenario key {key!r}: at most {MAX_OFFERS} offers, not {len(items)}")
    out: list[Offer] = []
    seen: set[str] = set()
    for i, item in enumerate(items, start=1):
        offer = item if isinstance(item, Offer) else _offer(f"{key}[{i}]", item)
        if offer.name.casefold() in seen:
            raise SettingError(f"scenario key '{key}[{i}].name': {offer.name!r} is named twice;"
                               " give each offer its own name")
        seen.add(offer.name.casefold())
        out.append(offer)
    return tuple(out)


def _from_text(key: str, part: str) -> dict[str, Any]:
    name, sep, terms = part.partition(":")
    out: dict[str, Any] = {"name": name.strip()}
    for term in (t for t in terms.split(",") if t.strip()) if sep else ():
        k, eq, v = term.partition("=")
        if not eq:
            raise SettingError(f"scenario key {key!r}: {term.strip()!r} in offer {name.strip()!r}"
                               " is not key=value; write it like Premium:per_user=160")
        out[k.strip()] = v.strip()
    return out


def _offer(where: str, item: Any) -> Offer:
    if not isinstance(item, Mapping):
        raise SettingError(f"scenario key {where!r} must be a table with a name and prices,"
                           f" not {item!r}")
    unknown = [k for k in item if k not in OFFER_KEYS]
    if unknown:
        hint = difflib.get_close_matches(str(unknown[0]), OFFER_KEYS, n=1)
        did = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise SettingError(f"unknown offer key '{where}.{unknown[0]}'{did}; an offer has"
                           f" {', '.join(OFFER_KEYS)}")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 40:
        raise SettingError(f"scenario key '{where}.name' must be a name of 1 to 40 characters,"
                           f" such as \"Essentials\", not {name!r}")
    values: dict[str, Any] = {"name": name.strip()}
    for k in OFFER_KEYS[1:]:
        if k not in item or item[k] is None:
            continue
        number = setting_number(f"{where}.{k}", item[k])
        if k == "managed_reduction" and not 0 <= number <= 1:
            raise SettingError(f"scenario key '{where}.{k}' must be between 0 and 1"
                               f" (0.25 = 25% less downtime), not {item[k]!r}")
        if number < 0:
            raise SettingError(f"scenario key '{where}.{k}' must be a number >= 0,"
                               f" not {item[k]!r}")
        values[k] = number
    return Offer(**values)


def setting_number(key: str, value: Any) -> float:
    """A scenario value as a finite float, or a SettingError naming the key."""
    if isinstance(value, bool):
        raise SettingError(f"scenario key {key!r} must be a number, not {value!r}")
    try:
        number = float(value.strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise SettingError(f"scenario key {key!r} must be a number, not {value!r}") from None
    if not math.isfinite(number):
        raise SettingError(f"scenario key {key!r} must be a finite number, not {value!r}")
    return number
