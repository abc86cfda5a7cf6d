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


from pipelines.formats.detection import Detection, detect, resemblance, signature_evidence
from pipelines.formats.headers import HeaderIndex, family, norm
from pipelines.formats.mapping import (
    COALESCED,
    apply_user_map,
    header_fingerprint,
    map_columns,
    missing_required,
)
from pipelines.formats.profile import (
    FIELDS,
    PROFILE_DIR,
    REQUIRED,
    USER_PROFILE_DIR,
    Profile,
    Source,
    get_profile,
    load_profile,
    profiles,
    user_profile_dir,
)

__all__ = [
    "COALESCED", "FIELDS", "PROFILE_DIR", "REQUIRED", "USER_PROFILE_DIR", "Detection",
    "HeaderIndex", "Profile", "Source", "apply_user_map", "detect", "family", "get_profile",
    "header_fingerprint", "load_profile", "map_columns", "missing_required", "norm", "profiles",
    "resemblance", "signature_evidence", "user_profile_dir",
]
