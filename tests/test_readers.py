"""Readers: round trips on real records (shared/records, shared/medline-sample, shared/fixtures)
and on synthetic RIS/CSV written here; truncated and corrupted input ends in ReaderError."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from pathlib import Path

import pytest

from offlabel.model import Record
from offlabel.sources.readers import (
    ReaderError,
    detect_format,
    iter_records_in,
    merge_records,
    parse_pubmed_xml,
    read_records,
    record_from_ctgov,
    record_from_europepmc,
)
from offlabel.sources.readers.csv import iter_csv
from offlabel.sources.readers.ctgov import iter_ctgov
from offlabel.sources.readers.medline import iter_medline
from offlabel.sources.readers.pubmed_xml import iter_pubmed_xml
from offlabel.sources.readers.ris import iter_ris

SHARED = Path(__file__).resolve().parents[2] / "shared"
RECORDS = SHARED / "records"
SAMPLE = SHARED / "medline-sample"
FIXTURES = SHARED / "fixtures"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} not present (shared data sits beside the repository)")
    return path


@pytest.fixture(scope="module")
def labelled() -> tuple[dict[str, Record], dict[str, dict[str, str]]]:
    need(RECORDS / "labels.csv")
    errors: list[ReaderError] = []
    recs = list(iter_records_in(RECORDS, errors=errors, exclude=[RECORDS / "labels.csv"]))
    assert errors == []
    with open(RECORDS / "labels.csv", newline="") as fh:
        rows = {r["pmid"]: r for r in csv.DictReader(fh)}
    return {r.pmid: r for r in recs if r.pmid}, rows


def test_every_labelled_record_is_read_once(labelled):
    recs, rows = labelled
    assert set(recs) == set(rows)
    assert len(recs) == len(rows)


def test_publication_types_and_check_tags_match_the_label_file(labelled):
    recs, rows = labelled
    for pmid, row in rows.items():
        rec = recs[pmid]
        assert "; ".join(rec.publication_types) == row["publication_types"], pmid
        assert ("Animals" in rec.mesh) == (row["has_animals_mesh"] == "True"), pmid
        assert ("Humans" in rec.mesh) == (row["has_humans_mesh"] == "True"), pmid
        for term in filter(None, (t.strip() for t in row["design_mesh"].split(";"))):
            assert term in rec.mesh, (pmid, term)


def test_records_carry_titles_years_and_formats(labelled):
    recs, rows = labelled
    for pmid, rec in recs.items():
        assert rec.title, pmid
        assert rec.year is None or 1900 <= rec.year <= 2100
        assert rec.source == ("pubmed" if rows[pmid]["format"] == "xml" else "medline")
    with_abstract = [r for r in recs.values() if r.abstract]
    assert len(with_abstract) > 0.8 * len(recs)


def test_structured_abstracts_keep_their_sections(labelled):
    recs, _ = labelled
    sectioned = [r for r in recs.values() if r.abstract_sections]
    assert len(sectioned) > 100
    for r in sectioned:
        for label, text in r.abstract_sections:
            assert label and text in r.abstract


def test_medline_sample_counts_match_the_raw_xml():
    need(SAMPLE)
    files = sorted(p for p in SAMPLE.rglob("*") if p.name.endswith((".xml", ".xml.gz")))
    assert files
    for path in files:
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
        expected = len(re.findall(rb"<PubmedArticle>|<PubmedArticle |<PubmedBookArticle>", raw))
        got = list(read_records(path))
        assert len(got) == expected, path
        pmids = re.findall(rb"<MedlineCitation[^>]*>\s*<PMID[^>]*>(\d+)</PMID>", raw)
        assert [r.pmid for r in got if not r.extra.get("book")] == [p.decode() for p in pmids]


def test_gzip_bytes_and_file_objects_read_the_same():
    path = need(RECORDS / "qi29+main_finding_recognition/pubmed_result.xml")
    plain = parse_pubmed_xml(path)
    assert len(plain) == 50
    assert parse_pubmed_xml(gzip.compress(path.read_bytes())) == plain
    assert parse_pubmed_xml(io.BytesIO(path.read_bytes())) == plain


def test_pubmed_xml_fields_from_a_known_record():
    path = need(RECORDS / "qi29+main_finding_recognition/pubmed_result.xml")
    rec = parse_pubmed_xml(path)[0]
    raw = path.read_text()
    first = raw[: raw.index("</PubmedArticle>")]
    assert rec.pmid == re.search(r"<PMID[^>]*>(\d+)<", first).group(1)
    assert rec.doi == re.search(r'EIdType="doi"[^>]*>([^<]+)<', first).group(1)
    labels = re.findall(r'<AbstractText Label="([^"]+)"', first)
    assert [lab for lab, _ in rec.abstract_sections] == labels
    assert rec.publication_types == re.findall(r"<PublicationType(?: [^>]*)?>([^<]+)<", first)
    quals = re.findall(r"<QualifierName[^>]*>([^<]+)<", first)
    assert sorted(q for qs in rec.mesh_qualifiers.values() for q in qs) == sorted(quals)


def test_ctgov_fixtures():
    folder = need(FIXTURES / "clinicaltrials-gov-v2/genomoncology+biomcp/testdata/sources/ctgov")
    for path in sorted(folder.glob("*.json")):
        doc = json.loads(path.read_text())
        studies = doc["studies"] if "studies" in doc else [doc]
        recs = list(read_records(path))
        assert [r.nct for r in recs] == [
            s["protocolSection"]["identificationModule"]["nctId"] for s in studies
        ]
        for rec, study in zip(recs, studies, strict=True):
            assert rec.source == "ctgov" and rec.title
            assert rec.extra["enrollment"] == study["protocolSection"].get("designModule", {}).get(
                "enrollmentInfo", {}
            ).get("count")
            assert rec.extra["status"] == study["protocolSection"]["statusModule"]["overallStatus"]


def test_ctgov_design_fields_go_to_extra():
    study = {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT00000001", "briefTitle": "A trial"},
            "statusModule": {"overallStatus": "COMPLETED"},
            "designModule": {
                "studyType": "INTERVENTIONAL",
                "designInfo": {"allocation": "RANDOMIZED", "maskingInfo": {"masking": "QUADRUPLE"}},
                "enrollmentInfo": {"count": 120},
            },
            "armsInterventionsModule": {
                "armGroups": [
                    {"label": "Drug", "type": "EXPERIMENTAL"},
                    {"label": "Placebo", "type": "PLACEBO_COMPARATOR"},
                ]
            },
        },
        "hasResults": True,
    }
    rec = record_from_ctgov(study)
    assert rec.extra["allocation"] == "RANDOMIZED"
    assert rec.extra["masking"] == "QUADRUPLE"
    assert rec.extra["has_results"] is True
    assert [a["type"] for a in rec.extra["arms"]] == ["EXPERIMENTAL", "PLACEBO_COMPARATOR"]
    with pytest.raises(ValueError):
        record_from_ctgov({"protocolSection": {}})


def test_europepmc_fixtures():
    folder = need(FIXTURES / "europe-pmc")
    paths = [p for p in folder.rglob("*.json") if "receipts" not in p.name]
    assert paths
    for path in paths:
        doc = json.loads(path.read_text())
        results = doc["resultList"]["result"]
        recs = list(read_records(path))
        assert len(recs) == len(results)
        for rec, res in zip(recs, results, strict=True):
            assert rec.pmid == res.get("pmid")
            assert rec.title or not res.get("title")
    core = need(folder / "JonasHeinickeBio+pyEuropePMC/tests/fixtures/search_cancer_core.json")
    recs = list(read_records(core))
    assert any(r.mesh for r in recs) and any(r.abstract_sections for r in recs)
    lite = record_from_europepmc(
        {
            "id": "1",
            "source": "MED",
            "pmid": "1",
            "title": "T",
            "pubType": "randomized controlled trial; journal article",
        }
    )
    assert lite.publication_types == ["randomized controlled trial", "journal article"]


RIS = """TY  - JOUR
TI  - Baclofen for alcohol use disorder: a randomized
      placebo-controlled trial
