"""The compare page for a condition: a league table of every drug covered and a forest plot."""

from __future__ import annotations

from collections.abc import Callable

from browserkit import COMPARE, Watched


def test_league_table_and_forest_plot(open_page: Callable[..., Watched]) -> None:
    w = open_page(1280)
    w.goto(COMPARE)
    rows = w.page.locator("table#league tbody tr")
    text = w.page.locator("table#league").inner_text().lower()
    # Every drug with alcohol use disorder evidence is compared when none is named.
    for drug in ("baclofen", "naltrexone", "acamprosate", "topiramate"):
        assert drug in text, f"table#league does not list {drug}"
    assert rows.count() >= 4
    forest = w.page.locator("svg.forest").first
    box = forest.bounding_box()
    assert box and box["width"] > 0 and box["height"] > 0
    # Rounded ticks with 1 marked (issue 14: the CLI's were '0.514086 0.922334 ...').
    ticks = [t.strip() for t in w.page.locator("svg.forest text").evaluate_all(
        "ts => ts.map(t => t.textContent)")]
    numbers = [t for t in ticks if t.replace(".", "", 1).isdigit()]
    assert "1" in numbers or "1.0" in numbers, f"no tick at 1: {numbers}"
    assert all(len(t.split(".")[-1]) <= 2 for t in numbers if "." in t), numbers
