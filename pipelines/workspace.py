"""Workspaces: one DuckDB file per organisation, named by a slug, in the data directory.

Every open goes through `connect`, which is also where DuckDB's errors about the file
become ours (errors.py decides by exception type and anchored message): another process's
lock is WorkspaceBusy (after waiting), bytes DuckDB cannot read are WorkspaceDamaged.
Settings read from the environment are checked when read, with one clear line.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipelines import store
from pipelines.errors import (
    SettingError,
    WorkspaceBusy,
    WorkspaceDamaged,
    damaged,
    is_damaged_file,
    is_lock_conflict,
)

SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
DATA_DIR_ENV = "BREAKEVEN_DATA_DIR"
BUSY_WAIT_ENV = "BREAKEVEN_BUSY_WAIT"
DEFAULT_BUSY_WAIT = 30.0
UPLOAD_DIR = "uploads"  # <data dir>/uploads/<workspace>/: the dashboard's uploaded files


def busy_wait_seconds() -> float:
    """How long an open waits for another process to let go: `$BREAKEVEN_BUSY_WAIT`, else 30 s."""
    text = os.environ.get(BUSY_WAIT_ENV, "").strip()
    if not text:
        return DEFAULT_BUSY_WAIT
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise SettingError(
            f"{BUSY_WAIT_ENV}={text!r}: give the number of seconds to wait for a busy"
            f" workspace, e.g. {BUSY_WAIT_ENV}=30"
        )
    return value


def default_data_dir() -> Path:
    """`$BREAKEVEN_DATA_DIR`, else `$XDG_DATA_HOME/breakeven`, else `~/.local/share/breakeven`."""
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "breakeven"


def resolve_data_dir(data_dir: str | Path | None) -> Path:
    """The data directory to use: the explicit one, else the default; refused if a file."""
    path = Path(data_dir) if data_dir else default_data_dir()
    if path.exists() and not path.is_dir():
        where = (f"--data-dir {path}" if data_dir else
                 f"{DATA_DIR_ENV}={path}" if os.environ.get(DATA_DIR_ENV) else f"{path}")
        raise SettingError(f"{where} is a file, not a folder; name the folder that holds (or"
                           " will hold) the workspaces")
    return path


def make_data_dir(data_dir: str | Path | None) -> Path:
    """The data directory, created if missing; one clear line when it cannot be."""
    path = resolve_data_dir(data_dir)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingError(f"cannot create the data directory {path} ({exc.strerror}); name"
                           " a folder you can write to with --data-dir") from None
    return path


def check_name(name: str) -> str:
    """Return `name` if it is a workspace slug; refuse anything else (paths included)."""
    if not isinstance(name, str) or not SLUG.fullmatch(name):
        raise SettingError(
            f"workspace name {name!r} is not allowed: use 1-63 lowercase letters, digits, '-' or '_',"
            " starting with a letter or digit (for example 'acme' or 'prospect-2')"
        )
    return name


def workspace_path(name: str, data_dir: str | Path | None = None) -> Path:
    """The DuckDB file of workspace `name`."""
    return resolve_data_dir(data_dir) / f"{check_name(name)}.duckdb"


def list_workspaces(data_dir: str | Path | None = None) -> list[str]:
    """Names of the workspaces in the data directory, sorted."""
    root = resolve_data_dir(data_dir)
    if not root.is_dir():
        return []
    return sorted(p.stem for p in root.glob("*.duckdb") if SLUG.fullmatch(p.stem))


def exists(name: str, data_dir: str | Path | None = None) -> bool:
    return workspace_path(name, data_dir).exists()


def uploads_path(name: str, data_dir: str | Path | None = None) -> Path:
    """The folder of workspace `name`'s uploaded files (kept only until they are loaded)."""
    return resolve_data_dir(data_dir) / UPLOAD_DIR / check_name(name)


def delete_workspace(name: str, data_dir: str | Path | None = None) -> list[str]:
    """Remove workspace `name`: its DuckDB file and write-ahead log, and its uploads.

    Its saved column mappings and date orders live in the file and go with it. Waits while
    another process holds the file (WorkspaceBusy past the bound); a damaged file is
    removed too. Returns a description of each thing removed.
    """
    path = workspace_path(name, data_dir)
    if not path.exists():
        known = ", ".join(list_workspaces(data_dir)) or "none"
        raise SettingError(f"{name!r} is not a workspace in {path.parent} (workspaces: {known})")
    removed: list[str] = []
    what = ""
    try:
        with connect(name, data_dir, read_only=True) as con:  # waits for other processes
            counts = store.table_counts(con)
            mappings = len(store.settings_with_prefix(con, "mapping:"))
        what = " (" + ", ".join(_count(n, noun) for n, noun in (
            (counts["incidents"], "ticket"), (counts["invoice_lines"], "invoice line"),
            (counts["loads"], "load"), (mappings, "saved mapping"))) + ")"
    except WorkspaceDamaged:
        what = " (damaged)"
    for p in (path, path.with_name(path.name + ".wal")):
        if p.exists():
            p.unlink()
            removed.append(f"{p}{what if p == path else ''}")
    uploads = uploads_path(name, data_dir)
    if uploads.is_dir():
        n = sum(1 for f in uploads.rglob("*") if f.is_file())
        shutil.rmtree(uploads)
        removed.append(f"{uploads} ({_count(n, 'uploaded file')})")
    return removed


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


@contextmanager
def connect(
    name: str,
    data_dir: str | Path | None = None,
    *,
    read_only: bool = False,
    create: bool = True,
    wait_seconds: float | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open workspace `name`, yield the connection, close it.

    Connections are short-lived on purpose: DuckDB lets one process write a file,
    so the dashboard and a cron refresh take turns. When the file is held by
    another process, we retry with back-off for up to `wait_seconds`
    (default `BREAKEVEN_BUSY_WAIT`, 30 s) and then raise WorkspaceBusy. A file DuckDB
    cannot read, at the open or in any statement run inside the block, is WorkspaceDamaged.
    """
    path = workspace_path(name, data_dir)
    if not path.exists():
        if read_only or not create:
            raise SettingError(
                f"workspace {name!r} does not exist in {path.parent}; "
                "create it by loading a file: breakeven ingest FILE --workspace " + name
            )
        make_data_dir(data_dir)
    bound = busy_wait_seconds() if wait_seconds is None else wait_seconds
    deadline = time.monotonic() + bound
    delay = 0.05
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.Error as exc:
            if is_damaged_file(exc):
                raise damaged(name, path, exc) from None
            if not is_lock_conflict(exc):
                raise
            if time.monotonic() >= deadline:
                raise WorkspaceBusy(
                    f"workspace {name!r} is busy (another breakeven process is writing to {path});"
                    f" waited {bound:.0f} s. Try again when it finishes, or raise BREAKEVEN_BUSY_WAIT."
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
    try:
        if not read_only:
            store.ensure_schema(con)
        yield con
    except duckdb.Error as exc:
        if is_damaged_file(exc):
            raise damaged(name, path, exc) from None
        raise
    finally:
        con.close()
