"""The DuckDB evidence store: upserts, transactions, runs, question links, query building."""

from __future__ import annotations

import pytest

from offlabel.model import Classification, Design, Record
from offlabel.pipeline.records import (
    question_records,
    record_verdict,
    registered_unpublished,
)
from offlabel.query import build_queries, resolve
from offlabel.query import resolve as _cond
from offlabel.store import (
    Store,
    StoreError,
    record_from_json,
    record_to_json,
)

QID = "baclofen|alcohol_use_disorder"


def _rec(pmid: str, source: str = "pubmed", title: str = "A trial", **kw: object) -> Record:
    return Record(source=source, pmid=pmid, title=title, year=2010, **kw)  # type: ignore[arg-type]


def _cls(design: Design = Design.rct) -> Classification:
    return Classification(design=design, randomised=True, evidence={"design": "PT"})


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "s.duckdb")
    s.upsert_question(QID, "baclofen", "alcohol use disorder", "alcohol_use_disorder")
    yield s
    s.close()


def test_record_json_round_trip() -> None:
    r = _rec(
        "1",
        abstract_sections=[("BACKGROUND", "x")],
        mesh_qualifiers={"A": ["b"]},
        extra={"status": "COMPLETED", "n": 3},
    )
    back = record_from_json(record_to_json(r))
    assert back == r and back.abstract_sections == [("BACKGROUND", "x")]


def test_upsert_by_key_never_duplicates(store: Store) -> None:
    run = store.start_run(QID)
    first = store.write_batch(QID, run, "pubmed", [(_rec("1"), _cls()), (_rec("2"), _cls())])
    again = store.write_batch(QID, run, "pubmed", [(_rec("1"), _cls()), (_rec("2"), _cls())])
    changed = store.write_batch(QID, run, "pubmed", [(_rec("2", title="Corrected"), _cls())])
    assert (first.new, first.linked) == (2, 2)
    assert (again.new, again.updated, again.linked) == (0, 0, 0)
    assert (changed.new, changed.updated) == (0, 1)
    assert store.counts()["records"] == 2 and store.check() == []
    titles = {r.pmid: r.title for r, *_ in store.question_records(QID)}
    assert titles == {"1": "A trial", "2": "Corrected"}


def test_richer_source_keeps_its_copy(store: Store) -> None:
    run = store.start_run(QID)
    store.write_batch(QID, run, "pubmed", [(_rec("7", mesh=["Humans"]), _cls())])
    store.write_batch(QID, run, "europepmc", [(_rec("7", source="europepmc"), _cls(Design.other))])
    ((record, c, sources, _first),) = store.question_records(QID)
    assert record.source == "pubmed" and record.mesh == ["Humans"]
    assert c is not None and c.design is Design.rct
    assert sources == ["europepmc", "pubmed"]


def test_a_failing_batch_leaves_nothing_behind(store: Store) -> None:
    run = store.start_run(QID)
    good = [(_rec("10"), _cls()), (_rec("11"), _cls())]
    # The trial rows are written last; one without an NCT id fails after the records,
    # classifications and links of the batch are already inserted: all of it is undone.
    with pytest.raises(KeyError):
        store.write_batch(QID, run, "ctgov", good, trials=[{"status": "COMPLETED"}])
    assert store.counts()["records"] == 0 and store.counts()["classifications"] == 0
    assert store.question_keys(QID) == set() and store.check() == []
    store.write_batch(QID, run, "pubmed", good)  # the connection is usable afterwards
    assert store.counts()["records"] == 2


def test_unserialisable_record_fails_before_writing(store: Store) -> None:
    run = store.start_run(QID)

    class Unprintable:
        def __str__(self) -> str:
            raise RuntimeError("cannot serialise")

    bad = (_rec("11", extra={"x": Unprintable()}), _cls())
    with pytest.raises(RuntimeError, match="cannot serialise"):
        store.write_batch(QID, run, "pubmed", [(_rec("10"), _cls()), bad])
    assert store.counts()["records"] == 0


def test_duplicates_inside_one_batch_are_stored_once(store: Store) -> None:
    run = store.start_run(QID)
    res = store.write_batch(QID, run, "europepmc", [(_rec("5"), None), (_rec("5"), None)])
    assert (res.new, res.linked) == (1, 1) and store.counts()["records"] == 1


