"""Write the demo workspaces' export files into ``sample_data/<workspace>/``.

``python sample_data/make_samples.py`` regenerates byte-identical files: every random
draw comes from a ``random.Random`` seeded with a constant, and nothing reads the clock.

Three workspaces, each shaped like a real export (see sample_data/README.md):

- ``acme/``: ServiceNow incidents (field labels, day-first dates) and the break-fix
  provider's Xero sales invoices. Break-fix spend grows as the kit ages, so a managed
  contract would have paid off.
- ``prospect-northwind/``: Zendesk tickets and a US vendor's invoice CSV whose spend stays
  below the managed fee: an honest "managed would not have paid off" case.
- ``prospect-contoso/``: a small tracker's .xlsx ticket export for a group of companies and
  a semicolon-delimited Windows-1252 invoice CSV with European money.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import xlsxwriter

SAMPLE_DIR = Path(__file__).resolve().parent
SEED = 20251231
CENT = Decimal("0.01")


# --- shared helpers -----------------------------------------------------------------------


def months(first: date, count: int) -> list[date]:
    """Return the first day of `count` consecutive months starting at `first`'s month."""
    return [date(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1, 1)
            for i in range(count)]


def month_end(month: date) -> date:
    """Return the last day of `month`'s month."""
    following = months(month, 2)[1]
    return following - timedelta(days=1)


def working_day(rng: random.Random, month: date, weekend_share: float = 0.04) -> date:
    """Return a random day of `month`, rarely a weekend one."""
    last = month_end(month).day
    while True:
        day = month.replace(day=rng.randint(1, last))
        if day.weekday() < 5 or rng.random() < weekend_share:
            return day


def office_time(rng: random.Random, day: date) -> datetime:
    """Return a moment on `day` in office hours, busiest mid-morning."""
    minute = int(rng.triangular(7.5 * 60, 18.5 * 60, 9.75 * 60))
    return datetime.combine(day, time()) + timedelta(minutes=minute, seconds=rng.randrange(60))


def any_time(rng: random.Random, day: date) -> datetime:
    """Return a moment anywhere on `day` (outages do not keep office hours)."""
    return datetime.combine(day, time()) + timedelta(seconds=rng.randrange(86_400))


def lognormal_hours(rng: random.Random, median: float, spread: float, low: float,
                    high: float) -> float:
    """Return a right-skewed duration in hours, clipped to [low, high]."""
    return min(high, max(low, median * math.exp(rng.gauss(0.0, spread))))


def quarter_hours(hours: float) -> Decimal:
    """Round a duration up to the quarter hour, as contractors bill it."""
    return Decimal(math.ceil(hours * 4)) / 4


def weighted(rng: random.Random, options: Sequence[tuple[str, float]]) -> str:
    """Pick one option from (value, weight) pairs."""
    values, weights = zip(*options, strict=True)
    return rng.choices(values, weights=weights)[0]


def money(value: Decimal | float) -> Decimal:
    """Round to whole cents, half up, as invoices do."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def people(rng: random.Random, count: int, firsts: Sequence[str],
           lasts: Sequence[str]) -> list[str]:
    """Return `count` distinct "First Last" names."""
    names: list[str] = []
    while len(names) < count:
        name = f"{rng.choice(firsts)} {rng.choice(lasts)}"
        if name not in names:
            names.append(name)
    return names


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]], *,
              delimiter: str = ",", encoding: str = "utf-8",
              quote_all: bool = False) -> int:
    """Write a CSV with CRLF line ends (as Windows tools do); return the data row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n",
                            quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if value is None else value for value in row])
            count += 1
    return count


# --- ticket titles as people type them ----------------------------------------------------------
# Titles are drawn from their own seeded generator, so every other value in the files is the
# same as without them: the same problem typed many ways (prefixes, ids, names, typos,
# word order, another language) for the recurring-problem groups of METRICS.md section 12.

TITLE_SEED = SEED + 100

# Another way to write a problem, by its usual summary (the first entry stays the commonest).
REWORDED = {
    "Outlook not syncing mailbox": ["Outlook not syncing", "Mailbox not syncing in Outlook",
                                    "outlook mailbox not updating"],
    "Password reset / account locked": ["Password reset", "Account locked out",
                                        "Locked out - password reset please"],
    "PC very slow to start": ["PC slow to start", "Computer very slow to start up",
                              "pc very slow starting"],
    "Printer jammed / not printing": ["Printer jammed", "Printer not printing",
                                      "Paper jam in printer"],
    "Wi-Fi dropping in surgery": ["WiFi dropping in surgery", "Wi-Fi keeps dropping",
                                  "wifi drops in the surgery"],
    "VPN not connecting from home": ["VPN not connecting", "Cannot connect to VPN from home",
                                     "VPN won't connect from home"],
    "Can't log in to the WMS": ["Cannot login to WMS", "WMS login not working",
                                "Can't log into the WMS"],
    "Handheld scanner not syncing": ["Scanner not syncing", "handheld not syncing",
                                     "Handheld scanner won't sync"],
    "Label printer printing blank labels": ["Label printer blank labels",
                                            "Blank labels from label printer"],
    "Outlook keeps asking for password": ["Outlook asking for password",
                                          "Outlook keeps prompting for password"],
    "VPN disconnects every few minutes": ["VPN keeps disconnecting", "VPN disconnects"],
    "Password reset": ["Passwort zurücksetzen", "Kennwort zurücksetzen", "Reset password"],
    "Printer offline": ["Drucker offline", "Drucker ist offline"],
    "Email not sending": ["E-Mail not sending", "Emails not sending"],
    "ERP client crashes on start": ["ERP client crashes", "ERP stürzt ab beim Start",
                                    "ERP client crashing on start"],
    "Wi-Fi slow in the office": ["WLAN langsam im Büro", "WiFi slow in office"],
    "Backup job failed": ["Backup fehlgeschlagen", "Nightly backup job failed"],
    "Till / POS terminal frozen": ["Kasse eingefroren", "POS terminal frozen", "Till frozen"],
    "Internet connection down": ["Internet down", "Kein Internet - Internet connection down"],
    "Server not responding": ["Server reagiert nicht - server not responding",
                              "Server not responding again"],
}


def typo(rng: random.Random, text: str) -> str:
    """Swap two neighbouring letters of one longer word, as a hurried typist does."""
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not long:
        return text
    i = rng.choice(long)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


