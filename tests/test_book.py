"""Checks of the built book that need no browser: what is published, links, MathJax, figures, solutions.

The book must be built first (`make book`, which `make test` runs before the tests); these tests only read
_build/html. The browser checks are in test_browser.py.
"""
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from answers import answer_lines, normalize

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"


def require_build():
    if not (HTML / "index.html").is_file():
        pytest.fail(f"{HTML} has no built book: run `make book` first (`make test` does it for you)",
                    pytrace=False)


@pytest.fixture(scope="module")
def pages():
    require_build()
    return sorted(p for p in HTML.rglob("*.html") if "_static" not in p.relative_to(HTML).parts)


class Page(HTMLParser):
    """Everything these tests look at in one HTML page: links, ids, images, scripts, figures, visible text."""

    SKIP_TEXT = {"script", "style"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.ids, self.images, self.scripts = [], set(), [], []
        self.text, self.math, self.figures = [], 0, []
        self._skip, self._figure = 0, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name"):
            if a.get(key) and (key == "id" or tag == "a"):
                self.ids.add(a[key])
        if tag == "a" and a.get("href") is not None:
            self.links.append(a["href"])
        elif tag == "link" and a.get("href") is not None:
            self.links.append(a["href"])
        elif tag == "img":
            self.images.append(a)
            if self._figure is not None:
                self._figure["images"].append(a)
            if a.get("src") is not None:
                self.links.append(a["src"])
        elif tag == "script":
            self.scripts.append(a.get("src"))
            if a.get("src"):
                self.links.append(a["src"])
        if tag in self.SKIP_TEXT:
            self._skip += 1
        if "math" in (a.get("class") or "").split():
            self.math += 1
        if tag == "figure":
            self._figure = {"id": a.get("id"), "images": [], "caption": False}
        elif tag == "figcaption" and self._figure is not None:
            self._figure["caption"] = True

    def handle_endtag(self, tag):
        if tag in self.SKIP_TEXT:
            self._skip = max(0, self._skip - 1)
        if tag == "figure" and self._figure is not None:
            self.figures.append(self._figure)
            self._figure = None

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


_parsed = {}


def parse(path):
    if path not in _parsed:
        page = Page()
        page.feed(path.read_text(encoding="utf-8"))
        page.close()
        _parsed[path] = page
    return _parsed[path]


# ------------------------------------------------------------------------------------------------ what is built
def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc.get("parts", []))
    walk(toc.get("chapters", []))
    return files


def test_every_toc_entry_has_a_page():
    require_build()
    missing = [f for f in toc_files() if not (HTML / f"{f}.html").is_file()]
    assert not missing, f"pages in _toc.yml that were not built: {missing}"


def test_every_chapter_is_in_the_toc():
    listed = set(toc_files())
    chapters = {f"book/{p.stem}" for p in (ROOT / "book").glob("*.md")}
    assert chapters <= listed, f"chapters missing from _toc.yml: {sorted(chapters - listed)}"


def test_released_notebooks_are_in_the_toc():
    """Every released assignment notebook gets a page in the book."""
    listed = set(toc_files())
    released = {f"notebooks/{p.parent.name}/{p.stem}" for p in (ROOT / "notebooks").glob("*/*.ipynb")}
    assert released <= listed, f"released notebooks missing from _toc.yml: {sorted(released - listed)}"


def test_no_sources_published():
    require_build()
    assert not (HTML / "_sources").exists(), "_build/html/_sources is published (html_copy_source must be false)"
    sources = [str(p.relative_to(HTML)) for p in HTML.rglob("*")
               if p.suffix in {".ipynb", ".md", ".py", ".bib"} and p.is_file()]
    assert not sources, f"source files published with the book: {sources[:10]}"


# --------------------------------------------------------------------------------------------- links, MathJax
def is_external(url):
    parts = urlsplit(url)
    return bool(parts.scheme) or url.startswith("//")


def test_internal_links_resolve(pages):
    """Every relative href/src points to a file of the build, and every #fragment to an id on that page."""
    broken = []
    for path in pages:
        for url in parse(path).links:
            if not url or is_external(url) or url.startswith(("mailto:", "javascript:", "data:")):
                continue
            parts = urlsplit(url)
            target = path if not parts.path else (path.parent / unquote(parts.path)).resolve()
            if parts.path.endswith("/") or target.is_dir():
                target = target / "index.html"
            rel = path.relative_to(HTML)
            if not target.is_file():
                broken.append(f"{rel}: {url} (no such file)")
                continue
            if parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in parse(target).ids:
                broken.append(f"{rel}: {url} (no id {parts.fragment!r} in {target.relative_to(HTML)})")
    assert not broken, "broken internal links:\n" + "\n".join(broken[:40])


