"""The domain model: what a drug, a study, an outcome, an effect and a verdict are.

Every other module imports this one; this one imports nothing of ours. The same pydantic
models validate the bundled YAML evidence and user evidence files, so the schema documented
in docs/evidence-schema.md is exactly these classes.
"""

from __future__ import annotations

import datetime
import difflib
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

__all__ = [
    "CERTAINTY_ORDER", "CONDITIONS", "CONDITION_IDS", "CONTROLLED", "DESIGN_FACTS", "EFFICACY_KINDS", "EVIDENCE_LEVEL", "LEVEL_ORDER",
    "PRECLINICAL", "PRIMARY_CLINICAL", "RANDOMISED", "RATIO_MEASURES", "SURROGATE_KINDS",
    "MAX_COUNT", "SCHEMA_VERSIONS", "SYNTHESES", "WEAKER_DESIGNS",
    "Approval", "Arm", "BinaryEffect", "Blinding", "Certainty", "Classification", "Comparator",
    "Concept", "Condition", "ContinuousEffect", "Design", "DesignFacts", "DesignRole", "Direction", "Drug",
    "DrugProfile", "Effect", "EvidenceFile", "HarmFact", "HarmKind", "MeshTerm", "Outcome", "OutcomeKind", "OutcomeVerdictLabel",
    "Question", "REVIEW_SIGNALS", "Record", "ReportedEffect", "ReviewSignal", "ReviewSignalName",
    "RobTool", "SingleArmEffect", "Source", "Study", "Substance",
    "Subgroup", "Tristate", "Verdict", "VerdictLabel", "designs_where", "importance", "name_key",
]


class Design(StrEnum):
    """Study design, ordered loosely from weakest to strongest primary evidence."""

    animal = "animal"
    in_vitro = "in_vitro"
    human_laboratory = "human_laboratory"
    case_report = "case_report"
    case_series = "case_series"
    cross_sectional = "cross_sectional"
    case_control = "case_control"
    cohort = "cohort"
    open_label_trial = "open_label_trial"
    nonrandomized_controlled_trial = "nonrandomized_controlled_trial"
    rct = "rct"
    systematic_review = "systematic_review"
    meta_analysis = "meta_analysis"
    narrative_review = "narrative_review"
    guideline = "guideline"
    regulatory = "regulatory"
    other = "other"


RobTool = Literal["RoB 2", "ROBINS-I (signals)"]
DesignRole = Literal["primary", "preclinical", "synthesis", "not_a_study", "regulatory"]

# Evidence levels, in the order reports list them. Syntheses come first but are kept apart:
# they summarise primary studies that are already counted, so they never vote.
LEVEL_ORDER: tuple[str, ...] = (
    "systematic reviews and meta-analyses",
    "randomised controlled trials",
    "non-randomised controlled trials",
    "open-label / single-arm trials",
    "observational studies",
    "case reports and series",
    "human laboratory studies",
    "animal and in-vitro studies",
    "narrative reviews and guidelines",
    "regulatory documents",
    "other",
)


@dataclass(frozen=True)
class DesignFacts:
    """What a study design means to every stage: one row per Design in DESIGN_FACTS.

    A stage asks the row (is it randomised? controlled? which risk-of-bias tool?) instead of
    listing designs, so a new design label is decided here once and cannot fall through a
    stage's list unnoticed.
    """

    # The evidence level it is counted under (one of LEVEL_ORDER).
    level: str
    # primary: a clinical study of patients; preclinical: animal, cell or human-laboratory
    # work; synthesis: a review that pools primary studies; not_a_study: narrative reviews,
    # guidelines, comments; regulatory: a regulator's document (facts about approval).
    role: DesignRole
    # True: randomised by definition; False: never randomised; None: either, or not applicable.
    randomised: bool | None
    # A concurrent control arm whose contrast can be pooled as an effect size.
    controlled: bool
    # Every participant gets the drug: no comparison group.
    single_arm: bool
    # Nobody assigns the treatment: patients are observed as treated (cohort, case studies).
    observational: bool
    # A primary clinical design that is not randomised: the verdict contrasts these "weaker
    # designs" with blinded randomised trials.
    weaker: bool
    # Enrols a defined population and follows it on treatment, so its inclusion and exclusion
    # criteria say to whom its result applies (patient-profile applicability).
    enrols_population: bool
    # The risk-of-bias tool its judgements follow.
    rob_tool: RobTool
    # The label of the classifier's evaluation set (NLM indexing rules, shared/records/README.md)
    # this design is scored against.
    evaluation_label: str

    @property
    def rank(self) -> int:
        """Position of the evidence level in LEVEL_ORDER (0 is listed first)."""
        return LEVEL_ORDER.index(self.level)

    @property
    def is_study(self) -> bool:
        """A study of patients, animals or cells, whose sample size means something."""
        return self.role in ("primary", "preclinical")


