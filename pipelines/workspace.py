"""Workspaces: one DuckDB file per organisation, named by a slug, in the data directory."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipelines import store
from pipelines.errors import SettingError, WorkspaceBusy

SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
DATA_DIR_ENV = "BREAKEVEN_DATA_DIR"
# How long an open waits for another process (a refresh, the dashboard) to let go.
BUSY_WAIT_SECONDS = float(os.environ.get("BREAKEVEN_BUSY_WAIT", "30"))


def default_data_dir() -> Path:
    """`$BREAKEVEN_DATA_DIR`, else `$XDG_DATA_HOME/breakeven`, else `~/.local/share/breakeven`."""
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "breakeven"


def resolve_data_dir(data_dir: str | Path | None) -> Path:
    """The data directory to use: the explicit one, else the default."""
    return Path(data_dir) if data_dir else default_data_dir()


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


def delete_workspace(name: str, data_dir: str | Path | None = None) -> None:
    """Remove a workspace's DuckDB file (and its write-ahead log)."""
    path = workspace_path(name, data_dir)
    with connect(name, data_dir):  # waits until nobody else holds it
        pass
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text or "conflicting" in text or "being used by another process" in text


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
    (default `BREAKEVEN_BUSY_WAIT`, 30 s) and then raise WorkspaceBusy.
    """
    path = workspace_path(name, data_dir)
    if not path.exists():
        if read_only or not create:
            raise SettingError(
                f"workspace {name!r} does not exist in {path.parent}; "
                "create it by loading a file: breakeven ingest FILE --workspace " + name
            )
        path.parent.mkdir(parents=True, exist_ok=True)
    bound = BUSY_WAIT_SECONDS if wait_seconds is None else wait_seconds
    deadline = time.monotonic() + bound
    delay = 0.05
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.Error as exc:
            if not _is_lock_error(exc):
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
    finally:
        con.close()
