"""The portfolio: one row per workspace (prospect) of the data directory, read-only.

`portfolio(data_dir)` reads every workspace READ-ONLY, and returns a frame
with one row per workspace (columns in `COLUMNS`). A workspace that cannot be read does
not stop the others: its row has `status` "damaged" (the file is not a DuckDB database),
"busy" (another process is writing it) or "error" (any other refusal, with its message),
and null figures. An empty workspace (no tickets or invoices) has status "empty".

Speed: a pre-sales team keeps hundreds of prospects, and the page must open in seconds.
Opening each file with `duckdb.connect` costs ~20 ms before any query, and DuckDB plans
each statement in 1-20 ms however small the data, so the ~20 statements of the metric
functions cost ~40 ms a workspace. So an in-memory DuckDB ATTACHes `BATCH` files at a
time READ_ONLY (~1 ms each), reads their settings with one statement and their figures
with one more (`portfolio_row.batch_figures`: aggregates by workspace and month, the
row's figures derived by the rules of `spend` and `checks`); two threads read half the
batches each. The *full path* (`full_figures`: `prepared()`, `incident_counts`, `spend()`,
the checks, as `metrics_json` computes them) reads a connection handed in, a workspace
whose stored months are not in its scenario's zone, and each workspace of a batch whose
statement failed (so one damaged file is its own row). Tests check both paths' rows
equal the row built from `metrics_json` (`row_from_metrics`).

Decisions where the issue and METRICS.md are silent:

* `breakfix_per_year` is the spend window's break-fix total (spend plus downtime cost,
  section 5) divided by its months, times 12; null without spend.
* `verdict_state` is metrics_json's when it has one (METRICS.md section 8); the light path
  applies section 8's rule with the block checks it can tell from spend alone (`no_spend`,
  `short_window` under 3 months) and the evidence checks module when it is installed.
* `checks` lists the ids of the checks that fire, warnings and blocks alike, as
  `id` for a warning and `id!` for a block (the CLI's column stays narrow).
* Rows are cached in `CACHE_FILE` by the workspace file's size and mtime: a cold read of
  1,000 small workspaces takes ~5 ms each on two idle cores, a warm one a stat each.
* `scrubbed` says whether the workspace scrubs personal data on load (pipelines/scrub.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from pipelines import __version__, errors, portfolio_row, present, scrub, store, workspace
from pipelines.metrics.facts import Filters, incident_counts, month_text, prepared
from pipelines.metrics.spend import SpendResult, spend
from pipelines.metrics.summary import hours, money
from pipelines.scenario import SETTING_KEY as SCENARIO_KEY
from pipelines.scenario import Scenario

SCHEMA = pl.Schema({  # type: ignore[arg-type]  # mypy reads the mixed dict as object
    "workspace": pl.String, "status": pl.String, "message": pl.String,
    "window_start": pl.String, "window_end": pl.String, "tickets": pl.Int64,
    "breakfix_per_year": pl.Float64, "downtime_hours": pl.Float64,
    "verdict_state": pl.String, "run_rate_crossover": pl.String,
    "cumulative_crossover": pl.String, "break_even_price_per_user": pl.Float64,
    "monthly_fee": pl.Float64, "checks": pl.List(pl.String), "scrubbed": pl.Boolean,
})
COLUMNS = list(SCHEMA)
FIGURES = [c for c in COLUMNS if c not in ("workspace", "status", "message", "scrubbed")]
ALIAS = "portfolio_ws"
# Rows of workspaces unchanged since the last read (same size and mtime of the file and
# its WAL, same breakeven code) are read from this file in the data directory. Holds
# figures only (no ticket text); a workspace deleted drops out at the next write.
CACHE_FILE = ".portfolio-cache.json"
WORKERS = 2
# Workspaces attached at once and read by one statement (portfolio_row.batch_figures).
BATCH = 25


def row_from_metrics(m: Mapping[str, Any]) -> dict[str, Any]:
    """The portfolio figures of one workspace from its full `metrics_json` output."""
    sp = m.get("spend") or {}
    months = len(sp.get("monthly") or [])
    total = sp.get("breakfix_total")
    checks = m.get("checks")
    return {
        "window_start": (m.get("window") or {}).get("start"),
        "window_end": (m.get("window") or {}).get("end"),
        "tickets": (m.get("incidents") or {}).get("total"),
        "breakfix_per_year": _per_year(total, months),
        "downtime_hours": (m.get("downtime") or {}).get("hours"),
        "verdict_state": m.get("verdict_state") or _state_from(
            sp.get("run_rate_crossover"), sp.get("cumulative_crossover"),
            [c for c in _basic_checks(sp.get("source"), months) if c["level"] == "block"]),
        "run_rate_crossover": sp.get("run_rate_crossover"),
        "cumulative_crossover": sp.get("cumulative_crossover"),
        "break_even_price_per_user": sp.get("break_even_price_per_user"),
        "monthly_fee": sp.get("monthly_fee"),
        "checks": _check_ids(checks if checks is not None
                             else _basic_checks(sp.get("source"), months)),
    }


def _per_year(total: float | None, months: int) -> float | None:
    """A window's total (already rounded to cents, as the JSON has it) as a yearly rate."""
    return None if total is None or not months else money(Decimal(repr(total)) / months * 12)