def typed_title(rng: random.Random, summary: str, caller: str, ticket: str, asset: str) -> str:
    """The title a person typed for a ticket whose usual summary is `summary`."""
    text = summary
    if summary in REWORDED and rng.random() < 0.35:
        text = rng.choice(REWORDED[summary])
    roll = rng.random()
    if roll < 0.06:
        text = typo(rng, text)
    elif roll < 0.12:
        text = text.lower()
    extra = rng.random()
    if caller and extra < 0.12:
        text = f"{text} - {caller}"
    elif caller and extra < 0.2:
        text = f"{text} for {caller}"
    elif asset and extra < 0.3:
        text = f"{text} ({asset})"
    elif extra < 0.34:
        text = f"{text} again"
    elif extra < 0.37:
        text = f"{text} - ref {ticket}"
    prefix = rng.random()
    if prefix < 0.08:
        text = f"RE: {text}"
    elif prefix < 0.11:
        text = f"FW: {text}"
    elif prefix < 0.13:
        text = f"[External] {text}"
    return text


FIRST_NAMES_UK = ["Oliver", "Amelia", "Harry", "Isla", "Jack", "Ava", "George", "Emily", "Noah",
                  "Sophie", "Charlie", "Grace", "Thomas", "Lily", "James", "Freya", "William",
                  "Ella", "Arjun", "Priya", "Mohammed", "Aisha", "Daniel", "Chloe", "Samuel",
                  "Hannah", "Joseph", "Megan", "Ewan", "Niamh"]
LAST_NAMES_UK = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas",
                 "Roberts", "Walker", "Wright", "Patel", "Khan", "Hughes", "Green", "Hall",
                 "Clarke", "Lewis", "Harris", "Martin", "Cooper", "Ward", "Morgan", "Shah",
                 "Edwards", "Turner", "Murphy", "Kelly", "Price", "Bennett"]
FIRST_NAMES_US = ["Michael", "Jennifer", "David", "Jessica", "Chris", "Ashley", "Matt",
                  "Amanda", "Josh", "Sarah", "Andrew", "Stephanie", "Ryan", "Nicole", "Tyler",
                  "Megan", "Brandon", "Lauren", "Kevin", "Rachel", "Luis", "Maria", "Jamal",
                  "Keisha", "Wei", "Mei"]
LAST_NAMES_US = ["Johnson", "Miller", "Davis", "Garcia", "Rodriguez", "Martinez", "Anderson",
                 "Jackson", "Thompson", "White", "Lopez", "Lee", "Gonzalez", "Clark", "Young",
                 "Allen", "King", "Scott", "Nguyen", "Hill", "Baker", "Nelson", "Carter",
                 "Mitchell", "Perez", "Chen"]


# --- acme: ServiceNow incidents + Xero invoices ----------------------------------------------

ACME_CLIENT = "Acme Dental Group"
ACME_START = date(2023, 1, 1)
ACME_MONTHS = 36
ACME_EXPORTED_AT = datetime(2025, 12, 31, 17, 30)
ACME_SITES = {"TWK": "Twickenham Head Office", "RCH": "Richmond Practice",
              "KNG": "Kingston Practice"}
ACME_PCS = {"TWK": 16, "RCH": 12, "KNG": 12}
SN_PRIORITY = {1: "1 - Critical", 2: "2 - High", 3: "3 - Moderate", 4: "4 - Low",
               5: "5 - Planning"}
SERVICE_DESK = "Acme IT Service Desk"
PROVIDER_GROUP = "BrightFix IT (break-fix)"
SERVICE_DESK_AGENTS = ["Sam Okafor", "Jo Whitfield"]
PROVIDER_ENGINEERS = ["Dan Morris", "Lena Kowalski", "Ravi Mehta"]
REMOTE_RATE = Decimal("85.00")
CALL_OUT_FEE = Decimal("195.00")
ONSITE_RATE = Decimal("95.00")
OUT_OF_HOURS_FEE = Decimal("295.00")


@dataclass(frozen=True)
class Part:
    """A spare the provider fits and bills at list price."""

    code: str
    description: str
    price: Decimal


SSD = Part("PARTS-SSD", "Replacement SSD", Decimal("89.00"))
OPTIPLEX = Part("PARTS-PC", "Dell OptiPlex 7010", Decimal("689.00"))
NAS_DRIVE = Part("PARTS-NAS", "Replacement NAS drive 8TB (Seagate IronWolf)", Decimal("219.00"))
PSU = Part("PARTS-PSU", "Replacement server PSU", Decimal("164.00"))
TONER = Part("PARTS-PRN", "Printer fuser unit", Decimal("142.00"))


@dataclass(frozen=True)
class Issue:
    """A kind of everyday ticket: what users report and how the provider gets involved."""

    category: str
    summary: str
    asset: str  # "pc", "printer", "ap", "xray" or "" for none
    weight: float
    priority: tuple[float, float, float, float, float]  # weights of P1..P5
    escalate: float  # chance the break-fix provider is called in, in the first month
    onsite: float  # chance an escalation needs an engineer on site
    part: Part | None = None


ACME_ISSUES = [
    Issue("Software", "Outlook not syncing mailbox", "pc", 9, (0, 0, 4, 6, 0), 0.05, 0.0),
    Issue("Inquiry / Help", "Password reset / account locked", "", 12, (0, 0, 3, 7, 0), 0, 0),
    Issue("Inquiry / Help", "New starter - account and laptop setup", "", 3,
          (0, 0, 2, 3, 5), 0.2, 0.3),
    Issue("Hardware", "PC very slow to start", "pc", 7, (0, 0, 3, 7, 0), 0.25, 0.3),
    Issue("Hardware", "PC will not boot - disk errors", "pc", 3, (0, 1, 7, 2, 0), 0.9, 0.8, SSD),
    Issue("Hardware", "PC dead - needs replacing", "pc", 1, (0, 1, 6, 3, 0), 1.0, 1.0, OPTIPLEX),
    Issue("Hardware", "Printer jammed / not printing", "printer", 8, (0, 0, 4, 6, 0), 0.2, 0.6),
    Issue("Hardware", "Printer error - fuser", "printer", 1, (0, 0, 6, 4, 0), 1.0, 1.0, TONER),
    Issue("Network", "Wi-Fi dropping in surgery", "ap", 4, (0, 2, 6, 2, 0), 0.45, 0.5),
    Issue("Network", "VPN not connecting from home", "", 3, (0, 0, 5, 5, 0), 0.3, 0.0),
    Issue("Software", "Practice-management client error on login", "pc", 6,
          (0, 2, 6, 2, 0), 0.35, 0.1),
    Issue("Hardware", "Imaging PC not detecting X-ray sensor", "xray", 3,
          (0, 4, 5, 1, 0), 0.6, 0.6),
    Issue("Software", "Card terminal offline at reception", "", 2, (0, 4, 6, 0, 0), 0.3, 0.2),
    Issue("Software", "Scan-to-email not working", "printer", 3, (0, 0, 3, 7, 0), 0.3, 0.1),
    Issue("Inquiry / Help", "Request: install software", "pc", 4, (0, 0, 1, 5, 4), 0.1, 0.0),
    Issue("Hardware", "Monitor flickering / no signal", "pc", 3, (0, 0, 3, 7, 0), 0.3, 0.4),
]


