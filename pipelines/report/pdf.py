"""Writing a report: HTML as is, or printed to PDF by the system Chromium (never a
downloaded browser), always atomically (the file appears complete or not at all)."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

from pipelines.errors import BreakevenError, SettingError

CHROMIUM_ENV = "BREAKEVEN_CHROMIUM"
PDF_TIMEOUT_SECONDS = 180


def write_report(path: str | Path, html_text: str) -> Path:
    """Write the report to `path` atomically: HTML as is, `.pdf` printed by Chromium.

    The file appears complete or not at all (temp file in the same folder, then rename).
    For a PDF, pass the HTML rendered with `layout="print"`.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".html", ".htm", ".pdf"):
        raise SettingError(f"report {path}: name it .html or .pdf (for example report.html)")
    if not path.parent.is_dir():
        raise SettingError(f"report {path}: folder {path.parent} does not exist; create it first")
    if suffix == ".pdf":
        pdf = html_to_pdf(html_text)
        _replace_atomically(path, pdf)
    else:
        _replace_atomically(path, html_text.encode("utf-8"))
    return path


def _replace_atomically(path: Path, content: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def find_chromium() -> str:
    """The system Chromium: `$BREAKEVEN_CHROMIUM`, else `chromium` (or its other names) on PATH."""
    explicit = os.environ.get(CHROMIUM_ENV)
    if explicit:
        found = shutil.which(explicit)
        if not found:
            raise SettingError(f"{CHROMIUM_ENV}={explicit!r} is not an executable browser")
        return found
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    raise SettingError(
        "a PDF report needs Chromium, which was not found on PATH: install it (Debian/Ubuntu:"
        f" sudo apt-get install chromium), set {CHROMIUM_ENV} to its path, or write the report"
        " as .html instead"
    )


def chromium_pdf_command(chromium: str, html_file: Path, pdf_file: Path,
                         profile_dir: Path) -> list[str]:
    """The headless Chromium command line that prints `html_file` to `pdf_file`, offline."""
    cmd = [
        chromium, "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-extensions", "--mute-audio",
        # The report needs no network; make sure nothing is even resolved.
        "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
        f"--user-data-dir={profile_dir}",
        "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw",
        # Virtual time lets the inline scripts (plotly.js drawing) finish before printing.
        "--virtual-time-budget=15000",
        f"--print-to-pdf={pdf_file}",
        html_file.resolve().as_uri(),
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return cmd


def html_to_pdf(html_text: str, chromium: str | None = None,
                timeout: float = PDF_TIMEOUT_SECONDS) -> bytes:
    """Print an HTML page to PDF with the system Chromium (never a downloaded browser)."""
    browser = chromium or find_chromium()
    with tempfile.TemporaryDirectory(prefix="breakeven-pdf-") as tmp:
        page, pdf = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        page.write_text(html_text, encoding="utf-8")
        cmd = chromium_pdf_command(browser, page, pdf, Path(tmp) / "profile")
        # A private HOME: Chromium writes nothing outside the temp folder (cron, systemd).
        env = {**os.environ, "HOME": tmp, "XDG_CONFIG_HOME": f"{tmp}/config",
               "XDG_CACHE_HOME": f"{tmp}/cache"}
        try:
            done = subprocess.run(cmd, check=False, capture_output=True, text=True,
                                  timeout=timeout, stdin=subprocess.DEVNULL, env=env)
        except subprocess.TimeoutExpired as exc:
            raise BreakevenError(f"Chromium ({browser}) did not print the PDF within"
                                 f" {timeout:.0f} s") from exc
        if not pdf.exists() or pdf.stat().st_size == 0 or not pdf.read_bytes().startswith(b"%PDF"):
            tail = " ".join((done.stderr or "").strip().splitlines()[-3:])
            raise BreakevenError(f"Chromium ({browser}) did not write the PDF (exit code"
                                 f" {done.returncode}): {tail or 'no message'}")
        return pdf.read_bytes()
