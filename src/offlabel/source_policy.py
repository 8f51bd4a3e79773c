"""The source policy for evidence files: which pages may stand as the source of record.

A number is only as good as where it was read. A reviewer accepts the record of a study
(PubMed/PMC, its DOI or the publisher's page), a trial registry, a regulator, the Cochrane
Library or a guideline body; anything else (a university portal, an abstracting service, a
news item) may be named only as `read_at`, the page where the passage was actually read, beside
a primary identifier, or with `verified: secondary` when no primary copy could be read. Some
hosts are never acceptable, not even as `read_at`: raw IP addresses, hosts with a trailing dot,
piracy and e-book reading sites, scraper/"download" mirrors, proxies, commit and app pages,
marketing and clinic sites. The lists are explicit so that a new host is a reviewed decision.
The rules are documented in docs/evidence-schema.md ("Source policy").
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from urllib.parse import urlsplit

from offlabel.model import EvidenceFile, Source

__all__ = ["FORBIDDEN_HOSTS", "PRIMARY_HOSTS", "check_source", "host_kind", "policy_problems"]

# Hosts accepted as the source of record, by kind. A host matches itself and its subdomains.
PRIMARY_HOSTS: dict[str, tuple[str, ...]] = {
    "PubMed/PMC": ("pubmed.ncbi.nlm.nih.gov", "pmc.ncbi.nlm.nih.gov", "www.ncbi.nlm.nih.gov",
                   "ncbi.nlm.nih.gov", "pubmed.gov", "europepmc.org"),
    "DOI": ("doi.org", "dx.doi.org", "dx.crossref.org"),
    "publisher": (
        "springer.com", "springeropen.com", "wiley.com", "sciencedirect.com", "linkinghub.elsevier.com",
        "tandfonline.com", "oup.com", "oxfordjournals.org", "jamanetwork.com", "nejm.org",
        "thelancet.com", "bmj.com", "frontiersin.org", "plos.org", "biomedcentral.com", "nature.com",
        "karger.com", "sagepub.com", "lww.com", "psychiatryonline.org", "cambridge.org", "mdpi.com",
        "aspetjournals.org", "cell.com", "annals.org", "acpjournals.org", "neurology.org",
        "thieme-connect.com", "thieme-connect.de", "dovepress.com", "hindawi.com",
        "journalofhospitalmedicine.com", "aafp.org", "ijpsonline.com", "smj.org.sa",
        "rehabilitationj.uswr.ac.ir", "ijpcp.iums.ac.ir", "ovid.com", "jst.go.jp", "jpn.ca",
        "psychiatrist.com", "informahealthcare.com", "mattioli1885journals.com",
        "ekja.org", "termedia.pl", "ingentaconnect.com", "degruyter.com", "cureus.com", "jneurosci.org",
        "pnas.org", "science.org", "acs.org", "physiology.org", "ahajournals.org",
    ),
    "trial registry": ("clinicaltrials.gov", "isrctn.com", "clinicaltrialsregister.eu",
                       "euclinicaltrials.eu", "anzctr.org.au", "trialsearch.who.int",
                       "drks.de", "chictr.org.cn", "ctri.nic.in", "irct.ir", "irct.behdasht.gov.ir"),
    "regulator": ("fda.gov", "dailymed.nlm.nih.gov", "ema.europa.eu", "ansm.sante.fr",
                  "base-donnees-publique.medicaments.gouv.fr", "legifrance.gouv.fr", "gov.uk",
                  "has-sante.fr", "tga.gov.au", "canada.ca", "pmda.go.jp", "bfarm.de",
                  "conseil-etat.fr"),
    "Cochrane Library": ("cochranelibrary.com",),
    "guideline body": ("nice.org.uk", "who.int", "psychiatry.org", "asam.org", "samhsa.gov",
                       "healthquality.va.gov", "va.gov", "ahrq.gov", "nih.gov", "health.gov",
                       "kaypahoito.fi", "awmf.org", "sign.ac.uk", "nhmrc.gov.au"),
}

# Never acceptable anywhere (url or read_at). Matched like PRIMARY_HOSTS, and checked first, so
# that a development copy of a publisher's site (dev2.psychiatrist.com) is not taken as primary.
FORBIDDEN_HOSTS: dict[str, tuple[str, ...]] = {
    "piracy or e-book reading site": ("kostenlosonlinelesen.net", "pdfmedfinder.com", "pharmpdf.com",
                                      "pdf-archive.com", "sci-hub.se", "libgen.rs", "z-lib.org"),
    'scraper or "download" mirror': (
        "coek.info", "documents.pub", "vdocument.in", "vdocuments.mx", "studylib.net", "docslib.org",
        "doczz.fr", "docksci.com", "123dok.net", "readkong.com", "studyres.com", "pdfslide.net",
        "dokumen.pub", "moam.info", "paperprompt.com", "readbyqxmd.com", "scilit.net", "scilit.com",
        "litmetric.com", "ouci.dntb.gov.ua", "peeref.com", "zendy.io", "suppr.wilddata.cn",
        "data.zhenzhi.com", "crick.ai", "curehunter.com", "omicsdi.org", "metajournal.com",
        "ichgcp.net", "trial.medpath.com", "clinicaltrialexchange.com", "healthlinks.online",
        "meddatax.com", "frnews24.info", "biomaterialdatabase.com", "ai-bt.com",
    ),
    "proxy": ("remotlog.com", "weglot.com", "deno.dev", "ebusca.uv.mx"),
    "commit, app or development page": ("huggingface.co", "github.com", "gitlab.com",
                                        "tweb-dev.unibo.it", "dev2.psychiatrist.com", "appwell.net"),
    "marketing or clinic site": ("oxfordtreatment.com", "gablofen.com", "menonmedical.com",
                                 "bgj398inhibitor.com", "medchemexpress.cn", "chemsrc.com"),
}


def _host(url: str) -> tuple[str, int | None] | None:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return parts.hostname.lower(), port


def _matches(host: str, names: tuple[str, ...]) -> bool:
    return any(host == n or host.endswith("." + n) for n in names)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def host_kind(url: str) -> tuple[str, str]:
    """("forbidden" | "primary" | "secondary", the rule or kind) for one URL."""
    got = _host(url)
    if got is None:
        return "forbidden", "not an http(s) URL with a host"
    host, _port = got
    if _is_ip(host):
        return "forbidden", "a raw IP address is not a publisher"
    if host.endswith("."):
        return "forbidden", "a host with a trailing dot (not the canonical host)"
    for rule, names in FORBIDDEN_HOSTS.items():
        if _matches(host, names):
            return "forbidden", rule
    for kind, names in PRIMARY_HOSTS.items():
        if _matches(host, names):
            return "primary", kind
    return "secondary", "not a primary host"


def check_source(source: Source) -> list[str]:
    """One line per way this source breaks the policy, naming the URL and the rule."""
    problems: list[str] = []
    if source.url:
        kind, rule = host_kind(source.url)
        if kind == "forbidden":
            problems.append(f"url {source.url}: never acceptable ({rule})")
        elif kind == "secondary":
            problems.append(f"url {source.url}: not a primary source (PubMed/PMC, DOI, publisher, "
                            "registry, regulator, Cochrane, guideline body); name the record and "
                            "keep this page as read_at")
    if source.read_at:
        kind, rule = host_kind(source.read_at)
        if kind == "forbidden":
            problems.append(f"read_at {source.read_at}: never acceptable ({rule})")
    has_record = bool(source.pmid or source.doi or source.nct
                      or (source.url and host_kind(source.url)[0] == "primary"))
    if source.verified == "secondary" and not source.read_at:
        problems.append("verified: secondary needs read_at, the page where the passage was read")
    if not has_record and source.verified != "secondary":
        problems.append("no primary record (pmid, doi, nct or a primary url): find one, or mark "
                        "verified: secondary with read_at")
    return problems


def _sources(ev: EvidenceFile) -> Iterator[tuple[str, Source]]:
    for i, s in enumerate(ev.drug.sources):
        yield f"drug {ev.drug.id}: sources[{i}]", s
    for a, appr in enumerate(ev.drug.approvals):
        for i, s in enumerate(appr.sources):
            yield f"drug {ev.drug.id}: approvals[{a}].sources[{i}]", s
    for h, harm in enumerate(ev.drug.harms):
        for i, s in enumerate(harm.sources):
            yield f"drug {ev.drug.id}: harms[{h}].sources[{i}]", s
    for st in ev.studies:
        for i, s in enumerate(st.sources):
            yield f"study {st.id}: sources[{i}]", s
        for o, out in enumerate(st.outcomes):
            if out.source:
                yield f"study {st.id}: outcomes[{o}].source", out.source
        for g, sub in enumerate(st.subgroups):
            yield f"study {st.id}: subgroups[{g}].source", sub.source


def policy_problems(evidence_file: EvidenceFile) -> list[str]:
    """Every source-policy problem in one evidence file, one line each (record: field: problem)."""
    return [f"{where}: {p}" for where, s in _sources(evidence_file) for p in check_source(s)]
