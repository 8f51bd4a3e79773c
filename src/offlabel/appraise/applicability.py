"""Patient-profile applicability: which trials enrolled people like this, which excluded them,
and which moderators point which way. Notes about the evidence, never advice.
"""

from __future__ import annotations

from pathlib import Path

from offlabel.appraise.harms import efficacy_studies, is_harm_subgroup
from offlabel.appraise.results import Comparison, Note
from offlabel.errors import ProfileError
from offlabel.model import Direction, Study, designs_where

__all__ = ["PROFILE_KEYS", "SUBGROUP_WORDS", "Note", "ProfileError", "applicability",
           "parse_profile"]

# profile key -> study covariates that describe the same people (first = closest).
PROFILE_KEYS: dict[str, tuple[str, ...]] = {
    "comorbid_psychiatric_disorder": ("comorbid_psychiatric_disorder", "comorbid_depression",
                                      "comorbid_anxiety"),
    "comorbid_depression": ("comorbid_depression", "comorbid_psychiatric_disorder"),
    "comorbid_anxiety": ("comorbid_anxiety", "comorbid_psychiatric_disorder"),
    "on_antidepressants": ("psychotropic_comedication",),
    "on_psychotropics": ("psychotropic_comedication",),
    "liver_disease": ("liver_disease",),
    "motivated_for_abstinence": ("abstinence_goal",),
    "detoxified": ("detoxified_before",),
    "severe_drinking": ("heavy_drinking_severity",),
    "treatment_resistant": ("treatment_resistant",),
    "max_tolerated_dose_mg": (),
}
# words that tie a study's reported subgroup finding to a profile key
SUBGROUP_WORDS: dict[str, tuple[str, ...]] = {
    "comorbid_psychiatric_disorder": ("psychiatr", "depress", "anxi", "mood"),
    "comorbid_depression": ("depress", "mood"),
    "comorbid_anxiety": ("anxi",),
    "on_antidepressants": ("antidepress", "psychotrop", "comedication", "co-medication"),
    "on_psychotropics": ("psychotrop", "benzodiazep", "antidepress", "antipsychot"),
    "liver_disease": ("liver", "cirrho", "hepat"),
    "motivated_for_abstinence": ("motivat", "abstinence goal", "goal"),
    "detoxified": ("detox",),
    "severe_drinking": ("severity", "heavy", "baseline drinking"),
    "treatment_resistant": ("resistant", "refractory"),
    "max_tolerated_dose_mg": ("dose",),
}
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}


# Studies whose enrolment criteria say to whom their result applies.
_ENROLLING = designs_where(lambda f: f.enrols_population)


def parse_profile(items: list[str]) -> dict[str, object]:
    """`key=value` items and/or YAML/JSON files of such keys, checked against PROFILE_KEYS."""
    import yaml

    raw: dict[str, object] = {}
    for item in items:
        if "=" in item:
            name, text = item.split("=", 1)
            raw[name.strip()] = text.strip()
            continue
        path = Path(item)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ProfileError(f"{item}: cannot read profile file: {exc.__class__.__name__}") from None
        if not isinstance(data, dict):
            raise ProfileError(f"{item}: a profile file must be a mapping of key: value")
        raw.update({str(k): v for k, v in data.items()})
    out: dict[str, object] = {}
    for k, v in raw.items():
        if k not in PROFILE_KEYS:
            raise ProfileError(f"profile key {k!r} is not known (known: {', '.join(PROFILE_KEYS)})")
        sv = str(v).strip().lower()
        if k == "max_tolerated_dose_mg":
            try:
                out[k] = float(sv)
            except ValueError:
                raise ProfileError(f"profile {k}: expected a number of mg/day, got {v!r}") from None
        elif isinstance(v, bool):
            out[k] = v
        elif sv in YES or sv in NO:
            out[k] = sv in YES
        else:
            raise ProfileError(f"profile {k}: expected yes or no, got {v!r}")
    return out


def _dirs(xs: list[Study]) -> str:
    known = [s for s in xs if s.direction is not Direction.unclear]
    pos = sum(s.direction is Direction.favours_drug for s in known)
    return f"{pos} of {len(known)} with a reported direction favour the drug"


def _names(xs: list[Study]) -> str:
    return ", ".join(f"{s.label} [{s.sources[0].label()}]" for s in xs)


