"""axe-core on a page open in Playwright: the violations a reader meets, with every fold open, and how to say them.

Used by the book's page checks (test_browser.py) and by test_accessibility.py. axe-core's script comes from the
installed axe-playwright-python package (nothing is fetched).
"""
BLOCKING = {"serious", "critical"}  # the impacts that fail a test; moderate and minor ones are left to review


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
    """axe-core's violations on an open page whose formulas are typeset and images loaded (or on the part `within`
    selects)."""
    from axe_playwright_python.sync_playwright import Axe

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
