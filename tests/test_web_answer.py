"""The answer and compare pages of the web app (offlabel.web.answer), through FastAPI's client.

What a reader relies on: the bottom line comes first, the table of contents leads somewhere,
every pooled outcome has its forest plot, the studies table holds every study of the report,
downloads are the CLI's own output, the profile form changes the applicability notes, the
compare page has one row per drug, and nothing from an evidence file runs as markup.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import html as lxml_html

from offlabel.pipeline import Offlabel
from offlabel.report.data import answer_dict
from offlabel.report.names import label_of
from offlabel.web.app import create_app

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples/example-evidence.yaml"
AUD = "alcohol use disorder"
XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"


@functools.cache
def _client() -> TestClient:
    return TestClient(create_app())


@functools.cache
def _page(path: str, **params: str) -> tuple[int, str]:
    r = _client().get(path, params=params)
    return r.status_code, r.text


def _doc(text: str) -> Any:
    return lxml_html.fromstring(text)


@functools.cache
def _answer(drug: str, condition: str | None) -> dict[str, Any]:
    return answer_dict(Offlabel().ask(drug, condition, record=False).answer)


def _ok(path: str, **params: str) -> Any:
    status, text = _page(path, **params)
    assert status == 200, text[:500]
    return _doc(text)


def test_bottom_line_comes_first_with_verdict_and_certainty_and_its_system() -> None:
    status, text = _page("/ask", drug="baclofen", condition=AUD)
    assert status == 200
    doc = _doc(text)
    # the bottom line before the drug profile and the regulatory table
    order = [el.get("id") for el in doc.iter() if el.get("id") in ("bottom-line", "drug",
                                                                     "summary-of-findings")]
    assert order == ["bottom-line", "summary-of-findings", "drug"]
    assert text.index('id="bottom-line"') < text.index("Regulatory status")
    (verdict,) = doc.xpath("//*[@id='bottom-line']//*[@id='verdict']")
    (certainty,) = doc.xpath("//*[@id='bottom-line']//*[@id='certainty']")
    from offlabel.report.words import VERDICT_TEXT

    d = _answer("baclofen", AUD)
    assert verdict.text_content().startswith(VERDICT_TEXT[d["conditions"][0]["verdict"]])
    # a certainty is never shown without its system
    assert re.search(r"\((GRADE|Cochrane GRADE|AHRQ)", certainty.text_content())
    bl = doc.xpath("//*[@id='bottom-line']")[0].text_content()
    assert "k = " in bl and "Approved" in bl and "Main harm" in bl


def test_every_toc_link_leads_to_a_section() -> None:
    for params in ({"drug": "baclofen", "condition": AUD}, {"drug": "nalmefene", "condition": AUD},
                   {"drug": "baclofen"}):
        doc = _ok("/ask", **params)
        (toc,) = doc.xpath("//nav[@id='toc']")
        hrefs = [a.get("href") for a in toc.xpath(".//a")]
        assert len(hrefs) >= 4
        for href in hrefs:
            assert href.startswith("#")
            (target,) = doc.xpath(f"//*[@id='{href[1:]}']")
            assert target.tag == "section"
        # every section of the page is in the table of contents
        assert {f"#{s.get('id')}" for s in doc.xpath("//main//section")} == set(hrefs)


@pytest.mark.parametrize("drug", ["baclofen", "nalmefene", "acamprosate"])
def test_one_forest_plot_per_pooled_outcome(drug: str) -> None:
    doc = _ok("/ask", drug=drug, condition=AUD)
    pooled = [o for o in _answer(drug, AUD)["conditions"][0]["outcomes"] if o["pooled"]]
    svgs = doc.xpath("//*[local-name()='svg' and @class='forest']")
    assert len(svgs) == len(pooled)
    for svg, o in zip(svgs, pooled, strict=True):
        assert o["outcome"] in svg.xpath("string(./*[local-name()='title'])")
        assert svg.get("role") == "img" and svg.get("aria-label")
        # one row per study of the pool
        assert len(svg.xpath(".//*[local-name()='g' and @class='study']")) == o["pooled"]["k"]
    assert len(doc.xpath("//*[local-name()='svg' and @class='pyramid']")) == 1


def test_nalmefene_pools_have_a_linear_axis_with_zero_and_lower_is_better() -> None:
    doc = _ok("/ask", drug="nalmefene", condition=AUD)
    outcomes = [o for o in _answer("nalmefene", AUD)["conditions"][0]["outcomes"] if o["pooled"]]
    assert outcomes and all(o["higher_is_better"] is False for o in outcomes)
    for svg in doc.xpath("//*[local-name()='svg' and @class='forest']"):
        ticks = [t.text for t in svg.xpath(".//*[@class='tick']")]
        assert "0" in ticks
        left = svg.xpath("string(.//*[@class='favours-left'])")
        assert "favours drug" in left  # fewer heavy drinking days is the drug's side


def test_studies_table_has_every_study_with_filterable_rows() -> None:
    doc = _ok("/ask", drug="baclofen", condition=AUD)
    studies = _answer("baclofen", AUD)["conditions"][0]["studies"]
    rows = doc.xpath("//table[@id='studies']/tbody/tr")
    assert len(rows) == len(studies) > 20
    for row, s in zip(rows, studies, strict=True):
        assert row.get("data-design") == s["design"]
        assert row.get("data-direction") == s["direction"]
        assert row.get("data-year") == (str(s["year"]) if s["year"] else "")
        assert set(row.get("data-outcome").split()) == {o["kind"] for o in s["outcomes"]}
        assert row.xpath("string(./th)") == label_of(s)
    heads = doc.xpath("//table[@id='studies']//th[@data-sort]")
    assert len(heads) >= 4 and all(h.get("aria-sort") == "none" for h in heads)
    for sel in ("filter-design", "filter-direction", "filter-outcome"):
        (select,) = doc.xpath(f"//select[@id='{sel}']")
        assert len(select.xpath("./option")) >= 2
    assert doc.xpath("//input[@id='filter-year-from']") and \
        doc.xpath("//input[@id='filter-year-to']")
    count = doc.xpath("string(//*[@id='studies-count'])")
    assert count == f"{len(studies)} of {len(studies)} studies"
    # design options are the designs present
    designs = {o.get("value") for o in doc.xpath("//select[@id='filter-design']/option")} - {""}
    assert designs == {s["design"] for s in studies}


def test_sources_are_links_and_every_study_identifier_is_linked() -> None:
    doc = _ok("/ask", drug="baclofen", condition=AUD)
    (sources,) = doc.xpath("//section[@id='sources']")
    hrefs = {a.get("href") for a in sources.xpath(".//a")}
    studies = _answer("baclofen", AUD)["conditions"][0]["studies"]
    for s in studies:
        if s["pmid"]:
            assert f"https://pubmed.ncbi.nlm.nih.gov/{s['pmid']}/" in hrefs
        if s["nct"]:
            assert f"https://clinicaltrials.gov/study/{s['nct'].upper()}" in hrefs
    assert all(h.startswith(("https://", "http://")) for h in hrefs)


@pytest.mark.parametrize("fmt", ["json", "md", "html"])
def test_downloads_are_the_cli_output_byte_for_byte(fmt: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from offlabel.cli import app

    out = tmp_path / f"report.{fmt}"
    r = CliRunner().invoke(app, ["ask", "baclofen", "cocaine use disorder", "--format", fmt,
                                 "--out", str(out)])
    assert r.exit_code == 0, r.output
    doc = _ok("/ask", drug="baclofen", condition="cocaine use disorder")
    (link,) = doc.xpath(f"//a[@id='download-{fmt}']")
    got = _client().get(link.get("href"))
    assert got.status_code == 200
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["content-disposition"].endswith(f'.{"md" if fmt == "md" else fmt}"')
    assert got.content == out.read_bytes()


def test_profile_form_adds_the_applicability_notes() -> None:
    plain = _ok("/ask", drug="baclofen", condition=AUD)
    (form,) = plain.xpath("//form[@id='profile']")
    assert form.get("method") == "get" and form.get("action") == "/ask"
    names = {el.get("name") for el in form.xpath(".//select|.//input")}
    from offlabel.appraise.applicability import PROFILE_KEYS

    assert set(PROFILE_KEYS) | {"drug", "condition"} == names
    assert not plain.xpath("//*[@id='applicability-notes']")
    doc = _ok("/ask", drug="baclofen", condition=AUD, liver_disease="yes",
              max_tolerated_dose_mg="30")
    notes = doc.xpath("//ul[@id='applicability-notes']/li")
    expected = answer_dict(Offlabel().ask(
        "baclofen", AUD, profile={"liver_disease": True, "max_tolerated_dose_mg": 30.0},
        record=False).answer)["conditions"][0]["applicability"]
    assert len(notes) == len(expected) > 0
    # the form keeps what was given, and the downloads carry the profile too
    (sel,) = doc.xpath("//select[@id='profile-liver_disease']/option[@selected]")
    assert sel.get("value") == "yes"
    assert "liver_disease=yes" in doc.xpath("string(//a[@id='download-json']/@href)")


def test_a_bad_profile_value_is_a_clear_4xx_page() -> None:
    status, text = _page("/ask", drug="baclofen", condition=AUD, liver_disease="maybe")
    assert 400 <= status < 500
    assert "liver_disease" in text and "yes or no" in text
    assert "Traceback" not in text


def test_overview_lists_each_condition_with_its_verdict_and_a_link() -> None:
    doc = _ok("/ask", drug="baclofen")
    d = _answer("baclofen", None)
    links = doc.xpath("//section[@id='conditions']//tbody//th//a")
    assert [a.text_content().lower() for a in links] == [c["condition"].lower()
                                                          for c in d["conditions"]]
    badges = doc.xpath("//section[@id='conditions']//tbody//*[@data-verdict]")
    assert [b.get("data-verdict") for b in badges] == [c["verdict"] for c in d["conditions"]]
    r = _client().get(links[0].get("href"))
    assert r.status_code == 200 and 'id="verdict"' in r.text


def test_compare_page_has_one_league_row_per_drug_and_a_forest_plot() -> None:
    client = _client()
    r = client.get("/compare", params=[("condition", AUD), ("drug", "baclofen"),
                                       ("drug", "naltrexone"), ("drug", "acamprosate")])
    assert r.status_code == 200
    doc = _doc(r.text)
    rows = doc.xpath("//table[@id='league']/tbody/tr")
    assert [row.xpath("string(./th)") for row in rows] == ["Baclofen", "Naltrexone",
                                                           "Acamprosate"]
    for row in rows:
        href = row.xpath("string(./th/a/@href)")
        assert href.startswith("/ask?drug=") and "condition=alcohol+use+disorder" in href
    (svg,) = doc.xpath("//*[local-name()='svg' and @class='forest']")
    data = Offlabel().compare(AUD, ["baclofen", "naltrexone", "acamprosate"])
    with_effect = [x for x in data["drugs"] if x["common_outcome_effect"]]
    assert len(svg.xpath(".//*[local-name()='g' and @class='study']")) == len(with_effect) >= 2
    # relapse: lower is better, so the drug's side is the left
    assert "favours drug" in svg.xpath("string(.//*[@class='favours-left'])")


def test_compare_without_drugs_takes_every_drug_covering_the_condition() -> None:
    doc = _ok("/compare", condition=AUD)
    rows = doc.xpath("//table[@id='league']/tbody/tr")
    base = Offlabel().base()
    covering = [d for d in base.drugs.values()
                if any("alcohol_use_disorder" in s.conditions for s in base.studies_for(d.id))]
    assert len(rows) == len(covering) >= 5
    doc = _ok("/compare", condition="spasticity")
    assert [r.xpath("string(./th)") for r in doc.xpath("//table[@id='league']/tbody/tr")] == \
        ["Baclofen"]


def test_pages_have_no_inline_script_style_or_handler() -> None:
    for path, params in (("/ask", {"drug": "baclofen", "condition": AUD}),
                         ("/ask", {"drug": "baclofen"}), ("/compare", {"condition": AUD})):
        status, text = _page(path, **params)
        assert status == 200
        doc = _doc(text)
        assert all(s.get("src") for s in doc.xpath("//script"))
        assert not doc.xpath("//style") and not doc.xpath("//@style")
        assert not [a for a in doc.xpath("//@*") if a.attrname.lower().startswith("on")]


def test_untrusted_evidence_text_is_escaped(tmp_path: Path) -> None:
    evil = tmp_path / "evil.yaml"
    evil.write_text(EXAMPLE.read_text().replace(
        '"An invented double-blind trial of exampleprofen"', f'"{XSS}"').replace(
        "https://example.org/cohort", "javascript:alert(3)"))
    client = TestClient(create_app(Offlabel(evidence=[evil], bundled=False)))
    r = client.get("/ask", params={"drug": "exampleprofen", "condition": AUD})
    assert r.status_code == 200
    assert "<script>alert(1)" not in r.text and "<img src=x" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert 'href="javascript:' not in r.text
    doc = _doc(r.text)
    assert not doc.xpath("//img")
    assert XSS in doc.xpath("string(//table[@id='studies'])")


def test_a_store_adds_the_link_to_its_records(tmp_path: Path) -> None:
    path = tmp_path / "none.duckdb"
    client = TestClient(create_app(Offlabel(store=path)))
    r = client.get("/ask", params={"drug": "baclofen", "condition": "cocaine use disorder"})
    assert r.status_code == 200
    doc = _doc(r.text)
    (link,) = doc.xpath("//a[@id='records-link']")
    assert link.get("href") == "/records?drug=Baclofen&condition=cocaine+use+disorder"
    # the pipeline's note for the person asking is on the page; a page view writes nothing
    assert "nothing collected" in doc.xpath("string(//p[@class='note'])")
    assert not path.exists()
    plain = _ok("/ask", drug="baclofen", condition="cocaine use disorder")
    assert not plain.xpath("//a[@id='records-link']")
