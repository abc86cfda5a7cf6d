"""Export formats: one declarative TOML profile per tool, and detection from the header.

A profile (see `profiles/*.toml`) names, for each canonical field, the headers that carry
it. Specific tools are recognised by their `signature` headers; generic profiles map common
header names by synonym. An alternative written `Header*60` or `Header*1/3600` is scaled by
that factor. A user adds a tool with a TOML file in `<data-dir>/profiles/` (no code): it is
read like the shipped ones, and replaces a shipped profile of the same name.

Headers are compared in two steps, by one rule (no synonym per variant):
1. exactly, ignoring case, spaces and punctuation (`norm`): `Created at` = `created_at`;
2. else by their *family* (`family`): the same header once the decorations exports add
   are dropped: a custom-field type suffix (Zendesk `Device [txt]`, `Total time spent
   (sec) [int]`), a repeat counter (`Labels (2)`), a `Custom field (...)` wrapper (Jira),
   `at`/`on`/`date`/`time` at either end (the API name `opened_at`, the label `Opened`, a
   PSA report's `Date Opened`, `Created Date/Time`), and `#`/`No`/`Nbr`/`Num` for `Number`.
A header matched exactly by any alternative of a profile is never taken by a family match
for another field; of two headers equal under `norm`, the one spelled as the alternative
(ignoring case) wins (Jira's `Σ Time Spent` vs `Time Spent`).

Detection: a specific profile matches when every `signature` group has a header present.
Of several, the one with the most signature groups wins (the more specific signature), then
the most groups matched exactly, then the most columns mapped, then tickets over invoices.
No specific match falls back to the generic synonyms; `resemblance()` then says which known
tool the header is closest to and which of its signature columns are missing.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from pipelines.errors import FIX_MAPPING, InputError, SettingError

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
# Fields where a generic profile uses every matching header in turn (resolved, else closed).
COALESCED = {"resolved_at", "opened_at"}
# `response_minutes` is read, not stored: calendar minutes from opened to the first response
# (Zendesk's "First reply time in minutes"); ingest turns it into responded_at. A tool's
# business-hours duration (Freshdesk's "First response time (in hrs)") must not feed it.


def norm(header: str) -> str:
    """A header as compared: lowercase letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", header.lower())


_DECORATION = re.compile(
    r"^\s*custom\s*field\s*\((?P<inner>.*)\)\s*$"  # Jira: Custom field (Organizations)
    r"|\s*\[[^\[\]]*\]\s*$"  # a custom field's type suffix: [txt], [int], [list]
    r"|\s*\(\d+\)\s*$",  # a repeated column: Labels (2)
    re.IGNORECASE)
# Words that only say "this is when": at either end of a name, they do not change it.
# Not "time": "Resolution Time", "First Response Time" are durations, not instants.
_EDGE_WORDS = {"at", "on", "date", "datetime", "dt"}
_SAME_WORD = {"no": "number", "nbr": "number", "num": "number", "#": "number",
              "organisation": "organization", "labour": "labor"}


def family(header: str, loose: bool = True) -> str:
    """The header's family: `norm` of it once export decorations are dropped (module doc).

    `loose=False` drops only the decorations (type suffix, repeat counter, custom-field
    wrapper, number words), not the edge words `at`/`on`/`date`: generic profiles use that,
    since without a tool's signature `Resolution` (a text) must not pass for `Resolution
    Date`.
    """
    h = header
    while True:
        m = _DECORATION.search(h)
        if not m:
            break
        stripped = m.group("inner") if m.group("inner") is not None else h[:m.start()]
        if not stripped.strip() or stripped == h:
            break
        h = stripped
    h = re.sub(r"([a-z])([A-Z])", r"\1 \2", h)  # InvoiceNumber -> Invoice Number
    words = [_SAME_WORD.get(w, w) for w in re.findall(r"[a-z0-9]+|#", h.lower())]
    if loose:
        words = [w for i, w in enumerate(words)  # "Date/Time Opened", "Created Date/Time"
                 if not (w == "time" and (words[i - 1:i] == ["date"]
                                          or words[i + 1:i + 2] == ["date"]))]
        while len(words) > 1 and words[-1] in _EDGE_WORDS:
            words.pop()
        while len(words) > 1 and words[0] in _EDGE_WORDS:
            words.pop(0)
    return "".join(words)


