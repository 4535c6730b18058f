"""OUT as an nbgrader course folder, for nbgrader's formgrader and `nbgrader export`: its nbgrader_config.py, and
each graded notebook in OUT/autograded/<student>/<assignment>/ (the class gradebook is gradebook.py's).

Formgrader shows the graded notebook with a score and comment box under each answer; for a written answer the
TA also needs the rubric, which only the source notebook holds (the release replaces the whole answer cell with
"YOUR ANSWER HERE"). So the copy kept here has, under each written answer, a cell with the source's model answer
and rubric. Students never see these copies: their pages are feedback.py's. (nbgrader's own generate_feedback
would show them the rubric, as it shows the hidden tests, nbgrader#917: use this grader's pages.)
"""
import shutil
from pathlib import Path

import nbformat

from ..cells import grade_id, kind
from ..course import SOURCE, STUB
from ..files import replace_dir, write_atomic

# Where nbgrader's own commands write inside OUT: apart from this grader's feedback/ and grades.csv.
CONFIG = '''# Written by `python -m autograder grade`: this folder is an nbgrader course, for formgrader (`jupyter lab` here,
# then Nbgrader -> Formgrader) and `nbgrader export`. The source notebooks are the repository's solutions/.
import os

c = get_config()  # noqa: F821 (injected by nbgrader)
c.CourseDirectory.root = {root!r}
# nbgrader's exchange (its release/collect by shared folder) is not used: a folder of its own keeps formgrader quiet
c.Exchange.root = os.path.join(c.CourseDirectory.root, "nbgrader", "exchange")
os.makedirs(c.Exchange.root, exist_ok=True)
c.CourseDirectory.source_directory = {source!r}
c.CourseDirectory.db_url = {db!r}
c.CourseDirectory.release_directory = "nbgrader/release"
c.CourseDirectory.feedback_directory = "nbgrader/feedback"  # feedback/ holds this grader's pages
c.CsvExportPlugin.to = os.path.join(c.CourseDirectory.root, "nbgrader", "grades.csv")  # not our grades.csv
c.ClearSolutions.code_stub = {{"python": {stub!r}}}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
'''
RUBRIC_HEADING = "**For the grader** (from the source notebook; never shown to students):\n\n"


def write_config(out):
    out = Path(out).resolve()
    write_atomic(out / "nbgrader_config.py", CONFIG.format(
        root=str(out), source=str(SOURCE), db=f"sqlite:///{out / 'gradebook.db'}", stub=STUB))


def with_rubrics(nb, assignment, notebook):
    """The graded notebook with, under each written answer, the source's answer cell (model answer and rubric)."""
    source = nbformat.read(SOURCE / assignment / f"{notebook}.ipynb", as_version=4)
    rubrics = {grade_id(c): c.source for c in source.cells if kind(c) == "written"}
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        if kind(cell) == "written" and grade_id(cell) in rubrics:
            cells.append(nbformat.v4.new_markdown_cell(RUBRIC_HEADING + rubrics[grade_id(cell)]))
    nb.cells = cells
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    return nb


def keep_graded(root, out, student, assignment):
    """Put the job's graded notebooks (course folder `root`) where formgrader looks for them in OUT, whole or not
    at all; a submission with none (not handed in, not graded) leaves none from an earlier run either."""
    graded = Path(root) / "autograded" / student / assignment
    target = Path(out) / "autograded" / student / assignment
    if not graded.is_dir():
        forget_graded(out, student, assignment)
        return
    staged = target.with_name(f".{target.name}.new")
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir(parents=True)
    for path in sorted(graded.glob("*.ipynb")):
        nbformat.write(with_rubrics(nbformat.read(path, as_version=4), assignment, path.stem), staged / path.name)
    replace_dir(staged, target)


def forget_graded(out, student, assignment):
    """No graded notebook for this submission (it could not be graded): none from an earlier run either."""
    shutil.rmtree(Path(out) / "autograded" / student / assignment, ignore_errors=True)
