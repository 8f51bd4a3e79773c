"""PubMed/MEDLINE XML: efetch output and the annual baseline / daily update files, plain or .gz.

Streamed with lxml iterparse: each <PubmedArticle> is turned into a Record and then freed
(together with its already-seen siblings), so memory stays flat however large the file is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from offlabel.model import Record

from ._common import ReaderError, Source, open_binary, parse_year, source_name, squash

_ARTICLE_TAGS = ("PubmedArticle", "PubmedBookArticle")
_POSITION = re.compile(r",? line \d+, column \d+$")


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
            remove_blank_text=True,  # fewer text nodes to build: about 15% faster
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
        msg = _POSITION.sub("", msg)  # the line is reported once, in the prefix
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
    if elem is None:
        return ""
    if len(elem) == 0:  # no inline markup: the common case, and much cheaper
        return squash(elem.text)
    # itertext keeps text inside inline markup (<i>, <sup>, <b>) that .text would cut off.
    return squash("".join(elem.itertext()))


def _plain(elem: Any) -> str:
    """Text of a leaf element that never holds markup or line breaks (PT, MeSH, ids)."""
    text = elem.text
    return text.strip() if text else ""


_WANTED = (
    "PMID",
    "ArticleTitle",
    "VernacularTitle",
    "AbstractText",
    "Title",
    "ISOAbbreviation",
    "PubDate",
    "ArticleDate",
    "Author",
    "PublicationType",
    "Language",
    "ELocationID",
    "DataBank",
    "MedlineTA",
    "MeshHeading",
    "NameOfSubstance",
    "Keyword",
    "ArticleId",
)


def _article(art: Any) -> Record:
    # One C-level walk over the tags we want, dispatching on tag and parent, is several times
    # faster than a find() per field (lxml's ElementPath runs in Python).
    rec = Record(source="pubmed")
    cit = None
    abstract: list[str] = []
    journal_title = iso = medline_ta = None
    year = article_year = None
    for el in art.iter(_WANTED):
        tag = el.tag
        parent = el.getparent()
        ptag = parent.tag
        if tag == "PMID":
            if ptag == "MedlineCitation" and rec.pmid is None:
                cit = parent
                rec.pmid = (el.text or "").strip()
        elif ptag == "Article":
            if tag == "ArticleTitle":
                rec.title = _text(el)
            elif tag == "VernacularTitle":
                if not rec.title:
                    rec.title = _text(el)
            elif tag == "Language":
                if rec.language is None and el.text:
                    rec.language = el.text.strip()
            elif tag == "ELocationID":
                if el.get("EIdType") == "doi" and el.text:
                    rec.doi = el.text.strip()
            elif tag == "ArticleDate":
                article_year = parse_year(el.findtext("Year"))
        elif tag == "AbstractText":
            if ptag != "Abstract" or parent.getparent().tag != "Article":
                continue  # OtherAbstract (translations, plain-language) are not the abstract
            text = _text(el)
            label = el.get("Label")
            if label:
                rec.abstract_sections.append((label, text))
                abstract.append(f"{label}: {text}" if text else "")
            else:
                abstract.append(text)
        elif tag == "Title" and ptag == "Journal":
            journal_title = el.text
        elif tag == "ISOAbbreviation" and ptag == "Journal":
            iso = el.text
        elif tag == "PubDate" and ptag == "JournalIssue":
            year = parse_year(el.findtext("Year") or el.findtext("MedlineDate"))
        elif tag == "Author" and ptag == "AuthorList":
            name = _author(el)
            if name:
                rec.authors.append(name)
        elif tag == "PublicationType":
            if el.text:
                rec.publication_types.append(el.text.strip())
        elif tag == "MeshHeading":
            desc = (el.findtext("DescriptorName") or "").strip()
            if desc:
                rec.mesh.append(desc)
                quals = [q.text.strip() for q in el.iterchildren("QualifierName") if q.text]
                if quals:
                    rec.mesh_qualifiers[desc] = quals
        elif tag == "NameOfSubstance":
            if el.text:
                rec.chemicals.append(el.text.strip())
        elif tag == "Keyword":
            rec.keywords.append(_text(el))
        elif tag == "MedlineTA" and ptag == "MedlineJournalInfo":
            medline_ta = el.text
        elif tag == "DataBank":
            if (el.findtext("DataBankName") or "").strip() == "ClinicalTrials.gov":
                acc = el.findtext("AccessionNumberList/AccessionNumber")
                if acc and rec.nct is None:
                    rec.nct = acc.strip()
        elif tag == "ArticleId" and ptag == "ArticleIdList":
            if parent.getparent().tag != "PubmedData":
                continue  # ids of cited references
            kind, value = el.get("IdType"), (el.text or "").strip()
            if kind == "doi" and value and not rec.doi:
                rec.doi = value
            elif kind == "pmc" and value:
                rec.pmcid = value
    if cit is None:
        raise ValueError("PubmedArticle without MedlineCitation/PMID")
    if not rec.pmid or not rec.pmid.isdigit():
        raise ValueError(f"missing or non-numeric PMID {rec.pmid!r}")
    rec.abstract = " ".join(p for p in abstract if p)
    rec.journal = squash(journal_title) or squash(iso) or squash(medline_ta) or None
    rec.year = year if year is not None else article_year
    status = cit.get("Status")
    if status:
        rec.extra["status"] = status
    return rec


def _author(au: Any) -> str:
    last = au.findtext("LastName")
    if last:
        initials = au.findtext("Initials") or au.findtext("ForeName") or ""
        return f"{last.strip()} {initials.strip()}".strip()
    collective = au.find("CollectiveName")
    return _text(collective) if collective is not None else ""


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
    return [name for au in author_list.iterfind("Author") if (name := _author(au))]
