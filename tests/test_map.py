"""The evidence map of a scan: pipeline/evidence_map, its views, `offlabel map`, `ask --scan`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
from map_scan import row, write_scan  # noqa: E402

from offlabel.cli import app  # noqa: E402
from offlabel.errors import NotCovered, StoreError  # noqa: E402
from offlabel.pipeline.evidence_map import (  # noqa: E402
    EVIDENCE_MAP_LABEL,
    condition_map,
    drug_map,
    map_dict,
    pair_map,
)

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "medline-sample"


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OFFLABEL_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def scan(tmp_path: Path) -> Path:
    """Two files: the update file revises PMID 4 (n 50 -> 60) and deletes PMID 1."""
    return write_scan(tmp_path / "scan", {
        "pubmed99n0001": [
            row(1, drugs=["propranolol"], conditions=["hypertension"], n=200),
            row(2, drugs=["propranolol"], conditions=["hypertension", "migraine disorders"],
                design="cohort", n=None, year=2001, direction="no_difference"),
            row(3, drugs=["propranolol"], conditions=["migraine disorders"],
                design="meta_analysis", n=None, year=2015, title="Propranolol for migraine"),
            row(4, drugs=["baclofen"], conditions=["alcoholism"], n=50),
            row(5, drugs=["propranolol", "timolol"], conditions=["migraine disorders"], n=320,
                year=1990, title="Beta-blockers in migraine: a randomised trial"),
            row(6, drugs=["propranolol"], conditions=["migraine disorders"], n=80, year=1985),
        ],
        "pubmed99n0002": [
            row(4, drugs=["baclofen"], conditions=["alcoholism"], n=60),
            row(1, drugs=[], conditions=[], deleted=True),
        ],
    })


def test_drug_map_counts_current_records_by_condition(scan: Path) -> None:
    m = drug_map(scan, "Propranolol")
    assert m.matched_drugs == ["propranolol"]
    by = {r.condition: r for r in m.rows}
    # PMID 1 was deleted by the update file: hypertension keeps only the cohort
    assert set(by) == {"hypertension", "migraine disorders"}
    assert by["hypertension"].records == 1
    assert by["hypertension"].by_design == {"cohort": 1}
    mig = by["migraine disorders"]
    assert mig.records == 4
    assert mig.by_design == {"cohort": 1, "meta_analysis": 1, "rct": 2}
    assert mig.rcts == 2 and mig.rct_participants == 400
    assert [s.pmid for s in mig.top_rcts] == [5, 6]  # largest first
    assert [s.pmid for s in mig.reviews] == [3]
    assert mig.best_design == "meta_analysis"
    assert mig.best_level == "systematic reviews and meta-analyses"
    assert mig.by_year == {1985: 1, 1990: 1, 2001: 1, 2015: 1}
    assert mig.by_direction == {"favours_drug": 3, "no_difference": 1}
    assert m.rows[0].condition == "migraine disorders"  # most records first
    assert m.records == 4
    assert mig.ask_command == 'offlabel ask propranolol "migraine disorders"'


def test_condition_map_uses_the_vocabulary_and_the_latest_version(scan: Path) -> None:
    # "alcohol use disorder" reaches MeSH's "Alcoholism" through model.CONDITIONS' synonyms
    m = condition_map(scan, "alcohol use disorder")
    assert m.matched_conditions == ["alcoholism"]
    (r,) = m.rows
    assert (r.drug, r.records, r.rct_participants) == ("baclofen", 1, 60)  # the revision


def test_bundled_brand_names_reach_the_generic(scan: Path) -> None:
    from offlabel.evidence import load_evidence

    base = load_evidence()
    brand = next(b for d in base.drugs.values() if d.id == "baclofen" for b in d.brand_names)
    m = drug_map(scan, brand, base=base)
    assert m.matched_drugs == ["baclofen"]


def test_pair_map_and_limits(scan: Path) -> None:
    m = pair_map(scan, "propranolol", "migraine")
    assert m.kind == "pair" and len(m.rows) == 1 and m.rows[0].records == 4
    assert drug_map(scan, "propranolol", limit=1).rows_total == 2
    assert len(drug_map(scan, "propranolol", limit=1).rows) == 1
    with pytest.raises(NotCovered, match="no record of timolol in hypertension"):
        pair_map(scan, "timolol", "hypertension")


def test_unknown_names_say_did_you_mean(scan: Path) -> None:
    with pytest.raises(NotCovered) as e:
        drug_map(scan, "propranolo")
    assert "did you mean 'propranolol'" in str(e.value)
    assert "\n" not in str(e.value)
    with pytest.raises(NotCovered, match="condition 'gout' is not in the scan"):
        condition_map(scan, "gout")


def test_not_a_scan_folder(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        drug_map(tmp_path / "nowhere", "propranolol")


def test_the_aggregate_is_rebuilt_when_the_scan_changes(scan: Path) -> None:
    assert drug_map(scan, "propranolol").records == 4
    assert (scan / "map.duckdb").is_file()
    write_scan(scan, {"pubmed99n0003": [
        row(7, drugs=["propranolol"], conditions=["essential tremor"], design="rct", n=30)]})
    m = drug_map(scan, "propranolol")
    assert m.records == 5 and "essential tremor" in {r.condition for r in m.rows}


def test_an_unwritable_scan_folder_maps_from_the_cache_folder(
        scan: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from offlabel.pipeline import evidence_map as em

    build = em._build

    def refuse_scan_folder(out: Path, target: str, key: str) -> None:
        if Path(target).parent == scan:
            raise PermissionError(13, "Permission denied", target)
        build(out, target, key)

    monkeypatch.setattr(em, "_build", refuse_scan_folder)
    monkeypatch.delenv("OFFLABEL_NO_CACHE", raising=False)  # conftest switches caching off
    assert drug_map(scan, "propranolol").records == 4
    assert not (scan / "map.duckdb").exists()
    assert list((tmp_path / "cache").glob("map-*.duckdb"))
    monkeypatch.setenv("OFFLABEL_NO_CACHE", "1")  # nowhere to write: built in memory
    assert drug_map(scan, "propranolol").records == 4


def test_json_is_a_map_never_a_verdict(scan: Path) -> None:
    d = map_dict(drug_map(scan, "propranolol"))
    text = json.dumps(d)
    assert d["kind"] == "evidence_map" and d["label"] == EVIDENCE_MAP_LABEL
    assert "verdict" not in d and "certainty" not in text
    assert d["rows"][0]["by_year"] == {"1985": 1, "1990": 1, "2001": 1, "2015": 1}
    assert d["rows_are"] == "conditions"


runner = CliRunner()


def test_cli_map_json_terminal_and_plot(scan: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["map", "--drug", "propranolol", "--scan", str(scan),
                              "--format", "json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert [r["condition"] for r in d["rows"]] == ["migraine disorders", "hypertension"]
    png = tmp_path / "map.png"
    res = runner.invoke(app, ["map", "--condition", "migraine disorders", "--scan", str(scan),
                              "--plot", str(png)])
    assert res.exit_code == 0, res.output
    assert "no verdict" in res.stdout and "timolol" in res.stdout
    assert 'offlabel ask timolol "migraine disorders"' in res.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tmp_path / "map.svg"
    assert runner.invoke(app, ["map", "-d", "propranolol", "--scan", str(scan),
                               "--plot", str(svg)]).exit_code == 0
    assert svg.read_text().lstrip().startswith("<?xml")


def test_cli_map_errors_are_one_line(scan: Path) -> None:
    res = runner.invoke(app, ["map", "--drug", "propranolo", "--scan", str(scan)])
    assert res.exit_code == 2
    assert res.stderr.strip().count("\n") == 0 and "did you mean" in res.stderr
    res = runner.invoke(app, ["map", "--scan", str(scan)])
    assert res.exit_code == 2 and "--drug" in res.stderr
    res = runner.invoke(app, ["map", "-d", "x", "--scan", str(scan), "--plot", "m.pdf"])
    assert res.exit_code == 2 and ".png or .svg" in res.stderr


@pytest.mark.parametrize("fmt", ["terminal", "md", "json", "html"])
def test_ask_scan_maps_an_uncurated_question(scan: Path, fmt: str) -> None:
    res = runner.invoke(app, ["ask", "propranolol", "migraine disorders", "--scan", str(scan),
                              "--format", fmt])
    assert res.exit_code == 0, res.output
    out = res.stdout
    if fmt == "json":
        d = json.loads(out)
        assert d["kind"] == "evidence_map" and d["map"] == "pair"
        assert not {"verdict", "certainty"} & set(d)
        assert d["rows"][0]["records"] == 4
    else:
        assert "Evidence map only (machine-classified from MEDLINE; not appraised)" in out
        assert "no verdict" in out
        assert "Verdict" not in out


def test_ask_without_scan_is_still_not_covered() -> None:
    res = runner.invoke(app, ["ask", "propranolol", "migraine disorders"])
    assert res.exit_code == 2


def test_ask_scan_answers_a_curated_question_as_before(scan: Path) -> None:
    plain = runner.invoke(app, ["ask", "baclofen", "alcohol use disorder", "--format", "json"])
    with_scan = runner.invoke(app, ["ask", "baclofen", "alcohol use disorder", "--format",
                                    "json", "--scan", str(scan)])
    assert with_scan.exit_code == 0
    assert json.loads(with_scan.stdout) == json.loads(plain.stdout)
    assert "the scan has 1 machine-classified records of this pair" in with_scan.stderr


def test_ask_scan_unknown_pair_is_not_covered(scan: Path) -> None:
    res = runner.invoke(app, ["ask", "propranolol", "gout", "--scan", str(scan)])
    assert res.exit_code == 2 and "not covered" in res.stderr


def test_map_of_the_medline_sample(tmp_path: Path) -> None:
    """The acceptance demonstration on the real sample records, without running the scan:
    shards written from the sample's records through the same topics and classifier."""
    if not SAMPLE.is_dir():
        pytest.skip(f"no MEDLINE sample at {SAMPLE} (../shared/medline-sample)")
    from offlabel.classify import classify
    from offlabel.classify.topics import record_topics
    from offlabel.sources.readers.pubmed_xml import iter_pubmed_xml

    rows = []
    for path in sorted(SAMPLE.rglob("*.xml*")):
        for r in iter_pubmed_xml(path, detail=True):
            if r.deleted or not r.pmid:
                continue
            drugs, conditions = record_topics(r)
            c = classify(r)
            rows.append(row(int(r.pmid), drugs=drugs, conditions=conditions,
                            design=c.design.value, direction=c.direction.value, n=c.n,
                            year=r.year, title=r.title))
    scan = write_scan(tmp_path / "sample", {"sample": rows})
    m = drug_map(scan, "propranolol")
    conditions = {r.condition for r in m.rows}
    assert {"hypertension", "pregnancy complications, cardiovascular"} <= conditions
    c = condition_map(scan, "hypertension")
    assert "propranolol" in {r.drug for r in c.rows}


def test_a_broken_scan_does_not_stop_a_curated_answer(tmp_path: Path) -> None:
    res = runner.invoke(app, ["ask", "baclofen", "alcohol use disorder", "--format", "json",
                              "--scan", str(tmp_path / "nowhere")])
    assert res.exit_code == 0
    assert "the scan was not read" in res.stderr and "not a scan folder" in res.stderr
