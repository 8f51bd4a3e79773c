"""Word-boundary phrase patterns that run at the speed of a literal search.

Python's re finds a pattern that starts with a literal ("case report") with a fast scan, but a
pattern that starts with `\\b` or with an alternation is tried at every character: about 20x
slower on an abstract. `fast()` splits a pattern into its top-level alternatives, distributes
a leading `\\b(?:a|b)` group over the rest, drops the leading `\\b` and checks that boundary
on each match instead. Matches are the same as the original pattern's (leftmost first).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Set
from re import _constants as _c  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

_B = "\\b"
# answers kept per Phrases for the first-word combinations met (a few hundred in practice)
_MERGED_MAX = 4096


def _split(pattern: str) -> list[str]:
    """Top-level alternatives of a pattern (outside groups and character classes)."""
    parts, cur, depth, in_class, escaped = [], [], 0, False, False
    for ch in pattern:
        if escaped:
            cur.append(ch)
            escaped = False
            continue
        if ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    return parts


def _close(pattern: str, open_at: int) -> int:
    depth, in_class, escaped = 0, False, False
    for i in range(open_at, len(pattern)):
        ch = pattern[i]
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
    raise ValueError(f"unbalanced pattern {pattern!r}")


def _expand(alt: str) -> list[str]:
    if alt.startswith(_B + "(?:"):
        end = _close(alt, 2)
        rest = alt[end + 1 :]
        inner = _split(alt[5:end])
        if all(len(a) > 0 for a in inner):
            if rest[:1] not in ("?", "*", "+", "{"):
                return [x for a in inner for x in _expand(_B + a + rest)]
            if rest[:1] == "?" and rest[1:2] not in ("?", "+"):
                # a greedy optional lead: each alternative first, then none (re's order; at
                # one start the earlier part wins, so matches stay the same)
                rest = rest[1:]
                return [x for a in [*inner, ""] for x in _expand(_B + a + rest)]
    return [alt]


class Phrases:
    """A compiled phrase pattern; `search`/`finditer` like re.Pattern (leftmost match first)."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.parts: list[tuple[re.Pattern[str], bool, frozenset[str] | None]] = []
        for alt in _split(pattern):
            for sub in _expand(alt):
                bounded = sub.startswith(_B)
                body = sub[2:] if bounded else sub
                self.parts.append(
                    (re.compile(body, flags), bounded, _first_words(body, bounded, flags))
                )
        # With `words`, only the parts that can match are scanned: those with one of their first
        # words (a part may have several spellings) among the text's tokens, and those whose
        # first word cannot be told.
        by_word: dict[str, list[int]] = {}
        free = []
        for i, (_, _, first) in enumerate(self.parts):
            if first is None:
                free.append(i)
            else:
                for word in first:
                    by_word.setdefault(word, []).append(i)
        self._by_word = {w: tuple(ix) for w, ix in by_word.items()}
        self._free = tuple(free)
        self._words = frozenset(by_word)
        self._all = tuple(range(len(self.parts)))
        self._merged: dict[frozenset[str], tuple[int, ...]] = {}

    def _candidates(self, words: Set[str] | None) -> tuple[int, ...]:
        """Indices of the parts that can match, in pattern order."""
        if words is None:
            return self._all
        # A record's word set is asked about again for each of its sentences: the last
        # answer is kept with the set it was for (one tuple, so threads never see a mix).
        last = self._last
        if last[0] is words:
            return last[1]
        found = self._find_candidates(words)
        self._last = (words, found)
        return found

    _last: tuple[Set[str] | None, tuple[int, ...]] = (None, ())

    def _find_candidates(self, words: Set[str]) -> tuple[int, ...]:
        present = self._words.intersection(words)
        if not present:
            return self._free
        if len(present) == 1 and not self._free:
            return self._by_word[next(iter(present))]
        # The same few first words turn up record after record: their answer is kept.
        found = self._merged.get(present)
        if found is None:
            idx = set(self._free)
            for w in present:
                idx.update(self._by_word[w])  # a part with several spellings is listed once
            found = tuple(sorted(idx))  # shared by later calls: immutable
            if len(self._merged) >= _MERGED_MAX:
                self._merged = {}
            self._merged[present] = found
        return found

    def could_match(self, words: Set[str]) -> bool:
        """False when no part can match a text whose tokens are (a subset of) `words`."""
        return bool(self._free) or not self._words.isdisjoint(words)

    @staticmethod
    def _ok(text: str, m: re.Match[str]) -> bool:
        i = m.start()
        if i == 0 or i >= len(text):
            return True
        before, first = text[i - 1], text[i]
        return (before.isalnum() or before == "_") != (first.isalnum() or first == "_")

    def search(
        self, text: str, pos: int = 0, endpos: int = sys.maxsize, *, words: Set[str] | None = None
    ) -> re.Match[str] | None:
        """Leftmost match. `words`, the set of `\\w+` tokens of the text (or of a text that
        contains it), lets parts whose first word is absent be skipped without a scan."""
        best = None
        parts = self.parts
        if words is None:
            candidates: tuple[int, ...] = self._all
        elif self._words.isdisjoint(words):  # the common case: only the free parts can run
            candidates = self._free
        else:
            candidates = self._candidates(words)
        for i in candidates:
            rx, bounded, _ = parts[i]
            # `_first`, inlined: this loop runs a few dozen times per record
            m = rx.search(text, pos, endpos)
            if m is None:
                continue
            while bounded and not self._ok(text, m):
                m = rx.search(text, m.start() + 1, endpos)
                if m is None:
                    break
            if m is not None and (best is None or m.start() < best.start()):
                best = m
        return best

    def finditer(self, text: str, *, words: Set[str] | None = None) -> Iterator[re.Match[str]]:
        found: list[re.Match[str]] = []
        parts = self.parts
        for i in self._candidates(words):
            rx, bounded, _ = parts[i]
            for m in rx.finditer(text):
                if not bounded or self._ok(text, m):
                    found.append(m)
        found.sort(key=lambda m: m.start())
        return iter(found)

    def findall(self, text: str) -> list[str]:
        return [m.group(0) for m in self.finditer(text)]


