"""The student notebooks are exactly what `release` makes of the solutions, and give nothing away."""
import re
import subprocess

import nbformat
import pytest

from answers import answer_lines
from autograder.course import assignments
from autograder.admin.release import release
from pipeline import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*/*.ipynb"))
SOURCES = sorted((REPO / "solutions").glob("*/*.ipynb"))


def committed(path):
    """The content of `path` as git has it staged, or None outside a git checkout."""
    rel = path.relative_to(REPO).as_posix()
    run = subprocess.run(["git", "show", f":{rel}"], cwd=REPO, capture_output=True)
    return run.stdout if run.returncode == 0 else None


def test_every_assignment_is_released():
    assert assignments() and sorted(p.name for p in (REPO / "notebooks").iterdir() if p.is_dir()) == assignments()


@pytest.mark.parametrize("assignment", assignments())
def test_committed_release_is_a_fresh_release(tmp_path, assignment):
    release(assignment, dest=tmp_path)
    for fresh in sorted((tmp_path / assignment).glob("*.ipynb")):
        path = REPO / "notebooks" / assignment / fresh.name
        ours = committed(path) if (REPO / ".git").exists() else path.read_bytes()
        assert ours == fresh.read_bytes(), f"{path} differs from a fresh release: run `make release` and commit it"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_release_holds_no_solution_and_no_hidden_test(path):
    text = path.read_text()
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    leaked = [line for line in answer_lines() if line in text]
    assert not leaked, f"{path} contains answer lines: {leaked[:3]}"


@pytest.mark.parametrize("path", NOTEBOOKS + SOURCES, ids=lambda p: "/".join(p.parts[-3:-1]))
def test_notebooks_are_committed_without_outputs(path):
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{path}: a cell has outputs"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.parent.name)
def test_each_solution_cell_defines_one_graded_function(path):
    for cell in nbformat.read(path, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            assert re.findall(r"^def (\w+)", cell.source, flags=re.M) == [meta["grade_id"]], meta["grade_id"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_no_cell_may_raise_in_the_book(path):
    """A cell that calls a stub says so in one line (cnntools.unwritten, installed by the first cell), so the book
    executes every cell without allowing an error: a cell that still raises fails `make book`."""
    cells = nbformat.read(path, as_version=4).cells
    assert not [c for c in cells if "raises-exception" in c.metadata.get("tags", [])]
    assert "unwritten.install()" in cells[0].source and cells[0].metadata["tags"] == ["remove-cell"]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.parent.name)
def test_written_questions_carry_a_rubric_that_the_release_blanks(path):
    """1-3 written questions an assignment: a locked question cell that states the points, then the answer cell
    (graded by hand) whose source holds the model answer and the rubric; students get an empty answer cell."""
    cells = nbformat.read(path, as_version=4).cells
    released = {c.metadata["nbgrader"]["grade_id"]: c for c in nbformat.read(
        REPO / "notebooks" / path.parent.name / path.name, as_version=4).cells if "nbgrader" in c.metadata}
    written = [i for i, c in enumerate(cells) if c.cell_type == "markdown"
               and c.metadata.get("nbgrader", {}).get("grade") and c.metadata["nbgrader"].get("solution")]
    assert 1 <= len(written) <= 3, path
    for i in written:
        meta, question = cells[i].metadata["nbgrader"], cells[i - 1]
        points = meta["points"]
        assert question.cell_type == "markdown" and question.metadata["nbgrader"]["locked"], meta["grade_id"]
        assert f"({points} points)" in question.source and f"**Rubric ({points} points).**" in cells[i].source
        assert "**Model answer.**" in cells[i].source
        assert released[meta["grade_id"]].source == "YOUR ANSWER HERE"
