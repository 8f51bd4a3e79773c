"""Every main page at a laptop and a phone width: it loads without a console error, does not
scroll sideways, its plots have a size, and the README's screenshots are taken from it; axe-core
finds no serious or critical accessibility violation on any page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from browserkit import ANSWER, CHECK, COMPARE, HOME, MISSPELT, Watched, axe_serious, screenshot

SHOWN = {"home": HOME, "answer": ANSWER, "compare": COMPARE}
MAX_PNG = 1_500_000


def plot_boxes(page: Any) -> list[dict[str, Any]]:
    boxes: list[dict[str, Any]] = page.evaluate("""() =>
        [...document.querySelectorAll('svg.forest, svg.pyramid')].map(s => {
            const r = s.getBoundingClientRect();
            // A plot wider than the window is fine in a box that scrolls sideways itself.
            let box = s.parentElement;
            while (box && !['auto', 'scroll'].includes(getComputedStyle(box).overflowX)) {
                box = box.parentElement;
            }
            const b = box ? box.getBoundingClientRect() : r;
            return {cls: s.getAttribute('class'), w: r.width, h: r.height,
                    right: b.right, scrolls: !!box};
        })""")
    return boxes


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("name", list(SHOWN))
def test_page_fits_and_is_photographed(open_page: Callable[..., Watched], name: str,
                                       width: int) -> None:
    w = open_page(width)
    response = w.goto(SHOWN[name])
    # The policy is on every page; a refusal under it would be a console error (open_page).
    assert "content-security-policy" in response.headers
    scroll, inner = w.overflow()
    assert scroll <= inner, f"{name} at {width} px scrolls sideways: {scroll} > {inner}"
    boxes = plot_boxes(w.page)
    if name in ("answer", "compare"):
        assert any("forest" in b["cls"] for b in boxes), f"no svg.forest on {name}"
    if name == "answer":
        assert any("pyramid" in b["cls"] for b in boxes), "no svg.pyramid on the answer page"
    for b in boxes:
        assert b["w"] > 0 and b["h"] > 0, f"{b['cls']} on {name} at {width} px has no size: {b}"
        assert b["right"] <= inner + 1, (
            f"{b['cls']} on {name} sticks out at {width} px, not in a box of its own that "
            f"scrolls: {b}")
    out = screenshot(w.page, name, width)
    assert 0 < out.stat().st_size < MAX_PNG, f"{out}: {out.stat().st_size} bytes"


AXE_PAGES = {"home": (HOME, 200), "answer": (ANSWER, 200), "compare": (COMPARE, 200),
             "check": (CHECK, 200), "error": (MISSPELT, 404)}


@pytest.mark.parametrize("name", list(AXE_PAGES))
def test_axe_finds_nothing_serious(open_page: Callable[..., Watched], name: str) -> None:
    path, status = AXE_PAGES[name]
    w = open_page(1280)
    w.goto(path, status=status)
    serious, counts = axe_serious(w.page)
    print(f"axe {name}: {counts or 'no violations'}")
    assert not serious, "\n".join(serious)
