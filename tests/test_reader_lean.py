"""The PubMed reader's lean read (what `offlabel scan` asks for) and the byte cuts of its quick path.

A lean record is the detail record less its authors, keywords, DOI and PMC id, whichever of the
reader's three paths reads it; the quick path's cuts (reference lists always, the PubmedData
and author list when lean) change no field of any record. Real records come from ../shared and
those tests skip with the reason when it is absent; the constructed ones always run.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
from pathlib import Path

import pytest

from offlabel.model import Record
from offlabel.sources.readers import iter_pubmed_xml
from offlabel.sources.readers import pubmed_xml as px

SHARED = Path(__file__).resolve().parents[2] / "shared"
REAL = sorted(
    p for root in (SHARED / "medline-sample", SHARED / "records") if root.is_dir()
    for p in root.rglob("*") if p.name.endswith((".xml", ".xml.gz"))
)
needs_shared = pytest.mark.skipif(not REAL, reason=f"no PubMed XML under {SHARED} (shared data absent)")

LEFT_OUT = {"authors": [], "keywords": [], "doi": None, "pmcid": None}


def lean_of(rec: Record) -> Record:
    return dataclasses.replace(rec, **LEFT_OUT) if not rec.deleted else rec


def read(source: object, **kw: object) -> list[Record]:
    errors: list[object] = []
    recs = list(iter_pubmed_xml(source, on_error=errors.append, **kw))  # type: ignore[arg-type]
    return recs + [Record(source="error", title=str(e)) for e in errors]


@needs_shared
@pytest.mark.parametrize("how", ["path", "bytes", "file object"])
def test_lean_is_detail_less_authors_keywords_and_ids_on_every_real_file(how: str) -> None:
    compared = with_authors = 0
    for path in REAL:
        data = path.read_bytes()
        source = {"path": path, "bytes": data, "file object": None}[how]
        detail = read(source if source is not None else io.BytesIO(data), detail=True)
        lean = read(source if source is not None else io.BytesIO(data), lean=True)
        assert lean == [lean_of(r) for r in detail], path.name
        compared += len(lean)
        with_authors += sum(bool(r.authors) for r in detail)
    # the comparison had something to lose: records, and authors that lean leaves out
    assert compared > 400 and with_authors > 100


HEAD = b'<?xml version="1.0" encoding="utf-8"?>\n<PubmedArticleSet>\n'
TAIL = b"</PubmedArticleSet>\n"


def article(pmid: int, refs: str = "", authors: str = "") -> bytes:
    # the first has both DOIs (the article's own wins), the others only PubmedData's
    elocation = f'<ELocationID EIdType="doi" ValidYN="Y">10.1/e{pmid}</ELocationID>' * (pmid == 1)
    return f"""<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">
