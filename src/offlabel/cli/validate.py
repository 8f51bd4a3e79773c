"""`offlabel validate FILE...`: check evidence files against the schema."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def validate(
        files: list[Path] = typer.Argument(..., help="Evidence YAML files to check."),
        with_bundled: bool = typer.Option(
            False, "--with-bundled", help="Also check ids against the bundled evidence."
        ),
    ) -> None:
        """Check evidence files; print one line per problem as file:line: study: field: problem."""
        from offlabel.evidence import build_base, bundled_files, check_file, check_text

        problems: list[str] = []
        parsed = []
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
        _, more = build_base(parsed)
        problems += more
        for p in problems:
            typer.echo(p)
        if problems:
            typer.echo(f"{len(problems)} problem(s) in {len(files)} file(s)", err=True)
            raise typer.Exit(1)
        typer.echo(f"ok: {len(files)} file(s) valid")
