"""A public tree published for tests: real-looking settings (course.yml ships placeholders) and the built book."""
import json
from pathlib import Path

from autograder.admin.settings import Settings

REPO = Path(__file__).resolve().parent.parent
HTML = REPO / "_build" / "html"
SETTINGS = Settings(name="Convolutional Neural Networks", term="Spring 2027",
                    repository="https://github.com/cnn-teachers/cnn-course", branch="main",
                    book_url="https://cnn-teachers.github.io/cnn-course/", hub_url="https://hub.university.edu")


def tree(root):
    """{relative path: bytes} of every file under root but a git clone's .git."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(Path(root).rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def strings(value):
    """Every string inside parsed JSON (a notebook's sources and outputs), joined by newlines."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)   # nbformat's multiline strings: one line per item
    if isinstance(value, dict):
        value = list(value.values())
    return "\n".join(strings(v) for v in value) if isinstance(value, list) else ""


def notebook_text(data):
    return strings(json.loads(data))
