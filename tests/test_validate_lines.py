"""The one-study-at-a-time validation reads YAML as `yaml.load` does and still puts each problem
on its line: anchors and aliases, merge keys, a byte-order mark, CRLF line ends, several
documents, an empty file; and the bundled evidence parses to the same models as yaml.load +
pydantic give."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from offlabel.evidence import bundled_files, check_text
from offlabel.model import EvidenceFile

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = (ROOT / "examples/example-evidence.yaml").read_text()


@pytest.mark.parametrize("name,text", bundled_files(), ids=[n for n, _ in bundled_files()])
def test_bundled_files_parse_to_what_yaml_load_gives(name, text):
    ev, problems = check_text(text, name)
    assert problems == []
    assert ev == EvidenceFile.model_validate(yaml.safe_load(text))


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_problems_keep_their_lines_with_bom_and_crlf():
    bad = EXAMPLE.replace("n: 100", "n: -100").replace("design: rct", "design: megatrial", 1)
    want = [_line(bad, "design: megatrial"), _line(bad, "n: -100")]
    for text in (bad, "\ufeff" + bad, bad.replace("\n", "\r\n")):
        ev, problems = check_text(text, "f.yaml")
        assert ev is None
        assert [int(p.split(":")[1]) for p in problems] == want, problems
        assert "field design" in problems[0] and "field n" in problems[1]


ANCHORS = """\
drug: {id: x, name: X, sources: &s [{pmid: "1", where: Abstract}]}
base: &b {conditions: [spasticity], design: rct}
studies:
  - id: a
    <<: *b
    sources: *s
  - id: b
    <<: *b
    sources: *s
    n: -1
  - id: c
    conditions: [spasticity]
    design: megatrial
    sources: [{pmid: "2", where: Abstract}]
"""


def test_anchors_aliases_and_merge_keys_read_as_yaml_load_reads_them():
    ev, problems = check_text(ANCHORS, "f.yaml")
    assert ev is None
    assert problems == [
        "f.yaml:2: file: field base: Extra inputs are not permitted",
        "f.yaml:10: study b: field n: Input should be greater than or equal to 0 (got -1)",
        "f.yaml:13: study c: field design: Input should be 'animal', 'in_vitro', "
        "'human_laboratory', 'case_report', 'case_series', 'cross_sectional', 'case_control', "
        "'cohort', 'open_label_trial', 'nonrandomized_controlled_trial', 'rct', "
        "'systematic_review', 'meta_analysis', 'narrative_review', 'guideline', 'regulatory' "
        "or 'other' (got 'megatrial')",
    ]
    fixed = """\
drug: {id: x, name: X, sources: &s [{pmid: "1", where: Abstract}]}
studies:
  - &a {id: a, conditions: [spasticity], design: rct, sources: *s}
  - <<: *a
    id: b
  - <<: [{n: 12}, *a]
    id: c
"""
    ev, problems = check_text(fixed, "f.yaml")
    assert problems == [] and ev is not None
    assert ev == EvidenceFile.model_validate(yaml.safe_load(fixed))
    assert [(s.id, s.design.value, s.n) for s in ev.studies] == [
        ("a", "rct", None), ("b", "rct", None), ("c", "rct", 12)
    ]

@pytest.mark.parametrize(
    "text,line,says",
    [
        ("", 1, "expected a mapping"),
        ("5\n", 1, "expected a mapping"),
        ("- a\n- b\n", 1, "expected a mapping"),
        ("a: 1\n---\nb: 2\n", 2, "but found another document"),
        ("drug: *nowhere\n", 1, "found undefined alias"),
        ("[a]: 1\n", 1, "found unhashable key"),
        ("drug: [\n  x: 1\n", 3, "not valid YAML"),
        ("studies: 5\n", 1, "drug: field (record): required field is missing"),
        ("drug: {id: x}\nstudies: 5\n", 2, "field studies: Input should be a valid list"),
    ],
)
def test_files_that_are_not_evidence_get_one_located_line(text, line, says):
    ev, problems = check_text(text, "f.yaml")
    assert ev is None
    assert any(p.startswith(f"f.yaml:{line}:") and says in p for p in problems), problems


def test_a_repeated_studies_key_replaces_the_first_as_in_yaml_load():
    text = EXAMPLE + "studies:\n  - {id: only, conditions: [spasticity], design: rct, " \
        'sources: [{pmid: "9", where: Abstract}]}\n'
    ev, problems = check_text(text, "f.yaml")
    assert problems == [] and ev is not None
    assert [s.id for s in ev.studies] == ["only"]
