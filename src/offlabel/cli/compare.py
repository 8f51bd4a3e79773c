"""`offlabel compare CONDITION DRUG DRUG...`: the same appraisal for each drug, side by side."""

from __future__ import annotations

import sys
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def compare(
        condition: str = typer.Argument(..., help="Condition, e.g. 'alcohol use disorder'."),
        drugs: list[str] = typer.Argument(..., help="Two or more drugs."),
        fmt: str = typer.Option("terminal", "--format", "-f", help="terminal, md or json."),
        out: Path | None = typer.Option(None, "--out", "-o"),
        evidence: list[Path] = typer.Option([], "--evidence", "-e"),
    ) -> None:
        """Compare drugs for one condition: verdict, certainty, pooled effect on a common
        outcome, approval status (not medical advice)."""
        from offlabel.appraise import NotCovered
        from offlabel.appraise.compare import compare_drugs
        from offlabel.evidence import EvidenceError, load_evidence

        if fmt not in ("terminal", "md", "json"):
            typer.echo(f"error: --format must be terminal, md or json, got {fmt!r}", err=True)
            raise typer.Exit(2)
        try:
            base = load_evidence(evidence)
        except EvidenceError as exc:
            for p in exc.problems:
                typer.echo(p, err=True)
            raise typer.Exit(1) from None
        try:
            result = compare_drugs(base, condition, drugs)
        except NotCovered as exc:
            typer.echo(f"not covered: {exc}", err=True)
            raise typer.Exit(2) from None
        if fmt == "json":
            import json

            text = json.dumps(result, indent=2, ensure_ascii=False) + "\n"
        elif fmt == "md":
            from offlabel.report.compare import render_markdown

            text = render_markdown(result)
        else:
            from rich.console import Console

            from offlabel.report.compare import render_terminal

            console = Console(file=out.open("w", encoding="utf-8"), width=140) if out else Console()
            render_terminal(result, console)
            return
        if out:
            out.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