@dataclass(frozen=True)
class FailingAsset:
    """A key asset that fails more and more often as it ages, in clusters of repeats."""

    ci: str
    category: str
    summaries: tuple[str, ...]
    first_month: int  # month index of the first failure
    monthly_rate: float  # expected failures per month at first
    yearly_growth: float  # the rate's multiplier per year
    part: Part | None


ACME_FAILING = [
    FailingAsset("TWK-FW01", "Network",
                 ("Internet down at all sites - firewall unresponsive",
                  "Site-to-site VPN down between practices",
                  "Firewall rebooting itself - intermittent internet"),
                 3, 0.22, 1.6, None),
    FailingAsset("TWK-NAS01", "Hardware",
                 ("NAS volume degraded - nightly backup failed",
                  "NAS unreachable - X-ray image archive unavailable",
                  "NAS disk failure alert"),
                 7, 0.25, 2.1, NAS_DRIVE),
    FailingAsset("TWK-PMS01", "Software",
                 ("Practice-management server down - appointment book unavailable",
                  "PMS database service stopped - clinicians cannot open records",
                  "Practice-management server hung - hard reboot needed"),
                 13, 0.3, 2.2, PSU),
]


@dataclass
class AcmeTicket:
    """One ServiceNow incident as the generator builds it (times are naive UK wall time)."""

    opened: datetime
    category: str
    summary: str
    caller: str
    priority: int
    ci: str
    site: str
    resolved: datetime | None
    closed: datetime | None
    state: str
    group: str
    assignee: str
    onsite: bool = False
    part: Part | None = None
    number: str = ""


def acme_assets(rng: random.Random, site: str, kind: str) -> str:
    """Return a CI name of `kind` at `site`; a few worn-out PCs get picked far more often."""
    if kind == "pc":
        count = ACME_PCS[site]
        worn = [1, 2, 7] if site != "KNG" else [3, 4]
        weights = [6.0 if n in worn else 1.0 for n in range(1, count + 1)]
        return f"{site}-PC{rng.choices(range(1, count + 1), weights=weights)[0]:02d}"
    if kind == "printer":
        return f"{site}-PRN0{rng.randint(1, 2)}"
    if kind == "ap":
        return f"{site}-AP0{rng.randint(1, 3)}"
    if kind == "xray":
        return f"{site}-XRAY01"
    return ""


def acme_resolution(rng: random.Random, opened: datetime, priority: int,
                    escalated: bool) -> datetime:
    """Return when a ticket was resolved: P1s in hours, planning work in weeks."""
    median, spread, high = {1: (6.0, 0.9, 72), 2: (14.0, 0.9, 120), 3: (20.0, 1.1, 400),
                            4: (30.0, 1.2, 600), 5: (150.0, 0.8, 1200)}[priority]
    if escalated:
        median *= 1.8  # waiting for the provider's engineer
    return opened + timedelta(hours=lognormal_hours(rng, median, spread, 0.2, high),
                              seconds=rng.randrange(60))


def acme_close(rng: random.Random, ticket: AcmeTicket) -> None:
    """Set state and closed time as ServiceNow would show them at the export moment."""
    if ticket.resolved is None or ticket.resolved > ACME_EXPORTED_AT:
        ticket.resolved = None
        ticket.state = "On Hold" if ticket.group == PROVIDER_GROUP else "In Progress"
        return
    closed = ticket.resolved + timedelta(days=3, hours=rng.randint(0, 20))  # auto-close
    if closed > ACME_EXPORTED_AT:
        ticket.state = "Resolved"
    else:
        ticket.closed = closed
        ticket.state = "Closed"


def acme_everyday_tickets(rng: random.Random, staff: dict[str, list[str]]) -> list[AcmeTicket]:
    """Return the everyday tickets: more of them, and more escalated, as the kit ages."""
    tickets: list[AcmeTicket] = []
    for index, month in enumerate(months(ACME_START, ACME_MONTHS)):
        volume = round(40 + 0.75 * index + rng.gauss(0, 4))
        ageing = 0.55 * (1 + index / 16)
        for _ in range(volume):
            issue = rng.choices(ACME_ISSUES, weights=[i.weight for i in ACME_ISSUES])[0]
            site = weighted(rng, [("TWK", 0.4), ("RCH", 0.3), ("KNG", 0.3)])
            priority = rng.choices(range(1, 6), weights=issue.priority)[0]
            escalated = rng.random() < min(0.95, issue.escalate * ageing)
            opened = office_time(rng, working_day(rng, month))
            ticket = AcmeTicket(
                opened=opened, category=issue.category, summary=issue.summary,
                caller=rng.choice(staff[site]), priority=priority,
                ci=acme_assets(rng, site, issue.asset), site=site,
                resolved=acme_resolution(rng, opened, priority, escalated), closed=None,
                state="", group=PROVIDER_GROUP if escalated else SERVICE_DESK,
                assignee=rng.choice(PROVIDER_ENGINEERS if escalated else SERVICE_DESK_AGENTS),
                onsite=escalated and rng.random() < issue.onsite,
                part=issue.part if escalated else None)
            tickets.append(ticket)
    return tickets


def acme_outages(rng: random.Random, staff: dict[str, list[str]]) -> list[AcmeTicket]:
    """Return P1/P2 outages of the failing key assets; a failure often repeats within weeks."""
    tickets: list[AcmeTicket] = []
    last_day = ACME_EXPORTED_AT.date()
    for asset in ACME_FAILING:
        day = months(ACME_START, asset.first_month + 1)[-1] + timedelta(days=rng.randint(0, 20))
        while day <= last_day:
            age_years = (day - ACME_START).days / 365.25 - asset.first_month / 12
            rate = asset.monthly_rate * asset.yearly_growth ** max(0.0, age_years)
            opened = any_time(rng, day) if rng.random() < 0.3 else office_time(rng, day)
            priority = 1 if rng.random() < 0.45 else 2
            resolved = opened + timedelta(
                hours=lognormal_hours(rng, 9 if priority == 1 else 16, 0.8, 1.5, 96),
                seconds=rng.randrange(60))
            tickets.append(AcmeTicket(
                opened=opened, category=asset.category, summary=rng.choice(asset.summaries),
                caller=rng.choice(staff["TWK"]), priority=priority, ci=asset.ci, site="TWK",
                resolved=resolved, closed=None, state="", group=PROVIDER_GROUP,
                assignee=rng.choice(PROVIDER_ENGINEERS), onsite=rng.random() < 0.7,
                part=asset.part if rng.random() < 0.35 else None))
            if rng.random() < 0.5:  # the fix did not hold: it fails again within weeks
                day += timedelta(days=rng.randint(3, 26))
            else:
                day += timedelta(days=max(1, round(rng.expovariate(rate / 30.4))))
    return tickets


