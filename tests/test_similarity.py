"""`similarity`: a disguised copy of an answer (names changed, comments and docstrings removed, lines reflowed) is the
most similar pair of its question, above answers written independently; the code students were given makes no two
alike; bad input gets a line, not a crash."""
import ast
import builtins
import contextlib
import copy
import csv
import html
import io
import re
import tokenize

import nbformat
import numpy as np
import pytest

from autograder.__main__ import main
from autograder.publish import WORKFLOW
from pipeline import REPO, solution_cell, submit

ASSIGNMENT = "forward"
COPIED = ["conv2d_forward_naive", "max_pool2d_forward", "avg_pool2d_forward"]
RELEASED = nbformat.read(REPO / "notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)


def docstring_of(function):
    """The released answer cell of `function` up to its body: the signature and docstring students are given."""
    source = solution_cell(RELEASED, function).source
    return source[:source.index("# YOUR CODE HERE")]


# Correct answers written independently of the solutions: other loops, other NumPy, other names and checks.
INDEPENDENT = {
    "conv2d_forward_naive": [
        """
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    b = np.asarray(b, dtype=float)
    if x.ndim != 4:
        raise ValueError("x must be 4-d: (N, C, H, W)")
    if w.ndim != 4 or w.shape[1] != x.shape[1]:
        raise ValueError("w must be (K, C, FH, FW) with the channels of x")
    if b.shape != (w.shape[0],):
        raise ValueError("b needs one entry per filter of w")
    require_int("stride", stride, 1)
    require_int("padding", padding, 0)
    n_images, channels, height, width = x.shape
    n_filters, _, fh, fw = w.shape
    out_h = 1 + (height + 2 * padding - fh) // stride
    out_w = 1 + (width + 2 * padding - fw) // stride
    if out_h <= 0 or out_w <= 0:
        raise ValueError("w does not fit in the padded x")
    padded = np.zeros((n_images, channels, height + 2 * padding, width + 2 * padding))
    padded[:, :, padding:padding + height, padding:padding + width] = x
    result = np.zeros((n_images, n_filters, out_h, out_w))
    for row in range(out_h):
        top = row * stride
        for col in range(out_w):
            left = col * stride
            patch = padded[:, :, top:top + fh, left:left + fw]
            result[:, :, row, col] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return result
""",
        """
    x, w, b = np.array(x, float), np.array(w, float), np.array(b, float)
    if len(x.shape) != 4:
        raise ValueError(f"x should be (N, C, H, W) but is {x.shape}")
    if len(w.shape) != 4 or w.shape[1] != x.shape[1]:
        raise ValueError(f"w should be (K, C, FH, FW) but is {w.shape}")
    if b.shape != w.shape[:1]:
        raise ValueError(f"b should be ({w.shape[0]},) but is {b.shape}")
    require_int("stride", stride, 1)
    require_int("padding", padding, 0)
    P, S = padding, stride
    flat = w.reshape(w.shape[0], -1)
    xpad = np.pad(x, [(0, 0), (0, 0), (P, P), (P, P)], mode="constant")
    rows = list(range(0, xpad.shape[2] - w.shape[2] + 1, S))
    cols = list(range(0, xpad.shape[3] - w.shape[3] + 1, S))
    if not rows or not cols:
        raise ValueError("the output would be empty: w is larger than the padded x")
    y = np.empty((x.shape[0], w.shape[0], len(rows), len(cols)))
    for p, r in enumerate(rows):
        for q, c in enumerate(cols):
            columns = xpad[:, :, r:r + w.shape[2], c:c + w.shape[3]].reshape(x.shape[0], -1)
            y[:, :, p, q] = columns @ flat.T + b
    return y
"""],
    "max_pool2d_forward": [
        """
    x = np.asarray(x, dtype=float)
    if x.ndim != 4:
        raise ValueError("x must be 4-d: (N, C, H, W)")
    require_int("kernel_size", kernel_size, 1)
    require_int("stride", stride, 1)
    height, width = x.shape[2:]
    if kernel_size > min(height, width):
        raise ValueError("kernel_size is larger than x")
    out_h = 1 + (height - kernel_size) // stride
    out_w = 1 + (width - kernel_size) // stride
    pooled = np.empty(x.shape[:2] + (out_h, out_w))
    for row in range(out_h):
        for col in range(out_w):
            top, left = row * stride, col * stride
            pooled[:, :, row, col] = x[:, :, top:top + kernel_size, left:left + kernel_size].max(axis=(2, 3))
    return pooled
""",
        """
    x = np.array(x, dtype=np.float64)
    if len(x.shape) != 4:
        raise ValueError(f"x should be (N, C, H, W) but is {x.shape}")
    require_int("kernel_size", kernel_size, 1)
    require_int("stride", stride, 1)
    if kernel_size > x.shape[2] or kernel_size > x.shape[3]:
        raise ValueError(f"kernel_size {kernel_size} does not fit in x of shape {x.shape}")
    # <script>alert("dan")</script>: every window at once
    views = np.lib.stride_tricks.sliding_window_view(x, (kernel_size, kernel_size), axis=(2, 3))
    return views[:, :, ::stride, ::stride].max(axis=(-2, -1))
"""]}


def disguise(source, keep):
    """`source` as a copier hides it: every name but `keep` and Python's own renamed, docstrings and comments
    removed, lines reflowed (ast.unparse joins the lines of each statement; long ones are then broken elsewhere)."""
    tree = ast.parse(source)
    names = {}

    class Rename(ast.NodeTransformer):
        def visit_Name(self, node):
            if node.id not in keep and not hasattr(builtins, node.id):
                node.id = names.setdefault(node.id, f"t{len(names)}")
            return node

        def visit_FunctionDef(self, node):
            body = node.body[1:] if isinstance(node.body[0], ast.Expr) and isinstance(
                node.body[0].value, ast.Constant) else node.body
            node.body = body
            return self.generic_visit(node)

    code = ast.unparse(Rename().visit(tree))
    # Break each long line after its first comma inside brackets, as a formatter would.
    lines, depth, broken = code.splitlines(keepends=True), 0, {}
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        depth += (tok.string in "([{") - (tok.string in ")]}") if tok.type == tokenize.OP else 0
        row = tok.start[0] - 1
        if tok.string == "," and depth and len(lines[row]) > 60 and row not in broken:
            broken[row] = tok.end[1]
    for row, col in broken.items():
        lines[row] = lines[row][:col] + "\n" + " " * 12 + lines[row][col:].lstrip()
    reflowed = "".join(lines)
    assert ast.dump(ast.parse(reflowed)) == ast.dump(ast.parse(code)) and reflowed != code
    return reflowed


def answer(nb, function):
    return solution_cell(nb, function).source


def with_answers(folder, student, answers):
    """SUBMISSIONS/<student>/forward/forward.ipynb: the release with `answers` ({function: source}) filled in."""
    nb = copy.deepcopy(RELEASED)
    for function, source in answers.items():
        solution_cell(nb, function).source = source
    target = folder / student / ASSIGNMENT
    target.mkdir(parents=True)
    nbformat.write(nb, target / f"{ASSIGNMENT}.ipynb")


def similarity(*args):
    """`python -m autograder similarity ARGS`, in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["similarity", *map(str, args)])
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def subs(tmp_path_factory):
    """ana hands in the solutions; ben a disguised copy of three of her answers; cai and dan answers of their own
    to two of them; eve and fay the untouched release (fay without one answer cell); gus a notebook that is not
    JSON; hal the release under the name a browser gives a second download."""
    folder = tmp_path_factory.mktemp("subs")
    solved = nbformat.read(REPO / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    ana = {f: answer(solved, f).replace("    ### BEGIN SOLUTION\n", "").replace("\n    ### END SOLUTION", "")
           for f in COPIED + ["conv2d_forward", "relu_forward"]}
    with_answers(folder, "ana", ana)
    params = {f: {a.arg for a in ast.parse(ana[f]).body[0].args.args} for f in COPIED}
    with_answers(folder, "ben", {f: disguise(ana[f], {f, "np", "require_int", *params[f]}) for f in COPIED})
    for i, student in enumerate(["cai", "dan"]):
        with_answers(folder, student, {f: docstring_of(f) + INDEPENDENT[f][i] for f in INDEPENDENT})
    for student in ["eve", "fay", "hal"]:
        submit(folder, student, ASSIGNMENT, release=True)
    fay = folder / "fay" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(fay, as_version=4)
    nb.cells.remove(solution_cell(nb, "relu_forward"))
    nbformat.write(nb, fay)
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
    assert f"{report['out']}/similarity/{ASSIGNMENT}.csv" in report["stdout"]


def test_threshold_lists_only_the_pairs_above_it(subs, tmp_path):
    status, _, stderr = similarity(subs, "--assignment", ASSIGNMENT, "--out", tmp_path, "--threshold", "0.7")
    assert status == 0, stderr
    with open(tmp_path / "similarity" / f"{ASSIGNMENT}.csv", newline="") as f:
        rows = [(r["question"], r["student_a"], r["student_b"]) for r in csv.DictReader(f)]
    assert rows == [(f, "ana", "ben") for f in COPIED]


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
    solved = nbformat.read(REPO / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(2, 3, 9, 8)), rng.normal(size=(4, 3, 3, 2)), rng.normal(size=4)
    for function, variants in INDEPENDENT.items():
        args = (x, w, b) if function.startswith("conv") else (x,)
        kwargs = {"stride": 2, "padding": 1} if function.startswith("conv") else {"kernel_size": 3, "stride": 2}
        expected = {}
        exec(answer(solved, function), {"np": np, "require_int": require_int}, expected)
        for variant in variants:
            found = {}
            exec(docstring_of(function) + variant, {"np": np, "require_int": require_int}, found)
            np.testing.assert_allclose(found[function](*args, **kwargs), expected[function](*args, **kwargs))

