"""The built book in a real browser: headless Chromium (Debian's `chromium` package) driven by Playwright.

The book must be built first (`make book`; `make test` does it). _build/html is served over http on 127.0.0.1 by a
thread of this process; every other request the pages make is blocked and reported, so the book is checked as it
works offline. Each page is opened once and checked as it loads (console, requests, formulas, images, width), then
with axe-core with its folds open (tests/axe.py). Where Chromium or Playwright is missing the tests skip, except under
CI (the CI variable set), where that is a failure: .ci/run installs Chromium.
"""
import functools
import http.server
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from autograder.admin.publish import publish
from axe import BLOCKING, describe, violations
from public import SETTINGS

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _missing_browser():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed"
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        return f"{CHROMIUM} is missing (apt-get install -y chromium)"
    return None


_MISSING = _missing_browser()


def book_pages(html=HTML):
    """Every HTML page of the book but index.html, which only redirects to the intro."""
    if not (html / "index.html").is_file():
        return ["<book not built>"]
    return sorted(str(p.relative_to(html)) for p in html.rglob("*.html")
                  if "_static" not in p.relative_to(html).parts and p.name != "index.html")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(root):
    """Serve folder `root` on 127.0.0.1 from a thread; yields its base URL."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def require_book():
    if not (HTML / "index.html").is_file():
        pytest.fail(f"{HTML} has no built book: run `make book` first (`make test` does it for you)",
                    pytrace=False)


@pytest.fixture(scope="module")
def server():
    require_book()
    yield from serve(HTML)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The site of a published public tree, served as GitHub Pages would serve it."""
    require_book()
    yield from serve(publish(tmp_path_factory.mktemp("published") / "public", HTML, SETTINGS) / "site")