def _facts(level: str, role: DesignRole, evaluation_label: str, *, randomised: bool | None = None,
           controlled: bool = False, single_arm: bool = False, observational: bool = False,
           weaker: bool = False, enrols_population: bool = False,
           rob_tool: RobTool = "ROBINS-I (signals)") -> DesignFacts:
    return DesignFacts(level, role, randomised, controlled, single_arm, observational, weaker,
                       enrols_population, rob_tool, evaluation_label)


_OBSERVATIONAL = "observational studies"
_CASES = "case reports and series"
_PRECLINICAL = "animal and in-vitro studies"
_SYNTHESIS = "systematic reviews and meta-analyses"
_NARRATIVE = "narrative reviews and guidelines"

DESIGN_FACTS: Mapping[Design, DesignFacts] = MappingProxyType({
    Design.rct: _facts(
        "randomised controlled trials", "primary", "rct", randomised=True, controlled=True,
        enrols_population=True, rob_tool="RoB 2"),
    Design.nonrandomized_controlled_trial: _facts(
        "non-randomised controlled trials", "primary", "non_randomised_controlled_trial",
        randomised=False, controlled=True, weaker=True, enrols_population=True),
    Design.open_label_trial: _facts(
        "open-label / single-arm trials", "primary", "clinical_trial_unspecified",
        randomised=False, single_arm=True, weaker=True, enrols_population=True),
    Design.cohort: _facts(
        _OBSERVATIONAL, "primary", "observational", randomised=False, observational=True,
        weaker=True, enrols_population=True),
    Design.case_control: _facts(
        _OBSERVATIONAL, "primary", "observational", randomised=False, observational=True,
        weaker=True),
    Design.cross_sectional: _facts(
        _OBSERVATIONAL, "primary", "observational", randomised=False, observational=True,
        weaker=True),
    # NLM tags small series Case Reports, so both score against case_report.
    Design.case_series: _facts(
        _CASES, "primary", "case_report", randomised=False, single_arm=True, observational=True,
        weaker=True),
    Design.case_report: _facts(
        _CASES, "primary", "case_report", randomised=False, single_arm=True, observational=True,
        weaker=True),
    Design.human_laboratory: _facts(
        "human laboratory studies", "preclinical", "clinical_trial_unspecified"),
    Design.animal: _facts(_PRECLINICAL, "preclinical", "animal_study"),
    Design.in_vitro: _facts(_PRECLINICAL, "preclinical", "animal_study"),
    Design.systematic_review: _facts(_SYNTHESIS, "synthesis", "systematic_review_meta_analysis"),
    Design.meta_analysis: _facts(_SYNTHESIS, "synthesis", "systematic_review_meta_analysis"),
    Design.narrative_review: _facts(_NARRATIVE, "not_a_study", "narrative_review"),
    Design.guideline: _facts(_NARRATIVE, "not_a_study", "non_primary_other"),
    Design.regulatory: _facts("regulatory documents", "regulatory", "non_primary_other"),
    Design.other: _facts("other", "not_a_study", "non_primary_other"),
})


def designs_where(test: Callable[[DesignFacts], bool]) -> frozenset[Design]:
    """The designs whose facts pass `test`, e.g. designs_where(lambda f: f.controlled)."""
    return frozenset(d for d, f in DESIGN_FACTS.items() if test(f))


# The names stages used before the table; derived from it, never restated.
EVIDENCE_LEVEL: Mapping[Design, str] = MappingProxyType(
    {d: f.level for d, f in DESIGN_FACTS.items()})
PRIMARY_CLINICAL = designs_where(lambda f: f.role == "primary")
SYNTHESES = designs_where(lambda f: f.role == "synthesis")
PRECLINICAL = designs_where(lambda f: f.role == "preclinical")
RANDOMISED = designs_where(lambda f: f.randomised is True)
CONTROLLED = designs_where(lambda f: f.controlled)
WEAKER_DESIGNS = designs_where(lambda f: f.weaker)


class Blinding(StrEnum):
    none = "none"
    single = "single"
    double = "double"
    unknown = "unknown"


class Comparator(StrEnum):
    placebo = "placebo"
    active = "active"
    none = "none"
    usual_care = "usual_care"
    unknown = "unknown"


