"""`breakeven export --parquet` and `breakeven metrics --parquet`: same JSON from either source."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import load_sample

from pipelines.cli import main


@pytest.mark.parametrize("name", ["acme", "prospect-northwind", "prospect-contoso"])
def test_metrics_from_parquet_equal_metrics_from_workspace(
    name: str, data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    load_sample(name, data_dir)
    out = tmp_path / "lake"
    assert main(["export", "-w", name, "--parquet", str(out)]) == 0
    capsys.readouterr()
    assert main(["metrics", "-w", name, "--json"]) == 0
    from_duckdb = capsys.readouterr().out
    assert main(["metrics", "-w", name, "--json", "--parquet", str(out)]) == 0
    assert capsys.readouterr().out == from_duckdb
    months = sorted(p.name for p in (out / "incidents" / f"workspace={name}").iterdir())
    assert months[0].startswith("month=20") and len(months) > 1


def test_export_replaces_the_workspace_part_and_keeps_others(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two workspaces share one layout; exporting one again leaves the other as it was."""
    load_sample("acme", data_dir)
    load_sample("prospect-northwind", data_dir)
    out = tmp_path / "lake"
    for name in ("acme", "prospect-northwind", "acme"):
        assert main(["export", "-w", name, "--parquet", str(out)]) == 0
    parts = sorted(p.name for p in (out / "incidents").iterdir())
    assert parts == ["workspace=acme", "workspace=prospect-northwind"]
    capsys.readouterr()
    assert main(["metrics", "-w", "prospect-northwind", "--json", "--parquet", str(out)]) == 0
    assert '"workspace": "prospect-northwind"' in capsys.readouterr().out


def test_metrics_parquet_without_that_workspace_is_one_clear_line(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["metrics", "-w", "nobody", "--parquet", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("breakeven: error: --parquet ") and "breakeven export" in err
    assert err.count("\n") == 1
