"""The instructor's hand grading: a grading run records every submission in OUT/gradebook.db, nbgrader's formgrader
(served by jupyter on localhost) shows them with the written answers to grade and the rubric beside them, a grade
and a comment given through formgrader reach the pages and grades.csv with `feedback`, survive a regrade, and
`nbgrader export` totals them."""
import csv
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from pipeline import REPO, autograder, read_grades, submit

ASSIGNMENT = "dimensions"
TOKEN = "formgrader-test"
BIN = Path(sys.executable).parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Formgrader:
    """`jupyter server` in a grading run's folder, as an instructor starts it (README), on localhost."""

    def __init__(self, out):
        self.port = free_port()
        env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
        self.proc = subprocess.Popen(
            [BIN / "jupyter", "server", "--no-browser", "--allow-root", f"--port={self.port}",
             "--ip=127.0.0.1", f"--ServerApp.token={TOKEN}", f"--ServerApp.root_dir={out}"],
            cwd=out, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.api("status")["status"]:
                    return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.close()
                    raise AssertionError("formgrader did not start: " + self.proc.stderr.read()[-3000:])
                time.sleep(0.5)

    def request(self, path, data=None, method="GET"):
        body = json.dumps(data).encode() if data is not None else None
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/formgrader/{path}", body, method=method,
                                     headers={"Authorization": f"token {TOKEN}"})
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.read().decode()

    def api(self, path, data=None, method="GET"):
        return json.loads(self.request("api/" + path, data, method))

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """alice hands in the solutions (model answers to the written questions), bob the untouched release."""
    root = tmp_path_factory.mktemp("term")
    subs, out = root / "subs", root / "out"
    submit(subs, "alice", ASSIGNMENT)
    submit(subs, "bob", ASSIGNMENT, release=True)
    run = autograder("grade", subs, "--out", out, "--jobs", "2")
    assert run.returncode == 0, run.stderr
    assert "2 written answers await grading by hand" in run.stderr  # alice's; bob left the stubs
    return subs, out


@pytest.fixture(scope="module")
def formgrader(graded):
    server = Formgrader(graded[1])
    yield server
    server.close()


def written_grades(server, student):
    notebooks = server.api(f"submitted_notebooks/{ASSIGNMENT}/{ASSIGNMENT}")
    (submission,) = [nb for nb in notebooks if nb["student"] == student]
    grades = server.api(f"grades?submission_id={submission['id']}")
    comments = server.api(f"comments?submission_id={submission['id']}")
    return submission, {g["name"]: g for g in grades}, {c["name"]: c for c in comments}


def test_formgrader_sees_every_submission_and_what_awaits_a_person(formgrader):
    subs = {s["student"]: s for s in formgrader.api(f"submissions/{ASSIGNMENT}")}
    assert set(subs) == {"alice", "bob"}
    alice, bob = subs["alice"], subs["bob"]
    assert alice["autograded"] and alice["needs_manual_grade"]
    assert alice["code_score"] == alice["max_code_score"] == 14 and alice["max_written_score"] == 5
    assert not bob["needs_manual_grade"] and bob["score"] == 0  # nbgrader scores an untouched answer 0
    _, grades, _ = written_grades(formgrader, "alice")
    assert grades["written_fc_images"]["needs_manual_grade"] and grades["written_fc_images"]["auto_score"] is None
    assert grades["test_conv_output_size"]["auto_score"] == 4


def test_the_ta_sees_the_rubric_beside_the_answer_in_formgrader(formgrader):
    submission, _, _ = written_grades(formgrader, "alice")
    html = formgrader.request(f"submissions/{submission['id']}/")
    assert "For the grader" in html and "Rubric (2 points)" in html


