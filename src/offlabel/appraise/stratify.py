"""Why studies disagree: effects by design, blinding, risk of bias, dose and population.

Studies report different outcomes on different scales. To compare strata, each controlled study
contributes one "benefit" effect on the standardised-mean-difference scale, signed so that a
positive value favours the drug: SMDs as reported, odds ratios converted with the logistic
approximation SMD = ln(OR) * sqrt(3) / pi (Chinn 2000; the conversion Cochrane's Handbook
gives, 10.6). Ratios that cannot be converted without baseline risks (RR, HR) and raw mean
differences are left out of these comparisons and counted.

Uncontrolled studies have no comparison to convert, so designs are also compared on what all
of them report: the direction of the main finding (Fisher's exact test) and, for abstinence,
the proportion of drug-treated patients who were abstinent (pooled logit proportions), which
shows how much of an uncontrolled "response" also occurs on placebo.

Every such contrast is between trials (issue 16, rule 3): no trial randomised its patients to
one group or the other, so it is observational and confounded by whatever else differs between
the trials (dose, population, outcome, era). It is made only with at least MIN_PER_GROUP trials
in each group; otherwise the report says "one trial: no comparison possible" and gives no test.
A group's effect sizes are pooled only from 2 trials up. Contrasts that put the same trials in
the same groups (dose and liver disease when the one high-dose trial is the one cirrhosis
trial) are one finding: it is reported once, as confounded with each other.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from offlabel.appraise.harms import efficacy_studies
from offlabel.appraise.results import (
    Comparison,
    ResponseRate,
    RiskOfBias,
    StratumPool,
    StudyEffect,
)
from offlabel.model import (
    CONTROLLED,
    EFFICACY_KINDS,
    PRECLINICAL,
    RANDOMISED,
    RATIO_MEASURES,
    SYNTHESES,
    WEAKER_DESIGNS,
    BinaryEffect,
    Blinding,
    Comparator,
    ContinuousEffect,
    Direction,
    OutcomeKind,
    ReportedEffect,
    SingleArmEffect,
    Study,
)

__all__ = ["BETWEEN_TRIALS", "COVARIATE_PEOPLE", "DOSE_GRADIENT_P", "DOSE_MIN_K", "LOGIT_TO_SMD",
           "MIN_PER_GROUP", "NO_COMPARISON", "Benefit", "covariate_groups", "design_groups", "fisher_exact_p",
           "merge_coinciding", "moderator_trials",
           "Comparison", "DoseSlope", "ResponseRate", "StratumPool", "abstinence_rates",
           "benefit", "design_comparisons", "dose_gradient", "dose_response",
           "moderator_comparisons"]

LOGIT_TO_SMD = math.sqrt(3) / math.pi
# Trials each group of a between-trial comparison needs before it is compared (issue 16 rule 3).
MIN_PER_GROUP = 2
NO_COMPARISON = "One trial: no comparison possible"
BETWEEN_TRIALS = ("Between-trial comparison: observational, confounded by whatever else differs "
                  "between these trials.")
COVARIATE_PEOPLE = {
    "liver_disease": "patients with liver disease",
    "comorbid_psychiatric_disorder": "patients with a comorbid psychiatric disorder",
    "comorbid_depression": "patients with comorbid depression",
    "comorbid_anxiety": "patients with a comorbid anxiety disorder",
    "psychotropic_comedication": "patients taking other psychotropic drugs",
    "detoxified_before": "patients detoxified before treatment",
    "abstinence_goal": "patients with an abstinence goal",
    "heavy_drinking_severity": "patients with severe/heavy drinking",
    "treatment_resistant": "treatment-resistant patients",
}
@dataclass
class Benefit:
    study: Study
    value: float  # SMD scale, > 0 favours the drug
    var: float
    outcome: str
    conversion: str


def benefit(study: Study) -> Benefit | None:
    """The study's main efficacy comparison on the signed SMD scale, if convertible."""
    from offlabel.synthesis import escalc, from_ci

    if study.design not in CONTROLLED:
        return None
    if study.comparator is Comparator.active:
        return None  # head-to-head trials answer a different question
    outcomes = [o for o in study.outcomes if o.effect is not None and o.kind in EFFICACY_KINDS]
    outcomes.sort(key=lambda o: not o.primary)
    for o in outcomes:
        e = o.effect
        sign = 1 if o.higher_is_better else -1
        if isinstance(e, BinaryEffect):
            yi, vi = escalc("OR", ai=[e.events_drug], n1i=[e.total_drug],
                            ci=[e.events_control], n2i=[e.total_control])
            y, v, how = float(yi[0]) * LOGIT_TO_SMD, float(vi[0]) * LOGIT_TO_SMD**2, "OR->SMD"
        elif isinstance(e, ContinuousEffect):
            yi, vi = escalc("SMD", m1i=[e.mean_drug], sd1i=[e.sd_drug], n1i=[e.n_drug],
                            m2i=[e.mean_control], sd2i=[e.sd_control], n2i=[e.n_control])
            y, v, how = float(yi[0]), float(vi[0]), "SMD"
        elif isinstance(e, ReportedEffect) and e.measure in ("OR", "SMD"):
            yi, vi = from_ci(e.measure, e.estimate, e.ci_lb, e.ci_ub, level=e.ci_level)
            y, v = float(yi[0]), float(vi[0])
            how = "SMD"
            if e.measure == "OR":
                y, v, how = y * LOGIT_TO_SMD, v * LOGIT_TO_SMD**2, "OR->SMD"
        else:
            continue
        if v > 0 and math.isfinite(y):
            return Benefit(study, sign * y, v, o.name, how)
    return None


