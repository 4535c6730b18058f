"""Operator mistakes get one line naming the problem, exit status 2, and no grades.csv."""
import pytest

from pipeline import autograder, submit


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


def test_unknown_assignment_folder(subs, tmp_path):
    (subs / "alice" / "nope").mkdir()
    (subs / "alice" / "nope" / "x.ipynb").write_text("{}")
    out = tmp_path / "out"
    fails_cleanly(autograder("grade", subs, "--out", out), out, "nope")


def test_notebook_that_is_not_json(subs, tmp_path):
    (subs / "bob" / "dimensions").mkdir(parents=True)
    (subs / "bob" / "dimensions" / "dimensions.ipynb").write_text('{"cells": [')
    out = tmp_path / "out"
    fails_cleanly(autograder("grade", subs, "--out", out), out, "bob", "dimensions.ipynb", "not a valid notebook")


def test_student_folder_without_notebook(subs, tmp_path):
    (subs / "carol").mkdir()
    out = tmp_path / "out"
    fails_cleanly(autograder("grade", subs, "--out", out), out, "carol", "no notebook")


@pytest.mark.parametrize("option", [["--jobs", "0"], ["--timeout", "-1"], ["--jobs", "two"]])
def test_bad_numbers(subs, tmp_path, option):
    out = tmp_path / "out"
    fails_cleanly(autograder("grade", subs, "--out", out, *option), out, option[0])


def test_unknown_release(tmp_path):
    run = autograder("release", "nope")
    assert run.returncode == 2 and run.stderr.strip() == (
        run.stderr.strip().splitlines()[0]) and "nope" in run.stderr


def test_no_command(tmp_path):
    run = autograder()
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1
