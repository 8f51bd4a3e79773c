"""Study-design classifier: transparent rules, with the phrase or index term behind each field.

Two modes:

* with metadata (default): NLM publication types and MeSH decide the design, in the order NLM's
  own indexing implies (syntheses, animal-only, RCT, controlled trial, case report, generic
  trial, observational designs, review, non-study items); registry records use their
  allocation/masking fields. The text rules fill in what the index does not say and decide
  when the record has no usable indexing (in-process PubMed records, RIS/CSV exports).
* text only (`text_only=True`): title and abstract only; publication types, MeSH and registry
  fields are never read. Where no phrase rule decides (a title without abstract, an abstract
  with no design phrase), a small text model (textmodel.py; off by default) can be switched
  on to settle the design; its evidence then reads
  `text model: <label> (p ...; its strongest words); rules alone: ...`.

Every decided field gets an entry in `Classification.evidence`, e.g.
`{"design": 'PT "Randomized Controlled Trial"', "blinding": 'phrase "double-blind"'}`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from offlabel.model import Blinding, Classification, Comparator, Design, Record, designs_where

from . import cues, textmodel
from ._fastre import Phrases, fast
from .direction import finding_direction

_WORD = re.compile(r"\w+")
# ASCII bytes that are not word characters become spaces; bytes >= 128 (UTF-8 sequences) stay
_NON_WORD_BYTES = bytes(b if b >= 128 or chr(b).isalnum() or b == 95 else 32 for b in range(256))


def _tokens(text: str) -> list[str]:
    """The `\\w+` tokens of a text, in order."""
    # A byte table (far faster than str.translate) over the UTF-8: it maps ASCII bytes only,
    # so multi-byte characters pass through whole, and str.split also splits at Unicode
    # spaces. That is all for ASCII text. Otherwise `\\w` is exactly what str.isalnum() (or
    # "_") accepts, so only tokens holding some other character (a dash, a degree sign) need re.
    tokens = text.encode().translate(_NON_WORD_BYTES).decode().split()
    if text.isascii():
        return tokens
    ok = list(map(str.isalnum, tokens))
    if all(ok):
        return tokens
    out: list[str] = []
    start = 0
    for i in [i for i, good in enumerate(ok) if not good]:
        out.extend(tokens[start:i])
        out.extend(_WORD.findall(tokens[i]))
        start = i + 1
    out.extend(tokens[start:])
    return out


def _padded(words: list[str]) -> str:
    """Tokens joined by single spaces, with a space at each end: `_count` finds a phrase as
    f" {phrase}" in it, so a phrase only matches from the start of a token."""
    return f" {' '.join(words)} "


def _count(
    words: list[str],
    vocab: frozenset[str],
    flat: str,
    phrases: tuple[str, ...],
    wordset: frozenset[str],
) -> list[str]:
    """The words of `vocab` in order of appearance, then any multi-word phrases found.

    `wordset` (a superset of `words`) skips the scans that cannot hit: the list when no word
    of `vocab` occurs at all, a phrase when its first word does not."""
    if len(words) < 40:  # a title or one sentence: the list itself is the cheaper scan
        hits = [w for w in words if w in vocab]
    else:
        hits = [] if vocab.isdisjoint(wordset) else [w for w in words if w in vocab]
    for phrase in phrases:
        if _FIRST_WORD[phrase] in wordset:
            hits.extend([phrase] * flat.count(f" {phrase}"))
    return hits


_FIRST_WORD = {
    p: p.split(" ", 1)[0]
    for p in (
        *cues.ANIMAL_PHRASES,
        *cues.HUMAN_PHRASES,
        *cues.ANIMAL_WEAK_PHRASES,
    )
}


_T = TypeVar("_T")


class _once(Generic[_T]):  # noqa: N801 - used as a decorator, like cached_property
    """functools.cached_property without its lock (Python 3.11 takes an RLock on every first
    access, a measurable cost at four or five properties per record). A _Text belongs to
    one classify() call, so no other thread ever sees it."""

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.name = func.__name__

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> _once[_T]: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> _T: ...
    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:  # looked up on the class (help(), inspect)
            return self
        # a non-data descriptor: once stored, the instance attribute is found first
        value = obj.__dict__[self.name] = self.func(obj)
        return value


@dataclass
class _Text:
    title: str
    abstract: str
    title_low: str = ""
    abstract_low: str = ""
    low: str = ""
    mesh_terms: tuple[str, ...] = ()
    # text-only mode: the text model may settle what no rule decides (metadata mode keeps the
    # rules' defaults for records without usable indexing, as before the model existed)
    text_only: bool = False

    @classmethod
    def of(cls, record: Record, text_only: bool = False) -> _Text:
        t = cls(record.title or "", record.abstract or "")
        t.mesh_terms = tuple(record.mesh)
        t.text_only = text_only
        t.title_low = t.title.lower()
        t.abstract_low = t.abstract.lower()
        t.low = f"{t.title_low} {t.abstract_low}"
        return t

    @_once
    def empirical(self) -> re.Match[str] | None:
        """The abstract's first sign of data of its own (asked for by two rules)."""
        return cues.EMPIRICAL.search(self.abstract_low, words=self.wordset)

    @_once
    def mesh(self) -> frozenset[str]:
        """The record's MeSH descriptors, lower-cased (metadata mode only)."""
        return frozenset([m.lower() for m in self.mesh_terms])

    @_once
    def words(self) -> list[str]:
        """The `\\w+` tokens of title + abstract, in order (what `\\b` separates)."""
        return _tokens(self.low)

    @_once
    def wordset(self) -> frozenset[str]:
        return frozenset(self.words)

    @_once
    def flat(self) -> str:
        """The tokens joined by single spaces, padded: for multi-word phrases."""
        return _padded(self.words)

    @_once
    def human_subjects(self) -> list[str]:
        """Human-subject words beyond the opening sentence, which usually motivates the work
        with patients (subjects come later)."""
        humans = _count(self.words, cues.HUMAN_WORDS, self.flat, cues.HUMAN_PHRASES, self.wordset)
        if humans and self.opening is not None:
            opening = _tokens(self.opening)
            in_opening = _count(
                opening, cues.HUMAN_WORDS, _padded(opening), cues.HUMAN_PHRASES, self.wordset
            )
            humans = humans[len(in_opening) :] if len(in_opening) < len(humans) else []
        return humans

    @_once
    def title_words(self) -> list[str]:
        return _tokens(self.title_low)

    @_once
    def opening(self) -> str | None:
        """The lower-cased first sentence when the abstract has three or more, else None."""
        if not self.abstract:
            return None
        it = cues.SENTENCE_BREAK.finditer(self.abstract)
        first = next(it, None)
        if first is None or next(it, None) is None:
            return None
        return self.abstract[: first.start(1)].lower()

    @_once
    def sentences(self) -> list[str]:
        """Lower-cased abstract sentences (split lazily: metadata mode rarely needs them)."""
        return [s.lower() for s in cues.split_sentences(self.abstract)] if self.abstract else []


