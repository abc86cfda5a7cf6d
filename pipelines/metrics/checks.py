"""Evidence checks (METRICS.md section 8): when the data cannot carry a verdict.

Each check has an id, a level (`block`: no verdict; `warn`: a verdict with a caveat)
and a message in the user's words that names the months, files or lines involved and
the fix. They come in the order of the table in METRICS.md; `verdict_state` follows
from them and the crossovers.

Decisions where METRICS.md is silent:

* With no spend source (`no_spend`), the other spend checks (`short_window`,
  `tickets_outside_spend`, `spend_gaps`, `dominant_lines`) do not fire; the ticket
  checks still do.
* "The window's tickets" are the tickets opened in the analysis window (the
  `incidents.total` of the JSON); no ticket, no ticket check.
* `spend_gaps` counts an invoice line of any kind (also contract lines and lines left
  out by `exclude_spend`) as the ledger covering its month, as the spend window does.
* `dominant_lines` compares each counted line (break-fix kind, not excluded) of the
  spend window with the counted lines' total, only when that total is above 0 (with
  credit notes bringing it to 0 or below, no share is meaningful). A single counted
  line is 100% of the total and fires. The fix names each line's description up to its
  first comma (a substring still matches it; a comma would split the --set value),
  else its client.
* `category_recurrence` is over the window's downtime incidents that have a recurrence
  key; `no_asset` with a key means keyed by category.
* `capped_export` looks at every ticket load of the workspace (files, not clients:
  the client filter does not apply).
* `import_timestamps` needs two or more tickets on one second ("share"): a workspace
  with one ticket does not fire. The second is the `opened_at` instant truncated to
  the second (an instant: the same second in every zone); the message shows it in the
  workspace time zone. Of two seconds with the same count the earlier is named.
* `zero_durations` counts resolved tickets with `resolved_at = opened_at` exactly
  (ttr_hours 0) among all resolved ones (those resolved before opened included).
* Shares are compared strictly ("more than 20%": 1 in 5 does not fire, 2 in 9 does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import duckdb

from pipelines import present
from pipelines.metrics.facts import NO_FILTERS, Facts, Filters, month_text, months_between
from pipelines.metrics.spend import SpendResult, exclusion_text, invoice_lines_sql

SCENARIO_KEYS = ("timezone", "recurrence_days", "include_parts", "exclude_spend")  # and the
# spend result's source and window, which only the facts' settings move
BLOCK, WARN = "block", "warn"
CAPPED_ROWS = (1_000, 2_000, 5_000, 10_000, 50_000, 100_000)
# Where each check is explained: "spend", "downtime", "time_to_resolve" or "data".
TOPICS = {
    "no_spend": "data", "short_window": "spend", "tickets_outside_spend": "spend",
    "spend_gaps": "spend", "dominant_lines": "spend", "category_recurrence": "downtime",
    "capped_export": "data", "import_timestamps": "time_to_resolve",
    "zero_durations": "time_to_resolve",
}
ORDER = tuple(TOPICS)


@dataclass(frozen=True)
class Check:
    """One evidence check that fired."""

    id: str
    level: str  # block | warn
    message: str

    @property
    def topic(self) -> str:
        """The page that explains it: spend, downtime, time_to_resolve or data."""
        return TOPICS[self.id]

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "level": self.level, "message": self.message}


@dataclass(frozen=True)
class Context:
    """What the messages name: the workspace, the filters in force, the currency."""

    workspace: str
    currency: str | None = None
    filters: Filters = NO_FILTERS

    @property
    def narrowed(self) -> bool:
        """True when --from/--to or a client filter is in force."""
        f = self.filters
        return bool(f.month_from or f.month_to or f.client)


def evidence_checks(
    con: duckdb.DuckDBPyConnection,
    f: Facts | None,
    spend_source: tuple[str | None, tuple[date, date] | None],
    counts: dict[str, int],
    ctx: Context,
) -> list[Check]:
    """Every check of section 8 that fires, in the table's order. `spend_source`: the
    spend's source and window (`spend.choose_source`; a SpendResult's source and window)."""
    out: list[Check] = []
    months = _ticket_months(f) if f is not None and counts["total"] else []
    source, window = spend_source
    if source is None or window is None:
        out.append(_no_spend(f, ctx))
    elif f is not None:
        out += _short_window(window, source, ctx)
        out += _tickets_outside_spend(months, window, counts["total"], ctx)
        if source == "invoices":
            out += _spend_gaps(con, f, window, ctx)
            out += _dominant_lines(con, f, ctx)
    if f is not None:
        out += _category_recurrence(f)
    out += _capped_export(con)
    if f is not None:
        out += _import_timestamps(f, months, counts["total"])
        out += _zero_durations(months)
    return sorted(out, key=lambda c: ORDER.index(c.id))


def verdict_state(checks: list[Check], cost: SpendResult) -> str:
    """insufficient (a block fired), breakfix_dearer (run-rate crossover), mixed (only the
    cumulative crossover), else breakfix_cheaper."""
    if any(c.level == BLOCK for c in checks):
        return "insufficient"
    if cost.run_rate_crossover:
        return "breakfix_dearer"
    if cost.cumulative_crossover:
        return "mixed"
    return "breakfix_cheaper"


def _share(part: int, whole: int) -> str:
    return f"{part:,} of {whole:,} ({present.percent(part / whole)})"


# --- spend ---------------------------------------------------------------------------------

def _no_spend(f: Facts | None, ctx: Context) -> Check:
    w = ctx.workspace
    if f is None:
        fl = ctx.filters
        where = []
        if fl.client:
            where.append(f"for client {fl.client!r}")
        if fl.month_from or fl.month_to:
            where.append("in " + (present.months_span(fl.month_from, fl.month_to)
                                  if fl.month_from and fl.month_to else
                                  f"the months from {present.month(fl.month_from)}"
                                  if fl.month_from else
                                  f"the months to {present.month(fl.month_to)}"))
        if where:
            return Check("no_spend", BLOCK, (
                f"No tickets or invoices {' '.join(where)}: nothing to compare. Choose other"
                " months or another client (--from/--to, --client, or the dashboard's"
                " filters)."))
        return Check("no_spend", BLOCK, (
            f"No tickets or invoices yet: load your exports"
            f" (`breakeven ingest FILE -w {w}`, or the dashboard's Data page)."))
    span = present.months_span(month_text(f.start), month_text(f.end))
    return Check("no_spend", BLOCK, (
        f"No spend data from {span}: no invoice lines, and no ticket has a billed amount or"
        " time worked, so break-fix cannot be priced. Load the IT provider's invoices"
        f" (`breakeven ingest INVOICES.csv -w {w}`, or the dashboard's Data page), or load"
        " a ticket export with its time-worked or billed column (map it with"
        " `--map labour_hours=HEADER` or `--map billed_amount=HEADER`)."))


def _short_window(window: tuple[date, date], source: str, ctx: Context) -> list[Check]:
    n = len(months_between(*window))
    what = ("invoices" if source == "invoices"
            else "tickets with billed amounts" if source == "billed_amount"
            else "tickets with time worked")
    span = present.months_span(month_text(window[0]), month_text(window[1]))
    more = ("widen --from/--to (the dashboard's Months filter) or load"
            if ctx.narrowed else "load")
    if n < 3:
        return [Check("short_window", BLOCK, (
            f"Spend data covers only {present.count(n, 'month')} ({span}); a verdict needs"
            f" at least 3. To compare, {more} {what} for more months."))]
    if n < 12:
        return [Check("short_window", WARN, (
            f"Spend data covers {present.count(n, 'month')} ({span}), fewer than 12: there"
            " is no full year behind the run-rate (the last 12 months of break-fix against"
            f" 12 months of the contract). For a full year, {more} {what} for earlier"
            " months."))]
    return []


def _tickets_outside_spend(
    months: list[TicketMonth], window: tuple[date, date], total: int, ctx: Context
) -> list[Check]:
    if not total:
        return []
    before = sum(m.tickets for m in months if m.month is not None and m.month < window[0])
    after = sum(m.tickets for m in months if m.month is not None and m.month > window[1])
    outside = before + after
    if outside * 5 <= total:  # not more than 20%
        return []
    span = present.months_span(month_text(window[0]), month_text(window[1]))
    parts = []
    if before:
        parts.append(f"{before:,} before {present.month(window[0])}")
    if after:
        parts.append(f"{after:,} after {present.month(window[1])}")
    lo, hi = month_text(window[0]), month_text(window[1])
    return [Check("tickets_outside_spend", WARN, (
        f"{_share(outside, total)} tickets were opened outside the months the spend data"
        f" covers ({span}): {' and '.join(parts)}. Their months are not in the cost"
        " comparison. Load invoices for those months, or look at the spend months only:"
        f" `breakeven metrics -w {ctx.workspace} --from {lo} --to {hi}` (the dashboard's"
        " Months filter)."))]


def _spend_gaps(
    con: duckdb.DuckDBPyConnection, f: Facts, window: tuple[date, date], ctx: Context
) -> list[Check]:
    lines, params = invoice_lines_sql(f)
    covered = {r[0] for r in con.execute(
        f"SELECT DISTINCT month FROM ({lines})", params).fetchall()}
    runs: list[list[date]] = []
    run: list[date] = []
    for m in months_between(*window):
        if m in covered:
            if len(run) >= 2:
                runs.append(run)
            run = []
        else:
            run.append(m)
    if len(run) >= 2:  # cannot happen (the window ends on a covered month); kept for safety
        runs.append(run)
    if not runs:
        return []
    named = [present.months_span(month_text(r[0]), month_text(r[-1])) for r in runs]
    missing = sum(len(r) for r in runs)
    return [Check("spend_gaps", WARN, (
        f"No invoice line in {present.and_list(named, limit=5)}"
        f" ({present.count(missing, 'month')} with no invoice inside the spend window"
        f" {present.months_span(month_text(window[0]), month_text(window[1]))}): break-fix"
        " looks cheaper there than it was if invoices are missing. Load the invoices for"
        f" those months (`breakeven ingest INVOICES.csv -w {ctx.workspace}`)."))]


def _dominant_lines(con: duckdb.DuckDBPyConnection, f: Facts, ctx: Context) -> list[Check]:
    lines, params = invoice_lines_sql(f)
    rows = con.execute(
        f"""
        WITH l AS ({lines}),
        total AS (SELECT sum(amount) AS t FROM l WHERE counted)
        SELECT invoice_id, line_no, invoice_date, description, client, amount, total.t,
               count(*) OVER () AS n
        FROM l, total
        WHERE counted AND total.t > 0 AND amount * 4 > total.t
        ORDER BY amount DESC, invoice_date, invoice_id, line_no
        LIMIT 5
        """, params).fetchall()
    if not rows:
        return []
    total: Decimal = rows[0][6]
    cur = ctx.currency
    named = []
    for inv, line_no, day, desc, client, amount, _, _ in rows:
        what = f" ({desc})" if desc else (f" ({client})" if client else "")
        named.append(f"invoice {inv} line {line_no} of {day:%d %b %Y}{what},"
                     f" {present.money(amount, cur)} ({present.percent(amount / total)})")
    n = rows[0][7]
    texts = [t for t in dict.fromkeys(exclusion_text(r[3], r[4]) for r in rows) if t]
    fix = (f"`breakeven scenario -w {ctx.workspace} --set"
           f" exclude_spend=\"{','.join(texts)}\"`" if texts else "`exclude_spend`")
    lead = ("One invoice line is" if n == 1
            else f"{n:,} invoice lines are each")
    more = f" (the 5 largest: {'; '.join(named)})" if n > 5 else f": {'; '.join(named)}"
    return [Check("dominant_lines", WARN, (
        f"{lead} over 25% of the {present.money(total, cur)} counted as break-fix"
        f"{more}. If a line is not IT break-fix work, leave it out: {fix}, or the Exclude"
        " button under the largest lines on the dashboard's Spend page."))]


# --- tickets ------------------------------------------------------------------------------

@dataclass(frozen=True)
class TicketMonth:
    """The window's tickets opened in one local month: all, resolved, resolved at the very
    moment they were opened."""

    month: date | None
    tickets: int
    resolved: int
    zero: int


def _ticket_months(f: Facts) -> list[TicketMonth]:
    """Per month of opening, the counts three checks need: one statement (grouped on the
    month, a few dozen groups) instead of one per check."""
    return [TicketMonth(*row) for row in f.rows(
        "SELECT om, count(*), count(*) FILTER (resolved),"
        f" count(*) FILTER (resolved AND ttr_hours = 0) FROM ({f.tickets}) GROUP BY om")]


def _category_recurrence(f: Facts) -> list[Check]:
    keyed, by_category = f.rows(
        "SELECT count(*), count(*) FILTER (no_asset)"
        f" FROM ({f.downtime}) WHERE recurrence_key IS NOT NULL")[0]
    if not keyed or by_category * 2 <= keyed:
        return []
    days = f.scenario.recurrence_days
    return [Check("category_recurrence", WARN, (
        f"{_share(by_category, keyed)} outages have no asset, so recurrence is judged by"
        f" category: 'recurring' means another outage of the same category within {days}"
        " days, not the same device failing again. For device-level recurrence, load the"
        " export with its device or configuration-item column (`--map asset=HEADER`, or"
        " the mapping on the dashboard's Data page)."))]


def _capped_export(con: duckdb.DuckDBPyConnection) -> list[Check]:
    rows = con.execute(
        "SELECT file_name, rows_read FROM loads WHERE kind = 'incidents'"
        " AND status IN ('loaded', 'loaded_with_rejects') AND list_contains($caps, rows_read)"
        " ORDER BY load_id", {"caps": list(CAPPED_ROWS)}).fetchall()
    if not rows:
        return []
    files = list(dict.fromkeys(f"{name} ({n:,} rows)" for name, n in rows))
    one = len(files) == 1
    return [Check("capped_export", WARN, (
        f"{'The ticket file' if one else 'The ticket files'} {present.and_list(files, 5)}"
        f" {'has' if one else 'have'} exactly the row limit many tools cut an export at:"
        " tickets may be missing. Export again in smaller date ranges and load every"
        " file (loading the same tickets twice changes nothing)."))]


_SECOND = ("(epoch_us(opened_at) // 1000000"
           " - CASE WHEN epoch_us(opened_at) % 1000000 < 0 THEN 1 ELSE 0 END)")


def _import_timestamps(f: Facts, months: list[TicketMonth], total: int) -> list[Check]:
    if not total:
        return []
    # Grouping a million tickets by second costs a hash table of a million entries. A
    # second held by more than 20% of the tickets lies in a month and a UTC day (here:
    # its second // 86400) that hold more than 20% too, so only the seconds of such days
    # in such months are counted; most workspaces have no such month (same result).
    crowded = [m.month for m in months if m.month is not None and m.tickets * 5 > total]
    if not crowded:
        return []
    rows = f.rows(
        f"""
        WITH t AS (SELECT {_SECOND} AS s FROM ({f.tickets}) WHERE list_contains($months, om)),
        days AS (SELECT s // 86400 AS day FROM t GROUP BY day HAVING count(*) * 5 > $total)
        SELECT s, count(*) AS n FROM t WHERE s // 86400 IN (SELECT day FROM days)
        GROUP BY s ORDER BY n DESC, s LIMIT 1
        """, {"months": crowded, "total": total})
    if not rows:
        return []
    epoch_second, n = rows[0]
    if n < 2 or n * 5 <= total:
        return []
    second = (datetime.fromtimestamp(epoch_second, UTC).astimezone(ZoneInfo(f.scenario.timezone))
              .strftime("%Y-%m-%d %H:%M:%S"))
    return [Check("import_timestamps", WARN, (
        f"{_share(n, total)} tickets were opened at the same second, {second}: that looks"
        " like the time of an import or migration, not when each problem was reported, so"
        " time to resolve and the months of those tickets are wrong. Load an export with"
        " the original created/opened time (`--map opened_at=HEADER`)."))]


def _zero_durations(months: list[TicketMonth]) -> list[Check]:
    resolved = sum(m.resolved for m in months)
    zero = sum(m.zero for m in months)
    if not resolved or zero * 5 <= resolved:
        return []
    return [Check("zero_durations", WARN, (
        f"{_share(zero, resolved)} resolved tickets were resolved at the very moment they"
        " were opened: they count 0 h to resolve, which pulls the times down. The export's"
        " resolved column may be a copy of its created column, or the tickets were logged"
        " after the work; load the real resolved time (`--map resolved_at=HEADER`)."))]


# --- before a load: what a file's columns leave out --------------------------------------

_MISSING: tuple[tuple[tuple[str, ...], str], ...] = (
    (("resolved_at",), ("no resolved (or closed) time: every ticket will count as open, so"
                        " there is no time to resolve, and downtime hours only where an"
                        " outage duration is given")),
    (("labour_hours", "billed_amount"), ("no time-worked or billed column: break-fix spend"
                                         " must come from the IT provider's invoices (load"
                                         " them too), else there is no verdict")),
    (("asset",), ("no asset (device, configuration item or service) column: recurring"
                  " outages will be judged by category, not by the same device failing again")),
)


def missing_columns(kind: str | None, fields: set[str] | list[str] | tuple[str, ...]) -> list[str]:
    """What the figures will lack for a ticket file mapped to `fields` (canonical names):
    one sentence per missing core column, with `--map FIELD=HEADER` as the fix."""
    if kind != "incidents":
        return []
    have = set(fields)
    out = []
    for names, lack in _MISSING:
        if not have & set(names):
            fix = " or ".join(f"--map {n}=HEADER" for n in names)
            out.append(f"{lack[0].upper()}{lack[1:]}. If the file has such a column, map it"
                       f" ({fix}).")
    return out
