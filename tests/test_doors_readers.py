"""Readers keep every good record of a damaged file and report each bad one (issue 12, doors).

Measured before: a PubMed XML file of 5 articles whose #3 is broken gave 2 records; a MEDLINE
file with a junk line after record 3 of 9 gave 3; junk on line 1 gave 0. Now each reader,
given `on_error`, resynchronises at the next record: 4, 9 and 9 records, and one ReaderError
(`file:line: record N (after PMID x): problem`) per bad record. Without `on_error` the first
bad record still raises, after the good records before it (the contract of the EFetch parser
and of library callers). `offlabel classify` reads on, prints each bad record's line on
stderr and exits 1; empty files say "0 records"; a missing file or a folder is one line.
"""

from __future__ import annotations

import ast
import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from offlabel.errors import ReaderError
from offlabel.sources import readers
from offlabel.sources.readers import FORMATS, iter_pubmed_xml, read_records
from offlabel.sources.readers.csv import iter_csv
from offlabel.sources.readers.ctgov import iter_ctgov
from offlabel.sources.readers.europepmc import iter_europepmc
from offlabel.sources.readers.medline import iter_medline
from offlabel.sources.readers.ris import iter_ris

ROOT = Path(__file__).resolve().parents[1]
OFFLABEL = [sys.executable, "-m", "offlabel"]


def collect(reader, source, **kw):
    """(records, errors) of a reader run with on_error."""
    errors: list[ReaderError] = []
    records = list(reader(source, on_error=errors.append, **kw))
    return records, errors


def strict(reader, source, **kw):
    """(records before the first fault, that fault) of a reader run without on_error."""
    got = []
    try:
        for rec in reader(source, **kw):
            got.append(rec)
    except ReaderError as exc:
        return got, exc
    return got, None


# --- PubMed XML ----------------------------------------------------------------------------

HEAD = b'<?xml version="1.0" encoding="utf-8"?>\n<PubmedArticleSet>\n'


def article(pmid: int) -> bytes:
    return (
        f'<PubmedArticle>\n<MedlineCitation Status="MEDLINE" Owner="NLM">\n'
        f'<PMID Version="1">{pmid}</PMID>\n<Article>\n'
        f"<Journal><Title>Journal {pmid}</Title><JournalIssue><PubDate><Year>2020</Year>"
        f"</PubDate></JournalIssue></Journal>\n"
        f"<ArticleTitle>A randomised trial number {pmid}</ArticleTitle>\n"
        f"<Abstract><AbstractText>We randomly assigned 40 patients.</AbstractText></Abstract>\n"
        f"<PublicationTypeList><PublicationType>Randomized Controlled Trial</PublicationType>"
        f"</PublicationTypeList>\n</Article>\n</MedlineCitation>\n</PubmedArticle>\n"
    ).encode()


