"""Recurring problems and the assets that cost most (METRICS.md section 12).

`problems` groups tickets whose titles describe the same problem; `assets` ranks the
(client, asset) pairs by repair cost and gives RHEM (reactive hours per endpoint per
month). Both read the tickets *opened in the analysis window* (and of the filtered
client), like every other figure.

How titles become groups (normalisation, keys, near-duplicate grouping, and the
measured precision and recall) is `pipelines.metrics.problems_text`; this module adds
the figures per group and per asset.

Decisions where METRICS.md is silent:

* `label` is the group's most common cleaned title (prefixes, ids, names, e-mail
  addresses removed; case and word order as typed), ties by the shorter, then A-Z.
* `cost`: per ticket `billed_amount`, else `labour_hours * hourly_rate`, else 0;
  null when no ticket of the group (or asset) has either (no cost data, not a cost
  of 0). `ttr_hours` is null when none of its tickets was resolved at or after
  opening; `downtime_hours` is 0 when none was a downtime incident.
* `first`/`last` are months of `opened_at` in the scenario's time zone.
* Groups are ordered by tickets desc, cost desc (null last), label A-Z, then the
  leader key; `assets.top` by cost desc (null last), tickets desc, client, asset.
* `assets.endpoints` counts the distinct (client, asset) pairs of the window's
  tickets with an asset when the scenario's `devices` is 0; `rhem` divides the
  window's labour hours by endpoints and by the months of the analysis window.
* `replacement_cost` (scenario, 0 = off): an asset whose repair cost passes it is
  listed by `past_replacement` (the dashboard's and the report's note).
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb
import polars as pl

from pipelines.metrics.facts import Facts, Filters, registered, using
from pipelines.metrics.problems_text import (
    canonical_words,
    group_keys,
    stem,
    title_groups,
    title_keys,
    without_digits,
)
from pipelines.scenario import Scenario

__all__ = [
    "MIN_TICKETS", "TOP", "AssetsResult", "ProblemsResult", "assets", "assets_json",
    "canonical_words", "group_keys", "group_tickets", "past_replacement", "problems",
    "problems_json", "problems_table", "recurring_sentence", "sentence", "stem",
    "title_groups", "title_keys",
]

SCENARIO_KEYS = ("timezone", "hourly_rate", "outage_priorities", "devices")  # problems, assets
MIN_TICKETS = 3
TOP = 20


# --- the metrics ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProblemsResult:
    """Every group (most tickets first), its member tickets, and its tickets per month."""

    groups: pl.DataFrame  # group, label, incidents, clients, assets, first, last, ttr_hours,
    #                       downtime_hours, cost
    tickets: pl.DataFrame  # group, client, ticket_id, title, asset, opened_at, cost
    monthly: pl.DataFrame  # group, label, month, tickets
    titled: int = 0  # the window's tickets that have a title (0: nothing to group)


_GROUP_SCHEMA: dict[str, Any] = {"group": pl.String, "label": pl.String, "incidents": pl.Int64,
                 "clients": pl.Int64, "assets": pl.Int64, "first": pl.Date, "last": pl.Date,
                 "ttr_hours": pl.Float64, "downtime_hours": pl.Float64,
                 "cost": pl.Decimal(38, 4)}
_TICKET_SCHEMA: dict[str, Any] = {"group": pl.String, "client": pl.String, "ticket_id": pl.String,
                  "title": pl.String, "asset": pl.String, "opened_at": pl.Datetime("us", "UTC"),
                  "cost": pl.Decimal(38, 4)}


def _window_tickets_sql(f: Facts, columns: str) -> str:
    om = ("opened_month" if f.months_stored
          else "CAST(date_trunc('month', timezone($tz, opened_at)) AS DATE)")
    return (
        f"SELECT {columns}, {om} AS om FROM incidents"
        " WHERE ($client::VARCHAR IS NULL OR client = $client)"
        f" AND {om} BETWEEN $start AND $end"
    )


_COST = ("CASE WHEN billed_amount IS NOT NULL THEN CAST(billed_amount AS DECIMAL(38,4))"
         " WHEN labour_hours IS NOT NULL THEN CAST(labour_hours * $rate AS DECIMAL(38,4)) END")
_DOWN = ("CASE WHEN coalesce(downtime_minutes > 0 OR (downtime_minutes IS NULL"
         " AND list_contains($prios, priority)), false)"
         " THEN CASE WHEN downtime_minutes IS NOT NULL THEN downtime_minutes / 60"
         " ELSE ttr_hours END END")


def problems(
    con: duckdb.DuckDBPyConnection,
    scenario: Scenario,
    filters: Filters | None = None,
    *,
    facts: Facts | None = None,
    with_tickets: bool = True,
) -> ProblemsResult:
    """Every recurring-problem group of 3+ tickets opened in the window (section 12);
    `tickets` stays empty unless `with_tickets` (the JSON of `metrics` does not list them)."""
    with using(con, scenario, filters, facts) as f:
        if f is None:
            return _empty_problems()
        extra = {"tz": scenario.timezone, "rate": scenario.hourly_rate,
                 "prios": list(scenario.outage_priorities), "listed": with_tickets}
        titled, grouped = _grouped_titles(f, extra)
        if grouped is None:
            return _empty_problems(titled)
        keep, labels, by_hash = grouped
        # Joined by the title's hash (an integer join, far cheaper than one on a million
        # titles) when no two of the window's distinct titles share a hash, else by title.
        on = "p.h = hash(t.title)" if by_hash else "p.title = t.title"
        with registered(con, "_problem_titles", keep.select("title", "h", "group")):
            columns = ("client, ticket_id, title, asset, opened_at, ttr_hours AS ttr,"
                       f" {_COST} AS cost, {_DOWN} AS down")
            rows_sql = (
                "SELECT p.group, t.client, t.ticket_id, t.title, t.asset, t.opened_at, t.om,"
                f" t.cost, t.ttr, t.down FROM ({_window_tickets_sql(f, columns)}) t"
                f" JOIN _problem_titles p ON t.title IS NOT NULL AND {on}"
            )
            members = f.frame(
                f"""
                WITH m AS MATERIALIZED ({rows_sql})
                SELECT 'g' AS part, "group", NULL AS client, NULL AS ticket_id, NULL AS title,
                       NULL AS asset, NULL::TIMESTAMPTZ AS opened_at, NULL::DATE AS month,
                       count(*) AS incidents, count(DISTINCT client) AS clients,
                       count(DISTINCT (client, asset)) FILTER (asset IS NOT NULL) AS assets,
                       min(om) AS first, max(om) AS last, fsum(ttr) AS ttr_hours,
                       coalesce(fsum(down), 0) AS downtime_hours, sum(cost) AS cost
                FROM m GROUP BY "group"
                UNION ALL
                SELECT 't', "group", client, ticket_id, title, asset, opened_at, NULL,
                       NULL, NULL, NULL, NULL, NULL, NULL, NULL, cost FROM m WHERE $listed
                UNION ALL
                SELECT 'm', "group", NULL, NULL, NULL, NULL, NULL, om, count(*),
                       NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM m GROUP BY "group", om
                """,
                extra,
            )
    groups = (
        members.filter(pl.col("part") == "g")
        .select("group", "incidents", "clients", "assets", "first", "last", "ttr_hours",
                "downtime_hours", "cost")
        .join(labels, on="group")
        .filter(pl.col("incidents") >= MIN_TICKETS)
    )
    groups = groups.select(list(_GROUP_SCHEMA)).cast(pl.Schema(_GROUP_SCHEMA)).sort(
        ["incidents", "cost", "label", "group"],
        descending=[True, True, False, False], nulls_last=True)
    rank = groups.select("group", "label").with_row_index("rank")
    tickets = (  # in the groups' order, then by opening
        members.filter(pl.col("part") == "t")
        .join(rank, on="group")
        .sort(["rank", "opened_at", "client", "ticket_id"])
        .select(list(_TICKET_SCHEMA)).cast(pl.Schema(_TICKET_SCHEMA))
    )
    monthly = (
        members.filter(pl.col("part") == "m")
        .join(rank, on="group")
        .sort(["rank", "month"])
        .select("group", "label", "month", tickets=pl.col("incidents").cast(pl.Int64))
    )
    return ProblemsResult(groups, tickets, monthly, titled)


# The title groups of a multiset of titles, by its fingerprint: grouping is a function of
# the titles and their counts alone, and most of the CPU of `problems` on a large
# workspace; the dashboard asks again on every page and filter change.
_Grouped = tuple[pl.DataFrame, pl.DataFrame, bool]
_GROUPED: OrderedDict[tuple[Any, ...], _Grouped | None] = OrderedDict()
_GROUPED_KEEP = 4
_GROUPED_LOCK = threading.Lock()


def _grouped_titles(f: Facts, extra: dict[str, object]) -> tuple[int, _Grouped | None]:
    """The number of the window's tickets with a title, and (title, its hash h -> group,
    of the titles in a group; label per group; whether the window's distinct titles all
    have distinct hashes) of the window's titles, None when no title is in a group; cached by the titles' fingerprint (their count and two
    sums of their 64-bit hashes, over every ticket, so counts matter as they do to
    grouping)."""
    window = _window_tickets_sql(f, "title")
    fingerprint = tuple(f.rows(
        "SELECT count(h), sum(h::HUGEINT), sum((h >> 32)::HUGEINT * (h & 4294967295)::HUGEINT)"
        f" FROM (SELECT hash(title) AS h FROM ({window}) WHERE title IS NOT NULL)", extra)[0])
    titled = int(fingerprint[0])
    if not titled:
        return 0, None
    with _GROUPED_LOCK:
        if fingerprint in _GROUPED:
            _GROUPED.move_to_end(fingerprint)
            return titled, _GROUPED[fingerprint]
    distinct = f.frame(
        f"SELECT title, hash(title) AS h, count(*) AS n FROM ({window})"
        " WHERE title IS NOT NULL GROUP BY title", extra)
    # Ids and numbers go first (what makes nearly every raw title distinct), so the text
    # method runs on the distinct results; it gives a title the groups of its result.
    distinct = distinct.with_columns(plain=without_digits(distinct["title"]))
    plains = distinct.group_by("plain").agg(pl.col("n").sum())
    grouped = title_groups(plains["plain"], plains["n"]).filter(pl.col("group").is_not_null())
    result = None
    if grouped.height:
        labels = _labels(grouped)
        grouped = grouped.join(labels.select("group"), on="group", how="semi")
        keep = distinct.join(grouped.select(plain="title", group="group"), on="plain")
        by_hash = distinct["h"].n_unique() == distinct.height
        result = (keep.select("title", "h", "group"), labels, by_hash)
    with _GROUPED_LOCK:
        _GROUPED[fingerprint] = result
        while len(_GROUPED) > _GROUPED_KEEP:
            _GROUPED.popitem(last=False)
    return titled, result


def _labels(mapping: pl.DataFrame) -> pl.DataFrame:
    """Per group its label: the most common cleaned title (ties: shorter, then A-Z)."""
    shown = mapping.with_columns(
        display=pl.when(pl.col("display").str.len_chars() > 0).then("display")
        .otherwise(pl.col("key")))
    per = shown.group_by("group", "display").agg(pl.col("tickets").sum())
    return (
        per.with_columns(length=pl.col("display").str.len_chars())
        .sort(["group", "tickets", "length", "display"], descending=[False, True, False, False])
        .group_by("group", maintain_order=True).first()
        .select("group", label="display")
    )


def _empty_problems(titled: int = 0) -> ProblemsResult:
    return ProblemsResult(
        pl.DataFrame(schema=_GROUP_SCHEMA), pl.DataFrame(schema=_TICKET_SCHEMA),
        pl.DataFrame(schema={"group": pl.String, "label": pl.String, "month": pl.Date,
                             "tickets": pl.Int64}),
        titled,
    )


@dataclass(frozen=True)
class AssetsResult:
    """Repair figures per (client, asset), the endpoints counted and RHEM."""

    top: pl.DataFrame  # client, asset, incidents, labour_hours, cost, downtime_hours
    endpoints: int
    rhem: float | None
    labour_hours: float | None
    months: int


_ASSET_SCHEMA: dict[str, Any] = {"client": pl.String, "asset": pl.String, "incidents": pl.Int64,
                 "labour_hours": pl.Float64, "cost": pl.Decimal(38, 4),
                 "downtime_hours": pl.Float64}


def assets(
    con: duckdb.DuckDBPyConnection,
    scenario: Scenario,
    filters: Filters | None = None,
    *,
    facts: Facts | None = None,
    limit: int = TOP,
) -> AssetsResult:
    """The assets that cost most to repair, endpoints and RHEM (section 12)."""
    with using(con, scenario, filters, facts) as f:
        if f is None:
            return AssetsResult(pl.DataFrame(schema=_ASSET_SCHEMA), scenario.devices or 0,
                                None, None, 0)
        extra = {"tz": scenario.timezone, "rate": scenario.hourly_rate,
                 "prios": list(scenario.outage_priorities), "limit": limit}
        inner = _window_tickets_sql(
            f, "client, asset, labour_hours, billed_amount, downtime_minutes, priority,"
               " ttr_hours")
        # Ranking needs only each pair's tickets and cost; the pairs are counted on the
        # materialised groups (a window over them, `count(*) OVER ()`, cost as much as the
        # grouping itself on 660k pairs). The compensated hour sums, dear on hundreds of
        # thousands of pairs, are then taken for the top pairs only, their downtime hours
        # computed after the join (for their tickets only).
        pairs_sql = f"SELECT * FROM ({inner}) WHERE asset IS NOT NULL"
        frame = f.frame(
            f"""
            WITH g AS MATERIALIZED (
                SELECT client, asset, count(*) AS incidents, sum({_COST}) AS cost
                FROM ({pairs_sql}) GROUP BY client, asset
            ), top AS (
                SELECT *, (SELECT count(*) FROM g) AS pairs FROM g
                ORDER BY cost DESC NULLS LAST, incidents DESC, client, asset
                LIMIT $limit
            ), hours AS (
                SELECT client, asset, fsum(labour_hours) AS labour_hours,
                       coalesce(fsum({_DOWN}), 0) AS downtime_hours
                FROM ({pairs_sql}) w SEMI JOIN top USING (client, asset)
                GROUP BY client, asset
            )
            SELECT * FROM top JOIN hours USING (client, asset)
            """,
            extra,
        )
        window = f.rows(
            f"SELECT fsum(labour_hours) FROM ({_window_tickets_sql(f, 'labour_hours')})", extra)
        months = len(f.months)
    top = (frame.select(list(_ASSET_SCHEMA)).cast(pl.Schema(_ASSET_SCHEMA))
           .sort(["cost", "incidents", "client", "asset"],
                 descending=[True, True, False, False], nulls_last=True))
    pairs = int(frame["pairs"][0]) if frame.height else 0
    endpoints = scenario.devices if scenario.devices > 0 else pairs
    labour = window[0][0]
    rhem = labour / endpoints / months if labour is not None and endpoints and months else None
    return AssetsResult(top, endpoints, rhem, labour, months)


def past_replacement(top: pl.DataFrame, replacement_cost: float) -> pl.DataFrame:
    """The assets of `top` whose repair cost is above `replacement_cost` (none when it is 0)."""
    if replacement_cost <= 0 or top.height == 0:
        return top.clear()
    return top.filter(pl.col("cost") > Decimal(str(replacement_cost)))


def problems_json(result: ProblemsResult, *, limit: int | None = TOP,
                  with_tickets: bool = False) -> list[dict[str, Any]]:
    """Groups as the JSON objects of METRICS.md section 7 (and `tickets` for the CLI)."""
    from pipelines.metrics.summary import hours, money

    members: dict[str, list[dict[str, str]]] = defaultdict(list)
    if with_tickets:
        for g, client, ticket in result.tickets.select("group", "client", "ticket_id").rows():
            members[g].append({"client": client, "ticket_id": ticket})
    rows = result.groups if limit is None else result.groups.head(limit)
    out = []
    for r in rows.iter_rows(named=True):
        item: dict[str, Any] = {
            "label": r["label"], "incidents": r["incidents"], "clients": r["clients"],
            "assets": r["assets"], "first": f"{r['first']:%Y-%m}", "last": f"{r['last']:%Y-%m}",
            "ttr_hours": hours(r["ttr_hours"]), "downtime_hours": hours(r["downtime_hours"]),
            "cost": money(r["cost"]),
        }
        if with_tickets:
            item["tickets"] = members[r["group"]]
        out.append(item)
    return out


def assets_json(result: AssetsResult) -> dict[str, Any]:
    """The `assets` object of METRICS.md section 7."""
    from pipelines.metrics.summary import hours, money

    return {
        "endpoints": result.endpoints,
        "rhem": hours(result.rhem),
        "top": [
            {"client": r["client"], "asset": r["asset"], "incidents": r["incidents"],
             "labour_hours": hours(r["labour_hours"]), "cost": money(r["cost"]),
             "downtime_hours": hours(r["downtime_hours"])}
            for r in result.top.iter_rows(named=True)
        ],
    }


def recurring_sentence(result: ProblemsResult, currency: str | None = None) -> str:
    """'12 problems came back 3 or more times and cost 18,400 in labour.'"""
    return sentence(result.groups.height, result.groups["cost"].to_list(), currency,
                    titled=result.titled)


def sentence(groups: int, costs: Sequence[Any], currency: str | None = None, *,
             at_least: bool = False, titled: int | None = None) -> str:
    """The pre-sales sentence for `groups` groups whose costs (None: no data) are `costs`;
    `at_least` when the list holds only the first groups (the JSON's top 20); `titled`, when
    known, the window's tickets with a title (none: there is nothing to group, no data)."""
    from pipelines.metrics.summary import money

    if groups == 0 and titled == 0:
        return ("No data: the tickets in the chosen window have no titles, so recurring"
                " problems cannot be looked for.")
    if groups == 0:
        return "No problem came back 3 or more times in the chosen window."
    priced = [Decimal(str(c)) for c in costs if c is not None]
    many = f"{'at least ' if at_least else ''}{groups:,} problem{'' if groups == 1 else 's'}"
    head = f"{many[0].upper()}{many[1:]} came back {MIN_TICKETS} or more times"
    if not priced:
        return (f"{head}; the tickets carry no billed amounts or labour hours to put a"
                " price on them.")
    total = money(sum(priced, Decimal(0)))
    amount = f"{currency} {total:,.0f}" if currency else f"{total:,.0f}"
    return f"{head} and cost {amount} in labour."


def problems_table(result: ProblemsResult) -> pl.DataFrame:
    """The groups as the dashboard and report show them: label, tickets, clients, assets,
    span (first - last month), hours (time to resolve), downtime hours, cost."""
    g = result.groups
    span = pl.concat_str(pl.col("first").dt.strftime("%b %Y"), pl.lit(" – "),
                         pl.col("last").dt.strftime("%b %Y"))
    return g.select(
        "group", problem="label", tickets="incidents", clients="clients", assets="assets",
        span=span, hours=pl.col("ttr_hours").round(1),
        downtime_hours=pl.col("downtime_hours").round(1),
        cost=pl.col("cost").cast(pl.Float64).round(2))


def group_tickets(result: ProblemsResult, group: str) -> pl.DataFrame:
    """The tickets of one group, oldest first: client, ticket, title, asset, opened, cost."""
    return result.tickets.filter(pl.col("group") == group).select(
        "client", ticket="ticket_id", title="title", asset="asset", opened="opened_at",
        cost=pl.col("cost").cast(pl.Float64).round(2))