def _pool(label: str, xs: list[Benefit]) -> StratumPool | None:
    """A group's pooled SMD, from 2 trials up: one trial is never a pool (issue 16 rule 1)."""
    from offlabel.synthesis import rma

    if len(xs) < MIN_PER_GROUP:
        return None
    r = rma([b.value for b in xs], [b.var for b in xs], method="DL")
    return StratumPool(label, len(xs), r.estimate, r.ci_lb, r.ci_ub, [b.study.label for b in xs])


def _one_trial(b: Benefit) -> str:
    half = 1.959963984540054 * math.sqrt(b.var)
    return (f"one trial's SMD {b.value:+.2f} (95% CI {b.value - half:+.2f} to {b.value + half:+.2f}; "
            f"{b.study.label}), not a pool")


def _subgroup_test(groups: dict[str, list[Benefit]]) -> tuple[str | None, float | None]:
    """Mixed-effects subgroup test (metafor: rma(yi, vi, mods = ~ factor(g)), QM)."""
    from offlabel.synthesis import SynthesisError
    from offlabel.synthesis.metareg import metareg

    names = [g for g, xs in groups.items() if xs]
    if len(names) < 2 or any(len(groups[g]) < MIN_PER_GROUP for g in names):
        return None, None
    rows = [(b, i) for i, g in enumerate(names) for b in groups[g]]
    if len(rows) < len(names) + 1:
        return None, None
    mods = [[1.0 if i == j else 0.0 for j in range(1, len(names))] for _, i in rows]
    try:
        res = metareg([b.value for b, _ in rows], [b.var for b, _ in rows], mods, method="DL")
    except SynthesisError:
        return None, None
    return f"QM = {res.QM:.2f}, df = {res.QMdf[0]}, p = {res.QMp:.3f}", float(res.QMp)


def fisher_exact_p(table: list[list[int]]) -> float:
    """Two-sided p of Fisher's exact test for a 2x2 table of counts, as scipy.stats.fisher_exact
    gives it: the probability, under fixed margins, of every table no more likely than the one
    seen. Exact integer arithmetic, because importing scipy.stats costs `ask` half a second."""
    from math import comb

    (a, b), (c, d) = table
    row1, col1, total = a + b, a + c, a + b + c + d
    lo, hi = max(0, col1 - (total - row1)), min(row1, col1)

    def weight(x: int) -> int:  # hypergeometric probability times comb(total, col1)
        return comb(row1, x) * comb(total - row1, col1 - x)

    seen = weight(a)
    # scipy counts tables within a relative 1e-7 of the observed one as "as likely" (ties);
    # exact integers make ties exact, and the tolerance keeps its near-ties too.
    limit = seen * (1 + 1e-7)
    tail = sum(w for x in range(lo, hi + 1) if (w := weight(x)) <= limit)
    return min(1.0, tail / comb(total, col1))


