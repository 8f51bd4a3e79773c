"""`offlabel ask DRUG [CONDITION]`: the appraisal, from bundled and user evidence."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

FORMATS = ("terminal", "md", "json", "html")


def register(app: typer.Typer) -> None:
    @app.command()
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
            None, "--plots", help="Also write forest plots (SVG and PNG) of pooled outcomes here."),
        store: Path | None = typer.Option(
            None, "--store", help="Also appraise the records `offlabel collect` stored in this "
            "DuckDB file (classified automatically; curated evidence wins on duplicates)."),
        profile: list[str] = typer.Option(
            [], "--profile", "-p",
            help="Patient profile: key=value (repeatable) or a YAML file, e.g. liver_disease=yes, "
            "comorbid_psychiatric_disorder=yes, max_tolerated_dose_mg=30. Shows which trials "
            "apply; never advice."),
    ) -> None:
        """Appraise the evidence for DRUG in CONDITION (not medical advice)."""
        if fmt not in FORMATS:
            typer.echo(f"error: --format must be one of {', '.join(FORMATS)}, got {fmt!r}", err=True)
            raise typer.Exit(2)
        from offlabel.appraise import NotCovered, answer
        from offlabel.evidence import EvidenceError, load_evidence

        try:
            base = load_evidence(evidence, bundled=not no_bundled)
        except EvidenceError as exc:
            for p in exc.problems:
                typer.echo(p, err=True)
            raise typer.Exit(1) from None
        from offlabel.appraise.applicability import ProfileError, parse_profile

        unpublished: list[dict] = []
        if store is not None:
            if condition is None:
                typer.echo("error: --store needs a CONDITION", err=True)
                raise typer.Exit(2)
            try:
                unpublished = add_collected(base, store, drug, condition)
            except LookupError as exc:
                typer.echo(f"not covered: {exc}", err=True)
                raise typer.Exit(2) from None

        try:
            prof = parse_profile(profile)
        except ProfileError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        if prof and condition is None:
            typer.echo("error: --profile needs a CONDITION", err=True)
            raise typer.Exit(2)
        try:
            ans = answer(base, drug, condition, profile=prof, unpublished=unpublished)
        except NotCovered as exc:
            typer.echo(f"not covered: {exc}", err=True)
            raise typer.Exit(2) from None
        if store is not None:
            from offlabel.store import StoreError, record_verdict

            try:
                before = record_verdict(store, drug, condition, ans.conditions[0].verdict.label)
            except StoreError as exc:  # e.g. a collect is writing right now
                before = None
                typer.echo(f"note: verdict not recorded in the store: {exc}", err=True)
            if before is not None:
                ans.conditions[0].verdict.reasons.insert(
                    0, f"Living update: the verdict changed since the last collect "
                       f"(was {before.replace('_', ' ')}).")
        emit(ans, fmt, out)
        if plots is not None:
            from offlabel.report.plots import save_forest_plots

            for p in save_forest_plots(ans, plots):
                typer.echo(f"wrote {p}", err=True)


def add_collected(base, store: Path, drug: str, condition: str) -> list[dict]:  # noqa: ANN001
    """Put the store's studies for (drug, condition) into the evidence base; return the
    registered-but-unpublished trials."""
    from offlabel.classify.studies import merge_collected, study_from_record
    from offlabel.model import DrugProfile, Source
    from offlabel.store import (
        StoreError,
        load_drug_profile,
        load_question_records,
        registered_unpublished,
    )
    from offlabel.vocabulary import resolve_condition

    cond = resolve_condition(condition)
    cond_id = cond.id if cond else condition
    try:
        rows = load_question_records(store, drug, condition)
        unpublished = registered_unpublished(store, drug, condition)
    except StoreError as exc:
        raise LookupError(str(exc)) from None
    profile = base.find_drug(drug)
    if profile is None:
        profile = load_drug_profile(store, drug)  # the openFDA label collect stored
        if profile is not None:
            base.drugs[profile.id] = profile
    if profile is None:
        profile = DrugProfile(
            id=drug.strip().lower().replace(" ", "-"), name=drug.strip().capitalize(),
            sources=[Source(url="https://pubmed.ncbi.nlm.nih.gov/", where=f"records collected into {store}")])
        base.drugs[profile.id] = profile
    collected = [s for r, c in rows if (s := study_from_record(r, c, profile.id, cond_id))]
    base.studies.extend(merge_collected(base.studies_for(profile.id), collected))
    return unpublished


def emit(ans, fmt: str, out: Path | None) -> None:  # noqa: ANN001
    from offlabel.report.data import answer_dict

    d = answer_dict(ans)
    if fmt == "json":
        import json

        text = json.dumps(d, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "md":
        from offlabel.report.markdown import render

        text = render(d)
    elif fmt == "html":
        from offlabel.report.html import render as render_html
        from offlabel.report.plots import forest_plots_b64

        text = render_html(d, plots=forest_plots_b64(ans))
    else:
        from rich.console import Console

        from offlabel.report.terminal import render as render_term

        if out is None:
            render_term(d)
            return
        with out.open("w", encoding="utf-8") as fh:
            render_term(d, Console(file=fh, width=120, force_terminal=False))
        return
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}", err=True)
