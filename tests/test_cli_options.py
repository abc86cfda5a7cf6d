"""The options several commands share come from one helper each (pipelines/cli/options.py)."""

from __future__ import annotations

import argparse

import pytest

from pipelines.cli import COMMANDS, build_parser
from pipelines.cli.kinds import parse_additions
from pipelines.errors import SettingError


def _option_strings(command: str) -> list[str]:
    p = argparse.ArgumentParser()
    COMMANDS[command].add_options(p)
    return [s for a in p._actions for s in a.option_strings if s not in ("-h", "--help")]


@pytest.mark.parametrize("command", ["metrics", "problems"])
def test_commands_that_compute_figures_read_the_same_analysis_options(command: str) -> None:
    assert _option_strings(command)[:7] == ["--workspace", "-w", "--data-dir", "--from", "--to",
                                            "--client", "--scenario"]


def test_analysis_options_parse_to_filters_and_a_scenario_file() -> None:
    args = build_parser().parse_args(["problems", "-w", "acme", "--from", "2024-01",
                                      "--to", "2024-06", "--client", "Acme",
                                      "--scenario", "s.toml", "--json"])
    assert (args.workspace, args.month_from, args.month_to, args.client, args.scenario,
            args.json) == ("acme", "2024-01", "2024-06", "Acme", "s.toml", True)


def test_kinds_add_sorts_words_by_line_kind_and_refuses_an_unknown_one() -> None:
    assert parse_additions(["Parts=toner, drum", "contract=per seat", "parts=ssd"]) == {
        "parts": ["toner", "drum", "ssd"], "contract": ["per seat"]}
    with pytest.raises(SettingError) as err:
        parse_additions(["hardware=x"])
    assert str(err.value) == ("--add 'hardware=x': write it as KIND=word,word with KIND one of"
                              " labour, parts, contract, other, e.g. --add contract='per seat,m365'")
