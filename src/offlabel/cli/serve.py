"""`offlabel serve`: the reports in a browser, on this machine only by default."""

from __future__ import annotations

import ipaddress
import threading
from pathlib import Path

import typer

from offlabel.cli.doors import doors

__all__ = ["is_loopback", "serve"]


@doors
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to bind (default: this machine only)."),
    port: int = typer.Option(8017, help="Port."),
    evidence: list[Path] = typer.Option([], "--evidence", "-e"),
    store: Path | None = typer.Option(
        None, "--store", help="Also show the records `offlabel collect` stored in this file."),
    scan: Path | None = typer.Option(
        None, "--scan", help="Also show evidence maps from this `offlabel scan` folder."),
) -> None:
    """Serve the web app at http://HOST:PORT/ (not medical advice)."""
    import uvicorn

    from offlabel.pipeline import Offlabel
    from offlabel.web.app import create_app

    app = Offlabel(evidence=evidence, store=store, scan=scan)
    web = create_app(app)  # a broken evidence file is reported now, not on the first page
    shown = f"[{host}]" if ":" in host else host
    if not is_loopback(host):
        typer.echo(f"warning: serving on {host} makes offlabel reachable from other machines",
                   err=True)
    typer.echo(f"offlabel: serving on http://{shown}:{port}/ (Ctrl-C to stop; not medical advice)",
               err=True)
    threading.Thread(target=web.state.warm_up, name="offlabel-warm-up", daemon=True).start()
    uvicorn.run(web, host=host, port=port, log_level="warning")


def is_loopback(host: str) -> bool:
    """Whether HOST is reachable from this machine only ("localhost", 127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False