FIVE = [article(1000 + i) for i in range(1, 6)]
BROKEN_THIRD = {
    "a mismatched tag": FIVE[2].replace(b"</Article>", b"</Articl>"),
    "no end tag": FIVE[2].replace(b"</PubmedArticle>", b""),
    "a damaged start tag": FIVE[2].replace(b"<PubmedArticle>", b"<PubmedArtXcle>"),
    "no PMID": FIVE[2].replace(b"<PMID", b"<PMIDX").replace(b"</PMID>", b"</PMIDX>"),
    "a bare ampersand": FIVE[2].replace(b"<ArticleTitle>", b"<ArticleTitle>& "),
    "cut in the middle": FIVE[2][: len(FIVE[2]) // 2],
}


def five_with(third: bytes) -> bytes:
    return HEAD + FIVE[0] + FIVE[1] + third + FIVE[3] + FIVE[4] + b"</PubmedArticleSet>\n"


@pytest.mark.parametrize("fault", sorted(BROKEN_THIRD))
@pytest.mark.parametrize("packed", [False, True], ids=["plain", "gzip"])
def test_five_articles_with_the_third_broken_give_four_records(fault, packed):
    data = five_with(BROKEN_THIRD[fault])
    if packed:
        data = gzip.compress(data)
    recs, errors = collect(iter_pubmed_xml, data, name="five.xml")
    assert [r.pmid for r in recs] == ["1001", "1002", "1004", "1005"]
    assert len(errors) == 1
    line = str(errors[0])
    assert line.startswith("five.xml:") and "\n" not in line
    assert ": record 3 (after PMID 1002): " in line
    third = (HEAD + FIVE[0] + FIVE[1]).count(b"\n") + 1  # the line the third article starts on
    assert third <= errors[0].line < third + FIVE[2].count(b"\n") + 1
    # without on_error: the good records before the fault, then the fault
    got, exc = strict(iter_pubmed_xml, data, name="five.xml")
    assert exc is not None and [r.pmid for r in got][:2] == ["1001", "1002"]


def test_a_file_object_is_read_past_its_bad_records_too():
    import io

    recs, errors = collect(iter_pubmed_xml, io.BytesIO(five_with(BROKEN_THIRD["no PMID"])))
    assert [r.pmid for r in recs] == ["1001", "1002", "1004", "1005"] and len(errors) == 1


def test_junk_between_articles_is_one_problem_and_no_record_is_lost():
    data = HEAD + FIVE[0] + FIVE[1] + b"<<junk>>\n" + FIVE[2] + b"</PubmedArticleSet>\n"
    recs, errors = collect(iter_pubmed_xml, data, name="j.xml")
    assert [r.pmid for r in recs] == ["1001", "1002", "1003"]
    assert len(errors) == 1 and ": after record 2 (PMID 1002): malformed XML" in str(errors[0])


def test_concatenated_files_keep_every_record_and_say_the_file_is_malformed():
    one = HEAD + FIVE[0] + FIVE[1] + b"</PubmedArticleSet>\n"
    two = HEAD + FIVE[2] + b"</PubmedArticleSet>\n"
    recs, errors = collect(iter_pubmed_xml, one + two, name="cat.xml")
    assert [r.pmid for r in recs] == ["1001", "1002", "1003"]
    assert len(errors) == 1 and "after record 2 (PMID 1002)" in str(errors[0])


def test_truncated_xml_reports_the_cut_record():
    data = five_with(FIVE[2])[:-200]
    recs, errors = collect(iter_pubmed_xml, data, name="cut.xml")
    assert [r.pmid for r in recs] == ["1001", "1002", "1003", "1004"]
    assert len(errors) == 1 and "record 5 (after PMID 1004)" in str(errors[0])
    # a gzip stream cut short: the records before the cut, then one error
    recs, errors = collect(iter_pubmed_xml, gzip.compress(five_with(FIVE[2]))[:-30])
    assert [r.pmid for r in recs] == ["1001", "1002", "1003", "1004"][: len(recs)]
    assert len(errors) == 1


def test_a_well_formed_file_reads_the_same_with_or_without_on_error():
    from offlabel.sources.readers import pubmed_xml

    cases = [
        five_with(FIVE[2]),
        HEAD + FIVE[0] + b"<!-- a comment -->\n<Other/>text" + FIVE[1] + b"</PubmedArticleSet>",
        HEAD.replace(b"utf-8", b"ISO-8859-1") + FIVE[0] + FIVE[1] + b"</PubmedArticleSet>",
        HEAD + FIVE[0] + b'<DeleteCitation><PMID Version="1">9</PMID></DeleteCitation>'
        + b"</PubmedArticleSet>",
        HEAD + b"</PubmedArticleSet>",
    ]
    for case in cases:
        want, exc = strict(pubmed_xml._iter_streamed, case)
        assert exc is None
        errors: list[ReaderError] = []
        assert list(pubmed_xml._iter_pieces(case, name=None, report=errors.append)) == want
        assert errors == []
        assert collect(iter_pubmed_xml, case) == (want, [])


def test_not_pubmed_xml_is_one_error():
    recs, errors = collect(iter_pubmed_xml, b"<html><body>no</body></html>", name="x.xml")
    assert recs == [] and len(errors) == 1 and "not PubMed XML" in str(errors[0])


def test_parallel_batch_reads_past_bad_records_in_file_order(monkeypatch):
    from offlabel.classify import batch

    monkeypatch.setattr(batch, "_BLOCK", 700)  # a slice every few articles
    many = [article(2000 + i) for i in range(30)]
    many[7] = many[7].replace(b"</Article>", b"</Articl>")
    many[18] = many[18].replace(b"<PMID", b"<PMIDX").replace(b"</PMID>", b"</PMIDX>")
    data = HEAD + b"".join(many) + b"</PubmedArticleSet>\n"
    serial, serial_errors = collect(iter_pubmed_xml, data, name="m.xml")
    assert len(serial) == 28 and len(serial_errors) == 2
    for workers in (1, 2):
        errors: list[ReaderError] = []
        pairs = list(
            batch.classify_pubmed_xml(data, workers=workers, name="m.xml", on_error=errors.append)
        )
        assert [p[0] for p in pairs] == serial
        assert [str(e) for e in errors] == [str(e) for e in serial_errors]
    assert "record 8 (after PMID 2006)" in str(serial_errors[0])
    assert "record 19 (after PMID 2017)" in str(serial_errors[1])
    # without on_error the parallel path stops at the first, as the serial one does
    got, exc = strict(batch.classify_pubmed_xml, data, workers=2, name="m.xml")
    assert len(got) == 7 and exc is not None and "record 8 (after PMID 2006)" in str(exc)


def test_parallel_batch_checks_the_header_and_a_cut_last_article_as_the_serial_reader():
    from offlabel.classify import batch

    cases = [
        b"junk\n" + HEAD + FIVE[0] + FIVE[1] + b"</PubmedArticleSet>\n",
        # blank lines before a last article cut short: its fault keeps its own line
        HEAD + FIVE[0] + b"\n\n\n" + FIVE[1].replace(b"</Article>", b"</Articl>")[:-30],
    ]
    for data in cases:
        serial, serial_errors = collect(iter_pubmed_xml, data, name="h.xml")
        assert serial and serial_errors
        errors: list[ReaderError] = []
        pairs = list(batch.classify_pubmed_xml(data, workers=2, name="h.xml", on_error=errors.append))
        assert [p[0] for p in pairs] == serial
        assert [str(e) for e in errors] == [str(e) for e in serial_errors]


# --- MEDLINE ---------------------------------------------------------------------------------


def medline(n: int) -> list[str]:
    return [
        f"PMID- {i}\nTI  - Title number {i} of a\n      wrapped title\nAU  - Doe J\n"
        f"PT  - Journal Article\n"
        for i in range(1, n + 1)
    ]


NINE = medline(9)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("text", "pmids", "marker", "says"),
    [
        # junk after record 3, between blocks: not a record, nothing lost
        ("\n".join(NINE[:3]) + "\nthis is junk\n\n" + "\n".join(NINE[3:]),
         [str(i) for i in range(1, 10)], "this is junk", "after record 3 (PMID 3): not a MEDLINE"),
        ("junk on line 1\n" + "\n".join(NINE), [str(i) for i in range(1, 10)],
         "junk on line 1", "before record 1: not a MEDLINE"),
        # junk inside record 3: that record is bad, the others are read
        ("\n".join(NINE[:2]) + "\n" + NINE[2] + "not medline\n\n" + "\n".join(NINE[3:]),
         [str(i) for i in range(1, 10) if i != 3], "not medline",
         "record 3 (after PMID 2): not a MEDLINE"),
        ("\n".join(NINE).replace("PMID- 4", "PMID- 4x"),
         [str(i) for i in range(1, 10) if i != 4], "PMID- 4x", "record 4 (after PMID 3): field PMID"),
    ],
    ids=["junk after record 3", "junk on line 1", "junk inside record 3", "bad PMID"],
)
def test_medline_reads_every_good_record(text, pmids, marker, says):
    recs, errors = collect(iter_medline, text, name="x.nbib")
    assert [r.pmid for r in recs] == pmids
    assert len(errors) == 1
    assert str(errors[0]).startswith(f"x.nbib:{line_of(text, marker)}: {says}"), str(errors[0])
    got, exc = strict(iter_medline, text, name="x.nbib")
    assert exc is not None and str(exc) == str(errors[0])
    assert [r.pmid for r in got] == pmids[: len(got)]


