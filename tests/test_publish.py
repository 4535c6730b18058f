"""`python -m autograder publish`: the public student repository holds what students need, nothing of the answers,
the same files each time; its links and install cell come from the settings; bad input stops it with one line."""
import re
import zlib
from urllib.parse import parse_qs, urlsplit

import pytest

from answers import answer_lines, normalize
from autograder.__main__ import main
from autograder.course import assignments
from autograder.errors import UsageError
from autograder.admin.publish import WORKFLOW, publish
from autograder.admin.settings import load
from public import HTML, REPO, SETTINGS, notebook_text, tree
from test_book import Page, require_build

# The whole top level of the public tree, and names of the private repository that no public path may contain.
TOP = {".github", "README.md", "requirements.txt", "pyproject.toml", "cnntools", "notebooks", "site"}
PRIVATE = {"solutions", "tests", "mistakes", "_grading", "autograder", "gradebook.db", "grades.csv", "feedback"}
# Answer lines that cnntools' own helpers also use, each one an idiom rather than an exercise's answer (reviewed);
# any other answer line anywhere fails the scan.
SHARED = {("cnntools/train.py", "device = torch.device(device)"),
          ("cnntools/train.py", "for p in model.parameters():"),
          ("cnntools/visualize.py", "for p in model.parameters():")}


@pytest.fixture(scope="module")
def public(tmp_path_factory):
    require_build()
    return publish(tmp_path_factory.mktemp("published") / "public", HTML, SETTINGS)


@pytest.fixture(scope="module")
def files(public):
    return tree(public)


def readable(path, data):
    """What a reader or a search could find in a file: visible text and raw source; None for binary files."""
    if path.endswith("objects.inv"):   # Sphinx's inventory: four lines of header, then zlib-compressed text
        head = data.split(b"\n", 4)
        data = b"\n".join(head[:4]) + b"\n" + zlib.decompress(head[4])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if path.endswith(".ipynb"):
        text = notebook_text(data)
    elif path.endswith(".html"):
        page = Page()
        page.feed(text)
        text += "\n" + "".join(page.text)   # the visible text joins what syntax highlighting splits into spans
    return normalize(text)


def test_public_tree_holds_what_students_need(files):
    for name in assignments():
        assert f"notebooks/{name}/{name}.ipynb" in files
        assert f"site/notebooks/{name}/{name}.html" in files
    assert files["cnntools/weights/shapes_cnn.pt"] == (REPO / "cnntools/weights/shapes_cnn.pt").read_bytes()
    assert {"README.md", "requirements.txt", "pyproject.toml", WORKFLOW, "site/index.html"} <= set(files)
    workflow = files[WORKFLOW].decode()
    assert "actions/upload-pages-artifact@" in workflow and "actions/deploy-pages@" in workflow
    assert "path: site" in workflow
    pins = files["requirements.txt"].decode().split()
    assert all(re.fullmatch(r"[a-z0-9-]+==[\w.+]+", pin) for pin in pins), pins
    assert {"torch", "numpy", "matplotlib", "jupyterlab"} <= {pin.split("==")[0] for pin in pins}


def test_site_is_the_built_book(files):
    book = {k: v for k, v in tree(HTML).items() if k != ".buildinfo"}
    site = {k.removeprefix("site/"): v for k, v in files.items() if k.startswith("site/")}
    assert site == book


def test_nothing_private_is_published(files):
    assert {path.split("/")[0] for path in files} == TOP
    private = [path for path in files if PRIVATE & set(path.split("/"))]
    assert not private, f"private files published: {private[:10]}"
    secrets = answer_lines()
    leaks, binary = [], []
    for path, data in files.items():
        text = readable(path, data)
        if text is None:
            binary.append(path)
            continue
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text, path
        leaks += [f"{path}: {line!r} (from {source})" for line, source in secrets.items()
                  if line in text and (path, line) not in SHARED]
    assert not leaks, "answers or hidden tests published:\n" + "\n".join(leaks[:20])
    assert "site/searchindex.js" in files and readable("site/searchindex.js", files["site/searchindex.js"])
    # Only images, fonts, the theme's translations and the checkpoint are not text (and so were not searched).
    odd = [p for p in binary if not re.search(r"\.(png|jpe?g|gif|ico|woff2?|ttf|eot|pt|mo)$", p)]
    assert not odd, f"binary files that the scan could not read: {odd}"