def _basic_checks(source: str | None, months: int) -> list[dict[str, str]]:
    """Section 8's checks that spend alone tells: no_spend, short_window."""
    if source is None or months == 0:
        return [{"id": "no_spend", "level": "block"}]
    if months < 3:
        return [{"id": "short_window", "level": "block"}]
    if months < 12:
        return [{"id": "short_window", "level": "warn"}]
    return []


def _check_ids(checks: list[dict[str, Any]]) -> list[str]:
    return [str(c.get("id")) + ("!" if c.get("level") == "block" else "") for c in checks]


def _state_from(run_rate: str | None, cumulative: str | None,
                blocks: list[dict[str, Any]]) -> str:
    """METRICS.md section 8's verdict_state."""
    if blocks:
        return "insufficient"
    if run_rate:
        return "breakfix_dearer"
    if cumulative:
        return "mixed"
    return "breakfix_cheaper"


def _evidence_checks(con: duckdb.DuckDBPyConnection, name: str, f: Any, cost: SpendResult,
                     counts: dict[str, int]) -> list[dict[str, Any]] | None:
    """Section 8's checks from pipelines.metrics.checks, when that module is installed."""
    try:
        from pipelines.metrics import checks as module
    except ImportError:
        return None
    found = module.evidence_checks(con, f, (cost.source, cost.window), counts,
                                   module.Context(workspace=name))
    return [c.to_dict() for c in found]


