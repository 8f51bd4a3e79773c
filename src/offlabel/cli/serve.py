"""`offlabel serve`: the reports in a browser, on this machine only by default."""

from __future__ import annotations

from pathlib import Path

import typer

from offlabel.cli.doors import doors

__all__ = ["serve"]


@doors
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to bind (default: this machine only)."),
    port: int = typer.Option(8017, help="Port."),
    evidence: list[Path] = typer.Option([], "--evidence", "-e"),
    store: Path | None = typer.Option(
        None, "--store", help="Also show the records `offlabel collect` stored in this file."),
) -> None:
    """Serve the HTML and JSON reports at http://HOST:PORT/ (not medical advice)."""
    import uvicorn

    from offlabel.pipeline import Offlabel
    from offlabel.web.app import create_app

    app = Offlabel(evidence=evidence, store=store)
    app.base()  # a broken evidence file is reported now, not on the first page
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"offlabel: serving on http://{shown}:{port}/ (Ctrl-C to stop; not medical advice)",
               err=True)
    uvicorn.run(create_app(app), host=host, port=port, log_level="warning")
