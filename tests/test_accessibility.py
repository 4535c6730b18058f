"""Every page of the built book passes axe-core with no serious or critical violation, in headless Chromium.

axe-core's script comes from the installed axe-playwright-python package (nothing is fetched); the pages are served
and opened as in test_browser.py, after MathJax has typeset and every image has loaded, as a reader sees them.
Moderate and minor findings are left to review: `PYTHONPATH=.:tests .venv/bin/python tests/test_accessibility.py`
counts every finding by rule.
"""
import itertools
import sys
from collections import Counter

import pytest

from test_browser import HTML, LOAD_IMAGES, WAIT_FOR_MATHJAX, browser, server, visit  # noqa: F401 (fixtures)

BLOCKING = {"serious", "critical"}


def _pages(html=HTML):
    """Every HTML page of the book but index.html, which only redirects to the intro."""
    if not (html / "index.html").is_file():
        return ["<book not built>"]
    return sorted(str(p.relative_to(html)) for p in html.rglob("*.html")
                  if "_static" not in p.relative_to(html).parts and p.relative_to(html).as_posix() != "index.html")


# Code cells and outputs are thousands of highlighted tokens, whose contrast check is most of axe's time on a page
# (40 s of 45 on an assignment page, on a busy machine): their contrast is checked on one block, and one token, of
# each colour on each background, marked here; every other rule, and the contrast of all else, on the whole page.
MARK_CODE_SAMPLES = """() => {
    const seen = new Set();
    for (const el of document.querySelectorAll('.highlight pre, .highlight pre span')) {
        if (!el.textContent.trim() || !el.checkVisibility()) continue;   // axe skips folded cells
        const key = el.tagName + getComputedStyle(el).color + ' on ' +
                    getComputedStyle(el.closest('.highlight')).backgroundColor;
        if (!seen.has(key)) { seen.add(key); el.dataset.axeSample = ''; }
    }
    return seen.size;
}"""
# Every fold open (the exercises' solutions, hidden code cells), as a reader who opens them sees the page.
UNFOLD = """async () => { document.querySelectorAll('button.toggle-button').forEach(b => b.click());
    document.querySelectorAll('details').forEach(d => { d.open = true; });
    await new Promise(done => setTimeout(done, 50));   // after the folds' toggle events (book.js)
    return document.querySelectorAll('.toggle-hidden').length; }"""
CONTRAST = "color-contrast"
RUNS = [(None, {"rules": {CONTRAST: {"enabled": False}}}),
        ({"exclude": [[".highlight"]]}, {"runOnly": [CONTRAST]}),
        ("[data-axe-sample]", {"runOnly": [CONTRAST]})]


def too_faint(result):
    """axe leaves text of one character for review ("too short to determine if it is actual text content"); here it
    is text (a digit in a widget's cell, an operator in code): the nodes whose measured contrast is too low."""
    def faint(check):
        data = check.get("data") or {}
        return (data.get("messageKey") == "shortTextContent" and data.get("contrastRatio")
                and data["contrastRatio"] < float(data["expectedContrastRatio"].split(":")[0]))

    return [n for n in result["nodes"] if any(faint(check) for check in n["any"])] if result["id"] == CONTRAST else []


def violations(page, within=None):
    """axe-core's violations on an open page (or the part `within` selects), once its formulas are typeset and its
    images loaded."""
    from axe_playwright_python.sync_playwright import Axe

    page.evaluate(WAIT_FOR_MATHJAX)
    page.evaluate(LOAD_IMAGES)
    if not within:
        assert page.evaluate(UNFOLD) == 0, "a fold stayed closed"
    runs = [(within, {})] if within else RUNS if page.evaluate(MARK_CODE_SAMPLES) else RUNS[:2]
    found = {}
    for context, options in runs:
        results = Axe().run(page, context, {"resultTypes": ["violations", "incomplete"], **options}).response
        short = [{**r, "nodes": too_faint(r)} for r in results["incomplete"] if too_faint(r)]
        for v in results["violations"] + short:
            if v["id"] in found:
                found[v["id"]]["nodes"] += v["nodes"]
            else:
                found[v["id"]] = v
    return list(found.values())


def describe(violation):
    nodes = "; ".join(" ".join(n["target"]) if isinstance(n["target"][0], str) else str(n["target"])
                      for n in violation["nodes"][:3])
    return f"{violation['id']} ({violation['impact']}, {len(violation['nodes'])} elements, e.g. {nodes}): " \
           f"{violation['help']}"


@pytest.mark.parametrize("path", _pages())
def test_page_has_no_serious_accessibility_violation(visit, path):
    found = [v for v in violations(visit(path).page) if v["impact"] in BLOCKING]
    assert not found, f"{path}:\n" + "\n".join(describe(v) for v in found)


@pytest.mark.parametrize("page, kind", [("book/conv-layer.html", "conv"), ("book/backprop.html", "maxpool")])
def test_steppers_pass_in_every_setting(visit, page, kind):
    """The widgets as a reader leaves them, a step taken in each setting: checked whenever the setting shows cells
    of a kind not checked yet (a padding's grey zeros, say)."""
    v = visit(page)
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
        for path in _pages(html):
            v = Visit(chromium, url, path)
            for found in violations(v.page):
                counts[found["id"], found["impact"]] += len(found["nodes"])
                where.setdefault((found["id"], found["impact"]), set()).add(path)
            v.close()
        chromium.close()
    for (rule, impact), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"{rule:28} {impact:9} {n:5} elements on {len(where[rule, impact]):2} pages")