class Direction(StrEnum):
    favours_drug = "favours_drug"
    no_difference = "no_difference"
    favours_control = "favours_control"
    mixed = "mixed"
    unclear = "unclear"


class OutcomeKind(StrEnum):
    relapse = "relapse"
    abstinence = "abstinence"
    heavy_drinking = "heavy_drinking"
    consumption = "consumption"
    craving = "craving"
    positive_urine_tests = "positive_urine_tests"
    withdrawal = "withdrawal"
    retention = "retention"
    adverse_events = "adverse_events"
    spasticity_score = "spasticity_score"
    other = "other"


# Outcomes that decide whether a drug works for a use disorder or spasticity, the most
# important to patients first: GRADE rates certainty per outcome, and a verdict's certainty
# follows the most important (critical) outcome, not the best one. Comparisons of drugs pick
# their common outcome in the same order.
EFFICACY_KINDS: tuple[OutcomeKind, ...] = (
    OutcomeKind.relapse,
    OutcomeKind.abstinence,
    OutcomeKind.heavy_drinking,
    OutcomeKind.consumption,
    OutcomeKind.positive_urine_tests,
    OutcomeKind.withdrawal,
    OutcomeKind.spasticity_score,
)
# Reported, but surrogate or process outcomes: they stand in for the outcomes above.
SURROGATE_KINDS: frozenset[OutcomeKind] = frozenset({OutcomeKind.craving, OutcomeKind.retention})


def importance(kind: str) -> int:
    """Rank of an outcome kind in EFFICACY_KINDS (0 most important); others rank last."""
    return next((i for i, k in enumerate(EFFICACY_KINDS) if k == kind), len(EFFICACY_KINDS))


# Effect measures reported and pooled on the log scale, with no effect at 1.
RATIO_MEASURES: frozenset[str] = frozenset({"RR", "OR", "HR"})


class Tristate(StrEnum):
    """Whether a trial's population had a characteristic: all/some enrolled, excluded, unknown."""

    all = "all"
    some = "some"
    excluded = "excluded"
    none = "none"
    unknown = "unknown"


class Source(BaseModel):
    """Where a fact was read. At least one identifier and the passage are required."""

    model_config = ConfigDict(extra="forbid")

    pmid: str | None = None
    doi: str | None = None
    url: str | None = None
    nct: str | None = None
    where: str = Field(min_length=3, description="Where in the paper/page: e.g. 'Abstract, Results'.")
    quote: str | None = None
    # A secondary page where the passage was read; never the source of record (source_policy.py).
    read_at: str | None = None
    # "secondary": no primary copy could be read, so the fact stands on read_at alone.
    verified: Literal["primary", "secondary"] = "primary"

    @field_validator("pmid", mode="before")
    @classmethod
    def _pmid_str(cls, v: object) -> object:
        if isinstance(v, int):
            return str(v)
        return v

    @field_validator("pmid")
    @classmethod
    def _pmid_digits(cls, v: str | None) -> str | None:
        if v is not None and not v.isdigit():
            raise ValueError(f"PMID must be digits, got {v!r}")
        return v

    @model_validator(mode="after")
    def _has_identifier(self) -> Source:
        if not (self.pmid or self.doi or self.url or self.nct
                or (self.read_at and self.verified == "secondary")):
            raise ValueError("a source needs a pmid, doi, nct or url")
        return self

    def label(self) -> str:
        if self.pmid:
            return f"PMID {self.pmid}"
        if self.doi:
            return f"doi:{self.doi}"
        if self.nct:
            return self.nct
        # A secondary-only source is named by the page it was read on (never linked as the record).
        return self.url or self.read_at or "?"

    def link(self) -> str | None:
        """The canonical record (PubMed, doi.org, the registry) before the page it was read on."""
        if self.pmid:
            return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/"
        if self.doi:
            return f"https://doi.org/{self.doi}"
        if self.nct:
            return f"https://clinicaltrials.gov/study/{self.nct}"
        return self.url


# --- plausibility bounds (docs/evidence-schema.md, "Validation"): a number outside them is a
# typo or a unit slip, and would silently weigh in a pooled estimate.

SCHEMA_VERSIONS: frozenset[int] = frozenset({1})
# No trial or cohort in this field comes near ten million people; a count above it is a typo.
MAX_COUNT = 10_000_000
FIRST_YEAR = 1900


def _known_conditions(ids: list[str]) -> list[str]:
    for cid in ids:
        if cid not in CONDITION_IDS:
            near = difflib.get_close_matches(cid, sorted(CONDITION_IDS), n=1)
            hint = f"; did you mean {near[0]}?" if near else ""
            raise ValueError(f"unknown condition id {cid!r} (bound: one of the vocabulary's "
                             f"{len(CONDITION_IDS)} condition ids{hint})")
    return ids


