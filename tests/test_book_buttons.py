"""The book's repository and launch buttons (book/_ext/course_settings.py, book_html.py) never point at a placeholder.

While course.yml holds placeholders (as shipped), the built book has no repository button and no launch menu
(Colab, Binder, JupyterHub); with real values, each assignment page opens in Colab, Binder and the course's
JupyterHub and every page links the repository. The real-values cases build a two-page book with the book's own
_config.yml and extensions (no execution), its course.yml swapped for one of the tests' own.
"""
import subprocess
import sys
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import nbformat
import pytest
import yaml

from autograder.admin.settings import PLACEHOLDER, load
from public import REPO, SETTINGS
from test_book import HTML, Page, require_build
from test_publish import course_yml

NOTEBOOK = "notebooks/forward/forward"
CHAPTER = """---
jupytext:
  text_representation: {extension: .md, format_name: myst}
kernelspec: {display_name: Python 3, language: python, name: python3}
---
# A chapter

```{code-cell} ipython3
1 + 1
```
"""
# Builds with `path`'s settings: autograder.admin.settings reads course.yml from FILE, which this process points elsewhere.
BUILD = """import sys
from pathlib import Path
import autograder.admin.settings
autograder.admin.settings.FILE = Path(sys.argv[1])
from jupyter_book.cli.main import main
main(["build", sys.argv[2], "-W", "-n", "--quiet"])
"""


def links(path):
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page.links


def buttons(hrefs, settings):
    """The buttons among a page's links: which services they open, and where."""
    found = {}
    for href in hrefs:
        for name, mark in (("colab", "colab.research.google.com"), ("binder", "mybinder.org"),
                           ("hub", "/hub/user-redirect/git-pull"), ("repository", settings.repository)):
            if mark in href and (name != "repository" or href.rstrip("/") == settings.repository):
                found.setdefault(name, []).append(href)
    return found


def build_small_book(tmp_path, settings_file):
    """The book's _config.yml, extensions and theme over one chapter and one assignment notebook; returns its html."""
    book = tmp_path / "book"
    (book / "book").mkdir(parents=True)
    (book / "book" / "chapter.md").write_text(CHAPTER)
    (book / NOTEBOOK).parent.mkdir(parents=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# An assignment"),
                                         nbformat.v4.new_code_cell("1 + 1")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, book / f"{NOTEBOOK}.ipynb")
    (book / "_toc.yml").write_text(f"format: jb-book\nroot: book/chapter\nchapters:\n  - file: {NOTEBOOK}\n")
    config = yaml.safe_load((REPO / "_config.yml").read_text())
    config["execute"]["execute_notebooks"] = "off"
    config["bibtex_bibfiles"] = [str(REPO / f) for f in config["bibtex_bibfiles"]]
    sphinx = config["sphinx"]
    sphinx["local_extensions"] = {name: str(REPO / path) for name, path in sphinx["local_extensions"].items()}
    for key in ("html_static_path", "templates_path"):
        sphinx["config"][key] = [str(REPO / path) for path in sphinx["config"][key]]
    (book / "_config.yml").write_text(yaml.safe_dump(config))
    done = subprocess.run([sys.executable, "-c", BUILD, str(settings_file), str(book)], cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    return book / "_build" / "html"


def test_book_shows_no_button_to_a_placeholder():
    """The book as built here from course.yml: while its repository is a placeholder, no repository or launch
    button on any page; a hub that is a placeholder gets no button either."""
    require_build()
    settings = load()
    hidden = settings.hidden_buttons()
    unset = [url for url in (settings.repository, settings.book_url, settings.hub_url)
             if PLACEHOLDER in url.lower()]
    for path in sorted(HTML.rglob("*.html")):
        hrefs = links(path)
        shown = buttons(hrefs, settings)
        placeholders = [h for h in hrefs if any(value in h for value in unset)]
        assert not placeholders, f"{path.relative_to(HTML)} links placeholders: {placeholders}"
        if "repository" in hidden:
            assert not shown, f"{path.relative_to(HTML)} shows buttons of a placeholder repository: {shown}"
        if "JupyterHub" in hidden:
            assert "hub" not in shown, f"{path.relative_to(HTML)} shows a placeholder hub's button: {shown}"


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("real")
    return build_small_book(tmp, course_yml(tmp / "course.yml"))


def test_real_settings_give_every_button(real):
    path = f"{NOTEBOOK}.ipynb"
    shown = buttons(links(real / f"{NOTEBOOK}.html"), SETTINGS)
    assert shown["repository"] and shown["colab"] == [SETTINGS.colab_link(path)], shown
    assert shown["hub"] == [SETTINGS.hub_link(path)], shown      # the same nbgitpuller link as the README's
    binder = urlsplit(shown["binder"][0])
    assert binder.path == "/v2/gh/cnn-teachers/cnn-course/main", shown
    assert parse_qs(binder.query) == {"urlpath": [f"lab/tree/{path}"]}, shown


def test_chapters_link_the_repository_but_launch_nothing(real):
    """Colab cannot open the chapters' .md sources, so only the .ipynb assignment pages offer launch buttons."""
    shown = buttons(links(real / "book" / "chapter.html"), SETTINGS)
    assert set(shown) == {"repository"}, shown


def test_placeholder_hub_gets_no_button(tmp_path):
    settings = replace(SETTINGS, hub_url="https://hub.example.org")
    html = build_small_book(tmp_path, course_yml(tmp_path / "course.yml", hub=settings.hub_url))
    shown = buttons(links(html / f"{NOTEBOOK}.html"), settings)
    assert set(shown) == {"repository", "colab", "binder"}, shown