class HeaderIndex:
    """The headers of a file, looked up exactly (`norm`) first, else by `family`."""

    def __init__(self, headers: list[str]) -> None:
        self.raw: dict[str, str] = {}  # as written, ignoring case: beats a `norm` collision
        self.exact: dict[str, str] = {}
        self.strict: dict[str, str] = {}
        self.loose: dict[str, str] = {}
        for h in headers:
            self.raw.setdefault(h.strip().lower(), h)
            self.exact.setdefault(norm(h), h)
            self.strict.setdefault(family(h, loose=False), h)
            self.loose.setdefault(family(h), h)

    def find(self, name: str, reserved: set[str] | frozenset[str] = frozenset(),
             loose: bool = True) -> tuple[str | None, bool]:
        """(the header for `name`, whether it matched exactly); family matches skip `reserved`.

        Written the same (ignoring case) wins over equal once punctuation is dropped: Jira's
        `Σ Time Spent` is `timespent` too, but `Time Spent` is `Time Spent` wherever it stands.
        """
        hit = self.raw.get(name.strip().lower()) or self.exact.get(norm(name))
        if hit is not None:
            return hit, True
        for found in (self.strict.get(family(name, loose=False)),
                      self.loose.get(family(name)) if loose else None):
            if found is not None and found not in reserved:
                return found, False
        return None, False


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
        cols = [c for rule in self.skip_rows_where for c in _as_tuple(rule.get("column", ()))]
        cols += [c for sources in self.subtract.values() for c in sources]
        return tuple(cols) + _as_tuple(self.negate_when.get("column", ()))

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
        names = {_split_scale(a)[0] for alts in self.columns.values() for a in alts}
        return names | {a for group in self.signature for a in group}


def _split_scale(alt: str) -> tuple[str, Fraction]:
    m = re.fullmatch(r"(.*?)\*(\d+(?:/\d+)?)", alt)
    return (m.group(1), Fraction(m.group(2))) if m else (alt, Fraction(1))


