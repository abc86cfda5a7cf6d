"""Recurring problems and assets (METRICS.md section 12) against hand-worked titles and figures.

The planted corpus `tests/data/problems/planted.csv` was written by hand: 14 families of
titles, each one problem typed many ways (reply prefixes, ids, names, e-mail addresses,
dates, IPs, typos, word order, a German or Spanish word, CJK and Cyrillic titles), next to
families that share a word with them but are different problems ("Outlook keeps crashing"
/ "Outlook password reset" / "Outlook keeps asking for password"; "Printer offline" /
"Printer jammed"; "VPN drops" / "VPN setup for new starter").
"""

from __future__ import annotations

import json
import random
from decimal import Decimal
from itertools import combinations
from pathlib import Path

import duckdb
import helpers
import polars as pl
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from pipelines import store, workspace
from pipelines.cli import main
from pipelines.errors import SettingError
from pipelines.metrics import Filters, metrics_json
from pipelines.metrics.problems import (
    assets,
    past_replacement,
    problems,
    problems_json,
    recurring_sentence,
    title_groups,
    title_keys,
)
from pipelines.scenario import Scenario

PLANTED = Path(__file__).parent / "data" / "problems" / "planted.csv"
APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"


def pairwise(families: list[str], groups: list[str | None]) -> tuple[float, float]:
    """Pairwise precision and recall of `groups` (None = in no group) against `families`."""
    tp = fp = fn = 0
    for a, b in combinations(range(len(families)), 2):
        same_family = families[a] == families[b]
        same_group = groups[a] is not None and groups[a] == groups[b]
        tp += same_family and same_group
        fp += same_group and not same_family
        fn += same_family and not same_group
    return tp / (tp + fp), tp / (tp + fn)


# --- titles -----------------------------------------------------------------------------------

def test_planted_families_pairwise_precision_recall_and_no_mixed_group() -> None:
    """Measured: precision 1.000, recall 0.985 (3 of 200 same-family pairs missed:
    'Mailbox full - cannot send email' carries two more words than 'Mailbox full')."""
    corpus = pl.read_csv(PLANTED)
    found = title_groups(corpus["title"])
    group_of = dict(zip(found["title"], found["group"], strict=True))
    families = corpus["family"].to_list()
    groups = [group_of[t] for t in corpus["title"]]
    precision, recall = pairwise(families, groups)
    assert precision >= 0.9 and recall >= 0.8, (precision, recall)
    assert (precision, round(recall, 3)) == (1.0, 0.985)
    for g in {g for g in groups if g is not None}:
        assert len({f for f, gg in zip(families, groups, strict=True) if gg == g}) == 1, g


@pytest.mark.parametrize(("titles", "key"), [
    # reply prefixes, ids, a name after a dash, a typo, another language
    (["RE: Outlook keeps crashing", "Outlook crashing again - John Smith",
      "[External] Outlook keeps crashign INC0012345", "outlook crashes on PC-0042",
      "AW: Outlook stürzt ständig ab", "Outlok keeps crashing"], "crash outlook"),
    # names after a cue, a user name, an e-mail address, a ticket number with dots
    (["Password reset for Anna Kowalski", "password reset user jsmith",
      "FW: Password reset for jane.doe@acme.com", "Password reset (T20240105.0001)",
      "Passwort zurücksetzen"], "password reset"),
    # German, Spanish, a date
    (["Drucker druckt nicht", "Printer not printing", "impresora no imprime",
      "Printer not printing 05/01/2024"], "print printer"),
    # IPs and dates are numbers; word order does not matter
    (["VPN drops every morning", "vpn drops 10.0.0.1", "Dropping VPN - 2024-03-04"], "drop vpn"),
    # a known word after a cue is kept: "for Outlook" is not a person
    (["Licence for Outlook", "Outlook license", "outlook licenses"], "licenc outlook"),
])
def test_titles_of_one_problem_get_one_key(titles: list[str], key: str) -> None:
    assert set(title_keys(titles)) == {key}


def test_cjk_and_cyrillic_titles_become_words_without_breaking() -> None:
    """Han script has no spaces: character bigrams (打印机无法打印 -> 打印, 印机, 机无, 无法, 法打)."""
    keys = title_keys(["打印机无法打印", "RE: 打印机无法打印 INC0012399", "Нет интернета",
                       "нет интернета в офисе"])
    assert keys[0] == keys[1] == "印机 打印 无法 机无 法打"
    assert keys[2] == "интернета нет"
    assert keys[3] == "интернета нет офисе"


