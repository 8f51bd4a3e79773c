"""The literal-prefix phrase search must find exactly what the plain regex finds."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from offlabel.classify import cues
from offlabel.classify._fastre import Phrases, fast

PATTERNS = [
    r"\bcase reports?\b|\bcase presentation\b",
    r"\b(?:we|authors?) (?:here |herein )?(?:report|describe)\w* (?:[\w-]+ ){0,3}(?:case|patient)\b",
    r"\b(?:a|an) (?:\d+|\w+(?:-\w+)?)[- ](?:year|month)s?[- ]old\b|\bour patient\b",
    r"\bnon-?randomi[sz]\w*|\bnot (?:been )?randomi[sz]\w*|\brandom (?:sample|effects?)\b",
    r"\b(?:double|single|triple)[- ](?:blind|mask)\w*|\bplacebo\b",
    r"\bp\s?[<=>]\s?0?\.\d",
]
WORDS = [
    "we",
    "report",
    "a",
    "an",
    "45-year-old",
    "case",
    "reports",
    "patient",
    "our",
    "non",
    "randomized",
    "not",
    "been",
    "random",
    "sample",
    "double-blind",
    "single",
    "blind",
    "placebo",
    "p",
    "<",
    "0.05",
    "-",
    "x",
    "herein",
    "describe",
    "month-old",
    "old",
    "showcase",
    "retrospective",
    "cohort",
    "review",
    "this",
    "systematic",
    "meta-analysis",
    "trial",
    "phase",
    "ii",
    "open-label",
    "were",
    "randomly",
    "assigned",
    "groups",
    "of",
    "patients",
    "two",
    "in",
    "years",
    "studies",
    "included",
    "the",
    "was",
    "presented",
    "nonrandomised",
    "effects",
    ".",
    ",",
    "(",
    "e",
]

texts = st.lists(st.sampled_from(WORDS), max_size=40).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(text=texts, pattern=st.sampled_from(PATTERNS))
def test_search_matches_the_plain_regex(text, pattern):
    plain, quick = re.compile(pattern), fast(pattern)
    a, b = plain.search(text), quick.search(text)
    assert (a and a.span()) == (b and b.span())
    words = frozenset(re.findall(r"\w+", text))
    c = quick.search(text, words=words)
    assert (a and a.span()) == (c and c.span())


@settings(max_examples=200, deadline=None)
@given(text=texts)
def test_the_cue_tables_agree_with_their_source(text):
    # every Phrases object built from the cue tables behaves like its own pattern
    for value in vars(cues).values():
        if isinstance(value, Phrases):
            plain = re.compile(value.pattern)
            a, b = plain.search(text), value.search(text)
            assert (a is None) == (b is None), value.pattern
            if a is not None:
                assert a.start() == b.start(), value.pattern