def _as_tuple(v: Any) -> tuple[str, ...]:
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
    for key in ("name", "title", "kind", "columns"):
        if key not in raw:
            raise bad(f"lacks {key!r}")
    unknown = sorted(set(raw) - _PROFILE_KEYS)
    if unknown:
        raise bad(f"unknown key {unknown[0]!r} (keys are: {', '.join(sorted(_PROFILE_KEYS))})")
    kind = raw["kind"]
    if kind not in FIELDS:
        raise bad(f"kind {kind!r} is not 'incidents' or 'invoices'")
    if not isinstance(raw["name"], str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", raw["name"]):
        raise bad(f"name {raw['name']!r} must be lowercase letters, digits, '-' or '_'")
    columns = raw["columns"]
    if not isinstance(columns, dict) or not columns:
        raise bad("[columns] must name at least one field, e.g. ticket_id = [\"Ticket No\"]")
    for fld, alts in columns.items():
        if fld not in FIELDS[kind]:
            raise bad(f"[columns] {fld!r} is not a field of {kind}; fields are: "
                      + ", ".join(FIELDS[kind]))
        if not alts or not all(isinstance(a, str) for a in _as_list_any(alts)):
            raise bad(f"[columns] {fld} must be a header name or a list of them")
    signature = raw.get("signature", [])
    if not raw.get("generic", False) and not signature:
        raise bad("a tool's profile needs a signature (groups of headers its export always"
                  " has), e.g. signature = [[\"Ticket No\"], [\"Logged\"]]")
    if not isinstance(signature, list) or not all(
            isinstance(g, str) or (isinstance(g, list) and g and all(isinstance(a, str)
                                                                     for a in g))
            for g in signature):
        raise bad("signature must be a list of header groups, e.g. [[\"Ticket No\"],"
                  " [\"Logged\", \"Date Logged\"]]")
    if raw.get("date_order") not in (None, "day-first", "month-first"):
        raise bad(f"date_order {raw['date_order']!r} must be 'day-first' or 'month-first'")
    values = raw.get("values", {})
    if not isinstance(values, dict) or not all(
            isinstance(m, dict) and all(isinstance(v, str) for v in m.values())
            for m in values.values()):
        raise bad("[values.FIELD] tables map an exported value to a text, e.g."
                  " [values.priority] Urgent = \"P1\"")
    try:
        return Profile(
            name=raw["name"], title=raw["title"], kind=kind,
            columns={k: _as_tuple(v) for k, v in columns.items()},
            signature=tuple(_as_tuple(g) for g in signature),
            generic=raw.get("generic", False), date_order=raw.get("date_order"),
            updated=_as_tuple(raw.get("updated", ())), naive_timezone=raw.get("naive_timezone"),
            values=values, negate_when=raw.get("negate_when", {}),
            subtract={k: _as_tuple(v) for k, v in raw.get("subtract", {}).items()},
            skip_rows_where=_as_rules(raw.get("skip_rows_where", ())), notes=raw.get("notes", ""),
        )
    except (RuntimeError, re.error, TypeError, AttributeError) as exc:
        raise bad(str(exc)) from exc


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


def missing_required(kind: str, mapping: dict[str, list[Source]]) -> list[str]:
    """Required fields with no column; an invoice amount can come from quantity x unit price."""
    missing = [f for f in REQUIRED[kind] if f not in mapping]
    if kind == "invoices" and "amount" in missing and {"quantity", "unit_price"} <= set(mapping):
        missing.remove("amount")
    return missing


def header_fingerprint(headers: list[str]) -> str:
    """A stable id of a header row, for remembering a user's mapping."""
    return hashlib.sha256("\x1f".join(norm(h) for h in headers).encode()).hexdigest()[:16]


@dataclass
class Detection:
    """What a file was recognised as, and where each canonical field comes from."""

    kind: str
    profile: Profile
    mapping: dict[str, list[Source]]
    ignored: list[str]
    how: str  # "profile", "synonyms", "saved mapping", "--map"
    # Why: the signature header found for each group ("Date Opened (as Date Logged)" when
    # found by family); for a generic match, the closest known tool (see `resemblance`).
    evidence: list[str] = field(default_factory=list)
    resembles: dict[str, Any] | None = None

    def why(self) -> str | None:
        """Why the file was read so: the signature columns found, or for a generic match the
        closest known tool and what it lacks (None for --format / a saved mapping)."""
        if self.evidence:
            return "its signature columns " + ", ".join(self.evidence)
        if not self.profile.generic:
            return None
        r = self.resembles
        if r is None:
            return "no known tool's signature columns found; read by common header names"
        return (f"no known tool's full signature; closest is {r['title']} ('{r['format']}'):"
                f" has {', '.join(repr(h) for h in r['found'])}; lacks "
                + "; ".join(r["missing"]))

    def mapping_text(self) -> dict[str, str]:
        """The mapping as `canonical -> 'Header' (or 'A, else B')` for display."""
        out = {}
        for fld, sources in self.mapping.items():
            parts = [s.header + (f" x {s.scale}" if s.scale != 1 else "") for s in sources]
            out[fld] = ", else ".join(parts)
        for rule in self.profile.skip_rows_where:
            carry = rule.get("carry")
            if carry and carry not in out:
                out[carry] = f"the section rows of '{_as_tuple(rule['column'])[0]}'"
        return out


def map_columns(profile: Profile, headers: list[str]) -> dict[str, list[Source]]:
    """For each canonical field of `profile`, the headers present that feed it.

    Each alternative is looked up exactly, else by family (module doc); a family match never
    takes a header that some alternative of the profile names exactly.
    """
    index = HeaderIndex(headers)
    reserved = {h for alt in profile.alternatives()
                if (h := index.exact.get(norm(alt))) is not None}
    taken: set[str] = set()
    mapping: dict[str, list[Source]] = {}
    for fld, alternatives in profile.columns.items():
        sources: list[Source] = []
        for alt in alternatives:
            name, scale = _split_scale(alt)
            header, exact = index.find(name, reserved, loose=not profile.generic)
            if not exact and sources and fld in COALESCED:
                continue  # "resolved, else closed" coalesces exact names only
            if header is None or header in taken or any(s.header == header for s in sources):
                continue
            sources.append(Source(header, scale))
            if profile.generic and fld not in COALESCED:
                break
        if sources:
            mapping[fld] = sources
            taken.update(s.header for s in sources)
    return mapping


def signature_evidence(profile: Profile, headers: list[str]) -> list[str]:
    """The header found for each signature group, e.g. `'Date Opened' (family of 'Opened')`."""
    out = []
    for group, (hit, exact) in zip(profile.signature, profile.signature_hits(
            HeaderIndex(headers)), strict=True):
        if hit is None:
            continue
        if exact:
            out.append(f"'{hit}'")
        else:
            alt = next((a for a in group if family(a) == family(hit)), group[0])
            out.append(f"'{hit}' (as '{alt}')")
    return out


def resemblance(headers: list[str], kind: str, data_dir: str | Path | None = None
                ) -> dict[str, Any] | None:
    """The known tool of `kind` whose signature this header comes closest to, or None.

    Closest: the most signature groups found (at least one), then the larger share.
    Returns its name, title, the signature headers found and the groups missing.
    """
    index = HeaderIndex(headers)
    best: tuple[int, float, Profile, list[tuple[str | None, bool]]] | None = None
    for p in profiles(data_dir):
        if p.generic or p.kind != kind or not p.signature:
            continue
        hits = p.signature_hits(index)
        found = sum(1 for h, _ in hits if h is not None)
        if found and (best is None or (found, found / len(hits)) > best[:2]):
            best = (found, found / len(hits), p, hits)
    if best is None:
        return None
    _, _, p, hits = best
    return {
        "format": p.name, "title": p.title,
        "found": [h for h, _ in hits if h is not None],
        "missing": [" or ".join(f"'{a}'" for a in group)
                    for group, (h, _) in zip(p.signature, hits, strict=True) if h is None],
    }


def apply_user_map(
    mapping: dict[str, list[Source]], user_map: dict[str, str], headers: list[str], kind: str,
    file_name: str,
) -> dict[str, list[Source]]:
    """Overlay `canonical=Header` choices on a mapping; refuse unknown fields or headers."""
    mapping = dict(mapping)
    index = HeaderIndex(headers)
    for fld, header in user_map.items():
        if fld not in FIELDS[kind]:
            raise SettingError(
                f"--map {fld}=...: {fld!r} is not a field of {kind}; fields are: "
                + ", ".join(FIELDS[kind])
            )
        if not header:
            mapping.pop(fld, None)
            continue
        name, scale = _split_scale(header)
        found = index.exact.get(norm(name))
        if found is None:
            raise SettingError(
                f"--map {fld}={header}: {file_name} has no column {name!r}; its columns are: "
                + ", ".join(headers)
            )
        for other, sources in list(mapping.items()):
            kept = [s for s in sources if s.header != found]
            if other != fld and len(kept) != len(sources):
                if kept:
                    mapping[other] = kept
                else:
                    mapping.pop(other)
        mapping[fld] = [Source(found, scale)]
    return mapping


def detect(
    headers: list[str],
    file_name: str,
    *,
    kind: str | None = None,
    format_name: str | None = None,
    user_map: dict[str, str] | None = None,
    saved: dict[str, dict[str, Any]] | None = None,
    data_dir: str | Path | None = None,
) -> Detection:
    """Recognise an export from its header: kind, format profile and column mapping.

    Order: an explicit --format; a mapping saved for this exact header; a specific tool's
    signature (ties: module doc); the generic synonyms. `user_map` (--map) is laid over
    whichever wins. `data_dir` is where the user's own profiles are looked for.
    """
    if kind is not None and kind not in FIELDS:
        raise SettingError(f"--kind {kind!r}: choose incidents or invoices")
    user_map = user_map or {}
    saved_entry = (saved or {}).get(header_fingerprint(headers))
    candidates: list[tuple[Profile, dict[str, list[Source]], str]] = []
    index = HeaderIndex(headers)
    strength: dict[str, tuple[int, int]] = {}
    if format_name:
        p = get_profile(format_name, data_dir)
        if kind and p.kind != kind:
            raise SettingError(f"--format {format_name} reads {p.kind}, not {kind}")
        candidates.append((p, map_columns(p, headers), "--format"))
    elif saved_entry and (kind is None or saved_entry["kind"] == kind):
        p = get_profile(saved_entry["format"], data_dir)
        candidates.append((p, map_columns(p, headers), "saved mapping"))
        user_map = {**saved_entry["map"], **user_map}
    else:
        for p in profiles(data_dir):
            if p.generic or not p.signature or (kind is not None and p.kind != kind):
                continue
            hits = p.signature_hits(index)
            if all(h is not None for h, _ in hits):
                strength[p.name] = (len(hits), sum(1 for _, exact in hits if exact))
                candidates.append((p, map_columns(p, headers), "profile"))
        # No tool's signature, or none whose columns give the required fields: the
        # generic synonyms compete too (a tool's export missing its id column is still
        # readable by common names).
        if not any(not missing_required(p.kind, m) for p, m, _ in candidates):
            for p in profiles(data_dir):
                if p.generic and (kind is None or p.kind == kind):
                    candidates.append((p, map_columns(p, headers), "synonyms"))
    scored = []
    map_error: SettingError | None = None
    for p, mapping, how in candidates:
        if user_map:
            try:
                mapping = apply_user_map(mapping, user_map, headers, p.kind, file_name)
            except SettingError as exc:  # e.g. a tickets field offered to the invoice profile
                map_error = map_error or exc
                continue
            how = how if how in ("saved mapping",) else f"{how} + --map"
        missing = missing_required(p.kind, mapping)
        # Prefer complete mappings, then the more specific signature (more groups, more of
        # them exact), then the one using more columns; tickets win ties.
        groups, exact = strength.get(p.name, (0, 0))
        scored.append((not missing, groups, exact, len(mapping), p.kind == "incidents", p,
                       mapping, how))
    if not scored:
        if map_error:
            raise map_error
        raise _unrecognised(file_name, headers, kind)
    ok, _, _, _, _, p, mapping, how = max(scored, key=lambda t: t[:5])
    if not ok:
        missing = missing_required(p.kind, mapping)
        if format_name or user_map or any(s[3] >= 2 for s in scored):
            problem = (f"{file_name}: read as {p.title}, but no column gives "
                       + " or ".join(missing) + f" (columns: {', '.join(headers)})")
            raise InputError(
                f"{file_name}: read as {p.title}, but no column gives "
                + " or ".join(missing)
                + "; name it with --map " + " --map ".join(f"{m}=HEADER" for m in missing)
                + f" (columns: {', '.join(headers)})", fix=FIX_MAPPING, problem=problem
            )
        raise _unrecognised(file_name, headers, kind)
    used = {s.header for sources in mapping.values() for s in sources}
    rule_cols = {norm(c) for c in p.rule_columns()}
    ignored = [h for h in headers if h not in used and norm(h) not in rule_cols]
    evidence = signature_evidence(p, headers) if p.signature else []
    resembles = resemblance(headers, p.kind, data_dir) if p.generic else None
    return Detection(p.kind, p, mapping, ignored, how, evidence, resembles)


def _unrecognised(file_name: str, headers: list[str], kind: str | None) -> InputError:
    shown = ", ".join(headers[:12]) + (", ..." if len(headers) > 12 else "")
    what = kind or "tickets or invoices"
    problem = f"{file_name}: no recognisable {what} columns (found: {shown})"
    return InputError(
        f"{problem}; name them with"
        " --map ticket_id=HEADER --map opened_at=HEADER (tickets) or --map invoice_date=HEADER"
        " --map amount=HEADER (invoices), or pick --format (see: breakeven formats)",
        fix=FIX_MAPPING, problem=problem,
    )
