"""The answer page: bottom line first, a table of contents that leads somewhere, and a studies
table that sorts and filters to what the JSON says."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
from browserkit import ANSWER, Watched, api_answer

from offlabel.report.words import CERTAINTY_TEXT, VERDICT_TEXT


def test_bottom_line_comes_first_and_agrees_with_the_api(
        open_page: Callable[..., Watched]) -> None:
    w = open_page(1280)
    w.goto(ANSWER)
    data = api_answer(w.base)
    verdict = " ".join(w.page.locator("#bottom-line #verdict").inner_text().split())
    assert VERDICT_TEXT[data["verdict"]].lower() in verdict.lower(), verdict
    certainty = w.page.locator("#bottom-line #certainty").inner_text()
    assert CERTAINTY_TEXT[data["certainty"]].lower() in certainty.lower(), certainty
    # First means above every section, in the page as seen.
    tops = w.page.evaluate("""() => {
        const top = e => e.getBoundingClientRect().top + window.scrollY;
        return [top(document.querySelector('#bottom-line')),
                Math.min(...[...document.querySelectorAll('main section[id]')]
                    .filter(s => !s.closest('#bottom-line') && s.id !== 'bottom-line')
                    .map(top))];
    }""")
    assert tops[0] < tops[1], f"#bottom-line at {tops[0]} px is below a section at {tops[1]} px"


def test_table_of_contents_is_sticky_and_leads_to_sections(
        open_page: Callable[..., Watched]) -> None:
    w = open_page(1280)
    w.goto(ANSWER)
    targets = w.page.evaluate("""() => [...document.querySelectorAll('nav#toc a[href^="#"]')]
        .map(a => a.getAttribute('href').slice(1))""")
    assert len(targets) >= 5, f"nav#toc has {len(targets)} links"
    missing = [t for t in targets if not w.page.evaluate(
        "id => { const e = document.getElementById(id); return !!e && e.tagName === 'SECTION' }", t)]
    assert not missing, f"nav#toc links to no <section>: {missing}"
    assert w.page.evaluate("getComputedStyle(document.querySelector('nav#toc')).position") in (
        "sticky", "fixed")
    # Following a link brings its section into the window (smooth scrolling may take a while
    # on a busy machine, hence the longer wait).
    middle = targets[len(targets) // 2]
    w.page.click(f'nav#toc a[href="#{middle}"]')
    w.page.wait_for_function("""id => {
        const r = document.getElementById(id).getBoundingClientRect();
        return location.hash === '#' + id && r.top >= -5 && r.top < window.innerHeight / 2;
    }""", arg=middle, timeout=20_000)


# -- the studies table --------------------------------------------------------------------------


def visible_rows(page: Any) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = page.evaluate("""() =>
        [...document.querySelectorAll('table#studies tbody tr[data-design]')]
        .filter(r => r.offsetParent !== null && getComputedStyle(r).display !== 'none')
        .map(r => ({...r.dataset, text: r.innerText}))""")
    return rows


def count_text(page: Any) -> tuple[int, int]:
    text = page.locator("#studies-count").inner_text()
    m = re.search(r"(\d+)\s+of\s+(\d+)", text)
    assert m, f"#studies-count says {text!r}, not 'N of M studies'"
    return int(m.group(1)), int(m.group(2))


def column(page: Any, index: int) -> list[str]:
    cells: list[str] = page.evaluate("""i =>
        [...document.querySelectorAll('table#studies tbody tr[data-design]')]
        .filter(r => r.offsetParent !== null)
        .map(r => r.cells[i] ? r.cells[i].innerText.trim() : '')""", index)
    return cells


def test_studies_table_sorts_by_a_column(open_page: Callable[..., Watched]) -> None:
    w = open_page(1280)
    w.goto(ANSWER)
    page = w.page
    heads = page.locator("table#studies th[data-sort]")
    assert heads.count() >= 3, "the studies table has fewer than 3 sortable columns"
    keys = heads.evaluate_all("hs => hs.map(h => h.dataset.sort)")
    head = heads.nth(keys.index("year")) if "year" in keys else heads.first
    index = head.evaluate("h => h.cellIndex")
    before = column(page, index)
    head.click()
    first = head.get_attribute("aria-sort")
    assert first in ("ascending", "descending"), f"aria-sort {first!r} after one click"
    once = column(page, index)
    head.click()
    second = head.get_attribute("aria-sort")
    assert second in ("ascending", "descending") and second != first
    twice = column(page, index)
    assert sorted(once) == sorted(before), "sorting lost or added rows"
    assert once != before or twice != before, "clicking the header did not reorder the rows"
    years = [int(y) for y in once if y.isdigit()] if "year" in keys else []
    if years:
        assert years == sorted(years, reverse=first == "descending"), years
        assert [int(y) for y in twice if y.isdigit()] == years[::-1] or sorted(
            twice, reverse=second == "descending") == twice
    # Only the sorted column says it is sorted.
    others = heads.evaluate_all("hs => hs.filter(h => h.getAttribute('aria-sort') "
                                "&& h.getAttribute('aria-sort') !== 'none').length")
    assert others == 1


def test_studies_table_filters_agree_with_the_data(open_page: Callable[..., Watched]) -> None:
    w = open_page(1280)
    w.goto(ANSWER)
    page = w.page
    studies = api_answer(w.base)["studies"]
    total = len(visible_rows(page))
    assert count_text(page) == (total, total) == (len(studies), len(studies))

    for field in ("design", "direction"):
        counts = Counter(s[field] for s in studies)
        value = next(v for v, n in counts.most_common() if n < len(studies))
        page.select_option(f"select#filter-{field}", value)
        rows = visible_rows(page)
        assert {r[field] for r in rows} == {value}
        assert len(rows) == counts[value] and count_text(page) == (len(rows), len(studies))
        page.select_option(f"select#filter-{field}", "")

    # The outcome filter: every choice leaves the studies that report that outcome.
    choices = page.locator("select#filter-outcome option").evaluate_all(
        "os => os.map(o => [o.value, o.textContent.trim()]).filter(o => o[0])")
    assert choices, "select#filter-outcome offers no outcome"
    value, label = choices[0]
    page.select_option("select#filter-outcome", value)
    rows = visible_rows(page)
    expected = [s for s in studies if any(value in (o.get("name"), o.get("kind"))
                                          or label in (o.get("name"), o.get("kind"))
                                          for o in s.get("outcomes") or [])]
    assert 0 < len(rows) == len(expected) < len(studies), (value, len(rows), len(expected))
    assert count_text(page) == (len(rows), len(studies))
    page.select_option("select#filter-outcome", "")

    page.fill("input#filter-year-from", "2015")
    page.fill("input#filter-year-to", "2020")
    page.locator("input#filter-year-to").dispatch_event("change")
    rows = visible_rows(page)
    in_range = [s for s in studies if s.get("year") and 2015 <= int(s["year"]) <= 2020]
    assert all(2015 <= int(r["year"]) <= 2020 for r in rows)
    assert len(rows) == len(in_range) and count_text(page) == (len(rows), len(studies))


def test_downloads_are_the_same_answer(open_page: Callable[..., Watched]) -> None:
    w = open_page(1280)
    w.goto(ANSWER)
    data = api_answer(w.base)
    for kind, marker in (("json", '"verdict"'), ("md", "#"), ("html", "<html")):
        href = w.page.locator(f"a#download-{kind}").get_attribute("href")
        assert href, f"a#download-{kind} has no href"
        r = httpx.get(w.base + href if href.startswith("/") else href, timeout=60)
        assert r.status_code == 200 and marker in r.text, (kind, r.status_code)
        assert "attachment" in r.headers.get("content-disposition", ""), kind
        if kind == "json":
            assert r.json()["conditions"][0]["verdict"] == data["verdict"]


def test_profile_form_adds_the_cli_applicability_notes(
        open_page: Callable[..., Watched]) -> None:
    w = open_page(1280)
    w.goto(ANSWER)
    w.page.select_option("form#profile select#profile-liver_disease", "yes")
    with w.page.expect_navigation():
        w.page.locator("form#profile [type=submit]").click()
    shown = [" ".join(t.split()) for t in
             w.page.locator("#applicability-notes li").all_inner_texts()]
    cli = subprocess.run(
        [sys.executable, "-m", "offlabel", "ask", "baclofen", "alcohol use disorder",
         "--profile", "liver_disease=yes", "--format", "json"],
        capture_output=True, text=True, check=True)
    notes = json.loads(cli.stdout)["conditions"][0]["applicability"]
    assert len(notes) > 0 and len(shown) == len(notes), (shown, notes)
    assert shown[0].startswith(" ".join(notes[0]["text"].split())[:60]), (shown[0], notes[0])