def acme_tickets(rng: random.Random) -> list[AcmeTicket]:
    """Return all Acme incidents, numbered in the order they were opened."""
    staff = {site: people(rng, count, FIRST_NAMES_UK, LAST_NAMES_UK)
             for site, count in [("TWK", 24), ("RCH", 18), ("KNG", 18)]}
    tickets = acme_everyday_tickets(rng, staff) + acme_outages(rng, staff)
    # Long-forgotten tickets parked with the provider: still open at export time.
    for opened, summary, priority in [
        (datetime(2025, 3, 14, 10, 12, 5), "Quote for replacing NAS - awaiting provider", 5),
        (datetime(2025, 8, 21, 15, 40, 51), "Intermittent dial tone loss on reception phones", 4),
        (datetime(2025, 10, 28, 9, 3, 17), "Firewall firmware out of support - plan upgrade", 5),
    ]:
        tickets.append(AcmeTicket(
            opened=opened, category="Inquiry / Help", summary=summary,
            caller=staff["TWK"][0], priority=priority, ci="", site="TWK", resolved=None,
            closed=None, state="", group=PROVIDER_GROUP, assignee=PROVIDER_ENGINEERS[0]))
    tickets = [t for t in tickets if t.opened <= ACME_EXPORTED_AT]
    tickets.sort(key=lambda t: t.opened)
    for number, ticket in enumerate(tickets, start=10_001):
        ticket.number = f"INC{number:07d}"
        acme_close(rng, ticket)
    return tickets


def sn_time(moment: datetime | None) -> str:
    """Format a moment as a UK ServiceNow instance exports it."""
    return "" if moment is None else moment.strftime("%d/%m/%Y %H:%M:%S")


def write_acme_tickets(path: Path, tickets: list[AcmeTicket], rng: random.Random) -> int:
    """Write the incident list as ServiceNow's CSV export with field labels."""
    header = ["Number", "Opened", "Short description", "Caller", "Priority", "State",
              "Category", "Assignment group", "Assigned to", "Updated", "Resolved", "Closed",
              "Configuration item", "Location", "Company"]
    rows = []
    titles = random.Random(TITLE_SEED + 1)
    for t in tickets:
        updated = t.closed or t.resolved or min(
            ACME_EXPORTED_AT, t.opened + timedelta(hours=rng.randint(1, 300)))
        title = typed_title(titles, t.summary, t.caller, t.number, t.ci)
        rows.append([t.number, sn_time(t.opened), title, t.caller, SN_PRIORITY[t.priority],
                     t.state, t.category, t.group, t.assignee, sn_time(updated),
                     sn_time(t.resolved), sn_time(t.closed), t.ci, ACME_SITES[t.site],
                     ACME_CLIENT])
    return write_csv(path, header, rows, quote_all=True)  # ServiceNow quotes every field


@dataclass(frozen=True)
class InvoiceLine:
    """One billed line: labour, a call-out or a part, tied to a ticket where there is one."""

    invoice: str
    day: date
    code: str
    description: str
    quantity: Decimal
    unit: Decimal
    site: str
    reference: str = ""
    credit: bool = False

    @property
    def amount(self) -> Decimal:
        """Return the line's net amount."""
        return money(self.quantity * self.unit)


def acme_bill(rng: random.Random, ticket: AcmeTicket) -> list[tuple[str, str, Decimal, Decimal]]:
    """Return (item code, description, quantity, unit price) for the provider's work on a ticket."""
    assert ticket.resolved is not None
    label = f"{ticket.number} {ticket.summary}"
    lines = []
    worked = (ticket.resolved - ticket.opened).total_seconds() / 3600
    remote = lognormal_hours(rng, 1.0 if ticket.priority > 2 else 2.5, 0.6, 0.5, 8)
    lines.append(("LABOUR-REMOTE", f"Remote support - hours: {label}", quarter_hours(remote),
                  REMOTE_RATE))
    if ticket.onsite:
        out_of_hours = ticket.opened.hour < 8 or ticket.opened.hour >= 18 \
            or ticket.opened.weekday() >= 5
        if out_of_hours and ticket.priority <= 2:
            lines.append(("LABOUR-OOH", f"Out-of-hours emergency call-out: {label}",
                          Decimal(1), OUT_OF_HOURS_FEE))
        else:
            lines.append(("LABOUR-ONSITE", f"On-site engineer call-out: {label}", Decimal(1),
                          CALL_OUT_FEE))
        extra = min(worked, 10.0) * 0.4 - 2  # the call-out covers the first two hours
        if ticket.priority <= 2 and extra > 0:
            lines.append(("LABOUR-ONSITE", f"On-site engineer - additional hours: {label}",
                          quarter_hours(extra), ONSITE_RATE))
    if ticket.part is not None:
        lines.append((ticket.part.code, f"{ticket.part.description} - fitted ({ticket.ci})",
                      Decimal(1), ticket.part.price))
    return lines


def acme_invoices(rng: random.Random, tickets: list[AcmeTicket]) -> list[InvoiceLine]:
    """Return the provider's monthly invoices for resolved escalations, plus a few credits."""
    by_month: dict[date, list[AcmeTicket]] = {}
    for t in tickets:
        if t.group == PROVIDER_GROUP and t.resolved is not None:
            by_month.setdefault(t.resolved.date().replace(day=1), []).append(t)
    lines: list[InvoiceLine] = []
    number = 1042
    for month in months(ACME_START, ACME_MONTHS):
        invoice = f"INV-{number:04d}"
        number += 1
        for t in by_month.get(month, []):
            for code, description, quantity, unit in acme_bill(rng, t):
                lines.append(InvoiceLine(invoice, month_end(month), code, description, quantity,
                                         unit, ACME_SITES[t.site],
                                         reference=f"Support {month:%b %Y}"))
    # The odd credit note: a call-out charged twice, a part returned under warranty.
    billed_callouts = [line for line in lines if line.code == "LABOUR-ONSITE"
                       and line.quantity == 1]
    credited = sorted(rng.sample(billed_callouts, 5), key=lambda line: line.day)
    for index, line in enumerate(credited, start=1):
        day = line.day + timedelta(days=rng.randint(9, 24))
        if day > ACME_EXPORTED_AT.date():
            continue
        lines.append(InvoiceLine(f"CN-{index:04d}", day, line.code,
                                 f"Credit - duplicate call-out charge on {line.invoice}",
                                 Decimal(1), line.unit, line.site, reference=line.invoice,
                                 credit=True))
    lines.sort(key=lambda line: (line.day, line.invoice))
    return lines


