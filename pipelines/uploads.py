"""Files uploaded through the dashboard: stored safely, previewed, corrected, loaded.

An upload is saved under a generated name (a uuid) in `<data dir>/uploads/<workspace>/`:
the name the user's browser sent is only ever shown and recorded in `loads`, never used as
a path. It is kept only while it is needed: `discard()` removes it once it is loaded or
taken off the page, and deleting the workspace removes the whole folder.
`preview()` runs the same `ingest.prepare()` a load runs, so what the page shows before
loading is exactly what the load will do; `load()` writes it on the caller's connection.
Errors are worded for the page (`errors.message_for(exc, "dashboard")`): what to choose
on the page, not which command-line flag to pass.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from pipelines import store
from pipelines import workspace as workspaces
from pipelines.errors import BreakevenError, message_for
from pipelines.formats import FIELDS, REQUIRED, detect
from pipelines.ingest import (
    Progress,
    TypedExport,
    load_context,
    load_unless_loaded,
    prepare,
    sha256_of,
)
from pipelines.metrics.checks import missing_columns
from pipelines.reading import read_table

UPLOAD_DIR = workspaces.UPLOAD_DIR
SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx"}
PREVIEW_ROWS = 10
KEEP_SECONDS = 24 * 3600  # an upload nobody loaded is removed after a day


def display_name(name: str) -> str:
    """The browser's file name reduced to something safe to show: no folders, no controls."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip() or "upload"
    return base[:200]


def save_upload(data_dir: str | Path, workspace: str, original_name: str,
                content: bytes) -> Path:
    """Write an upload to `<data_dir>/uploads/<workspace>/<uuid><suffix>`; return the path."""
    suffix = Path(display_name(original_name)).suffix.lower()
    folder = workspaces.uploads_path(workspace, data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    prune(folder)
    path = folder / f"{uuid.uuid4().hex}{suffix if suffix in SUFFIXES else '.dat'}"
    path.write_bytes(content)
    return path


def prune(folder: Path, max_age_seconds: float = KEEP_SECONDS) -> None:
    """Remove uploads older than `max_age_seconds` (left by a session that never loaded them)."""
    cutoff = time.time() - max_age_seconds
    for f in folder.iterdir():
        try:
            if f.is_file() and f.stat().st_mtime < cutoff:
                f.unlink()
        except OSError:
            pass  # another session removed it first


def discard(path: str | Path) -> None:
    """Remove an upload that is no longer needed (loaded, or taken off the page)."""
    Path(path).unlink(missing_ok=True)


def page_error(exc: BreakevenError) -> str:
    """`exc`'s message with advice for the Data page instead of command-line flags."""
    return message_for(exc, "dashboard")


@dataclass
class Preview:
    """What a load of one file would do, or why it cannot load (`error`)."""

    name: str
    headers: list[str]
    kind: str | None = None
    format: str | None = None
    format_title: str | None = None
    detected_by: str | None = None
    why: str | None = None  # the signature columns found, or the closest known tool
    encoding: str | None = None
    delimiter: str | None = None
    date_order: str | None = None  # day-first | month-first | None
    date_order_reason: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)  # field -> first source header
    mapping_text: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_rejected: int = 0
    notes: list[str] = field(default_factory=list)
    lacks: list[str] = field(default_factory=list)  # what the figures will lack (core columns)
    first_rows: pl.DataFrame = field(default_factory=pl.DataFrame)
    rejects: pl.DataFrame = field(default_factory=pl.DataFrame)
    error: str | None = None

    @property
    def rows_ok(self) -> int:
        return self.rows_read - self.rows_rejected

    def fields(self, kind: str | None = None) -> tuple[str, ...]:
        """The canonical fields of `kind` (default: the detected kind)."""
        return FIELDS.get(kind or self.kind or "incidents", ())


def required_fields(kind: str) -> tuple[str, ...]:
    return REQUIRED.get(kind, ())


def _prepare(path: Path, name: str, workspace: str, con: duckdb.DuckDBPyConnection,
             kind: str | None, user_map: dict[str, str] | None, date_order: str | None,
             progress: Progress | None = None) -> TypedExport:
    # The bytes are passed in: `Path(name)` only carries the user's file name into messages.
    return prepare(Path(name), workspace, kind=kind, user_map=user_map or None,
                   date_order=date_order, display_name=name, data=path.read_bytes(),
                   progress=progress, **load_context(con))