def _quote(m: re.Match[str]) -> str:
    return f'phrase "{m.group(0)}"'


def classify(record: Record, text_only: bool = False) -> Classification:
    """Classify one record. `text_only` ignores publication types, MeSH and registry fields."""
    t = _Text.of(record, text_only)
    decided = None if text_only else _design_from_metadata(record, t.mesh)
    if decided is None:
        design, why = _design_from_text(t)
        if not text_only and _registry_interventional(record) and design in _NOT_A_TRIAL:
            design, why = (
                Design.open_label_trial,
                f"registry studyType INTERVENTIONAL; text said {design.value} ({why})",
            )
    else:
        design, why = decided
    c = Classification(design=design, evidence={"design": why})
    _randomised(c, t, record, text_only)
    _blinding(c, t, record, text_only)
    _comparator(c, t, record, text_only)
    _species(c, t, record, text_only)
    _sample_size(c, t, record, text_only)
    if t.abstract:
        direction, sentence = finding_direction(
            record.abstract, record.abstract_sections, words=t.wordset, low=t.abstract_low
        )
        c.direction = direction
        if sentence:
            c.evidence["direction"] = f"best-effort, from: {sentence}"
    return c


# Text-derived designs a registry's INTERVENTIONAL study type overrides: observational
# designs, and the items read as no study at all (a guideline stays a guideline).
_NOT_A_TRIAL = designs_where(lambda f: f.observational) | {Design.narrative_review, Design.other}


def _registry_interventional(record: Record) -> bool:
    return (
        record.source == "ctgov"
        and str(record.extra.get("study_type") or "").upper() == "INTERVENTIONAL"
    )


# --- design from NLM metadata ---------------------------------------------------------

_SR_PT = ("meta-analysis", "systematic review", "network meta-analysis")
_RCT_PT = ("randomized controlled trial", "equivalence trial")
_TRIAL_PT = (
    "clinical trial",
    "clinical trial, phase i",
    "clinical trial, phase ii",
    "clinical trial, phase iii",
    "clinical trial, phase iv",
    "pragmatic clinical trial",
    "adaptive clinical trial",
)
_OBS_MESH = {
    "cohort studies": Design.cohort,
    "prospective studies": Design.cohort,
    "retrospective studies": Design.cohort,
    "longitudinal studies": Design.cohort,
    "follow-up studies": Design.cohort,
    "case-control studies": Design.case_control,
    "cross-sectional studies": Design.cross_sectional,
}
_GUIDELINE_PT = (
    "practice guideline",
    "guideline",
    "consensus development conference",
    "consensus development conference, nih",
)
_NON_STUDY_PT = (
    "letter",
    "comment",
    "editorial",
    "news",
    "newspaper article",
    "biography",
    "portrait",
    "historical article",
    "congress",
    "congresses",
    "lecture",
    "lectures",
    "published erratum",
    "retraction of publication",
    "retracted publication",
    "interview",
    "address",
    "autobiography",
    "expression of concern",
    "introductory journal article",
    "patient education handout",
    "personal narrative",
    "festschrift",
    "bibliography",
    "directory",
    "dictionary",
    "legislation",
    "overall",
    "webcast",
    "video-audio media",
    "preprint",
) + _GUIDELINE_PT


