"""The real pipeline (release, submit, grade) gives the solutions full marks, the untouched release nothing, and
takes points off every plausible mistake in tests/mistakes/."""
import os

import pytest

from pipeline import autograder, graded_assignments, mistakes, read_grades, submit

CASES = [(a, m) for a in graded_assignments() for m in mistakes(a)]


@pytest.fixture(scope="session")
def grading(tmp_path_factory):
    """One grading run over every assignment's solution, release and mistakes: (grades, out folder, command)."""
    subs, out = tmp_path_factory.mktemp("submissions"), tmp_path_factory.mktemp("graded")
    for assignment in graded_assignments():
        submit(subs, "solution", assignment)
        submit(subs, "release", assignment, release=True)
    for assignment, mistake in CASES:
        submit(subs, f"{assignment}.{mistake.name}", assignment, mistake)
    command = ["grade", subs, "--out", out, "--jobs", os.cpu_count() or 2]
    run = autograder(*command)
    assert run.returncode == 0, run.stderr
    return read_grades(out / "grades.csv"), out, command


def scores(grades, student, assignment):
    return {nb: s for (who, a, nb), s in grades.items() if who == student and a == assignment}


@pytest.mark.parametrize("assignment", graded_assignments())
def test_solution_gets_full_marks(grading, assignment):
    got = scores(grading[0], "solution", assignment)
    assert got and all(score == maximum > 0 for score, maximum in got.values()), got


@pytest.mark.parametrize("assignment", graded_assignments())
def test_untouched_release_gets_nothing(grading, assignment):
    got = scores(grading[0], "release", assignment)
    assert got and all(score == 0 for score, _ in got.values()), got


@pytest.mark.parametrize("assignment,mistake", CASES, ids=[f"{a}-{m.name}" for a, m in CASES])
def test_mistake_loses_points(grading, assignment, mistake):
    got = scores(grading[0], f"{assignment}.{mistake.name}", assignment)
    assert got and any(score < maximum for score, maximum in got.values()), (
        f"{mistake.function} with mistake '{mistake.name}' kept full marks: {got}")


def test_every_row_has_a_feedback_page(grading):
    grades, out, _ = grading
    for student, assignment, notebook in grades:
        page = out / "feedback" / student / assignment / f"{notebook}.html"
        assert page.stat().st_size > 0, page


def test_rerun_grades_only_what_changed(grading):
    grades, out, command = grading
    run = autograder(*command)
    assert run.returncode == 0, run.stderr
    assert f"grading 0 of {len({(s, a) for s, a, _ in grades})}" in run.stderr
    assert read_grades(out / "grades.csv") == grades
