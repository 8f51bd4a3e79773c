"""The literal-prefix phrase search must find exactly what the plain regex finds."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from offlabel.classify import cues
from offlabel.classify._fastre import Phrases, _first_words, fast

PATTERNS = [
    r"\bcase reports?\b|\bcase presentation\b",
    r"\b(?:we|authors?) (?:here |herein )?(?:report|describe)\w* (?:[\w-]+ ){0,3}(?:case|patient)\b",
    r"\b(?:a|an) (?:\d+|\w+(?:-\w+)?)[- ](?:year|month)s?[- ]old\b|\bour patient\b",
    r"\bnon-?randomi[sz]\w*|\bnot (?:been )?randomi[sz]\w*|\brandom (?:sample|effects?)\b",
    r"\b(?:double|single|triple)[- ](?:blind|mask)\w*|\bplacebo\b",
    r"\bdouble[- ]?blind\w*|\bsingle[ -]arm\b|\bno-?placebo\b",
    r"\bp\s?[<=>]\s?0?\.\d",
    r"\b(?:we (?:report|describe) |report of |in |of )?(two|[2-5]) (?:\w+ )?(?:cases|patients)\b",
    r"\b(?:in|of)?(?:two|the) (?:cases|patients)\b|\b(?:a|an)??(?:case)\b",
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
    "doubleblind",
    "significantly",
    "non-inferior",
    "noninferior",
    "randomised",
    "letters",
    "cross-over",
    "crossover",
    "3",
    "i",
    "authors",
    "single-arm",
    "no-placebo",
    "noplacebo",
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


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("double[- ](?:blind|mask)\\w*", {"double"}),  # a separator follows: a whole word
        ("single[ -]arm\\b", {"single"}),
        ("dose-finding\\b", {"dose"}),
        ("case reports?\\b", {"case"}),
        ("randomi[sz]ed\\b", {"randomised", "randomized"}),
        ("letters?\\b", {"letter", "letters"}),
        ("significant(?:ly)? (?:\\w+ ){0,2}better", {"significant", "significantly"}),
        ("non-?inferior\\b", {"non", "noninferior"}),
        ("[2-4] (?:cases|patients)\\b", {"2", "3", "4"}),
        ("(?:we|i|authors?) report", {"we", "i", "author", "authors"}),
        ("n\\s?=\\s?\\d+", {"n"}),
        ("p\\s?[<=>]\\s?0?\\.\\d", {"p"}),
        ("double[- ]?blind", None),  # "doubleblind..." runs on: the word cannot be told
        ("randomi[sz]ed\\w*", None),  # a prefix, not a word
        ("meta-?analy[sz]", None),  # ends mid-word
        ("\\d+ patients", None),
        ("^re:", None),
        ("(?i:case) report", None),  # other spellings match too
        ("(?:\\w+ ){0,3}trial", None),
    ],
)
def test_first_words(body, words):
    assert _first_words(body, bounded=True) == (frozenset(words) if words else None)
    assert _first_words(body, bounded=False) is None


@settings(max_examples=200, deadline=None)
@given(text=texts)
def test_the_cue_tables_agree_with_their_source_given_the_words(text):
    # with the text's word set, as the classifier calls them
    from offlabel.classify import design, direction

    words = frozenset(re.findall(r"\w+", text))
    for module in (cues, design, direction):
        for value in vars(module).values():
            if isinstance(value, Phrases):
                a, b = re.compile(value.pattern).search(text), value.search(text, words=words)
                assert (a and a.start()) == (b and b.start()), value.pattern


NUMBER_TOKENS = [
    "12",
    "3.5",
    "1.2.3",
    "0",
    "x12",
    "a",
    "%",
    " %",
    "patients",
    "men",
    "women",
    "mental",
    "patientsx",
    "cases",
    ".",
    "..",
    "(",
    "_",
    "\u00a0",
    "\u0663",  # ARABIC-INDIC DIGIT THREE: \d and isdecimal() both take it
    "\t",
    "individuals",
    "-",
]
number_texts = st.lists(st.sampled_from(NUMBER_TOKENS), max_size=30).map(
    lambda parts: (
        "".join(p if p in (" %", "%", ".", "..") else f" {p}" for p in parts) if parts else ""
    )
)
glued_texts = st.lists(st.sampled_from(NUMBER_TOKENS), max_size=30).map("".join)


@settings(max_examples=400, deadline=None)
@given(text=st.one_of(number_texts, glued_texts))
@example(text=" x12 patients")
@example(text="a 12 men, 1.2.3 % and 4.5% of 6 mental 7 patientsx 8 women")
@example(text="\u0663 patients; 3\u00a0%; _9 cases")
def test_number_before_matches_the_plain_regex(text):
    for _, matcher in cues.EMPIRICAL.rules:
        if isinstance(matcher, cues.NumberBefore):
            plain = re.compile(matcher.pattern)
            a, b = plain.search(text), matcher.search(text)
            assert (a and a.span()) == (b and b.span()), (matcher.pattern, text)


def test_number_before_on_real_abstracts():
    from pathlib import Path

    from offlabel.sources.readers import iter_records_in

    records = Path(__file__).resolve().parents[2] / "shared" / "records"
    if not records.exists():
        return
    matchers = [m for _, m in cues.EMPIRICAL.rules if isinstance(m, cues.NumberBefore)]
    assert len(matchers) == 2
    for rec in iter_records_in(records, errors=[], exclude=[records / "labels.csv"]):
        low = (rec.abstract or "").lower()
        for matcher in matchers:
            a, b = re.compile(matcher.pattern).search(low), matcher.search(low)
            assert (a and a.span()) == (b and b.span()), (rec.pmid, matcher.pattern)


SENTENCE_TOKENS = [
    "a",
    "B",
    "1",
    ".",
    "!",
    "?",
    " ",
    "  ",
    "\t",
    "\n",
    "(",
    "[",
    "x.",
    "?.",
    "\u00a0",
]


@settings(max_examples=400, deadline=None)
@given(text=st.lists(st.sampled_from(SENTENCE_TOKENS), max_size=40).map("".join))
@example(text="One. Two!  Three? (4) [5]. six. 7.\tEight.. Nine ?. Ten")
def test_split_sentences_matches_the_look_behind_split(text):
    assert cues.split_sentences(text) == cues.SENTENCE.split(text)
    breaks = [m.span(1) for m in cues.SENTENCE_BREAK.finditer(text)]
    assert breaks == [m.span() for m in cues.SENTENCE.finditer(text)]


@settings(max_examples=300)
@given(
    st.text(
        alphabet=st.sampled_from(
            list("ab_ 1-.,()") + ["é", "–", "°", "μ", "\xa0", "\u2009", "٣", "½"]
        )
    )
)
@example("x_–_y 5°c μg/ml")
def test_tokens_are_exactly_the_word_runs(text):
    from offlabel.classify.design import _tokens

    assert _tokens(text) == re.findall(r"\w+", text)
    assert _tokens(text.lower()) == re.findall(r"\w+", text.lower())


def test_candidates_follow_the_word_set_they_are_asked_about():
    # the last answer is reused only for the very same word set
    table = fast(r"\bfoo bar\b|\bbar\b|\bbaz\b")
    first, second = frozenset({"foo", "bar"}), frozenset({"baz"})
    for _ in range(2):
        assert table.search("foo bar baz", words=first).group() == "foo bar"
        assert table.search("foo bar baz", words=second).group() == "baz"
        assert table.search("foo bar baz", words=frozenset({"bar"})).group() == "bar"


TAXON_TOKENS = ["(", ")", " (", " L.", "L.", " L", " ", ",", ";", ".", "Cetti", "Linnaeus", "and"]
TAXON_TOKENS += [" & ", " and ", ", 1758", " 2001", "x", "Ab", "(Ab)"]


@settings(max_examples=400, deadline=None)
@given(text=st.lists(st.sampled_from(TAXON_TOKENS), max_size=30).map("".join))
@example(text="of Apis mellifera L. and Rattus rattus (Linnaeus, 1758) L.; (Ab) x L.")
@example(text=" L.")
@example(text="(Cetti) at the start, then a (Skuse & Ab, 2001) L.)")
def test_taxon_authorities_match_the_joint_pattern(text):
    want = [(m.start(), m.group(0)) for m in cues.TAXON_AUTHORITY.finditer(text)]
    assert cues.taxon_authorities(text) == want
