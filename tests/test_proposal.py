"""Offers side by side, the MSP's brand, the proposal (HTML and PDF) and the Portfolio page."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import zlib
from decimal import Decimal
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from pipelines import brand, cli, proposal, workspace
from pipelines.errors import SettingError
from pipelines.ingest import ingest_file
from pipelines.metrics.offers import DEFAULT_NAME, compare_offers
from pipelines.scenario import Scenario, apply_overrides, load_scenario, parse_assignments

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
OFFERS = ("offers=Essentials:per_user=10;Standard:per_user=50;"
          "Flat:flat_monthly=300,managed_reduction=0.5")


def png(width: int = 4, height: int = 2) -> bytes:
    """A tiny valid PNG (white pixels)."""
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    raw = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0,
                                                              0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.fixture
def short(data_dir: Path, tmp_path: Path) -> str:
    """Workspace 'short': 3 months of one 1,000.00 labour invoice each, client Fabrikam."""
    f = tmp_path / "inv.csv"
    f.write_text("Invoice Number,Invoice Date,Client,Description,Amount\n"
                 "INV-1,2024-01-15,Fabrikam,Labour call-out,1000.00\n"
                 "INV-2,2024-02-15,Fabrikam,Labour call-out,1000.00\n"
                 "INV-3,2024-03-15,Fabrikam,Labour call-out,1000.00\n", encoding="utf-8")
    ingest_file(f, "short", data_dir)
    return "short"


def test_offers_compared_by_hand(data_dir: Path, short: str) -> None:
    """Break-fix 3,000 over 3 months; 25 users.

    Essentials 25 x 10 = 250/month -> 750 (beats, saving 2,250); Standard 25 x 50 = 1,250 ->
    3,750 (does not beat); Flat 300/month -> 900 (beats). Cheapest that beats: Essentials.
    Break-even per user is the same for all three (other terms are per offer):
    Essentials 10 + (3,000 - 750) / 75 = 40; Flat 0 + (3,000 - 900) / 75 = 28.
    Cumulative crossover: Essentials' first month 1,000 > 250 -> 2024-01.
    """
    with workspace.connect(short, data_dir, read_only=True) as con:
        scenario = apply_overrides(load_scenario(con), parse_assignments([OFFERS]))
        frame = compare_offers(con, scenario)
    rows = {r["offer"]: r for r in frame.iter_rows(named=True)}
    assert list(rows) == ["Essentials", "Standard", "Flat"]
    assert [rows[n]["monthly_fee"] for n in rows] == [Decimal("250.00"), Decimal("1250.00"),
                                                      Decimal("300.00")]
    assert [rows[n]["managed_total"] for n in rows] == [Decimal("750.00"), Decimal("3750.00"),
                                                        Decimal("900.00")]
    assert [rows[n]["beats_breakfix"] for n in rows] == [True, False, True]
    assert [rows[n]["recommended"] for n in rows] == [True, False, False]
    assert rows["Essentials"]["saving"] == Decimal("2250.00")
    assert rows["Essentials"]["break_even_price_per_user"] == Decimal("40.00")
    assert rows["Flat"]["break_even_price_per_user"] == Decimal("28.00")
    assert rows["Essentials"]["cumulative_crossover"] == "2024-01"
    assert rows["Standard"]["cumulative_crossover"] is None
    assert rows["Flat"]["managed_reduction"] == 0.5


def test_no_offers_means_the_scenario_offer(data_dir: Path, short: str) -> None:
    with workspace.connect(short, data_dir, read_only=True) as con:
        frame = compare_offers(con, load_scenario(con))
    (row,) = frame.iter_rows(named=True)
    assert (row["offer"], row["monthly_fee"], row["beats_breakfix"]) == (
        DEFAULT_NAME, Decimal("3125.00"), False)


@pytest.mark.parametrize(("value", "message"), [
    ([{"name": "A", "per_usr": 1}],
     "unknown offer key 'offers[1].per_usr' (did you mean 'per_user'?)"),
    ([{"name": "A", "per_user": -1}], "scenario key 'offers[1].per_user' must be a number >= 0"),
    ([{"name": "A"}, {"name": "a"}], "scenario key 'offers[2].name': 'a' is named twice"),
    ([{"per_user": 5}], "scenario key 'offers[1].name' must be a name of 1 to 40 characters"),
    ([{"name": "A", "managed_reduction": 2}],
     "scenario key 'offers[1].managed_reduction' must be between 0 and 1"),
    ("A:per_user", "scenario key 'offers': 'per_user' in offer 'A' is not key=value"),
])
def test_offer_refusals_name_the_key(value: object, message: str) -> None:
    with pytest.raises(SettingError) as err:
        Scenario.from_dict({"offers": value})
    assert str(err.value).startswith(message)


def test_offers_in_a_scenario_file(tmp_path: Path) -> None:
    f = tmp_path / "offers.toml"
    f.write_text('[[offers]]\nname = "Essentials"\nper_user = 95\n\n'
                 '[[offers]]\nname = "Premium"\nper_user = 160\nper_device = 5\n',
                 encoding="utf-8")
    from pipelines.scenario import read_scenario_file

    s = Scenario.from_dict(read_scenario_file(f))
    assert [(o.name, o.per_user, o.per_device) for o in s.offers] == [
        ("Essentials", 95.0, 0.0), ("Premium", 160.0, 5.0)]
    assert Scenario.from_dict(s.to_dict()) == s  # stored and read back alike


def test_brand_is_set_once_per_data_directory(data_dir: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(png())
    assert cli.main(["brand", "--data-dir", str(data_dir), "--name", "Bluewave IT",
                     "--logo", str(logo), "--colour", "#05a", "--contact", "sales@bw.example"]) == 0
    b = brand.load_brand(data_dir)
    assert (b.name, b.colour, b.contact) == ("Bluewave IT", "#0055aa", "sales@bw.example")
    assert re.fullmatch(r"brand-logo-[0-9a-f]{12}\.png", b.logo)
    assert (data_dir / b.logo).read_bytes() == png()  # a copy: the original may go
    logo.unlink()
    uri = brand.logo_data_uri(b, data_dir)
    assert uri == "data:image/png;base64," + base64.b64encode(png()).decode()
    # Another call changes only what it names.
    assert cli.main(["brand", "--data-dir", str(data_dir), "--contact", "020 7946 0000"]) == 0
    assert brand.load_brand(data_dir).name == "Bluewave IT"


@pytest.mark.parametrize(("content", "message"), [
    (b"name,amount\n1,2\n", "not a PNG, JPEG or SVG image"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * (600 * 1024), "the logo is 600 KB; use one of at most 512 KB"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
     "the SVG logo holds scripts"),
    (b"", "the logo file is empty"),
])
def test_bad_logos_are_refused(data_dir: Path, tmp_path: Path, content: bytes,
                               message: str, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "logo.png"
    f.write_bytes(content)
    assert cli.main(["brand", "--data-dir", str(data_dir), "--logo", str(f)]) == 1
    assert message in capsys.readouterr().err
    assert not list(data_dir.glob("brand-logo-*"))


def test_bad_colour_is_refused(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["brand", "--data-dir", str(data_dir), "--colour", "blue"]) == 1
    assert "--colour 'blue': write a colour as #rrggbb" in capsys.readouterr().err


def test_proposal_html_carries_the_brand_offers_and_escapes(data_dir: Path, short: str,
                                                            tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(png())
    brand.set_brand(data_dir, name="Bluewave <IT>", logo=logo, colour_value="#0055aa",
                    contact="Sam Lee, sales@bw.example")
    assert cli.main(["scenario", "-w", short, "--data-dir", str(data_dir), "--set", OFFERS]) == 0
    out = tmp_path / "p.html"
    assert cli.main(["report", "--proposal", "-w", short, "--data-dir", str(data_dir),
                     "--out", str(out), "--prepared-for", "Fabrikam & Co"]) == 0
    html = out.read_text(encoding="utf-8")
    assert "Bluewave &lt;IT&gt;" in html and "Bluewave <IT>" not in html
    assert "Prepared for <strong>Fabrikam &amp; Co</strong>" in html
    assert 'src="data:image/png;base64,' in html
    assert "--brand: #0055aa" in html
    assert "We recommend <strong>Essentials</strong>" in html
    assert re.search(r'<tr class="best"><td>Essentials</td>', html)
    assert html.count('<figure class="chart"') == 2
    assert "Appendix: definitions" in html and "Appendix: the data behind it" in html
    assert "Caveat: " in html  # short_window and dominant_lines warn beside the verdict
    assert "http://" not in html.split("<script>")[0]  # nothing fetched: no external links


def test_prepared_for_defaults_to_the_only_client(data_dir: Path, short: str) -> None:
    with workspace.connect(short, data_dir, read_only=True) as con:
        p = proposal.collect(con, short, load_scenario(con), data_dir)
    assert p.prepared_for == "Fabrikam"
    assert p.recommended is None  # the default offer (3,125 a month) does not beat 1,000


@pytest.mark.browser  # Chromium
def test_proposal_pdf_pages(data_dir: Path, short: str, tmp_path: Path) -> None:
    """The PDF prints (system Chromium) and its pages turn into PNGs."""
    out = tmp_path / "p.pdf"
    assert cli.main(["report", "--proposal", "-w", short, "--data-dir", str(data_dir),
                     "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF")
    done = subprocess.run([shutil.which("pdftoppm") or "pdftoppm", "-png", "-r", "30", str(out),
                           str(tmp_path / "page")], check=True, capture_output=True)
    assert done.returncode == 0
    pages = sorted(tmp_path.glob("page-*.png"))
    assert 1 <= len(pages) <= 3


def test_portfolio_page_lists_prospects_and_makes_new_ones(data_dir: Path, short: str) -> None:
    st.cache_data.clear()
    # Named to sort after 'short': the sidebar opens the first workspace, and a damaged
    # current workspace stops every page (app.py shows its error instead).
    (data_dir / "zz-broken.duckdb").write_bytes(b"junk" * 100)
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page("views/portfolio.py").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["workspace"]) == ["short", "zz-broken"]
    assert list(table["status"]) == ["ok", "damaged"]
    offers = at.dataframe[1].value  # the current workspace's offers: the scenario's own
    assert list(offers["offer"]) == ["Managed offer"]
    assert list(offers["beats_breakfix"]) == [False]
    at.text_input(key="pf_new_name").set_value("prospect-new")
    at.button(key="pf_new").click().run()
    assert not at.exception, at.exception
    with workspace.connect("prospect-new", data_dir, read_only=True) as con:
        from pipelines import scrub

        assert scrub.enabled(con)


def test_portfolio_page_shows_when_the_current_workspace_is_damaged(data_dir: Path,
                                                                    short: str) -> None:
    """The sidebar opens the first workspace, here a damaged one: the other pages show its
    error, the Portfolio still lists every prospect."""
    st.cache_data.clear()
    (data_dir / "a-broken.duckdb").write_bytes(b"junk" * 100)
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert any("a-broken.duckdb is damaged" in e.value for e in at.error)
    at.switch_page("views/portfolio.py").run()
    assert not at.exception, at.exception
    assert list(at.dataframe[0].value["status"]) == ["damaged", "ok"]


def test_no_proposal_for_an_empty_prospect(data_dir: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["portfolio", "--new", "fresh", "--data-dir", str(data_dir)]) == 0
    assert cli.main(["report", "--proposal", "-w", "fresh", "--data-dir", str(data_dir),
                     "--out", str(tmp_path / "p.html")]) == 1
    assert ("workspace 'fresh' has no tickets or invoices yet, so there is no proposal to"
            " write") in capsys.readouterr().err
    assert not (tmp_path / "p.html").exists()