AU  - Doe, J
AU  - Roe, R
PY  - 2018
JO  - Addiction
AB  - We randomly assigned 120 patients. Registered as NCT01234567.
DO  - 10.1000/xyz.1
AN  - 29999999
KW  - baclofen
ER  - 

TY  - JOUR
TI  - A second record
PY  - 2020///
ER  - 
"""


def test_ris_round_trip_and_truncation():
    recs = list(iter_ris(RIS))
    assert len(recs) == 2
    first = recs[0]
    assert first.title == "Baclofen for alcohol use disorder: a randomized placebo-controlled trial"
    assert first.authors == ["Doe, J", "Roe, R"]
    assert (first.year, first.pmid, first.doi, first.nct) == (
        2018,
        "29999999",
        "10.1000/xyz.1",
        "NCT01234567",
    )
    assert recs[1].year == 2020
    cut = RIS[: RIS.rindex("ER  -")]
    got: list[Record] = []
    with pytest.raises(ReaderError) as exc:
        got.extend(iter_ris(cut, name="export.ris"))
    assert len(got) == 1
    assert "export.ris" in str(exc.value) and "record 2" in str(exc.value)
    assert exc.value.line == RIS.splitlines().index("TY  - JOUR", 1) + 1


def test_csv_round_trip_from_real_records(labelled, tmp_path):
    recs, _ = labelled
    sample = sorted(recs.values(), key=lambda r: r.pmid)[:40]
    path = tmp_path / "records.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "pmid",
                "doi",
                "title",
                "abstract",
                "journal",
                "year",
                "authors",
                "publication_types",
                "mesh",
                "language",
                "note",
            ]
        )
        for r in sample:
            w.writerow(
                [
                    r.pmid,
                    r.doi or "",
                    r.title,
                    r.abstract,
                    r.journal or "",
                    r.year or "",
                    "; ".join(r.authors),
                    "; ".join(r.publication_types),
                    "; ".join(r.mesh),
                    r.language or "",
                    "x",
                ]
            )
    back = list(read_records(path))
    assert len(back) == len(sample)
    for a, b in zip(sample, back, strict=True):
        assert (a.pmid, a.doi, a.title, a.abstract, a.year) == (
            b.pmid,
            b.doi,
            b.title,
            b.abstract,
            b.year,
        )
        assert a.publication_types == b.publication_types and a.mesh == b.mesh
        assert b.extra["note"] == "x"


def test_csv_bad_value_names_line_and_column():
    text = "pmid,title,year\n1,One,2001\n2,Two,20x1\n"
    got: list[Record] = []
    with pytest.raises(ReaderError) as exc:
        got.extend(iter_csv(text, name="my.csv"))
    assert len(got) == 1
    assert exc.value.line == 3 and "year" in str(exc.value) and "my.csv" in str(exc.value)
    with pytest.raises(ReaderError):
        list(iter_csv("pmid,abstract\n1,x\n"))


def test_truncated_xml_yields_the_good_prefix_then_one_error():
    path = need(RECORDS / "sk8erjs69+sr-project/test-files/pubmed_result.xml")
    data = path.read_bytes()
    full = parse_pubmed_xml(data)
    cut = data[: len(data) // 2]
    got: list[Record] = []
    with pytest.raises(ReaderError) as exc:
        got.extend(iter_pubmed_xml(cut, name="half.xml"))
    assert 0 < len(got) < len(full)
    assert got == full[: len(got)]
    assert exc.value.line is not None and exc.value.line > 1
    assert f"after PMID {got[-1].pmid}" in str(exc.value)
    # the same through gzip: the decompressor hits the end first
    got = []
    with pytest.raises(ReaderError):
        got.extend(iter_pubmed_xml(gzip.compress(data)[:3000]))
    assert got == full[: len(got)]


def test_truncated_json_salvages_complete_studies():
    path = need(
        FIXTURES
        / "clinicaltrials-gov-v2/genomoncology+biomcp/testdata/sources/ctgov"
        / "search_phelan_limit5_20260811.json"
    )
    text = path.read_text()
    full = list(iter_ctgov(text))
    got: list[Record] = []
    with pytest.raises(ReaderError) as exc:
        got.extend(iter_ctgov(text[: int(len(text) * 0.6)], name="cut.json"))
    assert 0 < len(got) < len(full) and got == full[: len(got)]
    assert "cut.json" in str(exc.value) and exc.value.line


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("PMID- 1\nTI  - One\n\nPMID- 2\nTI  - Two\nthis is not medline\n", 6, "not a MEDLINE"),
        # a non-numeric PMID is named, not dropped (the record would be keyed by its title)
        ("PMID- 1\nTI  - One\n\nPMID- 12a\nTI  - Two\n", 4, "field PMID: not a number"),
    ],
)
def test_medline_reader_errors_name_file_line_and_record(text, line, says):
    got: list[Record] = []
    with pytest.raises(ReaderError) as exc:
        got.extend(iter_medline(text, name="x.nbib"))
    assert [r.pmid for r in got] == ["1"]
    assert exc.value.line == line and f"x.nbib:{line}" in str(exc.value)
    assert says in str(exc.value)


def test_detect_format(tmp_path):
    cases = {
        "a.xml": "<?xml version='1.0'?><PubmedArticleSet></PubmedArticleSet>",
        "b.nbib": "PMID- 1\nTI  - x\n",
        "c.txt": "PMID- 1\nTI  - x\n",
        "d.ris": "TY  - JOUR\nER  - \n",
        "e.csv": "pmid,title\n1,x\n",
        "f.json": '{"studies": []}',
        "g.json": '{"hitCount": 0, "resultList": {"result": []}}',
    }
    expected = ["pubmed_xml", "medline", "medline", "ris", "csv", "ctgov", "europepmc"]
    for (name, body), fmt in zip(cases.items(), expected, strict=True):
        (tmp_path / name).write_text(body)
        assert detect_format(tmp_path / name) == fmt
    (tmp_path / "h.dat").write_text("hello")
    with pytest.raises(ReaderError):
        detect_format(tmp_path / "h.dat")


def test_merge_records_across_sources():
    a = Record(
        source="pubmed",
        pmid="1",
        title="Trial of drug X in disease Y",
        year=2001,
        publication_types=["Randomized Controlled Trial"],
        mesh=["Humans"],
    )
    b = Record(
        source="europepmc",
        pmid="1",
        doi="10.1/a",
        title="Trial of drug X in disease Y",
        keywords=["x"],
    )
    c = Record(source="ris", doi="10.1/A", title="Trial of drug X in disease Y.", year=2001)
    d = Record(source="csv", title="TRIAL OF DRUG X -- in Disease Y!", year=2001)
    e = Record(
        source="csv", title="Trial of drug X in disease Y", year=2002
    )  # another year: not a dupe
    reg = Record(source="ctgov", nct="NCT00000001", title="Registry entry")
    paper = Record(source="pubmed", pmid="2", nct="NCT00000001", title="Results of trial Z")
    paper2 = Record(source="pubmed", pmid="3", nct="NCT00000001", title="Secondary analysis")
    reg_again = Record(source="ctgov", nct="NCT00000001", title="Registry entry, re-read")
    merged = merge_records([a, b, c, d, e, reg, paper, paper2, reg_again])
    assert len(merged) == 4
    first = merged[0]
    assert (first.pmid, first.doi) == ("1", "10.1/a")
    assert first.keywords == ["x"] and first.extra["merged_from"] == [
        "pubmed",
        "europepmc",
        "ris",
        "csv",
    ]
    assert merged[2].nct == "NCT00000001" and merged[2].pmid == "2"
    assert merged[2].extra["merged_from"] == ["ctgov", "pubmed", "ctgov"]
    assert merged[3].pmid == "3"  # two papers of one trial stay apart
    assert a.keywords == []  # inputs are not mutated


def test_merge_on_real_records_from_two_collections(labelled):
    recs, _ = labelled
    need(SAMPLE)
    errors: list[ReaderError] = []
    sample = list(iter_records_in(SAMPLE, errors=errors))
    assert not errors
    everything = [*recs.values(), *sample]
    distinct = {r.pmid for r in everything}
    merged = merge_records(everything)
    assert len(merged) == len(distinct)
    shared = set(recs) & {r.pmid for r in sample}
    assert shared  # the two collections overlap (README of shared/records lists some)
    for rec in merged:
        if rec.pmid in shared:
            assert len(rec.extra["merged_from"]) >= 2


def test_gzip_members_padding_and_corruption():
    path = need(RECORDS / "sk8erjs69+sr-project/test-files/pubmed_result.xml")
    data = path.read_bytes()
    full = parse_pubmed_xml(data)
    half = len(data) // 2
    # concatenated members and trailing zero padding read as one stream, as GzipFile reads them
    two = gzip.compress(data[:half]) + gzip.compress(data[half:]) + b"\x00" * 64
    assert parse_pubmed_xml(two) == full
    # a corrupt checksum or trailing garbage is one ReaderError after the good records
    for bad in (
        gzip.compress(data)[:-8] + b"\x00\x00\x00\x00" + gzip.compress(data)[-4:],
        gzip.compress(data) + b"garbage",
    ):
        got: list[Record] = []
        with pytest.raises(ReaderError, match="gzip"):
            got.extend(iter_pubmed_xml(bad))
        assert got == full[: len(got)]


def _outcome(records_and_error):
    got: list[Record] = []
    try:
        got.extend(records_and_error)
    except ReaderError as exc:
        return got, str(exc)
    return got, None


def test_sliced_path_reads_and_fails_exactly_as_the_streaming_parse():
    from offlabel.sources.readers import pubmed_xml

    path = need(RECORDS / "sk8erjs69+sr-project/test-files/pubmed_result.xml")
    data = path.read_bytes()
    arts = re.findall(rb"<PubmedArticle>.*?</PubmedArticle>", data, re.S)
    assert len(arts) >= 4
    head = data[: data.index(b"<PubmedArticleSet>") + len(b"<PubmedArticleSet>")]
    body = b"\n".join(arts)
    book = (
        b'<PubmedBookArticle><BookDocument><PMID Version="1">555</PMID>'
        b"<ArticleTitle>A chapter</ArticleTitle><Book><BookTitle>T</BookTitle></Book>"
        b"</BookDocument></PubmedBookArticle>"
    )
    delete = b'<DeleteCitation><PMID Version="1">123</PMID></DeleteCitation>'
    cases = [
        head + body + b"\n</PubmedArticleSet>\n",
        head + arts[0] + book + arts[1] + delete + b"</PubmedArticleSet>",
        head + arts[0] + b"<!-- a comment -->" + arts[1] + b"</PubmedArticleSet>",
        head.replace(b"utf-8", b"ISO-8859-1") + body + b"</PubmedArticleSet>",
        head + body + b"</PubmedArticleSet>trailing",
        (head + body)[:-300],
        head + arts[0] + b"<PubmedArticle><Foo></PubmedArticle>" + arts[1] + b"</PubmedArticleSet>",
        head
        + arts[0]
        + arts[1].replace(b"<PMID", b"<PMIDX", 1).replace(b"</PMID>", b"</PMIDX>", 1)
        + b"</PubmedArticleSet>",
        head + arts[0] + b"\nsome text\n" + arts[1] + b"</PubmedArticleSet>",
        head + arts[0] + b"<?pi data?>" + arts[1] + b"</PubmedArticleSet>",
        head + arts[0] + b"<Other/>" + arts[1] + b"</PubmedArticleSet>",
        # an end tag inside a comment in the last article: the run must not end there
        head
        + arts[0]
        + arts[1].replace(b"</Article>", b"<!-- </PubmedArticle> --></Article>")
        + b"</PubmedArticleSet>",
        head + body + b"</PubmedArticleSet><PubmedArticleSet>" + arts[0] + b"</PubmedArticleSet>",
    ]
    # the quick path itself reads the first two (no hand-over)
    for case in cases[:2]:
        assert list(pubmed_xml._iter_sliced(case)) == list(pubmed_xml._iter_streamed(case))
    for case in cases:
        for form in (case, gzip.compress(case)):
            want = _outcome(pubmed_xml._iter_streamed(form))
            assert _outcome(iter_pubmed_xml(form)) == want
            assert want[0], "each case yields good records first"


def test_read_ahead_hands_over_after_many_records():
    from offlabel.sources.readers import pubmed_xml

    path = need(RECORDS / "sk8erjs69+sr-project/test-files/pubmed_result.xml")
    data = path.read_bytes()
    arts = re.findall(rb"<PubmedArticle>.*?</PubmedArticle>", data, re.S)
    head = data[: data.index(b"<PubmedArticleSet>") + len(b"<PubmedArticleSet>")]
    many = [arts[i % len(arts)] for i in range(150)]  # past two read-ahead batches
    # faults first, inside and last in a run of articles parsed together, and late
    for at in (0, 3, 15, 16, 37, 140):
        for fault in (b"<PubmedArticle><Foo></PubmedArticle>", b"<!-- hand over -->"):
            case = head + b"\n".join(many[:at]) + fault + b"\n".join(many[at:])
            case += b"</PubmedArticleSet>"
            want = _outcome(pubmed_xml._iter_streamed(case))
            assert len(want[0]) >= at
            assert _outcome(iter_pubmed_xml(case)) == want
    # book articles and deletions inside a run are read by the quick path itself
    book = (
        b'<PubmedBookArticle><BookDocument><PMID Version="1">555</PMID>'
        b"<ArticleTitle>A chapter</ArticleTitle><Book><BookTitle>T</BookTitle></Book>"
        b"</BookDocument></PubmedBookArticle>"
    )
    delete = b'<DeleteCitation><PMID Version="1">123</PMID></DeleteCitation>'
    mixed = many[:5] + [book] + many[5:9] + [delete] + many[9:40]
    case = head + b"\n".join(mixed) + b"</PubmedArticleSet>"
    quick = list(pubmed_xml._iter_sliced(case))
    assert quick == list(pubmed_xml._iter_streamed(case))
    assert len(quick) == len(mixed) - 1 and quick[5].title == "A chapter"


def test_corrupt_gzip_in_the_middle_reads_as_the_streaming_parse():
    """The quick path inflates with ISA-L (no salvage); a fault hands over to the streaming
    parse, so the records before the fault and the error are the same either way."""
    from offlabel.sources.readers import pubmed_xml

    path = need(RECORDS / "sk8erjs69+sr-project/test-files/pubmed_result.xml")
    data = path.read_bytes()
    arts = re.findall(rb"<PubmedArticle>.*?</PubmedArticle>", data, re.S)
    head = data[: data.index(b"<PubmedArticleSet>") + len(b"<PubmedArticleSet>")]
    body = head + b"\n".join(arts[i % len(arts)] for i in range(400)) + b"</PubmedArticleSet>"
    packed = bytearray(gzip.compress(body))
    for at in (len(packed) // 2, len(packed) - 40):
        bad = bytearray(packed)
        bad[at : at + 8] = b"\xff" * 8
        want = _outcome(pubmed_xml._iter_streamed(bytes(bad)))
        assert want[1] is not None and want[0], "a fault after some good records"
        assert _outcome(iter_pubmed_xml(bytes(bad))) == want