def _design_from_metadata(
    record: Record, mesh: frozenset[str] | None = None
) -> tuple[Design, str] | None:
    if record.source == "ctgov" and record.extra.get("study_type"):
        return _design_from_registry(record)
    pts = {p.lower(): p for p in record.publication_types}
    if mesh is None:
        mesh = frozenset([m.lower() for m in record.mesh])

    indexed = not _ANY_PT.isdisjoint(pts)  # most records: "Journal Article" and the like only

    def pt(names: tuple[str, ...]) -> str | None:
        return next((pts[n] for n in names if n in pts), None) if indexed else None

    if hit := pt(_SR_PT):
        design = (
            Design.meta_analysis if "meta-analysis" in hit.lower() else Design.systematic_review
        )
        return design, f'PT "{hit}"'
    if "animals" in mesh and "humans" not in mesh:
        return Design.animal, 'MeSH "Animals" without MeSH "Humans"'
    if hit := pt(_RCT_PT):
        return Design.rct, f'PT "{hit}"'
    if hit := pt(("controlled clinical trial",)):
        return Design.nonrandomized_controlled_trial, f'PT "{hit}" (no RCT PT)'
    if hit := pt(("case reports",)):
        return Design.case_report, f'PT "{hit}"'
    if hit := pt(_TRIAL_PT):
        return Design.open_label_trial, f'PT "{hit}" (generic trial tag: design detail unknown)'
    if hit := pt(("observational study",)):
        return Design.cohort, f'PT "{hit}"'
    for term, design in _OBS_MESH.items():
        if term in mesh:
            return design, f'MeSH "{term.title()}"'
    if hit := pt(("review", "scoping review")):
        return Design.narrative_review, f'PT "{hit}" (no SR/MA PT)'
    if hit := pt(_GUIDELINE_PT):
        return Design.guideline, f'PT "{hit}"'
    if hit := pt(_NON_STUDY_PT):
        return Design.other, f'PT "{hit}" (not a study)'
    return None  # e.g. "Journal Article" only: the index does not say, the text decides


_ANY_PT = frozenset(
    (
        *_SR_PT,
        *_RCT_PT,
        "controlled clinical trial",
        "case reports",
        *_TRIAL_PT,
        "observational study",
        "review",
        "scoping review",
        *_NON_STUDY_PT,
    )
)


def _design_from_registry(record: Record) -> tuple[Design, str] | None:
    x = record.extra
    study_type = str(x.get("study_type") or "").upper()
    allocation = str(x.get("allocation") or "").upper()
    model = str(x.get("intervention_model") or "").upper()
    if study_type == "OBSERVATIONAL":
        obs = str(x.get("observational_model") or "").upper()
        if obs == "CASE_CONTROL":
            return Design.case_control, "registry observationalModel CASE_CONTROL"
        return Design.cohort, f"registry studyType OBSERVATIONAL ({obs or 'model not given'})"
    if allocation == "RANDOMIZED":
        return Design.rct, "registry allocation RANDOMIZED"
    if allocation == "NON_RANDOMIZED":
        return Design.nonrandomized_controlled_trial, "registry allocation NON_RANDOMIZED"
    if model == "SINGLE_GROUP" or allocation == "NA":
        return Design.open_label_trial, f"registry {model or 'allocation NA'} (single group)"
    return None  # a projection without designInfo: let the summary text decide


# --- design from title and abstract ---------------------------------------------------


def _design_from_text(t: _Text) -> tuple[Design, str]:
    """NLM's precedence, applied to phrases: first matching rule wins."""
    if not t.low.strip():
        return Design.other, "no title or abstract"
    if r := _synthesis(t):
        return r
    if r := _animal_or_lab(t):
        return r
    if r := _rct(t):
        return r
    if r := _nrct(t):
        return r
    if r := _case(t):
        return r
    if r := _trial(t):
        return r
    if not t.abstract:
        return _title_only(t)
    if m := cues.NON_STUDY_TITLE.search(t.title_low, words=t.wordset):
        return Design.other, f"title {_quote(m)} (not a study)"
    if m := cues.REVIEW.search(t.title_low, words=t.wordset) or cues.REVIEW_STRONG.search(
        t.abstract_low, words=t.wordset
    ):
        if not cues.REVIEW_OF_CASES.search(t.low, words=t.wordset):
            return Design.narrative_review, f"{_quote(m)} (no study design stated)"
    if r := _observational(t):
        return r
    if m := cues.GUIDELINE.search(t.title_low, words=t.wordset):
        return Design.guideline, f"title {_quote(m)}"
    if m := cues.REVIEW.search(t.low, words=t.wordset):
        return Design.narrative_review, f"{_quote(m)} (no study design stated)"
    if m := t.empirical:
        return _by_model(
            t,
            Design.cohort,
            f"reports data ({_quote(m)}) without a design phrase: assumed observational",
        )
    return _by_model(
        t, Design.narrative_review, "abstract without data or design phrase: assumed narrative"
    )