def preview(con: duckdb.DuckDBPyConnection, workspace: str, path: Path, name: str, *,
            kind: str | None = None, user_map: dict[str, str] | None = None,
            date_order: str | None = None) -> Preview:
    """How `path` (shown as `name`) would load into `workspace`, without loading it."""
    try:
        p = _prepare(path, name, workspace, con, kind, user_map, date_order)
    except BreakevenError as exc:
        # Still offer the columns, and where the header was recognised, its mapping, so
        # the user can correct what failed (a column, the date order) on the page.
        try:
            headers = read_table(Path(name), path.read_bytes()).headers
        except BreakevenError:
            return Preview(name, [], kind=kind, error=page_error(exc))
        try:
            context = load_context(con)
            d = detect(headers, name, kind=kind, user_map=user_map or None,
                       saved=context["saved"])
            return Preview(name, headers, kind=d.kind, format=d.profile.name,
                           format_title=d.profile.title, detected_by=d.how,
                           mapping={f: s[0].header for f, s in d.mapping.items() if s},
                           error=page_error(exc))
        except BreakevenError:
            return Preview(name, headers, kind=kind, error=page_error(exc))
    d = p.detection
    order = {True: "day-first", False: "month-first", None: None}[p.date_order.day_first]
    return Preview(
        name=name, headers=p.raw.headers, kind=d.kind, format=d.profile.name,
        format_title=d.profile.title, detected_by=d.how, why=d.why(), encoding=p.raw.encoding,
        delimiter=p.raw.delimiter, date_order=order, date_order_reason=p.date_order.reason,
        mapping={f: s[0].header for f, s in d.mapping.items() if s},
        mapping_text=d.mapping_text(), ignored=d.ignored, rows_read=p.rows_read,
        rows_rejected=p.rejects.height, notes=p.notes, first_rows=p.rows.head(PREVIEW_ROWS),
        rejects=p.rejects.head(PREVIEW_ROWS),
        lacks=missing_columns(d.kind, {f for f, src in d.mapping.items() if src}),
    )


def changed_mapping(detected: dict[str, str], chosen: dict[str, str | None]) -> dict[str, str]:
    """The user's corrections as `--map` pairs: fields whose chosen header differs.

    A field set to None that the detection had mapped becomes "" (take it from no column).
    """
    out: dict[str, str] = {}
    for fld, header in chosen.items():
        if header != detected.get(fld) and (header or fld in detected):
            out[fld] = header or ""
    return out


def load(con: duckdb.DuckDBPyConnection, workspace: str, path: Path, name: str, *,
         kind: str | None = None, user_map: dict[str, str] | None = None,
         date_order: str | None = None, progress: Progress | None = None
         ) -> store.LoadSummary:
    """Load an uploaded file as one load; a corrected mapping is remembered for its header.

    Like `ingest.ingest_file`, a byte-identical file already loaded is a no-op.
    """
    report = progress or (lambda f, m: None)
    started = datetime.now(UTC)
    report(0.05, f"reading {name}")
    prepared = _prepare(path, name, workspace, con, kind, user_map, date_order, report)
    return load_unless_loaded(con, prepared, sha256_of(path), started, user_map, report)


def summary_rows(summaries: list[store.LoadSummary]) -> pl.DataFrame:
    """Load summaries as a table, one row per file."""
    keys = ("file", "kind", "format", "status", "rows_read", "rows_loaded", "rows_rejected",
            "inserted", "updated", "load_id", "message")
    rows: list[dict[str, Any]] = [{k: s.as_json()[k] for k in keys} for s in summaries]
    return pl.DataFrame(rows, schema={
        "file": pl.String, "kind": pl.String, "format": pl.String, "status": pl.String,
        "rows_read": pl.Int64, "rows_loaded": pl.Int64, "rows_rejected": pl.Int64,
        "inserted": pl.Int64, "updated": pl.Int64, "load_id": pl.Int64, "message": pl.String,
    }, orient="row")
