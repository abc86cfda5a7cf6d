"""How figures read to a person: money, hours, months and counts, in one place.

Every shell (the verdict sentence, the CLI summary, the dashboard tiles, the report)
formats through these, so "GBP 12,345" and "Apr 2024" read the same everywhere.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

NONE_TEXT = "n/a"

# Tickets whose resolved time is before their opened time (loaded, left out of TTR).
RESOLVED_BEFORE_OPENED = "resolved before opened"

SCENARIO_LABELS: dict[str, str] = {
    "per_user": "Contract price per user per month",
    "users": "Users covered",
    "per_device": "Contract price per device per month",
    "devices": "Devices covered",
    "flat_monthly": "Flat monthly fee",
    "onboarding_fee": "Onboarding fee (one-off, first month)",
    "hourly_rate": "Hourly rate (spend from labour hours)",
    "cost_per_user_hour": "Downtime cost per user-hour (0 = left out)",
    "users_affected_default": "Users affected when a ticket does not say",
    "managed_reduction": "Downtime cost avoided by the managed service",
    "outage_priorities": "Priorities that count as outages",
    "recurrence_days": "Recurrence window (days)",
    "include_parts": "Parts count as break-fix spend",
    "timezone": "Time zone of naive timestamps and months",
    "business_hours": "Business hours (local time; SLA clock)",
    "holidays": "Holidays (no business hours)",
    "sla_respond_hours": "SLA: respond within (business hours)",
    "sla_resolve_hours": "SLA: resolve within (business hours)",
}

# The verdict state (METRICS.md section 7 `verdict.state`) in one word, for tables.
VERDICT_WORDS = {"breakfix_dearer": "dearer", "mixed": "mixed",
                 "breakfix_cheaper": "cheaper", "insufficient": "no verdict"}


def money(value: float | Decimal | None, currency: str | None = None, decimals: int = 0) -> str:
    """12345.6 -> 'GBP 12,346' (or '12,346' when the currency is unknown); None -> 'n/a'."""
    if value is None:
        return NONE_TEXT
    text = f"{float(value):,.{decimals}f}"
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]  # -0.4 rounds to '-0': show '0'
    return f"{currency} {text}" if currency else text


def number(value: float | Decimal | None, decimals: int = 2, unit: str = "",
           none: str = NONE_TEXT) -> str:
    """(1234.5,) -> '1,234.50'; (12.3, 1, ' h') -> '12.3 h'; None -> `none`."""
    return none if value is None else f"{float(value):,.{decimals}f}{unit}"


def hours(value: float | None) -> str:
    """12.345 -> '12.3 h'; None -> 'n/a'."""
    return NONE_TEXT if value is None else f"{value:,.1f} h"


def month_date(month: str | None) -> date | None:
    """'2024-03' -> date(2024, 3, 1); None or '' stays None."""
    return None if not month else date(int(month[:4]), int(month[5:7]), 1)


def month(value: Any, none: str = "never") -> str:
    """date(2024, 4, 1) or '2024-04' -> 'Apr 2024'; None -> `none`."""
    if value is None or value == "":
        return none
    d = month_date(value) if isinstance(value, str) else value
    return f"{d:%b %Y}"


def months_span(start: Any, end: Any) -> str:
    """('2024-01', '2024-03') -> 'Jan 2024 to Mar 2024'; one month -> 'Jan 2024'."""
    if start == end:
        return month(start)
    return f"{month(start)} to {month(end)}"


def and_list(items: list[str], limit: int = 6) -> str:
    """['a', 'b', 'c'] -> 'a, b and c' (at most `limit` named, then 'and N more')."""
    if len(items) > limit:
        return ", ".join(items[:limit]) + f" and {len(items) - limit:,} more"
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def month_list(months: list[str], limit: int = 6) -> str:
    """['2024-01', '2024-02', '2024-05'] -> 'Jan 2024, Feb 2024 and May 2024'."""
    return and_list([month(m) for m in months], limit)


def count(n: int, one: str, many: str | None = None) -> str:
    """(1, 'ticket') -> '1 ticket'; (2500, 'ticket') -> '2,500 tickets'."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def percent(share: float | Decimal) -> str:
    """0.834 -> '83%'; a share that is not all or nothing never rounds to it (0.997 ->
    'over 99%', 0.003 -> 'under 1%')."""
    share = float(share)
    if 0.99 < share < 1:
        return "over 99%"
    if 0 < share < 0.01:
        return "under 1%"
    return f"{share:.0%}"


MONEY_SETTINGS = ("per_user", "per_device", "flat_monthly", "onboarding_fee", "hourly_rate",
                  "cost_per_user_hour")


def setting(key: str, value: Any, currency: str | None = None) -> str:
    """A scenario setting as a person reads it: ('managed_reduction', 0.5) -> '50%',
    ('per_user', 125) -> 'GBP 125.00', SLA targets -> 'P1 4 h, P2 8 h'."""
    if key == "managed_reduction":
        return f"{float(value):.0%}"
    if key in ("outage_priorities", "holidays"):
        return ", ".join(value) or "none"
    if key == "include_parts":
        return "yes" if value else "no"
    if isinstance(value, dict):  # SLA targets by priority
        return ", ".join(f"{p} {h:g} h" for p, h in value.items())
    if key in MONEY_SETTINGS:
        return money(float(value), currency, 2)
    return f"{value:,}" if isinstance(value, int) else str(value)