def _direction_test(a: list[Study], b: list[Study]) -> tuple[str | None, float | None]:
    """Fisher's exact test: share of studies favouring the drug in two groups."""
    ia = [s for s in a if s.direction is not Direction.unclear]
    ib = [s for s in b if s.direction is not Direction.unclear]
    if len(ia) < MIN_PER_GROUP or len(ib) < MIN_PER_GROUP:
        return None, None
    pa = sum(s.direction is Direction.favours_drug for s in ia)
    pb = sum(s.direction is Direction.favours_drug for s in ib)
    p = fisher_exact_p([[pa, len(ia) - pa], [pb, len(ib) - pb]])
    return f"{pa}/{len(ia)} vs {pb}/{len(ib)} positive, Fisher exact p = {p:.3f}", float(p)


def _informative(xs: list[Study]) -> list[Study]:
    return [s for s in xs if s.direction is not Direction.unclear]


def _partition(groups: dict[str, list[Benefit]], studies: dict[str, list[Study]]
               ) -> tuple[frozenset[frozenset[str]], frozenset[frozenset[str]]]:
    """The groups as the tests see them (study ids): effect sizes, then directions."""
    return (frozenset(frozenset(b.study.id for b in groups.get(g, [])) for g in studies),
            frozenset(frozenset(s.id for s in _informative(xs)) for xs in studies.values()))


def _compare(name: str, groups: dict[str, list[Benefit]], studies: dict[str, list[Study]],
             describe: str, same_effects_as: str | None = None) -> Comparison:
    """One contrast between groups of trials; `same_effects_as` names an earlier contrast whose
    effect-size groups hold the same trials, whose test this one must not repeat."""
    g_names = list(studies)
    sizes = [len(_informative(studies[g])) for g in g_names]
    # Rule 3: fewer than 2 trials with a reported direction in a group: nothing to compare.
    comparable = len(g_names) >= 2 and min(sizes) >= MIN_PER_GROUP
    # Effect sizes already reported under a contrast with the same trials are not repeated.
    pools = {} if same_effects_as else {
        g: p for g, xs in groups.items() if (p := _pool(g, xs)) is not None}
    test, pval = (_subgroup_test(groups) if comparable and same_effects_as is None
                  else (None, None))
    dtest, dp = (None, None)
    if comparable and len(g_names) == 2:
        dtest, dp = _direction_test(studies[g_names[0]], studies[g_names[1]])
    parts = []
    for g in g_names:
        if not studies[g]:
            parts.append(f"{g}: none recorded")
            continue
        xs = _informative(studies[g])
        pos = sum(s.direction is Direction.favours_drug for s in xs)
        line = f"{g}: {pos} of {len(xs)} with a reported direction favour the drug"
        if len(xs) == 1:
            line += f" ({xs[0].label})"
        if g in pools:
            line += f", pooled {pools[g].text()}"
        elif len(groups.get(g, [])) == 1 and same_effects_as is None:
            line += f", {_one_trial(groups[g][0])}"
        parts.append(line)
    sentence = f"{describe} — " + "; ".join(parts) + "."
    if same_effects_as is not None:
        sentence += (f" Effect sizes: the same trials in the same groups as "
                     f"{same_effects_as[0].lower() + same_effects_as[1:]} (see there): confounded "
                     "with it, not a separate finding.")
    if not comparable:
        sentence += (" No trial with a reported direction in one group: no comparison possible;"
                     " no test." if min(sizes, default=0) == 0 else
                     f" {NO_COMPARISON} (a comparison between trials needs at least "
                     f"{MIN_PER_GROUP} in each group); no test.")
    else:
        if test:
            sentence += f" Test for subgroup differences on effect sizes: {test}."
        elif same_effects_as is None and any(groups.get(g) for g in g_names):
            sentence += (f" Effect sizes: fewer than {MIN_PER_GROUP} trials with a convertible "
                         "effect in a group, so no test on them.")
        if dtest:
            sentence += f" Direction of findings: {dtest}."
    sentence += f" {BETWEEN_TRIALS}"
    return Comparison(name, sentence, pools, test or dtest, pval if pval is not None else dp,
                      {g: [s.label for s in xs] for g, xs in studies.items()},
                      comparable=comparable, partition=_partition(groups, studies))