def _count(v: int | None) -> int | None:
    if v is not None and v > MAX_COUNT:
        raise ValueError(f"above the plausible bound of {MAX_COUNT:,} people")
    return v


def _past_year(v: int | None) -> int | None:
    this_year = datetime.date.today().year
    if v is not None and not FIRST_YEAR <= v <= this_year:
        raise ValueError(f"outside the plausible bound {FIRST_YEAR}-{this_year} "
                         f"(not before {FIRST_YEAR}, not in the future)")
    return v


class Arm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    drug: str | None = None  # None for placebo / no-drug arms
    dose_mg_per_day: float | None = Field(default=None, ge=0)
    dose_note: str | None = None  # e.g. "flexible, titrated to 300 mg/day"
    n: int | None = Field(default=None, ge=0)

    _plausible_n = field_validator("n")(_count)


# --- effects ---------------------------------------------------------------------------


class BinaryEffect(BaseModel):
    """A 2x2 table: events / totals in the drug arm and in the control arm."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["binary"]
    events_drug: int = Field(ge=0)
    total_drug: int = Field(gt=0)
    events_control: int = Field(ge=0)
    total_control: int = Field(gt=0)

    _plausible_totals = field_validator("total_drug", "total_control")(_count)

    @model_validator(mode="after")
    def _events_le_total(self) -> BinaryEffect:
        if self.events_drug > self.total_drug:
            raise ValueError(f"events_drug {self.events_drug} > total_drug {self.total_drug}")
        if self.events_control > self.total_control:
            raise ValueError(
                f"events_control {self.events_control} > total_control {self.total_control}"
            )
        return self


class ContinuousEffect(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["continuous"]
    mean_drug: float
    sd_drug: float = Field(gt=0)
    n_drug: int = Field(gt=1)
    mean_control: float
    sd_control: float = Field(gt=0)
    n_control: int = Field(gt=1)

    _plausible_n = field_validator("n_drug", "n_control")(_count)


class ReportedEffect(BaseModel):
    """A ratio or difference reported with its confidence interval (e.g. 'OR 6.3 (2.4-16.1)')."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["reported"]
    measure: Literal["OR", "RR", "HR", "MD", "SMD", "RD"]
    estimate: float
    ci_lb: float
    ci_ub: float
    ci_level: float = Field(default=0.95, gt=0, lt=1)
    n_drug: int | None = Field(default=None, ge=0)
    n_control: int | None = Field(default=None, ge=0)
    # The control arm's risk when the passage gives it (e.g. "placebo: 10.5%"): an odds ratio is
    # then converted to a risk ratio at the study's own risk, not at the pool's.
    control_risk: float | None = Field(default=None, gt=0, lt=1)

    _plausible_n = field_validator("n_drug", "n_control")(_count)

    @model_validator(mode="after")
    def _ci_order(self) -> ReportedEffect:
        if not (self.ci_lb <= self.estimate <= self.ci_ub):
            raise ValueError(
                f"estimate {self.estimate} lies outside its CI [{self.ci_lb}, {self.ci_ub}]"
            )
        if self.measure in RATIO_MEASURES and self.ci_lb <= 0:
            raise ValueError(f"{self.measure} CI bounds must be > 0, got {self.ci_lb}")
        return self


