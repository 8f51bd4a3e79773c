"""PubMed/MEDLINE XML: efetch output and the annual baseline / daily update files, plain or .gz.

Streamed with lxml iterparse: each <PubmedArticle> is turned into a Record and then freed
(together with its already-seen siblings), so memory stays flat however large the file is.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from offlabel.model import Record

from ._common import ReaderError, Source, open_binary, parse_year, source_name, squash

_ARTICLE_TAGS = ("PubmedArticle", "PubmedBookArticle")


def iter_pubmed_xml(source: Source, *, name: str | None = None) -> Iterator[Record]:
    """Yield a Record per article; raise ReaderError (after the good ones) on a malformed file."""
    from lxml import etree

    file = source_name(source, name)
    count = 0
    last_pmid: str | None = None
    try:
        stream = open_binary(source)
    except OSError as exc:
        raise ReaderError(file, f"cannot open: {exc}") from None
    try:
        # No DTD loading, no entity expansion, no network: efetch output is self-contained.
        parser = etree.iterparse(
            stream,
            events=("end",),
            tag=_ARTICLE_TAGS,
            huge_tree=True,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
        )
        for _event, elem in parser:
            try:
                rec = _article(elem) if elem.tag == "PubmedArticle" else _book_article(elem)
            except ValueError as exc:
                raise ReaderError(
                    file, str(exc), record=_where(count, last_pmid), line=elem.sourceline
                ) from None
            count += 1
            last_pmid = rec.pmid
            # Free what we have read: the element and any preceding siblings.
            elem.clear()
            parent = elem.getparent()
            if parent is not None:
                while elem.getprevious() is not None:
                    del parent[0]
            yield rec
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        msg = exc.msg.splitlines()[0] if exc.msg else "malformed XML"
        raise ReaderError(
            file, f"malformed XML: {msg}", record=_where(count, last_pmid), line=line
        ) from None
    except (OSError, EOFError) as exc:  # truncated or corrupt gzip
        raise ReaderError(file, f"cannot read: {exc}", record=_where(count, last_pmid)) from None
    finally:
        if stream is not source:
            stream.close()
    root = getattr(parser, "root", None)
    if count == 0 and root is not None and not str(root.tag).startswith("Pubmed"):
        # Well-formed XML of some other kind: say so rather than yield nothing.
        raise ReaderError(file, f"not PubMed XML (root element <{root.tag}>)", line=1)


def parse_pubmed_xml(source: Source, *, name: str | None = None) -> list[Record]:
    """All records of an efetch response or file (bytes, path or binary file object)."""
    return list(iter_pubmed_xml(source, name=name))


def _where(count: int, last_pmid: str | None) -> str:
    after = f", after PMID {last_pmid}" if last_pmid else ""
    return f"record {count + 1}{after}"


def _text(elem: Any) -> str:
    # itertext keeps text inside inline markup (<i>, <sup>, <b>) that .text would cut off.
    return squash("".join(elem.itertext())) if elem is not None else ""


def _article(art: Any) -> Record:
    cit = art.find("MedlineCitation")
    if cit is None:
        raise ValueError("PubmedArticle without MedlineCitation")
    pmid = cit.findtext("PMID")
    if not pmid or not pmid.strip().isdigit():
        raise ValueError(f"missing or non-numeric PMID {pmid!r}")
    a = cit.find("Article")
    rec = Record(source="pubmed", pmid=pmid.strip())
    if a is not None:
        rec.title = _text(a.find("ArticleTitle")) or _text(a.find("VernacularTitle"))
        _abstract(a.find("Abstract"), rec)
        journal = a.find("Journal")
        if journal is not None:
            rec.journal = (
                squash(journal.findtext("Title"))
                or squash(journal.findtext("ISOAbbreviation"))
                or None
            )
            pubdate = journal.find("JournalIssue/PubDate")
            if pubdate is not None:
                rec.year = parse_year(pubdate.findtext("Year") or pubdate.findtext("MedlineDate"))
        if rec.year is None:
            rec.year = parse_year(a.findtext("ArticleDate/Year"))
        rec.authors = _authors(a.find("AuthorList"))
        rec.publication_types = [
            squash(pt.text) for pt in a.iterfind("PublicationTypeList/PublicationType") if pt.text
        ]
        lang = a.findtext("Language")
        rec.language = lang.strip() if lang else None
        for eid in a.iterfind("ELocationID"):
            if eid.get("EIdType") == "doi" and eid.text:
                rec.doi = eid.text.strip()
        for bank in a.iterfind("DataBankList/DataBank"):
            if (bank.findtext("DataBankName") or "").strip() == "ClinicalTrials.gov":
                acc = bank.findtext("AccessionNumberList/AccessionNumber")
                if acc:
                    rec.nct = acc.strip()
    if not rec.journal:
        rec.journal = squash(cit.findtext("MedlineJournalInfo/MedlineTA")) or None
    for heading in cit.iterfind("MeshHeadingList/MeshHeading"):
        desc = squash(heading.findtext("DescriptorName"))
        if not desc:
            continue
        rec.mesh.append(desc)
        quals = [squash(q.text) for q in heading.iterfind("QualifierName") if q.text]
        if quals:
            rec.mesh_qualifiers[desc] = quals
    rec.chemicals = [
        squash(c.text) for c in cit.iterfind("ChemicalList/Chemical/NameOfSubstance") if c.text
    ]
    rec.keywords = [_text(k) for k in cit.iterfind("KeywordList/Keyword")]
    for aid in art.iterfind("PubmedData/ArticleIdList/ArticleId"):
        kind, value = aid.get("IdType"), (aid.text or "").strip()
        if not value:
            continue
        if kind == "doi" and not rec.doi:
            rec.doi = value
        elif kind == "pmc":
            rec.pmcid = value
    status = cit.get("Status")
    if status:
        rec.extra["status"] = status
    return rec


def _book_article(art: Any) -> Record:
    doc = art.find("BookDocument")
    if doc is None:
        raise ValueError("PubmedBookArticle without BookDocument")
    pmid = (doc.findtext("PMID") or "").strip()
    if not pmid.isdigit():
        raise ValueError(f"missing or non-numeric PMID {pmid!r}")
    rec = Record(source="pubmed", pmid=pmid)
    rec.title = _text(doc.find("ArticleTitle")) or _text(doc.find("Book/BookTitle"))
    _abstract(doc.find("Abstract"), rec)
    rec.year = parse_year(doc.findtext("Book/PubDate/Year"))
    rec.journal = squash(doc.findtext("Book/BookTitle")) or None
    rec.authors = _authors(doc.find("AuthorList"))
    rec.publication_types = [squash(pt.text) for pt in doc.iterfind("PublicationType") if pt.text]
    lang = doc.findtext("Language")
    rec.language = lang.strip() if lang else None
    rec.keywords = [_text(k) for k in doc.iterfind("KeywordList/Keyword")]
    rec.extra["book"] = True
    return rec


def _abstract(abstract: Any, rec: Record) -> None:
    if abstract is None:
        return
    parts = []
    for node in abstract.iterfind("AbstractText"):
        text = _text(node)
        label = node.get("Label")
        if label:
            rec.abstract_sections.append((label, text))
            parts.append(f"{label}: {text}")
        else:
            parts.append(text)
    rec.abstract = " ".join(p for p in parts if p)


def _authors(author_list: Any) -> list[str]:
    if author_list is None:
        return []
    out = []
    for au in author_list.iterfind("Author"):
        last = au.findtext("LastName")
        if last:
            initials = au.findtext("Initials") or au.findtext("ForeName") or ""
            out.append(squash(f"{last} {initials}"))
        else:
            collective = au.findtext("CollectiveName")
            if collective:
                out.append(squash(collective))
    return out
