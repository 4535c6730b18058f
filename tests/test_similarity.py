"""`similarity`: a disguised copy of an answer (names changed, comments and docstrings removed, lines reflowed) is the
most similar pair of its question, above answers written independently; the code students were given makes no two
alike; bad input gets a line, not a crash."""
import contextlib
import csv
import html
import io
import json
import re

import nbformat
import numpy as np
import pytest

from autograder.__main__ import main
from autograder.publish import WORKFLOW
from pipeline import REPO, autograder, solution_cell, submit
from rewrites import ASSIGNMENT, INDEPENDENT, disguise, docstring_of, solution_answers, with_answers

COPIED = ["conv2d_forward_naive", "max_pool2d_forward", "avg_pool2d_forward"]


def similarity(*args):
    """`python -m autograder similarity ARGS`, in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["similarity", *map(str, args)])
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def subs(tmp_path_factory):
    """ana hands in the solutions; ben a disguised copy of three of her answers; cai and dan answers of their own
    to two of them; eve and fay the untouched release (eve with a number for an answer's source, fay without one
    answer cell); gus a notebook that is not JSON; hal the release under the name a browser gives a second
    download."""
    folder = tmp_path_factory.mktemp("subs")
    ana = solution_answers(COPIED + ["conv2d_forward", "relu_forward"])
    with_answers(folder, "ana", ana)
    (folder / "ana" / ASSIGNMENT / ".submitted").write_text('{"lms": "canvas", "lms_id": "17", "late": false}')  # collect's
    with_answers(folder, "ben", {f: disguise(ana[f]) for f in COPIED})
    for i, student in enumerate(["cai", "dan"]):
        with_answers(folder, student, {f: docstring_of(f) + INDEPENDENT[f][i] for f in INDEPENDENT})
    for student in ["eve", "fay", "hal"]:
        submit(folder, student, ASSIGNMENT, release=True)
    fay = folder / "fay" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(fay, as_version=4)
    nb.cells.remove(solution_cell(nb, "relu_forward"))
    nbformat.write(nb, fay)
    eve = folder / "eve" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = json.loads(eve.read_text())
    next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "relu_forward")["source"] = 5
    eve.write_text(json.dumps(nb))
    (folder / "gus" / ASSIGNMENT).mkdir(parents=True)
    (folder / "gus" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_text("{ not json")
    (folder / "hal" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").rename(folder / "hal" / ASSIGNMENT / "forward (1).ipynb")
    (folder / "__MACOSX").mkdir()
    return folder


@pytest.fixture(scope="module")
def report(subs, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    status, stdout, stderr = similarity(subs, "--assignment", ASSIGNMENT, "--out", out)
    assert status == 0, stderr
    with open(out / "similarity" / f"{ASSIGNMENT}.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return {"stdout": stdout, "stderr": stderr, "rows": rows, "out": out,
            "page": (out / "similarity" / f"{ASSIGNMENT}.html").read_text()}


def pairs(rows, question):
    """[((student_a, student_b), similarity)] of one question, in the report's order."""
    return [((r["student_a"], r["student_b"]), float(r["similarity"])) for r in rows if r["question"] == question]


def test_a_disguised_copy_ranks_first_above_independent_answers(report):
    for function in COPIED:
        ranked = pairs(report["rows"], function)
        assert ranked and ranked[0][0] == ("ana", "ben"), (function, ranked)
        assert ranked[0][1] >= 0.8, (function, ranked)  # renaming and reflowing hid almost nothing
        assert all(score < ranked[0][1] for _, score in ranked[1:])
    for function in INDEPENDENT:  # cai's and dan's own answers: below the copy, with each other and with ana's
        others = [score for pair, score in pairs(report["rows"], function) if pair != ("ana", "ben")]
        assert len(others) == 5 and max(others) < 0.6, (function, others)


def test_the_released_code_makes_no_pair_similar(report):
    """eve, fay and hal handed in the release: they share everything with each other and nothing that counts."""
    listed = {s for r in report["rows"] for s in (r["student_a"], r["student_b"])}
    assert listed == {"ana", "ben", "cai", "dan"}
    assert not pairs(report["rows"], "relu_forward")  # only ana answered it
    for question in {r["question"] for r in report["rows"]}:  # highest first
        scores = [score for _, score in pairs(report["rows"], question)]
        assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)


