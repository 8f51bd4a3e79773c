"""`offlabel map --drug DRUG | --condition COND --scan DIR`: what a scan of MEDLINE says was
studied, counted by design and direction; a map, not an appraisal."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import typer

from offlabel.cli.doors import doors, write_output

__all__ = ["map_command"]

_FORMATS = ("terminal", "json", "md", "html")


@doors
def map_command(
    drug: str | None = typer.Option(None, "--drug", "-d", help="Map the conditions studied "
                                    "with this drug (brand names of bundled drugs work too)."),
    condition: str | None = typer.Option(None, "--condition", "-c",
                                         help="Map the drugs studied in this condition."),
    scan: Path = typer.Option(..., "--scan", help="The folder `offlabel scan` wrote."),
    fmt: str = typer.Option("terminal", "--format", "-f", help="terminal, json, md or html."),
    plot: Path | None = typer.Option(None, "--plot", help="Also write the heat map to this PNG "
                                     "or SVG file."),
    limit: int = typer.Option(50, "--limit", min=1, help="Rows shown, most records first."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the map to FILE."),
) -> None:
    """Map what a MEDLINE scan holds for DRUG (conditions) or CONDITION (drugs): records by
    design and direction, randomised trials and participants, years, the largest trials and the
    reviews. Machine-classified, not appraised: no verdict.

    With both --drug and --condition, the map of that pair. Exit codes: 0 mapped, 1 an error,
    2 the name is not in the scan (with the nearest names) or a wrong command line.
    """
    from offlabel.errors import UsageError

    if fmt not in _FORMATS:
        raise UsageError(f"--format must be one of {', '.join(_FORMATS)}, got {fmt!r}")
    if not drug and not condition:
        raise UsageError("map needs --drug DRUG or --condition CONDITION (or both)")
    if plot is not None and plot.suffix.lower() not in (".png", ".svg"):
        raise UsageError(f"--plot {plot}: the file name must end in .png or .svg")
    from offlabel.pipeline import Offlabel

    app = Offlabel(scan=scan)
    m = app.evidence_map(drug, condition, limit=limit)
    from offlabel.pipeline.evidence_map import map_dict

    d = map_dict(m)
    if fmt == "terminal" and out is None and sys.stdout.isatty():
        width, color = shutil.get_terminal_size((80, 24)).columns, True
    else:
        width, color = (120 if out else 80), False
    from offlabel.report.formats import render_map

    write_output(render_map(d, fmt, width=width, color=color), out)
    if plot is not None:
        from offlabel.report.evidence_map import save_heatmap

        typer.echo(f"wrote {save_heatmap(d, plot)}", err=True)
