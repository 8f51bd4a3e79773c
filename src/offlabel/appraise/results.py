"""The typed results of an appraisal: what appraise/ computes and report/ renders.

Every stage of appraise/ returns these dataclasses and report/ reads nothing else, so the seam
between judging the evidence and printing it is one module a type checker can follow. The
small properties here (a risk-of-bias overall judgement, a GRADE rating's resulting level) are
the rules that define the result, kept beside its fields so every reader gets the same answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from offlabel.model import (
    CERTAINTY_ORDER,
    EFFICACY_KINDS,
    Approval,
    Certainty,
    Comparator,
    Condition,
    Direction,
    DrugProfile,
    HarmKind,
    Outcome,
    OutcomeKind,
    OutcomeVerdictLabel,
    Source,
    Study,
    Verdict,
)

__all__ = [
    "AHRQ_SOE",
    "COCHRANE_GRADE",
    "OFFLABEL_GRADE",
    "REVIEW_GRADE",
    "REVIEW_TOOL",
    "ROB_LEVELS",
    "AbsoluteEffect",
    "Alternatives",
    "Answer",
    "ApprovalCondition",
    "ComparedDrug",
    "ComparedEffect",
    "Comparison",
    "ConditionAppraisal",
    "Domain",
    "Grade",
    "GroupKey",
    "Harm",
    "Judgement",
    "Note",
    "OutcomeAppraisal",
    "Pooled",
    "PublishedPool",
    "RatedCertainty",
    "ResponseRate",
    "ReviewFinding",
    "RiskOfBias",
    "RobLevel",
    "SingleStudy",
    "StratumPool",
    "StudyEffect",
    "StudyView",
    "active_comparator_name",
    "marks_prevention",
    "study_label",
]

# The systems a certainty can be on: offlabel's own GRADE (grade.py), a review's GRADE
# (Cochrane's or another's), AHRQ's strength of evidence (high, moderate, low, insufficient).
OFFLABEL_GRADE = "GRADE (offlabel)"
COCHRANE_GRADE = "GRADE (Cochrane review)"
REVIEW_GRADE = "GRADE (review)"
AHRQ_SOE = "AHRQ strength of evidence"

RobLevel = Literal["low", "some_concerns", "high", "unknown"]
# The tool for systematic reviews (rob.py): review-level signals, overall low only when every
# signal was read and met.
REVIEW_TOOL = "ROBIS / AMSTAR 2 (review signals)"
ROB_LEVELS: tuple[RobLevel, ...] = ("low", "some_concerns", "high", "unknown")


# --- risk of bias (rob.py) --------------------------------------------------------------


@dataclass
class Judgement:
    domain: str
    level: RobLevel
    basis: str  # the field or phrase that decided it


@dataclass
class RiskOfBias:
    study_id: str
    tool: str  # "RoB 2" or "ROBINS-I (signals)", from the design's facts
    domains: list[Judgement] = field(default_factory=list)

    @property
    def overall(self) -> RobLevel:
        levels = [d.level for d in self.domains]
        if "high" in levels:
            return "high"
        if self.tool == REVIEW_TOOL:
            # An unread signal leaves the review unclear: it never averages into "low".
            return "low" if levels and all(lv == "low" for lv in levels) else "unknown"
        # RoB 2: several 'some concerns' amount to high risk.
        if levels.count("some_concerns") >= 3:
            return "high"
        if "some_concerns" in levels:
            return "some_concerns"
        if levels and all(lv == "low" for lv in levels):
            return "low"
        if "unknown" in levels and "low" in levels:
            return "some_concerns"
        return "unknown"


# --- GRADE (grade.py) -------------------------------------------------------------------


@dataclass
class Domain:
    name: str
    change: int  # 0, -1, -2 (downgrades) or +1, +2 (upgrades)
    reason: str


@dataclass
class Grade:
    start: Certainty
    domains: list[Domain] = field(default_factory=list)

    @property
    def certainty(self) -> Certainty:
        idx = CERTAINTY_ORDER.index(self.start) + sum(d.change for d in self.domains)
        return CERTAINTY_ORDER[max(0, min(len(CERTAINTY_ORDER) - 1, idx))]

    def reasons(self) -> list[str]:
        return [f"{d.name}: {d.reason}" for d in self.domains if d.change]


# --- effects to pool (effects.py) -------------------------------------------------------


@dataclass(frozen=True)
class GroupKey:
    kind: OutcomeKind
    measure: str  # RR, OR, HR, SMD, MD, RD
    higher_is_better: bool
    comparator: str  # "placebo" (placebo, usual care, unknown) or "active"
    outcome_name: str | None = None  # only for MD: raw differences need the same scale
    # Head-to-head trials answer "better than THIS drug?": only trials against the same named
    # drug are pooled. A trial whose active comparator is not named is a group of its own
    # ("unnamed: <study id>"), so it is never pooled with another.
    active_drug: str | None = None
    # Preventing an outcome in people at risk is another question from treating it once it has
    # begun: an outcome whose name marks prevention is never pooled with one that does not.
    prevention: bool = False

    def describe(self) -> str:
        what = self.kind.value.replace("_", " ")
        if self.outcome_name:
            what = self.outcome_name
        elif self.prevention:
            what = f"prevention of {what}"
        if self.comparator != "active":
            vs = "placebo/control"
        elif self.active_drug and not self.active_drug.startswith("unnamed:"):
            vs = self.active_drug
        else:
            vs = "an unnamed active comparator"
        return f"{what} ({self.measure}, vs {vs})"


_PREVENTION = re.compile(r"^\s*(?:prevention|prophylaxis)\b", re.I)


def marks_prevention(outcome_name: str) -> bool:
    """An outcome named as prevention ("Prevention: progression to severe withdrawal")
    rather than treatment of an outcome already present."""
    return bool(_PREVENTION.search(outcome_name))


def active_comparator_name(study: Study) -> str | None:
    """The active drug a head-to-head trial compared with, as a grouping name: the curated
    comparator_detail up to its first dose, parenthesis or clause ("acamprosate (alternate
    allocation)" and "acamprosate" are the same drug; "diazepam 0.5 mg/kg" is diazepam). None
    when the trial has no active comparator; "unnamed: <id>" when it has one nobody named."""
    if study.comparator is not Comparator.active:
        return None
    text = (study.comparator_detail or "").lower()
    text = re.split(r"[(,;:]|\d| up to | as | given | plus | with ", text, maxsplit=1)[0]
    name = " ".join(text.split())
    return name or f"unnamed: {study.id}"


@dataclass(frozen=True)
class StudyEffect:
    study: Study
    outcome: Outcome
    measure: str
    yi: float
    vi: float
    n: int | None
    # Set when the study reported another binary scale and was converted to enter this pool
    # (rule 2): the scale it reported ("OR" or "RR") and how it was converted, in words.
    converted_from: str | None = None
    conversion: str | None = None
    # Per-protocol or completers-only numbers, pooled only because the study has no
    # intention-to-treat result of this kind: a sensitivity input, not a primary one.
    per_protocol: bool = False

    @property
    def key(self) -> GroupKey:
        cmp_ = "active" if self.study.comparator is Comparator.active else "placebo"
        name = self.outcome.name if self.measure == "MD" else None
        return GroupKey(
            self.outcome.kind, self.measure, bool(self.outcome.higher_is_better), cmp_, name,
            active_comparator_name(self.study), marks_prevention(self.outcome.name),
        )


# --- pooled outcomes (core.py) ----------------------------------------------------------


@dataclass
class Pooled:
    measure: str
    method: str
    k: int
    n: int | None
    estimate: float  # back-transformed (ratio scale for RR/OR/HR)
    ci_lb: float
    ci_ub: float
    pval: float
    tau2: float
    I2: float
    QE: float
    QEp: float
    pi_lb: float | None
    pi_ub: float | None
    favours: Direction
    study_ids: list[str]
    yi: list[float]
    vi: list[float]
    weights: list[float]
    labels: list[str]
    # Per study, in study_ids order (rule 2): the scale it reported when converted to enter
    # ("OR"/"RR", else None), the conversion in words, and whether its numbers are
    # per-protocol (a sensitivity input).
    converted_from: list[str | None] = field(default_factory=list)
    conversions: list[str | None] = field(default_factory=list)
    per_protocol: list[bool] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # "First author year", as readers name them

    def text(self) -> str:
        ci = f"{self.ci_lb:.2f} to {self.ci_ub:.2f}"
        return (
            f"{self.measure} {self.estimate:.2f} (95% CI {ci}; k = {self.k}"
            + (f", n = {self.n}" if self.n else "")
            + f", I² = {self.I2:.0f}%)"
        )


_INITIALS = re.compile(r"[A-Z][A-Z.\-]{0,3}")


def study_label(study: Study) -> str:
    """A study as a reader names it, "First author year" (the first author's surname), else a
    short title or the journal, and the year; never the id. The same rule as the views'
    report/names.study_label, which this layer may not import."""
    words = (study.first_author or "").split()
    if len(words) > 1 and _INITIALS.fullmatch(words[-1]):
        words = words[:-1]
    who = " ".join(words)
    if not who and study.title and study.title.strip():
        title = " ".join(study.title.split()).rstrip(".")
        if len(title) > 36:
            title = title[:36].rsplit(" ", 1)[0].rstrip(",;:-") + "…"
        who = title
    who = who or (study.journal or "").strip() or "Unnamed study"
    return f"{who} {study.year}" if study.year else who


@dataclass
class SingleStudy:
    """The one study behind an outcome: reported as that study, never as a pool (no I², no
    between-study variance, no prediction interval: one study has none)."""

    study: Study
    label: str  # "First author year"
    measure: str
    estimate: float  # back-transformed (ratio scale for RR/OR/HR)
    ci_lb: float
    ci_ub: float
    n: int | None
    favours: Direction
    # Rule 2: the study's per-protocol numbers stand in for a missing intention-to-treat result
    # (a sensitivity input), or its reported scale was converted ("OR"/"RR").
    per_protocol: bool = False
    converted_from: str | None = None

    def text(self) -> str:
        return (f"one study, {self.label}: {self.measure} {self.estimate:.2f} (95% CI "
                f"{self.ci_lb:.2f} to {self.ci_ub:.2f}" + (f"; n = {self.n}" if self.n else "")
                + ")")


@dataclass
class AbsoluteEffect:
    """GRADEpro's 'anticipated absolute effects': events per 1000 without and with the drug."""

    control_per_1000: float
    drug_per_1000: float
    difference_per_1000: float
    diff_lb: float
    diff_ub: float
    basis: str  # where the control risk comes from


@dataclass
class OutcomeAppraisal:
    key: GroupKey
    outcome: str
    verdict: OutcomeVerdictLabel
    certainty: Certainty | None
    grade: Grade | None
    pooled: Pooled | None
    effects: list[StudyEffect]
    by_design: dict[str, Pooled] = field(default_factory=dict)  # open-label vs RCT etc.
    timepoints: list[str] = field(default_factory=list)
    absolute: AbsoluteEffect | None = None
    # Set instead of `pooled` when one study measured the outcome: a pool needs two.
    single: SingleStudy | None = None
    # Trials of this comparison that measured the outcome but report no usable numbers
    # ("First author year"); GRADE's publication-bias domain counts them as missing results.
    measured_without_numbers: list[str] = field(default_factory=list)

    @property
    def efficacy(self) -> bool:
        return self.key.kind in EFFICACY_KINDS

    @property
    def k(self) -> int:
        """Studies behind the effect: the pool's k, 1 for a single study, 0 for none."""
        return self.pooled.k if self.pooled is not None else int(self.single is not None)

    @property
    def favours(self) -> Direction | None:
        eff = self.pooled or self.single
        return None if eff is None else eff.favours

    def effect_text(self) -> str | None:
        """The effect in words: a pool's estimate with k and I², or one study named as one."""
        if self.pooled is not None:
            return self.pooled.text()
        return None if self.single is None else self.single.text()


@dataclass
class PublishedPool:
    """A pooled estimate as a systematic review published it (never re-pooled by us)."""

    study: Study
    outcome: str
    kind: str
    measure: str
    estimate: float
    ci_lb: float
    ci_ub: float
    favours: Direction
    k: int | None
    n: int | None
    source_label: str
    certainty: Certainty | None = None
    # What k counts (core.outcome_k): None when it is unknown.
    k_basis: Literal["outcome", "direct comparisons", "review total"] | None = None
    # Which rating system the certainty is on (core.certainty_system): GRADE as a Cochrane
    # review or another review applied it, or AHRQ's strength of evidence; None when unrated.
    certainty_system: str | None = None


@dataclass
class RatedCertainty:
    """One certainty rating of an outcome, with the system and who gave it: offlabel's own
    GRADE, or a review's GRADE or AHRQ strength of evidence."""

    origin: str  # "offlabel" or the review's label
    outcome: str
    kind: str
    certainty: Certainty
    system: str
    used: bool = False  # the rating the verdict's certainty follows


@dataclass
class StudyView:
    study: Study
    level: str
    rob: RiskOfBias


# --- why studies disagree (stratify.py) and applicability (applicability.py) ------------


@dataclass
class StratumPool:
    label: str
    k: int
    estimate: float
    ci_lb: float
    ci_ub: float
    studies: list[str]

    def text(self) -> str:
        return (f"SMD {self.estimate:+.2f} (95% CI {self.ci_lb:+.2f} to {self.ci_ub:+.2f}; "
                f"k = {self.k}: {', '.join(self.studies)})")


@dataclass
class Comparison:
    """One moderator or design contrast, with the sentence the report prints."""

    name: str
    sentence: str
    groups: dict[str, StratumPool] = field(default_factory=dict)
    test: str | None = None  # e.g. "QM = 4.1, df = 1, p = 0.043"
    pval: float | None = None
    studies: dict[str, list[str]] = field(default_factory=dict)
    # Issue 16 rule 3: a comparison between trials needs at least 2 in each group; False when a
    # group has fewer (the sentence then says so and there is no test).
    comparable: bool = True
    # Every such contrast is between trials, never randomised within them: observational.
    observational: bool = True
    # Other contrasts that split the same trials into the same groups (names): confounded.
    confounded_with: list[str] = field(default_factory=list)
    # The groups as the tests saw them (study ids): effect sizes, then directions; used to find
    # contrasts that coincide. Not part of the report.
    partition: tuple[frozenset[frozenset[str]], frozenset[frozenset[str]]] = field(
        default=(frozenset(), frozenset()), repr=False, compare=False)


@dataclass
class ReviewFinding:
    """A subgroup, sensitivity analysis, certainty rating or conclusion as a systematic review
    reported it (reviews.py), shown ahead of offlabel's own across-trial comparisons."""

    review: str  # the review's label ("Agabio 2023")
    review_id: str
    year: int | None
    kind: Literal["subgroup", "sensitivity", "certainty", "conclusion"]
    finding: str
    source: str
    topic: str | None = None  # the moderator, or the outcome a certainty rates
    direction: str | None = None  # stronger / weaker / no_difference / unclear (subgroups)
    # offlabel's own comparison on the same topic, and why the two may differ.
    offlabel: str | None = None
    disagrees: bool | None = None  # None: the two cannot be set against each other
    why_differ: str | None = None
    # Rows of this report the finding qualifies (e.g. head-to-head rows resting on open-label
    # trials when a review found benefit only in open-label trials).
    caveat: str | None = None


@dataclass
class ApprovalCondition:
    """The conditions of one approval of this use, and how the trials behind the verdict sit
    against them (issue 16 rule 8): the verdict line names them."""

    region: str
    agency: str | None
    year: int | None
    line_of_therapy: str | None
    max_dose_mg_per_day: float | None
    # The trials the check reads: positive double-blind placebo/usual-care RCTs, or positive
    # placebo/usual-care RCTs when no double-blind one is positive (`trials_kind` says which).
    trials_kind: str
    trials: list[str]
    above_max: list[str]  # of those, the ones whose maximum daily dose exceeded the approval's
    dose_unknown: list[str]  # of those, the ones with no recorded dose
    text: str


@dataclass
class ResponseRate:
    group: str
    k: int
    n: int
    rate: float
    ci_lb: float
    ci_ub: float
    studies: list[str]


@dataclass
class Note:
    key: str
    text: str
    studies: list[str]


# --- one condition, one answer ----------------------------------------------------------


@dataclass
class ConditionAppraisal:
    condition: Condition
    drug: DrugProfile
    verdict: Verdict
    outcomes: list[OutcomeAppraisal]
    studies: list[StudyView]
    direction_counts: dict[str, dict[str, int]]
    agreement: list[str]
    moderators: list[str]
    latest_review: Study | None
    approvals: list[Approval]
    published_pools: list[PublishedPool] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)
    applicability: list[Note] = field(default_factory=list)
    # Completed registered trials with nothing published, as the store's registry rows
    # (nct, title, status, completion_date, enrollment, url).
    unpublished_trials: list[dict[str, Any]] = field(default_factory=list)
    response_rates: list[ResponseRate] = field(default_factory=list)
    example: bool = False
    # The system of the verdict's certainty ("GRADE (offlabel)", "GRADE (Cochrane review)",
    # "AHRQ strength of evidence"...), and every rating of the outcome it rests on, so a
    # rating is never shown without its system and disagreeing reviews are both shown.
    certainty_system: str | None = None
    certainty_ratings: list[RatedCertainty] = field(default_factory=list)
    # Issue 16 rule 8: the conditions of any approval of this use, against the trials' doses.
    approval_conditions: list[ApprovalCondition] = field(default_factory=list)
    # Issue 16 rule 7: the harms, kept apart from every efficacy count (appraise/harms.py).
    harms: list[Harm] = field(default_factory=list)

    @property
    def review_findings(self) -> list[ReviewFinding]:
        """What the reviews found in subgroups, sensitivity analyses, certainty ratings and
        conclusions, with sources, set against offlabel's own comparisons (reviews.py).
        Derived from the fields above, so every reader of an appraisal gets the same list."""
        from offlabel.appraise.reviews import review_findings

        return review_findings([v.study for v in self.studies], self.published_pools,
                               self.comparisons)


