"""Recurring problems: title normalisation and near-duplicate grouping (METRICS.md section 12).

The figures per group (tickets, clients, cost, ...) are `pipelines.metrics.problems`;
this module turns titles into keys and keys into groups.

The title method, step by step (deterministic: no hash order, no randomness):

1. Ids first (vectorised, Polars, on the distinct raw titles): every run of characters
   holding a digit goes (ticket, asset and user ids such as INC0012345, PC-0042,
   T20240105.0001, numbers, dates, times, IPs; O365/M365 -> office, Win10 -> windows
   first). What makes nearly every raw title unique is gone, so the rest runs on the far
   fewer distinct results: Unicode NFKC; URLs, e-mail addresses and reply/forward/
   warning prefixes (RE:, FW:, FWD:, AW:, WG:, SV:, TR:, RV:, VS:, ANTW:, [External],
   [EXT], EXTERNAL:) removed; person names marked: the capitalised words after a cue
   (for, from, by, user, caller, requested by, on behalf of, für, von, pour, para, ...),
   after a dash at the end or in brackets, a common first name and the capitalised word
   after it, and a user name after "user"/"username"/"for"; then lower case and a few
   phrases joined ("wi-fi" -> wifi, "log in" -> login, "e-mail" -> email, "mot de
   passe" -> password).
2. Split the rest into words (letters only). Each distinct word is case-folded, accents
   folded on Latin script (é -> e, ü -> u, ß -> ss), stop words and generic ticket words
   dropped (please, urgent, issue, not, cannot, again, keeps, desk, floor, months,
   weekdays, ...), lightly stemmed (crashing/crashes/crashed -> crash, accessible ->
   access) and mapped through a small synonym table (Drucker/impresora/imprimante ->
   printer, stürzt -> crash, Passwort/contraseña -> password, license -> licence, ...).
   Runs of Han, kana or Thai script, which do not separate words with spaces, become
   character bigrams. A marked name word is kept only when it is a known product or
   service word, or when more titles (and 2 or more) use it unmarked than marked ("for
   Outlook" keeps Outlook, "for Anna Kowalski" keeps neither).
3. Typos: a spelling of 4+ letters is rewritten to the word of a spelling with the same
   first letter within 1 edit (2 from 8 letters; optimal string alignment, so a swap of
   two letters is one edit) whose word is used by at least twice as many tickets (and by
   2 or more); two spellings of 6+ letters used equally (licence/license) meet at the
   A-Z first. A misspelt stop word ("canont") is dropped like the stop word.
4. A title's *key* is its set of words. Distinct keys are grouped, most tickets first,
   by leaders: a key joins the leader it matches best (highest score, then the earlier
   leader), else starts a group of its own. Two keys match when their Jaccard similarity
   is >= 0.6, or when the smaller has 2+ words, all in the larger, and the larger has at
   most one word more; words one typo apart count as shared there. A key with a word no
   other ticket uses (a stray surname, a filler such as "needs") is also tried without
   it (score - 0.01), unless that word is within two edits of a word of a candidate
   leader (it may be a mistyped distinguishing word: "sage lgon fail" must not join
   "sage update fail"). Every member matches its group's leader, so chains (A~B~C with
   A far from C) cannot merge two problems that merely share a word: "outlook crash"
   and "outlook password reset" share one word of four (Jaccard 0.25) and stay apart; a
   one-word key only joins the same word. Titles whose key is empty (only ids, names or
   generic words) join no group.
5. A group needs 3 or more tickets.

Measured (tests/test_problems.py): the hand-made planted set (80 titles, 14 families):
pairwise precision 1.000, recall 0.985; seeded perturbed families (30 problems, 20
seeds): precision 1.000, recall 0.983 on average, no mixed group; two paraphrased sets
written afterwards: precision 1.000, recall 0.896 and 0.777.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from itertools import combinations

import polars as pl
from rapidfuzz import process
from rapidfuzz.distance import OSA

JACCARD = 0.6
WEAK = False

# --- word lists ----------------------------------------------------------------------------

def _wordset(text: str) -> set[str]:
    return set(text.split())


_STOP = _wordset("""
a an the and or of to in on at by for from with without into onto over under up out off
is are was were be been being am do does did done has have had having will would shall
should can could may might must it its it's this that these those there here what which who
whom whose why how when where while after before during since until than then too
very so such just also only even yet still again anymore any some all each every both
either neither no nor not none cannot cant can't wont won't dont don't doesnt doesn't didnt
isnt aint unable able i me my mine we us our ours you your yours he him his she her hers
they them their theirs one ones s t d ll m re ve
please pls plz kindly urgent urgently asap help helpdesk hi hello dear thanks thank thx
regards issue issues problem problems error errors query question regarding re fw fwd aw wg
sv tr rv vs antw ref ticket tickets case request req ritm inc sr chg prb task incident
id nr no number nummer user users staff customer client someone anyone everyone
keep keeps kept always constantly continuously repeatedly randomly sometimes often
intermittent intermittently frequently occasionally today tonight yesterday tomorrow now
morning afternoon evening night daily weekly week day days time times
work works working worked workin functioning function fix fixed fixing broken broke
again urgent get gets getting got desk floor room building level
monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs
fri sat sun january february march april may june july august september october november
december jan feb mar apr jun jul aug sep sept oct nov dec
der die das den dem des ein eine einen einem einer und oder ist sind war nicht kein keine
mit ohne fur bei beim ab standig dauernd wird werden kann im vom zum zur auf aus nach bitte dringend geht funktioniert problem
fehler seit immer wieder noch mehr heute morgen januar februar marz juni juli oktober
dezember montag dienstag mittwoch donnerstag freitag
el la los las un una unos unas y o de del al en con sin por para es esta estan no funciona
favor urgente problema error hoy
le les une et ou du des au aux dans avec sans pour est sont pas ne plus fonctionne
probleme erreur aujourd hui merci svp
il lo gli di da non funziona het een en niet werkt geen van op met voor och inte
""")

# Surface or stemmed form -> the word kept. Another language's word maps to the English one.
_SYNONYMS = {
    # printers
    "drucker": "printer", "impresora": "printer", "imprimante": "printer",
    "stampante": "printer", "printers": "printer", "skrivare": "printer",
    "druckt": "print", "drucken": "print", "imprime": "print", "imprimir": "print",
    "imprimer": "print", "stampa": "print", "printen": "print", "printing": "print",
    # crashes and freezes
    "sturzt": "crash", "absturz": "crash", "absturzt": "crash", "abgesturzt": "crash",
    "plante": "crash", "crashe": "crash", "crash": "crash", "bloquea": "crash",
    "cierra": "crash", "kraschar": "crash", "crashen": "crash",
    "frozen": "freez", "hang": "freez", "hung": "freez", "freez": "freez",
    "friert": "freez", "eingefroren": "freez", "congela": "freez", "fige": "freez",
    # accounts
    "passwort": "password", "kennwort": "password", "contrasena": "password",
    "pw": "password", "pwd": "password", "passwd": "password", "wachtwoord": "password",
    "losenord": "password", "passwor": "password",
    "zurucksetzen": "reset", "restablecer": "reset", "reinitialiser": "reset",
    "reinitialisation": "reset", "resett": "reset",
    "gesperrt": "lock", "bloqueado": "lock", "bloqueada": "lock", "bloque": "lock",
    "lockout": "lock", "lockedout": "lock",
    "log": "login", "logon": "login", "signin": "login", "logg": "login",
    "anmelden": "login", "anmeldung": "login", "einloggen": "login",
    "konto": "account", "cuenta": "account", "compte": "account",
    # mail, network
    "mail": "email", "mails": "email", "correo": "email", "courriel": "email",
    "emails": "email", "mailbox": "mailbox", "postfach": "mailbox",
    "wlan": "wifi", "wireless": "wifi", "wi": "wifi",
    "netzwerk": "network", "reseau": "network", "red": "network", "netwerk": "network",
    "connection": "connect", "connectivity": "connect", "verbindung": "connect",
    "conexion": "connect", "connexion": "connect", "verbindet": "connect",
    "langsam": "slow", "lento": "slow", "lenta": "slow", "lent": "slow", "slowly": "slow",
    "sluggish": "slow",
    # hardware
    "license": "licence", "licens": "licence", "lizenz": "licence",
    "licencia": "licence", "webcam": "camera", "kamera": "camera", "camara": "camera",
    "notebook": "laptop", "portatil": "laptop", "computer": "pc", "rechner": "pc",
    "fehlgeschlagen": "fail", "gescheitert": "fail", "fallo": "fail", "echec": "fail",
    "buro": "office", "oficina": "office", "bureau": "office", "kasse": "till",
    "gesendet": "send", "senden": "send", "versendet": "send", "envia": "send",
    "bildschirm": "monitor", "pantalla": "monitor", "ecran": "monitor", "screen": "monitor",
    "display": "monitor",
    "escaner": "scanner", "scannen": "scan",
    "telefon": "phone", "telefono": "phone", "telephone": "phone",
    "installation": "install", "instalar": "install", "installieren": "install",
    "aktualisierung": "updat", "actualizacion": "updat", "upgrade": "updat",
    "drucker-": "printer",
}
# Words a marked name may be: kept, not dropped, after a cue ("for Outlook").
_KNOWN = set(_SYNONYMS.values()) | _wordset("""
outlook teams excel word office windows mac macbook iphone android ipad sharepoint onedrive
vpn wifi internet network printer scanner laptop desktop pc monitor keyboard mouse phone
email calendar mailbox server database backup firewall router switch sage xero quickbooks
home office access account password license licence software hardware adobe reader chrome
edge firefox browser zoom citrix remote desktop erp crm sap payroll finance accounts
""")
_KNOWN_MARKED = r"~+((?i:" + "|".join(sorted(_KNOWN)) + r"))\b"
_DIGIT_WORDS = [(r"(?i)\b(?:[om]365|office365)\b", "office"),
                (r"(?i)\bwin1[01]\b", "windows"), (r"(?i)\b2fa\b", "mfa")]
_DIGIT_WORDS_HINT = r"(?i)365|win1[01]|2fa"  # every match of _DIGIT_WORDS holds one of these

_FIRST_NAMES = _wordset("""
John Jon James Michael David Robert William Richard Thomas Daniel Matthew Andrew Mark Paul
Steven Stephen Peter Chris Christopher Brian Kevin Jason Ryan Gary Tim Timothy Jeff Scott
Eric Adam Ben Benjamin Sam Samuel Oliver Harry George Noah Charlie Jacob Alex Alexander
Luke Liam Ethan Tom Joe Joseph Dan Dave Mike Nick Simon Ian Neil Graham Martin Tony Sean
Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Sandra
Ashley Emily Emma Amelia Olivia Isla Ava Sophie Sophia Chloe Megan Hannah Laura Rachel
Rebecca Helen Claire Kate Katie Lucy Amy Anna Anne Julia Maria Marie Mia Ella Lily Freya
Grace Priya Aisha Fatima Mohammed Muhammad Ahmed Ali Arjun Raj Wei Mei Li Chen Yuki Hiroshi
Hans Klaus Jurgen Jürgen Stefan Andreas Thomas Wolfgang Michaela Sabine Ursula Petra Monika
Lukas Jonas Felix Leon Lena Laura Julia Jean Pierre Louis Camille Manon Chloé Nicolas
Juan José Jose Carlos Luis Javier Miguel Pablo Sofia Lucia Carmen Isabel Ana Marco Giulia
Luca Francesco Anders Lars Erik Sven Ingrid Astrid Ewan Niamh Sinead Siobhan Declan Connor
""")

# --- patterns (Rust regex syntax, run by Polars) --------------------------------------------

_URL = r"(?i)\b(?:https?://|www\.)\S+"
_EMAIL = r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+"
_PREFIX = (r"^(?:\s*(?:(?i:re|fw|fwd|aw|wg|sv|tr|rv|vs|antw|ref|r|f)\s*(?:\[\d*\]|\(\d*\))?\s*:"
           r"|\[\s*(?i:external|ext|extern|externe|externo|caution|warning|spam)\s*\]"
           r"|\*+\s*(?i:external|ext)\s*\*+|(?i:external|extern|ext)\s*:|[-:>*\s]))+")
_TAG_ANYWHERE = r"\[\s*(?i:external|ext|extern|externe|externo)\s*\]"
_NAME_WORD = r"(?:\p{Lu}[\p{Ll}'’\-]+|\p{Lu}\.)"
_CUE = (r"((?i:\b(?:for|from|by|user|username|caller|requester|requested\s+by|reported\s+by|"
        r"raised\s+by|logged\s+by|on\s+behalf\s+of|f[uü]r|von|pour|para|per|voor|van|"
        r"de\s+la\s+part\s+de|contact|cc|attn)\s*:?\s+))")
_CUE_NAMES = _CUE + rf"({_NAME_WORD})(?:\s+({_NAME_WORD}))?(?:\s+({_NAME_WORD}))?"
# A name after a dash at the end ("Printer jammed - Anna Kowalski") or in brackets.
_DASH_NAMES = (rf"(\s[-–—]\s*|\(\s*)({_NAME_WORD})(?:\s+({_NAME_WORD}))?(?:\s+({_NAME_WORD}))?"
               r"\s*\)?\s*$")
_FIRST = (r"\b(" + "|".join(sorted(set(_FIRST_NAMES))) + rf")\b(?:\s+({_NAME_WORD}))?")
_USERNAME = (r"((?i:\b(?:user|username|userid|user\s+id|for)\s*:?\s+))"
             r"([a-z][a-z0-9]*(?:[._\\][a-z0-9]+)*)\b")
_PHRASES = [
    (r"\bwi[\s-]?fi\b", "wifi"), (r"\be[\s-]mail", "email"), (r"\blog[\s-]?(?:in|on)\b", "login"),
    (r"\bsign[\s-]?(?:in|on)\b", "login"), (r"\bset[\s-]?up\b", "setup"),
    (r"\bmot\s+de\s+passe\b", "password"), (r"\bpass\s+word\b", "password"),
    (r"\blocked\s+out\b", "locked"), (r"\bstürzt\s+ab\b", "stürzt"),
    (r"\bblue\s+screen(?:\s+of\s+death)?\b", "bsod"), (r"\bbluescreen\b", "bsod"),
    (r"\boffice\s*365\b", "microsoft"), (r"\bmicrosoft\s+365\b", "microsoft"),
    (r"\bwindows\s+1[01]\b", "windows"), (r"\bno\s+funciona\b", " "),
    (r"\bne\s+fonctionne\s+pas\b", " "), (r"\bfunktioniert\s+nicht\b", " "),
]
_SPLIT_SOFT = r"[,;:!?()\[\]{}<>\"|/*+=&]"  # split before the digit test; keeps - . _ # \
_NOT_LETTER = r"[^\p{L}\p{M}~]+"

# Scripts written without spaces between words: Han, Hiragana, Katakana, Thai, Lao, Khmer.
_NOSPACE = re.compile(
    "([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0eff\u1780-\u17ff]+)"
)


# --- words ----------------------------------------------------------------------------------

def _latin(word: str) -> bool:
    return all(ord(ch) < 0x250 or 0x1E00 <= ord(ch) <= 0x1EFF for ch in word)


def _fold(word: str) -> str:
    """Casefolded; accents dropped from Latin letters (é -> e, ü -> u); others as they are."""
    word = word.casefold()
    decomposed = unicodedata.normalize("NFKD", word)
    base = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return base if _latin(base) else unicodedata.normalize("NFC", word)


def stem(word: str) -> str:
    """A light English suffix stripper: crashing, crashes, crashed -> crash."""
    w = word
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if len(w) >= 6 and w.endswith("ing"):
        w = w[:-3]
    elif len(w) >= 5 and w.endswith("ed"):
        w = w[:-2]
    if len(w) >= 8 and w.endswith(("able", "ible")):  # accessible -> access
        w = w[:-4]
    if len(w) >= 4 and w[-1] == w[-2] and w[-1] not in "lsz":
        w = w[:-1]
    if len(w) >= 4 and w.endswith("e"):
        w = w[:-1]
    return w


@lru_cache(maxsize=200_000)
def canonical_words(token: str) -> tuple[str, ...]:
    """The words a raw token (no spaces) stands for: () for a stop word."""
    word = _fold(token)
    out: list[str] = []
    for i, part in enumerate(_NOSPACE.split(word)):
        if not part:
            continue
        if i % 2 == 1:  # a run of a script without spaces: character bigrams
            out.extend(part[j:j + 2] for j in range(max(1, len(part) - 1)))
            continue
        if part in _SYNONYMS:  # the English word, stemmed like every other
            word = _SYNONYMS[part]
            out.append(stem(word) if len(word) > 3 else word)
            continue
        if part in _STOP or len(part) == 1:
            continue
        if _latin(part) and len(part) > 3:
            part = stem(part)
            if part in _SYNONYMS:
                part = _SYNONYMS[part]
                part = stem(part) if len(part) > 3 else part
            if part in _STOP:
                continue
        out.append(part)
    return tuple(out)


# --- titles -> keys ---------------------------------------------------------------------------

def _marked(expr: pl.Expr) -> pl.Expr:
    """Names marked with a leading ~ (decided later: dropped unless a known word)."""
    return (
        expr.str.replace_all(_CUE_NAMES, "${1}~${2} ~${3} ~${4} ")
        .str.replace_all(_DASH_NAMES, "${1}~${2} ~${3} ~${4}")
        .str.replace_all(_FIRST, "~${1} ~${2}")
        .str.replace_all(_USERNAME, "${1}~${2}")
        .str.replace_all(_KNOWN_MARKED, "${1}")
    )


# A run of characters holding a digit, up to whitespace or bracket/colon/slash punctuation.
_DIGITS = r"[^\s,;:()\[\]{}<>\"|/]*\d[^\s,;:()\[\]{}<>\"|/]*"


# Above this many titles, `without_digits` runs on a part per core: Polars' string
# functions run on one thread and release the GIL, and each title's result is its own.
_PARALLEL_TITLES = 100_000


def without_digits(titles: pl.Series) -> pl.Series:
    """Titles without ids, numbers, dates, times and IPs (runs holding a digit): what makes
    nearly every raw title unique goes first, so the rest runs on far fewer distinct ones.
    A few product names with digits become words first (O365 -> office). No digit is
    left, so a second pass changes nothing: `title_groups` of the results groups them as
    it groups the titles themselves (what `problems` relies on).

    Many titles (a million distinct ones in a large history) are cut into one part per
    core, each part on its own thread, and put back together in order."""
    cores = min(os.cpu_count() or 1, 8)
    if len(titles) < _PARALLEL_TITLES or cores < 2:
        return _without_digits(titles)
    step = -(-len(titles) // cores)
    parts = [titles.slice(i, step) for i in range(0, len(titles), step)]
    with ThreadPoolExecutor(max_workers=len(parts)) as pool:
        return pl.concat(list(pool.map(_without_digits, parts)))


def _without_digits(titles: pl.Series) -> pl.Series:
    """`without_digits` of one part."""
    out = titles.fill_null("")
    # The word-boundary patterns are slow on a million titles; only a title holding one
    # of their digit runs can match, found first by a fast literal search.
    hit = out.str.contains(_DIGIT_WORDS_HINT)
    if hit.any():
        chosen = out.filter(hit)
        for pattern, repl in _DIGIT_WORDS:
            chosen = chosen.str.replace_all(pattern, repl)
        out = out.scatter(hit.arg_true(), chosen)
    return out.str.replace_all(_DIGITS, " ")


def _stage1(titles: pl.Series) -> pl.Series:
    """NFKC; web and e-mail addresses, reply prefixes and [External] tags removed."""
    raw = titles
    wide = raw.str.contains(r"[^\x00-\x7F]")
    if wide.any():  # NFKC costs; ASCII is already in NFKC
        raw = raw.scatter(wide.arg_true(), raw.filter(wide).str.normalize("NFKC"))
    out = (raw.str.replace_all("~", " ")
           .str.replace_all(_URL, " ").str.replace_all(_EMAIL, " ")
           .str.replace_all(_PREFIX, "").str.replace_all(_TAG_ANYWHERE, " "))
    return out.str.replace_all(r"\s+", " ").str.strip_chars()


def _cleaned(base: pl.Series) -> pl.DataFrame:
    """Per distinct stage-1 title: `display` (for labels) and `text` (lower case, split)."""
    frame = pl.DataFrame({"base": base}).with_columns(marked=_marked(pl.col("base")))
    text = pl.col("marked").str.to_lowercase()
    for pattern, repl in _PHRASES:
        text = text.str.replace_all("(?i)" + pattern, repl)
    display = (
        pl.col("marked").str.replace_all(r"(?:^|\s)~\S*", " ")
        .str.replace_all(r"\s+", " ").str.strip_chars(" -–—:;,.#@/|()[]")
        .str.replace_all(r"(?i)\s+(?:for|from|by|user|ref|-|–|:)$", "")
        .str.strip_chars(" -–—:;,.#@/|()[]")
    )
    return frame.with_columns(text=text.str.replace_all(_SPLIT_SOFT, " "),
                              display=display).select("base", "display", "text")


def _words(cleaned: pl.DataFrame, tickets: pl.Series) -> pl.DataFrame:
    """One row per (title index, word), with the title's ticket count; names and typos decided."""
    tokens = (
        cleaned.select(pl.int_range(pl.len()).alias("i"), pl.col("text").str.split(" ")
                       .alias("token"))
        .with_columns(n=tickets)
        .explode("token")
        .filter(pl.col("token").str.len_chars() > 0, ~pl.col("token").str.contains(r"\d"))
        .with_columns(pl.col("token").str.replace_all(_NOT_LETTER, " ").str.split(" "))
        .explode("token")
        .filter(pl.col("token").str.len_chars() > 0)
    )
    distinct = tokens.select(pl.col("token").unique().sort())["token"].to_list()
    surface = [_fold(t.lstrip("~")) for t in distinct]
    words = [canonical_words(s) for s in surface]
    typos = _typo_map(tokens, distinct, surface, words)
    words = [typos.get(s, w) for s, w in zip(surface, words, strict=True)]
    lookup = pl.DataFrame({
        "token": distinct,
        "word": pl.Series(words, dtype=pl.List(pl.String)),
    }).with_columns(name=pl.col("token").str.starts_with("~"))
    out = tokens.join(lookup, on="token", how="left").explode("word").drop_nulls("word")
    # A marked name word stays when it is a known word, or when more titles (and 2 or more)
    # use it unmarked than marked: "for Outlook" keeps Outlook, "for Anna Kowalski" drops both.
    uses = out.group_by("word").agg(
        plain=pl.col("i").filter(~pl.col("name")).n_unique(),
        marked=pl.col("i").filter(pl.col("name")).n_unique())
    common = uses.filter(pl.col("plain") >= 2, pl.col("plain") > pl.col("marked"))[
        "word"].to_list()
    out = out.filter(
        ~pl.col("name") | pl.col("word").is_in(sorted(_known_words())) | pl.col("word").is_in(common)
    )
    return out.select("i", "word", "n").unique(maintain_order=True)