class SingleArmEffect(BaseModel):
    """An uncontrolled result: a proportion (e.g. abstinent at 12 months) or a pre/post change."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["single_arm"]
    events: int | None = Field(default=None, ge=0)
    total: int | None = Field(default=None, gt=0)
    description: str | None = None

    _plausible_total = field_validator("total")(_count)

    @model_validator(mode="after")
    def _events_le_total(self) -> SingleArmEffect:
        if self.events is not None and self.total is not None and self.events > self.total:
            raise ValueError(f"events {self.events} > total {self.total}")
        return self


Effect = Annotated[
    BinaryEffect | ContinuousEffect | ReportedEffect | SingleArmEffect,
    Field(discriminator="type"),
]


class Outcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    kind: OutcomeKind
    timepoint: str | None = None  # e.g. "12 weeks", "2 years"
    # Whether a larger value / more events means a better result (abstinence yes, relapse no).
    higher_is_better: bool | None = None
    effect: Effect | None = None
    direction: Direction = Direction.unclear
    primary: bool = False
    # GRADE certainty as a review reported it (reviews' pooled outcomes only).
    certainty: Literal["high", "moderate", "low", "very_low"] | None = None
    # Studies a review pooled for THIS outcome (its summary-of-findings row), usually fewer than
    # the review included; for a network estimate, the studies that compare these two
    # treatments directly. None: not read, and never filled in with the review's total.
    k_studies: int | None = Field(default=None, ge=0)
    # A network meta-analysis estimate borrows from every trial in the network, so the review's
    # k is the network's size and never stands for this comparison (shown as unknown instead).
    network: bool = False
    note: str | None = None
    source: Source | None = None

    @model_validator(mode="after")
    def _effect_has_source(self) -> Outcome:
        if self.effect is not None and self.source is None:
            raise ValueError("an outcome with numbers needs its own source (where the numbers are)")
        if self.k_studies is not None and self.source is None:
            raise ValueError("an outcome's k_studies needs its own source (where the count was read)")
        if self.effect is not None and self.higher_is_better is None:
            raise ValueError("an outcome with numbers needs higher_is_better")
        return self


class Subgroup(BaseModel):
    """A moderator signal reported by a study (subgroup or secondary analysis)."""

    model_config = ConfigDict(extra="forbid")

    moderator: str  # e.g. "comorbid_psychiatric_disorder", "dose", "liver_disease"
    finding: str
    direction: Literal["stronger", "weaker", "no_difference", "unclear"] = "unclear"
    source: Source


# AMSTAR 2 / ROBIS signals of a systematic review's conduct (appraise/rob.py): a review is
# appraised as a review, from how it was done, never by a primary-study tool.
ReviewSignalName = Literal[
    "protocol", "comprehensive_search", "risk_of_bias_assessed", "appropriate_synthesis",
    "publication_bias_assessed",
]
REVIEW_SIGNALS: tuple[ReviewSignalName, ...] = (
    "protocol", "comprehensive_search", "risk_of_bias_assessed", "appropriate_synthesis",
    "publication_bias_assessed",
)


class ReviewSignal(BaseModel):
    """One review-level signal as read in the review: met or not, and where it was read."""

    model_config = ConfigDict(extra="forbid")

    met: bool
    note: str | None = None
    source: Source


class Study(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    first_author: str | None = None
    year: int | None = None
    title: str | None = None
    journal: str | None = None
    pmid: str | None = None
    doi: str | None = None
    nct: str | None = None
    drug: str | None = None  # defaults to the file's drug
    conditions: list[str] = Field(min_length=1)
    design: Design
    randomised: bool | None = None
    blinding: Blinding = Blinding.unknown
    comparator: Comparator = Comparator.unknown
    comparator_detail: str | None = None
    species: str = "human"
    n: int | None = Field(default=None, ge=0)
    k_studies: int | None = Field(default=None, ge=0)  # for reviews / meta-analyses
    country: str | None = None
    duration_weeks: float | None = Field(default=None, ge=0)
    arms: list[Arm] = Field(default_factory=list)
    population: str | None = None
    # Study-level covariates used as moderators and for applicability (e.g.
    # liver_disease: all, comorbid_psychiatric_disorder: excluded, detoxified: all).
    covariates: dict[str, Tristate] = Field(default_factory=dict)
    max_dose_mg_per_day: float | None = Field(default=None, ge=0)
    dropout_rate: float | None = Field(default=None, ge=0, le=1)
    setting: str | None = None
    purpose: str | None = None  # e.g. "maintenance", "withdrawal management"
    outcomes: list[Outcome] = Field(default_factory=list)
    subgroups: list[Subgroup] = Field(default_factory=list)
    direction: Direction = Direction.unclear
    conclusion: str | None = None
    risk_of_bias: dict[str, str] = Field(default_factory=dict)
    # Systematic reviews only: AMSTAR 2 / ROBIS signals read in the review; a signal not
    # curated is unknown (the review's risk of bias is then unclear, never low).
    review_signals: dict[ReviewSignalName, ReviewSignal] = Field(default_factory=dict)
    sources: list[Source] = Field(min_length=1)

    @field_validator("pmid", mode="before")
    @classmethod
    def _pmid_str(cls, v: object) -> object:
        return str(v) if isinstance(v, int) else v

    _plausible_year = field_validator("year")(_past_year)
    _plausible_n = field_validator("n")(_count)
    _known_conditions = field_validator("conditions")(_known_conditions)

    @field_validator("arms")
    @classmethod
    def _arms_within_n(cls, arms: list[Arm], info: ValidationInfo) -> list[Arm]:
        n = info.data.get("n")
        for arm in arms:
            if n is not None and arm.n is not None and arm.n > n:
                raise ValueError(f"arm {arm.name!r} has n {arm.n}, above the study's n {n} "
                                 f"(bound: an arm is at most its study)")
        return arms

    @model_validator(mode="after")
    def _consistent(self) -> Study:
        if DESIGN_FACTS[self.design].randomised is True and self.randomised is False:
            raise ValueError(f"design {self.design.value} but randomised: false")
        return self

    @property
    def label(self) -> str:
        who = self.first_author or self.id
        return f"{who} {self.year}" if self.year else who


class Approval(BaseModel):
    model_config = ConfigDict(extra="forbid")

    region: str  # "US", "France", "EU"
    agency: str | None = None
    indication: str
    conditions: list[str] = Field(default_factory=list)
    status: Literal[
        "approved", "not_approved", "temporary_authorisation", "withdrawn", "unknown"
    ]
    year: int | None = None
    forms: list[str] = Field(default_factory=list)
    note: str | None = None
    # The approval's conditions as structured facts (also in the indication's words), so the
    # verdict can name them and check the trials' doses against them (issue 16 rule 8).
    line_of_therapy: str | None = None  # e.g. "after failure of other treatments"
    max_dose_mg_per_day: float | None = Field(default=None, gt=0)
    sources: list[Source] = Field(min_length=1)

    _plausible_year = field_validator("year")(_past_year)
    _known_conditions = field_validator("conditions")(_known_conditions)


# The kinds of harm a question's harms section shows (appraise/harms.py), in its order.
HarmKind = Literal["boxed_warning", "label_warning", "interaction", "withdrawal", "overdose",
                   "safety_signal", "adverse_events"]


class HarmFact(BaseModel):
    """A harm of the drug read in a label, a regulator's notice or a study: shown in the harms
    section of each question it concerns, never counted as an efficacy finding."""

    model_config = ConfigDict(extra="forbid")

    kind: HarmKind
    finding: str
    # Condition ids it concerns; empty: every use of the drug.
    conditions: list[str] = Field(default_factory=list)
    studies: list[str] = Field(default_factory=list)  # ids of curated studies it rests on
    sources: list[Source] = Field(min_length=1)

    _known_conditions = field_validator("conditions")(_known_conditions)


class DrugProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_\-]+$")
    name: str
    synonyms: list[str] = Field(default_factory=list)
    brand_names: list[str] = Field(default_factory=list)
    drug_class: str | None = None
    mechanism: str | None = None
    forms: list[str] = Field(default_factory=list)
    boxed_warning: str | None = None
    approvals: list[Approval] = Field(default_factory=list)
    harms: list[HarmFact] = Field(default_factory=list)
    sources: list[Source] = Field(min_length=1)


class EvidenceFile(BaseModel):
    """One YAML evidence file: a drug profile and its studies."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = 1
    example: bool = False  # True marks made-up data that must never be shown as evidence
    drug: DrugProfile
    studies: list[Study] = Field(default_factory=list)
    notes: str | None = None

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, v: int) -> int:
        if v not in SCHEMA_VERSIONS:
            raise ValueError(f"unknown schema version {v} (known: "
                             f"{', '.join(map(str, sorted(SCHEMA_VERSIONS)))})")
        return v