def write_xero(path: Path, lines: list[InvoiceLine]) -> int:
    """Write the lines as Xero's sales-invoice CSV export (GBP, day-first dates, 20% VAT)."""
    header = ["*ContactName", "EmailAddress", "POAddressLine1", "POAddressLine2",
              "POAddressLine3", "POAddressLine4", "POCity", "PORegion", "POPostalCode",
              "POCountry", "*InvoiceNumber", "Reference", "*InvoiceDate", "*DueDate",
              "InventoryItemCode", "*Description", "*Quantity", "*UnitAmount", "Discount",
              "*AccountCode", "*TaxType", "TaxAmount", "TrackingName1", "TrackingOption1",
              "TrackingName2", "TrackingOption2", "Currency", "BrandingTheme", "LineAmount",
              "Type"]
    contact = [ACME_CLIENT, "accounts@acmedental.co.uk", "Acme Dental Group Ltd",
               "14 King Street", "", "", "Twickenham", "Middlesex", "TW1 3SN", "United Kingdom"]
    rows = []
    for line in lines:
        due = line.day + timedelta(days=14)
        rows.append(contact + [
            line.invoice, line.reference, f"{line.day:%d/%m/%Y}", f"{due:%d/%m/%Y}", line.code,
            line.description, f"{line.quantity:.4f}", f"{line.unit:.2f}", "", "200",
            "20% (VAT on Income)", f"{money(line.amount * Decimal('0.2')):.2f}",
            "Site", line.site, "", "", "GBP", "Standard", f"{line.amount:.2f}",
            "ACCRECCREDIT" if line.credit else "ACCREC"])
    return write_csv(path, header, rows)


def make_acme(out: Path) -> dict[str, int]:
    """Write acme/servicenow_incidents.csv and acme/xero_invoices.csv."""
    rng = random.Random(SEED + 1)
    tickets = acme_tickets(rng)
    return {"servicenow_incidents.csv":
            write_acme_tickets(out / "servicenow_incidents.csv", tickets, rng),
            "xero_invoices.csv": write_xero(out / "xero_invoices.csv", acme_invoices(rng, tickets))}


# --- prospect-northwind: Zendesk tickets + a US vendor's invoice CSV ----------------------------

NORTHWIND_ORG = "Northwind Logistics"
NORTHWIND_DOMAIN = "northwindlogistics.com"
NORTHWIND_START = date(2024, 1, 1)
NORTHWIND_MONTHS = 24
NORTHWIND_EXPORTED_AT = datetime(2025, 12, 31, 23, 0, tzinfo=UTC)
NORTHWIND_TZ = ZoneInfo("America/Chicago")
HELPDESK_GROUP = "IT Helpdesk"
VENDOR_GROUP = "Harbor Tech Services (vendor)"
HELPDESK_AGENTS = ["Maya Lopez", "Chris Doyle"]
VENDOR_AGENT = "Harbor Tech Dispatch"
VENDOR_RATE = Decimal("110.00")
TRIP_CHARGE = Decimal("65.00")


@dataclass(frozen=True)
class ZendeskIssue:
    """A kind of Northwind request: subject, tags, device and how often the vendor is sent."""

    subject: str
    ticket_type: str  # incident, problem, question, task or "" (unset)
    tags: str
    device: str
    weight: float
    priority: tuple[float, float, float, float]  # weights of urgent, high, normal, low
    vendor: float  # chance the vendor is dispatched
    part: tuple[str, Decimal] | None = None


NORTHWIND_ISSUES = [
    ZendeskIssue("Can't log in to the WMS", "incident", "wms login", "WMS server", 6,
                 (0.05, 0.3, 0.6, 0.05), 0.1),
    ZendeskIssue("WMS very slow at the dock", "incident", "wms performance", "WMS server", 3,
                 (0.1, 0.5, 0.4, 0), 0.25),
    ZendeskIssue("Handheld scanner not syncing", "incident", "scanner handheld",
                 "RF handheld scanner", 7, (0, 0.2, 0.7, 0.1), 0.12,
                 ("Zebra TC52 replacement battery", Decimal("64.00"))),
    ZendeskIssue("Label printer printing blank labels", "incident", "printer labels",
                 "Dock label printer", 6, (0.02, 0.4, 0.5, 0.08), 0.3,
                 ("Zebra ZT411 printhead", Decimal("389.00"))),
    ZendeskIssue("Warehouse Wi-Fi dead zone aisle 14", "problem", "wifi warehouse",
                 "Warehouse Wi-Fi", 3, (0.05, 0.4, 0.5, 0.05), 0.35),
    ZendeskIssue("Outlook keeps asking for password", "incident", "email m365", "", 8,
                 (0, 0.05, 0.6, 0.35), 0.0),
    ZendeskIssue("How do I share a mailbox calendar?", "question", "howto m365", "", 6,
                 (0, 0, 0.4, 0.6), 0.0),
    ZendeskIssue("New hire setup", "task", "onboarding", "Laptop", 4, (0, 0.1, 0.7, 0.2),
                 0.15),
    ZendeskIssue("Laptop won't power on", "incident", "hardware laptop", "Laptop", 3,
                 (0, 0.3, 0.6, 0.1), 0.5, ("Laptop power adapter 90W", Decimal("48.00"))),
    ZendeskIssue("VPN disconnects every few minutes", "incident", "vpn remote", "Firewall", 3,
                 (0.02, 0.3, 0.6, 0.08), 0.15),
    ZendeskIssue("Office switch port flapping", "problem", "network switch", "Core switch", 1,
                 (0.15, 0.5, 0.35, 0), 0.7, ("Cisco SFP module", Decimal("129.00"))),
    ZendeskIssue("Request: new monitor", "task", "hardware request", "", 3, (0, 0, 0.3, 0.7),
                 0.0),
    ZendeskIssue("Shared drive permissions", "question", "fileshare access", "File server", 4,
                 (0, 0.05, 0.6, 0.35), 0.05),
    ZendeskIssue("Dispatch phone line down", "incident", "phones voip", "VoIP system", 1,
                 (0.3, 0.5, 0.2, 0), 0.4),
]


