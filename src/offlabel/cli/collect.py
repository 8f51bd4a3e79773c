"""`offlabel collect DRUG CONDITION`: gather a question's evidence into the store, with progress."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import typer

from offlabel.cli.doors import doors
from offlabel.errors import EXIT_ERROR, EXIT_INTERRUPTED

if TYPE_CHECKING:
    from offlabel.pipeline.collect import CollectResult

__all__ = ["collect", "print_summary"]

STORE_OPTION = typer.Option(
    None, "--store", help="DuckDB evidence store (default: in the user data directory).")


class _RichProgress:
    def __init__(self, progress: Any, sources: tuple[str, ...]) -> None:
        from offlabel.pipeline.collect import SOURCE_LABEL

        self.label = SOURCE_LABEL
        self.p = progress
        self.tasks = {s: progress.add_task(self.label[s], total=None) for s in sources}

    def total(self, source: str, total: int | None) -> None:
        self.p.update(self.tasks[source], total=total)

    def advance(self, source: str, n: int) -> None:
        self.p.advance(self.tasks[source], n)

    def done(self, source: str, note: str) -> None:
        task = self.tasks[source]
        t = self.p.tasks[task]
        self.p.update(
            task,
            total=t.total if t.total is not None else t.completed,
            description=f"{self.label[source]} [dim]({note})[/dim]",
        )


def print_summary(result: CollectResult, console: Any, errors: Any | None = None) -> None:
    from rich.markup import escape
    from rich.table import Table

    from offlabel.pipeline.collect import SOURCE_LABEL

    table = Table(title=f"{result.drug} for {result.condition}: run #{result.run_id}")
    for col in ("source", "found", "fetched", "new to store", "new to question", "requests"):
        if col == "source":
            table.add_column(col, no_wrap=True, min_width=18)
        else:
            table.add_column(col, justify="right")
    for name, o in result.outcomes.items():
        table.add_row(
            SOURCE_LABEL[name],
            "-" if o.found is None else str(o.found),
            str(o.fetched),
            str(o.new),
            str(o.linked),
            str(o.requests),
        )
    console.print(table)
    for o in result.outcomes.values():
        if o.error:
            (errors or console).print(f"[red]error[/red] {escape(o.error)}", markup=True,
                                      highlight=False, soft_wrap=True)
    console.print(
        f"PubMed query: {result.queries.pubmed}", highlight=False, markup=False, soft_wrap=True
    )
    console.print(
        f"Europe PMC query: {result.queries.europepmc}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    console.print(
        f"ClinicalTrials.gov: condition={result.queries.ctgov_condition!r} "
        f"intervention={result.queries.ctgov_intervention!r}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    if result.unpublished:
        console.print(
            f"{result.unpublished} completed registered trial(s) with no results posted and no "
            "linked publication (possible publication bias)."
        )
    prev = result.previous_run
    if prev is None:
        console.print(f"First collection for this question: {len(result.new_records)} records.")
    else:
        when = prev.finished or prev.started
        console.print(
            f"New since run #{prev.id} ({when:%Y-%m-%d %H:%M} UTC): "
            f"{len(result.new_records)} record(s)."
        )
        for r in result.new_records[:10]:
            ident = r.key.split(":", 1)[0].upper() + " " + r.key.split(":", 1)[1]
            console.print(f"  + {ident}: {r.title[:100]}", highlight=False, markup=False)
        if len(result.new_records) > 10:
            console.print(f"  ... and {len(result.new_records) - 10} more")
        changes = _design_changes(prev.designs, result.designs)
        if changes:
            console.print("Evidence base changed: " + "; ".join(changes))
        if prev.verdict:
            console.print(
                f"Verdict at run #{prev.id}: {prev.verdict} (rerun `offlabel ask` to "
                "see whether it changed)"
            )
    for note in result.notes:
        console.print(f"note: {note}", highlight=False, markup=False)


def _design_changes(before: dict[str, int], after: dict[str, int]) -> list[str]:
    out = []
    for design in sorted(set(before) | set(after)):
        a, b = before.get(design, 0), after.get(design, 0)
        if a != b:
            out.append(f"{design} {a} -> {b}")
    return out


def _interrupted() -> typer.Exit:
    typer.echo("interrupted: batches written so far are kept; run again to resume", err=True)
    return typer.Exit(EXIT_INTERRUPTED)


@doors
def collect(
    drug: str = typer.Argument(..., help="Drug name, e.g. baclofen."),
    condition: str = typer.Argument(..., help='Condition, e.g. "alcohol use disorder".'),
    store: Path | None = STORE_OPTION,
    offline: bool = typer.Option(False, "--offline", help="Use only the cache and store."),
    max_records: int | None = typer.Option(
        None, "--max", min=1, help="At most N records per source."
    ),
    refresh: bool = typer.Option(
        False, "--refresh", help="Ignore cached HTTP responses (still updates the cache)."
    ),
) -> None:
    """Gather a question's evidence from openFDA, PubMed, ClinicalTrials.gov, Europe PMC.

    Exit codes: 0 every source answered, 1 an error or a source failed, 130 interrupted.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from offlabel.pipeline import Offlabel
    from offlabel.pipeline.collect import SOURCES

    # The summary is the command's output; progress and errors go to stderr.
    console = Console()
    errors = Console(stderr=True)
    # DuckDB turns a Ctrl-C that lands inside a query into its own "interrupted" error,
    # so remember that SIGINT arrived and report it as Ctrl-C whatever was raised.
    sigint = {"seen": False}
    default_handler = signal.getsignal(signal.SIGINT)

    def _on_sigint(signum: int, frame: FrameType | None) -> None:
        sigint["seen"] = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, _on_sigint)
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=errors,
            transient=False,
            disable=not errors.is_terminal and not os.environ.get("OFFLABEL_PROGRESS"),
        ) as p:
            result = Offlabel(store=store).collect(
                drug, condition, offline=offline, refresh=refresh, max_records=max_records,
                progress=_RichProgress(p, SOURCES))
    except KeyboardInterrupt:
        raise _interrupted() from None
    except Exception:
        if sigint["seen"]:
            raise _interrupted() from None
        raise
    finally:
        signal.signal(signal.SIGINT, default_handler)
    print_summary(result, console, errors)
    if result.status != "complete":
        raise typer.Exit(EXIT_ERROR)