@dataclass
class Harm:
    """One harm finding of a question's harms section (appraise/harms.py): a label warning, an
    interaction, overdose data, a safety signal, an adverse-event result. Harm words only: it
    never carries an efficacy tag ("favours", "benefit", "effect stronger")."""

    kind: HarmKind
    finding: str
    studies: list[Study] = field(default_factory=list)
    source: Source | None = None


@dataclass
class Answer:
    drug: DrugProfile
    condition: Condition | None  # None: overview of every covered condition
    conditions: list[ConditionAppraisal]
    example: bool = False


# --- drugs side by side (compare.py) ----------------------------------------------------


@dataclass
class ComparedEffect:
    """An efficacy effect a drug can be compared on: its latest review's pool, or ours."""

    kind: str
    outcome: str
    measure: str
    estimate: float
    ci_lb: float
    ci_ub: float
    k: int | None
    certainty: Certainty | None
    favours: Direction
    review: str | None  # the review's label for a published pool; None for offlabel's pool
    source: str  # the review's source, or the labels of the studies pooled
    certainty_system: str | None = None
    single_study: bool = False  # offlabel's effect is one study, not a pool

    @property
    def published(self) -> bool:
        return self.review is not None


@dataclass
class ComparedDrug:
    asked: str  # the drug as the user named it
    appraisal: ConditionAppraisal | None  # None: the evidence base does not cover it
    not_covered: str | None = None  # why, when appraisal is None
    effects: list[ComparedEffect] = field(default_factory=list)
    common_effect: ComparedEffect | None = None


@dataclass
class Alternatives:
    condition: Condition
    common_outcome: str | None  # the outcome kind most drugs can be compared on
    drugs: list[ComparedDrug]
