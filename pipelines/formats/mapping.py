"""Column mappings: which headers feed each canonical field, the user's `--map` laid over
them, and the mapping remembered for a header row (by its fingerprint)."""

from __future__ import annotations

import hashlib

from pipelines.errors import SettingError
from pipelines.formats.headers import HeaderIndex, norm, split_scale
from pipelines.formats.profile import FIELDS, REQUIRED, Profile, Source

# Fields where a generic profile uses every matching header in turn (resolved, else closed).
COALESCED = {"resolved_at", "opened_at"}
# `response_minutes` is read, not stored: calendar minutes from opened to the first response
# (Zendesk's "First reply time in minutes"); ingest turns it into responded_at. A tool's
# business-hours duration (Freshdesk's "First response time (in hrs)") must not feed it.


def missing_required(kind: str, mapping: dict[str, list[Source]]) -> list[str]:
    """Required fields with no column; an invoice amount can come from quantity x unit price."""
    missing = [f for f in REQUIRED[kind] if f not in mapping]
    if kind == "invoices" and "amount" in missing and {"quantity", "unit_price"} <= set(mapping):
        missing.remove("amount")
    return missing


def header_fingerprint(headers: list[str]) -> str:
    """A stable id of a header row, for remembering a user's mapping."""
    return hashlib.sha256("\x1f".join(norm(h) for h in headers).encode()).hexdigest()[:16]


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
            name, scale = split_scale(alt)
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
        name, scale = split_scale(header)
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
