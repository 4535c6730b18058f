"""Parallel grading gives the grades of a sequential run; a run killed at any moment (SIGINT or SIGKILL) keeps every
grade it finished, leaves no half-written file, leaves nothing running, and the next run grades only the rest."""
import json
import signal
import subprocess
import sys
import time

import pytest

from pipeline import REPO, autograder, graded_csv, submit, submit_class, written_points
from processes import new_run, processes_of

ASSIGNMENT = "dimensions"


@pytest.fixture(scope="module")
def subs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("resume-subs")
    submit_class(folder, ASSIGNMENT)
    return folder


@pytest.fixture(scope="module")
def sequential(subs, tmp_path_factory):
    return graded_csv(subs, tmp_path_factory.mktemp("sequential"), "--jobs", 1)


def differing(out, sequential):
    """What the grader said of each submission graded otherwise than in the sequential run."""
    want = {line.split(",")[0]: line for line in sequential.splitlines()[1:]}
    got = {line.split(",")[0]: line for line in (out / "grades.csv").read_text().splitlines()[1:]}
    said = {}
    for student in sorted(s for s in want if want[s] != got.get(s)):
        result = json.loads((out / ".results" / ASSIGNMENT / f"{student}.json").read_text())
        entry = result["notebooks"][ASSIGNMENT]
        said[student] = {"reason": entry["reason"], "errors": entry["errors"], "log": result["log"][-3000:],
                         "failed": [t for t in entry["tests"] if t["score"] != t["max_score"] and not t["written"]]}
    return json.dumps(said, indent=1)


def count(subs):
    return len(list(subs.iterdir()))


def test_sequential_grades_are_plausible(subs, sequential):
    rows = sequential.splitlines()
    assert rows[0] == "student,assignment,notebook,score,max_score" and len(rows) == count(subs) + 1
    full = 14 + written_points(ASSIGNMENT)  # the written answers wait for a person
    assert f"solution,{ASSIGNMENT},{ASSIGNMENT},14,{full}" in rows and f"release,{ASSIGNMENT},{ASSIGNMENT},0,{full}" in rows


def test_parallel_run_gives_the_sequential_grades_and_regrades_only_changes(subs, sequential, tmp_path):
    copy, out = tmp_path / "subs", tmp_path / "out"
    subprocess.run(["cp", "-r", str(subs), str(copy)], check=True)
    run = autograder("grade", copy, "--out", out, "--jobs", 2)
    assert run.returncode == 0, run.stderr
    assert (out / "grades.csv").read_text() == sequential, differing(out, sequential)
    assert "ETA" in run.stderr
    submit(tmp_path / "fresh", "release", ASSIGNMENT)  # the solution, handed in again as the release student's
    notebook = f"release/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
    (copy / notebook).write_bytes((tmp_path / "fresh" / notebook).read_bytes())
    run = autograder("grade", copy, "--out", out, "--jobs", 2)
    assert run.returncode == 0, run.stderr
    assert f"grading 1 of {count(subs)} submissions" in run.stderr
    assert f"release,{ASSIGNMENT},{ASSIGNMENT},14,{14 + written_points(ASSIGNMENT)}" in (
        out / "grades.csv").read_text().splitlines()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_killed_run_keeps_finished_grades_and_resumes(subs, sequential, tmp_path, sig):
    out = tmp_path / "out"
    results = out / ".results" / ASSIGNMENT
    env, label = new_run()
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out),
                             "--jobs", "2"], cwd=REPO, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not list(results.glob("*.json")):
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "no submission was graded in 300 s"
        time.sleep(0.05)
    proc.send_signal(sig)
    stderr = proc.communicate(timeout=60)[1]
    if sig == signal.SIGINT:
        assert proc.returncode == 130, stderr
        assert stderr.strip().splitlines()[-1].startswith("autograder: interrupted"), stderr
    else:
        assert proc.returncode == -signal.SIGKILL
    finished = sorted(p.stem for p in results.glob("*.json"))
    assert 1 <= len(finished) < count(subs), finished  # stopped half-way
    assert not (out / "grades.csv").exists()  # no CSV of a run that did not finish, not even a partial one
    for student in finished:  # every file that is there is whole
        result = json.loads((results / f"{student}.json").read_text())
        assert result["notebooks"][ASSIGNMENT]["max_score"] == 14 + written_points(ASSIGNMENT)
        page = out / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"
        assert page.read_text().rstrip().endswith("</html>"), page
    deadline = time.monotonic() + 30
    while processes_of(label):  # the run's forkserver, workers and sandboxes: gone with it
        assert time.monotonic() < deadline, processes_of(label)
        time.sleep(0.2)

    rerun = autograder("grade", subs, "--out", out, "--jobs", 2)
    assert rerun.returncode == 0, rerun.stderr
    assert f"grading {count(subs) - len(finished)} of {count(subs)} submissions" in rerun.stderr
    assert (out / "grades.csv").read_text() == sequential, differing(out, sequential)


@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")  # nbgrader's add_submission, as in every job
def test_a_job_whose_run_died_saves_nothing(subs, tmp_path):
    """What a job sees once its run was killed (the student's process dying with the run's zygotes) is no grade: the
    job stops with a GraderFault before it saves a result (in its course folder, where the run would take it from),
    and the next run grades that submission."""
    from autograder.errors import GraderFault
    from autograder.limits import Limits
    from autograder.execution.nbgrader_app import template_gradebook
    from autograder.results import JobResult
    from autograder.execution.worker import main
    from cnntools import checks

    gone = subprocess.Popen(["true"])
    gone.wait()
    out = tmp_path / "out"
    spec = {"student": "solution", "assignment": ASSIGNMENT, "limits": Limits.from_env(timeout=60).to_json(),
            "out": str(out), "work": str(tmp_path / "work"), "log": str(tmp_path / "job.log"),
            "notebooks": {ASSIGNMENT: str(subs / "solution" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")},
            "problems": {}, "renamed": {}, "key": "k", "submission_hash": "h",
            "template": str(template_gradebook(out, ASSIGNMENT)), "run_pid": gone.pid}
    in_place = checks.run_in_student_process
    with pytest.raises(GraderFault, match="grading run was stopped"):
        main(spec)
    assert checks.run_in_student_process is in_place  # the job's closed sandbox is not left to the next caller
    assert JobResult.load(tmp_path / "work", "solution", ASSIGNMENT) is None
    assert not (out / ".results").exists() and not (out / "feedback").exists()
