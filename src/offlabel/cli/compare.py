"""`offlabel compare CONDITION DRUG DRUG...`: the same appraisal for each drug, side by side."""

from __future__ import annotations

from pathlib import Path

import typer

from offlabel.cli.doors import doors, write_output

__all__ = ["compare"]


@doors
def compare(
    condition: str = typer.Argument(..., help="Condition, e.g. 'alcohol use disorder'."),
    drugs: list[str] = typer.Argument(..., help="Two or more drugs."),
    fmt: str = typer.Option("terminal", "--format", "-f", help="terminal, md or json."),
    out: Path | None = typer.Option(None, "--out", "-o"),
    evidence: list[Path] = typer.Option([], "--evidence", "-e"),
) -> None:
    """Compare drugs for one condition: verdict, certainty, pooled effect on a common
    outcome, approval status (not medical advice)."""
    from offlabel.pipeline import Offlabel
    from offlabel.report.formats import get_format, render_compare

    get_format(fmt, "compare")
    result = Offlabel(evidence=evidence).compare(condition, drugs)
    write_output(render_compare(result, fmt), out)