def applicability(profile: dict[str, object], studies: list[Study],
                  comparisons: list[Comparison] | None = None) -> list[Note]:
    # A safety study's direction is about harm: never counted as a trial's efficacy result.
    trials = [s for s in efficacy_studies(studies) if s.design in _ENROLLING]
    notes: list[Note] = []
    for key, value in profile.items():
        if key == "max_tolerated_dose_mg":
            if isinstance(value, int | float):  # parse_profile made it a number
                notes.extend(_dose_notes(float(value), trials, studies))
            continue
        covs = PROFILE_KEYS[key]
        enrolled = [s for s in trials if any(s.covariates.get(c) and s.covariates[c].value in ("all", "some") for c in covs)]
        excluded = [s for s in trials if any(s.covariates.get(c) and s.covariates[c].value in ("excluded", "none") for c in covs)]
        label = key.replace("_", " ")
        has = bool(value)
        if key == "motivated_for_abstinence":
            # Trials that required an abstinence goal enrolled motivated patients only.
            like, unlike = (enrolled, excluded) if has else (excluded, enrolled)
            who = "motivated for abstinence" if has else "not (yet) motivated for abstinence"
            parts = [f"Profile: {who}."]
            if unlike:
                parts.append(f"{len(unlike)} trial(s) enrolled a different population "
                             f"({_dirs(unlike)}): {_names(unlike)}.")
            if like:
                parts.append(f"{len(like)} trial(s) match on this point ({_dirs(like)}): {_names(like)}.")
            if not like and not unlike:
                parts.append("No trial recorded whether it required an abstinence goal.")
            notes.append(Note(key, " ".join(parts), [s.id for s in like + unlike]))
        else:
            parts = [f"Profile: {label} = {'yes' if has else 'no'}."]
            if has:
                if enrolled:
                    parts.append(f"{len(enrolled)} study(ies) enrolled such patients ({_dirs(enrolled)}): "
                                 f"{_names(enrolled)}.")
                if excluded:
                    parts.append(f"{len(excluded)} study(ies) excluded them, so their results may not "
                                 f"apply ({_dirs(excluded)}): {_names(excluded)}.")
                if not enrolled and not excluded:
                    parts.append("No study recorded whether such patients were enrolled.")
            else:
                if enrolled:
                    parts.append(f"{len(enrolled)} study(ies) enrolled only or partly such patients: "
                                 f"{_names(enrolled)}.")
                parts.append(f"{len(excluded)} study(ies) recorded excluding them.")
            notes.append(Note(key, " ".join(parts), [s.id for s in enrolled + excluded]))
        notes.extend(_subgroup_notes(key, studies))
        for c in comparisons or []:
            if c.name in covs:
                notes.append(Note(key, f"Across trials: {c.sentence}", []))
    return notes


def _subgroup_notes(key: str, studies: list[Study]) -> list[Note]:
    words = SUBGROUP_WORDS.get(key, ())
    out = []
    for s in studies:
        for sg in s.subgroups:
            text = f"{sg.moderator} {sg.finding}".lower()
            if not any(w in text for w in words):
                continue
            if is_harm_subgroup(s, sg):
                # A harm finding never carries an efficacy tag ("effect stronger").
                out.append(Note(key, f"Harm reported by {s.label} (a safety finding, not an "
                                     f"efficacy moderator): {sg.finding} [{sg.source.label()}]",
                                [s.id]))
                continue
            out.append(Note(key, f"Moderator reported by {s.label}: {sg.finding} "
                                 f"(effect {sg.direction.replace('_', ' ')}) [{sg.source.label()}]",
                            [s.id]))
    return out


def _dose_notes(dose: float, trials: list[Study], studies: list[Study]) -> list[Note]:
    dosed = [s for s in trials if s.max_dose_mg_per_day]
    within = [s for s in dosed if (s.max_dose_mg_per_day or 0) <= dose]
    above = [s for s in dosed if (s.max_dose_mg_per_day or 0) > dose]
    parts = [f"Profile: tolerates at most {dose:g} mg/day."]
    if within:
        parts.append(f"{len(within)} trial(s) used doses within that limit ({_dirs(within)}): {_names(within)}.")
    if above:
        parts.append(f"{len(above)} trial(s) used higher maximum doses ({_dirs(above)}); their results "
                     f"may not carry over: {_names(above)}.")
    if not dosed:
        parts.append("No trial recorded its dose.")
    return [Note("max_tolerated_dose_mg", " ".join(parts), [s.id for s in dosed]),
            *_subgroup_notes("max_tolerated_dose_mg", studies)]