@dataclass
class ZendeskTicket:
    """One Zendesk ticket as the generator builds it (times are UTC)."""

    id: int
    issue: ZendeskIssue
    requester: str
    via: str
    priority: str
    created: datetime
    assigned: datetime
    first_reply: datetime
    solved: datetime | None
    status: str
    vendor: bool
    replies: int
    reopens: int
    on_hold_minutes: int


def zendesk_time(moment: datetime | None) -> str:
    """Format a UTC moment as Zendesk's CSV export writes it."""
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S +0000")


def northwind_tickets(rng: random.Random, staff: list[str]) -> list[ZendeskTicket]:
    """Return two years of Northwind tickets: steady volume, the vendor sent now and then."""
    created_times: list[tuple[datetime, ZendeskIssue]] = []
    for month in months(NORTHWIND_START, NORTHWIND_MONTHS):
        for _ in range(round(52 + rng.gauss(0, 5))):
            issue = rng.choices(NORTHWIND_ISSUES, weights=[i.weight for i in NORTHWIND_ISSUES])[0]
            local = office_time(rng, working_day(rng, month, weekend_share=0.15))
            created = local.replace(tzinfo=NORTHWIND_TZ).astimezone(UTC)
            if created <= NORTHWIND_EXPORTED_AT:
                created_times.append((created, issue))
    created_times.sort(key=lambda pair: pair[0])
    tickets = []
    for number, (created, issue) in enumerate(created_times, start=3187):
        priority = rng.choices(["urgent", "high", "normal", "low"], weights=issue.priority)[0]
        vendor = rng.random() < issue.vendor
        median = {"urgent": 5, "high": 12, "normal": 26, "low": 60}[priority] * (2 if vendor else 1)
        solved: datetime | None = created + timedelta(
            hours=lognormal_hours(rng, median, 1.0, 0.1, 900), seconds=rng.randrange(60))
        status = "closed"
        recent = created > NORTHWIND_EXPORTED_AT - timedelta(days=21)
        if solved is not None and (solved > NORTHWIND_EXPORTED_AT
                                   or (recent and rng.random() < 0.25)):
            solved, status = None, rng.choice(["open", "pending", "hold"])
        elif solved is not None and solved + timedelta(days=4) > NORTHWIND_EXPORTED_AT:
            status = "solved"
        assigned = created + timedelta(minutes=rng.randint(2, 240))
        tickets.append(ZendeskTicket(
            id=number, issue=issue, requester=rng.choice(staff),
            via=weighted(rng, [("Mail", 0.45), ("Web form", 0.35),
                               ("Phone call (inbound)", 0.15), ("Web Widget", 0.05)]),
            priority=priority, created=created, assigned=assigned,
            first_reply=assigned + timedelta(minutes=rng.randint(1, 90)), solved=solved,
            status=status, vendor=vendor, replies=rng.randint(1, 4) + (3 if vendor else 0),
            reopens=1 if rng.random() < 0.06 else 0,
            on_hold_minutes=rng.randint(600, 4000) if vendor else 0))
    # A handful never picked up before the export: brand new.
    for ticket in tickets[-4:]:
        if ticket.solved is None:
            ticket.status = "new"
    return tickets


def email_of(name: str) -> str:
    """Return a Northwind staff member's address."""
    return f"{name.lower().replace(' ', '.')}@{NORTHWIND_DOMAIN}"


def write_zendesk(path: Path, tickets: list[ZendeskTicket], rng: random.Random) -> int:
    """Write the tickets as Zendesk Support's CSV export (with one custom dropdown field)."""
    header = ["Id", "Requester", "Requester id", "Requester external id", "Requester email",
              "Requester domain", "Submitter", "Assignee", "Group", "Subject", "Tags", "Status",
              "Priority", "Via", "Ticket type", "Created at", "Updated at", "Assigned at",
              "Organization", "Due date", "Initially assigned at", "Solved at",
              "Resolution time", "Satisfaction Score", "Group stations", "Assignee stations",
              "Reopens", "Replies", "First reply time in minutes",
              "First resolution time in minutes", "Full resolution time in minutes",
              "Agent wait time in minutes", "Requester wait time in minutes",
              "On hold time in minutes", "Device [list]"]
    requester_ids = {name: 360_000_000_000 + 7_919 * i for i, name in enumerate(
        sorted({t.requester for t in tickets}))}
    rows = []
    titles = random.Random(TITLE_SEED + 2)
    for t in tickets:
        helpdesk_agent = HELPDESK_AGENTS[t.id % 2]
        submitter = helpdesk_agent if t.via.startswith("Phone") else t.requester
        updated = t.solved + timedelta(days=4) if t.status == "closed" and t.solved else (
            t.solved or min(NORTHWIND_EXPORTED_AT, t.first_reply + timedelta(hours=30)))
        due = f"{(t.created + timedelta(days=7)).date()} 00:00:00 +0000" \
            if t.issue.ticket_type == "task" else ""
        if t.solved is None:
            resolution_hours = full = first_resolution = agent_wait = requester_wait = None
            satisfaction = "Not Offered"
        else:
            full = round((t.solved - t.created).total_seconds() / 60)
            resolution_hours = round(full / 60)
            first_resolution = full if t.reopens == 0 else round(full * 0.6)
            agent_wait = round(full * rng.uniform(0.1, 0.4))
            requester_wait = max(0, full - agent_wait - t.on_hold_minutes)
            satisfaction = weighted(rng, [("Offered", 0.55), ("Good", 0.3), ("Bad", 0.03),
                                          ("Not Offered", 0.12)])
        assignee = VENDOR_AGENT if t.vendor else helpdesk_agent
        assigned_at = zendesk_time(t.assigned)
        first_reply: int | None = round((t.first_reply - t.created).total_seconds() / 60)
        if t.status == "new":  # nobody has picked it up yet
            assignee = assigned_at = ""
            first_reply = None
        rows.append([
            t.id, t.requester, requester_ids[t.requester], "", email_of(t.requester),
            NORTHWIND_DOMAIN, submitter, assignee,
            VENDOR_GROUP if t.vendor else HELPDESK_GROUP,
            typed_title(titles, t.issue.subject, t.requester, str(t.id), ""),
            t.issue.tags + (" vendor_dispatch" if t.vendor else ""), t.status,
            t.priority, t.via, t.issue.ticket_type, zendesk_time(t.created),
            zendesk_time(updated), assigned_at, NORTHWIND_ORG, due,
            assigned_at, zendesk_time(t.solved), resolution_hours, satisfaction,
            2 if t.vendor else 1, 2 if t.vendor else 1, t.reopens, t.replies,
            first_reply, first_resolution, full,
            agent_wait, requester_wait,
            t.on_hold_minutes, t.issue.device])
    return write_csv(path, header, rows)


