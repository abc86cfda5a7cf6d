"""Format profiles: the TOML files that declare each tool's export, read and checked once.

Shipped profiles live in `profiles/*.toml`; a user's own in `<data-dir>/profiles/*.toml`
replace a shipped one of the same name (re-read when a file changes)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from pipelines.errors import SettingError
from pipelines.formats.headers import HeaderIndex, split_scale

PROFILE_DIR = Path(__file__).parent / "profiles"
USER_PROFILE_DIR = "profiles"  # under the data directory: <data-dir>/profiles/*.toml
REQUIRED = {
    "incidents": ("ticket_id", "opened_at"),
    "invoices": ("invoice_date", "amount"),
}
FIELDS = {
    "incidents": (
        "ticket_id", "client", "site", "asset", "category", "priority", "title", "status",
        "opened_at", "resolved_at", "downtime_minutes", "users_affected", "labour_hours",
        "billed_amount", "responded_at", "response_minutes",
    ),
    "invoices": (
        "invoice_id", "line_no", "invoice_date", "client", "description", "quantity",
        "unit_price", "amount", "tax", "currency", "ticket_id", "kind",
    ),
}


@dataclass(frozen=True)
class Source:
    """One header feeding a canonical field, with its scale factor."""

    header: str
    scale: Fraction = Fraction(1)


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    kind: str
    columns: dict[str, tuple[str, ...]]
    signature: tuple[tuple[str, ...], ...] = ()
    generic: bool = False
    date_order: str | None = None  # "day-first" | "month-first" | None
    updated: tuple[str, ...] = ()
    naive_timezone: str | None = None
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    negate_when: dict[str, Any] = field(default_factory=dict)
    # Columns taken off a field, e.g. Stripe's `subtract = { amount = ["Amount Refunded"] }`:
    # a charge's amount net of what was refunded (an empty cell takes off nothing).
    subtract: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Rows that are not data (report totals, section headers): each rule names a column, a
    # regex and the reason the row is listed in rejects; `carry = "field"` also carries the
    # matched value down to the rows below it as that field (a section's customer name).
    skip_rows_where: tuple[dict[str, Any], ...] = ()
    notes: str = ""

    def rule_columns(self) -> tuple[str, ...]:
        """Headers that rules (skip_rows_where, negate_when) read besides the mapped columns."""
        cols = [c for rule in self.skip_rows_where for c in as_tuple(rule.get("column", ()))]
        cols += [c for sources in self.subtract.values() for c in sources]
        return tuple(cols) + as_tuple(self.negate_when.get("column", ()))

    def matches(self, headers: list[str]) -> bool:
        return bool(self.signature) and all(
            hit is not None for hit, _ in self.signature_hits(HeaderIndex(headers)))

    def signature_hits(self, index: HeaderIndex) -> list[tuple[str | None, bool]]:
        """For each signature group, the header found for it (or None) and if exactly."""
        out: list[tuple[str | None, bool]] = []
        for group in self.signature:
            found: tuple[str | None, bool] = (None, False)
            for alt in group:
                hit = index.find(alt)
                if hit[0] is not None and (found[0] is None or hit[1] and not found[1]):
                    found = hit
            out.append(found)
        return out

    def alternatives(self) -> set[str]:
        """Every header name the profile lists (for reserving exact matches)."""
        names = {split_scale(a)[0] for alts in self.columns.values() for a in alts}
        return names | {a for group in self.signature for a in group}


def as_tuple(v: Any) -> tuple[str, ...]:
    return (v,) if isinstance(v, str) else tuple(v)


def _as_rules(v: Any) -> tuple[dict[str, Any], ...]:
    rules = (v,) if isinstance(v, dict) else tuple(v)
    for rule in rules:
        if not rule.get("column") or not rule.get("reason"):
            raise RuntimeError("a skip_rows_where rule needs a column and a reason")
        re.compile(rule.get("pattern", "."))
    return rules


_PROFILE_KEYS = {"name", "title", "kind", "columns", "signature", "generic", "date_order",
                 "updated", "naive_timezone", "values", "negate_when", "skip_rows_where",
                 "subtract", "notes"}


def load_profile(path: Path) -> Profile:
    """Read one profile file; anything wrong is one line naming the file and the fix."""
    where = str(path)

    def bad(problem: str) -> SettingError:
        return SettingError(f"format profile {where}: {problem}; fix the file or remove it"
                            " (see docs/formats.md, 'Bring your own tool')")

    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise bad(f"cannot be read ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise bad(f"is not valid TOML ({exc})") from exc
    problem = (_shape_problem(raw) or _columns_problem(raw) or _signature_problem(raw)
               or _settings_problem(raw))
    if problem:
        raise bad(problem)
    try:
        return _profile_from(raw)
    except (RuntimeError, re.error, TypeError, AttributeError) as exc:
        raise bad(str(exc)) from exc


def _shape_problem(raw: dict[str, Any]) -> str | None:
    """The required keys, no unknown one, a known kind and a well-formed name."""
    for key in ("name", "title", "kind", "columns"):
        if key not in raw:
            return f"lacks {key!r}"
    unknown = sorted(set(raw) - _PROFILE_KEYS)
    if unknown:
        return f"unknown key {unknown[0]!r} (keys are: {', '.join(sorted(_PROFILE_KEYS))})"
    if raw["kind"] not in FIELDS:
        return f"kind {raw['kind']!r} is not 'incidents' or 'invoices'"
    if not isinstance(raw["name"], str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", raw["name"]):
        return f"name {raw['name']!r} must be lowercase letters, digits, '-' or '_'"
    return None


def _columns_problem(raw: dict[str, Any]) -> str | None:
    """[columns] maps fields of the profile's kind to header names."""
    kind, columns = raw["kind"], raw["columns"]
    if not isinstance(columns, dict) or not columns:
        return "[columns] must name at least one field, e.g. ticket_id = [\"Ticket No\"]"
    for fld, alts in columns.items():
        if fld not in FIELDS[kind]:
            return (f"[columns] {fld!r} is not a field of {kind}; fields are: "
                    + ", ".join(FIELDS[kind]))
        if not alts or not all(isinstance(a, str) for a in _as_list_any(alts)):
            return f"[columns] {fld} must be a header name or a list of them"
    return None


