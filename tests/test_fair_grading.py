"""Grades in proportion to what is wrong (in process, through tests/inprocess.py): every mistake costs points in its
own function's test; right maths keeps at least 85% whatever its argument checks say; a loop where the docstring
asks for none costs exactly the vectorization share; no hidden case is of a kind the visible cases lack; and every
test cell ends with its score whatever the answers raise or return (the training notebook's mistakes and kinds:
tests/test_training_mistakes.py)."""
import ast

import pytest

from autograder.cells import hidden_lines
from autograder.course import STUB, assignments
from cnntools import grading
from inprocess import answers, grade, meta, source_notebook
from mistakes.forward import LOOP_IN_VECTORIZED_SLOT, OTHER_VECTORIZATIONS
from pipeline import mistakes

NUMPY = ["dimensions", "forward", "backprop"]
CASES = [(a, m) for a in NUMPY for m in mistakes(a)]


def edited(source, transform):
    """The solution cell with every function definition rewritten by ``transform`` (an ast.NodeTransformer)."""
    tree = transform.visit(ast.parse(source))
    return ast.unparse(ast.fix_missing_locations(tree))


def is_argument_check(node):
    """``require_int(...)`` or ``if ...: raise ValueError(...)``."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        return getattr(node.value.func, "id", "") == "require_int"
    return isinstance(node, ast.If) and not node.orelse and all(isinstance(n, ast.Raise) for n in node.body)


class NoChecks(ast.NodeTransformer):
    def generic_visit(self, node):
        super().generic_visit(node)
        for field in ("body", "orelse"):
            body = getattr(node, field, None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                setattr(node, field, [n for n in body if not is_argument_check(n)] or [ast.Pass()])
        return node


class Returns(ast.NodeTransformer):
    """Every function's body replaced by ``return <value>`` (or, for ``value=None``, by the release's stub)."""

    def __init__(self, value):
        self.value = value

    def visit_FunctionDef(self, node):
        body = STUB.splitlines()[1] if self.value is None else f"return {self.value}"
        node.body = ast.parse(body).body
        return node


class TerseMessages(ast.NodeTransformer):
    """Every ValueError says only "invalid input"; require_int checks the same, with that message."""

    def visit_Call(self, node):
        self.generic_visit(node)
        name = getattr(node.func, "id", "")
        if name == "ValueError":
            node.args, node.keywords = [ast.Constant("invalid input")], []
        if name == "require_int":
            node.func, node.args = ast.Name("terse_int", ast.Load()), node.args[1:]
        return node


TERSE_INT = '''
def terse_int(value, minimum):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError("invalid input")
'''


@pytest.mark.parametrize("assignment", NUMPY)
def test_solution_gets_full_marks(assignment):
    for test, cases in grade(assignment).items():
        assert cases.score() == cases.points, (test, [v.message for v in cases.failures()])


@pytest.mark.parametrize("assignment", NUMPY)
def test_cases_points_are_the_cells_points(assignment):
    points = {meta(c)["grade_id"]: meta(c)["points"] for c in source_notebook(assignment).cells
              if meta(c).get("grade") and c.cell_type == "code"}  # written answers are graded by hand
    got = {test: cases.points for test, cases in grade(assignment).items()}
    assert got == points


@pytest.mark.parametrize("assignment,mistake", CASES, ids=[f"{a}-{m.name}" for a, m in CASES])
def test_mistake_loses_points(assignment, mistake):
    results = grade(assignment, {mistake.function: mistake.source})
    own = results[f"test_{mistake.function}"]
    assert own.score() < own.points, f"{mistake.name} kept all {own.points:g} points of test_{mistake.function}"


@pytest.mark.parametrize("assignment", NUMPY)
def test_right_maths_without_argument_checks_keeps_85_percent(assignment):
    results = grade(assignment, {f: edited(s, NoChecks()) for f, s in answers(assignment).items()})
    for test, cases in results.items():
        assert cases.score() >= 0.85 * cases.points, (test, cases.score(), [v.message for v in cases.failures()])
        assert all(grading.category(v.kind) == "arguments" for v in cases.failures()), test


@pytest.mark.parametrize("assignment", NUMPY)
def test_right_maths_with_terse_messages_keeps_85_percent(assignment):
    results = grade(assignment, {f: TERSE_INT + edited(s, TerseMessages()) for f, s in answers(assignment).items()})
    for test, cases in results.items():
        assert cases.score() >= 0.85 * cases.points, (test, cases.score(), [v.message for v in cases.failures()])
        assert all(grading.category(v.kind) == "arguments" for v in cases.failures()), test
    assert any(cases.failures() for cases in results.values()), "the messages are checked nowhere"


@pytest.mark.parametrize("answer", OTHER_VECTORIZATIONS, ids=[a.name for a in OTHER_VECTORIZATIONS])
def test_another_vectorization_keeps_every_point(answer):
    cases = grade("forward", {answer.function: answer.source})["test_conv2d_forward"]
    assert cases.score() == cases.points, [v.message for v in cases.failures()]


def test_loop_in_the_vectorized_slot_loses_exactly_the_vectorization_share():
    results = grade("forward", {LOOP_IN_VECTORIZED_SLOT.function: LOOP_IN_VECTORIZED_SLOT.source})
    cases = results["test_conv2d_forward"]
    assert {v.kind for v in cases.failures()} == {"vectorized"}
    assert cases.score() == pytest.approx(cases.points * (1 - grading.VECTORIZED), abs=1e-3)
    assert "loop over output positions" in cases.failures()[0].message
    assert all(c.score() == c.points for t, c in results.items() if t != "test_conv2d_forward")


@pytest.mark.parametrize("assignment", NUMPY)
def test_every_hidden_kind_is_among_the_visible_ones(assignment):
    cells = {meta(c)["grade_id"]: c.source for c in source_notebook(assignment).cells if meta(c).get("grade")}
    for test, cases in grade(assignment).items():
        hidden = hidden_lines(cells[test])
        visible_kinds = {v.kind for v in cases.verdicts if v.line not in hidden}
        hidden_kinds = {v.kind for v in cases.verdicts if v.line in hidden}
        assert hidden_kinds <= visible_kinds, f"{test}: hidden kinds {hidden_kinds - visible_kinds} never shown"
        assert any(v.line in hidden for v in cases.verdicts), f"{test} has no hidden case"


@pytest.mark.parametrize("assignment", NUMPY)
def test_argument_checks_are_at_most_15_percent(assignment):
    for test, cases in grade(assignment).items():
        cases.score()
        share = sum(v.points for v in cases.verdicts if grading.category(v.kind) == "arguments") / cases.points
        assert share <= 0.15 + 1e-9, (test, share)


ANSWERS = {"the release's stubs": None, "answers that return None": "None", "answers that return a string": "'?'"}


@pytest.mark.parametrize("assignment", assignments())
@pytest.mark.parametrize("answers_like", ANSWERS)
def test_every_test_cell_ends_with_its_score(assignment, answers_like):
    """No test cell lets an error escape (grade() raises if one does): each ends with its Cases, and earns nothing
    from a function not written yet."""
    value = ANSWERS[answers_like]
    results = grade(assignment, {f: edited(s, Returns(value)) for f, s in answers(assignment).items()})
    for test, cases in results.items():
        assert cases.score() < cases.points, (test, answers_like)
        if value is None:
            assert cases.score() == 0 and "not written yet" in cases.failures()[0].message, test