def usd(value: Decimal) -> str:
    """Format money as a US accounting tool does: $1,234.50."""
    return f"${value:,.2f}"


def northwind_invoices(rng: random.Random, tickets: list[ZendeskTicket]) -> list[list[str]]:
    """Return the vendor's per-job invoice lines, invoiced a few days after each fix."""
    jobs = []
    for t in tickets:
        if not t.vendor or t.solved is None:
            continue
        day = t.solved.astimezone(NORTHWIND_TZ).date() + timedelta(days=rng.randint(1, 6))
        if day <= NORTHWIND_EXPORTED_AT.date():
            jobs.append((day, t))
    jobs.sort(key=lambda job: (job[0], job[1].id))
    rows = []
    for number, (day, t) in enumerate(jobs, start=20_417):
        median = 4.0 if t.priority == "urgent" else 1.5
        hours = quarter_hours(lognormal_hours(rng, median, 0.55, 0.5, 12))
        lines: list[tuple[str, str, Decimal, Decimal]] = [
            ("Labour", f"Technician time - {t.issue.subject}", hours, VENDOR_RATE)]
        if rng.random() < 0.55:
            lines.append(("Other", "Trip charge", Decimal(1), TRIP_CHARGE))
        local_hour = t.created.astimezone(NORTHWIND_TZ).hour
        if t.priority == "urgent" and (local_hour < 8 or local_hour >= 17):
            lines.append(("Other", "After-hours surcharge", Decimal(1), Decimal("150.00")))
        if t.issue.part is not None and rng.random() < 0.5:
            lines.append(("Parts", t.issue.part[0], Decimal(1), t.issue.part[1]))
        for kind, description, quantity, unit in lines:
            rows.append([str(number), f"{day:%m/%d/%Y}", NORTHWIND_ORG, kind, description,
                         f"{quantity:g}", usd(unit), usd(money(quantity * unit)), str(t.id),
                         "USD"])
    return rows


def make_northwind(out: Path) -> dict[str, int]:
    """Write prospect-northwind/zendesk_tickets.csv and vendor_invoices.csv."""
    rng = random.Random(SEED + 2)
    staff = people(rng, 48, FIRST_NAMES_US, LAST_NAMES_US)
    tickets = northwind_tickets(rng, staff)
    header = ["Invoice Number", "Invoice Date", "Customer", "Line Type", "Description",
              "Quantity", "Unit Price", "Amount", "Ticket #", "Currency"]
    return {"zendesk_tickets.csv": write_zendesk(out / "zendesk_tickets.csv", tickets, rng),
            "vendor_invoices.csv": write_csv(out / "vendor_invoices.csv", header,
                                             northwind_invoices(rng, tickets))}


# --- prospect-contoso: an in-house tracker's .xlsx + a European invoice CSV --------------------

CONTOSO_START = date(2024, 1, 1)
CONTOSO_MONTHS = 24
CONTOSO_EXPORTED_AT = datetime(2025, 12, 31, 16, 0)
CONTOSO_VENDOR_RATE = Decimal("92.00")
CONTOSO_TRAVEL = Decimal("49.00")


@dataclass(frozen=True)
class GroupCompany:
    """One company of the Contoso group: its sites, devices and share of the tickets."""

    name: str
    sites: tuple[str, ...]
    devices: tuple[str, ...]
    staff: int
    weight: float


CONTOSO_COMPANIES = [
    GroupCompany("Contoso Holding GmbH", ("Frankfurt Zentrale",),
                 ("FRA-SRV01", "FRA-FW01", "FRA-NB07", "FRA-NB12", "FRA-PRN01"), 22, 0.3),
    GroupCompany("Café Müller GmbH", ("Köln Altstadt", "Köln Ehrenfeld"),
                 ("KOE-KASSE01", "KOE-KASSE02", "KOE-ROUTER01", "KOE-PC01"), 9, 0.2),
    GroupCompany("Bäckerei Schön KG", ("Düsseldorf Backstube", "Düsseldorf Filiale Nord"),
                 ("DUS-PROD-PC01", "DUS-KASSE01", "DUS-NAS01", "DUS-ROUTER01"), 14, 0.2),
    GroupCompany("Fabrikam Möbelwerk GmbH", ("Bielefeld Werk",),
                 ("BIE-SRV01", "BIE-CNC-PC02", "BIE-SWITCH01", "BIE-PC14", "BIE-PRN02"), 28, 0.3),
]
CONTOSO_ISSUES = [  # (type, summary, outage?, weight)
    ("Hardware", "Till / POS terminal frozen", True, 2),
    ("Network", "Internet connection down", True, 1),
    ("Hardware", "Server not responding", True, 1),
    ("Software", "ERP client crashes on start", False, 4),
    ("Software", "Email not sending", False, 5),
    ("Account", "Password reset", False, 6),
    ("Hardware", "Printer offline", False, 4),
    ("Network", "Wi-Fi slow in the office", False, 3),
    ("Hardware", "Laptop battery swollen", False, 1),
    ("Software", "Backup job failed", False, 2),
]
CONTOSO_PRIORITIES = ["Critical", "High", "Medium", "Low"]


@dataclass
class ContosoTicket:
    """One row of the tracker's export (times are naive local wall time)."""

    number: str
    company: GroupCompany
    site: str
    device: str
    kind: str
    priority: str
    summary: str
    opened: datetime
    closed: datetime | None
    hours: Decimal
    billable: Decimal
    travel: bool
    downtime_minutes: int
    users_affected: int | None


