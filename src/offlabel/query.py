"""Search strings built from drug and condition synonyms, in the form a reviewer writes them.

The PubMed query is printed in the report so the search can be rerun by hand, so it must read
like one a librarian would write: a MeSH heading OR'd with title/abstract words, one block
for the drug and one for the condition, AND'd.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from offlabel.model import Condition

# Descriptor names for the MeSH ids the vocabulary uses (PubMed searches headings by name).
MESH_HEADINGS = {
    "D000437": "Alcoholism",
    "D000430": "Alcohol Withdrawal Delirium",
    "D019969": "Amphetamine-Related Disorders",
    "D019970": "Cocaine-Related Disorders",
    "D009293": "Opioid-Related Disorders",
    "D013375": "Substance Withdrawal Syndrome",
    "D014029": "Tobacco Use Disorder",
    "D002189": "Marijuana Abuse",
    "D012978": "Sodium Oxybate",
    "D009128": "Muscle Spasticity",
}

# Synonyms too short or too ambiguous to search as free text ("ice", "aud", "crack").
MIN_FREE_TEXT = 5


@dataclass(frozen=True)
class Queries:
    drug: str
    condition: str
    condition_id: str
    drug_terms: tuple[str, ...]
    condition_terms: tuple[str, ...]
    mesh_heading: str | None
    pubmed: str
    europepmc: str
    ctgov_intervention: str
    ctgov_condition: str


def resolve(condition_text: str) -> Condition:
    """The condition to search for: the vocabulary's Condition, or the text itself.

    Searching (collect, export) may start on a condition offlabel has no curated evidence for,
    so unknown text becomes an ad-hoc condition here. Appraising never does: an answer needs
    the vocabulary's condition (appraise.question.resolve_question).
    """
    from offlabel.vocabulary import resolve_condition

    found = resolve_condition(condition_text)
    if found is not None:
        return found
    text = " ".join(condition_text.split())
    return Condition(id=slug(text), name=text, synonyms=(text,))


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "unnamed"


def question_id(drug: str, condition: Condition) -> str:
    return f"{slug(drug)}|{condition.id}"


def _unique(terms: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    seen: set[str] = set()
    for t in terms:
        t = " ".join(t.replace('"', " ").split())
        if t and t.lower() not in seen:
            seen.add(t.lower())
            out.append(t)
    return tuple(out)


def drug_terms(drug: str, brand_names: list[str] | tuple[str, ...] = ()) -> tuple[str, ...]:
    return _unique([drug, *brand_names])


def condition_terms(condition: Condition) -> tuple[str, ...]:
    terms = _unique([condition.name, *condition.synonyms])
    # The condition's own name is always searched, however short ("PTSD").
    name = terms[0] if terms else ""
    return tuple(t for t in terms if len(t) >= MIN_FREE_TEXT or t == name)


def mesh_heading(condition: Condition) -> str | None:
    name = getattr(condition, "mesh_name", None)  # if the vocabulary ever carries it
    if name:
        return str(name)
    return MESH_HEADINGS.get(condition.mesh_id or "")


def pubmed_query(drugs: tuple[str, ...], conditions: tuple[str, ...], heading: str | None) -> str:
    drug_block = [f'"{drugs[0]}"[MeSH Terms]'] + [f'"{d}"[tiab]' for d in drugs]
    cond_block = ([f'"{heading}"[MeSH Terms]'] if heading else []) + [
        f'"{c}"[tiab]' for c in conditions
    ]
    return f"({' OR '.join(drug_block)}) AND ({' OR '.join(cond_block)})"


def build_queries(
    drug: str, condition: Condition, brand_names: list[str] | tuple[str, ...] = ()
) -> Queries:
    drugs = drug_terms(drug, brand_names)
    conds = condition_terms(condition)
    heading = mesh_heading(condition)
    # The drug's own name must be searchable: brand names only widen a search, never make one.
    if not drugs or not any(c.isalnum() for c in drug):
        raise ValueError(f"drug name {drug!r} has nothing to search for")
    if not conds or not any(c.isalnum() for t in conds for c in t):
        raise ValueError(f"condition {condition.name!r} has nothing to search for")
    # Title/abstract only: unfielded Europe PMC terms also match open-access full texts,
    # where a passing mention of the drug would flood the question with noise.
    epmc_drug = " OR ".join(f'TITLE_ABS:"{d}"' for d in drugs)
    epmc_cond = " OR ".join(f'TITLE_ABS:"{c}"' for c in conds)
    return Queries(
        drug=drug,
        condition=condition.name,
        condition_id=condition.id,
        drug_terms=drugs,
        condition_terms=conds,
        mesh_heading=heading,
        pubmed=pubmed_query(drugs, conds, heading),
        europepmc=f"({epmc_drug}) AND ({epmc_cond})",
        # The registry expands condition synonyms itself; its OR syntax is the Essie one.
        ctgov_intervention=" OR ".join(f'"{d}"' if " " in d else d for d in drugs),
        ctgov_condition=condition.name,
    )
