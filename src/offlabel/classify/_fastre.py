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

_B = "\\b"
_LITERAL = re.compile(r"[a-z0-9 ]+")


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
        if rest[:1] not in ("?", "*", "+", "{"):
            inner = _split(alt[5:end])
            if all(len(a) > 0 for a in inner):
                return [x for a in inner for x in _expand(_B + a + rest)]
    return [alt]


class Phrases:
    """A compiled phrase pattern; `search`/`finditer` like re.Pattern (leftmost match first)."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.parts: list[tuple[re.Pattern[str], bool, str | None]] = []
        for alt in _split(pattern):
            for sub in _expand(alt):
                bounded = sub.startswith(_B)
                body = sub[2:] if bounded else sub
                self.parts.append((re.compile(body, flags), bounded, _first_word(body, bounded)))
        # With `words`, only the parts that can match are scanned: those whose first word is a
        # token of the text, and those whose first word cannot be told.
        by_word: dict[str, list[int]] = {}
        free = []
        for i, (_, _, word) in enumerate(self.parts):
            if word is None:
                free.append(i)
            else:
                by_word.setdefault(word, []).append(i)
        self._by_word = {w: tuple(ix) for w, ix in by_word.items()}
        self._free = tuple(free)
        self._words = frozenset(by_word)
        self._all = tuple(range(len(self.parts)))

    def _candidates(self, words: Set[str] | None) -> tuple[int, ...] | list[int]:
        """Indices of the parts that can match, in pattern order."""
        if words is None:
            return self._all
        present = self._words.intersection(words)
        if not present:
            return self._free
        idx = list(self._free)
        for w in present:
            idx.extend(self._by_word[w])
        if len(present) > 1 or self._free:
            idx.sort()
        return idx

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
            candidates: tuple[int, ...] | list[int] = self._all
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


def _first_word(body: str, bounded: bool) -> str | None:
    """The whole first word every match starts with, when the pattern says so: a literal run
    up to a space, or up to a word boundary / hyphen. None when it cannot be told."""
    if not bounded:
        return None
    m = _LITERAL.match(body)
    if m is None:
        return None
    run, rest = m.group(0), body[m.end() :]
    if " " in run:
        word = run.split(" ", 1)[0]
    elif rest == "" or rest.startswith("\\b"):
        word = run
    elif rest.startswith(("[- ]", "[ -]", "-")):
        after = rest[4:] if rest.startswith("[") else rest[1:]  # "[- ]" is 4 characters
        if after[:1] in ("?", "*", "{"):  # an optional separator: the word may run on
            return None
        word = run
    else:
        return None
    return word or None


def fast(pattern: str, flags: int = 0) -> Phrases:
    return Phrases(pattern, flags)