@pytest.fixture(scope="module")
def browser():
    if _MISSING:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests cannot run under CI: {_MISSING}", pytrace=False)
        pytest.skip(f"no browser: {_MISSING}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        executable = str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Visit:
    """One page opened in a fresh context, with its console errors and any request that left 127.0.0.1."""

    def __init__(self, browser, base, path):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
        self.errors, self.external = [], []
        host = urlsplit(base).netloc

        def route(r):
            if urlsplit(r.request.url).netloc == host:
                r.continue_()
            else:
                self.external.append(r.request.url)
                r.abort()

        self.context.route("**/*", route)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        self.page.goto(f"{base}/{path}", wait_until="load")
        self.page.wait_for_load_state("networkidle")

    def _console(self, message):
        if message.type != "error":
            return
        # Browsers ask every site for /favicon.ico on their own; the book has none, and that is not a page error.
        if (message.location or {}).get("url", "").endswith("/favicon.ico"):
            return
        self.errors.append(f"{message.text} ({(message.location or {}).get('url', '')})")

    def close(self):
        self.context.close()


def visitor(browser, base):
    opened = []

    def open_page(path):
        v = Visit(browser, base, path)
        opened.append(v)
        return v

    yield open_page
    for v in opened:
        v.close()


@pytest.fixture
def visit(browser, server):  # browser first: without one, skip (or fail under CI) before anything else
    yield from visitor(browser, server)


@pytest.fixture
def visit_published(browser, published):
    yield from visitor(browser, published)


WAIT_FOR_MATHJAX = """async () => {
    if (!window.MathJax) return false;
    if (MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
    if (MathJax.typesetPromise) await MathJax.typesetPromise();
    return true;
}"""

LOAD_IMAGES = """async () => {
    const images = Array.from(document.images);
    for (const img of images) {
        img.loading = "eager";
        img.scrollIntoView();
        try { await img.decode(); } catch (e) { /* reported below as naturalWidth 0 */ }
    }
    window.scrollTo(0, 0);
    return images.map(img => ({src: img.getAttribute("src"), ok: img.complete && img.naturalWidth > 0,
                               alt: img.getAttribute("alt")}));
}"""

MATH_STATE = """() => {
    const math = document.querySelectorAll(".math, div.math, span.math").length;
    const typeset = document.querySelectorAll("mjx-container").length;
    const errors = document.querySelectorAll("mjx-merror").length;
    // a display formula wider than the text column would need a scroll bar to be read
    const clipped = Array.from(document.querySelectorAll('mjx-container[display="true"]'))
        .filter(el => el.scrollWidth > el.clientWidth + 2)
        .map(el => `${el.scrollWidth - el.clientWidth}px too wide: ` +
                   (el.closest("[id]") || {id: ""}).id);
    return {math, typeset, errors, clipped, text: document.body.innerText};
}"""


@pytest.fixture(scope="module", params=book_pages())
def page_of_the_book(request, browser, server):
    """Each page of the book, opened once for all the checks below (pytest runs them one page at a time)."""
    v = Visit(browser, server, request.param)
    yield request.param, v
    v.close()


def test_page_renders_cleanly(page_of_the_book):
    """No console errors, no request leaving the local server, every formula typeset, every image loaded, and no
    horizontal overflow at a laptop width."""
    path, v = page_of_the_book
    check_renders_cleanly(v, path)


def test_page_has_no_serious_accessibility_violation(page_of_the_book):
    """axe-core finds no serious or critical violation, with every fold open (after the check above, which sees the
    page as it loads)."""
    path, v = page_of_the_book
    settle(v.page)
    found = [f for f in violations(v.page) if f["impact"] in BLOCKING]
    assert not found, f"{path}:\n" + "\n".join(describe(f) for f in found)


@pytest.mark.parametrize("path", ["book/intro.html", "book/conv-layer.html"] +
                         [p for p in book_pages() if p.startswith("notebooks/")])
def test_published_site_renders_cleanly(visit_published, path):
    """The published site (the public tree's site/) passes the same checks: the chapters' sample and every
    assignment page; test_publish.py checks that it holds the built book's files, byte for byte."""
    check_renders_cleanly(visit_published(path), path)


def test_published_site_search_finds_stride(visit_published):
    check_search_finds_stride(visit_published)


def settle(page):
    """Make the page what a reader sees: its formulas typeset, every image loaded. Returns whether it has MathJax,
    and each image's src, whether it loaded and its alt text."""
    return page.evaluate(WAIT_FOR_MATHJAX), page.evaluate(LOAD_IMAGES)


def check_renders_cleanly(v, path):
    has_mathjax, images = settle(v.page)
    math = v.page.evaluate(MATH_STATE)
    overflow = v.page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")

    assert not v.errors, f"console errors on {path}: {v.errors}"
    assert not v.external, f"{path} requested resources outside the book: {v.external}"
    if math["math"]:
        assert has_mathjax, f"{path} has math but MathJax did not load"
        assert math["typeset"] >= math["math"], f"{path}: {math['math']} formulas, {math['typeset']} typeset"
        assert math["errors"] == 0, f"{path}: {math['errors']} MathJax errors"
        if path.startswith("book/"):   # the chapters; the assignment notebooks belong to their authors
            assert not math["clipped"], f"{path}: display formulas wider than the text column: {math['clipped']}"
    for raw in ("$$", "\\frac", "\\begin{", "\\partial", "\\left"):
        assert raw not in math["text"], f"{path} shows raw TeX {raw!r}: a formula was not typeset"
    broken = [img["src"] for img in images if not img["ok"]]
    assert not broken, f"{path}: images that did not load: {broken}"
    assert overflow <= 1, f"{path} is {overflow}px wider than the window (a formula or figure overflows)"


def test_chapters_have_figures_and_formulas(visit):
    """A sample of the content actually appears: typeset formulas and drawn figures on the convolution chapter."""
    v = visit("book/conv-layer.html")
    _, images = settle(v.page)
    assert sum(1 for img in images if "_images/" in (img["src"] or "")) >= 5
    assert v.page.locator("mjx-container").count() >= 20
    assert v.page.locator("figcaption").count() >= 5


def test_search_finds_stride(visit):
    check_search_finds_stride(visit)


def check_search_finds_stride(visit):
    v = visit("search.html?q=stride")
    results = v.page.locator("#search-results ul.search li")
    results.first.wait_for(timeout=20000)
    links = results.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert any("conv-layer" in (href or "") for href in links), f"searching 'stride' found {links}"
    assert not v.errors, v.errors


STEPPER_STATE = """(root) => ({
    frame: root.dataset.frame,
    status: root.querySelector('.cnnstep-status').textContent,
    detail: root.querySelector('.cnnstep-detail').textContent,
    filled: Array.from(root.querySelectorAll('td')).filter(td => td.textContent !== '').length,
})"""


STEP_TO_THE_END = """(root, label) => {
    const step = Array.from(root.querySelectorAll('button')).find(b => b.textContent === label);
    for (let last = null; root.dataset.frame !== last; ) { last = root.dataset.frame; step.click(); }
    return root.dataset.frame;
}"""


def _step_through(v, root, settings):
    """Step the widget through every setting (the <select>s) to its last frame; returns the states seen."""
    states = []
    selects = root.locator("select")
    step = root.get_by_role("button", name="step ▶")
    for choice in settings:
        for index, value in enumerate(choice):
            selects.nth(index).select_option(str(value))
        before = root.evaluate(STEPPER_STATE)
        assert before["frame"] == "0", before
        step.click()
        states.append((before, root.evaluate(STEPPER_STATE)))
        # on to the last frame, where the final checks run: the same clicks, dispatched in the page at once
        # (sixty round trips of Playwright's a setting took 15 of the test's 18 s)
        frame = root.evaluate(STEP_TO_THE_END, "step ▶")
        assert int(frame) >= 1, frame
    return states


@pytest.mark.parametrize("page, kind, settings", [
    ("book/conv-layer.html", "conv", [(1, 0, 1), (2, 1, 1), (1, 2, 2), (2, 0, 2)]),
    ("book/backprop.html", "maxpool", [("2,2",), ("3,1",)]),
])
def test_steppers_respond_without_console_errors(visit, page, kind, settings):
    """The interactive convolution and max-pool routing: each step moves to a new frame and writes out its sum,
    for every setting, and the widget's own checks against torch's numbers log no console error."""
    v = visit(page)
    root = v.page.locator(f'.cnnstep[data-kind="{kind}"]')
    assert root.count() == 1, f"{page} has {root.count()} {kind} widgets"
    for before, after in _step_through(v, root.first, settings):
        assert after["frame"] == "1" and after["status"] != before["status"], (before, after)
        assert "=" in after["detail"] or "+=" in after["detail"], after
    for index, value in enumerate(settings[0]):        # back to a setting with several frames, then play
        root.first.locator("select").nth(index).select_option(str(value))
    root.first.get_by_role("button", name="play").click()
    v.page.wait_for_function(f"() => document.querySelector('.cnnstep[data-kind=\"{kind}\"]').dataset.frame >= 2",
                             timeout=5000)
    assert not v.errors, f"console errors on {page}: {v.errors}"


FOCUSED = """() => { const a = document.activeElement, root = a.closest('.cnnstep');
    return {inside: !!root, tag: a.tagName, text: a.tagName === 'SELECT' ? a.value : a.textContent,
            outline: getComputedStyle(a).outlineStyle, frame: root ? root.dataset.frame : null}; }"""


@pytest.mark.parametrize("page, kind, controls", [
    ("book/conv-layer.html", "conv", 3),
    ("book/backprop.html", "maxpool", 1),
])
def test_steppers_work_from_the_keyboard(visit, page, kind, controls):
    """Tab reaches each widget from the top of its page; every setting and button is reached in turn, shows where
    the focus is, and works from the keys alone: Enter and Space press buttons, arrows change a setting."""
    v = visit(page)
    keys = v.page.keyboard
    for _ in range(600):                                  # from the top of the page, as a keyboard user comes
        keys.press("Tab")
        if v.page.evaluate(FOCUSED)["inside"]:
            break
    order = [v.page.evaluate(FOCUSED)]
    for _ in range(controls + 3):
        keys.press("Tab")
        order.append(v.page.evaluate(FOCUSED))
    assert all(f["inside"] for f in order), f"Tab left the {kind} widget early or never reached it: {order}"
    assert [f["tag"] for f in order] == ["SELECT"] * controls + ["BUTTON"] * 4, order
    assert [f["text"] for f in order[controls:]] == ["◀ back", "step ▶", "play", "reset"], order
    assert all(f["outline"] != "none" for f in order), f"a control shows no focus ring: {order}"

    def press(key):
        keys.press(key)
        return v.page.evaluate(FOCUSED)

    assert order[-1]["frame"] == "0"
    keys.press("Shift+Tab")
    keys.press("Shift+Tab")                                # on "step ▶"
    assert press("Enter")["frame"] == "1" and press("Space")["frame"] == "2"
    keys.press("Shift+Tab")                                # "◀ back"
    assert press("Enter")["frame"] == "1"
    for _ in range(controls):
        keys.press("Shift+Tab")                            # the first setting
    setting = v.page.evaluate(FOCUSED)
    changed = press("ArrowDown")
    assert changed["tag"] == "SELECT" and changed["text"] != setting["text"], (setting, changed)
    assert changed["frame"] == "0", changed                # a new setting starts over
    assert not v.errors, f"console errors on {page}: {v.errors}"