def test_mathjax_is_served_locally(pages):
    """MathJax comes from the build itself (sphinx-mathjax-offline), never from a CDN: the book works offline."""
    assert (HTML / "_static" / "mathjax" / "tex-chtml.js").is_file(), "MathJax was not copied into _static"
    assert list((HTML / "_static" / "mathjax" / "output" / "chtml" / "fonts").rglob("*.woff")), "no MathJax fonts"
    with_math = 0
    for path in pages:
        page = parse(path)
        remote = [s for s in page.scripts if s and is_external(s)]
        assert not remote, f"{path.relative_to(HTML)} loads scripts from the network: {remote}"
        if page.math:
            with_math += 1
            mathjax = [s for s in page.scripts if s and "mathjax" in s.lower()]
            assert mathjax, f"{path.relative_to(HTML)} has math but loads no MathJax"
            for src in mathjax:
                assert (path.parent / urlsplit(src).path).resolve().is_file(), f"{src} missing"
                assert "_static/mathjax/" in src, f"{path.relative_to(HTML)} loads MathJax from {src}"
    assert with_math >= 4, "expected math on the chapters (conv layer, layers, backprop, ...)"


# ------------------------------------------------------------------------------------- how every chapter ends
def numbered_chapters():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [c["file"] for part in toc["parts"] if part.get("numbered") for c in part["chapters"]]


def test_every_chapter_ends_with_a_summary_and_exercises():
    """A Summary section, then at least 5 exercises (sphinx-exercise), at least 2 of them with a folded solution."""
    require_build()
    chapters = numbered_chapters()
    assert len(chapters) == 8, f"expected the 8 numbered chapters in _toc.yml, found {chapters}"
    for name in chapters:
        markup = (HTML / f"{name}.html").read_text(encoding="utf-8")
        ids = parse(HTML / f"{name}.html").ids
        assert {"summary", "exercises"} <= ids, f"{name}: no Summary or Exercises section"
        assert markup.index('id="summary"') < markup.index('id="exercises"'), f"{name}: Summary after Exercises"
        exercises = markup.count('<div class="exercise admonition"')
        solutions = markup.count('<div class="solution dropdown admonition"')
        assert exercises >= 5, f"{name}: {exercises} exercises, fewer than 5"
        assert solutions >= 2, f"{name}: {solutions} folded solutions, fewer than 2"


def test_no_page_shows_glue_calls(pages):
    """The cells that only glue numbers into the prose are removed from the page (tag remove-cell)."""
    shown = [str(p.relative_to(HTML)) for p in pages if "glue(" in "".join(parse(p).text)]
    assert not shown, f"pages that show glue(...) calls: {shown}"


# ------------------------------------------------------------------------------------------------------ figures
def test_every_figure_has_caption_and_alt_text(pages):
    """Each figure produced by a chapter's code has a caption and a real description in the img alt attribute."""
    chapters = [p for p in pages if p.parent.name == "book"]
    n_figures = 0
    for path in chapters:
        page = parse(path)
        for figure in page.figures:
            n_figures += 1
            where = f"{path.relative_to(HTML)} figure {figure['id']}"
            assert figure["caption"], f"{where} has no caption"
            assert figure["images"], f"{where} has no image"
            for img in figure["images"]:
                alt = (img.get("alt") or "").strip()
                assert len(alt) >= 40 and not alt.startswith(("_images", "../")), f"{where}: weak alt text {alt!r}"
        for img in page.images:
            src = img.get("src") or ""
            if "_images/" in src:   # every code-generated image sits in a captioned figure
                assert any(img in f["images"] for f in page.figures), f"{path.relative_to(HTML)}: {src} has no figure"
    assert n_figures >= 20, f"only {n_figures} figures in the chapters"


def test_no_image_files_are_committed_to_the_book():
    """Figures are drawn by code at build time: the book's folder holds no image files."""
    images = [p for p in (ROOT / "book").rglob("*") if p.suffix.lower() in {".png", ".jpg", ".jpeg", ".gif", ".svg"}]
    assert not images, f"image files in book/: {images}"


# ----------------------------------------------------------------------------------- no solutions in the book
def test_answer_line_extraction_finds_the_markers():
    for notebook in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        assert notebook.relative_to(ROOT) in answer_lines().values(), f"no answer lines found in {notebook}"


def test_no_solution_code_or_hidden_tests_in_the_book(pages):
    secrets = answer_lines()
    texts = {path: normalize("".join(parse(path).text)) for path in pages}
    # Search indexes and other generated files are text too.
    for extra in [HTML / "searchindex.js", *HTML.rglob("*.txt")]:
        if extra.is_file():
            texts[extra] = normalize(extra.read_text(encoding="utf-8", errors="replace"))
    leaks = [f"{path.relative_to(HTML)}: {line!r} (from {source})"
             for path, text in texts.items() for line, source in secrets.items() if line in text]
    assert not leaks, "solution code or hidden tests published in the book:\n" + "\n".join(leaks[:20])


