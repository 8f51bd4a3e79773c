"""Held-out questions for the whole-name resolution (not collected by pytest).

Written before they were ever run, to measure resolution on examples it was not tuned on:
`.venv/bin/python tests/holdout_question.py` prints how many pass.
"""

from __future__ import annotations

from offlabel.appraise.question import resolve_question
from offlabel.errors import NotCovered
from offlabel.evidence import load_evidence

# Must be refused (another, narrower or different question).
HELD_OUT_MISREAD = [
    "alcoholic liver disease", "alcohol-related liver disease", "alcohol withdrawal seizures",
    "opioid-induced hyperalgesia", "opioid induced respiratory depression", "cocaine-induced chest pain",
    "nicotine withdrawal", "cannabis-induced psychosis", "alcoholic neuropathy",
    "amphetamine psychosis", "heroin-assisted treatment", "opioid overdose prevention",
    "smoking during pregnancy", "spasticity in cerebral palsy", "alcohol",  # last: a synonym
    "acute alcohol intoxication", "binge drinking", "alcohol use disorder and depression",
    "baclofen overdose", "crack lung",
]

# Must answer this condition id.
HELD_OUT_SYNONYMS = [
    ("Alcohol use disorders", "alcohol_use_disorder"), ("alcohol-dependence", "alcohol_use_disorder"),
    ("ALCOHOLISM", "alcohol_use_disorder"), ("Alcohol Addiction", "alcohol_use_disorder"),
    ("opioid addictions", "opioid_use_disorder"), ("Opiate-Dependence", "opioid_use_disorder"),
    ("heroïne", "opioid_use_disorder"), ("tobacco dependence", "nicotine_dependence"),
    ("Cannabis Use Disorders", "cannabis_use_disorder"), ("Marijuana-Abuse", "cannabis_use_disorder"),
    ("methamphetamine dependence", "methamphetamine_use_disorder"),
    ("Stimulant use disorders", "stimulant_use_disorder"),
    ("cocaine-dependence", "cocaine_use_disorder"), ("D009293", "opioid_use_disorder"),
    ("muscle  spasticity", "spasticity"), ("alcohol withdrawal syndrome", "alcohol_withdrawal"),
    ("Alcohol Withdrawal", "alcohol_withdrawal"), ("opioid detoxification", "opioid_withdrawal"),
    ("gamma-hydroxybutyric acid", "ghb_use_disorder"), ("nicotine addiction", "nicotine_dependence"),
]


def main() -> None:
    base = load_evidence()
    ok = 0
    # "alcohol" alone is a curated synonym of alcohol use disorder: it must answer, not refuse
    for text in HELD_OUT_MISREAD:
        try:
            q = resolve_question(base, "baclofen", text)
            passed = text == "alcohol" and q.condition is not None
            got = q.condition.id if q.condition else None
        except NotCovered as exc:
            passed = text != "alcohol" and "did you mean" in str(exc)
            got = f"NotCovered ({str(exc)[:80]})"
        ok += passed
        print("PASS" if passed else "FAIL", repr(text), "->", got)
    for text, cid in HELD_OUT_SYNONYMS:
        try:
            q = resolve_question(base, "baclofen", text)
            got = q.condition.id if q.condition else None
        except NotCovered as exc:
            got = f"NotCovered ({str(exc)[:80]})"
        passed = got == cid
        ok += passed
        print("PASS" if passed else "FAIL", repr(text), "->", got)
    print(f"{ok}/{len(HELD_OUT_MISREAD) + len(HELD_OUT_SYNONYMS)} held-out questions pass")


if __name__ == "__main__":
    main()
