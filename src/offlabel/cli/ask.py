"""`offlabel ask DRUG [CONDITION]`: the appraisal, from bundled and user evidence."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import typer

from offlabel.cli.doors import check_folder, doors, write_output

__all__ = ["ask"]


@doors
def ask(
    drug: str = typer.Argument(..., help="Drug name, e.g. baclofen (brand names work too)."),
    condition: str | None = typer.Argument(
        None, help="Condition as you would type it, e.g. 'alcohol use disorder'. "
        "Omit for an overview of every condition covered."),
    fmt: str = typer.Option("terminal", "--format", "-f", help="terminal, md, json or html."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the report to FILE."),
    evidence: list[Path] = typer.Option(
        [], "--evidence", "-e", help="Extra evidence YAML file or folder (repeatable)."),
    no_bundled: bool = typer.Option(False, "--no-bundled", help="Ignore the bundled evidence."),
    plots: Path | None = typer.Option(
        None, "--plots", help="Also write forest plots (SVG and PNG) of pooled outcomes to this "
        "folder."),
    store: Path | None = typer.Option(
        None, "--store", help="Also appraise the records `offlabel collect` stored in this "
        "DuckDB file (classified automatically; curated evidence wins on duplicates)."),
    profile: list[str] = typer.Option(
        [], "--profile", "-p",
        help="Patient profile: key=value (repeatable) or a YAML file, e.g. liver_disease=yes, "
        "comorbid_psychiatric_disorder=yes, max_tolerated_dose_mg=30. Shows which trials "
        "apply; never advice."),
    scan: Path | None = typer.Option(
        None, "--scan", help="A folder `offlabel scan` wrote: a question the curated evidence "
        "does not cover gets the scan's evidence map of the pair (machine-classified, not "
        "appraised: no verdict) instead of exit 2."),
    brief: bool = typer.Option(
        False, "--brief", help="Print only the bottom line: verdict, certainty and its system, "
        "key estimates, approval conditions, main harm (terminal, md, html; json is always the "
        "whole report)."),
) -> None:
    """Appraise the evidence for DRUG in CONDITION (not medical advice).

    Exit codes: 0 answered (or, with --scan, mapped), 1 an error, 2 not covered, 130
    interrupted.
    """
    from offlabel.pipeline import Offlabel
    from offlabel.report.formats import get_format

    get_format(fmt)  # an unknown format is refused before any work
    if plots is not None:
        check_folder(plots, "--plots")
    app = Offlabel(evidence=evidence, bundled=not no_bundled, store=store, scan=scan)
    if fmt == "terminal" and out is None and sys.stdout.isatty():
        width, color = shutil.get_terminal_size((80, 24)).columns, True
    else:  # a pipe reads 80 columns, as rich gives it; a file 120
        width, color = (120 if out else 80), False
    if scan is None:
        text, notes = app.report(drug, condition, fmt, profile=_profile(profile), brief=brief,
                                 width=width, color=color)
        is_map = False
    else:
        text, notes, is_map = app.report_or_map(drug, condition, fmt, profile=_profile(profile),
                                                brief=brief, width=width, color=color)
    for note in notes:
        typer.echo(f"note: {note}", err=True)
    write_output(text, out)
    if plots is not None and not is_map:  # a map has no pooled outcome to plot
        from offlabel.report.plots import save_forest_plots

        result = app.ask(drug, condition, profile=_profile(profile), record=False)
        for p in save_forest_plots(result.answer, plots):
            typer.echo(f"wrote {p}", err=True)


def _profile(items: list[str]) -> dict[str, object]:
    if not items:  # the appraisal is loaded only when a profile needs it
        return {}
    from offlabel.appraise.applicability import parse_profile

    return parse_profile(items)