def _by_model(t: _Text, design: Design, why: str) -> tuple[Design, str]:
    """Where no rule decides (or only the weakest, an observational word with some data), the
    text model's answer when it is confident, else the rules' guess (`design`, `why`). The
    evidence names the model, its strongest words and what the rules alone would have said."""
    model = textmodel.active() if t.text_only else None
    if model is None:
        return design, why
    p = textmodel.predict(textmodel.features(t.words, t.title_words, bool(t.abstract)), model)
    if p.probability < MODEL_MIN_PROBABILITY or p.label not in _MODEL_DESIGN:
        return design, why
    words = ", ".join(f'"{f}"' for f in p.features)
    return (
        _MODEL_DESIGN[p.label],
        f"text model: {p.label} (p {p.probability:.2f}{'; ' + words if words else ''}); "
        f"rules alone: {design.value}, {why}",
    )


# The text model answers in shared/records labels; each stands for the design NLM's rule for
# it names (the evaluation label of that design, evaluate.DERIVED_LABEL). A randomised or
# controlled trial or a systematic review is never the model's call: such a design is claimed
# only where the text states it (randomisation, a control group, a search), so when the model
# says one of those, the rules' default stands.
_MODEL_DESIGN = {
    "animal_study": Design.animal,
    "case_report": Design.case_report,
    "clinical_trial_unspecified": Design.open_label_trial,
    "observational": Design.cohort,
    "narrative_review": Design.narrative_review,
    "non_primary_other": Design.other,
}
# below this the model's answer is no better than the rules' default (train.py, tune half)
MODEL_MIN_PROBABILITY = 0.5


def _synthesis(t: _Text) -> tuple[Design, str] | None:
    m = cues.SR_TITLE.search(t.title_low, words=t.wordset)
    if m is None:
        m = cues.SR_METHODS.search(t.abstract_low, words=t.wordset)
        if m is None:
            return None
        # a search strategy alone could be a review of a single topic; need review words too
        if not re.search(r"systematic|meta-?analy|review|pooled", t.low):
            return None
    design = (
        Design.meta_analysis
        if cues.META_WORDS.search(t.low, words=t.wordset)
        else Design.systematic_review
    )
    return design, _quote(m)


def _animal_or_lab(t: _Text) -> tuple[Design, str] | None:
    ws = t.wordset
    animals: list[str] = []
    # Most records name no animal at all: then neither the title nor the text has one to count.
    if not _ANIMAL_CUES.isdisjoint(ws):
        title_flat = _padded(t.title_words)
        title_animals = _count(
            t.title_words, cues.ANIMAL_WORDS, title_flat, cues.ANIMAL_PHRASES, ws
        )
        if (
            title_animals
            and not _but_modifiers(
                t.title_words,
                _count(t.title_words, cues.HUMAN_WORDS, title_flat, cues.HUMAN_PHRASES, ws),
            )
            and not cues.CASE_TITLE.search(t.title_low, words=ws)
        ):
            return Design.animal, f'title phrase "{title_animals[0]}" (no human subjects in title)'
        animals = _count(t.words, cues.ANIMAL_WORDS, t.flat, cues.ANIMAL_PHRASES, ws)
    counted = bool(animals)
    if ("animals" in ws or "animal" in ws) and cues.ANIMALS_HEADING.search(t.abstract_low):
        # a veterinary structured abstract
        animals = ["ANIMALS:", *animals]
    # Human subjects are counted only when an animal or in-vitro cue needs weighing: most
    # records have neither.
    if animals:
        humans = t.human_subjects
        if counted and humans:
            humans = _but_modifiers(t.words, humans)
        # A human study mentions animal work in passing; an animal study rarely has patients.
        if not humans or len(animals) >= 3 * len(humans):
            return _animal_terms(animals, humans)
        return None
    weak = (
        []
        if _WEAK_CUES.isdisjoint(ws)
        else _count(t.words, cues.ANIMAL_WEAK_WORDS, t.flat, cues.ANIMAL_WEAK_PHRASES, ws)
    )
    if len(weak) >= 2 and not t.human_subjects:
        return _animal_terms(weak, [])
    if (taxon := cues.taxon_with_authority(t.title + " " + t.abstract)) and not t.human_subjects:
        return _animal_terms([taxon], [])
    if t.abstract and "review" not in t.low:
        m = cues.IN_VITRO.search(t.low, words=t.wordset)
        if m and not t.human_subjects:
            return Design.in_vitro, f"{_quote(m)} and no human or animal subjects"
    return None


# the words any animal-term count needs one of: the vocabulary and each phrase's first word
_ANIMAL_CUES = cues.ANIMAL_WORDS | {_FIRST_WORD[p] for p in cues.ANIMAL_PHRASES}
# For the weak phrases, a rarer word than the first: "in" is in every abstract. (A text whose
# only "in vivo" runs on into a longer word, "in vivoX", is then not counted.)
_WEAK_CUES = cues.ANIMAL_WEAK_WORDS | {max(p.split(), key=len) for p in cues.ANIMAL_WEAK_PHRASES}


def _animal_terms(animals: list[str], humans: list[str]) -> tuple[Design, str]:
    return (
        Design.animal,
        f'phrase "{animals[0]}" ({len(animals)} animal terms, {len(humans)} human terms)',
    )


