"""Loading: a prepared file -> one transactional load into a workspace, or "unchanged".

`ingest_file` is the whole of `breakeven ingest FILE`: hash and prepare (overlapped), then
the first load of a new workspace (written beside it, renamed once committed) or a load
into the existing one. Mappings and date orders are remembered per header.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from pipelines import scrub, store
from pipelines.errors import InputError, SettingError
from pipelines.formats import Detection, header_fingerprint
from pipelines.ingest.prepare import Progress, TypedExport, _latest_per_ticket, prepare
from pipelines.line_kinds import load_keywords
from pipelines.reading import ROW
from pipelines.workspace import connect, workspace_path
from pipelines.workspace import exists as workspace_exists

MAPPING_PREFIX = "mapping:"
DATE_ORDER_PREFIX = "date_order:"  # + header fingerprint -> the order decided for that header


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def ingest_file(
    path: str | Path,
    workspace: str,
    data_dir: str | Path | None = None,
    *,
    kind: str | None = None,
    format: str | None = None,
    mapping: dict[str, str] | None = None,
    date_order: str | None = None,
    display_name: str | None = None,
    progress: Progress | None = None,
    sheet: str | None = None,
) -> store.LoadSummary:
    """Load one export into `workspace`; return what the load did.

    An identical file (same sha256) already loaded is a no-op ("unchanged"). Anything that
    goes wrong raises a BreakevenError and leaves the workspace as it was; a workspace that
    did not exist is created by its first load only when that load commits (no file is
    left behind by a failed or killed first load).
    """
    path = Path(path)
    name = display_name or path.name
    report = progress or (lambda f, msg: None)
    started = datetime.now(UTC)
    with ThreadPoolExecutor(max_workers=2) as pool:
        digest = pool.submit(sha256_of, path)  # hashing overlaps the reading
        # So does the import of pyarrow, which the hand-off to DuckDB needs (0.25-0.35 s
        # in one thread, with NumPy); Polars lets go of the GIL while it reads and parses.
        pool.submit(importlib.import_module, "pyarrow")
        report(0.05, f"reading {name}")
        context: dict[str, Any] = {}
        if workspace_exists(workspace, data_dir):
            with connect(workspace, data_dir) as con:
                context = load_context(con)
        # A file that cannot be read fails here, before the workspace is created or opened
        # for writing.
        prepared = prepare(
            path, workspace, kind=kind, format_name=format, user_map=mapping,
            date_order=date_order, display_name=name, progress=report, data_dir=data_dir,
            sheet=sheet, now=started, **context,
        )
        sha = digest.result()
    try:
        target = workspace_path(workspace, data_dir)
        if not target.exists():
            return _first_load(target, prepared, sha, started, mapping, report)
        with connect(workspace, data_dir) as con:
            return load_unless_loaded(con, prepared, sha, started, mapping, report)
    finally:
        prepared.close()


def _first_load(target: Path, prepared: TypedExport, sha: str, started: datetime,
                user_map: dict[str, str] | None, report: Progress) -> store.LoadSummary:
    """Create a workspace with its first load: written to a hidden file beside it, which
    becomes `target` only once the load has committed and the file is closed.

    If another process created the workspace meanwhile, the load goes into that one.
    """
    missing = [d for d in [target.parent, *target.parent.parents] if not d.exists()]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingError(f"cannot create the data directory {target.parent}"
                           f" ({exc.strerror})") from exc
    _drop_stale_partials(target)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    committed = False
    try:
        con = duckdb.connect(str(partial))
        try:
            store.ensure_schema(con)
            summary = load_unless_loaded(con, prepared, sha, started, user_map, report)
        finally:
            con.close()
        try:
            os.link(partial, target)  # never replaces a workspace created meanwhile
            committed = True
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not target.exists():
                os.replace(partial, target)
                committed = True
    finally:
        for p in (partial, partial.with_name(partial.name + ".wal")):
            with contextlib.suppress(OSError):
                p.unlink()
        if not target.exists():
            for d in missing:  # deepest first: only the directories this load created
                with contextlib.suppress(OSError):
                    d.rmdir()
    if committed:
        return summary
    with connect(target.stem, target.parent) as con:
        return load_unless_loaded(con, prepared, sha, started, user_map, report)


def _drop_stale_partials(target: Path) -> None:
    """Remove hidden first-load files left by a process that was killed."""
    for p in target.parent.glob(f".{target.name}.*.partial*"):
        pid = p.name.removeprefix(f".{target.name}.").split(".", 1)[0]
        try:
            os.kill(int(pid), 0)
        except (ValueError, ProcessLookupError):
            with contextlib.suppress(OSError):
                p.unlink()
        except OSError:
            pass  # alive (another user's process)


def load_unless_loaded(
    con: duckdb.DuckDBPyConnection,
    prepared: TypedExport,
    sha: str,
    started: datetime,
    user_map: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> store.LoadSummary:
    """Load a prepared file, or report "unchanged" when a byte-identical file was loaded."""
    report = progress or (lambda f, msg: None)
    name = prepared.file_name
    earlier = store.find_identical_load(con, sha)
    if earlier is not None:
        report(1.0, f"{name}: already loaded")
        return store.LoadSummary(
            name, prepared.kind, prepared.detection.profile.name,
            rows_read=prepared.rows_read,
            rows_loaded=prepared.rows_read - prepared.rejects.height,
            rows_rejected=prepared.rejects.height, status="unchanged",
            message=f"identical to load {earlier}; nothing changed",
        )
    report(0.8, f"writing {prepared.height:,} rows of {name}")
    try:
        summary = load_prepared(con, prepared, sha, started, user_map or None)
    except (duckdb.ConversionException, duckdb.ConstraintException,
            duckdb.OutOfRangeException, duckdb.InvalidInputException) as exc:
        # A value the checks above should have refused (a bug): the load is rolled back;
        # say so in one line rather than with a traceback. The fuzz test fails on this text.
        first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{name}: a value could not be stored ({first}); nothing was loaded."
                         " Please report this file") from exc
    report(1.0, f"{name}: loaded")
    return summary


def load_context(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Workspace settings that shape how a file is read: time zone, saved mappings, keywords."""
    scenario = store.get_setting(con, "scenario", {}) or {}
    return {
        "timezone": scenario.get("timezone", "UTC"),
        "saved": {k.removeprefix(MAPPING_PREFIX): v
                  for k, v in store.settings_with_prefix(con, MAPPING_PREFIX).items()},
        "date_orders": {k.removeprefix(DATE_ORDER_PREFIX): v for k, v in
                        store.settings_with_prefix(con, DATE_ORDER_PREFIX).items()},
        "keywords": load_keywords(con),
    }