def _settings(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The stored scenario, scrub setting and months' zone in one query; None when there
    are no tables."""
    try:
        rows = con.execute("SELECT key, value FROM settings WHERE key IN (?, ?, ?)",
                           [SCENARIO_KEY, scrub.SETTING, store.MONTHS_TIMEZONE]).fetchall()
    except duckdb.CatalogException:
        return None
    return {k: json.loads(v) for k, v in rows}


def full_figures(con: duckdb.DuckDBPyConnection, name: str,
                 scenario: Scenario) -> portfolio_row.RowFigures:
    """The row's figures from the metric functions themselves (`prepared`, `spend`, the
    checks), as `metrics_json` computes them: the path for any workspace."""
    with prepared(con, scenario, Filters()) as f:
        counts = incident_counts(con, scenario, facts=f)
        cost: SpendResult = spend(con, scenario, facts=f)
        down = 0.0
        if f is not None:
            down = f.rows(f"SELECT coalesce(fsum(hours), 0) FROM ({f.downtime})")[0][0]
        checks = _evidence_checks(con, name, f, cost, counts)
        window = None if f is None else (f.start, f.end)
    if checks is None:
        checks = _basic_checks(cost.source if cost.monthly.height else None,
                               cost.monthly.height)
    return portfolio_row.RowFigures(window, int(counts["total"]), down,
                                    portfolio_row.SpendFigures.of(cost), checks)


def _figures_row(fig: portfolio_row.RowFigures) -> dict[str, Any]:
    """The row's figure columns from either path's figures, rounded as the JSON rounds."""
    cost = fig.cost
    months = cost.months
    blocks = [c for c in fig.checks if c.get("level") == "block"]
    window = fig.window
    return {
        "window_start": None if window is None else month_text(window[0]),
        "window_end": None if window is None else month_text(window[1]),
        "tickets": fig.tickets,
        "breakfix_per_year": _per_year(money(cost.breakfix_total), months),
        "downtime_hours": hours(fig.downtime_hours),
        "verdict_state": _state_from(cost.run_rate_crossover, cost.cumulative_crossover,
                                     blocks),
        "run_rate_crossover": cost.run_rate_crossover,
        "cumulative_crossover": cost.cumulative_crossover,
        "break_even_price_per_user": money(cost.break_even_price_per_user),
        "monthly_fee": money(cost.monthly_fee),
        "checks": _check_ids(fig.checks),
    }


def _blank(name: str, status: str, message: str | None = None) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update(workspace=name, status=status, message=message, checks=[])
    return row


def _sql_text(value: str) -> str:
    # ATTACH takes no bound parameters: the path is quoted as an SQL string literal.
    return "'" + value.replace("'", "''") + "'"


def _attach(mem: duckdb.DuckDBPyConnection, name: str, path: Path,
            alias: str) -> dict[str, Any] | None:
    """Attach `path` READ_ONLY as `alias`; None, or the row saying why it cannot be read."""
    try:
        mem.execute(f"ATTACH {_sql_text(str(path))} AS {alias} (READ_ONLY)")
    except duckdb.Error as exc:
        if errors.is_lock_conflict(exc):
            return _blank(name, "busy", f"workspace {name!r} is being written by another"
                                        " breakeven process; refresh the portfolio when it"
                                        " finishes")
        if errors.is_damaged_file(exc) or isinstance(exc, duckdb.IOException):
            return _blank(name, "damaged", str(errors.damaged(name, path, exc)))
        return _blank(name, "error", str(exc).splitlines()[0])
    return None


def read_batch(mem: duckdb.DuckDBPyConnection,
               items: list[tuple[str, Path]]) -> list[dict[str, Any]]:
    """The rows of the workspace files `items` (name, path), in order: each is attached
    READ_ONLY to `mem` for the time of one lean statement over all of them
    (`portfolio_row.batch_figures`); a workspace it does not apply to takes the full path."""
    rows: dict[int, dict[str, Any]] = {}
    attached: list[tuple[int, str, str]] = []
    for i, (name, path) in enumerate(items):
        alias = f"{ALIAS}{len(attached)}"
        refused = _attach(mem, name, path, alias)
        if refused:
            rows[i] = refused
        else:
            attached.append((i, name, alias))
    try:
        try:
            rows.update(_rows_of_attached(mem, attached))
        except duckdb.Error:  # one unreadable file fails the batch: read each on its own
            rows.update({i: _row_in(mem, name, alias) for i, name, alias in attached})
    finally:
        for _, _, alias in attached:
            mem.execute(f"DETACH {alias}")
    return [rows[i] for i in range(len(items))]


def _rows_of_attached(mem: duckdb.DuckDBPyConnection,
                      attached: list[tuple[int, str, str]]) -> dict[int, dict[str, Any]]:
    if not attached:
        return {}
    columns: dict[str, set[tuple[str, str]]] = {a: set() for _, _, a in attached}
    for db, table, column in mem.execute(
            "SELECT database_name, table_name, column_name FROM duckdb_columns()"
            " WHERE schema_name = 'main' AND list_contains($dbs, database_name)",
            {"dbs": list(columns)}).fetchall():
        columns[db].add((table, column))
    readable = [a for a in columns if ("settings", "value") in columns[a]]
    settings = _batch_settings(mem, readable)
    out: dict[int, dict[str, Any]] = {}
    lean: list[tuple[int, str, str, Scenario]] = []
    for i, name, alias in attached:
        if alias not in settings:
            out[i] = _blank(name, "empty", "no tables yet: load a file into it")
            continue
        try:
            scenario = Scenario.from_dict(settings[alias].get(SCENARIO_KEY) or {})
        except errors.BreakevenError as exc:
            out[i] = _blank(name, "error", str(exc))
            continue
        if portfolio_row.lean_ready(columns[alias], scenario,
                                    settings[alias].get(store.MONTHS_TIMEZONE)):
            lean.append((i, name, alias, scenario))
        else:
            out[i] = _row_in(mem, name, alias)
    figures = portfolio_row.batch_figures(mem, [(a, s) for _, _, a, s in lean])
    for (i, name, alias, _), fig in zip(lean, figures, strict=True):
        out[i] = (_row_in(mem, name, alias) if fig is None
                  else _finished(_blank(name, "ok"), fig, settings[alias]))
    return out


def _batch_settings(mem: duckdb.DuckDBPyConnection,
                    aliases: list[str]) -> dict[str, dict[str, Any]]:
    """The stored scenario, scrub setting and months' zone of each attached alias."""
    if not aliases:
        return {}
    sql = " UNION ALL ".join(f"SELECT {i} AS ws, key, value FROM {a}.settings"
                             " WHERE list_contains($keys, key)" for i, a in enumerate(aliases))
    out: dict[str, dict[str, Any]] = {a: {} for a in aliases}
    for i, key, value in mem.execute(
            sql, {"keys": [SCENARIO_KEY, scrub.SETTING, store.MONTHS_TIMEZONE]}).fetchall():
        out[aliases[i]][key] = json.loads(value)
    return out


