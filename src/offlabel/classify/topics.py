"""Which drugs and which conditions a MEDLINE record is about, from NLM's own indexing.

The evidence map of a scan (`offlabel map`) counts studies per drug x condition, so every record
needs the two lists. NLM indexers already name both: the ChemicalList holds the substances, the
MeshHeadingList the diseases, each heading with qualifiers that MeSH allows only for some kinds
of descriptor. The rules here are general and read only what the record (and, when the user gives
it, NLM's descriptor file) says; nothing is tuned to a particular record.

Drugs. A chemical of the ChemicalList is a drug when it is a pharmacologic substance given:
- with tree numbers (the MeSH descriptor file, `offlabel scan --mesh`): its descriptor must sit
  in a D tree (Chemicals and Drugs) outside D27's class names (pharmacologic actions such as
  "Adrenergic beta-Antagonists" are classes); a supplementary concept (no trees of its own)
  passes this test on the rules below alone;
- a heading of the same name with a qualifier saying it was given to people or animals
  ("therapeutic use", "administration & dosage", "adverse effects", "poisoning",
  "pharmaceutics") makes it a drug;
- otherwise a defined substance (a registry number: CAS or UNII) is a drug when its name occurs
  in the title or abstract and either its own heading carries "pharmacology",
  "pharmacokinetics" or "toxicity" (qualifiers as often put on a reagent of a bench experiment,
  ATP or zinc in an enzyme assay, hence the text too) or it has no heading of its own (a
  supplementary concept, indexed under a broader heading: its name in the text is the only cue
  it has). Its own heading without a drug qualifier ("Alanine" in an alanine aminopeptidase
  assay, "Creatinine/urine") means discussed or measured, not given;
- a class, group or enzyme (registry "0" or "EC ...") only with a clinical-use qualifier:
  "Adrenergic beta-Antagonists/therapeutic use" is a treatment, "Hexokinase/pharmacology" a
  reagent;
- never: a heading with "analogs & derivatives" (the parent of the substance studied:
  gemcitabine is indexed under Deoxycytidine), "agonists" or "antagonists & inhibitors" alone
  (they mark the substance acted upon), and descriptors that name a role in a study rather than
  a substance given (placebos, biomarkers, solvents, culture media).

Conditions. A MeSH descriptor is a condition when its trees include C (Diseases) or F03 (Mental
Disorders); when its trees are unknown, when it carries a qualifier that MeSH allows only on
diseases ("drug therapy", "therapy", "etiology", "diagnosis", "prevention & control",
"complications", "chemically induced", ...). Qualifiers that MeSH also allows on organs,
procedures or places ("physiopathology", "pathology", "mortality", "surgery", "epidemiology",
"ethnology") are not cues: "Heart/physiopathology" is not a disease, nor "England/epidemiology". A supplementary concept of Type="Disease" is a
condition.

Names are lower-cased, de-duplicated and sorted; matching a user's words to them is the map's
job (vocabulary.normalise / model.name_key there).

The record's coded lists (`mesh_terms`, `substances`, `concepts`: UIs, qualifiers, registry
numbers, supplementary concepts) are read when the reader filled them (the PubMed XML reader's
`detail`, as `offlabel scan` asks for); otherwise the plain `mesh`, `mesh_qualifiers` and
`chemicals` names are used, with no registry numbers and no supplementary concepts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from typing import NamedTuple

from offlabel.model import MeshTerm, Record

__all__ = ["CONDITION_QUALIFIERS", "DRUG_QUALIFIERS", "record_topics"]

# Qualifiers MeSH allows on drugs and chemicals (D) and not on diseases. "adverse effects" is
# also allowed on procedures (E), which is why a drug must first be in the ChemicalList.
# "agonists" and "antagonists & inhibitors" are left out on purpose: they mark the substance
# acted upon (a receptor, a hormone, an enzyme), not the one given.
DRUG_QUALIFIERS: frozenset[str] = frozenset({
    "therapeutic use", "administration & dosage", "adverse effects", "poisoning",
    "pharmaceutics", "pharmacology", "pharmacokinetics", "toxicity",
})

# The drug qualifiers that say people or animals were given it. The others ("pharmacology",
# "pharmacokinetics", "toxicity") are as often put on a reagent of a bench experiment (ATP,
# valinomycin, zinc in an enzyme assay), so they count only with the name in the text.
_CLINICAL_QUALIFIERS: frozenset[str] = frozenset({
    "therapeutic use", "administration & dosage", "adverse effects", "poisoning",
    "pharmaceutics",
})

# The substance was indexed for a derivative of it that the record studied (gemcitabine under
# Deoxycytidine, ixazomib under Glycine): the parent itself was not given.
_PARENT_QUALIFIER = "analogs & derivatives"

# Qualifiers MeSH allows only on diseases (C) and mental disorders (F03).
CONDITION_QUALIFIERS: frozenset[str] = frozenset({
    "drug therapy", "therapy", "etiology", "diagnosis", "prevention & control",
    "complications", "chemically induced", "diet therapy", "radiotherapy",
    "prevention and control",
})

# Descriptors that name the role a substance plays in a study, not a substance given as a drug.
_NOT_DRUGS: frozenset[str] = frozenset({
    "placebos", "biomarkers", "biomarkers, tumor", "solvents", "culture media",
    "culture media, conditioned", "culture media, serum-free", "pharmaceutical vehicles",
    "excipients", "water", "reagent kits, diagnostic", "indicators and reagents",
    "fluorescent dyes", "coloring agents", "contrast media", "radiopharmaceuticals",
    "isotopes", "buffers",
})


# Named tuples rather than frozen dataclasses: one of each is made per heading, chemical and
# concept of every record scanned (a frozen dataclass's __init__ costs several times more).
class _Heading(NamedTuple):
    ui: str
    name: str
    qualifiers: tuple[str, ...]


class _Chemical(NamedTuple):
    ui: str
    name: str
    registry: str | None  # None: the reader did not keep it


class _Suppl(NamedTuple):
    ui: str
    name: str
    type: str


# A MEDLINE record's MeshTerms serve as they are (same fields): no copy per heading.
_AnyHeading = _Heading | MeshTerm


def _headings(record: Record) -> Sequence[_AnyHeading]:
    if record.mesh_terms:
        return record.mesh_terms
    return [_Heading("", name, tuple(record.mesh_qualifiers.get(name, ())))
            for name in record.mesh]


def _chemicals(record: Record) -> list[_Chemical]:
    if record.substances:
        # No RegistryNumber element at all ("") says nothing either way, unlike "0".
        return [_Chemical(c.ui, c.name, c.registry or None) for c in record.substances]
    return [_Chemical("", name, None) for name in record.chemicals]


def _supplementary(record: Record) -> list[_Suppl]:
    return [_Suppl(c.ui, c.name, c.type) for c in record.concepts]


def _trees(mesh_trees: Mapping[str, tuple[str, ...]] | None, ui: str,
           name: str) -> tuple[str, ...] | None:
    """The descriptor's tree numbers, or None when they are not known (no file, or not in it)."""
    if not mesh_trees:
        return None
    found = mesh_trees.get(ui) if ui else None
    if found is None:
        found = mesh_trees.get(name.lower())
    return tuple(found) if found is not None else None


