"""Factor levels in R's order, so that reference levels and coefficient names match metafor.

R's ``factor(x)`` takes its levels from ``order(unique(x))``, and for character data that order
is the collation of the locale, not code points: ``"<400"`` sorts before ``"10"`` and
``"400"``, ``"a"`` before ``"B"`` before ``"b"``... Python's ``sorted()`` disagrees on all
of these, so a moderator such as ``dose = ["<400", "400", ">=800"]`` got another reference
level, other coefficient names and other estimates than metafor.

Which collation: R uses ICU to compare strings whenever it was built with ICU and the locale
is not C/POSIX (``capabilities("ICU")``; Debian's, CRAN's macOS and Windows builds), with the
locale's ICU collator; for English that is the CLDR root collation. Only an R built without
ICU falls back to the C library's ``strcoll``, and glibc's en_US.UTF-8 ignores punctuation at
the first level, so there ``"<400"`` lands between ``"10"`` and ``"400"``. We follow the ICU
order, checked against R 4.2.2 with ICU under ``LC_ALL=en_US.UTF-8`` (and C.UTF-8, which
gives the same order): see tests/data/metafor/extra/R/collation.R and the pinned output in
tests/data/metafor/extra/collation_en_US.json.

:func:`collate_key` implements the CLDR root collation exactly for printable ASCII and the
whitespace controls, three levels as the Unicode Collation Algorithm compares them:

1. primary: the base characters, in CLDR's order ``\\t \\n \\v \\f \\r`` space, then
   punctuation ``_ - , ; : ! ? . ' " ( ) [ ] { } @ * / \\ & # % ` ^ + < = > | ~ $``, digits
   ``0-9``, letters ``a-z`` (a letter and its capital share a weight). No ASCII punctuation is
   ignored (CLDR's default "non-ignorable").
2. secondary: accents (none in ASCII; see below).
3. tertiary: case, lower before upper, compared left to right.

Other control characters are ignorable, as in CLDR. Beyond ASCII it is an approximation: a
character is decomposed (NFD), a base letter sorts with its ASCII letter and its combining
marks count at the secondary level (so ``"e" < "é" < "f"``); any other character sorts after
all ASCII characters, by code point.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

# CLDR root collation order of the non-letter ASCII characters with a primary weight
_ORDER = "\t\n\v\f\r _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789"
_PRIMARY: dict[str, int] = {c: i + 1 for i, c in enumerate(_ORDER)}
for _i, _c in enumerate("abcdefghijklmnopqrstuvwxyz"):
    _PRIMARY[_c] = _PRIMARY[_c.upper()] = len(_ORDER) + 1 + _i
_BEYOND = len(_PRIMARY) + 1  # primary weights of other characters start here (+ code point)

Key = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], str]


def collate_key(s: str) -> Key:
    """A sort key ordering strings as R's ``sort()`` does under en_US.UTF-8 (ICU/CLDR root):
    primary weights, then secondary (accents), then tertiary (case); the string itself breaks
    a tie between strings that differ only in ignorable characters."""
    primary: list[int] = []
    secondary: list[int] = []
    tertiary: list[int] = []
    for ch in unicodedata.normalize("NFD", s):
        p = _PRIMARY.get(ch)
        if p is not None:
            primary.append(p)
            secondary.append(0)
            tertiary.append(1 if ch.isupper() else 0)
            continue
        if unicodedata.combining(ch):
            if secondary:  # an accent on the previous base character
                secondary[-1] += ord(ch)
            continue
        if unicodedata.category(ch) == "Cc":
            continue  # control characters are ignorable
        primary.append(_BEYOND + ord(ch.lower()))
        secondary.append(0)
        tertiary.append(1 if ch.isupper() else 0)
    return tuple(primary), tuple(secondary), tuple(tertiary), s


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, (float, np.floating)) and np.isnan(v))


def r_levels(values: Iterable[Any]) -> list[Any]:
    """The levels ``factor(values)`` would have in R: the distinct non-missing values, numbers
    in numeric order (FALSE before TRUE), strings in R's collation order."""
    seen = {v for v in values if not _missing(v)}
    if all(isinstance(v, str) for v in seen):
        return sorted(seen, key=collate_key)
    if any(isinstance(v, str) for v in seen):
        # R's factor() of mixed input sees the numbers as text
        return sorted({level_label(v) for v in seen}, key=collate_key)
    return sorted(seen)


def level_label(v: Any) -> str:
    """A level as R's ``as.character()`` writes it (2 not 2.0, TRUE/FALSE)."""
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float, np.integer, np.floating)):
        f = float(v)
        return str(int(f)) if f.is_integer() and abs(f) < 1e15 else f"{f:.15g}"
    return str(v)


def dummies(name: str, values: Sequence[Any], drop_first: bool) -> list[tuple[str, np.ndarray]]:
    """Indicator columns of ``factor(values)`` as R's ``model.matrix`` names them
    (``name`` + level): the first level is the reference and gets no column when
    ``drop_first`` (a model with an intercept). Missing values give NaN rows."""
    vals = list(values)
    levels = r_levels(vals)
    mixed = any(isinstance(v, str) for v in levels) and not all(isinstance(v, str) for v in vals
                                                                 if not _missing(v))
    out = []
    for lev in levels[1:] if drop_first else levels:
        col = np.array([np.nan if _missing(v) else
                        float((level_label(v) if mixed else v) == lev) for v in vals])
        out.append((f"{name}{level_label(lev)}", col))
    return out