# --- questions and answers (plain dataclasses: built by code, not read from files) -----


@dataclass(frozen=True)
class Condition:
    id: str  # e.g. "alcohol_use_disorder"
    name: str
    mesh_id: str | None = None
    synonyms: tuple[str, ...] = ()
    parent: str | None = None  # e.g. cocaine_use_disorder -> stimulant_use_disorder
    related: tuple[str, ...] = ()  # separate questions worth a pointer (e.g. withdrawal)


@dataclass(frozen=True)
class Drug:
    id: str
    name: str
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Question:
    drug: Drug
    condition: Condition | None  # None: overview of every condition covered


@dataclass(slots=True)  # not frozen: a frozen __init__ costs 4x, per heading of 37M records
class MeshTerm:
    """A MeSH heading of a MEDLINE record: its descriptor (UI, name), whether it is a major
    topic (the descriptor or any of its qualifiers starred), and its qualifiers' names."""

    ui: str
    name: str
    major: bool = False
    qualifiers: tuple[str, ...] = ()


@dataclass(slots=True)
class Substance:
    """A ChemicalList entry: the substance's MeSH UI, name and registry number ("0" if none)."""

    ui: str
    name: str
    registry: str = ""


@dataclass(slots=True)
class Concept:
    """A supplementary concept (SupplMeshName): UI, name and type ("Disease", "Protocol", ...)."""

    ui: str
    name: str
    type: str = ""