def _first_human_word(t: _Text) -> str | None:
    """What `_count(... HUMAN_WORDS ...)[0]` would be: the first human word, else the first
    human phrase found (without counting them all)."""
    if not cues.HUMAN_WORDS.isdisjoint(t.wordset):
        return next(w for w in t.words if w in cues.HUMAN_WORDS)
    for phrase in cues.HUMAN_PHRASES:
        if _FIRST_WORD[phrase] in t.wordset and f" {phrase}" in t.flat:
            return phrase
    return None


def _but_modifiers(words: list[str], humans: list[str]) -> list[str]:
    """`humans` less the human words that describe animals: "infant rhesus monkeys",
    "pregnant rats", "newborn piglets" (an animal word one or two words on)."""
    animal = cues.ANIMAL_WORDS
    modifiers = sum(
        1
        for i, w in enumerate(words)
        if w in cues.HUMAN_WORDS
        and (
            (i + 1 < len(words) and words[i + 1] in animal)
            or (i + 2 < len(words) and words[i + 2] in animal)
        )
    )
    return humans[: max(0, len(humans) - modifiers)]


def _this_study_hit(t: _Text, pattern: Phrases) -> re.Match[str] | None:
    """The first match in the title or in an abstract sentence about this study (not
    background)."""
    if (
        pattern.search(t.low, words=t.wordset) is None
    ):  # one pass over everything before sentence by sentence
        return None
    for text, check_context in ((t.title_low, False), *((s, True) for s in t.sentences)):
        for m in pattern.finditer(text, words=t.wordset):
            if cues.RCT_NEGATED.search(text, max(0, m.start() - 12), m.end() + 12, words=t.wordset):
                continue
            if (
                check_context
                and cues.NOT_THIS_STUDY.search(text, words=t.wordset)
                and not cues.THIS_STUDY.search(text, words=t.wordset)
            ):
                break  # the sentence is about other work: its later matches are too
            return m
    return None


def _rct(t: _Text) -> tuple[Design, str] | None:
    if cues.RCT_WORDS.isdisjoint(t.wordset) and "randomi" not in t.low:
        return None
    hit = _this_study_hit(t, cues.RCT)
    if hit is None:
        return None
    return Design.rct, _quote(hit)


def _nrct(t: _Text) -> tuple[Design, str] | None:
    if not cues.NRCT.could_match(t.wordset) or not any(
        map(t.low.__contains__, ("random", "quasi", "control"))
    ):
        return None
    hit = _this_study_hit(t, cues.NRCT)
    if hit is None:
        return None
    return Design.nonrandomized_controlled_trial, _quote(hit)


def _case(t: _Text) -> tuple[Design, str] | None:
    m = cues.CASE_TITLE.search(t.title_low, words=t.wordset)
    where = "title "
    if m is None:
        m = cues.CASE_TEXT.search(t.abstract_low, words=t.wordset)
        where = ""
        if m is None:
            return None
        # A patient described in passing inside a study of many is not a case report: a weak
        # cue gives way to a study design word or a large count, a strong one to both.
        larger = _LARGER_STUDY.search(t.abstract_low, words=t.wordset)
        studyish = _STUDY_WORDS.search(t.low, words=t.wordset)
        strong = _STRONG_CASE.search(t.low, words=t.wordset)
        if (larger and studyish) or (not strong and (larger or studyish)):
            return None
    series = cues.CASE_SERIES_N.search(t.low, words=t.wordset)
    if series:
        return Design.case_series, f"{where}{_quote(m)}; {_quote(series)}"
    return Design.case_report, f"{where}{_quote(m)}"


_STUDY_WORDS = fast(
    # (a "case series of six" is the handful NLM indexes as case reports: see _STRONG_CASE)
    r"\b(?:retrospective\w*|prospective\w*|cohorts?|case series(?! of (?:two|three|four|five|"
    r"six|seven|eight|nine|[2-9]) )|chart review|consecutive|"
    r"population-based|registry|cross-sectional|case-control)\b"
)
_LARGER_STUDY = fast(
    r"\b(?:\d{2,}|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|"
    r"nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred)\w* "
    r"(?:[\w-]+ ){0,2}(?:patients|cases|subjects|participants|children|women|men|adults|"
    r"individuals|persons)\b"
)
_STRONG_CASE = fast(
    # "we report" only with one patient or a handful: "we report 120 patients" is a series
    r"case report|case presentation|"
    r"\b(?:we|i) (?:here |herein )?(?:report|describe|present) (?:a|an|the|two|three|four|five|"
    r"[2-5]) |"
    r"\b(?:a|an) \d+[- ](?:year|yr|month|mo)s?[- ]old\b|\b(?:this|our) case\b|\bour patient\b|"
    r"\ba case of\b|"
    r"case series of (?:two|three|four|five|six|seven|eight|nine|[2-9]) "
)


def _trial(t: _Text) -> tuple[Design, str] | None:
    if cues.TRIAL_WORDS.isdisjoint(t.wordset):
        return None
    hit = _this_study_hit(t, cues.TRIAL)
    if hit is None:
        return None
    return Design.open_label_trial, f"{_quote(hit)} (trial, no randomisation stated)"


