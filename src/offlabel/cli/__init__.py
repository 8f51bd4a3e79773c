"""Command-line face: parse input, call the pipeline, pick a report format.

Each command is a module-level function in a sibling module (one concept per module); heavy
imports stay inside the functions so that `offlabel ask` starts fast. Every error of ours
becomes one line and a documented exit code (cli/doors.py).
"""

from __future__ import annotations

import typer

from offlabel import __version__
from offlabel.cli import ask, classify, collect, compare, export, scan, serve, sources, validate
from offlabel.cli import map as map_

__all__ = ["app", "main"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="offlabel appraises published evidence for drug uses. It is not medical advice.",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"offlabel {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """offlabel appraises published evidence for drug uses. It is not medical advice.

    Exit codes: 0 done, 1 an error, 2 not covered (or a usage error), 130 interrupted.
    """


app.command()(ask.ask)
app.command()(compare.compare)
validate.register(app)
classify.register(app)
app.command()(collect.collect)
app.command()(export.export)
app.add_typer(sources.sources_app, name="sources")
app.command()(serve.serve)
app.command("map")(map_.map_command)
app.command()(scan.scan)


def main() -> None:
    app()
