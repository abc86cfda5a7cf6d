"""Refresh: load what is new in a folder of exports, then rewrite the report(s).

Made for cron and systemd timers (docs/scheduling.md): safe to run every night, and while
the dashboard has the same workspace open.

How a refresh runs:

1. Check everything that needs no data first (the folder, the report paths, Chromium for
   a PDF, the `--scenario` file), so a bad option fails before anything is read.
2. Hash every file (csv, tsv, txt, xlsx; sorted by name; hidden files and Excel's `~$`
   lock files skipped). A file whose sha256 is already in `loads` is "unchanged" and is
   not parsed at all.
3. Read, recognise and type every new file (`ingest.prepare`), still without writing.
4. Open the workspace once (waiting up to BREAKEVEN_BUSY_WAIT while the dashboard or
   another refresh holds it) and load each file as its own transaction, in name order, so
   a later export's version of a ticket wins. The report figures are read on the same
   connection, which is then closed; the report files are written after (atomically).

One bad file fails the whole refresh, and nothing is loaded: a file that cannot be read
(step 3) stops the run before any write, every file gets its log line (the bad one
"failed" with the reason, the good ones "not_loaded"), and the exit code is 1. A nightly
job then reports the problem loudly instead of quietly loading a partial month, and the
next run, once the file is fixed or moved away, loads everything. The only way exit code 1
can come with changed data is a failure after the loads (a storage error part-way through
step 4, or Chromium failing to print): the log lines then say exactly which files were
loaded, and re-running completes the rest (loaded files are skipped by hash).

Exit codes: 0 done (also when nothing was new), 1 failed, 3 done but this run's loads
rejected some rows (rows rejected by earlier runs do not count again).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipelines import dashboard_data as data
from pipelines import ingest, report, workspace
from pipelines.errors import BreakevenError, InputError, SettingError, WorkspaceBusy, message_for
from pipelines.scenario import apply_overrides, load_scenario, read_scenario_file

SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xls", ".zip", ".gz")  # see reading.read_table
EXIT_DONE, EXIT_FAILED, EXIT_REJECTS = 0, 1, 3


def _now() -> datetime:
    return datetime.now(UTC)


def _logfmt(value: Any) -> str:
    text = str(value)
    if text and all(c.isalnum() or c in "-_.:/+@" for c in text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


@dataclass
class FileOutcome:
    """What a refresh did with one file (one log line)."""

    file: str
    status: str  # loaded | loaded_with_rejects | unchanged | failed | not_loaded
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    reason: str = ""
    load_id: int | None = None
    at: datetime = field(default_factory=_now)

    def log_line(self) -> str:
        """`time=... file=... status=... rows_read=... rows_loaded=... rows_rejected=... reason=...`"""
        return " ".join([
            f"time={self.at:%Y-%m-%dT%H:%M:%SZ}",
            f"file={_logfmt(self.file)}",
            f"status={self.status}",
            f"rows_read={self.rows_read}",
            f"rows_loaded={self.rows_loaded}",
            f"rows_rejected={self.rows_rejected}",
            f"load_id={self.load_id if self.load_id is not None else '-'}",
            f"reason={_logfmt(self.reason or '-')}",
        ])


@dataclass
class RefreshResult:
    """Every file's outcome, the reports written, and the error that stopped the run."""

    workspace: str
    source: Path
    files: list[FileOutcome] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)
    error: str | None = None

    @property
    def loaded(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status in ("loaded", "loaded_with_rejects")]

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.loaded)

    @property
    def exit_code(self) -> int:
        if self.error:
            return EXIT_FAILED
        return EXIT_REJECTS if self.rows_rejected else EXIT_DONE

    def summary_line(self) -> str:
        """One sentence for the end of the log."""
        unchanged = sum(f.status == "unchanged" for f in self.files)
        if self.error:
            done = (f" after loading {len(self.loaded)} file(s) (see the log lines above)"
                    if self.loaded else "; nothing was loaded, the workspace is unchanged")
            return f"refresh {self.workspace} failed{done}: {self.error}"
        if not self.loaded:
            text = (f"refresh {self.workspace}: nothing new in {self.source}"
                    f" ({unchanged} file(s) already loaded); no changes")
        else:
            rows = sum(f.rows_loaded for f in self.loaded)
            text = (f"refresh {self.workspace}: {len(self.loaded)} file(s) loaded, {rows:,} rows,"
                    f" {self.rows_rejected:,} rejected; {unchanged} unchanged")
            if self.rows_rejected:
                text += f" (see them: breakeven loads --workspace {self.workspace})"
        if self.reports:
            text += "; report written to " + ", ".join(str(p) for p in self.reports)
        return text


