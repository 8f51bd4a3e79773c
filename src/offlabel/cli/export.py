"""`offlabel export`: collected records for reference managers (RIS), spreadsheets or scripts."""

from __future__ import annotations

from pathlib import Path

import typer

from offlabel.cli.collect import STORE_OPTION
from offlabel.cli.doors import doors, write_output

__all__ = ["export"]


@doors
def export(
    drug: str | None = typer.Argument(None, help="Drug (omit to export every record)."),
    condition: str | None = typer.Argument(None, help="Condition."),
    fmt: str = typer.Option("ris", "--format", help="ris, csv or json."),
    store: Path | None = STORE_OPTION,
    output: Path | None = typer.Option(None, "--output", "-o", help="File (default stdout)."),
) -> None:
    """Export collected records for reference managers (RIS), spreadsheets or scripts."""
    from offlabel.pipeline import Offlabel

    write_output(Offlabel(store=store).export(drug, condition, fmt), output)
