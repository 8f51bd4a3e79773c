"""`offlabel validate` rejects what cannot be true, one line per problem, naming the bound.

Each case takes one valid file and changes one value; the unchanged file validates, so each
rejection is the rule's doing. The bounds are documented in docs/evidence-schema.md.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from offlabel.cli import app

VALID = """\
schema_version: 1
drug:
  id: boundprofen
  name: Boundprofen
  approvals:
    - region: US
      indication: alcohol use disorder
      conditions: [alcohol_use_disorder]
      status: not_approved
      year: 2001
      sources: [{pmid: "1", where: "label, Indications"}]
  sources: [{pmid: "1", where: "drug page"}]
studies:
  - id: bound_rct
    year: 2020
    conditions: [alcohol_use_disorder]
    design: rct
    n: 100
    dropout_rate: 0.2
    arms:
      - {name: boundprofen, n: 50}
      - {name: placebo, n: 50}
    outcomes:
      - name: relapse
        kind: relapse
        higher_is_better: false
        effect: {type: binary, events_drug: 20, total_drug: 50, events_control: 22, total_control: 50}
        source: {pmid: "2", where: "Table 2"}
      - name: drinks per day
        kind: consumption
        higher_is_better: false
        effect: {type: continuous, mean_drug: 3.0, sd_drug: 1.5, n_drug: 50, mean_control: 3.5, sd_control: 1.5, n_control: 50}
        source: {pmid: "2", where: "Table 3"}
      - name: abstinence
        kind: abstinence
        higher_is_better: true
        effect: {type: reported, measure: OR, estimate: 1.5, ci_lb: 1.1, ci_ub: 2.0}
        source: {pmid: "2", where: "Abstract"}
    sources: [{pmid: "2", where: "Abstract"}]
"""

NEXT_YEAR = datetime.date.today().year + 1

# (name, text replaced, replacement, field named in the line, words of the bound in the line)
CASES = [
    ("unknown condition id in a study", "conditions: [alcohol_use_disorder]\n    design",
     "conditions: [alcohol_use_disorderr]\n    design", "conditions",
     "unknown condition id 'alcohol_use_disorderr'"),
    ("unknown condition id in an approval", "conditions: [alcohol_use_disorder]\n      status",
     "conditions: [alcohol_dependence]\n      status", "approvals[0].conditions",
     "unknown condition id 'alcohol_dependence'"),
    ("unknown schema version", "schema_version: 1", "schema_version: 99", "schema_version",
     "unknown schema version 99 (known: 1)"),
    ("n above ten million", "    n: 100\n", "    n: 10000001\n", "n", "10,000,000"),
    ("an absurd n", "    n: 100\n", "    n: 99999999999999999999999999999999999999\n", "n",
     "10,000,000"),
    ("an arm larger than its study", "{name: boundprofen, n: 50}", "{name: boundprofen, n: 5000}",
     "arms", "above the study's n 100"),
    ("an arm above ten million", "{name: placebo, n: 50}", "{name: placebo, n: 20000000}",
     "arms[1].n", "10,000,000"),
    ("events above their total", "events_drug: 20", "events_drug: 51", "outcomes[0].effect",
     "events_drug 51 > total_drug 50"),
    ("a total above ten million", "total_control: 50}", "total_control: 20000000}",
     "outcomes[0].effect.total_control", "10,000,000"),
    ("a CI that does not contain its estimate", "estimate: 1.5", "estimate: 2.5",
     "outcomes[2].effect", "outside its CI"),
    ("a zero SD", "sd_drug: 1.5", "sd_drug: 0", "outcomes[1].effect.sd_drug", "greater than 0"),
    ("a negative SD", "sd_control: 1.5", "sd_control: -1", "outcomes[1].effect.sd_control",
     "greater than 0"),
    ("dropout above 1", "dropout_rate: 0.2", "dropout_rate: 1.5", "dropout_rate",
     "less than or equal to 1"),
    ("dropout below 0", "dropout_rate: 0.2", "dropout_rate: -0.1", "dropout_rate",
     "greater than or equal to 0"),
    ("a year in the future", "year: 2020", f"year: {NEXT_YEAR}", "year", "not in the future"),
    ("a year before 1900", "year: 2020", "year: 1850", "year", "not before 1900"),
    ("an approval year in the future", "year: 2001", f"year: {NEXT_YEAR}", "approvals[0].year",
     "not in the future"),
]


def _validate(tmp_path: Path, text: str):
    f = tmp_path / "evidence.yaml"
    f.write_text(text, encoding="utf-8")
    return f, CliRunner().invoke(app, ["validate", str(f)])


def test_the_unchanged_file_validates(tmp_path):
    _, r = _validate(tmp_path, VALID)
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0])
def test_validate_rejects(tmp_path, case):
    _, old, new, field, bound = case
    assert VALID.count(old) == 1, old
    f, r = _validate(tmp_path, VALID.replace(old, new))
    assert r.exit_code == 1, r.output
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith(str(f))]
    assert len(lines) == 1, r.output
    m = re.match(rf"{re.escape(str(f))}:(\d+): (study bound_rct|drug|file): field (\S+): (.*)$",
                 lines[0])
    assert m, lines[0]
    assert m.group(3) == field, lines[0]
    assert bound in m.group(4), lines[0]
    # the line points at the changed value (or the mapping holding it)
    changed = VALID.replace(old, new).splitlines()
    assert 1 <= int(m.group(1)) <= len(changed)


def test_an_arm_without_a_study_n_is_not_bounded_by_it(tmp_path):
    _, r = _validate(tmp_path, VALID.replace("    n: 100\n", "    n: null\n"))
    assert r.exit_code == 0, r.output


def test_a_typo_in_a_condition_id_cannot_reach_an_answer(tmp_path):
    """The typo once passed validate and silently flipped a verdict; now `ask` refuses the file."""
    f = tmp_path / "typo.yaml"
    f.write_text(VALID.replace("conditions: [alcohol_use_disorder]\n    design",
                               "conditions: [alcohol_use_disorderr]\n    design"))
    r = CliRunner().invoke(app, ["ask", "baclofen", "AUD", "--evidence", str(f)])
    assert r.exit_code == 1
    assert "unknown condition id 'alcohol_use_disorderr'" in r.output
    assert "did you mean alcohol_use_disorder" in r.output


def test_every_bundled_file_still_validates():
    from offlabel.evidence import bundled_files, check_text

    for name, text in bundled_files():
        _, problems = check_text(text, name)
        assert problems == [], problems[:3]