@lru_cache(maxsize=1)
def _known_words() -> frozenset[str]:
    return frozenset(w for k in _KNOWN for w in canonical_words(k))


def _typo_map(tokens: pl.DataFrame, distinct: list[str], surface: list[str],
              words: list[tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Rare spelling -> the word of a frequent spelling one typo away (docstring, step 3).

    Spellings are compared as typed (folded), so "crashign" finds "crashing"; frequency is
    that of the words they stand for, so crash/crashes/crashing count together.
    """
    word_of = dict(zip(distinct, words, strict=True))
    uses = tokens.unique(["i", "token"]).group_by("token").agg(pl.col("n").sum())
    per_word: Counter[str] = Counter()
    per_surface: Counter[str] = Counter()
    fold_of = dict(zip(distinct, surface, strict=True))
    for token, n in uses.iter_rows():
        per_surface[fold_of[token]] += n
        for w in word_of[token]:
            per_word[w] += n
    single = {s: w[0] for s, w in zip(surface, words, strict=True)
              if len(w) == 1 and _latin(s) and len(s) >= 4}
    # A stop word stands for itself ("" + spelling), so "canont" can become "cannot" (dropped).
    for s, stands_for in zip(surface, words, strict=True):
        if not stands_for and _latin(s) and len(s) >= 4:
            single[s] = "\x00" + s
            per_word["\x00" + s] = per_surface[s]
    buckets: dict[tuple[str, int], list[str]] = defaultdict(list)
    for s in sorted(single):
        buckets[(s[0], len(s))].append(s)
    out: dict[str, tuple[str, ...]] = {}
    for s, w in sorted(single.items()):
        if len(s) < 4:
            continue
        need = max(2, 2 * per_word[w])
        # Two spellings equally used (licence/license) meet at the A-Z first, from 6 letters.
        pool = [u for d in range(-2, 3) for u in buckets.get((s[0], len(s) + d), ())
                if single[u] != w and (per_word[single[u]] >= need or (
                    len(s) >= 6 and per_word[single[u]] == per_word[w]
                    and single[u] < w and not single[u].startswith("\x00")))]
        if not pool:
            continue
        limit = 1 if len(s) < 8 else 2
        hits = process.extract(s, pool, scorer=OSA.distance, score_cutoff=limit, limit=None)
        if hits:
            best = min(hits, key=lambda h: (-per_word[single[h[0]]], h[1], h[0]))
            word = single[best[0]]
            out[s] = () if word.startswith("\x00") else (word,)
    return out


def _close(w: str, u: str) -> bool:
    """Two words one typo apart (two from 8 letters): 'lgin'/'login', 'acount'/'account'."""
    shorter = min(len(w), len(u))
    if shorter < 4 or abs(len(w) - len(u)) > 2 or not (_latin(w) and _latin(u)):
        return False
    if shorter == 4 and w[0] != u[0]:
        return False
    return bool(OSA.distance(w, u) <= (1 if shorter < 8 else 2))


def _shared(a: frozenset[str], b: frozenset[str]) -> int:
    """Words of `a` found in `b`: the same word, else (each once) a word one typo apart."""
    exact = a & b
    rest = sorted(b - exact)
    found = len(exact)
    for w in sorted(a - exact):
        for u in rest:
            if _close(w, u):
                rest.remove(u)
                found += 1
                break
    return found


def _match(a: frozenset[str], b: frozenset[str]) -> float | None:
    """Jaccard similarity of two keys when they match (module docstring, step 4), else None."""
    common = _shared(a, b)
    jaccard = common / (len(a) + len(b) - common)
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    contained = len(small) >= 2 and common == len(small) and len(large) - len(small) <= 1
    return jaccard if jaccard >= JACCARD or contained else None


def _strong(key: frozenset[str], used: Counter[str]) -> frozenset[str]:
    """The key without one word no other ticket uses (a stray name, an odd word), when 2
    or more words are left; else the key."""
    strong = frozenset(w for w in key if used[w] >= 2)
    return strong if len(strong) >= 2 and len(key) - len(strong) <= 1 else key


def _maybe_typo(weak: frozenset[str], candidates: list[int],
                keys: Sequence[frozenset[str]], strong: frozenset[str]) -> bool:
    """True when a word about to be ignored is within two edits of a word of some candidate
    leader: it may be a mistyped distinguishing word ('lgon' for login), so it must count."""
    extras = {u for c in candidates for u in keys[c] - strong}
    return any(abs(len(w) - len(u)) <= 2 and OSA.distance(w, u) <= 2
               for w in weak for u in extras)


def group_keys(keys: Sequence[frozenset[str]], tickets: Sequence[int]) -> list[int]:
    """The group of each distinct key (an index into `keys` of its leader); -1 for empty keys.

    A key is compared with the leaders sharing two of its words, as it is and, when one
    of its words is used by no other ticket and is not within two edits of a word of those
    leaders, without that word (a slightly worse score, so a leader matching the whole key
    wins). 'printer need toner' joins 'printer low toner'; 'sage lgon fail' joins neither
    'sage login fail' nor 'sage update fail'.
    """
    order = sorted(range(len(keys)),
                   key=lambda i: (-tickets[i], len(keys[i]), sorted(keys[i])))
    used: Counter[str] = Counter()
    for key, n in zip(keys, tickets, strict=True):
        for w in key:
            used[w] += n
    position = {i: p for p, i in enumerate(order)}  # earlier leaders win ties
    leader_of = [-1] * len(keys)
    index: dict[tuple[str, str], list[int]] = defaultdict(list)  # word pair -> leaders
    singles: dict[str, int] = {}
    for i in order:
        key = keys[i]
        if not key:
            continue
        if len(key) == 1:  # a one-word key matches only the same word
            word = next(iter(key))
            leader_of[i] = singles.setdefault(word, i)
            continue
        strong = _strong(key, used)
        pairs = list(combinations(sorted(key), 2))
        candidates = sorted({c for p in pairs for c in index.get(p, ())}, key=position.__getitem__)
        if strong != key and _maybe_typo(key - strong, candidates, keys, strong):
            strong = key
        best, best_score = -1, -1.0
        for c in candidates:
            score = _match(key, keys[c])
            if score is None and strong != key:
                weaker = _match(strong, keys[c])
                score = None if weaker is None else weaker - 0.01
            if score is not None and score > best_score:
                best, best_score = c, score
        if best >= 0:
            leader_of[i] = best
            continue
        leader_of[i] = i
        for p in pairs:
            index[p].append(i)
    return leader_of


def title_groups(titles: pl.Series, tickets: pl.Series | None = None) -> pl.DataFrame:
    """Per distinct title, in the order given: its key (words, space-separated), group id
    (or null) and display.

    `tickets` is the number of tickets with each title (1 each when not given).
    """
    titles = titles.cast(pl.String)
    counts = tickets if tickets is not None else pl.Series([1] * len(titles))
    counts = counts.cast(pl.Int64).alias("n")
    raw = pl.DataFrame({"title": titles, "plain": without_digits(titles), "tickets": counts})
    plain = raw.group_by("plain").agg(pl.col("tickets").sum())
    plain = plain.with_columns(base=_stage1(plain["plain"]))
    bases = plain.group_by("base").agg(pl.col("tickets").sum()).sort("base")
    cleaned = _cleaned(bases["base"])
    words = _words(cleaned, bases["tickets"])
    per_title = words.group_by("i").agg(pl.col("word").unique().sort())
    keys_by_i = dict(zip(per_title["i"], per_title["word"], strict=True))
    key_text = [" ".join(keys_by_i.get(i, [])) for i in range(bases.height)]
    key_frame = pl.DataFrame({"key": key_text, "n": bases["tickets"]}).group_by("key").agg(
        pl.col("n").sum()).sort("key")
    distinct = [frozenset(k.split()) for k in key_frame["key"]]
    leaders = group_keys(distinct, key_frame["n"].to_list())
    group_of_key = {
        k: (key_frame["key"][leader] if leader >= 0 else None)
        for k, leader in zip(key_frame["key"], leaders, strict=True)
    }
    per_base = pl.DataFrame({
        "base": bases["base"], "display": cleaned["display"], "key": key_text,
        "group": pl.Series([group_of_key[k] for k in key_text], dtype=pl.String),
    })
    return (raw.join(plain.select("plain", "base"), on="plain", how="left",
                     maintain_order="left")
            .join(per_base, on="base", how="left", maintain_order="left")
            .select("title", "display", "key", "group", "tickets"))


def title_keys(titles: Iterable[str]) -> list[str]:
    """The key (sorted words) of each title, normalised together as one corpus."""
    frame = title_groups(pl.Series(list(titles), dtype=pl.String))
    return frame["key"].to_list()