def _mentioned(name: str, text: str) -> bool:
    """The name occurs in the lower-cased title+abstract as whole words: not preceded or
    followed by [a-z0-9] (what the regex `(?<![a-z0-9])NAME(?![a-z0-9])` finds).

    Found with str.find and a look at the two neighbouring characters rather than a regex
    built from the name: MEDLINE names hundreds of thousands of substances, so a pattern per
    name would be compiled afresh nearly every time (re's cache holds 512)."""
    name = name.lower().strip()
    if len(name) < 3:
        return False
    size, end = len(name), len(text)
    i = text.find(name)
    while i >= 0:
        if (i == 0 or text[i - 1] not in _WORDISH) and (
            i + size >= end or text[i + size] not in _WORDISH
        ):
            return True
        i = text.find(name, i + 1)  # overlapping occurrences too, as the regex tries them
    return False


_WORDISH = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def _has_registry(registry: str | None) -> bool:
    """A CAS number or UNII: a defined substance. "0" marks a class or group; "EC" an enzyme."""
    if registry is None:
        return True  # the reader kept no registry numbers: no evidence either way
    registry = registry.strip()
    return bool(registry) and registry != "0" and not registry.upper().startswith("EC ")


def _is_drug(chem: _Chemical, heading: _AnyHeading | None, text: Callable[[], str],
             mesh_trees: Mapping[str, tuple[str, ...]] | None) -> bool:
    key = chem.name.lower()
    if not key or key in _NOT_DRUGS or "pollutant" in key:
        # Pollutants (Environmental, Water, Soil, Air Pollutants) are exposures, never given.
        return False
    trees = _trees(mesh_trees, chem.ui, chem.name)
    if trees is not None:
        # Known trees decide whether it is a substance at all: D outside the D27 class names.
        if not any(t.startswith("D") and not t.startswith("D27") for t in trees):
            return False
    quals = set(heading.qualifiers) if heading else set()
    if _PARENT_QUALIFIER in quals:
        return False
    if not _has_registry(chem.registry):
        # A class, group or enzyme: only a clinical use makes it a treatment ("Adrenergic
        # beta-Antagonists/therapeutic use"); "Hexokinase/pharmacology" is a reagent.
        return bool(quals & _CLINICAL_QUALIFIERS)
    if quals & _CLINICAL_QUALIFIERS:
        return True
    if heading is not None and not quals & DRUG_QUALIFIERS:
        # Its own heading with no drug qualifier: discussed or measured ("Alanine" in an
        # alanine aminopeptidase assay), not given.
        return False
    return _mentioned(chem.name, text())


