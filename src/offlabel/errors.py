"""One exception tree for everything offlabel raises on purpose.

Every error a user can cause or meet derives from ``OfflabelError``, so a face (the CLI, the web
app) needs one ``except`` to turn any of them into one line and an exit code, and a caller of the
library can tell our errors from bugs. ``str()`` of each is one line naming the problem (and the
file, record and field where there is one).

    OfflabelError
    ├── UsageError            a command line that cannot be used: an option value (exit 2)
    │   └── ProfileError      a patient profile that cannot be read
    ├── LabelsError           a design-labels file for `classify --eval` that cannot be read
    ├── NotCovered            the question is outside the evidence (exit 2)
    ├── EvidenceError         evidence files that do not validate; .problems lists each line
    ├── ReaderError           a record file (PubMed XML, MEDLINE, RIS, CSV...) that cannot be read
    ├── SourceError           a live source failed (unreachable, HTTP error, bad response)
    ├── MalformedResponse     a response without its documented shape (clients wrap it)
    ├── StoreError            a store that cannot be opened, read or written, or is not ours
    └── SynthesisError        numerics given impossible input (also a ValueError)
        └── ConvergenceError  an iterative estimator that did not converge

This module imports nothing, so every layer, the model included, may use it.
"""

from __future__ import annotations

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_COVERED",
    "ConvergenceError",
    "EvidenceError",
    "LabelsError",
    "MalformedResponse",
    "NotCovered",
    "OfflabelError",
    "ProfileError",
    "ReaderError",
    "SourceError",
    "StoreError",
    "SynthesisError",
    "UsageError",
    "exit_code",
]

# The documented exit codes (README, docs/architecture.md): 0 success, 1 an error,
# 2 the question is not covered or the command line is wrong (as Click reports its own usage
# errors), 130 interrupted (Ctrl-C), as shells report SIGINT.
EXIT_ERROR = 1
EXIT_NOT_COVERED = 2
EXIT_INTERRUPTED = 130


class OfflabelError(Exception):
    """The root: every error offlabel raises on purpose."""


class UsageError(OfflabelError):
    """A command line that cannot be used: an unknown format, an option that needs another."""


class ProfileError(UsageError, ValueError):
    """A patient profile (``--profile``) that cannot be read."""


class LabelsError(OfflabelError, ValueError):
    """A design-labels file given to ``classify --eval`` that cannot be read."""


class NotCovered(OfflabelError, LookupError):
    """The drug or the condition is not in the evidence base (or not recognised)."""


class EvidenceError(OfflabelError):
    """Evidence files that do not validate; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        first = self.problems[0] if self.problems else "invalid evidence"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(first + more)

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.problems,))


class ReaderError(OfflabelError):
    """A malformed or truncated input: ``file[:line]: record: message`` in one line."""

    def __init__(self, file: str, message: str, record: str | None = None,
                 line: int | None = None) -> None:
        self.file = file
        self.message = message
        self.record = record  # e.g. "record 12 (after PMID 12345)"
        self.line = line
        super().__init__(str(self))

    def __reduce__(self) -> tuple[object, ...]:  # picklable across worker processes
        return (type(self), (self.file, self.message, self.record, self.line))

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.record:
            where += f": {self.record}"
        return f"{where}: {self.message}"


class SourceError(OfflabelError):
    """A live source failed: unreachable, an HTTP error after retries, or a bad response.

    ``str()`` is one line naming the source, the reason and the URL."""

    def __init__(self, source: str, message: str, url: str | None = None) -> None:
        self.source = source
        self.message = message
        self.url = url
        where = f" ({url})" if url else ""
        super().__init__(f"{source}: {message}{where}")

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.source, self.message, self.url))


class MalformedResponse(OfflabelError):
    """A body that arrived but cannot be used (truncated, not JSON/XML, wrong shape).

    The live-source clients catch it and raise SourceError naming the source and URL."""


class StoreError(OfflabelError):
    """A store that cannot be opened, read or written, or a file that is not an offlabel store."""


class SynthesisError(OfflabelError, ValueError):
    """Numerics given impossible input (metafor's ``stop()``); also a ValueError."""


class ConvergenceError(SynthesisError):
    """An iterative estimator (REML, ML, EB, PM...) did not converge."""


def exit_code(error: BaseException) -> int:
    """The documented exit code for an error a face reports."""
    if isinstance(error, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(error, NotCovered | UsageError):
        return EXIT_NOT_COVERED
    return EXIT_ERROR
