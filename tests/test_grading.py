"""The real pipeline (release, submit, grade) gives the solutions full marks, the untouched release nothing, and
takes points off the plausible mistakes in tests/mistakes/ in their own function's test.

Every mistake is checked in process (test_fair_grading.py, test_training_mistakes.py); here a few of each assignment
go through the whole pipeline, which must grade them as the in-process run does.
"""
import json
import os

import pytest
from markupsafe import escape

import inprocess
from pipeline import autograder, graded_assignments, mistakes, read_grades, submit, written_points

SAMPLE = 2  # mistakes of each NumPy assignment graded through the pipeline: the first ones in its list
# the training notebook's: a test that trains (the student's loop runs in the sandbox) and one that pretends a GPU
TRAINING = ["no-zero-grad", "mps-before-cuda"]
CASES = [(a, m) for a in graded_assignments()
         for m in ([m for m in mistakes(a) if m.name in TRAINING] if a == "training" else mistakes(a)[:SAMPLE])]


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
    got = scores(grading[0], "solution", assignment)  # the written answers wait for a person: 0 until then
    assert got and all(score == maximum - written_points(assignment) > 0 for score, maximum in got.values()), got


@pytest.mark.parametrize("assignment", graded_assignments())
def test_untouched_release_gets_nothing(grading, assignment):
    got = scores(grading[0], "release", assignment)
    assert got and all(score == 0 for score, _ in got.values()), got


def scores_by_test(grading, student, assignment):
    """{test: score} from the result file of one submission."""
    result = json.loads((grading[1] / ".results" / assignment / f"{student}.json").read_text())
    return {t["name"]: t["score"] for entry in result["notebooks"].values() for t in entry["tests"]
            if not t["written"]}


@pytest.mark.parametrize("assignment,mistake", CASES, ids=[f"{a}-{m.name}" for a, m in CASES])
def test_mistake_loses_points_in_its_own_test(grading, assignment, mistake):
    got = scores_by_test(grading, f"{assignment}.{mistake.name}", assignment)
    own = f"test_{mistake.function}"
    maxima = scores_by_test(grading, "solution", assignment)  # the solution gets full marks
    assert got[own] < maxima[own], f"{mistake.function} with mistake '{mistake.name}' kept {own}: {got}"
    plain = inprocess.grade(assignment, {mistake.function: mistake.source})  # the pipeline grades as this does
    assert got == pytest.approx({t: c.score() for t, c in plain.items()}, abs=1e-3)


def test_failing_array_cases_are_drawn_on_the_page(grading):
    """A flipped convolution: a picture of each failing array case (up to the cap), its alt text in words; a hidden
    case's shows the student's output and where it is wrong, never the expected values."""
    grades, out, _ = grading
    student = "forward.naive-kernel-flipped"
    assert (student, "forward", "forward") in grades
    result = json.loads((out / ".results" / "forward" / f"{student}.json").read_text())
    (test,) = [t for t in result["notebooks"]["forward"]["tests"] if t["name"] == "test_conv2d_forward_naive"]
    arrays = [c for c in test["cases"] if " is wrong in " in c["message"] or "returned an array of shape" in c["message"]]
    drawn = [c for c in test["cases"] if c["picture"]]
    assert arrays and len(drawn) == min(len(arrays), 12) and all(c["repro"] for c in arrays)
    for case in drawn:
        alt = case["picture"]["alt"]
        assert alt.startswith("Two maps" if case["label"].startswith("[hidden") else "Three maps"), alt
        assert "you returned" in alt
    page = (out / "feedback" / student / "forward" / "forward.html").read_text()
    assert page.count('<img src="data:image/png;base64,') == len(drawn)
    assert all(str(escape(c["picture"]["alt"])) in page for c in drawn)


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
