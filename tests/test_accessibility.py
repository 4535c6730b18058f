"""The book's interactive widgets pass axe-core in every setting, and the check can fail: text made too faint is
reported. Every page of the book is checked with axe-core in test_browser.py, on the page opened once for all its
checks (tests/axe.py: how, and which findings fail).

Moderate and minor findings are left to review: `PYTHONPATH=.:tests .venv/bin/python tests/test_accessibility.py`
counts every finding by rule.
"""
import itertools
import sys
from collections import Counter

import pytest

from axe import BLOCKING, CONTRAST, describe, violations
from test_browser import HTML, book_pages, browser, server, settle, visit  # noqa: F401 (fixtures)


@pytest.mark.parametrize("page, kind", [("book/conv-layer.html", "conv"), ("book/backprop.html", "maxpool")])
def test_steppers_pass_in_every_setting(visit, page, kind):
    """The widgets as a reader leaves them, a step taken in each setting: checked whenever the setting shows cells
    of a kind not checked yet (a padding's grey zeros, say)."""
    v = visit(page)
    settle(v.page)
    root = v.page.locator(f'.cnnstep[data-kind="{kind}"]')
    selects = root.locator("select")
    choices = [selects.nth(i).locator("option").evaluate_all("o => o.map(x => x.value)")
               for i in range(selects.count())]
    seen = set()
    for setting in itertools.product(*choices):
        for i, value in enumerate(setting):
            selects.nth(i).select_option(value)
        root.get_by_role("button", name="step ▶").click()
        looks = root.evaluate("r => [...new Set(Array.from(r.querySelectorAll('*'), e => e.className))].sort().join()")
        if looks in seen:
            continue
        seen.add(looks)
        found = [v for v in violations(v.page, f'.cnnstep[data-kind="{kind}"]') if v["impact"] in BLOCKING]
        assert not found, f"{kind} widget at {setting}:\n" + "\n".join(describe(v) for v in found)


FAINT = """(selector) => { const style = document.createElement('style');
    style.textContent = selector + ' { color: #d0d0d0 !important; }'; document.head.appendChild(style); }"""


@pytest.mark.parametrize("selector", ["main p", ".highlight pre span.k"])
def test_axe_finds_faint_text(visit, selector):
    """The check can fail: prose, or one kind of code token (keywords), made too faint to read is reported."""
    page = visit("book/conv-layer.html").page
    settle(page)
    page.evaluate(FAINT, selector)
    faint = [v for v in violations(page) if v["id"] == CONTRAST]
    assert faint and faint[0]["impact"] in BLOCKING, faint


if __name__ == "__main__":   # every finding on every page of a built book (default: _build/html), by rule and impact
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    from test_browser import CHROMIUM, CHROMIUM_ARGS, Visit, serve

    html = Path(sys.argv[1]) if len(sys.argv) > 1 else HTML
    counts, where = Counter(), {}
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        url = next(serve(html))
        for path in book_pages(html):
            v = Visit(chromium, url, path)
            settle(v.page)
            for found in violations(v.page):
                counts[found["id"], found["impact"]] += len(found["nodes"])
                where.setdefault((found["id"], found["impact"]), set()).add(path)
            v.close()
        chromium.close()
    for (rule, impact), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"{rule:28} {impact:9} {n:5} elements on {len(where[rule, impact]):2} pages")