def test_the_page_shows_each_top_pair_with_the_shared_lines_marked(report):
    page = report["page"]
    assert "For the instructor only" in page
    # ana, ben, cai and dan wrote code of their own; the release that eve, fay and hal handed in is none
    assert '<a href="#conv2d_forward_naive">conv2d_forward_naive</a></td><td>4</td>' in page
    top = page.split('<h2 id="conv2d_forward_naive">')[1].split("<h2")[0]
    assert top.index("ana</b>") < top.index("ben</b>")  # the copy first
    shared = re.findall(r'<div class="shared">(.*?)</div>', top)
    assert any("np.sum(window * w[k]) + b[k]" in line for line in shared)  # ana's loop body, marked
    assert not any("Forward pass of a convolutional layer" in line for line in shared)  # the given docstring: not
    assert "<script>" not in page and "&lt;script&gt;" in page  # dan's comment, shown as text


def test_students_problems_are_noted_not_fatal(report):
    for words in ["gus: forward.ipynb is not a valid notebook", "hal: compared forward (1).ipynb as forward.ipynb",
                  "fay: no answer cell 'relu_forward'", "passed over: __MACOSX"]:
        assert words in report["stderr"] and words in html.unescape(report["page"]), words


def test_threshold_lists_only_the_pairs_above_it_and_runs_agree(subs, report, tmp_path):
    """The command line, in a process of its own: Python salts hash() per process (copydetect's k-gram hashes), and
    the report must not depend on it."""
    run = autograder("similarity", subs, "--assignment", ASSIGNMENT, "--out", tmp_path, "--threshold", "0.7")
    assert run.returncode == 0, run.stderr
    with open(tmp_path / "similarity" / f"{ASSIGNMENT}.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["question"], r["student_a"], r["student_b"]) for r in rows] == [(f, "ana", "ben") for f in COPIED]
    assert rows == [r for r in report["rows"] if float(r["similarity"]) > 0.7]
    assert f"{tmp_path}/similarity/{ASSIGNMENT}.csv" in run.stdout


@pytest.mark.parametrize("args, words", [
    (["--assignment", "nope"], "unknown assignment 'nope'"),
    (["--assignment", ASSIGNMENT, "--threshold", "1.5"], "--threshold"),
    (["--assignment", ASSIGNMENT, "--threshold", "half"], "invalid float value"),
    (["--assignment", ASSIGNMENT, "--out", REPO / "notebooks" / "report"], "inside the repository"),
    (["--assignment", ASSIGNMENT, "--out", "PUBLISHED/grading"], "inside a published course"),
])
def test_operators_mistakes_stop_it_with_one_line(subs, tmp_path, args, words):
    published = tmp_path / "public"
    (published / WORKFLOW).parent.mkdir(parents=True)
    (published / WORKFLOW).write_text("on: push\n")
    args = [str(a).replace("PUBLISHED", str(published)) for a in args]
    if "--out" not in args:
        args += ["--out", tmp_path / "out"]
    status, stdout, stderr = similarity(subs, *args)
    assert status == 2 and len(stderr.strip().splitlines()) == 1 and words in stderr, stderr
    assert not list(tmp_path.rglob("similarity")) and not (REPO / "notebooks" / "report").exists()


def test_an_empty_or_missing_submissions_folder_stops_it(tmp_path):
    (tmp_path / "empty").mkdir()
    for folder, words in [(tmp_path / "empty", "no submissions of 'forward'"), (tmp_path / "nowhere", "not found")]:
        status, _, stderr = similarity(folder, "--assignment", ASSIGNMENT, "--out", tmp_path / "out")
        assert status == 2 and len(stderr.strip().splitlines()) == 1 and words in stderr, stderr
    assert not (tmp_path / "out").exists()


def test_independent_answers_are_correct():
    """The independent answers are right answers (against the solution), so the test below compares like with like."""
    from cnntools.checks import require_int
    expected = solution_answers(INDEPENDENT)
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(2, 3, 9, 8)), rng.normal(size=(4, 3, 3, 2)), rng.normal(size=4)
    for function, variants in INDEPENDENT.items():
        args = (x, w, b) if function.startswith("conv") else (x,)
        kwargs = {"stride": 2, "padding": 1} if function.startswith("conv") else {"kernel_size": 3, "stride": 2}

        def run(source):
            defined = {}
            exec(source, {"np": np, "require_int": require_int}, defined)
            return defined[function](*args, **kwargs)
        for variant in variants:
            np.testing.assert_allclose(run(docstring_of(function) + variant), run(expected[function]))


