"""How a reader sees a study named: "First author year" (Addolorato 2007), never an internal id.

Evidence files key studies by ids made for machines (`gs39783-3lines2012`); a reader looks a
study up by its first author's surname and year, as reviews cite it. A study without an author
is named by a short title, then by its journal, so an id never reaches a page. The sentences the
appraisal writes name studies by `model.Study.label` ("Garbutt JC 2021", or the id when there is
no author); `relabeller` rewrites those names in the views so every section uses the same name
while the JSON keeps its wording.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["label_of", "legacy_label", "relabeller", "study_label", "surname"]

_INITIALS = re.compile(r"[A-Z][A-Z.\-]{0,3}")
_TITLE_CHARS = 36


def surname(first_author: str) -> str:
    """'Garbutt JC' -> 'Garbutt', 'de Beaurepaire R' -> 'de Beaurepaire'; an organisation
    ('ANSM') or a bare surname stays whole."""
    words = first_author.split()
    if len(words) > 1 and _INITIALS.fullmatch(words[-1]):
        words = words[:-1]
    return " ".join(words)


def _short_title(title: str) -> str:
    title = " ".join(title.split()).rstrip(".")
    if len(title) <= _TITLE_CHARS:
        return title
    cut = title[:_TITLE_CHARS].rsplit(" ", 1)[0].rstrip(",;:-")
    return cut + "…"


def study_label(first_author: str | None, year: int | None, title: str | None = None,
                journal: str | None = None) -> str:
    """The name a reader sees: surname and year, else a short title or the journal and year."""
    if first_author and first_author.strip():
        who = surname(first_author.strip())
    elif title and title.strip():
        who = _short_title(title)
    elif journal and journal.strip():
        who = journal.strip()
    else:
        who = "Unnamed study"
    return f"{who} {year}" if year else who


def label_of(s: Mapping[str, Any]) -> str:
    """A study dict's display label: its `label` key, or one made from its fields."""
    return str(s.get("label") or study_label(s.get("first_author"), s.get("year"), s.get("title"),
                                             s.get("journal")))


def legacy_label(s: Mapping[str, Any]) -> str:
    """The name `model.Study.label` gives the study, as the appraisal's sentences print it."""
    who = s.get("first_author") or s["id"]
    return f"{who} {s['year']}" if s.get("year") else str(who)


def relabeller(studies: Iterable[Mapping[str, Any]]) -> Callable[[str], str]:
    """A function that rewrites every study's legacy name (and bare id) in a sentence to its
    display label."""
    pairs: dict[str, str] = {}
    for s in studies:
        new = label_of(s)
        old = legacy_label(s)
        if old != new:
            pairs.setdefault(old, new)
        if not s.get("first_author"):
            pairs.setdefault(str(s["id"]), new)
    if not pairs:
        return lambda text: text
    # Longest first, so "id 2012" is replaced before the bare "id" inside it.
    pattern = re.compile(r"(?<![\w-])(" + "|".join(
        re.escape(k) for k in sorted(pairs, key=len, reverse=True)) + r")(?![\w-])")

    def relabel(text: str) -> str:
        return pattern.sub(lambda m: pairs[m.group(1)], text)

    return relabel