def test_medline_stray_paragraph_is_one_problem():
    text = "\n".join(NINE[:2]) + "\nstray line\n  continued\n  and again\n\n" + NINE[2]
    recs, errors = collect(iter_medline, text)
    assert [r.pmid for r in recs] == ["1", "2", "3"] and len(errors) == 1


# --- RIS -------------------------------------------------------------------------------------


def ris(i: int) -> str:
    return f"TY  - JOUR\nTI  - Title {i}\nAN  - {i}\nPY  - 2019\nER  - \n\n"


def test_ris_reads_past_a_record_without_er_a_stray_line_and_a_missing_ty():
    text = (
        ris(1)
        + "TY  - JOUR\nTI  - never closed\n\n"  # record 2: no ER before the next TY
        + ris(3)
        + "stray text\n"
        + ris(4)
        + "TI  - no TY\nAU  - Doe\nER  - \n\n"  # record 5: no TY
        + ris(6)
    )
    recs, errors = collect(iter_ris, text, name="x.ris")
    assert [r.pmid for r in recs] == ["1", "3", "4", "6"]
    assert [e.record for e in errors] == [
        "record 2 (after PMID 1)",
        "after record 3 (PMID 3)",
        "record 5 (after PMID 4)",
    ]
    assert "TY before the previous record's ER" in str(errors[0])