@dataclass
class Record:
    """A bibliographic record as a reader yields it (PubMed, RIS, registry, ...)."""

    source: str  # "pubmed", "medline", "ris", "csv", "ctgov", "europepmc"
    pmid: str | None = None
    doi: str | None = None
    nct: str | None = None
    pmcid: str | None = None
    title: str = ""
    abstract: str = ""
    abstract_sections: list[tuple[str, str]] = field(default_factory=list)
    journal: str | None = None
    year: int | None = None
    authors: list[str] = field(default_factory=list)
    publication_types: list[str] = field(default_factory=list)
    mesh: list[str] = field(default_factory=list)
    mesh_qualifiers: dict[str, list[str]] = field(default_factory=dict)
    chemicals: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    language: str | None = None
    extra: dict[str, object] = field(default_factory=dict)  # e.g. registry design fields
    # MEDLINE's coded lists, filled only when asked for (the PubMed XML reader's `detail`)
    mesh_terms: list[MeshTerm] = field(default_factory=list)
    substances: list[Substance] = field(default_factory=list)
    concepts: list[Concept] = field(default_factory=list)
    version: int = 1  # the PMID's Version attribute
    deleted: bool = False  # a <DeleteCitation> PMID: only `pmid` (and `version`) are set

    @property
    def key(self) -> str:
        for prefix, value in (("pmid", self.pmid), ("doi", self.doi), ("nct", self.nct)):
            if value:
                return f"{prefix}:{value.lower()}"
        return f"title:{' '.join(self.title.lower().split())}:{self.year}"


@dataclass
class Classification:
    """What the design classifier decided for a record, with the evidence for each field."""

    design: Design
    randomised: bool | None = None
    blinding: Blinding = Blinding.unknown
    comparator: Comparator = Comparator.unknown
    species: str | None = None
    n: int | None = None
    direction: Direction = Direction.unclear
    evidence: dict[str, str] = field(default_factory=dict)  # field -> phrase / PT that decided it


VerdictLabel = Literal[
    "approved", "supported", "promising", "conflicting", "not_supported", "insufficient"
]
OutcomeVerdictLabel = Literal["benefit", "no_clear_effect", "harm", "insufficient"]
Certainty = Literal["high", "moderate", "low", "very_low"]
# GRADE's four levels, lowest first: a level's index is its rank.
CERTAINTY_ORDER: tuple[Certainty, ...] = ("very_low", "low", "moderate", "high")


@dataclass
class Verdict:
    label: VerdictLabel
    certainty: Certainty | None
    summary: str
    reasons: list[str] = field(default_factory=list)
    evidence: VerdictLabel | None = None  # what the evidence says, whatever the approval status


# --- names: how a name someone typed is compared with a known one (conditions, drugs) -----

# Words whose final "s" is not a plural ("cannabis", "sclerosis", "illness").
_NOT_PLURAL = ("ss", "us", "is")


def _fold_word(word: str) -> str:
    """A word's simple plural made singular, then a final silent "e" dropped, so that the
    French and English spellings of a name meet ("baclofène", "héroïne")."""
    if len(word) > 3 and word.endswith("s") and not word.endswith(_NOT_PLURAL):
        word = word[:-3] + "y" if word.endswith("ies") and len(word) > 4 else word[:-1]
    if len(word) > 4 and word.endswith("e") and not word.endswith("ee"):
        word = word[:-1]
    return word