def _observational(t: _Text) -> tuple[Design, str] | None:
    if m := cues.CASE_CONTROL.search(t.low, words=t.wordset):
        return Design.case_control, _quote(m)
    cohort = cues.COHORT.search(t.low, words=t.wordset)
    cross = cues.CROSS_SECTIONAL.search(t.low, words=t.wordset)
    if cross and (cohort is None or cross.start() < cohort.start()):
        return Design.cross_sectional, _quote(cross)
    if cohort:
        return Design.cohort, _quote(cohort)
    weak = cues.OBSERVATIONAL_WEAK.search(t.abstract_low, words=t.wordset)
    data = t.empirical if weak else None
    if weak and data:
        return _by_model(t, Design.cohort, f"{_quote(weak)} with data ({_quote(data)})")
    return None


def _title_only(t: _Text) -> tuple[Design, str]:
    """No abstract: letters, comments and editorials mostly, some reviews (MEDLINE practice)."""
    if m := cues.NON_STUDY_TITLE.search(t.title_low, words=t.wordset):
        return Design.other, f"title {_quote(m)}, no abstract (not a study)"
    if "vitro" in t.wordset and (m := _IN_VITRO_TITLE.search(t.title_low)):
        return Design.in_vitro, f"title {_quote(m)}, no abstract"
    if m := cues.GUIDELINE.search(t.title_low, words=t.wordset):
        return Design.guideline, f"title {_quote(m)}"
    if m := cues.REVIEW.search(t.title_low, words=t.wordset):
        return Design.narrative_review, f"title {_quote(m)}, no abstract"
    if t.title.rstrip(" .]").endswith("?"):
        return Design.other, "title is a question, no abstract (opinion piece)"
    if m := cues.CASE_TITLE_ONLY.search(t.title_low, words=t.wordset):
        return Design.case_report, f"title {_quote(m)}, no abstract (case-report wording)"
    return _by_model(
        t, Design.other, "title only, no abstract and no design phrase: assumed a non-study item"
    )


_IN_VITRO_TITLE = re.compile(r"\bin vitro\b")


# --- the other fields -----------------------------------------------------------------

_DOUBLE = fast(r"\b(?:double|triple|quadruple)[- ](?:blind|mask)\w*|\bdouble-dummy\b")
_SINGLE = fast(
    r"\bsingle[- ](?:blind|mask)\w*|\b(?:assessor|observer|evaluator|rater|investigator|"
    r"outcome[- ]assessor)s?[- ](?:blind|mask)\w*|\bblinded (?:assessor|evaluator|rater|"
    r"observer|outcome)s?"
)
_OPEN = fast(r"\bopen[- ]label\w*|\bunblinded\b|\bnon-?blinded\b|\bopen (?:trial|study)\b")
_PLACEBO = fast(r"\bplacebo\w*|\bsham\b|\bdummy\b")
_USUAL = fast(
    r"\busual care\b|\bstandard (?:of )?care\b|\btreatment as usual\b|\bwait(?:ing)?[- ]list\b|"
    r"\bno[- ](?:treatment|intervention)\b"
)
_ACTIVE = fast(
    r"\b(?:versus|vs\.?|compared (?:with|to))\b[^.]{0,60}\b(?:mg|therapy|treatment|"
    r"group|arm)\b|\bhead-to-head\b|\bactive (?:comparator|control)\b"
)
# Sets of designs from the model's design facts, built once at import (in Python 3.11 each
# `Design.x` is a lookup costing about 100 ns, and a tuple of them is rebuilt at every test).
_NOT_RANDOMISED = designs_where(lambda f: f.randomised is False)
_UNBLINDED = designs_where(lambda f: f.observational)
_SINGLE_ARM = designs_where(lambda f: f.single_arm)
# trials: clinical studies in which the investigators give the drug
_TRIALS = designs_where(lambda f: f.role == "primary" and not f.observational)
# the designs whose comparator is read from the text (the others keep "unknown")
_COMPARED = _SINGLE_ARM | _TRIALS
# sample sizes are counted only for studies of subjects
_NOT_COUNTED = designs_where(lambda f: not f.is_study)
_ARM_COMPARATORS = (
    ("PLACEBO_COMPARATOR", Comparator.placebo),
    ("SHAM_COMPARATOR", Comparator.placebo),
    ("ACTIVE_COMPARATOR", Comparator.active),
    ("NO_INTERVENTION", Comparator.usual_care),
)
_OTHER_COMPARATORS = ((_USUAL, Comparator.usual_care), (_ACTIVE, Comparator.active))
_BLINDING_PHRASES = ((_DOUBLE, Blinding.double), (_SINGLE, Blinding.single), (_OPEN, Blinding.none))


def _randomised(c: Classification, t: _Text, record: Record, text_only: bool) -> None:
    if c.design is Design.rct:
        c.randomised = True
        c.evidence["randomised"] = c.evidence["design"]
    elif c.design in _NOT_RANDOMISED:
        negated = cues.RCT_NEGATED.search(t.low, words=t.wordset) if "random" in t.low else None
        if negated or c.design is not Design.open_label_trial:
            c.randomised = False
            c.evidence["randomised"] = (
                _quote(negated) if negated else f"design {c.design.value} is not randomised"
            )