def _signature_problem(raw: dict[str, Any]) -> str | None:
    """A tool's profile has a signature: a list of header groups."""
    signature = raw.get("signature", [])
    if not raw.get("generic", False) and not signature:
        return ("a tool's profile needs a signature (groups of headers its export always"
                " has), e.g. signature = [[\"Ticket No\"], [\"Logged\"]]")
    if not isinstance(signature, list) or not all(
            isinstance(g, str) or (isinstance(g, list) and g and all(isinstance(a, str)
                                                                     for a in g))
            for g in signature):
        return ("signature must be a list of header groups, e.g. [[\"Ticket No\"],"
                " [\"Logged\", \"Date Logged\"]]")
    return None


def _settings_problem(raw: dict[str, Any]) -> str | None:
    """date_order is one of the two orders; [values.FIELD] tables map text to text."""
    if raw.get("date_order") not in (None, "day-first", "month-first"):
        return f"date_order {raw['date_order']!r} must be 'day-first' or 'month-first'"
    values = raw.get("values", {})
    if not isinstance(values, dict) or not all(
            isinstance(m, dict) and all(isinstance(v, str) for v in m.values())
            for m in values.values()):
        return ("[values.FIELD] tables map an exported value to a text, e.g."
                " [values.priority] Urgent = \"P1\"")
    return None


def _profile_from(raw: dict[str, Any]) -> Profile:
    return Profile(
        name=raw["name"], title=raw["title"], kind=raw["kind"],
        columns={k: as_tuple(v) for k, v in raw["columns"].items()},
        signature=tuple(as_tuple(g) for g in raw.get("signature", [])),
        generic=raw.get("generic", False), date_order=raw.get("date_order"),
        updated=as_tuple(raw.get("updated", ())), naive_timezone=raw.get("naive_timezone"),
        values=raw.get("values", {}), negate_when=raw.get("negate_when", {}),
        subtract={k: as_tuple(v) for k, v in raw.get("subtract", {}).items()},
        skip_rows_where=_as_rules(raw.get("skip_rows_where", ())), notes=raw.get("notes", ""),
    )


def _as_list_any(v: Any) -> list[Any]:
    return [v] if isinstance(v, str) else list(v) if isinstance(v, list) else [v]


_SHIPPED: list[Profile] | None = None
_USER: dict[Path, tuple[tuple[tuple[str, float], ...], list[Profile]]] = {}


def user_profile_dir(data_dir: str | Path | None = None) -> Path:
    """Where a user's own profiles live: `<data-dir>/profiles/`."""
    from pipelines.workspace import resolve_data_dir

    return resolve_data_dir(data_dir) / USER_PROFILE_DIR


def _user_profiles(data_dir: str | Path | None) -> list[Profile]:
    folder = user_profile_dir(data_dir)
    try:
        files = sorted(folder.glob("*.toml")) if folder.is_dir() else []
        stamp = tuple((str(f), f.stat().st_mtime) for f in files)
    except OSError:
        return []
    cached = _USER.get(folder)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    loaded = [load_profile(f) for f in files]
    _USER[folder] = (stamp, loaded)
    return loaded


def profiles(data_dir: str | Path | None = None) -> list[Profile]:
    """Every profile: the shipped ones and the user's own; specific tools first, generic last.

    A user profile (`<data-dir>/profiles/*.toml`) replaces a shipped one of the same name.
    """
    global _SHIPPED
    if _SHIPPED is None:
        _SHIPPED = [load_profile(p) for p in sorted(PROFILE_DIR.glob("*.toml"))]
    own = _user_profiles(data_dir)
    names = {p.name for p in own}
    loaded = [p for p in _SHIPPED if p.name not in names] + own
    return sorted(loaded, key=lambda p: (p.generic, p.kind, p.name))


def get_profile(name: str, data_dir: str | Path | None = None) -> Profile:
    for p in profiles(data_dir):
        if p.name == name:
            return p
    names = ", ".join(p.name for p in profiles(data_dir))
    raise SettingError(f"unknown format {name!r}; choose one of: {names} (see: breakeven formats)")