def _row_in(mem: duckdb.DuckDBPyConnection, name: str, alias: str) -> dict[str, Any]:
    """The row of attached `alias` by the full path (`_row_of`)."""
    mem.execute(f"USE {alias}")
    try:
        return _row_of(mem, name)
    finally:
        mem.execute("USE memory")


def _finished(row: dict[str, Any], fig: portfolio_row.RowFigures,
              settings: dict[str, Any]) -> dict[str, Any]:
    """`row` with the figures, the scrub setting, and status 'empty' when there is no data."""
    row.update(_figures_row(fig))
    row["scrubbed"] = bool(settings.get(scrub.SETTING, False))
    if not row["tickets"] and row["window_start"] is None:
        row["status"] = "empty"
        row["message"] = "no tickets or invoices yet: load an export"
    return row


def _row_of(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, Any]:
    """The row of the workspace `con` reads (attached and in USE, or its own connection),
    by the full path."""
    row = _blank(name, "ok")
    try:
        settings = _settings(con)
        if settings is None:
            row.update(status="empty", message="no tables yet: load a file into it")
            return row
        scenario = Scenario.from_dict(settings.get(SCENARIO_KEY) or {})
        return _finished(row, full_figures(con, name, scenario), settings)
    except errors.BreakevenError as exc:
        return _blank(name, "error", str(exc))
    except duckdb.Error as exc:
        if errors.is_damaged_file(exc):
            return _blank(name, "damaged", str(errors.damaged(name, Path(name), exc)))
        return _blank(name, "error", f"workspace {name!r} could not be read: "
                                     + str(exc).splitlines()[0])


def portfolio(
    data_dir: str | Path | None = None,
    *,
    connections: Mapping[str, duckdb.DuckDBPyConnection] | None = None,
    use_cache: bool = True,
    workers: int = WORKERS,
) -> pl.DataFrame:
    """One row per workspace of the data directory (columns `COLUMNS`), sorted by name.

    `connections` hands in workspaces this process already holds open (the dashboard's
    current one): DuckDB refuses a second, read-only open of a file in the same process.
    Rows of unchanged workspaces come from the cache file (see `CACHE_FILE`).
    """
    root = workspace.resolve_data_dir(data_dir)
    held = dict(connections or {})
    names = workspace.list_workspaces(root)
    cache = _read_cache(root) if use_cache else {}
    code = _code_fingerprint()
    rows: dict[str, dict[str, Any]] = {}
    todo: list[tuple[str, Path, list[int]]] = []
    for name in names:
        if name in held:
            rows[name] = _row_of(held[name], name)
            continue
        path = workspace.workspace_path(name, root)
        stat = _stat_key(path)
        hit = cache.get(name)
        if hit and hit.get("stat") == stat and hit.get("code") == code:
            rows[name] = {**_blank(name, "ok"), **hit["row"]}
        else:
            todo.append((name, path, stat))
    for (name, path, stat), row in zip(todo, _read_many(todo, workers), strict=True):
        rows[name] = row
        # Only readable rows are kept, and only when the file did not change meanwhile.
        if row["status"] in ("ok", "empty") and _stat_key(path) == stat:
            cache[name] = {"stat": stat, "code": code, "row": row}
    # Written when a row was computed or a workspace is gone (deleted: its row goes too).
    if use_cache and (todo or set(cache) - set(names)):
        _write_cache(root, {n: cache[n] for n in names if n in cache})
    ordered = [rows[n] for n in names]
    return (pl.DataFrame(ordered, schema=SCHEMA, orient="row") if ordered
            else pl.DataFrame(schema=SCHEMA))


