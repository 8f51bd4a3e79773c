"""`offlabel classify`: classify record files, or score the classifier against labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from offlabel.cli.doors import doors

if TYPE_CHECKING:
    from offlabel.model import Classification, Record
    from offlabel.sources.readers import ReaderError


def register(app: typer.Typer) -> None:
    app.command()(classify)


@doors
def classify(
    paths: list[Path] = typer.Argument(
        ...,
        help="Record files (PubMed XML, MEDLINE/.nbib, RIS, CSV, ClinicalTrials.gov or "
        "Europe PMC JSON), or with --eval one directory of them.",
    ),
    eval_labels: Path | None = typer.Option(
        None,
        "--eval",
        help="labels.csv (pmid, derived_label): print a confusion matrix, "
        "per-label precision/recall/f1 and accuracy.",
    ),
    text_only: bool = typer.Option(
        False,
        "--text-only",
        help="Use title and abstract only (ignore publication types, MeSH and registry fields).",
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per record."),
) -> None:
    """Classify study designs (animal ... RCT, reviews) with the evidence for each field.

    Every good record of every file is classified, a damaged file included. Each bad record (and a file that is missing, a folder, or cannot be read) is one line on stderr, 'FILE[:LINE]: record N (after PMID X): problem'; a file with no records says 'FILE: 0 records' on stderr.

    Exit status: 0 when every record was read, 1 when any record or file could not be.
    """
    from offlabel.classify.design import classify as classify_record
    from offlabel.sources.readers import ReaderError, iter_records_in, read_records

    errors: list[ReaderError] = []
    if eval_labels is not None:
        from offlabel.classify.evaluate import format_report, read_labels, score
        from offlabel.errors import LabelsError

        if len(paths) != 1 or not paths[0].is_dir():
            _fail("--eval takes exactly one DIR of record files")
        try:
            labels = read_labels(eval_labels)
        except LabelsError as exc:
            _fail(str(exc))
        records = iter_records_in(paths[0], errors=errors, exclude=[eval_labels])
        scores = score(((r, classify_record(r, text_only=text_only)) for r in records), labels)
        typer.echo(
            f"mode: {'text only' if text_only else 'with metadata'}; "
            f"{scores.total} labelled records scored"
        )
        if scores.unlabelled:
            typer.echo(f"note: {scores.unlabelled} records in {paths[0]} have no label")
        if scores.missing:
            typer.echo(f"note: {len(scores.missing)} labelled PMIDs not found in {paths[0]}")
        _report_errors(errors)
        typer.echo(format_report(scores))
        return

    rows: list[tuple[Record, Classification]] = []
    for path in paths:
        if path.is_dir() or not path.exists():
            what = "is a folder; give record files (a folder only with --eval)"
            errors.append(ReaderError(str(path), what if path.is_dir() else "no such file"))
            _report_errors(errors[-1:])
            continue
        count = 0
        # each bad record is reported as it is met, beside the records read so far
        for rec in read_records(path, errors=errors, on_error=lambda e: _report_errors([e])):
            count += 1
            c = classify_record(rec, text_only=text_only)
            rows.append((rec, c))
            if as_json:
                typer.echo(
                    json.dumps(
                        {
                            "id": rec.key,
                            "title": rec.title,
                            "design": c.design.value,
                            "randomised": c.randomised,
                            "blinding": c.blinding.value,
                            "comparator": c.comparator.value,
                            "species": c.species,
                            "n": c.n,
                            "direction": c.direction.value,
                            "evidence": c.evidence,
                        }
                    )
                )
        if count == 0 and path.is_file():
            typer.echo(f"{path}: 0 records", err=True)
    if not as_json and rows:
        _table(rows)
    if errors:
        raise typer.Exit(1)


def _table(rows: list[tuple[Record, Classification]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=False)
    for col in (
        "record",
        "design",
        "rand.",
        "blinding",
        "comparator",
        "species",
        "n",
        "direction*",
        "decided by",
    ):
        table.add_column(col, overflow="fold")
    for rec, c in rows:
        rand = {True: "yes", False: "no", None: "?"}[c.randomised]
        table.add_row(
            rec.key,
            c.design.value,
            rand,
            c.blinding.value,
            c.comparator.value,
            c.species or "?",
            str(c.n) if c.n is not None else "?",
            c.direction.value,
            c.evidence.get("design", ""),
        )
    console = Console()
    console.print(table)
    console.print("* direction is a best-effort reading of the abstract's conclusion.")


def _report_errors(errors: list[ReaderError]) -> None:
    for err in errors:
        typer.echo(f"error: {err}", err=True)


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)
