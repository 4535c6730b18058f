"""`publish OUT`: the public student repository, made from this private one (which holds the answers).

What goes out: the built book (site/, deployed by GitHub Pages), the student notebooks released with the public
settings, cnntools as students install it (with its checkpoint), the students' requirements, a README and the Pages
workflow. Nothing else is copied, so solutions/, tests/, the gradebook and grading output cannot leak; the
published tree is staged beside OUT and put in place by renames (a clone's .git in OUT is kept).
"""
import re
import shutil
import sys
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from ..course import ROOT, assignments
from ..errors import UsageError
from ..files import replace_dir, write_atomic
from .release import release
from .settings import load

BOOK = ROOT / "_build" / "html"
PUBLIC = ROOT / "_build" / "public"
TEMPLATES = Path(__file__).with_name("public")
WORKFLOW = ".github/workflows/pages.yml"
# What the notebooks and cnntools import, pinned as in requirements.txt; the rest there builds, grades or tests.
STUDENT_PACKAGES = ["torch", "numpy", "matplotlib", "scikit-learn", "threadpoolctl", "tqdm", "ipykernel"]


def check_out(out):
    """OUT may be new, empty, or an earlier publish (a git clone of the public repository, say); nothing else."""
    if out == ROOT or out in ROOT.parents or (ROOT in out.parents and ROOT / "_build" not in [out, *out.parents]):
        raise UsageError(f"{out} is inside this repository or contains it: publish elsewhere, or under _build/")
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file, not a folder")
    if out.exists() and not (out / WORKFLOW).is_file() and any(p.name != ".git" for p in out.iterdir()):
        raise UsageError(f"{out} holds files of something other than a published course: choose another folder")


def requirements():
    """The students' pins, taken from requirements.txt, plus the JupyterLab that nbgrader installed here."""
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line)
        if match:
            pins[match[1].lower()] = match[2]
    try:
        pins["jupyterlab"] = version("jupyterlab")
    except PackageNotFoundError:
        raise UsageError("jupyterlab is not installed: run `make .venv/.installed`") from None
    return "".join(f"{name}=={pins[name]}\n" for name in [*STUDENT_PACKAGES, "jupyterlab"])


def readme(settings, names):
    rows = []
    for name in names:
        path = f"notebooks/{name}/{name}.ipynb"
        colab = settings.colab_link(path)
        rows.append(f"| `{name}` | [read]({settings.book_url.rstrip('/')}/notebooks/{name}/{name}.html) | "
                    f"{f'[open]({colab})' if colab else '-'} | [open]({settings.hub_link(path)}) |")
    text = (TEMPLATES / "README.md").read_text()
    return text.format(title=settings.title, book_url=settings.book_url, repository=settings.repository,
                       repo_name=settings.repo_name, hub_url=settings.hub_url, assignments="\n".join(rows))


def publish(out=PUBLIC, book=BOOK, settings=None):
    """Write the public tree to `out`; returns its path. Publishing the same sources twice gives the same files."""
    settings = settings or load()
    settings.require_real()
    out, book = Path(out).resolve(), Path(book)
    if not (book / "index.html").is_file():
        raise UsageError(f"{book} holds no built book: run `make book` first")
    check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        shutil.copytree(book, stage / "site", ignore=shutil.ignore_patterns(".buildinfo", ".doctrees"))
        names = assignments()
        for name in names:
            release(name, dest=stage / "notebooks", settings=settings)
        shutil.copytree(ROOT / "cnntools", stage / "cnntools", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        # The package's metadata without this repository's test settings.
        project = (ROOT / "pyproject.toml").read_text().split("\n[tool.pytest")[0]
        write_atomic(stage / "pyproject.toml", project.rstrip() + "\n")
        write_atomic(stage / "requirements.txt", requirements())
        write_atomic(stage / "README.md", readme(settings, names))
        write_atomic(stage / WORKFLOW, (TEMPLATES / "pages.yml").read_text().format(branch=settings.branch))
        git = out / ".git"
        if git.exists():
            git.replace(stage / ".git")
        try:
            replace_dir(stage, out)
        except OSError:
            if (stage / ".git").exists():
                (stage / ".git").replace(git)
            raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return out


def publish_command(args):
    """The `settings` and `publish` subcommands of `python -m autograder`."""
    settings = load()
    if args.command == "settings":
        if args.strict:
            settings.require_real()
        elif settings.placeholders():
            hidden = settings.hidden_buttons()
            left_out = f", so the book has no {'/'.join(hidden)} button" if hidden else ""
            print(f"autograder: warning: course.yml: {', '.join(settings.placeholders())} still placeholders"
                  f"{left_out}: set them in course.yml (fine for a local book; `make publish` refuses them)",
                  file=sys.stderr)
        return
    settings.require_real()
    book = Path(args.book or BOOK)
    page = book / "notebooks" / assignments()[0] / f"{assignments()[0]}.html"
    if page.is_file() and f'href="{settings.repository}"' not in page.read_text(encoding="utf-8"):
        raise UsageError(f"{book} was built with other settings than course.yml's: run `make book` first")
    out = publish(args.out or PUBLIC, book, settings)
    files = [p for p in out.rglob("*") if p.is_file() and ".git" not in p.relative_to(out).parts]
    print(f"published {len(files)} files ({sum(p.stat().st_size for p in files) / 2**20:.1f} MiB) to {out}")