def name_key(text: str) -> str:
    """The form two names are compared in: Unicode compatibility forms and curly quotes folded
    (NFKC), accents and other diacritics stripped (NFKD, combining marks dropped: "baclofène"
    is baclofen), case folded, hyphens, punctuation and runs of spaces made one space, and each
    word's simple plural made singular ("AUDs", "Alcohol Use Disorders") and its final silent
    "e" dropped ("baclofène")."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(ch))
    text = text.casefold().replace("’", "'").replace("'s", "")
    words = re.sub(r"[^a-z0-9+]+", " ", text).split()
    return " ".join(_fold_word(w) for w in words)


# --- the conditions offlabel knows: one table, read by the vocabulary (synonyms, resolution) and
# by the evidence validators (a condition id that is not here is a typo that would silently drop
# a study from its question).

CONDITIONS: tuple[Condition, ...] = (
    Condition(
        "alcohol_use_disorder",
        "alcohol use disorder",
        mesh_id="D000437",  # Alcoholism
        synonyms=(
            "alcohol use disorder", "aud", "alcohol dependence", "alcoholism", "alcohol addiction",
            "alcohol abuse", "alcohol", "alcohol-related disorders", "problem drinking",
            "heavy drinking", "alcohol dependent", "alcohol misuse",
        ),
        parent="substance_use_disorder",
        related=("alcohol_withdrawal",),
    ),
    Condition(
        "alcohol_withdrawal",
        "alcohol withdrawal syndrome",
        mesh_id="D000430",  # Alcohol Withdrawal Delirium (closest descriptor)
        synonyms=(
            "alcohol withdrawal", "alcohol withdrawal syndrome", "aws", "delirium tremens",
            "alcohol detoxification", "alcohol detox",
        ),
        # A separate question (withdrawal management), not a subtype of the disorder.
        parent=None,
    ),
    Condition(
        "stimulant_use_disorder",
        "stimulant use disorder",
        mesh_id="D019969",  # Amphetamine-Related Disorders; cocaine listed separately below
        synonyms=(
            "stimulant use disorder", "stimulant dependence", "stimulant addiction",
            "stimulant abuse", "psychostimulant use disorder", "stimulants",
            "amphetamine use disorder", "amphetamine dependence", "amphetamine addiction",
        ),
        parent="substance_use_disorder",
    ),
    Condition(
        "cocaine_use_disorder",
        "cocaine use disorder",
        mesh_id="D019970",  # Cocaine-Related Disorders
        synonyms=(
            "cocaine use disorder", "cocaine dependence", "cocaine addiction", "cocaine abuse",
            "cocaine", "crack cocaine", "crack", "cocaine-related disorders",
        ),
        parent="stimulant_use_disorder",
    ),
    Condition(
        "methamphetamine_use_disorder",
        "methamphetamine use disorder",
        mesh_id="D019969",
        synonyms=(
            "methamphetamine use disorder", "methamphetamine dependence",
            "methamphetamine addiction", "methamphetamine abuse", "methamphetamine", "meth",
            "crystal meth", "metamfetamine", "ice",
        ),
        parent="stimulant_use_disorder",
    ),
    Condition(
        "opioid_use_disorder",
        "opioid use disorder",
        mesh_id="D009293",  # Opioid-Related Disorders
        synonyms=(
            "opioid use disorder", "oud", "opioid dependence", "opioid addiction", "opioid abuse",
            "opiate use disorder", "opiate dependence", "opiate addiction", "opiate abuse",
            "opioids", "opiates", "opioid", "opiate", "heroin", "heroin addiction",
            "heroin dependence", "narcotic addiction",
        ),
        parent="substance_use_disorder",
        related=("opioid_withdrawal",),
    ),
    Condition(
        "opioid_withdrawal",
        "opioid withdrawal",
        mesh_id="D013375",  # Substance Withdrawal Syndrome
        synonyms=(
            "opioid withdrawal", "opiate withdrawal", "opioid detoxification",
            "opiate detoxification", "heroin withdrawal",
        ),
        parent=None,
    ),
    Condition(
        "nicotine_dependence",
        "nicotine dependence",
        mesh_id="D014029",  # Tobacco Use Disorder
        synonyms=(
            "nicotine dependence", "nicotine addiction", "tobacco use disorder",
            "tobacco dependence", "smoking", "smoking cessation", "nicotine", "tobacco",
            "cigarette smoking",
        ),
        parent="substance_use_disorder",
    ),
    Condition(
        "cannabis_use_disorder",
        "cannabis use disorder",
        mesh_id="D002189",  # Marijuana Abuse
        synonyms=(
            "cannabis use disorder", "cannabis dependence", "cannabis addiction", "cannabis",
            "marijuana", "marijuana abuse", "marijuana dependence", "cannabis withdrawal",
        ),
        parent="substance_use_disorder",
    ),
    Condition(
        "ghb_use_disorder",
        "GHB use disorder",
        mesh_id="D012978",  # Sodium Oxybate (no disorder descriptor exists for GHB)
        synonyms=(
            "ghb use disorder", "ghb", "ghb dependence", "ghb addiction", "ghb withdrawal",
            "gamma-hydroxybutyrate", "gamma hydroxybutyrate", "gamma-hydroxybutyric acid",
            "gbl", "sodium oxybate abuse",
        ),
        parent="substance_use_disorder",
    ),
    Condition(
        "spasticity",
        "spasticity",
        mesh_id="D009128",  # Muscle Spasticity
        synonyms=(
            "spasticity", "muscle spasticity", "spasm", "muscle spasm", "muscle spasms",
            "spasticity in multiple sclerosis", "ms spasticity", "spinal cord injury spasticity",
            "muscle rigidity", "clonus",
        ),
    ),
)

CONDITION_IDS: frozenset[str] = frozenset(c.id for c in CONDITIONS)