Spec = tuple[str, dict[str, list[Benefit]], dict[str, list[Study]], str]


def merge_coinciding(specs: list[Spec]) -> list[Comparison]:
    """Contrasts whose groups hold the same trials are one finding (issue 16 rule 3).

    The same trials in the same groups on effect sizes and on directions: the later contrast is
    not reported apart; the first names it as confounded with it. The same trials on effect sizes
    only (their direction counts differ): both stay, the later one without an effect-size test,
    which would repeat the first's, and each names the other as confounded.
    """
    out: list[Comparison] = []
    described: dict[str, str] = {}
    for name, groups, studies, describe in specs:
        part = _partition(groups, studies)
        twin = next((o for o in out if o.partition == part), None)
        if twin is not None:
            twin.confounded_with.append(name)
            twin.sentence += (f" Confounded with {describe[0].lower() + describe[1:]}: the same "
                              "trials fall in the same groups, so the two cannot be told apart "
                              "(reported once).")
            continue
        split = len(part[0]) >= 2 and all(part[0])
        es_twin = next((o for o in out if split and o.partition[0] == part[0]), None)
        c = _compare(name, groups, studies, describe,
                     same_effects_as=None if es_twin is None else described[es_twin.name])
        if es_twin is not None:
            es_twin.confounded_with.append(c.name)
            c.confounded_with.append(es_twin.name)
        described[c.name] = describe
        out.append(c)
    return out


def design_groups(studies: list[Study]) -> tuple[list[Study], list[Study]]:
    """Double-blind placebo/usual-care RCTs, and the open-label, non-randomised, observational
    and case studies set against them: the same two groups in the design comparison and the
    design agreement sentences (issue 16 rule 3: one set of counts)."""
    blinded = [s for s in studies if s.design in RANDOMISED and s.blinding is Blinding.double
               and s.comparator is not Comparator.active]
    weak = [s for s in studies if s.design in WEAKER_DESIGNS or
            (s.design in RANDOMISED and s.blinding in (Blinding.none, Blinding.single))]
    return blinded, weak


def design_comparisons(studies: list[Study], robs: dict[str, RiskOfBias]) -> list[Comparison]:
    studies = efficacy_studies(studies)  # a safety cohort is not a null open-label study
    primary = [s for s in studies if s.design not in SYNTHESES and s.design not in PRECLINICAL]
    bens = {s.id: b for s in primary if (b := benefit(s)) is not None}
    out: list[Comparison] = []
    blinded, weak = design_groups(primary)
    if blinded and weak:
        out.append(_compare(
            "design",
            {"double-blind RCTs": [bens[s.id] for s in blinded if s.id in bens],
             "open-label, non-randomised and observational": [bens[s.id] for s in weak if s.id in bens]},
            {"double-blind RCTs": blinded, "open-label, non-randomised and observational": weak},
            "Blinded RCTs vs open-label/observational studies",
        ))
    rcts = [s for s in primary if s.design in RANDOMISED]
    low = [s for s in rcts if robs[s.id].overall == "low"]
    other = [s for s in rcts if robs[s.id].overall != "low"]
    if rcts:
        c = _compare(
            "risk_of_bias",
            {"low risk of bias": [bens[s.id] for s in low if s.id in bens],
             "some concerns / high / unclear": [bens[s.id] for s in other if s.id in bens]},
            {"low risk of bias": low, "some concerns / high / unclear": other},
            "Sensitivity analysis restricted to RCTs at low risk of bias",
        )
        if not low:
            c.sentence = ("Sensitivity analysis: no RCT is at low risk of bias on every RoB 2 domain "
                          "(judged from the recorded fields), so a low-risk-only analysis is not possible.")
        out.append(c)
    return out


def moderator_trials(studies: list[Study]) -> list[Study]:
    """The trials every moderator count is taken from, in every section (issue 16 rule 3: one
    set of counts): randomised against placebo or usual care. Head-to-head trials answer "as
    good as the other drug?", a different question."""
    return [s for s in studies if s.design in RANDOMISED and s.comparator is not Comparator.active]


