"""The evidence check page takes a file and shows validate's findings; a question with a typo
gets an HTML page with suggestions that lead to an answer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml
from browserkit import CHECK, MISSPELT, REPO, Watched

EXAMPLE = REPO / "examples" / "example-evidence.yaml"


def test_check_accepts_a_valid_file(open_page: Callable[..., Watched], tmp_path: Path) -> None:
    w = open_page(1280)
    w.goto(CHECK)
    w.page.set_input_files("form#check input#evidence-file", str(EXAMPLE))
    with w.page.expect_navigation():
        w.page.locator("form#check [type=submit]").click()
    assert w.page.locator("#ok").is_visible()
    assert w.page.locator("#problems li").count() == 0


def test_check_lists_the_problems_of_a_broken_file(open_page: Callable[..., Watched],
                                                   tmp_path: Path) -> None:
    doc = yaml.safe_load(EXAMPLE.read_text())
    doc["studies"][0]["design"] = "anecdote"
    doc["studies"][0]["year"] = "<b>soon</b>"
    bad = tmp_path / "broken.yaml"
    bad.write_text(yaml.safe_dump(doc, sort_keys=False))
    w = open_page(1280)
    w.goto(CHECK)
    w.page.set_input_files("form#check input#evidence-file", str(bad))
    with w.page.expect_navigation():
        w.page.locator("form#check [type=submit]").click()
    problems = w.page.locator("#problems li").all_inner_texts()
    assert len(problems) >= 2, problems
    joined = "\n".join(problems)
    assert "design" in joined and "year" in joined, joined
    assert w.page.locator("#problems b").count() == 0, "a problem's text was rendered as markup"
    assert w.page.locator("#ok").count() == 0


def test_a_misspelt_condition_gets_suggestions(open_page: Callable[..., Watched]) -> None:
    w = open_page(1280)
    w.goto(MISSPELT, status=404)
    assert w.page.locator("main#error").is_visible()
    links = w.page.locator("main#error ul#suggestions a")
    texts = [t.lower() for t in links.all_inner_texts()]
    assert any("alcohol use disorder" in t for t in texts), texts
    i = next(i for i, t in enumerate(texts) if "alcohol use disorder" in t)
    with w.page.expect_navigation():
        links.nth(i).click()
    assert w.page.locator("#verdict").inner_text().strip()


def test_an_unknown_drug_gets_an_html_page_not_json(open_page: Callable[..., Watched]) -> None:
    w = open_page(1280)
    w.goto("/ask?drug=baclofn&condition=alcohol%20use%20disorder", status=404)
    assert w.page.locator("main#error").is_visible()
    assert '"detail"' not in w.page.content()
    texts = [t.lower() for t in w.page.locator("ul#suggestions a").all_inner_texts()]
    assert any("baclofen" in t for t in texts), texts
