"""What `offlabel validate` checks, for any face: the CLI reads files, the web app an upload.

One composition of the checks (schema and line-located problems, the source policy unless a
file is marked `example: true`, ids across files) so that a file gets the same problem lines
whichever face it was given to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from offlabel.evidence import build_base, bundled_files, check_text
from offlabel.model import EvidenceFile
from offlabel.source_policy import policy_problems

__all__ = ["Checked", "check_evidence", "unreadable"]


@dataclass
class Checked:
    """The problem lines, in the order a curator reads them, and the files that parsed."""

    problems: list[str] = field(default_factory=list)
    files: list[tuple[str, EvidenceFile]] = field(default_factory=list)


def unreadable(name: str, exc: Exception) -> str:
    """The problem line of a file that cannot be read or decoded."""
    return f"{name}:1: file: field (file): cannot read: {exc.__class__.__name__}: {exc}"


def check_evidence(texts: Sequence[tuple[str, str | Exception]], *, with_bundled: bool = False,
                   given_bundled: frozenset[str] = frozenset()) -> Checked:
    """Check evidence files given as (name, text) pairs; an Exception in place of the text is a
    file that could not be read. `with_bundled` also checks ids against the bundled files, except
    those named in `given_bundled` (file names), which are among `texts` and checked once."""
    out = Checked()
    if with_bundled:
        for name, bundled_text in bundled_files():
            if name.rsplit("/", 1)[-1] in given_bundled:
                continue
            ev, probs = check_text(bundled_text, name)
            out.problems += probs
            if ev:
                out.files.append((name, ev))
    for name, text in texts:
        if isinstance(text, Exception):
            out.problems.append(unreadable(name, text))
            continue
        ev, probs = check_text(text, name)
        out.problems += probs
        if ev:
            out.files.append((name, ev))
            # Sources a reviewer would reject (docs/evidence-schema.md, "Source policy"); a file
            # marked `example: true` is made up and cites nothing real.
            if not ev.example:
                out.problems += [f"{name}: {p}" for p in policy_problems(ev)]
    _, more = build_base(out.files)
    out.problems += more
    return out
