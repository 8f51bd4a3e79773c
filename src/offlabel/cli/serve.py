"""`offlabel serve`: the reports in a browser, on this machine only by default."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", help="Address to bind (default: this machine only)."),
        port: int = typer.Option(8017, help="Port."),
        evidence: list[Path] = typer.Option([], "--evidence", "-e"),
    ) -> None:
        """Serve the HTML and JSON reports at http://HOST:PORT/ (not medical advice)."""
        import uvicorn

        from offlabel.web.app import create_app

        uvicorn.run(create_app(evidence), host=host, port=port, log_level="warning")