def test_different_problems_sharing_a_word_never_join() -> None:
    """outlook+crash vs outlook+password+reset: 1 shared word of 4, Jaccard 0.25 < 0.6 and
    neither contains the other; printer+offlin vs printer+jam: 1 of 3; vpn+drop vs
    setup+vpn+starter: 1 of 4; a one-word key ('printer') joins only the same word."""
    titles = ["Outlook keeps crashing"] * 3 + ["Outlook password reset"] * 3 + [
        "Outlook keeps asking for password"] * 3 + ["Printer offline"] * 3 + [
        "Printer jammed"] * 3 + ["Printer not working"] * 3 + ["VPN drops"] * 3 + [
        "Set up VPN for new starter"] * 3
    found = title_groups(pl.Series(titles))
    assert found["group"].n_unique() == 8


def test_chains_do_not_merge_through_a_middle_title() -> None:
    """Leaders stop chains: 'a b c' (most tickets) takes 'a b c d' (contains it, one word
    more) but not 'a b d e' (Jaccard 2/5 with the leader), although 'a b c d' ~ 'a b d e'
    would be 3/5 = 0.6."""
    found = title_groups(pl.Series(["alpha beta gamma"] * 5 + ["alpha beta gamma delta"] * 2
                                   + ["alpha beta delta epsilon"]))
    groups = found["group"].to_list()
    assert groups[0] == groups[5] != groups[7]


@pytest.mark.parametrize("title", [
    "", None, "   ", "INC0012345", "RE: FW: 12345", "🙂🙂🙂", "=cmd|'/C calc'!A0", "a" * 20_000,
    "<script>alert(1)</script>", "שלום עולם", "ข้อผิดพลาดเครื่องพิมพ์", "\x00\x01\t\n",
])
def test_hostile_titles_do_not_break_it(title: str | None) -> None:
    found = title_groups(pl.Series([title, title, title, "Printer offline"], dtype=pl.String))
    assert found.height == 4


# --- figures ------------------------------------------------------------------------------

@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    store.ensure_schema(c)
    return c


def ticket(con: duckdb.DuckDBPyConnection, ticket_id: str, title: str | None, opened: str,
           resolved: str | None = None, *, client: str = "acme", asset: str | None = None,
           priority: str | None = None, downtime_minutes: float | None = None,
           labour_hours: float | None = None, billed: str | None = None) -> None:
    """One titled incident, stored through the load's own write (helpers.ticket)."""
    helpers.ticket(con, ticket_id, opened, resolved, client=client, asset=asset,
                   priority=priority, downtime_minutes=downtime_minutes,
                   labour_hours=labour_hours, billed_amount=billed, title=title)


def outlook_and_vpn(con: duckdb.DuckDBPyConnection) -> None:
    """Four Outlook crashes, three VPN drops, two password resets (too few), one untitled.

    Outlook (hourly_rate 100): T1 billed 80; T2 2 h -> 200; T3 neither -> 0; T4 billed 50
    and 1 h -> the billed 50 wins: cost 330. TTR: T1 2 h, T2 4 h, T3 open, T4 resolved
    before opened (left out): 6 h. Downtime: T2 is P1 without minutes -> its TTR 4 h; T4
    has 30 minutes -> 0.5 h: 4.5 h. Clients acme, beta; assets (acme, PC-1), (acme, PC-2),
    (beta, PC-1): 3. Months 2024-01 .. 2024-03.
    VPN: no cost data at all -> cost null; TTR 1 + 1 + 1 = 3 h; no downtime -> 0.
    """
    ticket(con, "T1", "Outlook keeps crashing", "2024-01-05 09:00+00", "2024-01-05 11:00+00",
           asset="PC-1", billed="80")
    ticket(con, "T2", "RE: Outlook crashing - Anna Kowalski", "2024-02-01 09:00+00",
           "2024-02-01 13:00+00", asset="PC-2", priority="P1", labour_hours=2)
    ticket(con, "T3", "outlook crashes INC0012345", "2024-02-10 09:00+00", asset="PC-1")
    ticket(con, "T4", "Outlook keeps crashign", "2024-03-03 09:00+00", "2024-03-01 09:00+00",
           client="beta", asset="PC-1", downtime_minutes=30, labour_hours=1, billed="50")
    for n, day in enumerate(["2024-01-08", "2024-02-08", "2024-03-08"], start=5):
        ticket(con, f"T{n}", "VPN drops every morning", f"{day} 08:00+00", f"{day} 09:00+00")
    ticket(con, "T8", "Password reset", "2024-01-09 10:00+00", "2024-01-09 10:30+00",
           labour_hours=0.5)
    ticket(con, "T9", "Password reset for John Smith", "2024-01-10 10:00+00")
    ticket(con, "T10", None, "2024-01-11 10:00+00", labour_hours=3)


