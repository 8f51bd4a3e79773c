"""The home page as a new user meets it: the question box works from the keyboard, and the
evidence matrix links every covered question to its answer."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlparse

from browserkit import CONDITION, DRUG, HOME, Watched, api_answer

from offlabel.report.words import VERDICT_TEXT


def verdict_shown(text: str, verdict: str) -> bool:
    return VERDICT_TEXT[verdict].lower() in " ".join(text.split()).lower()


def test_ask_from_home_with_the_keyboard(open_page: Callable[..., Watched]) -> None:
    w = open_page(1280)
    w.goto(HOME)
    page = w.page
    # Reach the box with Tab, as a keyboard user would (skip links and the header come first).
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == "question":
            break
    else:
        raise AssertionError("#question is not reachable with Tab")
    page.keyboard.type(f"{DRUG} for alc")
    # An own listbox (role=listbox) is used with the arrow keys; a <datalist> is the browser's.
    listbox = page.locator("[role=listbox]:visible")
    if listbox.count():
        options = listbox.first.locator("[role=option]")
        assert options.count() > 0, "the listbox offers nothing for 'baclofen for alc'"
        page.keyboard.press("ArrowDown")
        assert page.locator("[role=option][aria-selected=true]").count() == 1
        page.keyboard.press("Enter")
        value = page.input_value("#question")
        if CONDITION not in value.lower():
            page.fill("#question", f"{DRUG} for {CONDITION}")
    else:
        page.keyboard.type(CONDITION[3:])
    assert page.input_value("#question").lower() == f"{DRUG} for {CONDITION}"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlparse(page.url).path == "/ask"
    verdict = page.locator("#verdict").inner_text()
    expected = api_answer(w.base)["verdict"]
    assert verdict_shown(verdict, expected), f"#verdict {verdict!r}, API says {expected}"


def test_autocomplete_offers_drugs_conditions_and_synonyms(
        open_page: Callable[..., Watched]) -> None:
    w = open_page(1280)
    w.goto(HOME)
    options = [o.lower() for o in w.page.evaluate(
        "() => [...document.querySelectorAll('#question-list option')].map(o => o.value)")]
    if not options:  # an own listbox: what it offers for a few letters
        w.page.fill("#question", "alc")
        options = [o.lower() for o in
                   w.page.locator("[role=listbox] [role=option]").all_inner_texts()]
    joined = "\n".join(options)
    for word in ("baclofen", "naltrexone", "alcohol use disorder", "lioresal", "alcoholism"):
        assert word in joined, f"autocomplete does not offer {word!r}"
    # The hint under the box promises that "/" jumps to it.
    w.page.locator("h1").click()
    w.page.keyboard.press("/")
    assert w.page.evaluate("document.activeElement.id") == "question"


def test_matrix_cells_link_to_their_answers(open_page: Callable[..., Watched]) -> None:
    w = open_page(1280)
    w.goto(HOME)
    cells = w.page.locator("table#evidence-matrix a.cell")
    n = cells.count()
    assert n >= 7, f"only {n} covered cells in the evidence matrix"
    found = None
    for i in range(n):
        cell = cells.nth(i)
        assert cell.get_attribute("data-verdict") in VERDICT_TEXT
        assert cell.get_attribute("data-certainty") is not None
        query = parse_qs(urlparse(cell.get_attribute("href") or "").query)
        if query.get("drug") == [DRUG] and query.get("condition") == [CONDITION]:
            found = cell
    assert found is not None, "no matrix cell links to baclofen for alcohol use disorder"
    expected = api_answer(w.base)["verdict"]
    assert found.get_attribute("data-verdict") == expected
    with w.page.expect_navigation():
        found.click()
    assert verdict_shown(w.page.locator("#verdict").inner_text(), expected)
