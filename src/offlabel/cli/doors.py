"""Where the CLI meets the user's mistakes: one line, a documented exit code, no traceback.

Exit codes (README, docs/architecture.md): 0 done, 1 an error (a file, the store, a source,
the input), 2 not covered or a wrong command line, 130 interrupted. A closed pipe (`| head -1`) ends
the output quietly with 0. Files a command writes are written whole or not at all.
"""

from __future__ import annotations

import errno
import functools
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

import typer

from offlabel.errors import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EvidenceError,
    NotCovered,
    OfflabelError,
    exit_code,
)

__all__ = ["check_folder", "doors", "fail", "write_output"]

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str, code: int = EXIT_ERROR) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _quiet_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the interpreter's final flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def doors(command: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command: every error of ours, every OSError and Ctrl-C becomes one line on stderr
    and its exit code."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except typer.Exit:
            raise
        except EvidenceError as exc:
            for p in exc.problems:
                typer.echo(p, err=True)
            raise typer.Exit(EXIT_ERROR) from None
        except NotCovered as exc:
            raise fail(f"not covered: {exc}", exit_code(exc)) from None
        except OfflabelError as exc:
            raise fail(f"error: {exc}", exit_code(exc)) from None
        except BrokenPipeError:
            _quiet_stdout()
            raise typer.Exit(0) from None
        except KeyboardInterrupt:
            raise fail("interrupted", EXIT_INTERRUPTED) from None
        except OSError as exc:  # a file the user named: missing, a folder, a full disk
            where = f"{exc.filename}: " if exc.filename else ""
            raise fail(f"error: {where}{exc.strerror or exc}") from None

    return wrapper


def check_folder(path: Path, what: str) -> None:
    """A folder the command will write into: it may not exist yet, but must not be a file."""
    if path.exists() and not path.is_dir():
        raise OfflabelError(f"{path}: {what} must be a folder, and this is a file")


def write_output(text: str, out: Path | None) -> None:
    """stdout, or the file OUT written whole (a temporary file renamed into place)."""
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    if out.is_dir():
        raise OfflabelError(f"{out}: is a folder; give a file name for --out")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise OfflabelError(f"{out}: folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{out.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, out)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        reason = "no space left on device" if exc.errno == errno.ENOSPC else exc.strerror
        raise OfflabelError(f"{out}: cannot write: {reason}") from None
    typer.echo(f"wrote {out}", err=True)
