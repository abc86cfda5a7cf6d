"""The exceptions breakeven raises on purpose, and the one place DuckDB's errors become ours.

    BreakevenError            every error meant for the user; the CLI prints it as one line
     ├── InputError           a file or a value in it that cannot be used (names file, row, fix)
     ├── SettingError         a bad option, workspace name, mapping or scenario key
     ├── WorkspaceBusy        another process holds the workspace for longer than we wait
     └── WorkspaceDamaged     the workspace file is not a readable DuckDB database

Anything else that escapes is a bug and may show a traceback.

Advice that depends on where the error is shown. The message (`str(exc)`) ends with the
advice for the command line (`pass --day-first or --month-first`), which is right for
`ingest` and `inspect`. An error whose advice names such controls also carries `fix`, the
kind of fix (a key of ADVICE), and `problem`, the message without the advice, so a shell
with other controls (the dashboard's Data page, `breakeven refresh`) words the advice for
its own controls with `message_for(exc, shell)`, without reading the message text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

Shell = Literal["cli", "refresh", "dashboard"]

FIX_DATE_ORDER = "date_order"  # the file cannot tell day-first from month-first
FIX_MAPPING = "mapping"  # a required field has no column: name the column
FIX_DELETE = "delete_workspace"  # the workspace file is damaged: restore or delete it

# Advice per shell for each kind of fix; "cli" is what the core's messages already say.
ADVICE: dict[str, dict[str, str]] = {
    "refresh": {
        FIX_MAPPING: ("map its columns once with breakeven ingest FILE --workspace {workspace}"
                      " --map FIELD=HEADER (or on the dashboard's Data page); refresh then"
                      " reads every file with this header the same way"),
    },
    "dashboard": {
        FIX_DATE_ORDER: "choose the order under **Dates with the year last** above",
        FIX_MAPPING: ("choose what the file holds and, under **Column mapping**, the column"
                      " for each required field"),
        FIX_DELETE: ("restore the file from a backup, or delete the workspace under"
                     " **Delete workspace** in the sidebar"),
    },
}


class BreakevenError(Exception):
    """An error whose message is written for the user: what, where, and the fix.

    `fix` (optional) names the kind of fix the message's advice is about, `problem` is the
    message without that advice; see `message_for`.
    """

    def __init__(self, message: str = "", *, fix: str | None = None,
                 problem: str | None = None) -> None:
        super().__init__(message)
        self.fix = fix
        self.problem = message if problem is None else problem


class InputError(BreakevenError):
    """A file, or a row or value in it, cannot be used."""


class SettingError(BreakevenError):
    """An option, workspace name, column mapping or scenario value is not valid."""


class WorkspaceBusy(BreakevenError):
    """The workspace stayed locked by another process past the wait bound."""


class WorkspaceDamaged(BreakevenError):
    """The workspace file exists but DuckDB cannot read it (junk bytes, truncated, corrupt)."""


def message_for(exc: BreakevenError, shell: Shell = "cli", **values: str) -> str:
    """`exc`'s message with its advice worded for `shell` (values fill the advice's fields)."""
    advice = ADVICE.get(shell, {}).get(exc.fix or "")
    if advice is None:
        return str(exc)
    try:
        advice = advice.format(**values)
    except (KeyError, IndexError):
        advice = advice.replace("{workspace}", "NAME")
    return f"{exc.problem}; {advice}"


# --- DuckDB's errors, translated by type (httpx's map_httpcore_exceptions, for one file) ----

# DuckDB 1.x-2.x: 'IO Error: Could not set lock on file "PATH": Conflicting lock is held in
# PROGRAM (PID n)' on POSIX; on Windows the reason after the path is the OS's sharing
# violation. The pattern is anchored at the start, so a path containing "lock" is no match.
_LOCK = re.compile(r'^(?:IO Error: )?Could not set lock on file "')
# Messages that mean the bytes on disk are not a database DuckDB can read.
_DAMAGED = re.compile(
    r'^(?:IO Error: )?(?:The file ".*" exists, but it is not a valid DuckDB database file'
    r"|Could not read enough bytes from file"
    r"|Corrupt database file"
    r"|Trying to read a database file with version number)"
    r"|^(?:Serialization|INTERNAL) Error: .*(?:[Cc]orrupt|checksum|deserializ)"
)


def is_lock_conflict(exc: BaseException) -> bool:
    """True when `exc` is DuckDB refusing a file because another process holds its lock."""
    import duckdb

    return isinstance(exc, duckdb.IOException) and bool(_LOCK.match(str(exc)))


def is_damaged_file(exc: BaseException) -> bool:
    """True when `exc` says the database file's bytes cannot be read as a database."""
    import duckdb

    return isinstance(exc, duckdb.Error) and not is_lock_conflict(exc) and bool(
        _DAMAGED.match(str(exc)))


def damaged(name: str, path: Path, exc: BaseException) -> WorkspaceDamaged:
    """The one-line error for a workspace file DuckDB cannot read."""
    text = str(exc)
    if "version number" in text:
        problem = (f"workspace file {path} was written by a newer version of DuckDB than this"
                   " breakeven uses")
        return WorkspaceDamaged(f"{problem}; upgrade breakeven to open it", problem=problem)
    if "not a valid DuckDB database file" in text:
        why = "it is not a DuckDB database"
    elif "Could not read enough bytes" in text:
        why = "it is cut short"
    elif "checksum" in text:
        why = "a block's checksum does not match"
    else:
        why = text.splitlines()[0][:120] if text else type(exc).__name__
    problem = f"workspace file {path} is damaged ({why})"
    return WorkspaceDamaged(
        f"{problem}; restore it from a backup, or delete it with: breakeven delete --workspace"
        f" {name}", fix=FIX_DELETE, problem=problem)
