"""The bare baseline for the scan benchmark: a plain lxml iterparse loop over MEDLINE files.

Issue 15 asks how the end-to-end scan (parse, classify, extract, write) compares with the simplest
good program that reads the same fields. This is that program, written the way the lxml docs and
a careful Python programmer would: ``iterparse`` filtered to ``PubmedArticle`` and
``DeleteCitation``, ElementPath lookups by path, text with ``itertext`` where markup may occur,
and each element cleared (with its finished siblings) once read so memory stays flat. It does no
classification and writes nothing: the fields land in a small dataclass per record, and the
caller decides what to keep.

    python validation/medline/bare_lxml.py FILE.xml.gz [FILE...]
"""

from __future__ import annotations

import gzip
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, cast

from lxml import etree


@dataclass
class Mesh:
    ui: str
    name: str
    major: bool
    qualifiers: list[str]


@dataclass
class Chemical:
    ui: str
    name: str
    registry: str


@dataclass
class Supplementary:
    ui: str
    name: str
    type: str


@dataclass
class Row:
    """The fields the scan's shard holds per record, before any classification."""

    pmid: int
    version: int = 1
    deleted: bool = False
    year: int | None = None
    title: str = ""
    journal: str = ""
    abstract: str = ""
    publication_types: list[str] = field(default_factory=list)
    mesh: list[Mesh] = field(default_factory=list)
    chemicals: list[Chemical] = field(default_factory=list)
    supplementary: list[Supplementary] = field(default_factory=list)


def _text(elem: etree._Element | None) -> str:
    # titles and abstracts may hold inline markup (<i>, <sup>): itertext keeps what .text cuts
    return " ".join("".join(elem.itertext()).split()) if elem is not None else ""


def _year(cit: etree._Element) -> int | None:
    date = cit.find("Article/Journal/JournalIssue/PubDate")
    if date is None:
        return None
    raw = date.findtext("Year") or date.findtext("MedlineDate") or ""
    digits = raw.strip()[:4]
    return int(digits) if digits.isdigit() else None


def article_row(art: etree._Element) -> Row:
    """The fields of one PubmedArticle element."""
    cit = art.find("MedlineCitation")
    if cit is None:
        raise ValueError("PubmedArticle without MedlineCitation")
    pmid = cit.find("PMID")
    if pmid is None or not (pmid.text or "").strip().isdigit():
        raise ValueError("PubmedArticle without a numeric PMID")
    row = Row(pmid=int(pmid.text or ""), version=int(pmid.get("Version", "1")))
    article = cit.find("Article")
    if article is not None:
        row.title = _text(article.find("ArticleTitle"))
        row.journal = (article.findtext("Journal/Title") or "").strip()
        row.abstract = " ".join(_text(a) for a in article.iterfind("Abstract/AbstractText"))
        row.publication_types = [
            (pt.text or "").strip() for pt in article.iterfind("PublicationTypeList/PublicationType")
        ]
    row.year = _year(cit)
    for heading in cit.iterfind("MeshHeadingList/MeshHeading"):
        desc = heading.find("DescriptorName")
        if desc is None:
            continue
        row.mesh.append(Mesh(
            ui=desc.get("UI", ""),
            name=(desc.text or "").strip(),
            major=desc.get("MajorTopicYN") == "Y",
            qualifiers=[(q.text or "").strip() for q in heading.iterfind("QualifierName")],
        ))
    for chem in cit.iterfind("ChemicalList/Chemical"):
        name = chem.find("NameOfSubstance")
        row.chemicals.append(Chemical(
            ui=name.get("UI", "") if name is not None else "",
            name=(name.text or "").strip() if name is not None else "",
            registry=(chem.findtext("RegistryNumber") or "").strip(),
        ))
    for suppl in cit.iterfind("SupplMeshList/SupplMeshName"):
        row.supplementary.append(Supplementary(
            ui=suppl.get("UI", ""), name=(suppl.text or "").strip(), type=suppl.get("Type", "")
        ))
    return row


def iter_rows(source: Path | IO[bytes]) -> Iterator[Row]:
    """Every record of a MEDLINE file (.xml or .xml.gz), deletions as rows with deleted=True.

    A file cut short raises lxml's XMLSyntaxError after the records before the cut.
    """
    if isinstance(source, Path):
        stream = cast(IO[bytes], gzip.open(source)) if source.name.endswith(".gz") \
            else open(source, "rb")
    else:
        stream = source
    try:
        for _, elem in etree.iterparse(stream, events=("end",),
                                       tag=("PubmedArticle", "DeleteCitation")):
            if elem.tag == "PubmedArticle":
                yield article_row(elem)
            else:
                for pmid in elem.iterfind("PMID"):
                    yield Row(pmid=int((pmid.text or "").strip()),
                              version=int(pmid.get("Version", "1")), deleted=True)
            # free the record and the finished siblings the root still holds
            elem.clear()
            while elem.getprevious() is not None:
                del elem.getparent()[0]
    finally:
        if stream is not source:
            stream.close()


def main(argv: list[str]) -> int:
    total = 0
    start = time.perf_counter()
    for name in argv:
        try:
            rows = list(iter_rows(Path(name)))
        except etree.XMLSyntaxError as e:
            print(f"{name}: {e}", file=sys.stderr)
            continue
        total += len(rows)
    seconds = time.perf_counter() - start
    print(f"{total} records in {seconds:.1f} s: {total / max(seconds, 1e-9):.0f} records/s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
