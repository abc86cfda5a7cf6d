"""`breakeven delete`: remove a workspace with everything that belongs to it."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from pipelines import cli, workspace


def cmd_delete(args: argparse.Namespace) -> int:
    workspace.check_name(args.workspace)
    removed = workspace.delete_workspace(args.workspace, args.data_dir)
    print(f"deleted workspace {args.workspace}:")
    for item in removed:
        print(f"  removed {item}")
    return 0


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    p = add("delete", cmd_delete,
            "delete a workspace: its DuckDB file, its saved mappings and its uploaded files")
    cli._add_workspace(p)


cli.EXTRA_COMMANDS.append(register)
