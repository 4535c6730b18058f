"""Operator mistakes get one line naming the problem, exit status 2, and no grades.csv."""
import os

import pytest

from pipeline import autograder, read_grades, submit, written_points


@pytest.fixture
def subs(tmp_path):
    folder = tmp_path / "subs"
    submit(folder, "alice", "dimensions", release=True)
    return folder


def fails_cleanly(run, out, *words):
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("autograder: error:"), run.stderr
    assert all(w in lines[0] for w in words), lines[0]
    assert not (out / "grades.csv").exists()


def test_missing_submissions_folder(tmp_path):
    out = tmp_path / "out"
    fails_cleanly(autograder("grade", tmp_path / "nowhere", "--out", out), out, "nowhere")


def test_unknown_assignment_option(subs, tmp_path):
    out = tmp_path / "out"
    fails_cleanly(autograder("grade", subs, "--out", out, "--assignment", "nope"), out, "nope")


def test_no_submission_at_all(tmp_path):
    (tmp_path / "subs" / "alice" / "notes").mkdir(parents=True)
    out = tmp_path / "out"
    fails_cleanly(autograder("grade", tmp_path / "subs", "--out", out), out, "no submissions")


def test_a_students_broken_folders_cost_that_student_only(subs, tmp_path):
    """Not an operator's mistake: a notebook that is not JSON, an assignment folder without a notebook, a folder
    that is no assignment. Each costs its own student the points, with the reason; the run grades the rest."""
    (subs / "alice" / "nope").mkdir()
    (subs / "alice" / "nope" / "x.ipynb").write_text("{}")
    (subs / "bob" / "dimensions").mkdir(parents=True)
    (subs / "bob" / "dimensions" / "dimensions.ipynb").write_text('{"cells": [')
    submit(subs, "bob", "forward")
    (subs / "carol" / "dimensions").mkdir(parents=True)
    (subs / "carol" / "dimensions" / "notes.pdf").write_bytes(b"%PDF-1.4")
    out = tmp_path / "out"
    run = autograder("grade", subs, "--out", out, "--assignment", "dimensions")
    assert run.returncode == 0, run.stderr
    grades = read_grades(out / "grades.csv")
    full = 14 + written_points("dimensions")
    assert grades == {("alice", "dimensions", "dimensions"): (0, full), ("bob", "dimensions", "dimensions"): (0, full),
                      ("carol", "dimensions", "dimensions"): (0, full)}
    assert "passed over: alice/nope: not an assignment" in run.stderr
    assert "bob/dimensions: dimensions.ipynb is not a valid notebook" in run.stderr
    assert "carol/dimensions: no notebook" in run.stderr
    page = (out / "feedback" / "bob" / "dimensions" / "dimensions.html").read_text()
    assert "not a valid notebook" in page
    assert "no notebook in dimensions/" in (out / "feedback" / "carol" / "dimensions" / "dimensions.html").read_text()
    run = autograder("grade", subs, "--out", out)  # bob's forward, unharmed by his broken dimensions
    assert read_grades(out / "grades.csv")[("bob", "forward", "forward")] == (11, 11 + written_points("forward")), run.stderr


@pytest.mark.parametrize("option", [["--jobs", "0"], ["--timeout", "-1"], ["--jobs", "two"]])
def test_bad_numbers(subs, tmp_path, option):
    out = tmp_path / "out"
    fails_cleanly(autograder("grade", subs, "--out", out, *option), out, option[0])


@pytest.mark.parametrize("var,value", [("AUTOGRADER_MEMORY_MB", "lots"), ("AUTOGRADER_TMP_MB", "0")])
def test_bad_limits_in_the_environment(subs, tmp_path, var, value):
    out = tmp_path / "out"
    env = {**os.environ, var: value}
    fails_cleanly(autograder("grade", subs, "--out", out, env=env), out, var)


def test_unknown_release(tmp_path):
    run = autograder("release", "nope")
    assert run.returncode == 2 and run.stderr.strip() == (
        run.stderr.strip().splitlines()[0]) and "nope" in run.stderr


def test_no_command(tmp_path):
    run = autograder()
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1
