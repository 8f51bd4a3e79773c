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
    from offlabel.evidence import build_base, bundled_files, check_file, check_text
    from offlabel.model import EvidenceFile
    from offlabel.source_policy import policy_problems

    problems: list[str] = []
    parsed: list[tuple[str, EvidenceFile]] = []
    if with_bundled:
        # A bundled file named on the command line is checked once, as given.
        given = {f.name for f in files if "offlabel/data/evidence" in f.resolve().as_posix()}
        for name, text in bundled_files():
            if name.rsplit("/", 1)[-1] in given:
                continue
            ev, probs = check_text(text, name)
            problems += probs
            if ev:
                parsed.append((name, ev))
    for f in files:
        ev, probs = check_file(f)
        problems += probs
        if ev:
            parsed.append((str(f), ev))
            # Sources a reviewer would reject (docs/evidence-schema.md, "Source policy"); a file
            # marked `example: true` is made up and cites nothing real.
            if not ev.example:
                problems += [f"{f}: {p}" for p in policy_problems(ev)]
    _, more = build_base(parsed)
    problems += more
    for p in problems[:MAX_SHOWN]:
        typer.echo(p)
    if len(problems) > MAX_SHOWN:
        typer.echo(f"... {len(problems) - MAX_SHOWN} more problem(s) not shown")
    if problems:
        typer.echo(f"{len(problems)} problem(s) in {len(files)} file(s)", err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: {len(files)} file(s) valid")
