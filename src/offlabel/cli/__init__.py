"""Command-line entry point. Sub-commands live in sibling modules with a register(app)."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="offlabel appraises published evidence for drug uses. It is not medical advice.",
)



@app.callback()
def _root() -> None:
    """offlabel appraises published evidence for drug uses. It is not medical advice."""


# Each module defines register(app); heavy imports stay inside the command functions so that
# `offlabel ask` starts fast.
_COMMAND_MODULES = ("ask", "validate", "classify", "collect", "compare", "serve")

for _name in _COMMAND_MODULES:
    try:
        _mod = importlib.import_module(f"offlabel.cli.{_name}")
    except ModuleNotFoundError as exc:  # a command not built yet
        if exc.name != f"offlabel.cli.{_name}":
            raise
        continue
    _mod.register(app)


def main() -> None:
    app()
