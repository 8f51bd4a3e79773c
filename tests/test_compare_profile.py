"""`offlabel compare` and `ask --profile` on the bundled evidence."""

from __future__ import annotations

import json
import subprocess
import sys

OFFLABEL = [sys.executable, "-m", "offlabel"]


def run(*args):
    return subprocess.run([*OFFLABEL, *args], capture_output=True, text=True, timeout=120)


def test_compare_alcohol_alternatives_json():
    r = run("compare", "alcohol use disorder", "baclofen", "naltrexone", "acamprosate",
            "disulfiram", "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["condition"] == "alcohol use disorder"
    rows = {x["drug"].lower(): x for x in d["drugs"]}
    assert set(rows) == {"baclofen", "naltrexone", "acamprosate", "disulfiram"}
    for x in rows.values():
        assert {"drug", "verdict", "certainty", "outcomes", "approval"} <= x.keys()
        assert x["latest_review"] and x["latest_review"]["sources"]
    # Approval status comes from the regulatory facts, not from the evidence verdict.
    assert rows["naltrexone"]["approval"]["US"]["status"] == "approved"
    assert rows["baclofen"]["approval"]["US"]["status"] == "not_approved"
    assert d["common_outcome"] is not None
    assert all(x["common_outcome_effect"] for x in rows.values())


def test_compare_unknown_drug_is_a_row_not_a_crash():
    r = run("compare", "alcohol use disorder", "baclofen", "nosuchdrug", "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)["drugs"]
    assert rows[1]["covered"] is False


def _applicability(*profile):
    args = ["ask", "baclofen", "alcohol use disorder", "--format", "json"]
    for p in profile:
        args += ["--profile", p]
    r = run(*args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["conditions"][0]["applicability"]


def test_profile_changes_applicability_notes_with_sources():
    assert _applicability() == []
    notes = _applicability("comorbid_psychiatric_disorder=yes")
    assert notes
    assert all(n["key"] == "comorbid_psychiatric_disorder" for n in notes)
    assert any(n["studies"] for n in notes)
    assert any("PMID" in n["text"] or "doi:" in n["text"] or "http" in n["text"] for n in notes)
    other = _applicability("liver_disease=yes")
    assert {n["text"] for n in other} != {n["text"] for n in notes}


def test_profile_file_and_bad_keys(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("liver_disease: yes\nmax_tolerated_dose_mg: 30\n")
    notes = _applicability(str(f))
    assert {n["key"] for n in notes} >= {"liver_disease", "max_tolerated_dose_mg"}
    r = run("ask", "baclofen", "alcohol use disorder", "--profile", "shoe_size=42")
    # A bad profile is an error in the input: the code offlabel.errors documents for it.
    from offlabel.errors import ProfileError, exit_code

    assert r.returncode == exit_code(ProfileError("x")) != 0
    assert "not known" in r.stderr and "Traceback" not in r.stderr


def test_report_states_design_dose_and_liver_contrasts():
    r = run("ask", "baclofen", "alcohol use disorder", "--format", "json")
    c = json.loads(r.stdout)["conditions"][0]
    names = {x["name"] for x in c["comparisons"]}
    assert {"design", "dose", "liver_disease"} <= names
    design = next(x for x in c["comparisons"] if x["name"] == "design")
    assert "double-blind RCTs" in design["sentence"] and design["test"]
    assert all(x["studies"] for x in c["comparisons"])