def _blinding(c: Classification, t: _Text, record: Record, text_only: bool) -> None:
    if not text_only:
        masking = str(record.extra.get("masking") or "").upper()
        if masking:
            c.blinding = {"NONE": Blinding.none, "SINGLE": Blinding.single}.get(
                masking, Blinding.double
            )
            c.evidence["blinding"] = f"registry masking {masking}"
            return
        mesh = t.mesh
        if "double-blind method" in mesh:
            c.blinding, c.evidence["blinding"] = Blinding.double, 'MeSH "Double-Blind Method"'
            return
        if "single-blind method" in mesh:
            c.blinding, c.evidence["blinding"] = Blinding.single, 'MeSH "Single-Blind Method"'
            return
    low, ws = t.low, t.wordset
    # each phrase table only scans when one of its first words is a token of the text
    for pattern, value in _BLINDING_PHRASES:
        if m := pattern.search(low, words=ws):
            c.blinding, c.evidence["blinding"] = value, _quote(m)
            return
    if c.design in _UNBLINDED:
        c.blinding = Blinding.none
        c.evidence["blinding"] = f"design {c.design.value} (observational: no blinding)"


def _comparator(c: Classification, t: _Text, record: Record, text_only: bool) -> None:
    if not text_only:
        arms = record.extra.get("arms")
        types = {
            str(a.get("type") or "").upper()
            for a in (arms if isinstance(arms, list) else [])
            if isinstance(a, dict)
        }
        for arm, value in _ARM_COMPARATORS:
            if arm in types:
                c.comparator, c.evidence["comparator"] = value, f"registry arm type {arm}"
                return
        if "placebos" in t.mesh:
            c.comparator, c.evidence["comparator"] = Comparator.placebo, 'MeSH "Placebos"'
            return
    if c.design not in _COMPARED:
        return
    low = t.low
    placebo_words = "placebo" in low or "sham" in low or "dummy" in low
    if c.design in _SINGLE_ARM:
        if not placebo_words:
            c.comparator = Comparator.none
            c.evidence["comparator"] = f"design {c.design.value} (single arm)"
            return
    if c.design not in _TRIALS:
        return
    if placebo_words and (m := _PLACEBO.search(low, words=t.wordset)):
        c.comparator, c.evidence["comparator"] = Comparator.placebo, _quote(m)
        return
    for pattern, value in _OTHER_COMPARATORS:  # these scan only given their first words
        if m := pattern.search(low, words=t.wordset):
            c.comparator, c.evidence["comparator"] = value, _quote(m)
            return


_SPECIES_MESH = {
    "rats": "rat",
    "mice": "mouse",
    "dogs": "dog",
    "cats": "cat",
    "swine": "pig",
    "rabbits": "rabbit",
    "sheep": "sheep",
    "cattle": "cattle",
    "horses": "horse",
    "macaca mulatta": "rhesus macaque",
    "macaca": "macaque",
    "haplorhini": "primate",
    "cricetinae": "hamster",
    "guinea pigs": "guinea pig",
    "zebrafish": "zebrafish",
    "chickens": "chicken",
    "drosophila": "drosophila",
}
_SPECIES_WORD = {
    "goat": "goat",
    "goats": "goat",
    "camel": "camel",
    "camels": "camel",
    "deer": "deer",
    "mink": "mink",
    "rhesus": "rhesus macaque",
    "cynomolgus": "cynomolgus macaque",
    "hens": "chicken",
    "elegans": "c. elegans",
    "drosophila": "drosophila",
    "gerbils": "gerbil",
    "ferrets": "ferret",
    "rat": "rat",
    "rats": "rat",
    "wistar": "rat",
    "sprague": "rat",
    "mice": "mouse",
    "mouse": "mouse",
    "murine": "mouse",
    "c57bl": "mouse",
    "balb": "mouse",
    "dog": "dog",
    "dogs": "dog",
    "canine": "dog",
    "cats": "cat",
    "feline": "cat",
    "pig": "pig",
    "pigs": "pig",
    "piglet": "pig",
    "piglets": "pig",
    "swine": "pig",
    "porcine": "pig",
    "rabbit": "rabbit",
    "rabbits": "rabbit",
    "sheep": "sheep",
    "ovine": "sheep",
    "lambs": "sheep",
    "ewes": "sheep",
    "cattle": "cattle",
    "cows": "cattle",
    "calves": "cattle",
    "bovine": "cattle",
    "horse": "horse",
    "horses": "horse",
    "equine": "horse",
    "monkey": "monkey",
    "monkeys": "monkey",
    "macaque": "macaque",
    "macaques": "macaque",
    "baboons": "baboon",
    "hamster": "hamster",
    "hamsters": "hamster",
    "zebrafish": "zebrafish",
    "chicken": "chicken",
    "chickens": "chicken",
    "chicks": "chicken",
    "rattus": "rat",
    "long evans": "rat",
    "mus musculus": "mouse",
    "danio": "zebrafish",
    "oryctolagus": "rabbit",
    "macaca": "macaque",
    "mulatta": "rhesus macaque",
    "fascicularis": "cynomolgus macaque",
    "scrofa": "pig",
    "canis familiaris": "dog",
    "canis lupus": "dog",
    "felis catus": "cat",
    "bos taurus": "cattle",
    "ovis aries": "sheep",
    "capra hircus": "goat",
    "equus caballus": "horse",
    "gallus gallus": "chicken",
    "caenorhabditis": "c. elegans",
    "melanogaster": "drosophila",
}


