"""classify/topics: drugs and conditions of a MEDLINE record from NLM's indexing."""

from __future__ import annotations

from pathlib import Path

import pytest

from offlabel.classify.topics import record_topics
from offlabel.model import Concept, MeshTerm, Record, Substance

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "medline-sample"


def rec(title: str = "", abstract: str = "", mesh: tuple[tuple[str, str, tuple[str, ...]], ...] = (),
        chems: tuple[tuple[str, str, str], ...] = (),
        concepts: tuple[tuple[str, str, str], ...] = ()) -> Record:
    return Record(source="pubmed", pmid="1", title=title, abstract=abstract,
                  mesh=[m[1] for m in mesh],
                  mesh_terms=[MeshTerm(ui, name, False, quals) for ui, name, quals in mesh],
                  chemicals=[c[1] for c in chems],
                  substances=[Substance(ui, name, reg) for ui, name, reg in chems],
                  concepts=[Concept(ui, name, t) for ui, name, t in concepts])


PROPRANOLOL = ("D011433", "Propranolol", "9Y8NXQ24VQ")
BETA_BLOCKERS = ("D000319", "Adrenergic beta-Antagonists", "0")


def test_a_drug_given_and_the_disease_it_treats() -> None:
    r = rec(mesh=(("D011433", "Propranolol", ("therapeutic use",)),
                  ("D006973", "Hypertension", ("drug therapy",)),
                  ("D006801", "Humans", ())),
            chems=(PROPRANOLOL,))
    assert record_topics(r) == (["propranolol"], ["hypertension"])


def test_a_class_counts_only_with_a_clinical_use() -> None:
    given = rec(mesh=(("D000319", "Adrenergic beta-Antagonists", ("therapeutic use",)),),
                chems=(BETA_BLOCKERS,))
    bench = rec(title="Adrenergic beta-antagonists on mitochondria",
                mesh=(("D000319", "Adrenergic beta-Antagonists", ("pharmacology",)),),
                chems=(BETA_BLOCKERS,))
    assert record_topics(given)[0] == ["adrenergic beta-antagonists"]
    assert record_topics(bench)[0] == []


def test_an_enzyme_used_as_a_reagent_is_not_a_drug() -> None:
    r = rec(title="Hexokinase and luciferase assay of ATP",
            mesh=(("D006593", "Hexokinase", ("pharmacology",)),),
            chems=(("D006593", "Hexokinase", "EC 2.7.1.1"),))
    assert record_topics(r)[0] == []


def test_pharmacology_needs_the_name_in_the_text() -> None:
    mesh = (("D011433", "Propranolol", ("pharmacology",)),)
    assert record_topics(rec(title="Action of propranolol on mitochondria", mesh=mesh,
                             chems=(PROPRANOLOL,)))[0] == ["propranolol"]
    assert record_topics(rec(title="Ion fluxes in mitochondria", mesh=mesh,
                             chems=(PROPRANOLOL,)))[0] == []


def test_measured_or_parent_substances_are_not_drugs() -> None:
    r = rec(title="Creatinine and cobalt in horse urine after gemcitabine",
            mesh=(("D003404", "Creatinine", ("urine",)),
                  ("D003841", "Deoxycytidine", ("administration & dosage", "analogs & derivatives"))),
            chems=(("D003404", "Creatinine", "AYI8EX34EU"),
                   ("D003841", "Deoxycytidine", "0W860991D6"),
                   ("C056507", "gemcitabine", "B76N6SBZ8R")))
    # gemcitabine: a supplementary concept (no heading of its own) named in the title
    assert record_topics(r)[0] == ["gemcitabine"]


def test_roles_and_exposures_are_not_drugs() -> None:
    r = rec(mesh=(("D010919", "Placebos", ("therapeutic use",)),
                  ("D004785", "Environmental Pollutants", ("adverse effects",))),
            chems=(("D010919", "Placebos", "0"), ("D004785", "Environmental Pollutants", "0")))
    assert record_topics(r)[0] == []


def test_qualifiers_shared_with_organs_and_places_are_not_disease_cues() -> None:
    r = rec(mesh=(("D006321", "Heart", ("physiopathology",)),
                  ("D004742", "England", ("epidemiology",)),
                  ("D002690", "Chlamydia Infections", ("diagnosis", "epidemiology"))))
    assert record_topics(r)[1] == ["chlamydia infections"]


