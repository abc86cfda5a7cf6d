"""`breakeven serve` and `breakeven demo`: start the dashboard (optionally on the sample data).

Both run `python -m streamlit run <installed dashboard/app.py>` with the data directory in
`BREAKEVEN_DATA_DIR`, so the app and any `breakeven refresh` share the same workspaces.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from pipelines import cli, workspace
from pipelines.errors import InputError, SettingError

DEMO_FOLDER = "breakeven-demo"
DEFAULT_PORT = 8501


def app_path() -> Path:
    """The dashboard's main script, wherever the package is installed."""
    import dashboard

    return Path(dashboard.__file__).resolve().parent / "app.py"


def sample_data_dir() -> Path:
    """The repository's `sample_data/` folder (one subfolder per demo workspace)."""
    root = Path(__file__).resolve().parent.parent / "sample_data"
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


def streamlit_command(port: int, headless: bool) -> list[str]:
    """The command line that starts the dashboard."""
    return [
        sys.executable, "-m", "streamlit", "run", str(app_path()),
        "--server.port", str(port),
        "--server.address", "localhost",
        "--server.headless", "true" if headless else "false",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "viewer",
    ]


def run_app(data_dir: Path, port: int, headless: bool) -> int:
    """Run the dashboard in the foreground until it stops; return its exit code."""
    if not 0 < port < 65536:
        raise SettingError(f"--port {port}: use a port number between 1 and 65535")
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, workspace.DATA_DIR_ENV: str(data_dir.resolve())}
    print(f"breakeven: dashboard on http://localhost:{port} (workspaces in {data_dir});"
          " Ctrl+C stops it", file=sys.stderr)
    try:
        return subprocess.call(streamlit_command(port, headless), env=env)
    except KeyboardInterrupt:
        return 0


def cmd_serve(args: argparse.Namespace) -> int:
    return run_app(workspace.resolve_data_dir(args.data_dir), args.port, args.headless)


def cmd_demo(args: argparse.Namespace) -> int:
    data_dir = (Path(args.data_dir) if args.data_dir
                else workspace.default_data_dir() / DEMO_FOLDER)
    names = load_demo(data_dir, progress=lambda msg: print(msg, file=sys.stderr))
    print(f"breakeven: demo workspaces {', '.join(names)} in {data_dir}", file=sys.stderr)
    if args.load_only:
        return 0
    return run_app(data_dir, args.port, args.headless)


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    p = add("serve", cmd_serve, "start the dashboard on this machine")
    p.add_argument("--data-dir", metavar="DIR",
                   help="where workspaces live (env BREAKEVEN_DATA_DIR; default"
                        f" {workspace.default_data_dir()})")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default 8501)")
    p.add_argument("--headless", action="store_true",
                   help="do not open a browser window (for servers)")

    p = add("demo", cmd_demo, "load the sample workspaces and start the dashboard on them")
    p.add_argument("--data-dir", metavar="DIR",
                   help="where to put the demo workspaces (default: a breakeven-demo folder"
                        " in the data directory)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default 8501)")
    p.add_argument("--headless", action="store_true", help="do not open a browser window")
    p.add_argument("--load-only", action="store_true",
                   help="load the sample workspaces, do not start the dashboard")


cli.EXTRA_COMMANDS.append(register)
