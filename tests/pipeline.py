"""The instructor's side of a test: make submissions from the solution notebooks and grade them for real."""
import copy
import csv
import importlib
import subprocess
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent


def autograder(*args, env=None):
    """Run `python -m autograder ARGS` from the repository root; return the finished process."""
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=3600)


def graded_assignments():
    """Assignments that have a list of mistakes in tests/mistakes/."""
    return sorted(p.stem for p in (TESTS / "mistakes").glob("*.py") if p.stem != "__init__")


def mistakes(assignment):
    return importlib.import_module(f"mistakes.{assignment}").MISTAKES


def solution_cell(nb, function):
    """The one solution cell that defines `function`."""
    cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")
             and c.metadata["nbgrader"].get("grade_id") == function]
    assert len(cells) == 1, f"{len(cells)} solution cells have grade_id {function!r}"
    return cells[0]


def written_points(assignment):
    """The points of an assignment's written answers: graded by hand, so a grading run leaves them at 0."""
    return sum(c.metadata["nbgrader"]["points"] for path in (REPO / "solutions" / assignment).glob("*.ipynb")
               for c in nbformat.read(path, as_version=4).cells
               if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade"))


def submit(folder, student, assignment, mistake=None, release=False):
    """Write SUBMISSIONS/<student>/<assignment>/: the solutions, the untouched release, or one mistake."""
    source = REPO / ("notebooks" if release else "solutions") / assignment
    target = Path(folder) / student / assignment
    target.mkdir(parents=True)
    for path in sorted(source.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if mistake and any(c.metadata.get("nbgrader", {}).get("grade_id") == mistake.function for c in nb.cells):
            nb = copy.deepcopy(nb)
            solution_cell(nb, mistake.function).source = mistake.source.strip("\n")
        nbformat.write(nb, target / path.name)


def submit_class(folder, assignment, solutions=("solution",), first_mistakes=3):
    """A class in SUBMISSIONS `folder`: the untouched release, the solutions under each name of `solutions`, and the
    assignment's first `first_mistakes` mistakes (as mistake-<name>)."""
    submit(folder, "release", assignment, release=True)
    for student in solutions:
        submit(folder, student, assignment)
    for mistake in mistakes(assignment)[:first_mistakes]:
        submit(folder, f"mistake-{mistake.name}", assignment, mistake)


def graded_csv(subs, out, *flags):
    """The grades.csv of `grade SUBS --out OUT FLAGS`, which must succeed."""
    run = autograder("grade", subs, "--out", out, *flags)
    assert run.returncode == 0, run.stderr
    return (Path(out) / "grades.csv").read_text()


def read_grades(path):
    """{(student, assignment, notebook): (score, max_score)} from a grades.csv."""
    with open(path, newline="") as f:
        return {(r["student"], r["assignment"], r["notebook"]): (float(r["score"]), float(r["max_score"]))
                for r in csv.DictReader(f)}