def source_files(source: str | Path) -> list[Path]:
    """The exports in `source` a refresh looks at, sorted by name."""
    folder = Path(source)
    if not folder.is_dir():
        raise SettingError(f"--source {folder}: not a folder; point it at the folder your"
                           " exports are saved in")
    return sorted(
        (p for p in folder.iterdir()
         if p.is_file() and p.suffix.lower() in SUFFIXES
         and not p.name.startswith((".", "~$"))),
        key=lambda p: p.name,
    )


def _check_reports(paths: Sequence[Path]) -> None:
    for p in paths:
        if p.suffix.lower() not in (".html", ".htm", ".pdf"):
            raise SettingError(f"report {p}: name it .html or .pdf")
        if not p.parent.is_dir():
            raise SettingError(f"report {p}: folder {p.parent} does not exist; create it first")
    if any(p.suffix.lower() == ".pdf" for p in paths):
        report.find_chromium()


def refresh(
    name: str,
    source: str | Path,
    data_dir: str | Path | None = None,
    *,
    reports: Sequence[str | Path] = (),
    scenario_file: str | Path | None = None,
    filters: data.Filters | None = None,
    log: Callable[[FileOutcome], None] | None = None,
    date_order: str | None = None,
) -> RefreshResult:
    """Load the new or changed exports in `source` into workspace `name`, then write reports.

    `date_order` ("day-first" or "month-first", from `--day-first`/`--month-first`) reads
    the files whose dates cannot tell, as it does for `breakeven ingest`.
    Returns the outcome of every file; raises BreakevenError only for problems found before
    anything was read (bad options). A workspace that stays busy past BREAKEVEN_BUSY_WAIT
    ends the run with `error` set and nothing loaded.
    """
    result = RefreshResult(name, Path(source))
    try:
        return _refresh(result, name, source, data_dir, reports, scenario_file, filters, log,
                        date_order)
    except WorkspaceBusy as exc:
        seen = {f.file for f in result.files}
        for path in source_files(source):
            if path.name not in seen:
                outcome = FileOutcome(path.name, "not_loaded", reason="the workspace is busy")
                result.files.append(outcome)
                if log:
                    log(outcome)
        result.error = str(exc)
        return result


def _refresh(
    result: RefreshResult,
    name: str,
    source: str | Path,
    data_dir: str | Path | None,
    reports: Sequence[str | Path],
    scenario_file: str | Path | None,
    filters: data.Filters | None,
    log: Callable[[FileOutcome], None] | None,
    date_order: str | None = None,
) -> RefreshResult:
    workspace.check_name(name)
    say = log or (lambda outcome: None)
    report_paths = [Path(p) for p in reports]
    _check_reports(report_paths)
    overrides = read_scenario_file(scenario_file) if scenario_file else {}
    files = source_files(source)

    def record(outcome: FileOutcome) -> None:
        result.files.append(outcome)
        say(outcome)

    exists = workspace.exists(name, data_dir)
    if not files and not exists:
        raise InputError(f"{source} holds no exports ({', '.join(SUFFIXES)}) and workspace"
                         f" {name!r} does not exist yet: nothing to load or report")

    known: dict[str, int] = {}
    context: dict[str, Any] = {}
    if exists:
        with workspace.connect(name, data_dir) as con:
            known = {sha: int(load_id) for sha, load_id in con.execute(
                "SELECT sha256, min(load_id) FROM loads GROUP BY sha256").fetchall()}
            context = ingest.load_context(con)

    pending, failed = _prepare_new(files, known, name, data_dir, date_order, context, record)
    if failed:
        bad = ", ".join(f.file for f in result.files if f.status == "failed")
        for path, _sha, prepared, _started in pending:
            record(FileOutcome(path.name, "not_loaded", rows_read=prepared.rows_read,
                               reason=f"not loaded because {bad} failed; fix or move it away"
                                      " and run the refresh again"))
        result.error = f"{bad} could not be read (see its log line)"
        return result

    # Step 4: one connection for the loads and the report figures.
    collected: report.ReportData | None = None
    with workspace.connect(name, data_dir) as con:
        for i, (path, sha, prepared, started) in enumerate(pending):
            try:
                _load_one(con, path, sha, prepared, started, record)
            except (BreakevenError, duckdb.Error) as exc:
                record(FileOutcome(path.name, "failed", rows_read=prepared.rows_read,
                                   reason=f"{path.name}: the load was rolled back: {exc}"))
                for later, _s, prep, _t in pending[i + 1:]:
                    record(FileOutcome(later.name, "not_loaded", rows_read=prep.rows_read,
                                       reason=f"not loaded because {path.name} failed"))
                result.error = f"loading {path.name} failed: {exc}"
                return result
        if report_paths:
            scenario = load_scenario(con)
            if overrides:
                scenario = apply_overrides(scenario, overrides)
            collected = report.collect(con, name, scenario, filters)
    if collected is not None:
        _write_reports(collected, report_paths, result)
    return result