def test_interrupted_runs_are_closed_when_the_store_reopens(tmp_path) -> None:
    path = tmp_path / "s.duckdb"
    with Store(path) as s:
        s.upsert_question(QID, "baclofen", "aud", "alcohol_use_disorder")
        run = s.start_run(QID)
    with Store(path) as s:
        (r,) = s.runs(QID)
        assert (r.id, r.status) == (run, "interrupted")
        second = s.start_run(QID)
        s.finish_run(second, "complete", {"pubmed": {"new": 1}}, {}, {"rct": 1})
        assert [x.status for x in s.runs(QID)] == ["interrupted", "complete"]
        assert s.runs(QID)[-1].designs == {"rct": 1}


def test_a_run_cut_short_inside_a_transaction_is_still_closed(tmp_path) -> None:
    """Ctrl-C between a BEGIN and its try leaves a transaction open: closing the run as
    interrupted must still land, and a reader (who closes nothing) must see it."""
    path = tmp_path / "s.duckdb"
    with Store(path) as s:
        s.upsert_question(QID, "baclofen", "aud", "alcohol_use_disorder")
        run = s.start_run(QID)
        s.con.execute("BEGIN TRANSACTION")  # what the interruption left behind
        s.interrupt_run(run, {"pubmed": {"new": 0}}, {})
    with Store(path, read_only=True) as s:
        assert [(r.id, r.status) for r in s.runs(QID)] == [(run, "interrupted")]
        assert s.check() == []


def test_first_run_of_each_link_is_kept(store: Store) -> None:
    r1 = store.start_run(QID)
    store.write_batch(QID, r1, "pubmed", [(_rec("1"), _cls())])
    r2 = store.start_run(QID)
    store.write_batch(QID, r2, "pubmed", [(_rec("1"), _cls()), (_rec("2"), _cls())])
    firsts = {r.pmid: first for r, _c, _s, first in store.question_records(QID)}
    assert firsts == {"1": r1, "2": r2}


def test_question_records_and_missing_question(tmp_path) -> None:
    path = tmp_path / "s.duckdb"
    with Store(path) as s:
        s.upsert_question(QID, "baclofen", "alcohol use disorder", "alcohol_use_disorder")
        run = s.start_run(QID)
        s.write_batch(QID, run, "pubmed", [(_rec("1"), _cls())])
    rows = question_records(path, "Baclofen", _cond("alcoholism"))  # synonyms resolve
    assert [(r.pmid, c.design) for r, c in rows] == [("1", Design.rct)]
    assert rows[0][0].extra["found_by"] == ["pubmed"]
    with pytest.raises(StoreError, match="nothing collected for naltrexone"):
        question_records(path, "naltrexone", _cond("alcohol use disorder"))
    with pytest.raises(StoreError, match="no such store"):
        question_records(tmp_path / "none.duckdb", "baclofen", _cond("aud"))


def test_registered_unpublished(tmp_path) -> None:
    path = tmp_path / "s.duckdb"

    def trial(nct: str, status: str, has_results: bool | None, result_pmids=()) -> dict:
        return {
            "nct": nct,
            "title": nct,
            "status": status,
            "has_results": has_results,
            "result_pmids": list(result_pmids),
            "completion_date": "2015-01",
        }

    ncts = ["NCT00000001", "NCT00000002", "NCT00000003", "NCT00000004", "NCT00000005"]
    with Store(path) as s:
        s.upsert_question(QID, "baclofen", "alcohol use disorder", "alcohol_use_disorder")
        run = s.start_run(QID)
        regs = [(Record(source="ctgov", nct=n, title=n), None) for n in ncts]
        s.write_batch(
            QID,
            run,
            "ctgov",
            regs,
            trials=[
                trial(ncts[0], "COMPLETED", False),  # unpublished
                trial(ncts[1], "COMPLETED", True),  # results posted
                trial(ncts[2], "COMPLETED", False, ["123"]),  # registry links a result paper
                trial(ncts[3], "COMPLETED", False),  # a collected paper names it
                trial(ncts[4], "RECRUITING", False),  # not finished
            ],
        )
        paper = _rec("99", abstract=f"Registered as {ncts[3].lower()}.")
        s.write_batch(QID, run, "pubmed", [(paper, _cls())])
    got = registered_unpublished(path, "baclofen", _cond("alcohol use disorder"))
    assert [t["nct"] for t in got] == [ncts[0]]
    assert got[0]["url"].endswith(ncts[0])


