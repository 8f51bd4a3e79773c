"""Europe PMC REST search JSON (`resultType=lite` or `core`) -> Record.

Core results carry the abstract (with <h4> section headings), pubTypeList and MeSH; lite
results only a '; '-joined lower-case `pubType` string, which is kept as is.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

from offlabel.model import Record

from ._common import (
    OnError,
    Source,
    json_records,
    parse_year,
    raise_error,
    source_name,
    squash,
)

_TAG = re.compile(r"<[^>]+>")
_H4 = re.compile(r"<h4>(.*?)</h4>", re.I | re.S)


def iter_europepmc(
    source: Source | str, *, name: str | None = None, on_error: OnError | None = None
) -> Iterator[Record]:
    """Yield a Record per result; each bad result (or broken JSON) is one ReaderError, raised
    (the default) or handed to `on_error` and read past."""
    yield from json_records(source, source_name(source, name), "result", _results, _is_result,
                            record_from_europepmc, _ident, on_error or raise_error)


def _ident(rec: Record) -> str | None:
    return f"PMID {rec.pmid}" if rec.pmid else rec.doi or rec.pmcid


def _is_result(item: object) -> bool:
    return isinstance(item, dict) and "id" in item and "source" in item


def _results(doc: object) -> list[Any]:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        rl = doc.get("resultList")
        if isinstance(rl, dict) and isinstance(results := rl.get("result", []), list):
            return results
        if "id" in doc and "source" in doc:
            return [doc]
    raise ValueError("not Europe PMC search JSON (no resultList.result)")


def _plain(text: str) -> str:
    return squash(html.unescape(_TAG.sub(" ", text)))


def record_from_europepmc(result: dict[str, Any]) -> Record:
    """One element of `resultList.result` -> Record. ValueError if it has no identifier."""
    if not isinstance(result, dict):
        raise ValueError(f"result is a {type(result).__name__}, not an object")
    pmid = result.get("pmid")
    rec = Record(source="europepmc")
    rec.pmid = str(pmid) if pmid and str(pmid).isdigit() else None
    rec.doi = result.get("doi") or None
    rec.pmcid = result.get("pmcid") or None
    if not (rec.pmid or rec.doi or rec.pmcid or result.get("id")):
        raise ValueError("result has no id, pmid, doi or pmcid")
    if not rec.pmid and not rec.doi and not rec.pmcid:
        rec.extra["europepmc_id"] = f"{result.get('source')}:{result.get('id')}"
    rec.title = _plain(str(result.get("title") or ""))
    _abstract(str(result.get("abstractText") or ""), rec)
    journal = result.get("journalInfo") or {}
    rec.journal = (journal.get("journal") or {}).get("title") or result.get("journalTitle") or None
    rec.year = parse_year(str(result.get("pubYear") or journal.get("yearOfPublication") or ""))
    authors = (result.get("authorList") or {}).get("author") or []
    rec.authors = [str(a["fullName"]) for a in authors if isinstance(a, dict) and a.get("fullName")]
    if not rec.authors and result.get("authorString"):
        rec.authors = [a.strip(" .") for a in str(result["authorString"]).split(",") if a.strip()]
    pub_types = (result.get("pubTypeList") or {}).get("pubType")
    if isinstance(pub_types, list):
        rec.publication_types = [str(p) for p in pub_types]
    elif isinstance(pub_types, str):
        rec.publication_types = [pub_types]
    elif result.get("pubType"):
        # lite results: lower-cased; kept verbatim, the classifier matches case-insensitively
        rec.publication_types = [p.strip() for p in str(result["pubType"]).split(";") if p.strip()]
    for heading in (result.get("meshHeadingList") or {}).get("meshHeading") or []:
        desc = heading.get("descriptorName") if isinstance(heading, dict) else None
        if not desc:
            continue
        rec.mesh.append(desc)
        quals = (heading.get("meshQualifierList") or {}).get("meshQualifier") or []
        names = [q.get("qualifierName") for q in quals if isinstance(q, dict)]
        if names:
            rec.mesh_qualifiers[desc] = [n for n in names if n]
    rec.chemicals = [
        str(c["name"])
        for c in (result.get("chemicalList") or {}).get("chemical") or []
        if isinstance(c, dict) and c.get("name")
    ]
    rec.keywords = [str(k) for k in (result.get("keywordList") or {}).get("keyword") or []]
    rec.language = result.get("language") or None
    rec.extra["europepmc_source"] = result.get("source")
    return rec


def _abstract(raw: str, rec: Record) -> None:
    if not raw:
        return
    heads = list(_H4.finditer(raw))
    if heads:
        for i, m in enumerate(heads):
            end = heads[i + 1].start() if i + 1 < len(heads) else len(raw)
            rec.abstract_sections.append((_plain(m.group(1)), _plain(raw[m.end() : end])))
        rec.abstract = " ".join(f"{label}: {text}" for label, text in rec.abstract_sections)
    else:
        rec.abstract = _plain(raw)