# --- CSV -------------------------------------------------------------------------------------


def test_csv_reads_past_bad_rows():
    text = (
        "pmid,title,year\n1,One,2001\n2,Two,20x1\n3,Three,2003\n4,\"Four\"x,2004\n"
        "5,Five\n6,Six,2006\n"
    )
    recs, errors = collect(iter_csv, text, name="x.csv")
    assert [r.pmid for r in recs] == ["1", "3", "6"]
    assert [(e.line, e.record) for e in errors] == [
        (3, "record 2 (after PMID 1)"),
        (5, "record 4 (after PMID 3)"),
        (6, "record 5 (after PMID 3)"),
    ]
    assert "column year" in str(errors[0]) and "malformed CSV" in str(errors[1])


# --- JSON ------------------------------------------------------------------------------------


def study(i: int) -> dict:
    return {
        "protocolSection": {
            "identificationModule": {"nctId": f"NCT{i:08d}", "briefTitle": f"Trial {i}"},
            "statusModule": {"overallStatus": "COMPLETED"},
            "armsInterventionsModule": {"armGroups": [{"label": "A", "type": "EXPERIMENTAL"}]},
        }
    }


def test_ctgov_reads_past_a_corrupted_study_and_a_study_without_id():
    studies = [json.dumps(study(i)) for i in range(1, 6)]
    studies[1] = studies[1].replace('"statusModule":', '"statusModule" #:')  # does not decode
    no_id = {"protocolSection": {"statusModule": {}}}
    text = '{"studies": [' + ", ".join([*studies[:4], json.dumps(no_id), studies[4]]) + "]}"
    recs, errors = collect(iter_ctgov, text, name="x.json")
    assert [r.nct for r in recs] == ["NCT00000001", "NCT00000003", "NCT00000004", "NCT00000005"]
    assert [e.record for e in errors] == ["record 2 (after NCT00000001)",
                                         "record 5 (after NCT00000004)"]
    # a download cut short: the whole studies before the cut, one error
    recs, errors = collect(iter_ctgov, text[: text.index("NCT00000004") + 40], name="x.json")
    assert [r.nct for r in recs] == ["NCT00000001", "NCT00000003"] and len(errors) == 2


def test_europepmc_reads_past_a_corrupted_result():
    results = [json.dumps({"id": str(i), "source": "MED", "pmid": str(i), "title": f"T{i}"})
               for i in range(1, 5)]
    results[2] = results[2].replace('"title"', '"title" "x"')
    text = '{"hitCount": 4, "resultList": {"result": [' + ", ".join(results) + "]}}"
    recs, errors = collect(iter_europepmc, text, name="e.json")
    assert [r.pmid for r in recs] == ["1", "2", "4"]
    assert len(errors) == 1 and errors[0].record == "record 3 (after PMID 2)"


# --- the registry and the files ------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_reader_takes_on_error_and_reads_nothing_from_nothing(fmt):
    recs, errors = collect(FORMATS[fmt], b"", name=f"empty.{fmt}")
    assert recs == []
    assert all(str(e).startswith(f"empty.{fmt}") and "\n" not in str(e) for e in errors)


def test_read_records_collects_every_error_and_every_good_record(tmp_path):
    f = tmp_path / "x.nbib"
    f.write_text("junk\n" + "\n".join(NINE[:3]) + "\nbad line\n\n" + "\n".join(NINE[3:]))
    errors: list[ReaderError] = []
    recs = list(read_records(f, errors=errors))
    assert len(recs) == 9 and len(errors) == 2
    seen: list[ReaderError] = []
    errors = []
    assert len(list(read_records(f, errors=errors, on_error=seen.append))) == 9
    assert seen == errors and len(seen) == 2
    errors = []
    assert list(read_records(tmp_path / "missing.nbib", errors=errors)) == []
    assert len(errors) == 1 and "missing.nbib" in str(errors[0])
    with pytest.raises(ReaderError):
        list(read_records(f))