def test_store_that_cannot_be_opened_is_one_line(tmp_path) -> None:
    bad = tmp_path / "not-a-db.duckdb"
    bad.write_bytes(b"this is not a duckdb file" * 100)
    with pytest.raises(StoreError) as err:
        Store(bad)
    assert str(err.value).startswith(str(bad)) and "\n" not in str(err.value)


def test_pubmed_query_reads_like_a_reviewers() -> None:
    q = build_queries("baclofen", resolve("alcohol use disorder"), ["Lioresal", "Gablofen"])
    assert q.pubmed.startswith('("baclofen"[MeSH Terms] OR "baclofen"[tiab] OR "Lioresal"[tiab]')
    assert '"Alcoholism"[MeSH Terms]' in q.pubmed and '"alcohol dependence"[tiab]' in q.pubmed
    assert ") AND (" in q.pubmed
    assert '"aud"' not in q.pubmed.lower()  # acronyms too ambiguous for free text
    assert q.ctgov_intervention == "baclofen OR Lioresal OR Gablofen"
    assert q.pubmed.count("(") == q.pubmed.count(")")


def test_unknown_condition_is_taken_as_typed() -> None:
    cond = resolve("Phelan-McDermid syndrome")
    q = build_queries("oxytocin", cond)
    assert cond.id == "phelan_mcdermid_syndrome" and cond.mesh_id is None
    assert q.pubmed == (
        '("oxytocin"[MeSH Terms] OR "oxytocin"[tiab]) AND ("Phelan-McDermid syndrome"[tiab])'
    )


def test_europepmc_query_is_limited_to_title_and_abstract() -> None:
    q = build_queries("baclofen", resolve("spasticity"), ["Lioresal"])
    assert q.europepmc.startswith('(TITLE_ABS:"baclofen" OR TITLE_ABS:"Lioresal") AND (')
    assert 'TITLE_ABS:"muscle spasticity"' in q.europepmc


def test_record_verdict_reports_a_change(tmp_path) -> None:

    path = tmp_path / "s.duckdb"

    def run() -> None:
        with Store(path) as s:
            s.upsert_question(QID, "baclofen", "alcohol use disorder", "alcohol_use_disorder")
            s.finish_run(s.start_run(QID), "complete", {}, {}, {})

    run()
    assert record_verdict(path, "baclofen", _cond("aud"), "promising") is None
    run()
    assert record_verdict(path, "baclofen", _cond("aud"), "promising") is None  # unchanged
    run()
    assert record_verdict(path, "baclofen", _cond("aud"), "conflicting") == "promising"
    with Store(path, read_only=True) as s:
        assert [r.verdict for r in s.runs(QID)] == ["promising", "promising", "conflicting"]


def test_registry_query_quotes_multiword_names() -> None:
    q = build_queries("pembrolizumab", resolve("melanoma"), ["Keytruda Qlex", "Keytruda"])
    assert q.ctgov_intervention == 'pembrolizumab OR "Keytruda Qlex" OR Keytruda'


def test_one_paper_found_under_two_keys_is_loaded_once(tmp_path) -> None:
    path = tmp_path / "s.duckdb"
    with Store(path) as s:
        s.upsert_question(QID, "baclofen", "alcohol use disorder", "alcohol_use_disorder")
        run = s.start_run(QID)
        paper = _rec("31", doi="10.1000/abc", mesh=["Humans"], nct="NCT00000009")
        epmc_copy = Record(
            source="europepmc", doi="10.1000/ABC", title="A trial", year=2010, pmcid="PMC1"
        )
        registry = Record(source="ctgov", nct="NCT00000009", title="Registered", year=2008)
        other_trial = Record(source="ctgov", nct="NCT00000010", title="Another", year=2012)
        s.write_batch(QID, run, "pubmed", [(paper, _cls())])
        s.write_batch(QID, run, "europepmc", [(epmc_copy, _cls(Design.other))])
        s.write_batch(QID, run, "ctgov", [(registry, None), (other_trial, None)])
        assert s.counts()["records"] == 4  # the store keeps what each source said
    rows = question_records(path, "baclofen", _cond("aud"))
    assert len(rows) == 2
    record, c = next((r, c) for r, c in rows if r.pmid)
    assert record.pmcid == "PMC1" and c.design is Design.rct  # PubMed's classification
    assert record.extra["found_by"] == ["ctgov", "europepmc", "pubmed"]
    assert [r.nct for r, _c in rows if not r.pmid] == ["NCT00000010"]
    assert len(question_records(path, "baclofen", _cond("aud"), merge=False)) == 4