# ------------------------------------------------------------------------------------------ glossary, references
def test_glossary_and_bibliography_are_filled(pages):
    glossary = parse(HTML / "book" / "glossary.html")
    terms = [i for i in glossary.ids if i.startswith("term-")]
    assert len(terms) >= 15, f"glossary has only {len(terms)} terms"
    references = normalize("".join(parse(HTML / "book" / "references.html").text))
    for name in ("Krizhevsky", "Ioffe", "Redmon", "Tan", "Yu", "Deng"):
        assert name in references, f"bibliography lacks {name}"


# ------------------------------------------------------------------------------------------- figures of cells
DRAWS = re.compile(r"\bplt\.show\(|\b(plot|draw)_\w+\(")   # pyplot, or a cnntools figure or plot helper
UNWRITTEN = "is not written yet; then this cell shows"   # cnntools.unwritten's line for a `# Shows` cell


class Cells(HTMLParser):
    """Each executed cell of a page (myst-nb's div.cell): its code, its outputs' text, whether it raised, its images."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.cells, self._stack = [], []   # _stack: (tag, cell or None) of every open div

    def handle_starttag(self, tag, attrs):
        if tag == "img" and self._open():
            self._open()["image"] = True
            self._open()["alts"].append(dict(attrs).get("alt") or "")
        if tag != "div":
            return
        classes = (dict(attrs).get("class") or "").split()
        cell = None
        if "cell" in classes:
            cell = {"code": [], "output": [], "image": False, "alts": [], "error": False, "in_input": False}
            self.cells.append(cell)
        elif self._open() is not None and ("output" in classes and "traceback" in classes):
            self._open()["error"] = True
        self._stack.append((cell, "cell_input" in classes))

    def handle_endtag(self, tag):
        if tag == "div" and self._stack:
            self._stack.pop()

    def handle_data(self, data):
        if self._open() is not None:
            self._open()["code" if any(is_input for _, is_input in self._stack) else "output"].append(data)

    def _open(self):
        return next((cell for cell, _ in reversed(self._stack) if cell is not None), None)


def test_every_cell_that_draws_shows_its_figure(pages):
    """A cell that calls plt.show() or a cnntools plot left an image in the page (the inline backend is on)."""
    missing, drawing = [], 0
    for path in pages:
        parser = Cells()
        parser.feed(path.read_text(encoding="utf-8"))
        for cell in parser.cells:
            code = "".join(cell["code"])
            if not DRAWS.search(code) or UNWRITTEN in "".join(cell["output"]):  # it waits for the student's code
                continue
            drawing += 1
            if not cell["image"]:
                missing.append(f"{path.relative_to(HTML)}: {code.strip().splitlines()[-1]!r}")
    assert not missing, "cells that draw but show no figure:\n" + "\n".join(missing)
    assert drawing >= 10, f"only {drawing} drawing cells found: is the page layout still myst-nb's div.cell?"


# ------------------------------------------------------------------------------------------ assignment pages
def assignment_pages(pages):
    found = [p for p in pages if p.relative_to(HTML).parts[0] == "notebooks"]
    assert len(found) == 4, found
    return found


def test_assignment_pages_show_no_error_no_path_and_no_grading_switch(pages):
    """The released notebooks as a student opens them: the stubs' cells say in one line what they will show, and no
    output is an error, a traceback or the build machine's path; nothing tells grading from practice."""
    for path in assignment_pages(pages):
        html = path.read_text(encoding="utf-8")
        where = path.relative_to(HTML)
        assert str(ROOT) not in html, f"{where} shows the build machine's path {ROOT}"
        assert "NBGRADER" not in html and "GRADING" not in html, f"{where} shows how grading is told from practice"
        parser = Cells()
        parser.feed(html)
        for cell in parser.cells:
            output, code = "".join(cell["output"]), "".join(cell["code"]).strip()
            assert not cell["error"], f"{where}: a cell shows an error: {code[:80]!r}"
            for word in ("Traceback", "NotImplementedError", "Error:"):
                assert word not in output, f"{where}: {word!r} in the output of {code[:80]!r}: {output[:300]!r}"
            if code.startswith("# Shows"):  # a cell that needs the student's code: one line on what it will show
                line = output.strip()
                assert UNWRITTEN in line and "\n" not in line and len(line) <= 88, (where, line)  # fits at 1400 px
        assert sum(UNWRITTEN in "".join(c["output"]) for c in parser.cells) >= 1, where


def test_assignment_figures_say_what_they_show(pages):
    """Every figure on an assignment page has alt text of its own (mystnb.image.alt), not its file's name."""
    figures = 0
    for path in assignment_pages(pages):
        parser = Cells()
        parser.feed(path.read_text(encoding="utf-8"))
        for cell in parser.cells:
            for alt in cell["alts"]:
                figures += 1
                assert len(alt) >= 40 and not re.search(r"\.(png|jpe?g|svg)$|_images", alt), \
                    f"{path.relative_to(HTML)}: weak alt text {alt!r}"
            assert len(set(cell["alts"])) == len(cell["alts"]), f"{path.relative_to(HTML)}: figures share one alt"
    assert figures >= 10, f"only {figures} figures on the assignment pages"
