"""Bundled evidence: valid, sourced, and broken files reported line by line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from offlabel.evidence import (
    EvidenceError,
    bundled_files,
    check_text,
    load_evidence,
    unsourced_numbers,
)

ROOT = Path(__file__).resolve().parents[1]
OFFLABEL = [sys.executable, "-m", "offlabel"]


def test_bundled_evidence_loads_and_covers_baclofen():
    base = load_evidence()
    assert "baclofen" in base.drugs
    assert len(base.studies_for("baclofen")) >= 10


@pytest.mark.parametrize("name,text", bundled_files(), ids=[n for n, _ in bundled_files()])
def test_every_bundled_number_has_a_source(name, text):
    data = yaml.safe_load(text)
    assert unsourced_numbers(data) == [], f"{name}: numbers without a source"
    ev, problems = check_text(text, name)
    assert problems == []


def test_every_study_source_names_a_passage():
    base = load_evidence()
    for s in base.studies:
        for src in s.sources:
            assert src.where and (src.pmid or src.doi or src.url or src.nct
                                  or (src.read_at and src.verified == "secondary")), s.id


def test_unsourced_number_is_caught():
    data = {"drug": {"id": "x", "name": "X", "sources": [{"pmid": "1", "where": "Abstract"}]},
            "studies": [{"id": "a", "n": 40, "outcomes": [{"effect": {"events_drug": 3}}]}]}
    assert unsourced_numbers(data) == ["studies[0].n", "studies[0].outcomes[0].effect.events_drug"]
    data["studies"][0]["sources"] = [{"pmid": "2", "where": "Abstract"}]
    assert unsourced_numbers(data) == []


def test_effect_without_its_own_source_is_rejected():
    text = """
drug: {id: x, name: X, sources: [{pmid: "1", where: Abstract}]}
studies:
  - id: s
    conditions: [alcohol_use_disorder]
    design: rct
    sources: [{pmid: "2", where: Abstract}]
    outcomes:
      - name: relapse
        kind: relapse
        higher_is_better: false
        effect: {type: binary, events_drug: 1, total_drug: 10, events_control: 2, total_control: 10}
"""
    ev, problems = check_text(text, "f.yaml")
    assert ev is None
    assert len(problems) == 1
    assert problems[0].startswith("f.yaml:9: study s: field outcomes[0]:")
    assert "needs its own source" in problems[0]


BROKEN = {
    "bad_yaml": ("drug: [\n  x: 1\n", "not valid YAML"),
    "unknown_design": ("""
drug: {id: x, name: X, sources: [{pmid: "1", where: Abstract}]}
studies:
  - {id: s, conditions: [spasticity], design: megatrial, sources: [{pmid: "2", where: Abstract}]}
""", "field design"),
    "negative_n": ("""
drug: {id: x, name: X, sources: [{pmid: "1", where: Abstract}]}
studies:
  - id: s
    conditions: [spasticity]
    design: rct
    n: -3
    sources: [{pmid: "2", where: Abstract}]
""", "study s: field n:"),
    "events_gt_total": ("""
drug: {id: x, name: X, sources: [{pmid: "1", where: Abstract}]}
studies:
  - id: s
    conditions: [spasticity]
    design: rct
    sources: [{pmid: "2", where: Abstract}]
    outcomes:
      - name: r
        kind: relapse
        higher_is_better: false
        source: {pmid: "2", where: Abstract}
        effect: {type: binary, events_drug: 11, total_drug: 10, events_control: 2, total_control: 10}
""", "events_drug 11 > total_drug 10"),
    "missing_source": ("""
drug: {id: x, name: X, sources: [{pmid: "1", where: Abstract}]}
studies:
  - {id: s, conditions: [spasticity], design: rct}
""", "study s: field sources: required field is missing"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_validate_reports_one_line_per_problem(tmp_path, case):
    text, expected = BROKEN[case]
    f = tmp_path / f"{case}.yaml"
    f.write_text(text)
    r = subprocess.run([*OFFLABEL, "validate", str(f)], capture_output=True, text=True)
    assert r.returncode == 1
    assert "Traceback" not in r.stdout + r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines and all(line.startswith(f"{f}:") for line in lines)
    assert any(expected in line for line in lines), lines


def test_validate_accepts_example_file():
    r = subprocess.run([*OFFLABEL, "validate", str(ROOT / "examples/example-evidence.yaml")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_duplicate_study_id_across_files(tmp_path):
    f = tmp_path / "dup.yaml"
    f.write_text(Path(ROOT / "examples/example-evidence.yaml").read_text())
    with pytest.raises(EvidenceError) as exc:
        load_evidence([f, f], bundled=False)
    assert any("also defined in" in p for p in exc.value.problems)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

EXAMPLE_TEXT = (ROOT / "examples/example-evidence.yaml").read_text()


@settings(max_examples=150, deadline=None, derandomize=True)
@given(cut=st.integers(0, len(EXAMPLE_TEXT)), junk=st.text(max_size=20))
def test_validate_never_raises_on_truncated_or_corrupted_files(cut, junk):
    text = EXAMPLE_TEXT[:cut] + junk + EXAMPLE_TEXT[cut + len(junk):]
    ev, problems = check_text(text, "f.yaml")
    assert (ev is None) == bool(problems)
    for p in problems:
        assert p.startswith("f.yaml:") and "\n" not in p
