"""How headers are compared: exactly once case and punctuation are dropped (`norm`), else
by family (`family`); `HeaderIndex` looks a file's headers up both ways (package doc)."""

from __future__ import annotations

import re
from fractions import Fraction


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


def split_scale(alt: str) -> tuple[str, Fraction]:
    m = re.fullmatch(r"(.*?)\*(\d+(?:/\d+)?)", alt)
    return (m.group(1), Fraction(m.group(2))) if m else (alt, Fraction(1))