def _is_condition(heading: _AnyHeading, mesh_trees: Mapping[str, tuple[str, ...]] | None) -> bool:
    trees = _trees(mesh_trees, heading.ui, heading.name)
    if trees is not None:
        return any(t.startswith("C") or t.startswith("F03") for t in trees)
    return not CONDITION_QUALIFIERS.isdisjoint(heading.qualifiers)


def _clean(names: Iterable[str]) -> list[str]:
    return sorted({" ".join(n.lower().split()) for n in names if n and n.strip()})


def record_topics(record: Record, mesh_trees: Mapping[str, tuple[str, ...]] | None = None,
                  ) -> tuple[list[str], list[str]]:
    """(drugs, conditions) the record is about; see the module docstring for the rules.

    `mesh_trees` maps a descriptor UI (or its lower-cased name) to its tree numbers, from NLM's
    descriptor file; None or empty when the user gave none.
    """
    headings = _headings(record)
    chemicals = _chemicals(record)
    by_name = {h.name.lower(): h for h in headings} if chemicals else {}

    @cache
    def text() -> str:  # lower-cased title + abstract, made only when a name is looked up
        return f"{record.title} {record.abstract}".lower()

    drugs = [c.name for c in chemicals
             if _is_drug(c, by_name.get(c.name.lower()), text, mesh_trees)]
    conditions = [h.name for h in headings if _is_condition(h, mesh_trees)]
    for s in _supplementary(record):
        kind = s.type.lower()
        if kind == "disease":
            conditions.append(s.name)
        elif kind == "protocol":
            # A named regimen (e.g. a chemotherapy protocol) is what the patients were given.
            drugs.append(s.name)
    return _clean(drugs), _clean(conditions)