def covariate_groups(rcts: list[Study], cov: str) -> tuple[list[Study], list[Study]]:
    """Trials that enrolled patients with the covariate, and the others (excluded them or did
    not record it: mostly trials that excluded such patients or did not look)."""
    enrolled = [s for s in rcts if s.covariates.get(cov) and s.covariates[cov].value in ("all", "some")]
    return enrolled, [s for s in rcts if s not in enrolled]


def moderator_comparisons(studies: list[Study], dose_threshold: float | None = None) -> list[Comparison]:
    studies = efficacy_studies(studies)  # harms are never moderators of efficacy (harms.py)
    rcts = moderator_trials(studies)
    bens = {s.id: b for s in rcts if (b := benefit(s)) is not None}
    specs: list[Spec] = []
    dr: Comparison | None = None
    doses = sorted(s.max_dose_mg_per_day for s in rcts if s.max_dose_mg_per_day)
    if len(doses) >= 2 and doses[0] != doses[-1]:
        cut = dose_threshold or doses[(len(doses) - 1) // 2]  # lower median of trial doses
        hi = [s for s in rcts if s.max_dose_mg_per_day and s.max_dose_mg_per_day > cut]
        lo = [s for s in rcts if s.max_dose_mg_per_day and s.max_dose_mg_per_day <= cut]
        specs.append((
            "dose",
            {f"<= {cut:g} mg/day": [bens[s.id] for s in lo if s.id in bens],
             f"> {cut:g} mg/day": [bens[s.id] for s in hi if s.id in bens]},
            {f"<= {cut:g} mg/day": lo, f"> {cut:g} mg/day": hi},
            f"Dose (maximum daily dose in RCTs, split at the median {cut:g} mg/day)",
        ))
        dr = dose_response(rcts, bens)
    for cov in sorted({k for s in rcts for k in s.covariates}):
        enrolled, excluded = covariate_groups(rcts, cov)
        if not any(s.direction is not Direction.unclear for s in enrolled):
            continue
        who = COVARIATE_PEOPLE.get(cov, cov.replace("_", " "))
        specs.append((
            cov,
            {"trials enrolling them": [bens[s.id] for s in enrolled if s.id in bens],
             "other trials (excluded them or not recorded)": [bens[s.id] for s in excluded if s.id in bens]},
            {"trials enrolling them": enrolled,
             "other trials (excluded them or not recorded)": excluded},
            who[0].upper() + who[1:],
        ))
    out = merge_coinciding(specs)
    if dr:
        out.insert(1 if out and out[0].name == "dose" else 0, dr)
    return out


# Studies with a recorded dose a meta-regression on dose needs before it is tried.
DOSE_MIN_K = 5
# Two-sided p below which a dose gradient counts for GRADE's dose-response criterion.
DOSE_GRADIENT_P = 0.05


@dataclass
class DoseSlope:
    k: int
    slope: float  # change in the effect per 10 mg/day, on the effect's analysis scale
    ci_lb: float
    ci_ub: float
    pval: float
    R2: float | None


def _dose_slope(values: list[float], variances: list[float], doses: list[float]) -> DoseSlope | None:
    """REML meta-regression of effects on the maximum daily dose (per 10 mg/day), when at least
    DOSE_MIN_K studies recorded one; None when it cannot be fitted."""
    from offlabel.synthesis import SynthesisError
    from offlabel.synthesis.metareg import metareg

    if len(values) < DOSE_MIN_K:
        return None
    try:
        r = metareg(values, variances, [[d / 10.0] for d in doses], method="REML")
    except SynthesisError:
        return None
    return DoseSlope(len(values), float(r.estimate[1]), float(r.ci_lb[1]), float(r.ci_ub[1]),
                     float(r.pval[1]), r.R2)


def dose_response(rcts: list[Study], bens: dict[str, Benefit]) -> Comparison | None:
    """Meta-regression of the benefit on the maximum daily dose, when k allows (>= 5)."""
    xs = [(bens[s.id], s.max_dose_mg_per_day) for s in rcts
          if s.id in bens and s.max_dose_mg_per_day]
    r = _dose_slope([b.value for b, _ in xs], [b.var for b, _ in xs], [d for _, d in xs])
    if r is None:
        return None
    slope, lb, ub, p = r.slope, r.ci_lb, r.ci_ub, r.pval
    sentence = (f"Dose-response: meta-regression of the benefit (SMD) on maximum daily dose, "
                f"k = {len(xs)}: {slope:+.3f} SMD per 10 mg/day (95% CI {lb:+.3f} to {ub:+.3f}, "
                f"p = {p:.3f}; REML, R² = {r.R2 if r.R2 is not None else 0:.0f}%). {BETWEEN_TRIALS}")
    return Comparison("dose_response", sentence, test=f"slope p = {p:.3f}", pval=p,
                      studies={"trials": [b.study.label for b, _ in xs]})


def dose_gradient(effects: Sequence[StudyEffect], estimate: float) -> str | None:
    """GRADE's dose-response criterion for one pooled body of evidence: the reason to upgrade,
    or None.

    GRADE (Guyatt et al. 2011, GRADE guidelines 9) raises certainty for a dose-response
    gradient in non-randomised evidence: an effect that grows with the dose is harder to
    explain by confounding. Across studies it is read here as a REML meta-regression of the
    pooled studies' own effects on their maximum daily dose (at least DOSE_MIN_K studies with a
    recorded dose, two doses at least), with a slope that differs from zero (p <
    DOSE_GRADIENT_P) in the direction of the pooled effect, away from no effect. A slope
    pointing back to the null is no gradient. Whether it may upgrade (non-randomised evidence,
    no domain downgraded) is grade()'s rule, not this function's.
    """
    dosed = [(e, e.study.max_dose_mg_per_day) for e in effects if e.study.max_dose_mg_per_day]
    if len({d for _, d in dosed}) < 2 or estimate == 0:
        return None
    r = _dose_slope([e.yi for e, _ in dosed], [e.vi for e, _ in dosed], [d for _, d in dosed])
    if r is None or not r.pval < DOSE_GRADIENT_P or (r.slope > 0) != (estimate > 0):
        return None
    measure = dosed[0][0].measure
    scale = f"log {measure}" if measure in RATIO_MEASURES else measure
    return (f"the effect grows with the dose: meta-regression on maximum daily dose, k = {r.k}, "
            f"{r.slope:+.3f} {scale} per 10 mg/day (95% CI {r.ci_lb:+.3f} to {r.ci_ub:+.3f}, "
            f"p = {r.pval:.3f})")


def _inv_logit(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def abstinence_rates(studies: list[Study]) -> list[ResponseRate]:
    """Pooled share abstinent among drug-treated (by design) and placebo-treated patients."""
    from offlabel.synthesis import escalc, rma

    groups: dict[str, list[tuple[int, int, str]]] = {}
    for s in studies:
        for o in s.outcomes:
            if o.kind is not OutcomeKind.abstinence or o.effect is None:
                continue
            e = o.effect
            if isinstance(e, SingleArmEffect) and e.events is not None and e.total:
                groups.setdefault("drug, uncontrolled studies", []).append((e.events, e.total, s.label))
            elif (isinstance(e, BinaryEffect) and s.design in RANDOMISED
                  and s.comparator is not Comparator.active):
                key = "drug arms of blinded RCTs" if s.blinding is Blinding.double else "drug arms of open RCTs"
                groups.setdefault(key, []).append((e.events_drug, e.total_drug, s.label))
                groups.setdefault("placebo/control arms of RCTs", []).append(
                    (e.events_control, e.total_control, s.label))
            else:
                continue
            break  # one abstinence result per study
    out = []
    for g, rows in groups.items():
        yi, vi = escalc("PLO", xi=[r[0] for r in rows], ni=[r[1] for r in rows])
        r = rma(yi, vi, method="DL" if len(rows) > 1 else "FE")
        est, lb, ub = r.estimate, r.ci_lb, r.ci_ub
        out.append(ResponseRate(g, len(rows), sum(r[1] for r in rows), _inv_logit(est), _inv_logit(lb), _inv_logit(ub),
                                [r[2] for r in rows]))
    return out