def test_group_figures_worked_by_hand(con: duckdb.DuckDBPyConnection) -> None:
    """The label is the commonest cleaned title; all four are used once, so the shortest,
    'outlook crashes' (from 'outlook crashes INC0012345'), wins."""
    outlook_and_vpn(con)
    result = problems(con, Scenario(hourly_rate=100))
    assert problems_json(result) == [
        {"label": "outlook crashes", "incidents": 4, "clients": 2, "assets": 3,
         "first": "2024-01", "last": "2024-03", "ttr_hours": 6.0, "downtime_hours": 4.5,
         "cost": 330.0},
        {"label": "VPN drops every morning", "incidents": 3, "clients": 1, "assets": 0,
         "first": "2024-01", "last": "2024-03", "ttr_hours": 3.0, "downtime_hours": 0.0,
         "cost": None},
    ]
    members = problems_json(result, with_tickets=True)[0]["tickets"]
    assert members == [{"client": "acme", "ticket_id": "T1"}, {"client": "acme", "ticket_id": "T2"},
                       {"client": "acme", "ticket_id": "T3"}, {"client": "beta", "ticket_id": "T4"}]
    monthly = result.monthly.filter(pl.col("label") == "outlook crashes")
    assert monthly["tickets"].to_list() == [1, 2, 1]
    assert recurring_sentence(result, "GBP") == (
        "2 problems came back 3 or more times and cost GBP 330 in labour.")


def test_window_and_client_filters_narrow_the_groups(con: duckdb.DuckDBPyConnection) -> None:
    """From 2024-02 the VPN group keeps 2 tickets (< 3: gone) and Outlook 3 (T2, T3, T4);
    client beta alone has one Outlook ticket: no group."""
    outlook_and_vpn(con)
    narrowed = problems_json(problems(con, Scenario(hourly_rate=100), Filters("2024-02")))
    assert [(g["label"], g["incidents"], g["cost"]) for g in narrowed] == [
        ("outlook crashes", 3, 250.0)]
    assert problems_json(problems(con, Scenario(), Filters(client="beta"))) == []


def test_ties_order_by_cost_then_label(con: duckdb.DuckDBPyConnection) -> None:
    """Three groups of 3 tickets: printer costs 30, scanner 30, wifi null -> printer,
    scanner (label A-Z on equal cost), then wifi (null cost last)."""
    for n in range(3):
        ticket(con, f"W{n}", "Wifi slow", f"2024-01-0{n + 1} 09:00+00")
        ticket(con, f"S{n}", "Scanner jammed", f"2024-01-0{n + 1} 09:00+00", billed="10")
        ticket(con, f"P{n}", "Printer offline", f"2024-01-0{n + 1} 09:00+00", billed="10")
    assert [g["label"] for g in problems_json(problems(con, Scenario()))] == [
        "Printer offline", "Scanner jammed", "Wifi slow"]


def test_assets_endpoints_and_rhem(con: duckdb.DuckDBPyConnection) -> None:
    """Window 2024-01 .. 2024-03 (3 months). Labour hours of the window: T2 2 + T4 1 + T8 0.5
    + T10 3 = 6.5. Assets: (acme, PC-1) T1 80 + T3 0 = 80; (acme, PC-2) T2 2 h x 100 = 200;
    (beta, PC-1) 50. Endpoints: 3 pairs -> RHEM 6.5 / 3 / 3 = 0.7222 -> 0.72; with
    devices = 10: 6.5 / 10 / 3 = 0.2167 -> 0.22."""
    outlook_and_vpn(con)
    result = assets(con, Scenario(hourly_rate=100))
    assert (result.endpoints, round(result.rhem or 0, 2)) == (3, 0.72)
    assert result.top.select("client", "asset", "incidents", "labour_hours", "cost",
                             "downtime_hours").rows() == [
        ("acme", "PC-2", 1, 2.0, Decimal(200), 4.0),
        ("acme", "PC-1", 2, None, Decimal(80), 0.0),
        ("beta", "PC-1", 1, 1.0, Decimal(50), 0.5),
    ]
    assert round(assets(con, Scenario(hourly_rate=100, devices=10)).rhem or 0, 2) == 0.22
    assert past_replacement(result.top, 100)["asset"].to_list() == ["PC-2"]
    assert past_replacement(result.top, 0).height == 0