def _species(c: Classification, t: _Text, record: Record, text_only: bool) -> None:
    if c.design is Design.in_vitro:
        c.species, c.evidence["species"] = None, "in vitro"
        return
    if c.design is Design.animal:
        if not text_only:
            for m in record.mesh:
                if (s := _SPECIES_MESH.get(m.lower())) is not None:
                    c.species, c.evidence["species"] = s, f'MeSH "{m}"'
                    return
        for word in _count(t.words, cues.ANIMAL_WORDS, t.flat, cues.ANIMAL_PHRASES, t.wordset):
            if word in _SPECIES_WORD:
                c.species, c.evidence["species"] = _SPECIES_WORD[word], f'phrase "{word}"'
                return
        c.species, c.evidence["species"] = "animal", c.evidence["design"]
        return
    if not text_only and "humans" in t.mesh:
        c.species, c.evidence["species"] = "human", 'MeSH "Humans"'
    elif first := _first_human_word(t):
        c.species, c.evidence["species"] = "human", f'phrase "{first}"'


_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_UNITS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen"
)
_NUM_WORD = (
    rf"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-(?:{_UNITS}))?|{_UNITS})"
)
# "twelve", "forty-two", "six hundred fifty-three", "two thousand and ten", "1,204"
_NUM = (
    rf"(\d[\d,]*|{_NUM_WORD}(?: thousand)?(?:,? (?:and )?{_NUM_WORD} hundred)?"
    rf"(?: hundred)?(?:,? (?:and )?{_NUM_WORD})?)"
)
_WHO = (
    r"(?:patients|participants|subjects|volunteers|women|men|children|adults|infants|"
    r"individuals|persons|people|adolescents|neonates|smokers|outpatients|inpatients|"
    r"cases|pregnancies|mothers|couples|families|eyes|rats|mice|animals|dogs|pigs|rabbits)"
)
_WHO_RX = fast(r"\b" + _WHO + r"\b")
# a count right before the noun, with up to three words between ("120 consecutive adult ...")
_NUM_BEFORE = re.compile(r"(?<![\w.,-])" + _NUM + r"[ -](?:[a-z][\w-]* ){0,3}$")
_ENROLLED_AFTER = re.compile(
    r"[^.]{0,40}?\b(?:were|was) (?:randomi[sz]ed|randomly|enrolled|included|recruited|"
    r"studied|treated|assigned|allocated|evaluated|followed|analy[sz]ed|entered)"
)
_ENROLLED_BEFORE = fast(r"\b(?:total of|randomi[sz]ed|enrolled|included|recruited|studied) ")
_N_EQUALS = fast(r"\bn\s?=\s?(\d[\d,]*)")
# the words a count can end with (all of _NUM's words but "and")
_NUMBER_TOKENS = frozenset(re.findall(r"[a-z]{3,}", _NUM)) - {"and"}


def _to_int(token: str) -> int | None:
    token = token.replace(",", "")
    if token.isdigit():
        return int(token)
    total = current = 0
    for word in token.replace("-", " ").split():
        if word in _NUMBER_WORDS:
            current += _NUMBER_WORDS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "hundred":
            current = (current or 1) * 100
        elif word == "thousand":
            total, current = total + (current or 1) * 1000, 0
        elif word != "and":
            return None
    return total + current or None


def _sample_size(c: Classification, t: _Text, record: Record, text_only: bool) -> None:
    enrollment = record.extra.get("enrollment")
    if not text_only and isinstance(enrollment, int):
        c.n, c.evidence["n"] = enrollment, "registry enrollment count"
        return
    if c.design is Design.case_report:
        c.n, c.evidence["n"] = 1, "case report"
        return
    if c.design in _NOT_COUNTED or not t.abstract:
        return
    low = t.abstract_low
    best: tuple[int, int, str] | None = None  # (strength, count, phrase)
    for m in _WHO_RX.finditer(low, words=t.wordset):
        window = max(0, m.start() - 50)
        # the count is a token of the window: digits or a number word (the regex, tried at
        # every character of the window, is the dearer test)
        tokens = _WORD.findall(low, window, m.start())
        if _NUMBER_TOKENS.isdisjoint(tokens) and not any(w[0].isdigit() for w in tokens):
            continue
        num = _NUM_BEFORE.search(low, window, m.start())
        if num is None:
            continue
        n = _to_int(num.group(1))
        # years and zero are not counts
        if n is None or n == 0 or (1900 <= n <= 2100 and "," not in num.group(1)):
            continue
        strength = 1
        if _ENROLLED_BEFORE.search(low, max(0, num.start() - 20), num.start() + 1):
            strength = 3
        elif _ENROLLED_AFTER.match(low, m.end()):
            strength = 2
        if best is None or strength > best[0]:
            best = (strength, n, low[num.start() : m.end()])
        if strength == 3:
            break
    if best is None and (eq := _N_EQUALS.search(low, words=t.wordset)):
        n = _to_int(eq.group(1))
        if n:
            best = (0, n, eq.group(0))
    if best is not None:
        c.n, c.evidence["n"] = best[1], f'phrase "{best[2]}"'
