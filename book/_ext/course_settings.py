"""The book's title, repository button and launch buttons from the course's public settings (course.yml).

Loaded as a local Sphinx extension (_config.yml: sphinx.local_extensions). Jupyter Book would take these values
from _config.yml; they come from course.yml instead so that the book, the notebooks' install cell and the published
student repository cannot disagree. No button may point at a placeholder: while repository.url is one, the book has
no repository button and no launch menu (Colab, Binder and the hub all open the repository); while hub_url is one,
no JupyterHub button. `make book` says so and how to set them (`python -m autograder settings`; a Sphinx warning
would fail -W).
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAUNCHERS = ("colab_url", "binderhub_url", "jupyterhub_url")  # _config.yml's launch_buttons, and the hub's


def _apply(app, config):
    sys.path.insert(0, str(ROOT))
    try:
        from autograder.admin.settings import load
    finally:
        sys.path.remove(str(ROOT))
    settings = load()
    hidden = settings.hidden_buttons()
    config.project = config.html_title = settings.title
    if "book_url" not in settings.placeholders():   # the pages' canonical links
        config.html_baseurl = settings.book_url
    options = config.html_theme_options
    launch = options.setdefault("launch_buttons", {})
    if "repository" in hidden:
        options.update(repository_url="", use_repository_button=False)
        for key in LAUNCHERS:
            launch.pop(key, None)
        return
    options.update(repository_url=settings.repository, repository_branch=settings.branch,
                   use_repository_button=True)
    if "JupyterHub" not in hidden:
        launch["jupyterhub_url"] = settings.hub_url


def setup(app):
    app.connect("config-inited", _apply)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
