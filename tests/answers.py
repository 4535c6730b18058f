"""What must never reach students or readers: the lines of the solution regions, hidden tests and written answers
(model answers and rubrics) in solutions/."""
import re
from html import unescape
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
MARKERS = {"### BEGIN SOLUTION": True, "### BEGIN HIDDEN TESTS": True,
           "### END SOLUTION": False, "### END HIDDEN TESTS": False}
# Lines too common to prove a leak: comments, docstring quotes, imports, control-flow keywords, closing brackets.
TRIVIAL = re.compile(r"^(#|\"\"\"|'''|import |from \S+ import |return\b|pass$|else:|try:|except\b|finally:|"
                     r"raise NotImplementedError|[\])}]+[,:]?$)")


def normalize(text):
    """Whitespace collapsed and HTML entities decoded, so that a line matches however a page lays it out."""
    return re.sub(r"\s+", " ", unescape(text)).strip()


def answer_lines(min_length=24):
    """{line: notebook} for each distinctive line found only inside solution regions, hidden tests and written
    answers.

    A line that the notebooks also show outside the markers (students see it) is public, not an answer.
    """
    inside, public = {}, []
    for path in sorted((REPO / "solutions").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("solution"):
                for raw in cell.source.splitlines():  # a written answer: the model answer and the rubric
                    inside.setdefault(normalize(raw), path.relative_to(REPO))
            if cell.cell_type != "code":
                continue
            secret = False
            for raw in cell.source.splitlines():
                if raw.strip() in MARKERS:
                    secret = MARKERS[raw.strip()]
                elif secret:
                    inside.setdefault(normalize(raw), path.relative_to(REPO))
                else:
                    public.append(normalize(raw))
    public = " ".join(public)  # an answer line may also be part of a public statement split differently
    return {line: where for line, where in inside.items()
            if len(line) >= min_length and not TRIVIAL.match(line) and line not in public}
