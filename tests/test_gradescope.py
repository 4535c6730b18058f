"""The Gradescope export: the zip holds what Gradescope needs, and its run_autograder, run in a copy of Gradescope's
layout (/autograder/source, /autograder/submission, /autograder/results), grades like `grade` does."""
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat
import pytest

import inprocess
from pipeline import REPO, autograder, mistakes, read_grades, submit
from processes import new_run, processes_of

ASSIGNMENT = "dimensions"


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    path = tmp_path_factory.mktemp("gradescope") / f"{ASSIGNMENT}.zip"
    run = autograder("gradescope", ASSIGNMENT, "--out", path, "--timeout", 60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"wrote {path}"
    return path


def test_zip_holds_what_gradescope_runs(package):
    names = set(zipfile.ZipFile(package).namelist())
    assert {"setup.sh", "run_autograder", "autograder/gradescope.py", "autograder/sandbox/sandbox_main.py",
            f"solutions/{ASSIGNMENT}/{ASSIGNMENT}.ipynb", "cnntools/checks.py", "requirements.txt"} <= names
    assert any(n.startswith(f"_grading/.templates/{ASSIGNMENT}/") and n.endswith(".db") for n in names)
    assert not any("/forward/" in n or n.startswith("notebooks/") or n.startswith("tests/") for n in names)
    info = zipfile.ZipFile(package).getinfo("run_autograder")
    assert info.external_attr >> 16 & 0o111


def gradescope_run(package, tmp_path, files, metadata=True):
    """Unpack the zip as Gradescope does, put `files` ({name: notebook}) in the submission, run run_autograder."""
    root = tmp_path / "autograder"
    zipfile.ZipFile(package).extractall(root / "source")
    (root / "submission").mkdir(parents=True)
    for name, nb in files.items():
        nbformat.write(nb, root / "submission" / name)
    if metadata:
        (root / "submission_metadata.json").write_text(json.dumps({"users": [{"email": "ada@example.edu",
                                                                             "id": 4711, "name": "Ada"}]}))
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
    proc = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True,
                          text=True, timeout=900, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return json.loads((root / "results" / "results.json").read_text())


def notebook(tmp_path, mistake=None):
    submit(tmp_path / "subs", "s", ASSIGNMENT, mistake)
    return nbformat.read(tmp_path / "subs" / "s" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)


def test_solution_gets_full_marks(package, tmp_path):
    results = gradescope_run(package, tmp_path, {f"{ASSIGNMENT}.ipynb": notebook(tmp_path)})
    assert results["score"] == 14
    assert sum(t["max_score"] for t in results["tests"]) == 14 and len(results["tests"]) == 6
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in results["tests"])
    assert results["tests"][0]["name"] == f"{ASSIGNMENT}: test_conv_output_size"
    assert isinstance(results["execution_time"], int)


def test_mistake_loses_points_with_a_message(package, tmp_path):
    mistake = next(m for m in mistakes(ASSIGNMENT) if m.name == "bias-forgotten")
    results = gradescope_run(package, tmp_path, {"my work (1).ipynb": notebook(tmp_path, mistake)},
                             metadata=False)  # another file name, no metadata: still graded
    plain = inprocess.grade(ASSIGNMENT, {mistake.function: mistake.source})["test_conv_param_count"]
    assert 0 < plain.score() < 2 and results["score"] == pytest.approx(12 + plain.score(), abs=1e-3)
    failed = [t for t in results["tests"] if t["status"] == "failed"]
    assert [t["name"] for t in failed] == [f"{ASSIGNMENT}: test_conv_param_count"]
    assert failed[0]["score"] == pytest.approx(plain.score(), abs=1e-3)
    output = failed[0]["output"]  # every failing case, visible and hidden, with its points
    assert "the K biases are missing" in output and "[hidden test, value, -" in output
    assert output.count("\n- [") == len(plain.failures())


def test_no_notebook_is_explained(package, tmp_path):
    results = gradescope_run(package, tmp_path, {})
    assert results["score"] == 0 and results["tests"] == []
    assert f"upload {ASSIGNMENT}.ipynb" in results["output"]


def python_runs_as_nobody():
    """Whether uid 65534 can run this Python and import the course's helpers (not where they live under a private
    /root, as pyenv's may)."""
    if os.geteuid() != 0:
        return False
    def become_nobody():
        os.setgid(65534)
        os.setuid(65534)
    try:
        probe = subprocess.run([sys.executable, "-c", "import random, inspect, numpy, cnntools.checks"],
                               preexec_fn=become_nobody, capture_output=True, cwd="/",
                               env=dict(os.environ, PYTHONPATH=str(REPO)))
    except OSError:  # it cannot even be started
        return False
    return probe.returncode == 0


@pytest.mark.skipif(not python_runs_as_nobody(), reason="the setuid sandbox needs root and a Python uid 65534 can run")
def test_the_setuid_sandbox_grades_as_bubblewrap_does(tmp_path):
    """Where bubblewrap cannot make namespaces (Gradescope's containers), students' code runs as uid 65534 from a
    zygote of its own per process: a solution and a mistake, two jobs at a time, grade as they do under bubblewrap,
    and nothing of theirs is left running."""
    mistake = next(m for m in mistakes(ASSIGNMENT) if m.name == "bias-forgotten")
    submit(tmp_path / "subs", "solution", ASSIGNMENT)
    submit(tmp_path / "subs", "mistake", ASSIGNMENT, mistake)
    env, label = new_run()
    env["AUTOGRADER_SANDBOX"] = "setuid"
    run = autograder("grade", tmp_path / "subs", "--out", tmp_path / "out", "--jobs", 2, env=env)
    assert run.returncode == 0, run.stderr
    grades = read_grades(tmp_path / "out" / "grades.csv")
    plain = inprocess.grade(ASSIGNMENT, {mistake.function: mistake.source})["test_conv_param_count"]
    assert grades[("solution", ASSIGNMENT, ASSIGNMENT)][0] == 14
    assert grades[("mistake", ASSIGNMENT, ASSIGNMENT)][0] == pytest.approx(12 + plain.score(), abs=1e-3)
    assert not processes_of(label) and not list(Path(tempfile.gettempdir()).glob("autograder-sandbox-*"))