def test_rhem_is_null_without_labour_hours(con: duckdb.DuckDBPyConnection) -> None:
    ticket(con, "A", "Printer offline", "2024-01-01 09:00+00", asset="PRN-1")
    result = assets(con, Scenario())
    assert (result.endpoints, result.rhem) == (1, None)


def test_metrics_json_carries_problems_and_assets(con: duckdb.DuckDBPyConnection) -> None:
    outlook_and_vpn(con)
    m = metrics_json(con, "acme", Scenario(hourly_rate=100))
    assert set(m["problems"][0]) == {"label", "incidents", "clients", "assets", "first", "last",
                                     "ttr_hours", "downtime_hours", "cost"}
    assert set(m["assets"]) == {"endpoints", "rhem", "top"}
    assert m["assets"]["rhem"] == 0.72
    assert m["scenario"]["replacement_cost"] == 0.0


def test_replacement_cost_is_checked() -> None:
    assert Scenario(replacement_cost="900").replacement_cost == 900.0
    with pytest.raises(SettingError, match="'replacement_cost' must be a number >= 0"):
        Scenario(replacement_cost=-1)


# --- CLI and dashboard ------------------------------------------------------------------------

def test_cli_problems_json_lists_every_group_with_its_tickets(
        data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with workspace.connect("shop", data_dir) as c:
        outlook_and_vpn(c)
    assert main(["problems", "-w", "shop", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["workspace"] == "shop"
    assert [(g["label"], len(g["tickets"])) for g in out["problems"]] == [
        ("outlook crashes", 4), ("VPN drops every morning", 3)]
    assert main(["problems", "-w", "shop"]) == 0
    text = capsys.readouterr().out
    assert "2 problems came back 3 or more times" in text and "outlook crashes" in text


def test_problems_page_renders(data_dir: Path) -> None:
    st.cache_data.clear()
    with workspace.connect("shop", data_dir) as c:
        outlook_and_vpn(c)
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page("views/problems.py").run()
    assert not at.exception, at.exception
    assert any("2 problems came back 3 or more times" in m.value for m in at.markdown)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    heat = spec["data"][0]  # rows bottom-up: the most tickets on top
    assert heat["y"] == ["VPN drops every morning", "outlook crashes"]
    assert heat["z"] == [[1, 1, 1], [1, 2, 1]]
    assert at.selectbox(key="problems_group").value is not None
    st.cache_data.clear()


# --- families written after the method, and perturbed ones ------------------------------------

@pytest.mark.parametrize(("corpus", "recall"), [("paraphrased.csv", 0.896),
                                                ("paraphrased2.csv", 0.777)])
def test_paraphrased_families_never_mix(corpus: str, recall: float) -> None:
    """Two more hand-written sets (16 + 17 families), written after the method, with
    paraphrases beyond the perturbations the method is built for ("Internet down" / "No
    internet", "MFA code not received" / "MFA prompt not arriving"): precision stays 1.0;
    recall is what it is, recorded here so a change shows (first measured before two
    synonym and suffix fixes: 0.626 on the first)."""
    rows = pl.read_csv(PLANTED.parent / corpus)
    found = title_groups(rows["title"])
    group_of = dict(zip(found["title"], found["group"], strict=True))
    precision, measured = pairwise(rows["family"].to_list(),
                                   [group_of[t] for t in rows["title"]])
    assert precision == 1.0
    assert round(measured, 3) == recall


BASES = ["Outlook keeps crashing", "Outlook password reset", "Outlook calendar not syncing",
         "Printer offline", "Printer paper jam", "Printer toner low", "VPN drops every morning",
         "VPN setup for new starter", "Password expired", "Account locked out",
         "Wi-Fi slow in meeting room", "Laptop will not boot", "Laptop battery not charging",
         "Teams camera not working", "Teams audio echo", "Excel freezes when saving",
         "Shared drive access denied", "Backup job failed", "Server disk full",
         "Email not sending", "Email bounce back", "Scanner not scanning to email",
         "Phone no dial tone", "Monitor no signal", "Keyboard not working",
         "Sage login failed", "Sage update failed", "OneDrive not syncing",
         "MFA code not arriving", "Website down"]
OTHER_LANGUAGE = {"printer": ["Drucker", "impresora", "imprimante"],
                  "password": ["Passwort", "contraseña"], "email": ["E-Mail", "correo"],
                  "slow": ["langsam", "lento"], "crashing": ["stürzt ab"],
                  "reset": ["zurücksetzen"], "laptop": ["Notebook", "portátil"],
                  "monitor": ["Bildschirm"]}
PEOPLE = (["Zoe", "Marcus", "Ingrid", "Kwame", "Dmitri", "Aaliyah", "Bjorn", "Olu", "Hugo"],
          ["Okonkwo", "Lindqvist", "Nakamura", "Fitzgerald", "Oyelaran", "Duarte", "Moreau"])


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word
    i, op = rng.randrange(1, len(word) - 1), rng.randrange(4)
    return [word[:i] + word[i + 1] + word[i] + word[i + 2:], word[:i] + word[i + 1:],
            word[:i] + word[i] + word[i:], word[:i] + rng.choice("aeiou") + word[i + 1:]][op]


def _perturbed(rng: random.Random, base: str) -> str:
    """One title of `base` as the issue lists the ways: a typo, another language's word,
    word order, case, a name, a user name, an e-mail address, an id, an asset, a date, a
    reply/forward/[External] prefix (names unknown to the method's first-name list)."""
    words = base.split()
    if rng.random() < 0.15:
        j = rng.randrange(len(words))
        words[j] = _typo(rng, words[j])
    if rng.random() < 0.15:
        for j, w in enumerate(words):
            if w.lower() in OTHER_LANGUAGE:
                words[j] = rng.choice(OTHER_LANGUAGE[w.lower()])
                break
    if rng.random() < 0.1 and len(words) > 2:
        words = words[1:] + words[:1]
    title = " ".join(words)
    title = title.lower() if rng.random() < 0.2 else title
    first, last = rng.choice(PEOPLE[0]), rng.choice(PEOPLE[1])
    title += rng.choice([
        f" for {first} {last}", f" - {first} {last}", f" user {first[0].lower()}{last.lower()}",
        f" ({first.lower()}.{last.lower()}@example.com)", f" INC{rng.randrange(10**7):07d}",
        f" on PC-{rng.randrange(9999):04d}", f" {rng.randrange(1, 28):02d}/{rng.randrange(1, 12):02d}/2024",
        "", "", ""])
    return rng.choice(["RE: ", "FW: ", "[External] ", "AW: ", "", "", "", "", ""]) + title


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_perturbed_families_meet_the_quality_bar(seed: int) -> None:
    """30 base problems (many sharing a word: Outlook x3, Printer x3, VPN x2, Sage x2, ...),
    3-8 perturbed titles each. Bar: precision >= 0.9, recall >= 0.8, no mixed group.
    Measured over seeds 0-19: mean precision 1.000, recall 0.983 (worst 0.935), no mixed group."""
    rng = random.Random(seed)
    families, titles = [], []
    for base in BASES:
        for _ in range(rng.randint(3, 8)):
            families.append(base)
            titles.append(_perturbed(rng, base))
    groups = title_groups(pl.Series(titles))["group"].to_list()
    precision, recall = pairwise(families, groups)
    assert precision >= 0.9 and recall >= 0.8, (precision, recall)
    for g in {g for g in groups if g is not None}:
        assert len({f for f, gg in zip(families, groups, strict=True) if gg == g}) == 1, g


def test_problems_page_without_titles_says_no_data(
        data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Like the UCI event log: tickets but no titles -> "no data" on the page and in the
    CLI, no chart claiming that nothing came back."""
    st.cache_data.clear()
    with workspace.connect("shop", data_dir) as c:
        for n in range(5):
            ticket(c, f"T{n}", None, f"2024-01-0{n + 1} 09:00+00")
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page("views/problems.py").run()
    assert not at.exception, at.exception
    assert any("No data: the tickets in the chosen window have no titles" in m.value
               for m in at.markdown)
    assert not at.get("plotly_chart")
    assert len(at.dataframe) == 1  # the assets table only: no empty problems table
    st.cache_data.clear()
    assert main(["problems", "--workspace", "shop", "--data-dir", str(data_dir)]) == 0
    assert "no titles" in capsys.readouterr().out


def test_problems_page_on_an_empty_workspace_says_so(empty_workspace: str) -> None:
    st.cache_data.clear()
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page("views/problems.py").run()
    assert not at.exception, at.exception
    assert "has no tickets or invoices yet" in " ".join(i.value for i in at.info)
    assert not at.get("plotly_chart")


def test_a_workspace_without_titles_has_no_groups(con: duckdb.DuckDBPyConnection) -> None:
    """Like the UCI ServiceNow event log, which has no short description column."""
    for n in range(5):
        ticket(con, f"T{n}", None, f"2024-01-0{n + 1} 09:00+00", asset="cmdb_ci 1")
    result = problems(con, Scenario())
    assert problems_json(result) == [] and result.titled == 0
    assert recurring_sentence(result) == (
        "No data: the tickets in the chosen window have no titles, so recurring problems"
        " cannot be looked for.")
    assert assets(con, Scenario()).endpoints == 1


def test_titled_tickets_without_a_group_say_none_came_back(
        con: duckdb.DuckDBPyConnection) -> None:
    """Two different titles, one ticket each: titles were there, no problem repeated."""
    ticket(con, "T1", "Printer jammed", "2024-01-02 09:00+00")
    ticket(con, "T2", "VPN drops every morning", "2024-01-03 09:00+00")
    ticket(con, "T3", None, "2024-01-04 09:00+00")
    result = problems(con, Scenario())
    assert result.titled == 2
    assert recurring_sentence(result) == (
        "No problem came back 3 or more times in the chosen window.")


def test_title_groups_are_cached_by_the_titles_and_their_counts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two tickets 'Printer jam' and one 'VPN down': no group (a group needs 3). A second
    load adds a third 'Printer jam': the distinct titles are the same, their counts are
    not, so the cached grouping is not reused and the group appears (3 tickets). Asked
    again with nothing changed, the grouping comes from the cache: title_groups is not
    called (it would raise here) and the figures are the same."""
    from pipelines.metrics import problems as module

    head = "Ticket Number,Short description,Created,Resolved\n"
    first = tmp_path / "a.csv"
    first.write_text(head + "A1,Printer jam,2024-03-04 09:00,2024-03-04 10:00\n"
                     "A2,Printer jam,2024-03-05 09:00,2024-03-05 10:00\n"
                     "A3,VPN down,2024-03-06 09:00,2024-03-06 10:00\n", encoding="utf-8")
    second = tmp_path / "b.csv"
    second.write_text(head + "A4,Printer jam,2024-03-07 09:00,2024-03-07 11:00\n",
                      encoding="utf-8")
    d = tmp_path / "data"

    def labels() -> list[tuple[str, int]]:
        with workspace.connect("c", d, read_only=True) as con:
            found = problems(con, Scenario())
        return [(r["label"], r["incidents"]) for r in found.groups.iter_rows(named=True)]

    assert main(["ingest", str(first), "-w", "c", "--data-dir", str(d)]) == 0
    assert labels() == []
    assert main(["ingest", str(second), "-w", "c", "--data-dir", str(d)]) == 0
    assert labels() == [("Printer jam", 3)]

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("title_groups called on a cache hit")

    monkeypatch.setattr(module, "title_groups", refuse)
    assert labels() == [("Printer jam", 3)]


def test_titles_without_digits_in_parts_on_threads_are_those_of_one_pass(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Many titles are cut into a part per core: the result is each title's own, in order."""
    from pipelines.metrics import problems_text

    kinds = ["Printer 3 offline at site 12", "O365 login fails for user j.smith2",
             "VPN down 10.0.0.1 since 09:30", "Outlook crash", "", None,
             "Serveur n°４ hors ligne", "Disk C: 95% full on SRV-01", "Wi-Fi drops (ticket #123)"]
    titles = pl.Series("title", [kinds[i % len(kinds)] and f"{kinds[i % len(kinds)]} {i}"
                                 for i in range(5_000)])
    one_pass = problems_text._without_digits(titles)
    monkeypatch.setattr(problems_text, "_PARALLEL_TITLES", 100)
    monkeypatch.setattr(problems_text.os, "cpu_count", lambda: 3)  # three parts
    assert problems_text.without_digits(titles).equals(one_pass)
    assert one_pass.str.contains(r"\d").sum() == 0
