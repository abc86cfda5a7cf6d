"""An independent reference implementation of METRICS.md sections 3, 4, 5, 8, 9, 10 and
the `assets` part of 12, for tests/test_contract.py.

It reads the workspace tables with a plain `SELECT *` into Python objects and follows
the contract text line by line in plain Python (no SQL of the product, no Polars): exact
`Decimal`/`Fraction` money, `zoneinfo` months and business hours. Where the contract is
silent it takes the product's documented choice (the module docstrings of
pipelines/metrics/*), noted here as `# silent:`.

Rounding is that of section 7: money half-up to cents, hours to 2 decimals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from pipelines.business_time import parse_business_hours
from pipelines.scenario import Scenario

PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
CAPS = (1_000, 2_000, 5_000, 10_000, 50_000, 100_000)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --- rounding (section 7) ------------------------------------------------------------------

class Either(float):
    """A rounded figure whose exact value is (within float error) a rounding tie: a
    computation in floats may round it either way, so both neighbours are accepted."""

    alts: tuple[float, float]


def _rounded(x: Fraction, half_up: float) -> float:
    cents = x * 100
    low = cents.numerator // cents.denominator
    value = float(low + 1 if cents - low >= Fraction(1, 2) else low) / 100 if half_up else 0.0
    if abs(cents - low - Fraction(1, 2)) < Fraction(1, 10**6):
        out = Either(value)
        out.alts = (low / 100, (low + 1) / 100)
        return out
    return value


def money(x: Fraction | Decimal | None) -> float | None:
    if x is None:
        return None
    exact = Fraction(str(x)) if isinstance(x, Decimal) else Fraction(x)
    d = Decimal(exact.numerator) / Decimal(exact.denominator)
    value = float(d.quantize(Decimal("0.01"), ROUND_HALF_UP))
    tie = _rounded(exact, True)
    if isinstance(tie, Either):
        tie = Either(value)
        tie.alts = _rounded(exact, True).alts  # type: ignore[attr-defined]
        return tie
    return value


def hours(x: float | Fraction | None) -> float | None:
    if x is None:
        return None
    exact = Fraction(x)
    value = float((Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        Decimal("0.01"), ROUND_HALF_UP))  # half-up, like money (summary.hours)
    tie = _rounded(exact, True)
    if isinstance(tie, Either):
        out = Either(value)
        out.alts = tie.alts
        return out
    return value


def ratio(x: Fraction | None) -> float | None:
    # silent: cv is neither hours nor money; "same rounding": 2 decimals, half-up.
    return money(x)


# --- reading ------------------------------------------------------------------------------

def rows(con: duckdb.DuckDBPyConnection, table: str) -> list[dict[str, Any]]:
    cur = con.execute(f"SELECT * FROM {table}")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def us(ts: datetime) -> int:
    d = ts - EPOCH
    return (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds


def month_of(ts: datetime, zone: ZoneInfo) -> tuple[int, int]:
    local = ts.astimezone(zone)
    return (local.year, local.month)


def mtext(m: tuple[int, int] | None) -> str | None:
    return None if m is None else f"{m[0]:04d}-{m[1]:02d}"


def months(a: tuple[int, int], b: tuple[int, int]) -> list[tuple[int, int]]:
    out, (y, m) = [], a
    while (y, m) <= b:
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def quantile(xs: list[Any], q: Fraction) -> Any:
    """Linear interpolation (NumPy's default)."""
    if not xs:
        return None
    s = sorted(xs)
    h = (len(s) - 1) * q
    lo = int(h)
    if lo + 1 >= len(s):
        return s[-1]
    frac = h - lo
    if isinstance(s[0], float):
        return s[lo] + float(frac) * (s[lo + 1] - s[lo])
    return s[lo] + frac * (s[lo + 1] - s[lo])


def stats(xs: list[Fraction]) -> dict[str, Any]:
    return {
        "count": len(xs),
        "mean_hours": hours(sum(Fraction(x) for x in xs) / len(xs)) if xs else None,
        "median_hours": hours(quantile([Fraction(x) for x in xs], Fraction(1, 2))),
        "p90_hours": hours(quantile([Fraction(x) for x in xs], Fraction(9, 10))),
    }


def frac(x: Any) -> Fraction:
    return Fraction(str(x)) if isinstance(x, Decimal) else Fraction(x)


# --- the reference --------------------------------------------------------------------------

@dataclass
class Ticket:
    row: dict[str, Any]
    om: tuple[int, int]
    rm: tuple[int, int] | None

    def __getattr__(self, name: str) -> Any:
        return self.row[name]


def reference(
    con: duckdb.DuckDBPyConnection, s: Scenario, month_from: str | None = None,
    month_to: str | None = None, client: str | None = None,
) -> dict[str, Any]:
    zone = ZoneInfo(s.timezone)
    incidents = [r for r in rows(con, "incidents") if client is None or r["client"] == client]
    lines = [r for r in rows(con, "invoice_lines") if client is None or r["client"] == client]
    loads = rows(con, "loads")
    for r in incidents:
        r.setdefault("responded_at", None)

    # Section 2: the analysis window.
    lo = [month_of(r["opened_at"], zone) for r in incidents] + [
        (r["invoice_date"].year, r["invoice_date"].month) for r in lines]
    hi = lo + [month_of(r["resolved_at"], zone) for r in incidents if r["resolved_at"]]
    window: tuple[tuple[int, int], tuple[int, int]] | None = None
    if lo:
        start, end = min(lo), max(hi)
        if month_from:
            start = max(start, (int(month_from[:4]), int(month_from[5:])))
        if month_to:
            end = min(end, (int(month_to[:4]), int(month_to[5:])))
        window = (start, end) if start <= end else None
    out: dict[str, Any] = {"window": {"start": mtext(window[0]) if window else None,
                                      "end": mtext(window[1]) if window else None}}
    wmonths = months(*window) if window else []
    inw = set(wmonths)

    tickets = [Ticket(r, month_of(r["opened_at"], zone),
                      month_of(r["resolved_at"], zone) if r["resolved_at"] else None)
               for r in incidents]
    tw = [t for t in tickets if t.om in inw]

    # incidents
    out["incidents"] = {
        "total": len(tw), "resolved": sum(1 for t in tw if t.resolved_at is not None),
        "open": sum(1 for t in tw if t.resolved_at is None),
        "warnings": sum(1 for t in tw if t.resolved_at is not None
                        and t.resolved_at < t.opened_at),
    }

    # Section 3: TTR.
    def ttr(t: Ticket) -> float | None:
        if t.resolved_at is None or t.resolved_at < t.opened_at:
            return None
        return Fraction(us(t.resolved_at) - us(t.opened_at), 3_600_000_000)

    timed = [t for t in tw if ttr(t) is not None]
    by_priority = {p: stats([ttr(t) for t in timed if t.priority == p]) for p in PRIORITIES}
    unknown = [ttr(t) for t in timed if t.priority is None]
    if unknown:  # silent: "unknown" when unprioritised tickets were timed
        by_priority["unknown"] = stats(unknown)
    monthly_ttr = []
    for m in wmonths:
        xs = [ttr(t) for t in timed if t.rm == m]
        st = stats(xs)
        monthly_ttr.append({"month": mtext(m), "count": st["count"],
                            "median_hours": st["median_hours"], "p90_hours": st["p90_hours"]})
    out["ttr"] = {**stats([ttr(t) for t in timed]), "by_priority": by_priority,
                  "monthly": monthly_ttr}

    # Section 4: downtime and recurrence.
    def is_down(t: Ticket) -> bool:
        dm = t.downtime_minutes
        if dm is not None:
            return dm > 0
        return t.priority in s.outage_priorities

    def down_hours(t: Ticket) -> Fraction | None:
        if t.downtime_minutes is not None:
            return Fraction(t.downtime_minutes) / 60
        x = ttr(t)
        return None if x is None else Fraction(x)

    def key(t: Ticket) -> tuple[str, str, str] | None:
        if t.asset is not None:
            return (t.client, "asset", t.asset)
        if t.category is not None:
            return (t.client, "category", t.category)
        return None

    history = [t for t in tickets if is_down(t)]  # silent: recurrence looks back over it all
    span = s.recurrence_days * 86400 * 1_000_000
    order = sorted(history, key=lambda t: (us(t.opened_at), t.ticket_id))
    position = {id(t): i for i, t in enumerate(order)}
    by_key: dict[Any, list[Ticket]] = {}
    for t in order:
        if key(t) is not None:
            by_key.setdefault(key(t), []).append(t)

    def recurring(t: Ticket) -> bool:
        k = key(t)
        if k is None:
            return False
        return any(position[id(o)] < position[id(t)] and us(t.opened_at) - us(o.opened_at) <= span
                   for o in by_key[k] if o is not t)

    dw = [t for t in history if t.om in inw]

    def hsum(ts: list[Ticket]) -> float:
        return float(sum((down_hours(t) or Fraction(0) for t in ts), Fraction(0)))

    rec = [t for t in dw if recurring(t)]
    groups: dict[Any, list[Ticket]] = {}
    for t in dw:
        if key(t) is not None:
            groups.setdefault(key(t), []).append(t)
    top = sorted(((k, g) for k, g in groups.items() if len(g) >= 2),
                 key=lambda kg: (-len(kg[1]), -hsum(kg[1]), kg[0][0], kg[0][2], kg[0][1]))[:10]
    out["downtime"] = {
        "incidents": len(dw), "hours": hours(hsum(dw)),
        "open_outages": sum(1 for t in dw if t.downtime_minutes is None and t.resolved_at is None),
        "recurring_incidents": len(rec), "recurring_hours": hours(hsum(rec)),
        "top_recurring": [{"client": k[0], "key": k[2], "incidents": len(g),
                           "hours": hours(hsum(g))} for k, g in top],
        "monthly": [{"month": mtext(m), "incidents": sum(1 for t in dw if t.om == m),
                     "hours": hours(hsum([t for t in dw if t.om == m])),
                     "recurring_incidents": sum(1 for t in rec if t.om == m),
                     "recurring_hours": hours(hsum([t for t in rec if t.om == m]))}
                    for m in wmonths],
    }

    # Section 5: spend.
    kinds = {"labour", "other"} | ({"parts"} if s.include_parts else set())

    def excluded_text(line: dict[str, Any]) -> bool:
        return any(x.lower() in (line["description"] or "").lower()
                   or x.lower() in (line["client"] or "").lower() for x in s.exclude_spend)

    lw = [r for r in lines if (r["invoice_date"].year, r["invoice_date"].month) in inw]
    counted = [r for r in lw if r["kind"] in kinds and not excluded_text(r)]
    excluded = [r for r in lw if r["kind"] in kinds and excluded_text(r)]

    def lmonth(r: dict[str, Any]) -> tuple[int, int]:
        return (r["invoice_date"].year, r["invoice_date"].month)

    def tmonth(t: Ticket) -> tuple[int, int]:
        return t.rm if t.resolved_at is not None else t.om  # type: ignore[return-value]

    source: str | None = None
    spend_by: dict[tuple[int, int], Fraction] = {}
    data_months: list[tuple[int, int]] = []
    if lw:
        source = "invoices"
        data_months = [lmonth(r) for r in lw]
        for r in counted:
            spend_by[lmonth(r)] = spend_by.get(lmonth(r), Fraction(0)) + frac(r["amount"])
    else:
        for column in ("billed_amount", "labour_hours"):
            having = [t for t in tw if getattr(t, column) is not None and tmonth(t) in inw]
            if having:
                source = column
                data_months = [tmonth(t) for t in having]
                for t in having:
                    v = (frac(t.billed_amount) if column == "billed_amount"
                         else Fraction(t.labour_hours) * Fraction(str(s.hourly_rate)))
                    spend_by[tmonth(t)] = spend_by.get(tmonth(t), Fraction(0)) + v
                break
    fee = (Fraction(str(s.per_user)) * s.users + Fraction(str(s.per_device)) * s.devices
           + Fraction(str(s.flat_monthly)))
    spend: dict[str, Any] = {"source": source, "monthly_fee": money(fee),
                             "excluded": {"lines": len(excluded) if source == "invoices" else 0,
                                          "amount": money(sum((frac(r["amount"]) for r in excluded),
                                                              Fraction(0)))
                                          if source == "invoices" else 0.0}}
    bf: list[Fraction] = []
    mg: list[Fraction] = []
    sw: list[tuple[int, int]] = []
    if source is None:
        spend.update({"breakfix_total": None, "managed_total": None, "downtime_cost_total": None,
                      "cumulative_crossover": None, "run_rate_crossover": None,
                      "break_even_price_per_user": None, "monthly": [],
                      "window": {"start": None, "end": None}})
    else:
        sw = months(min(data_months), max(data_months))
        share = 1 - Fraction(str(s.managed_reduction))
        rate = Fraction(str(s.cost_per_user_hour))
        monthly = []
        cb = cm = Fraction(0)
        dc_total = Fraction(0)
        for i, m in enumerate(sw):
            dc = sum(((down_hours(t) or Fraction(0))
                      * (t.users_affected if t.users_affected is not None
                         else s.users_affected_default) * rate
                      for t in dw if t.om == m), Fraction(0))
            sp = spend_by.get(m, Fraction(0))
            b = sp + dc
            g = fee + (Fraction(str(s.onboarding_fee)) if i == 0 else 0) + share * dc
            bf.append(b)
            mg.append(g)
            cb += b
            cm += g
            dc_total += dc
            monthly.append({"month": mtext(m), "spend": sp, "downtime_cost": dc, "breakfix": b,
                            "managed": g, "cumulative_breakfix": cb, "cumulative_managed": cm,
                            "ttm_breakfix": sum(bf[max(0, i - 11):], Fraction(0)),
                            "ttm_managed": sum(mg[max(0, i - 11):], Fraction(0))})
        cum = next((r["month"] for r in monthly
                    if r["cumulative_breakfix"] > r["cumulative_managed"]), None)
        run = None
        for r in monthly:
            if r["ttm_breakfix"] > r["ttm_managed"]:
                run = run or r["month"]
            else:
                run = None
        price = None
        if s.users:
            price = max(Fraction(str(s.per_user)) + (cb - cm) / (s.users * len(sw)), Fraction(0))
        spend.update({
            "breakfix_total": money(cb), "managed_total": money(cm),
            "downtime_cost_total": money(dc_total), "cumulative_crossover": cum,
            "run_rate_crossover": run, "break_even_price_per_user": money(price),
            "monthly": [{k: (v if k == "month" else money(v)) for k, v in r.items()}
                        for r in monthly],
            "window": {"start": mtext(sw[0]), "end": mtext(sw[-1])},
        })
    out["spend"] = spend

    # Section 8: checks (ids and levels, in the table's order).
    checks: list[tuple[str, str]] = []
    if source is None:
        checks.append(("no_spend", "block"))
    else:
        if len(sw) < 3:
            checks.append(("short_window", "block"))
        elif len(sw) < 12:
            checks.append(("short_window", "warn"))
        outside = sum(1 for t in tw if t.om < sw[0] or t.om > sw[-1])
        if tw and outside / len(tw) > 0.2:
            checks.append(("tickets_outside_spend", "warn"))
        if source == "invoices":
            covered = {lmonth(r) for r in lw}
            run_len, gap = 0, False
            for m in sw:
                run_len = 0 if m in covered else run_len + 1
                gap = gap or run_len >= 2
            if gap:
                checks.append(("spend_gaps", "warn"))
            total = sum((frac(r["amount"]) for r in counted), Fraction(0))
            if total > 0 and any(frac(r["amount"]) > total / 4 for r in counted):
                checks.append(("dominant_lines", "warn"))
    keyed = [t for t in dw if key(t) is not None]
    if keyed and sum(1 for t in keyed if t.asset is None) / len(keyed) > 0.5:
        checks.append(("category_recurrence", "warn"))
    if any(r["kind"] == "incidents" and r["rows_read"] in CAPS
           and r["status"] in ("loaded", "loaded_with_rejects") for r in loads):
        checks.append(("capped_export", "warn"))
    per_second: dict[int, int] = {}
    for t in tw:
        sec = us(t.opened_at) // 1_000_000
        per_second[sec] = per_second.get(sec, 0) + 1
    most = max(per_second.values(), default=0)
    if most >= 2 and most / len(tw) > 0.2:
        checks.append(("import_timestamps", "warn"))
    resolved = [t for t in tw if t.resolved_at is not None]
    zero = sum(1 for t in resolved if t.resolved_at == t.opened_at)
    if resolved and zero / len(resolved) > 0.2:
        checks.append(("zero_durations", "warn"))
    out["checks"] = checks
    if any(level == "block" for _, level in checks):
        state = "insufficient"
    elif spend.get("run_rate_crossover"):
        state = "breakfix_dearer"
    elif spend.get("cumulative_crossover"):
        state = "mixed"
    else:
        state = "breakfix_cheaper"
    out["verdict_state"] = state

    # Section 9: predictability.
    out["predictability"] = predictability(bf, mg, sw, fee)

    # Section 10: response, business time, SLA.
    out.update(service(tw, s, zone))

    # Section 12: assets.
    out["assets"] = assets(tw, s, len(wmonths), ttr, is_down, down_hours)
    return out


def _std(xs: list[Fraction]) -> Decimal | None:
    if len(xs) < 2:
        return None
    m = sum(xs, Fraction(0)) / len(xs)
    var = sum(((x - m) ** 2 for x in xs), Fraction(0)) / (len(xs) - 1)
    return (Decimal(var.numerator) / Decimal(var.denominator)).sqrt()


def _cv(xs: list[Fraction]) -> Fraction | None:
    sd = _std(xs)
    if sd is None or not xs:
        return None
    m = sum(xs, Fraction(0)) / len(xs)
    return None if m == 0 else Fraction(sd) / m


def predictability(bf: list[Fraction], mg: list[Fraction], sw: list[tuple[int, int]],
                   fee: Fraction) -> dict[str, Any]:
    if not bf:
        return {"months": 0, "mean": None, "std": None, "cv": None, "p90": None,
                "worst_month": None, "worst_amount": None, "months_above_fee": None,
                "largest_surprise_month": None, "largest_surprise_amount": None,
                "managed_cv": None}
    worst = max(range(len(bf)), key=lambda i: (bf[i], -i))
    surprises = [(bf[i] - sum(bf[max(0, i - 12):i], Fraction(0)) / len(bf[max(0, i - 12):i]), -i)
                 for i in range(3, len(bf))]
    big = max(surprises) if surprises else None
    sd = _std(bf)
    return {
        "months": len(bf), "mean": money(sum(bf, Fraction(0)) / len(bf)),
        "std": money(sd), "cv": ratio(_cv(bf)),
        "p90": money(quantile(bf, Fraction(9, 10))),
        "worst_month": mtext(sw[worst]), "worst_amount": money(bf[worst]),
        "months_above_fee": sum(1 for b in bf if b > fee),
        "largest_surprise_month": mtext(sw[-big[1]]) if big else None,
        "largest_surprise_amount": money(big[0]) if big else None,
        "managed_cv": ratio(_cv(mg)),
    }


def business_us(a: datetime, b: datetime, s: Scenario, zone: ZoneInfo) -> int:
    """Microseconds of [a, b] inside business hours, holidays skipped, day by day."""
    sched = parse_business_hours(s.business_hours).days
    holidays = set(s.holidays)
    ua, ub = us(a), us(b)
    total = 0
    d = a.astimezone(zone).date() - timedelta(days=1)
    last = b.astimezone(zone).date() + timedelta(days=1)
    while d <= last:
        if d.isoformat() not in holidays:
            for start, stop in sched[d.weekday()]:
                def at(minutes: int, day: date = d) -> int:
                    if minutes == 1440:
                        day, minutes = day + timedelta(days=1), 0
                    return us(datetime.combine(day, time(minutes // 60, minutes % 60),
                                               tzinfo=zone))
                lo, hi = max(ua, at(start)), min(ub, at(stop))
                if hi > lo:
                    total += hi - lo
        d += timedelta(days=1)
    return total


def service(tw: list[Ticket], s: Scenario, zone: ZoneInfo) -> dict[str, Any]:
    responded = [t for t in tw if t.responded_at is not None and t.responded_at >= t.opened_at]
    resp = {id(t): Fraction(us(t.responded_at) - us(t.opened_at), 3_600_000_000)
            for t in responded}
    response = stats(list(resp.values()))
    by_priority = {}
    for p in (*PRIORITIES, None):
        xs = [resp[id(t)] for t in responded if t.priority == p]
        if p is None and not xs:
            continue
        st = stats(xs)
        by_priority[p or "unknown"] = {"count": st["count"], "median_hours": st["median_hours"],
                                       "p90_hours": st["p90_hours"]}
    response["by_priority"] = by_priority
    resolved = [t for t in tw if t.resolved_at is not None and t.resolved_at >= t.opened_at]
    ttr_b = {id(t): business_us(t.opened_at, t.resolved_at, s, zone) for t in resolved}
    resp_b = {id(t): business_us(t.opened_at, t.responded_at, s, zone) for t in responded}
    ttr_business = stats([Fraction(v, 3_600_000_000) for v in ttr_b.values()])
    targets = {"respond": dict(s.sla_respond_hours), "resolve": dict(s.sla_resolve_hours)}
    sla: dict[str, Any] = {"respond": {}, "resolve": {}}
    pooled = [0, 0]
    for kind, group, values in (("respond", responded, resp_b), ("resolve", resolved, ttr_b)):
        for p in PRIORITIES:
            ts = [t for t in group if t.priority == p]
            limit = Fraction(str(targets[kind][p])) * 3_600_000_000
            breached = sum(1 for t in ts if values[id(t)] > limit)
            sla[kind][p] = {"timed": len(ts), "breached": breached,
                            "breach_pct": hours(Fraction(100 * breached, len(ts))) if ts else None}
            if kind == "resolve":
                pooled[0] += breached
                pooled[1] += len(ts)
    sla["resolve_breach_pct"] = hours(Fraction(100 * pooled[0], pooled[1])) if pooled[1] else None
    return {"response": response, "ttr_business": ttr_business, "sla": sla}


def assets(tw: list[Ticket], s: Scenario, n_months: int, ttr: Any, is_down: Any,
           down_hours: Any) -> dict[str, Any]:
    def cost(t: Ticket) -> Fraction | None:
        if t.billed_amount is not None:
            return frac(t.billed_amount)
        if t.labour_hours is not None:
            return Fraction(t.labour_hours) * Fraction(str(s.hourly_rate))
        return None

    pairs: dict[tuple[str, str], list[Ticket]] = {}
    for t in tw:
        if t.asset is not None:
            pairs.setdefault((t.client, t.asset), []).append(t)
    table = []
    for (c, a), ts in pairs.items():
        labour = [t.labour_hours for t in ts if t.labour_hours is not None]
        costs = [cost(t) for t in ts if cost(t) is not None]
        down = [down_hours(t) or Fraction(0) for t in ts if is_down(t)]
        table.append({"client": c, "asset": a, "incidents": len(ts),
                      "labour_hours": sum(map(Fraction, labour), Fraction(0)) if labour else None,
                      "cost": sum(costs, Fraction(0)) if costs else None,
                      "downtime_hours": sum(down, Fraction(0))})
    table.sort(key=lambda r: (r["cost"] is None, -(r["cost"] or 0), -r["incidents"],
                              r["client"], r["asset"]))
    endpoints = s.devices if s.devices > 0 else len(pairs)
    labour_all = [t.labour_hours for t in tw if t.labour_hours is not None]
    rhem = None
    if labour_all and endpoints and n_months:
        rhem = sum(map(Fraction, labour_all), Fraction(0)) / endpoints / n_months
    return {"endpoints": endpoints, "rhem": hours(rhem),
            "top": [{**r, "labour_hours": hours(r["labour_hours"]), "cost": money(r["cost"]),
                     "downtime_hours": hours(r["downtime_hours"])} for r in table[:20]]}