def _read_many(todo: list[tuple[str, Path, list[int]]], workers: int) -> list[dict[str, Any]]:
    """The rows of `todo`'s workspaces, read in batches of `BATCH` by up to `workers`
    threads, in order.

    Each thread has its own in-memory DuckDB (one thread each: these queries are tiny,
    and DuckDB's planning of each statement, not the scan, is what costs); DuckDB runs
    queries without holding the GIL, so two threads read nearly twice as many workspaces.
    """
    def chunk(items: list[tuple[int, str, Path]]) -> list[tuple[int, dict[str, Any]]]:
        mem = duckdb.connect(config={"threads": 1})
        try:
            out: list[tuple[int, dict[str, Any]]] = []
            for k in range(0, len(items), BATCH):
                part = items[k:k + BATCH]
                rows = read_batch(mem, [(name, path) for _, name, path in part])
                out += [(i, row) for (i, _, _), row in zip(part, rows, strict=True)]
            return out
        finally:
            mem.close()

    indexed = [(i, name, path) for i, (name, path, _) in enumerate(todo)]
    if not indexed:
        return []
    n = max(1, min(workers, len(indexed) // BATCH or 1))
    if n == 1:
        done = chunk(indexed)
    else:
        with ThreadPoolExecutor(max_workers=n) as pool:
            done = [r for part in pool.map(chunk, [indexed[k::n] for k in range(n)])
                    for r in part]
    return [row for _, row in sorted(done, key=lambda item: item[0])]


# --- the cache of rows of unchanged workspaces ------------------------------------------------

def _stat_key(path: Path) -> list[int]:
    """Size and modification time (ns) of a workspace file and of its write-ahead log."""
    out: list[int] = []
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            st = p.stat()
            out += [st.st_size, st.st_mtime_ns]
        except FileNotFoundError:
            out += [-1, -1]
    return out


_FINGERPRINT: list[str] = []


def _code_fingerprint() -> str:
    """A hash of the code the figures come from: a new breakeven recomputes every row."""
    if not _FINGERPRINT:
        here = Path(__file__).resolve().parent
        h = hashlib.sha256(f"{__version__} {duckdb.__version__}".encode())
        for p in sorted([*here.glob("metrics/*.py"), here / "portfolio.py", here / "portfolio_row.py",
                         here / "scenario.py", here / "store.py"]):
            h.update(p.name.encode() + p.read_bytes())
        _FINGERPRINT.append(h.hexdigest()[:16])
    return _FINGERPRINT[0]


def _read_cache(root: Path) -> dict[str, Any]:
    try:
        data = json.loads((root / CACHE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_cache(root: Path, entries: dict[str, Any]) -> None:
    """Write the cache atomically; a data directory we cannot write to just goes uncached."""
    tmp = root / f"{CACHE_FILE}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        tmp.write_text(json.dumps(entries), encoding="utf-8")
        os.replace(tmp, root / CACHE_FILE)
    except OSError:
        tmp.unlink(missing_ok=True)


SORT_KEYS = {
    "workspace": "workspace", "tickets": "tickets", "breakfix": "breakfix_per_year",
    "downtime": "downtime_hours", "break-even": "break_even_price_per_user",
    "fee": "monthly_fee", "crossover": "run_rate_crossover", "verdict": "verdict_state",
    "status": "status",
}


def sort_portfolio(frame: pl.DataFrame, key: str = "workspace",
                   descending: bool = False) -> pl.DataFrame:
    """The portfolio sorted by one of `SORT_KEYS` (nulls last), then by workspace."""
    col = SORT_KEYS.get(key, key)
    if col not in frame.columns:
        raise errors.SettingError(
            f"--sort {key!r}: sort by one of {', '.join(SORT_KEYS)}")
    return frame.sort([col, "workspace"], descending=[descending, False], nulls_last=True)


def listed(frame: pl.DataFrame) -> pl.DataFrame:
    """The portfolio as the dashboard lists it: the window as one text ('2023-01 to
    2025-12', null when there is none), the verdict in words, the check ids joined."""
    return frame.with_columns(
        window=frame["window_start"] + " to " + frame["window_end"],  # null stays null
        verdict=frame["verdict_state"].replace_strict(present.VERDICT_WORDS,
                                                      default=frame["verdict_state"]),
        checks=frame["checks"].list.join(", "),
    ).select(
        "workspace", "status", "window", "tickets", "breakfix_per_year", "downtime_hours",
        "verdict", "run_rate_crossover", "cumulative_crossover", "break_even_price_per_user",
        "monthly_fee", "checks", "scrubbed", "message",
    )


def ready(frame: pl.DataFrame) -> list[str]:
    """The workspaces with loaded data that can be read (status 'ok')."""
    return frame.filter(pl.col("status") == "ok")["workspace"].to_list() if frame.height else []


def as_json(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """The portfolio rows as JSON objects (the `--json` output)."""
    return frame.to_dicts()


def create_prospect(name: str, data_dir: str | None) -> None:
    """A new, empty workspace for a prospect, scrubbing personal data from its first load."""
    workspace.check_name(name)
    if workspace.exists(name, data_dir):
        raise errors.SettingError(f"workspace {name!r} exists already; pick another name, or"
                                  f" turn scrubbing on for it with: breakeven scrub -w {name}"
                                  " --on")
    with workspace.connect(name, data_dir) as con:
        scrub.set_enabled(con, True)