def test_supplementary_concepts_disease_and_protocol() -> None:
    r = rec(concepts=(("C562839", "Mesothelioma, Malignant", "Disease"),
                      ("C000001", "FOLFOX protocol", "Protocol"),
                      ("C000002", "Propionibacterium acnes", "Organism")))
    assert record_topics(r) == (["folfox protocol"], ["mesothelioma, malignant"])


def test_tree_numbers_decide_conditions_when_known() -> None:
    # Hypertension's real tree number (MeSH: Cardiovascular Diseases > Vascular Diseases).
    r = rec(mesh=(("D006973", "Hypertension", ()),))
    assert record_topics(r, None)[1] == []  # no qualifier, no trees: no cue
    assert record_topics(r, {"D006973": ("C14.907.489",)})[1] == ["hypertension"]
    # a descriptor the table lacks falls back on its qualifiers
    other = rec(mesh=(("D006973", "Hypertension", ("drug therapy",)),))
    assert record_topics(other, {"D999999": ("C14.907.489",)})[1] == ["hypertension"]


def test_plain_records_without_coded_lists() -> None:
    r = Record(source="ris", title="Lorazepam in sexual disorders",
               mesh=["Lorazepam", "Anxiety", "Humans"],
               mesh_qualifiers={"Lorazepam": ["therapeutic use"], "Anxiety": ["drug therapy"]},
               chemicals=["Lorazepam", "Placebos"])
    assert record_topics(r) == (["lorazepam"], ["anxiety"])


def test_names_lower_cased_sorted_unique() -> None:
    r = rec(mesh=(("D006973", "Hypertension", ("drug therapy",)),
                  ("D011433", "Propranolol", ("therapeutic use",))),
            chems=(PROPRANOLOL, PROPRANOLOL),
            concepts=(("C1", "HYPERTENSION", "Disease"),))
    assert record_topics(r) == (["propranolol"], ["hypertension"])


def _sample_records() -> list[Record]:
    if not SAMPLE.is_dir():
        pytest.skip(f"no MEDLINE sample at {SAMPLE} (../shared/medline-sample)")
    from offlabel.sources.readers.pubmed_xml import iter_pubmed_xml

    out: dict[str, Record] = {}
    for path in sorted(SAMPLE.rglob("*.xml*")):
        for r in iter_pubmed_xml(path, detail=True):
            if not r.deleted and r.pmid and r.pmid not in out:
                out[r.pmid] = r
    return list(out.values())


def test_real_records_of_the_sample() -> None:
    by_pmid = {r.pmid: r for r in _sample_records()}
    # a randomised trial of budesonide-formoterol in asthma (NEJM 2018)
    drugs, conditions = record_topics(by_pmid["29768149"])
    assert {"budesonide", "formoterol fumarate", "terbutaline"} <= set(drugs)
    assert "drug combinations" not in drugs
    assert conditions == ["asthma"]
    # beta-blockers in pregnancy (1970s): every drug given, both conditions
    assert record_topics(by_pmid["30971"]) == (
        ["acebutolol", "adrenergic beta-antagonists", "pindolol", "propranolol"],
        ["hypertension", "pregnancy complications, cardiovascular"])
    # a bench study of propranolol on mitochondria: the reagents are not drugs
    assert record_topics(by_pmid["13"])[0] == ["propranolol", "valinomycin"]
    # a cost study: the infections, not the country
    assert record_topics(by_pmid["24273127"]) == ([], ["chlamydia infections", "gonorrhea"])
    # gemcitabine is indexed under Deoxycytidine/analogs & derivatives: only the drug counts
    assert record_topics(by_pmid["31449470"])[0] == ["cisplatin", "gemcitabine"]


def test_sample_records_have_drugs_of_their_chemical_list() -> None:
    records = _sample_records()
    with_topics = 0
    for r in records:
        drugs, conditions = record_topics(r)
        chemical_names = {c.lower() for c in r.chemicals} | {
            c.name.lower() for c in r.concepts if c.type == "Protocol"}
        assert set(drugs) <= chemical_names, r.pmid
        mesh_names = {m.lower() for m in r.mesh} | {c.name.lower() for c in r.concepts}
        assert set(conditions) <= mesh_names, r.pmid
        with_topics += bool(drugs or conditions)
    assert with_topics >= 70, with_topics  # 78 of 388 records when written