def load_prepared(
    con: duckdb.DuckDBPyConnection,
    prepared: TypedExport,
    sha: str,
    started: datetime,
    user_map: dict[str, str] | None = None,
) -> store.LoadSummary:
    """Write a prepared file as one load; remember a hand-made mapping for its header."""
    summary = store.LoadSummary(
        prepared.file_name, prepared.kind, prepared.detection.profile.name,
        rows_read=prepared.rows_read, rows_rejected=prepared.rejects.height,
        rows_loaded=prepared.rows_read - prepared.rejects.height, warnings=prepared.warnings,
        message="; ".join(prepared.notes),
    )
    # A workspace that scrubs personal data gets tokens instead (pipelines/scrub.py).
    staged: pl.DataFrame | store.Staged
    if prepared.staged is not None and not scrub.enabled(con):
        staged, rejects = prepared.staged, prepared.rejects
    else:
        staged, rejects = scrub.for_load(con, materialised(prepared))
    summary = store.write_load(con, summary, sha, staged, rejects, started)
    if user_map:
        save_mapping(con, prepared.raw.headers, prepared.detection, user_map)
    save_date_order(con, prepared)
    return summary


def save_date_order(con: duckdb.DuckDBPyConnection, prepared: TypedExport) -> None:
    """Remember the date order a loaded file showed (or was given) for its exact header.

    The next export with the same header whose dates are all ambiguous (no day above 12)
    is then read in the same order, as a saved `--map` is reused.
    """
    order = prepared.date_order
    if order.day_first is None or order.source not in ("data", "user"):
        return
    store.set_setting(con, DATE_ORDER_PREFIX + header_fingerprint(prepared.raw.headers), {
        "order": "day-first" if order.day_first else "month-first",
        "file": prepared.file_name, "reason": order.reason,
    })


def save_mapping(con: duckdb.DuckDBPyConnection, headers: list[str], detection: Detection,
                 user_map: dict[str, str]) -> None:
    """Remember `user_map` for files with this exact header (by fingerprint)."""
    store.set_setting(con, MAPPING_PREFIX + header_fingerprint(headers), {
        "kind": detection.kind, "format": detection.profile.name, "map": user_map,
        "headers": headers,
    })



def materialised(prepared: TypedExport) -> TypedExport:
    """A staged file's rows read back into memory (for a workspace that scrubs them)."""
    if prepared.staged is None:
        return prepared
    rows = pl.read_parquet(prepared.staged.glob)
    rows, _ = _latest_per_ticket(rows)
    rows = rows.drop(ROW, "__updated", *store.DERIVED_COLUMNS).sort(
        "ticket_id")  # any order: every read sorts
    return replace(prepared, rows=rows, staged=None)

