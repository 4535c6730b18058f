"""The book's title, repository button and launch buttons from the course's public settings (course.yml).

Loaded as a local Sphinx extension (_config.yml: sphinx.local_extensions). Jupyter Book would take these values
from _config.yml; they come from course.yml instead so that the book, the notebooks' install cell and the published
student repository cannot disagree. Placeholders are reported by `make book` (a Sphinx warning would fail -W).
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _apply(app, config):
    sys.path.insert(0, str(ROOT))
    try:
        from autograder.admin.settings import load
    finally:
        sys.path.remove(str(ROOT))
    settings = load()
    config.project = config.html_title = settings.title
    config.html_baseurl = settings.book_url
    options = config.html_theme_options
    options.update(repository_url=settings.repository, repository_branch=settings.branch,
                   use_repository_button=True)
    options.setdefault("launch_buttons", {})["jupyterhub_url"] = settings.hub_url


def setup(app):
    app.connect("config-inited", _apply)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