def test_batch_uses_only_the_public_reader_api():
    tree = ast.parse((ROOT / "src/offlabel/classify/batch.py").read_text())
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    imported.discard("__future__")
    assert not any(part.startswith("_") for m in imported for part in m.split(".")), imported
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "offlabel.sources.readers":
            for alias in node.names:
                assert alias.name in readers.__all__, alias.name
    assert set(readers.__all__) <= set(dir(readers))


# --- offlabel classify ---------------------------------------------------------------------


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*OFFLABEL, "classify", *args], capture_output=True, text=True,
                          cwd=cwd)


def test_classify_reads_every_good_record_and_prints_each_bad_one(tmp_path):
    (tmp_path / "x.nbib").write_text(
        "\n".join(NINE[:3]) + "\nthis is junk\n\n" + NINE[3] + "not medline\n\n"
        + "\n".join(NINE[4:])
    )
    (tmp_path / "five.xml").write_bytes(five_with(BROKEN_THIRD["a mismatched tag"]))
    r = run("--json", "x.nbib", "five.xml", cwd=tmp_path)
    assert r.returncode == 1
    ids = [json.loads(line)["id"] for line in r.stdout.splitlines()]
    assert ids == [f"pmid:{i}" for i in (1, 2, 3, 5, 6, 7, 8, 9, 1001, 1002, 1004, 1005)]
    errors = r.stderr.strip().splitlines()
    assert len(errors) == 3 and "Traceback" not in r.stderr
    junk = line_of((tmp_path / "x.nbib").read_text(), "this is junk")
    assert errors[0].startswith(f"error: x.nbib:{junk}: after record 3 (PMID 3): ")
    assert errors[1].startswith("error: x.nbib:") and "record 4 (after PMID 3)" in errors[1]
    assert errors[2].startswith("error: five.xml:") and "record 3 (after PMID 1002)" in errors[2]
    r = run("x.nbib", cwd=tmp_path)  # the table too
    assert r.returncode == 1 and "pmid:9" in r.stdout


@pytest.mark.parametrize(
    "name,body",
    [("e.nbib", ""), ("e.ris", ""), ("e.csv", ""), ("h.csv", "pmid,title\n"),
     ("e.xml", '<?xml version="1.0"?>\n<PubmedArticleSet>\n</PubmedArticleSet>\n')],
)
def test_classify_says_when_a_file_has_no_records(tmp_path, name, body):
    (tmp_path / name).write_text(body)
    r = run(name, cwd=tmp_path)
    assert r.returncode == 0
    assert r.stderr.strip() == f"{name}: 0 records"


def test_classify_a_missing_file_or_a_folder_is_one_line(tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "ok.nbib").write_text(NINE[0])
    for arg, says in (("missing.nbib", "missing.nbib: no such file"),
                      ("folder", "folder: is a folder")):
        r = run(arg, "ok.nbib", cwd=tmp_path)
        assert r.returncode == 1
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: {says}"), lines
        assert "Traceback" not in r.stderr and "pmid:1" in r.stdout


def test_classify_help_documents_the_exit_status():
    r = subprocess.run([*OFFLABEL, "classify", "--help"], capture_output=True, text=True)
    text = " ".join(r.stdout.split())
    assert "0 records" in text and "Exit status: 0 when every record was read, 1" in text


def test_classify_is_a_module_level_command():
    import typer

    from offlabel.cli import classify as module

    app = typer.Typer()
    module.register(app)
    assert [c.callback for c in app.registered_commands] == [module.classify]


def test_parallel_batch_faults_cross_processes_with_distributed_imported(monkeypatch):
    # `distributed` (offlabel scan) installs tblib's exception pickling, which carries an
    # exception's context: a fault raised while handling an lxml error must still reach the
    # parent process as one line, not as an unpicklable lxml error log.
    import distributed  # noqa: F401  (imported for its side effect on exception pickling)

    test_parallel_batch_reads_past_bad_records_in_file_order(monkeypatch)