Pending = list[tuple[Path, str, ingest.TypedExport, datetime]]


def _prepare_new(files: list[Path], known: dict[str, int], name: str,
                 data_dir: str | Path | None, date_order: str | None, context: dict[str, Any],
                 record: Callable[[FileOutcome], None]) -> tuple[Pending, bool]:
    """Steps 2-3: hash, skip what is known, prepare the rest (no writes).

    Returns the prepared files and whether any file failed (then nothing is loaded)."""
    pending: Pending = []
    first_seen: dict[str, str] = {}
    failed = False
    for path in files:
        started = _now()
        try:
            sha = ingest.sha256_of(path)
        except OSError as exc:
            failed = True
            record(FileOutcome(path.name, "failed", reason=f"{path.name}: cannot be read ({exc})"))
            continue
        if sha in known:
            record(FileOutcome(path.name, "unchanged",
                               reason=f"already loaded as load {known[sha]} (same content)"))
            continue
        if sha in first_seen:
            record(FileOutcome(path.name, "unchanged",
                               reason=f"same content as {first_seen[sha]} in this folder"))
            continue
        first_seen[sha] = path.name
        try:
            prepared = ingest.prepare(path, name, data_dir=data_dir, date_order=date_order,
                                      **context)
        except BreakevenError as exc:
            failed = True
            record(FileOutcome(path.name, "failed",
                               reason=message_for(exc, "refresh", workspace=name)))
            continue
        pending.append((path, sha, prepared, started))
    return pending, failed


def _write_reports(collected: report.ReportData, paths: list[Path],
                   result: RefreshResult) -> None:
    """Step 5: each report from the same figures; the first that fails ends the run."""
    for p in paths:
        layout: report.Layout = "print" if p.suffix.lower() == ".pdf" else "screen"
        try:
            result.reports.append(report.write_report(p, report.html_from(collected, layout)))
        except BreakevenError as exc:
            result.error = f"the report {p} could not be written: {exc}"
            break


def _load_one(con: duckdb.DuckDBPyConnection, path: Path, sha: str, prepared: ingest.TypedExport,
              started: datetime, record: Callable[[FileOutcome], None]) -> None:
    # The loader's own load-or-unchanged: a file loaded meanwhile by another process is
    # "unchanged" (its message names the earlier load).
    s = ingest.load_unless_loaded(con, prepared, sha, started)
    if s.status == "unchanged":
        record(FileOutcome(path.name, "unchanged", rows_read=prepared.rows_read,
                           reason=s.message))
        return
    reason = s.message
    if s.rows_rejected:
        top = prepared.rejects["reason"].head(1).to_list()
        reason = (f"{s.rows_rejected:,} rows rejected, e.g. row"
                  f" {prepared.rejects['row_number'][0]}: {top[0]}"
                  + (f"; {s.message}" if s.message else ""))
    record(FileOutcome(path.name, s.status, s.rows_read, s.rows_loaded, s.rows_rejected,
                       reason, s.load_id))
