"""`offlabel sources status`: the live sources' endpoints and keys, the cache, the store's runs."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from offlabel.cli.collect import STORE_OPTION
from offlabel.cli.doors import doors

__all__ = ["sources_app", "status"]

sources_app = typer.Typer(help="The live sources: endpoints, keys, cache and runs.")


@sources_app.command("status")
@doors
def status(store: Path | None = STORE_OPTION) -> None:
    """Show endpoints, API keys set, what is cached, and each question's last run."""
    from offlabel.sources.http import DEFAULT_ENDPOINTS, ENDPOINT_ENV, base_url, cache_path
    from offlabel.store import Store, default_path

    for name in DEFAULT_ENDPOINTS:
        url = base_url(name)
        tag = "" if url == DEFAULT_ENDPOINTS[name] else f"  (from {ENDPOINT_ENV[name]})"
        typer.echo(f"{name:10} {url}{tag}")
    typer.echo(
        f"NCBI_API_KEY {'set (10 requests/s)' if os.environ.get('NCBI_API_KEY') else 'not set (3 requests/s)'}; "
        f"NCBI_EMAIL {'set' if os.environ.get('NCBI_EMAIL') else 'not set'}"
    )
    typer.echo(_cache_summary(cache_path()))
    path = store or default_path()
    if not path.exists():
        typer.echo(f"store      {path} (not created yet)")
        return
    with Store(path, read_only=True) as s:
        counts = s.counts()
        typer.echo(
            f"store      {path}: {counts['records']} records, {counts['trials']} trials, "
            f"{counts['questions']} questions, {counts['runs']} runs"
        )
        for qid, drug, condition in s.questions():
            runs = s.runs(qid)
            last = runs[-1] if runs else None
            n = len(s.question_keys(qid))
            when = f"{(last.finished or last.started):%Y-%m-%d %H:%M} UTC" if last else "-"
            state = last.status if last else "never run"
            typer.echo(f"  {drug} / {condition}: {n} records; last run {when} ({state})")


def _cache_summary(path: Path) -> str:
    """The cache file, then one line per source: responses, how many still fresh, when fetched."""
    import sqlite3

    from offlabel.sources.http import cache_report

    if not path.exists():
        return f"cache      {path} (empty)"
    try:
        report = cache_report(path)
    except sqlite3.Error as exc:
        return f"cache      {path} (unreadable: {' '.join(str(exc).split())})"
    size = path.stat().st_size / 1e6
    total = sum(c.responses for c in report)
    lines = [f"cache      {path}: {total} responses, {size:.1f} MB"]
    for c in report:
        name = "other endpoints" if c.source == "other" else c.source
        span = ""
        if c.newest is not None and c.oldest is not None:
            fmt = "%Y-%m-%d %H:%M"
            span = f", fetched {c.oldest:{fmt}} to {c.newest:{fmt}} UTC"
            if c.oldest.strftime(fmt) == c.newest.strftime(fmt):
                span = f", fetched {c.newest:{fmt}} UTC"
        lines.append(f"  {name}: {c.responses} cached ({c.fresh} fresh){span}")
    return "\n".join(lines)