def contoso_tickets(rng: random.Random) -> list[ContosoTicket]:
    """Return two years of tickets across the group; outages record downtime and users."""
    tickets: list[ContosoTicket] = []
    drafts: list[tuple[datetime, GroupCompany, tuple[str, str, bool, int]]] = []
    for month in months(CONTOSO_START, CONTOSO_MONTHS):
        for _ in range(round(46 + rng.gauss(0, 5))):
            company = rng.choices(CONTOSO_COMPANIES,
                                  weights=[c.weight for c in CONTOSO_COMPANIES])[0]
            issue = rng.choices(CONTOSO_ISSUES, weights=[i[3] for i in CONTOSO_ISSUES])[0]
            drafts.append((office_time(rng, working_day(rng, month, 0.2)), company, issue))
    drafts.sort(key=lambda draft: draft[0])
    for number, (opened, company, (kind, summary, outage, _)) in enumerate(drafts, start=1):
        priority = (rng.choice(["Critical", "High"]) if outage
                    else rng.choices(CONTOSO_PRIORITIES, weights=[0, 1, 6, 4])[0])
        duration = lognormal_hours(rng, 2.5 if outage else 20, 1.0, 0.25, 500)
        closed: datetime | None = opened + timedelta(hours=duration, seconds=rng.randrange(60))
        if closed is not None and closed > CONTOSO_EXPORTED_AT:
            closed = None
        billable_work = outage or rng.random() < 0.35  # the rest the office manager fixed
        hours = quarter_hours(lognormal_hours(rng, 1.5 if outage else 0.75, 0.5, 0.25, 10)) \
            if billable_work else Decimal(0)
        travel = billable_work and rng.random() < (0.6 if outage else 0.15)
        billable = money(hours * CONTOSO_VENDOR_RATE + (CONTOSO_TRAVEL if travel else 0))
        tickets.append(ContosoTicket(
            number=f"T-{24000 + number}", company=company, site=rng.choice(company.sites),
            device=rng.choice(company.devices), kind=kind, priority=priority, summary=summary,
            opened=opened, closed=closed, hours=hours, billable=billable, travel=travel,
            # Outages count business hours lost, so a weekend-long one is capped at a day.
            # Not an outage: the tracker's downtime field defaults to 0, not blank.
            downtime_minutes=round(min(duration, 8) * 60 * rng.uniform(0.4, 1.0))
            if outage else 0,
            users_affected=rng.randint(2, max(3, company.staff // 2)) if outage else None))
    return tickets


def write_contoso_xlsx(path: Path, tickets: list[ContosoTicket]) -> int:
    """Write the tracker's export as an .xlsx with real date cells and numeric columns."""
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path))
    # A fixed creation time keeps the file byte-identical between runs.
    workbook.set_properties({"title": "Ticket export", "author": "Contoso IT tracker",
                             "created": CONTOSO_EXPORTED_AT})
    sheet = workbook.add_worksheet("Tickets")
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    when = workbook.add_format({"num_format": "dd.mm.yyyy hh:mm"})
    euros = workbook.add_format({"num_format": "#,##0.00 [$€-407]"})
    hours = workbook.add_format({"num_format": "0.00"})
    header = ["Ticket No", "Client", "Site", "Device", "Type", "Priority", "Summary",
              "Date Opened", "Date Closed", "Time Spent (hours)", "Billable Amount",
              "Downtime (minutes)", "Users Affected"]
    widths = [10, 26, 24, 15, 10, 9, 30, 17, 17, 12, 14, 12, 10]
    for column, (name, width) in enumerate(zip(header, widths, strict=True)):
        sheet.write_string(0, column, name, bold)
        sheet.set_column(column, column, width)
    titles = random.Random(TITLE_SEED + 3)
    for row, t in enumerate(tickets, start=1):
        title = typed_title(titles, t.summary, "", t.number, t.device)
        for column, value in enumerate([t.number, t.company.name, t.site, t.device, t.kind,
                                        t.priority, title]):
            sheet.write_string(row, column, value)
        sheet.write_datetime(row, 7, t.opened, when)
        if t.closed is not None:
            sheet.write_datetime(row, 8, t.closed, when)
        sheet.write_number(row, 9, float(t.hours), hours)
        sheet.write_number(row, 10, float(t.billable), euros)
        sheet.write_number(row, 11, t.downtime_minutes)
        if t.users_affected is not None:
            sheet.write_number(row, 12, t.users_affected)
    sheet.autofilter(0, 0, len(tickets), len(header) - 1)
    sheet.freeze_panes(1, 0)
    workbook.close()
    return len(tickets)


def euro(value: Decimal) -> str:
    """Format money the German way: 1.234,50."""
    return f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def contoso_invoices(tickets: list[ContosoTicket]) -> list[list[str]]:
    """Return the vendor's monthly invoice per group company, one line per charge."""
    by_invoice: dict[tuple[date, str], list[ContosoTicket]] = {}
    for t in tickets:
        if t.closed is not None and t.billable > 0:
            by_invoice.setdefault((t.closed.date().replace(day=1), t.company.name), []).append(t)
    rows = []
    numbers = {2024: 0, 2025: 0}  # numbered per year, as German invoices are
    for month, company in sorted(by_invoice):
        if month_end(month) > CONTOSO_EXPORTED_AT.date():
            continue  # December's invoices are not written yet at export time
        numbers[month.year] += 1
        invoice = f"RE-{month.year}-{numbers[month.year]:04d}"
        for t in by_invoice[(month, company)]:
            charges = [("Labour", f"Support {t.number} – {t.summary} ({t.site})", t.hours,
                        CONTOSO_VENDOR_RATE)]
            if t.travel:
                charges.append(("Travel", f"Anfahrt {t.site} – {t.number}", Decimal(1),
                                CONTOSO_TRAVEL))
            for kind, description, quantity, unit in charges:
                net = money(quantity * unit)
                rows.append([invoice, f"{month_end(month):%d.%m.%Y}", company, kind, description,
                             euro(quantity), euro(unit), euro(net),
                             euro(money(net * Decimal("0.19"))), "EUR"])
    return rows


def make_contoso(out: Path) -> dict[str, int]:
    """Write prospect-contoso/tickets.xlsx and invoices.csv (semicolons, Windows-1252)."""
    rng = random.Random(SEED + 3)
    tickets = contoso_tickets(rng)
    header = ["Invoice No", "Invoice Date", "Customer", "Type", "Description", "Qty",
              "Unit Price", "Net Amount", "VAT", "Currency"]
    return {"tickets.xlsx": write_contoso_xlsx(out / "tickets.xlsx", tickets),
            "invoices.csv": write_csv(out / "invoices.csv", header, contoso_invoices(tickets),
                                      delimiter=";", encoding="cp1252")}


def main() -> None:
    """Regenerate every sample workspace and print the row counts."""
    for workspace, make in [("acme", make_acme), ("prospect-northwind", make_northwind),
                            ("prospect-contoso", make_contoso)]:
        for name, rows in make(SAMPLE_DIR / workspace).items():
            print(f"{workspace}/{name}: {rows} rows")


if __name__ == "__main__":
    main()
