"""`offlabel validate FILE...`: check evidence files against the schema."""

from __future__ import annotations

from pathlib import Path

import typer

# A file broken throughout (a bad export, a wrong indent) can have a problem per study: the
# first ones are what a curator fixes first, and the count still says how many there are.
MAX_SHOWN = 100


def register(app: typer.Typer) -> None:
    app.command()(validate)


def validate(
    files: list[Path] = typer.Argument(..., help="Evidence YAML files to check."),
    with_bundled: bool = typer.Option(
        False, "--with-bundled", help="Also check ids against the bundled evidence."
    ),
) -> None:
    """Check evidence files; print one line per problem as file:line: study: field: problem.

    At most the first 100 problems are listed, then one line '... N more problem(s) not shown'; the last line (on stderr) counts every problem.

    Exit status: 0 when every file is valid, 1 when any problem was found.
    """
    from offlabel.pipeline.validate import check_evidence

    texts: list[tuple[str, str | Exception]] = []
    for f in files:
        try:
            texts.append((str(f), f.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            texts.append((str(f), exc))
    # A bundled file named on the command line is checked once, as given.
    given = frozenset(f.name for f in files
                      if "offlabel/data/evidence" in f.resolve().as_posix())
    problems = check_evidence(texts, with_bundled=with_bundled, given_bundled=given).problems
    for p in problems[:MAX_SHOWN]:
        typer.echo(p)
    if len(problems) > MAX_SHOWN:
        typer.echo(f"... {len(problems) - MAX_SHOWN} more problem(s) not shown")
    if problems:
        typer.echo(f"{len(problems)} problem(s) in {len(files)} file(s)", err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: {len(files)} file(s) valid")