def test_hand_grades_reach_the_pages_survive_a_regrade_and_export(graded, formgrader):
    subs, out = graded
    _, grades, comments = written_grades(formgrader, "alice")
    formgrader.api(f"grade/{grades['written_fc_images']['id']}", {"manual_score": 1.5}, "PUT")
    formgrader.api(f"grade/{grades['written_stacked_3x3']['id']}", {"manual_score": 3}, "PUT")
    formgrader.api(f"comment/{comments['written_fc_images']['id']}",
                   {"manual_comment": "Count right; name weight <sharing> too."}, "PUT")
    formgrader.api(f"comment/{comments['conv_output_size']['id']}", {"manual_comment": "Tidy code."}, "PUT")

    run = autograder("feedback", subs, "--out", out)
    assert run.returncode == 0, run.stderr
    assert "await grading" not in run.stderr
    assert read_grades(out / "grades.csv")[("alice", ASSIGNMENT, ASSIGNMENT)] == (18.5, 19)
    page = (out / "feedback" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "written answer, graded by hand" in page and "name weight &lt;sharing&gt; too." in page
    assert "Tidy code." in page and "Rubric" not in page and "Model answer" not in page

    # alice hands in again (one cell of her own added): graded again, the hand grades kept
    path = subs / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("print('one more thing')"))
    nbformat.write(nb, path)
    run = autograder("grade", subs, "--out", out)
    assert run.returncode == 0, run.stderr
    assert "grading 1 of 2 submissions" in run.stderr
    assert read_grades(out / "grades.csv")[("alice", ASSIGNMENT, ASSIGNMENT)] == (18.5, 19)
    _, grades, comments = written_grades(formgrader, "alice")
    assert grades["written_fc_images"]["manual_score"] == 1.5
    assert comments["conv_output_size"]["manual_comment"] == "Tidy code."

    # nbgrader's own export totals the automatic and the hand grades, beside (not over) this grader's grades.csv
    run = subprocess.run([BIN / "nbgrader", "export"], cwd=out, capture_output=True, text=True,
                         env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"})
    assert run.returncode == 0, run.stderr
    rows = {r["student_id"]: r for r in csv.DictReader(open(out / "nbgrader" / "grades.csv"))}
    assert float(rows["alice"]["score"]) == 18.5 and float(rows["alice"]["max_score"]) == 19
    assert float(rows["bob"]["score"]) == 0
    assert (out / "grades.csv").read_text().startswith("student,assignment,notebook,score,max_score")

    # alice changes a written answer that was graded: flagged for grading again, pending (0) until a person does
    nb = nbformat.read(path, as_version=4)
    (answer,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "written_fc_images"]
    answer.source += "\n\nAlso: every pixel of every channel gets its own weight."
    nbformat.write(nb, path)
    run = autograder("grade", subs, "--out", out)
    assert run.returncode == 0, run.stderr
    assert "1 written answers await grading by hand" in run.stderr and "1 of them changed since" in run.stderr
    assert read_grades(out / "grades.csv")[("alice", ASSIGNMENT, ASSIGNMENT)] == (17, 19)
    _, grades, _ = written_grades(formgrader, "alice")
    assert grades["written_fc_images"]["needs_manual_grade"] and not grades["written_stacked_3x3"]["needs_manual_grade"]
    page = (out / "feedback" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "You changed this answer after it was graded (1.5 points)" in page
    run = autograder("feedback", subs, "--out", out)  # still pending: nobody graded it again
    assert "1 of them changed since" in run.stderr
    formgrader.api(f"grade/{grades['written_fc_images']['id']}", {"manual_score": 2}, "PUT")
    run = autograder("feedback", subs, "--out", out)
    assert run.returncode == 0 and "await grading" not in run.stderr, run.stderr
    assert read_grades(out / "grades.csv")[("alice", ASSIGNMENT, ASSIGNMENT)] == (19, 19)


def test_feedback_before_any_grading_is_one_line(tmp_path):
    submit(tmp_path / "subs", "alice", ASSIGNMENT, release=True)
    run = autograder("feedback", tmp_path / "subs", "--out", tmp_path / "out")
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and "run grade first" in run.stderr, run.stderr


def test_nbgraders_lab_extension_works_with_the_pinned_jupyterlab():
    """nbgrader#1948: its lab extension did not load on JupyterLab 4.3; requirements.txt pins a pair that works."""
    run = subprocess.run([BIN / "jupyter", "labextension", "list"], capture_output=True, text=True,
                         env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "NO_COLOR": "1"})
    text = run.stdout + run.stderr
    line = next(line for line in text.splitlines() if "@jupyter/nbgrader" in line)
    assert "enabled" in line and "OK" in line, text
