"""The source policy (docs/evidence-schema.md, "Source policy") holds for every bundled file, and
each kind of source a reviewer would reject is caught when constructed."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from offlabel.evidence import bundled_files, check_text
from offlabel.model import EvidenceFile, Source
from offlabel.report.data import source_dict
from offlabel.source_policy import check_source, host_kind, policy_problems

# Records whose only source is a page the policy forbids and for which no primary or acceptable
# secondary copy could be found stay listed here (not silently passed) until the study is
# re-sourced or removed; the test below fails as soon as one of them is fixed, so the list shrinks.
# Empty: the two studies known only from a rehab-clinic page were removed.
KNOWN_UNRESOLVED: dict[tuple[str, str], str] = {}


def _bundled() -> list[tuple[str, EvidenceFile]]:
    out = []
    for name, text in bundled_files():
        ev, problems = check_text(text, name)
        assert ev is not None, problems
        out.append((name.rsplit("/", 1)[-1], ev))
    return out


def _record(problem: str) -> str:
    return problem.split(":", 1)[0]


def test_every_bundled_source_follows_the_policy() -> None:
    files = _bundled()
    assert len(files) >= 10
    unexpected = [f"{name}: {p}" for name, ev in files for p in policy_problems(ev)
                  if (name, _record(p)) not in KNOWN_UNRESOLVED]
    assert unexpected == []
    for (name, record), why in KNOWN_UNRESOLVED.items():
        print(f"known unresolved, left for a decision: {name} {record}: {why}")


def test_known_unresolved_records_still_fail() -> None:
    failing = {(name, _record(p)) for name, ev in _bundled() for p in policy_problems(ev)}
    assert set(KNOWN_UNRESOLVED) <= failing, "fixed: remove it from KNOWN_UNRESOLVED"


def test_no_bundled_url_is_a_raw_ip_or_has_a_trailing_dot() -> None:
    for _, ev in _bundled():
        text = ev.model_dump_json()
        assert "47.251.13.51" not in text and "120.26.44.124" not in text
        assert "nih.gov./" not in text


def _src(**kw: Any) -> Source:
    kw.setdefault("where", "Abstract")
    return Source(**kw)


@pytest.mark.parametrize("source, rule", [
    (_src(url="http://47.251.13.51:8081/8676626"), "raw IP"),
    (_src(pmid="8676626", url="http://[2001:db8::1]/8676626"), "raw IP"),
    (_src(url="https://ncbi.nlm.nih.gov./books/NBK349076/"), "trailing dot"),
    (_src(url="https://www-cambridge-org.demo.remotlog.com/core/journals/x"), "proxy"),
    (_src(pmid="28755747", url="https://proxy.weglot.com/wg_1/en/es/pubmed.ncbi.nlm.nih.gov/28755747"),
     "proxy"),
    (_src(pmid="1", read_at="https://c.coek.info/pdf-growth-hormone.html"), "mirror"),
    (_src(doi="10.1/x", read_at="https://documents.pub/document/x.html"), "mirror"),
    (_src(url="https://kostenlosonlinelesen.net/kostenlose-the-end-of-my-addiction/lesen/100"),
     "e-book"),
    (_src(url="https://huggingface.co/spaces/a/b/commit/d8c0f65"), "commit"),
    (_src(url="https://oxfordtreatment.com/addiction-treatment/detox/baclofen/"), "clinic"),
    (_src(url="https://experts.umn.edu/en/publications/x"), "primary"),
    (_src(pmid="16670409", url="http://psychjournalclub.com/substance_abuse/16670409.html"), "read_at"),
    (_src(pmid="1", verified="secondary"), "read_at"),
])
def test_a_constructed_bad_source_fails(source: Source, rule: str) -> None:
    problems = check_source(source)
    assert problems, source
    joined = " ".join(problems)
    assert rule.split()[0].lower() in joined.lower() or rule == "primary" and "not a primary" in joined


@pytest.mark.parametrize("source", [
    _src(pmid="8676626"),
    _src(doi="10.1002/14651858.CD012557.pub3", read_at="https://www.kaypahoito.fi/evd07680",
         verified="secondary"),
    _src(pmid="16670409", read_at="http://psychjournalclub.com/substance_abuse/16670409.html"),
    _src(url="https://pmc.ncbi.nlm.nih.gov/articles/PMC6174362"),
    _src(url="https://www.cochranelibrary.com/cdsr/doi/10.1002/14651858.CD012557.pub2/abstract"),
    _src(url="https://link.springer.com/article/10.1007/s40263-018-0516-6"),
    _src(url="https://www.accessdata.fda.gov/scripts/cder/daf/"),
    _src(nct="NCT00525252"),
    _src(read_at="https://www.rtl.fr/actu/bien-etre/x", verified="secondary"),
])
def test_an_acceptable_source_passes(source: Source) -> None:
    assert check_source(source) == []


def test_a_host_matches_only_itself_and_its_subdomains() -> None:
    assert host_kind("https://pubmed.ncbi.nlm.nih.gov/1/")[0] == "primary"
    assert host_kind("https://notpubmed.gov/1")[0] == "secondary"
    assert host_kind("https://pubmed.gov.evil.example/1")[0] == "secondary"
    assert host_kind("javascript:alert(1)")[0] == "forbidden"
    # a university's Pure portal on elsevier.com is not the publisher
    assert host_kind("https://jhu.pure.elsevier.com/en/publications/x")[0] == "secondary"


def _file_with(source: Source) -> EvidenceFile:
    return EvidenceFile.model_validate({
        "drug": {"id": "exampledrug", "name": "Exampledrug",
                 "sources": [{"pmid": "1", "where": "Abstract"}]},
        "studies": [{"id": "smith2010", "conditions": ["alcohol_use_disorder"], "design": "rct",
                     "sources": [source.model_dump(exclude_none=True)]}],
    })


def test_policy_problems_names_the_record_the_url_and_the_rule() -> None:
    problems = policy_problems(_file_with(_src(url="http://47.251.13.51:8081/123")))
    assert problems and all("\n" not in p for p in problems)
    assert problems[0].startswith("study smith2010: sources[0]: url http://47.251.13.51:8081/123")
    assert "raw IP" in problems[0]
    assert policy_problems(_file_with(_src(pmid="123"))) == []


def test_a_secondary_source_is_marked_and_its_page_is_never_the_record_link() -> None:
    s = _src(read_at="https://www.rtl.fr/actu/x", verified="secondary", where="RTL news item")
    d = source_dict(s)
    assert d["verified"] == "secondary" and d["url"] is None and d["read_at"] == "https://www.rtl.fr/actu/x"
    d = source_dict(_src(pmid="16670409", read_at="http://psychjournalclub.com/x.html"))
    assert "verified" not in d
    assert d["url"] == "https://pubmed.ncbi.nlm.nih.gov/16670409/"
    assert d["read_at"] == "http://psychjournalclub.com/x.html"


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_reports_mark_secondary_sources_and_link_only_records(fmt: str) -> None:
    r = subprocess.run([sys.executable, "-m", "offlabel", "ask", "baclofen", "cocaine", "--format", fmt],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    # shoptaw2003 now stands on a university portal's copy of its abstract: named, marked, never linked
    page = "https://asu.pure.elsevier.com/en/publications/randomized-placebo-controlled-trial-of-baclofen-for-cocaine-depen"
    assert f"{page} (secondary source)" in r.stdout
    assert f"]({page}" not in r.stdout and f'href="{page}' not in r.stdout


def test_validate_rejects_a_raw_ip_source_with_one_line(tmp_path) -> None:
    from typer.testing import CliRunner

    from offlabel.cli import app

    f = tmp_path / "mine.yaml"
    f.write_text(
        "schema_version: 1\n"
        "drug: {id: testdrug, name: Testdrug, sources: [{pmid: '123', where: Abstract}]}\n"
        "studies:\n"
        "  - id: smith2010\n    year: 2010\n    conditions: [alcohol_use_disorder]\n"
        "    design: rct\n    direction: unclear\n"
        "    sources: [{pmid: '385132', url: 'http://47.251.13.51:8081/385132', where: Abstract}]\n")
    r = CliRunner().invoke(app, ["validate", str(f)])
    assert r.exit_code == 1
    assert r.stdout.splitlines() == [
        f"{f}: study smith2010: sources[0]: url http://47.251.13.51:8081/385132: never acceptable "
        "(a raw IP address is not a publisher)"]