def test_publishing_twice_gives_the_same_files(public, files, tmp_path):
    assert tree(publish(tmp_path / "again", HTML, SETTINGS)) == files
    (public / ".git").mkdir()          # publishing into a clone of the public repository keeps its history
    (public / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (public / "stale.txt").write_text("a file the new publish no longer has")
    assert tree(publish(public, HTML, SETTINGS)) == files
    assert (public / ".git" / "HEAD").is_file()


def test_install_cell_and_links_come_from_the_settings(files):
    for name in assignments():
        first = notebook_text(files[f"notebooks/{name}/{name}.ipynb"]).split("\n")
        assert any("git+https://github.com/cnn-teachers/cnn-course@main" in line for line in first), name
    readme = files["README.md"].decode()
    assert SETTINGS.title in readme and SETTINGS.book_url in readme
    assert SETTINGS.hub_link("notebooks/forward/forward.ipynb") in readme
    assert ("https://colab.research.google.com/github/cnn-teachers/cnn-course/blob/main/"
            "notebooks/forward/forward.ipynb") in readme


def test_hub_link_is_an_nbgitpuller_link():
    """nbgitpuller's documented format: HUB/hub/user-redirect/git-pull?repo=...&urlpath=...&branch=..."""
    link = urlsplit(SETTINGS.hub_link("notebooks/forward/forward.ipynb"))
    assert (link.scheme, link.netloc, link.path) == ("https", "hub.university.edu", "/hub/user-redirect/git-pull")
    assert parse_qs(link.query) == {"repo": [SETTINGS.repository], "branch": ["main"],
                                    "urlpath": ["lab/tree/cnn-course/notebooks/forward/forward.ipynb"]}


def course_yml(path, **values):
    """A course.yml with SETTINGS' values, some replaced."""
    v = {"term": SETTINGS.term, "url": SETTINGS.repository, "branch": SETTINGS.branch, "book": SETTINGS.book_url,
         "hub": SETTINGS.hub_url, **values}
    path.write_text(f"course:\n  name: {SETTINGS.name}\n  term: {v['term']}\nrepository:\n  url: {v['url']}\n"
                    f"  branch: {v['branch']}\nbook_url: {v['book']}\nhub_url: {v['hub']}\n")
    return path


def test_placeholders_stop_publish_with_one_line(tmp_path, monkeypatch, capsys):
    settings = course_yml(tmp_path / "course.yml", url="https://github.com/example-org/c", hub="https://example.org")
    monkeypatch.setattr("autograder.admin.settings.FILE", settings)
    assert main(["publish", str(tmp_path / "out"), "--book", str(HTML)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "repository.url, hub_url" in err[0] and "placeholder" in err[0], err
    assert not (tmp_path / "out").exists()
    assert main(["settings"]) == 0       # what `make book` says: once, which buttons are left out, how to set them
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no repository/Colab/Binder/JupyterHub button" in err[0], err
    assert "set them in course.yml" in err[0] and "repository.url, hub_url" in err[0], err
    assert main(["settings", "--strict"]) == 2


def test_book_built_with_other_settings_is_refused(tmp_path, monkeypatch, capsys):
    require_build()
    monkeypatch.setattr("autograder.admin.settings.FILE", course_yml(tmp_path / "course.yml", url="https://git.uni.edu/c"))
    assert main(["publish", str(tmp_path / "out"), "--book", str(HTML)]) == 2
    assert "built with other settings" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_real_settings_load(tmp_path):
    assert load(course_yml(tmp_path / "course.yml")) == SETTINGS and not SETTINGS.placeholders()


@pytest.mark.parametrize("values, message", [
    ({"url": "github.com/x/y"}, "repository.url must be a https/http/file URL"),
    ({"branch": "''"}, "repository.branch must be a non-empty string"),
    ({"branch": "'a b'"}, "repository.branch is not a branch name"),
    ({"hub": "[1]"}, "hub_url must be a non-empty string"),
    ({"book": "ftp://x"}, "book_url must be a https/http URL"),
])
def test_bad_settings_are_named(tmp_path, values, message):
    with pytest.raises(UsageError, match=re.escape(message)):
        load(course_yml(tmp_path / "course.yml", **values))


def test_bad_folders_stop_publish(tmp_path):
    require_build()
    with pytest.raises(UsageError, match="no built book"):
        publish(tmp_path / "out", tmp_path / "nothing", SETTINGS)
    for inside in (REPO, REPO / "notebooks", REPO.parent):
        with pytest.raises(UsageError, match="inside this repository or contains it"):
            publish(inside, HTML, SETTINGS)
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "thesis.tex").write_text("not a course")
    with pytest.raises(UsageError, match="other than a published course"):
        publish(tmp_path / "work", HTML, SETTINGS)
    assert [p.name for p in tmp_path.iterdir()] == ["work"]   # nothing staged is left behind
