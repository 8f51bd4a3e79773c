"""`offlabel scan FILES...|DIR --out DIR`: MEDLINE files into a scan folder, with progress."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from offlabel.cli.doors import doors
from offlabel.errors import EXIT_INTERRUPTED, UsageError

if TYPE_CHECKING:
    from offlabel.pipeline.scan import FileResult, ScanResult

__all__ = ["scan"]


class _Bar:
    """The driver's events drawn as one rich progress bar: files, records, records/s, ETA.

    The bar advances by bytes of input read, so the ETA weighs a large file more than a small
    one; the files and records counts ride along as fields."""

    def __init__(self, progress: Any, errors: Any) -> None:
        self.p = progress
        self.errors = errors
        self.task: Any = None
        self.files = 0
        self.records = 0
        self.began = time.perf_counter()

    def start(self, files: int, skipped: int, todo_bytes: int) -> None:
        self.total_files = files
        self.files = skipped
        self.began = time.perf_counter()
        self.task = self.p.add_task("scan", total=todo_bytes or None, **self._fields())

    def finished(self, result: FileResult) -> None:
        self.files += 1
        self.records += result.records
        if result.problem:
            # the one line a damaged input gets (file, record, what), bar or no bar
            self.errors.print(f"partial: {result.problem}", markup=False, highlight=False,
                                 soft_wrap=True)
        self.p.update(self.task, advance=result.size, **self._fields())

    def _fields(self) -> dict[str, str]:
        elapsed = max(time.perf_counter() - self.began, 1e-9)
        return {
            "files": f"{self.files}/{self.total_files} files",
            "records": f"{self.records:,} records",
            "rate": f"{self.records / elapsed:,.0f} rec/s" if self.records else "- rec/s",
        }


@doors
def scan(
    inputs: list[Path] = typer.Argument(
        ..., help="MEDLINE baseline/update files (.xml, .xml.gz) or folders of them (searched with their subfolders)."),
    out: Path = typer.Option(..., "--out", help="The scan folder (shards/, manifest.json)."),
    workers: int | None = typer.Option(
        None, "--workers", min=1, help="Worker processes of the local cluster (default: cores)."),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Use this Dask cluster (tcp://HOST:PORT) instead of a local "
        "one; its workers must see the input and --out paths."),
    mesh: Path | None = typer.Option(
        None, "--mesh", help="NLM's MeSH descriptor file (descYYYY.xml[.gz]): fills the tree "
        "numbers of each record's MeSH headings."),
) -> None:
    """Scan MEDLINE files into Parquet shards that `offlabel map` reads.

    One shard per input file; a rerun skips the files already done (by checksum) and retries
    partial ones. Exit codes: 0 done (1 if some input was partial), 2 a usage error,
    130 interrupted (what was written stays whole; run again to resume).
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from offlabel.pipeline.scan import scan as run_scan
    from offlabel.pipeline.scan import scan_inputs

    if workers is not None and scheduler:
        raise UsageError("--workers sizes the local cluster; with --scheduler the cluster's "
                         "own workers run the scan")
    console = Console()
    errors = Console(stderr=True)
    files = scan_inputs(inputs)
    if not files:
        raise typer.BadParameter("no .xml or .xml.gz files in the inputs", param_hint="INPUTS")
    try:
        with Progress(
            TextColumn("{task.fields[files]}"),
            BarColumn(),
            TextColumn("{task.fields[records]}"),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=errors,
            disable=not errors.is_terminal and not os.environ.get("OFFLABEL_PROGRESS"),
        ) as p:
            bar = _Bar(p, errors)
            result = run_scan(files, out, workers=workers, scheduler=scheduler, mesh=mesh,
                              sink=bar)
    except KeyboardInterrupt:
        typer.echo("interrupted: finished shards are kept; run again to resume", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    _summary(result, console)
    if result.partial:
        raise typer.Exit(1)


def _summary(result: ScanResult, console: Any) -> None:
    rate = result.records / result.seconds if result.seconds else 0.0
    console.print(
        f"{result.files} file(s): {len(result.processed)} scanned, {result.skipped} already done"
        f", {len(result.partial)} partial; {result.records:,} records in {result.seconds:.1f} s"
        f" ({rate:,.0f}/s) -> {result.out}",
        markup=False, highlight=False, soft_wrap=True,
    )