<PMID Version="1">{pmid}</PMID><Article><Journal><Title>J</Title></Journal>
<ArticleTitle>Title {pmid}</ArticleTitle>{authors}
{elocation}</Article>
<KeywordList><Keyword>kw{pmid}</Keyword></KeywordList></MedlineCitation>
<PubmedData><History><PubMedPubDate PubStatus="pubmed"><Year>2020</Year></PubMedPubDate></History>
<ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId>
<ArticleId IdType="doi">10.1/d{pmid}</ArticleId><ArticleId IdType="pmc">PMC{pmid}</ArticleId>
</ArticleIdList>{refs}</PubmedData></PubmedArticle>
""".encode()


BOOK = b"""<PubmedBookArticle><BookDocument><PMID Version="1">7</PMID>
<Book><BookTitle>A book</BookTitle></Book><ArticleTitle>Chapter</ArticleTitle>
<ReferenceList><Reference><Citation>Cited</Citation></Reference></ReferenceList>
</BookDocument><PubmedBookData><ArticleIdList><ArticleId IdType="pubmed">7</ArticleId>
</ArticleIdList></PubmedBookData></PubmedBookArticle>
"""

NESTED_REFS = ("<ReferenceList><Title>Main</Title><Reference><Citation>A</Citation>"
               "<ArticleIdList><ArticleId IdType=\"doi\">10.9/ref</ArticleId></ArticleIdList>"
               "</Reference><ReferenceList><Title>More</Title><Reference><Citation>B</Citation>"
               "</Reference></ReferenceList></ReferenceList>")
AUTHORS = ('<AuthorList CompleteYN="Y"><Author ValidYN="Y"><LastName>Roe</LastName>'
           "<Initials>J</Initials><AffiliationInfo><Affiliation>Somewhere</Affiliation>"
           "</AffiliationInfo></Author></AuthorList>")


def test_cuts_keep_every_read_field_and_never_span_an_article() -> None:
    body = article(1, NESTED_REFS, AUTHORS) + BOOK + article(2, NESTED_REFS) + article(3)
    data = HEAD + body + TAIL
    cut = px._skim(body)
    # the reference lists (nested too) are gone, the book's (outside any PubmedData) is not
    assert b"10.9/ref" not in cut and cut.count(b"<ReferenceList>") == 1
    assert cut.count(b"<PubmedArticle>") == 3 and b"<ArticleIdList>" in cut
    lean_cut = px._skim(body, lean=True)
    assert b"<PubmedData" not in lean_cut and b"<AuthorList" not in lean_cut
    assert lean_cut.count(b"</PubmedArticle>") == 3 and b"<PubmedBookData>" in lean_cut
    # the quick path (bytes) and the streaming parse (a file object) read the same records
    for detail in (False, True):
        quick = list(iter_pubmed_xml(data, detail=detail))
        streamed = list(iter_pubmed_xml(io.BytesIO(data), detail=detail))
        assert quick == streamed
        assert [r.doi for r in quick] == ["10.1/e1", None, "10.1/d2", "10.1/d3"]
        assert [r.pmcid for r in quick] == ["PMC1", None, "PMC2", "PMC3"]
        assert quick[0].authors == ["Roe J"] and quick[0].keywords == ["kw1"]
    lean = list(iter_pubmed_xml(gzip.compress(data), lean=True))
    assert lean == list(iter_pubmed_xml(io.BytesIO(data), lean=True))
    assert lean == [lean_of(r) for r in iter_pubmed_xml(data, detail=True)]
    assert [r.pmid for r in lean] == ["1", "7", "2", "3"] and lean[0].mesh_terms == []


def test_a_cut_that_cannot_be_placed_is_left_for_the_parser() -> None:
    # an author list cut short inside its article: nothing is cut, and lxml reports the fault
    broken = article(1, authors="<AuthorList><Author><LastName>Roe</LastName></Author>")
    assert px._skim(broken, lean=True).count(b"<AuthorList>") == 1
    errors: list[object] = []
    recs = list(iter_pubmed_xml(HEAD + broken + article(2) + TAIL, lean=True,
                                on_error=errors.append))
    assert [r.pmid for r in recs] == ["2"] and len(errors) == 1


def medline_article(pmid: int, before_article: str = "", after_mesh: str = "") -> bytes:
    mesh = ('<MeshHeadingList><MeshHeading><DescriptorName UI="D1" MajorTopicYN="Y">Alcoholism'
            '</DescriptorName><QualifierName UI="Q1" MajorTopicYN="N">drug therapy</QualifierName>'
            "</MeshHeading></MeshHeadingList>")
    return f"""<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">
<PMID Version="1">{pmid}</PMID>{before_article}<Article PubModel="Print"><Journal><Title>J</Title>
</Journal><ArticleTitle>Title {pmid}</ArticleTitle>{AUTHORS}</Article>
<MedlineJournalInfo><MedlineTA>J</MedlineTA></MedlineJournalInfo>{mesh}{after_mesh}
</MedlineCitation><PubmedData><ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId>
</ArticleIdList></PubmedData></PubmedArticle>
""".encode()


DATES = "<DateCompleted><Year>2001</Year></DateCompleted><DateRevised><Year>2019</Year></DateRevised>"
TRAILING = ("<OtherAbstract Type=\"Publisher\"><AbstractText>Otra</AbstractText></OtherAbstract>"
            "<KeywordList><Keyword>kw</Keyword></KeywordList>")
CHEMICALS = ('<ChemicalList><Chemical><RegistryNumber>H789N3FKE8</RegistryNumber>'
             '<NameOfSubstance UI="D001418">Baclofen</NameOfSubstance></Chemical></ChemicalList>')


def test_lean_cut_keeps_what_is_read_in_the_dtd_order_or_out_of_it() -> None:
    in_order = medline_article(1, DATES, TRAILING)
    cut = px._skim(in_order, lean=True)
    # the dates, the author list, what follows the MeSH list and the PubmedData are gone
    for gone in (b"<DateCompleted>", b"<AuthorList", b"<OtherAbstract", b"<KeywordList>",
                 b"<PubmedData>"):
        assert gone not in cut, gone
    assert b"<MeshHeadingList>" in cut and b"</MedlineCitation>" in cut
    # out of the DTD's order, a read element in a gap keeps the gap: nothing read is lost
    chem_first = medline_article(2, CHEMICALS + DATES, TRAILING)
    chem_last = medline_article(3, DATES, TRAILING + CHEMICALS)
    assert b"Baclofen" in px._skim(chem_first, lean=True)
    assert b"Baclofen" in px._skim(chem_last, lean=True)
    data = HEAD + in_order + chem_first + BOOK + chem_last + TAIL
    quick = list(iter_pubmed_xml(data, lean=True))
    assert quick == list(iter_pubmed_xml(io.BytesIO(data), lean=True))
    assert [r.pmid for r in quick] == ["1", "2", "7", "3"]
    assert [r.chemicals for r in quick] == [[], ["Baclofen"], [], ["Baclofen"]]
    assert quick[0].mesh_terms[0].major and quick[0].mesh_qualifiers == {"Alcoholism": ["drug therapy"]}
