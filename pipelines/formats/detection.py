"""Detection: which profile reads a file, from its header alone (the rules in the package doc)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.errors import FIX_MAPPING, InputError, SettingError
from pipelines.formats.headers import HeaderIndex, family, norm
from pipelines.formats.mapping import (
    apply_user_map,
    header_fingerprint,
    map_columns,
    missing_required,
)
from pipelines.formats.profile import FIELDS, Profile, Source, as_tuple, get_profile, profiles


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
                out[carry] = f"the section rows of '{as_tuple(rule['column'])[0]}'"
        return out


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


@dataclass
class _Candidate:
    """A profile that could read the file, with its mapping and how it was chosen."""

    profile: Profile
    mapping: dict[str, list[Source]]
    how: str  # "--format", "saved mapping", "profile", "synonyms"; " + --map" when overlaid
    groups: int = 0  # signature groups found (specific tools only)
    exact: int = 0  # of them, found exactly

    def missing(self) -> list[str]:
        return missing_required(self.profile.kind, self.mapping)

    def rank(self) -> tuple[bool, int, int, int, bool]:
        """Complete mappings first, then the more specific signature (more groups, more of
        them exact), then the one using more columns; tickets win ties."""
        return (not self.missing(), self.groups, self.exact, len(self.mapping),
                self.profile.kind == "incidents")


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
    remembered = _remembered(saved, headers, kind)
    if format_name:
        candidates = [_forced(format_name, kind, headers, data_dir)]
    elif remembered:
        profile = get_profile(remembered["format"], data_dir)
        candidates = [_Candidate(profile, map_columns(profile, headers), "saved mapping")]
        user_map = {**remembered["map"], **user_map}
    else:
        candidates = _by_header(headers, kind, data_dir)
    if user_map:
        candidates = _with_user_map(candidates, user_map, headers, file_name)
    if not candidates:
        raise _unrecognised(file_name, headers, kind)
    best = max(candidates, key=_Candidate.rank)
    missing = best.missing()
    if missing:
        if format_name or user_map or any(len(c.mapping) >= 2 for c in candidates):
            raise _incomplete(file_name, headers, best.profile, missing)
        raise _unrecognised(file_name, headers, kind)
    return _detection(best, headers, data_dir)


def _remembered(saved: dict[str, dict[str, Any]] | None, headers: list[str],
                kind: str | None) -> dict[str, Any] | None:
    """The mapping saved for this exact header row (and of `kind`, when one is asked for)."""
    entry = (saved or {}).get(header_fingerprint(headers))
    if entry and (kind is None or entry["kind"] == kind):
        return entry
    return None


def _forced(format_name: str, kind: str | None, headers: list[str],
            data_dir: str | Path | None) -> _Candidate:
    """The profile named by --format (refused when it reads the other kind)."""
    profile = get_profile(format_name, data_dir)
    if kind and profile.kind != kind:
        raise SettingError(f"--format {format_name} reads {profile.kind}, not {kind}")
    return _Candidate(profile, map_columns(profile, headers), "--format")


def _by_header(headers: list[str], kind: str | None,
               data_dir: str | Path | None) -> list[_Candidate]:
    """Every tool whose whole signature the header has; the generic synonyms too when none
    of those gives the required fields (a tool's export missing its id column is still
    readable by common names)."""
    index = HeaderIndex(headers)
    wanted = [p for p in profiles(data_dir) if kind is None or p.kind == kind]
    candidates = []
    for p in wanted:
        if p.generic or not p.signature:
            continue
        hits = p.signature_hits(index)
        if all(h is not None for h, _ in hits):
            candidates.append(_Candidate(p, map_columns(p, headers), "profile", len(hits),
                                         sum(1 for _, exact in hits if exact)))
    if not any(not c.missing() for c in candidates):
        candidates += [_Candidate(p, map_columns(p, headers), "synonyms")
                       for p in wanted if p.generic]
    return candidates


def _with_user_map(candidates: list[_Candidate], user_map: dict[str, str],
                   headers: list[str], file_name: str) -> list[_Candidate]:
    """Each candidate with the --map choices laid over it; one the map does not fit (e.g. a
    tickets field offered to an invoice profile) drops out; if none fits, the first refusal
    is raised."""
    fitted, refusal = [], None
    for c in candidates:
        try:
            mapping = apply_user_map(c.mapping, user_map, headers, c.profile.kind, file_name)
        except SettingError as exc:
            refusal = refusal or exc
            continue
        how = c.how if c.how == "saved mapping" else f"{c.how} + --map"
        fitted.append(_Candidate(c.profile, mapping, how, c.groups, c.exact))
    if not fitted and refusal:
        raise refusal
    return fitted


def _detection(best: _Candidate, headers: list[str], data_dir: str | Path | None) -> Detection:
    """The winner as a Detection: the columns it leaves unread, and why it was chosen."""
    p, mapping = best.profile, best.mapping
    used = {s.header for sources in mapping.values() for s in sources}
    rule_cols = {norm(c) for c in p.rule_columns()}
    ignored = [h for h in headers if h not in used and norm(h) not in rule_cols]
    evidence = signature_evidence(p, headers) if p.signature else []
    resembles = resemblance(headers, p.kind, data_dir) if p.generic else None
    return Detection(p.kind, p, mapping, ignored, best.how, evidence, resembles)


def _incomplete(file_name: str, headers: list[str], profile: Profile,
                missing: list[str]) -> InputError:
    problem = (f"{file_name}: read as {profile.title}, but no column gives "
               + " or ".join(missing) + f" (columns: {', '.join(headers)})")
    return InputError(
        f"{file_name}: read as {profile.title}, but no column gives "
        + " or ".join(missing)
        + "; name it with --map " + " --map ".join(f"{m}=HEADER" for m in missing)
        + f" (columns: {', '.join(headers)})", fix=FIX_MAPPING, problem=problem
    )


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
