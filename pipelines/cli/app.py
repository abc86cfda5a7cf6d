"""`breakeven serve` and `breakeven demo`: start the dashboard (optionally on the sample data).

Both run `python -m streamlit run <installed dashboard/app.py>` with the data directory in
`BREAKEVEN_DATA_DIR`, so the app and any `breakeven refresh` share the same workspaces.

Streamlit always runs headless, configured entirely by flags (it needs nothing in
`~/.streamlit` and writes nothing there): no first-run e-mail prompt, usage statistics off, bound to localhost.
A prospect's data never leaves the machine, and a fresh machine serves at once. The
browser is opened by us, and only with `--open` (a terminal-only server has no browser,
and Python's `webbrowser` would start a text browser in the terminal); the address is
always printed. SIGTERM, SIGINT (Ctrl+C) and SIGHUP are forwarded to the Streamlit child
and the command waits for it, so stopping the command stops the dashboard. (A SIGKILL
cannot be forwarded: it leaves Streamlit running, as it would any child.)
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import webbrowser
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from pipelines import workspace
from pipelines.errors import InputError, SettingError

DEMO_FOLDER = "breakeven-demo"
DEFAULT_PORT = 8501
PORT_ENV = "BREAKEVEN_PORT"  # the port when --port is not given (default 8501)


def app_path() -> Path:
    """The dashboard's main script, wherever the package is installed."""
    import dashboard

    return Path(dashboard.__file__).resolve().parent / "app.py"


def sample_data_dir() -> Path:
    """The repository's `sample_data/` folder (one subfolder per demo workspace)."""
    root = Path(__file__).resolve().parents[2] / "sample_data"
    if not root.is_dir():
        raise InputError(
            f"sample data not found at {root}; run breakeven demo from a checkout of the"
            " repository (pip install -e .), or load your own files with breakeven ingest"
        )
    return root


def load_demo(data_dir: Path, progress: Callable[[str], None] | None = None) -> list[str]:
    """Load every `sample_data/<workspace>/` folder into `data_dir`; idempotent.

    Files already loaded (same bytes) are skipped by the loader itself. Returns the
    workspace names.
    """
    from pipelines.ingest import ingest_file

    say = progress or (lambda msg: None)
    names = []
    for folder in sorted(p for p in sample_data_dir().iterdir() if p.is_dir()):
        name = workspace.check_name(folder.name)
        for f in sorted(folder.iterdir()):
            if f.suffix.lower() not in (".csv", ".xlsx") or f.name.startswith("."):
                continue
            s = ingest_file(f, name, data_dir)
            say(f"{name}: {f.name}: {s.status}"
                + (f", {s.rows_loaded:,} rows" if s.status != "unchanged" else ""))
        names.append(name)
    return names


def streamlit_command(port: int) -> list[str]:
    """The command line that starts the dashboard: headless, private, on localhost:`port`."""
    return [
        sys.executable, "-m", "streamlit", "run", str(app_path()),
        "--server.port", str(port),
        "--server.address", "localhost",
        "--server.headless", "true",  # no first-run prompt, no browser opened by Streamlit
        "--browser.gatherUsageStats", "false",  # no usage statistics sent anywhere
        "--server.fileWatcherType", "none",  # an installed app, not one being edited
        "--global.developmentMode", "false",
        # The sidebar resets its filters by assigning their state (see dashboard/sidebar.py).
        "--global.disableWidgetStateDuplicationWarning", "true",
        "--client.toolbarMode", "viewer",
    ]


def chosen_port(port: int | None) -> int:
    """`--port`, else `$BREAKEVEN_PORT`, else 8501; refused when not a port number."""
    if port is not None:
        return port
    text = os.environ.get(PORT_ENV, "").strip()
    if not text:
        return DEFAULT_PORT
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise SettingError(f"{PORT_ENV}={text!r}: give a port number between 1 and 65535,"
                           f" e.g. {PORT_ENV}=8501")
    return int(text)


def _check_port(port: int) -> None:
    if not 0 < port < 65536:
        raise SettingError(f"--port {port}: use a port number between 1 and 65535")
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            raise SettingError(f"port {port} is in use (another dashboard?); stop it or pass"
                               f" --port {port + 1}") from None


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> bool:
    """Wait until the dashboard at `url` answers its health check; False if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.2)
    return False


def run_app(data_dir: Path, port: int, open_browser: bool = False) -> int:
    """Run the dashboard in the foreground until it (or this command) stops; its exit code.

    A SIGTERM, SIGINT or SIGHUP to this process is passed on to Streamlit, which is then
    waited for (killed after 10 s), so nothing keeps serving after the command ends.
    """
    _check_port(port)
    data_dir = workspace.make_data_dir(data_dir)
    env = {**os.environ, workspace.DATA_DIR_ENV: str(data_dir.resolve()),
           "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    url = f"http://localhost:{port}"
    print(f"breakeven: dashboard on {url} (workspaces in {data_dir}); Ctrl+C stops it",
          file=sys.stderr, flush=True)
    proc = subprocess.Popen(streamlit_command(port), env=env)
    stopped_by: list[int] = []

    def forward(signum: int, frame: FrameType | None) -> None:
        stopped_by.append(signum)
        if proc.poll() is None:
            if len(stopped_by) > 1:  # asked twice: do not wait for a clean stop
                proc.kill()
            else:
                proc.send_signal(signal.SIGINT if signum == signal.SIGINT else signal.SIGTERM)

    handled = [signal.SIGTERM, signal.SIGINT] + (
        [signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    previous = {s: signal.signal(s, forward) for s in handled}
    try:
        if open_browser:
            threading.Thread(target=lambda: wait_healthy(url, proc) and webbrowser.open(url),
                             daemon=True).start()
        code = proc.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return 0 if stopped_by else code


def cmd_serve(args: argparse.Namespace) -> int:
    return run_app(workspace.resolve_data_dir(args.data_dir), chosen_port(args.port), args.open)


def cmd_demo(args: argparse.Namespace) -> int:
    port = chosen_port(args.port)
    if not args.load_only:
        _check_port(port)  # before loading, so a busy port fails at once
    data_dir = workspace.make_data_dir(
        args.data_dir if args.data_dir else workspace.default_data_dir() / DEMO_FOLDER)
    names = load_demo(data_dir, progress=lambda msg: print(msg, file=sys.stderr))
    print(f"breakeven: demo workspaces {', '.join(names)} in {data_dir}", file=sys.stderr)
    if args.load_only:
        return 0
    return run_app(data_dir, port, args.open)


def _browser_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--open", action="store_true",
                   help="also open the dashboard in your web browser once it is up")
    # Streamlit now always runs headless; the old flag is accepted so scripts keep working.
    p.add_argument("--headless", action="store_true", help=argparse.SUPPRESS)


def serve_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", metavar="DIR",
                   help="where workspaces live (env BREAKEVEN_DATA_DIR; default"
                        f" {workspace.default_data_dir()})")
    p.add_argument("--port", type=int, help=f"port (default ${PORT_ENV}, else 8501)")
    _browser_options(p)


def demo_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", metavar="DIR",
                   help="where to put the demo workspaces (default: a breakeven-demo folder"
                        " in the data directory)")
    p.add_argument("--port", type=int, help=f"port (default ${PORT_ENV}, else 8501)")
    _browser_options(p)
    p.add_argument("--load-only", action="store_true",
                   help="load the sample workspaces, do not start the dashboard")