def _first_words(body: str, bounded: bool, flags: int = 0) -> frozenset[str] | None:
    """Every whole first word a match of `body` can start with, when the pattern says so.

    Read from the parsed pattern: literals, small character classes ("[sz]", "[2-5]"),
    optional pieces ("s?", "(?:ly)?", "-?") and alternatives are enumerated up to the first
    place the pattern requires a non-word character or a word boundary. None when that cannot
    be told: an unbounded part, a word that may run on (`\\w*`, a pattern ending mid-word), an
    anchor, or too many spellings.
    """
    if not bounded or flags & re.IGNORECASE:
        return None
    try:
        ops = _parser.parse(body, flags)
    except re.error:
        return None
    done: set[str] = set()
    open_ = _walk(list(ops), {""}, done)
    if open_ is None or open_ or not done or "" in done:
        return None  # a word still open at the end may run on past the match
    return frozenset(done)


_MAX_SPELLINGS = 64


def _walk(ops: list[Any], open_: set[str], done: set[str]) -> set[str] | None:
    """Extend the still-open first words by `ops`; words the pattern ends move to `done`.
    Returns the words still open afterwards, or None when the pattern cannot be followed."""
    for op, arg in ops:
        if not open_:
            return open_
        if op is _c.LITERAL:
            ch = chr(arg)
            if _is_word(ch):
                open_ = {w + ch for w in open_}
            else:
                done.update(open_)
                open_ = set()
        elif op is _c.IN:
            chars = _class_chars(arg)
            if chars is None:
                return None
            word = [c for c in chars if _is_word(c)]
            if word and len(word) != len(chars):
                return None
            if word:
                open_ = {w + c for w in open_ for c in word}
            else:
                done.update(open_)
                open_ = set()
        elif op is _c.AT and arg is _c.AT_BOUNDARY:
            done.update(w for w in open_ if w)  # after word characters a boundary ends the word
            open_ = {w for w in open_ if not w}
        elif op is _c.SUBPATTERN:
            if arg[1] & re.IGNORECASE:  # (?i:...): other spellings match too
                return None
            walked = _walk(list(arg[-1]), open_, done)
            if walked is None:
                return None
            open_ = walked
        elif op is _c.BRANCH:
            out: set[str] = set()
            for alt in arg[1]:
                got = _walk(list(alt), set(open_), done)
                if got is None:
                    return None
                out |= got
            open_ = out
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            lo, hi, sub = arg
            if hi > 2:
                return None
            out = set(open_) if lo == 0 else set()
            cur = set(open_)
            for n in range(1, hi + 1):
                step = _walk(list(sub), cur, done)
                if step is None:
                    return None
                cur = step
                if n >= lo:
                    out |= cur
            open_ = out
        else:
            return None
        if open_ is None or len(open_) + len(done) > _MAX_SPELLINGS:
            return None
    return open_


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _class_chars(items: list[Any]) -> list[str] | None:
    chars: list[str] = []
    for op, arg in items:
        if op is _c.LITERAL:
            chars.append(chr(arg))
        elif op is _c.RANGE and arg[1] - arg[0] < 10:
            chars.extend(map(chr, range(arg[0], arg[1] + 1)))
        elif op is _c.CATEGORY and arg in (_c.CATEGORY_SPACE, _c.CATEGORY_UNI_SPACE):
            chars.append(" ")  # \s: whitespace, never a word character
        else:
            return None  # a negated class, a category (\w, \d), a wide range
    return chars


def fast(pattern: str, flags: int = 0) -> Phrases:
    return Phrases(pattern, flags)
