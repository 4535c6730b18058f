"""Every training mistake costs points in its own test, in process (through tests/inprocess.py): the training tests
score cases, as the NumPy ones do, so the solution earns every point and a mistake loses its cases' shares, not the
whole test. Only the given cells the tests read, the answers and the mistake's own test cell run; the experiment
cells do not."""
import pytest

from autograder.cells import hidden_lines
from inprocess import grade, meta, source_notebook
from pipeline import mistakes

MISTAKES = mistakes("training")


@pytest.fixture(scope="module")
def solution():
    return grade("training")


def own_test(mistake):
    test = f"test_{mistake.function}"
    return grade("training", {mistake.function: mistake.source}, tests=[test])[test]


def test_solution_gets_full_marks(solution):
    assert {f"test_{m.function}" for m in MISTAKES} <= solution.keys()
    for test, cases in solution.items():
        assert cases.score() == cases.points, (test, [v.message for v in cases.failures()])


def test_cases_points_are_the_cells_points(solution):
    points = {meta(c)["grade_id"]: meta(c)["points"] for c in source_notebook("training").cells
              if meta(c).get("grade") and c.cell_type == "code"}
    assert {test: cases.points for test, cases in solution.items()} == points


def test_every_hidden_kind_is_among_the_visible_ones(solution):
    cells = {meta(c)["grade_id"]: c.source for c in source_notebook("training").cells if meta(c).get("grade")}
    for test, cases in solution.items():
        hidden = hidden_lines(cells[test])
        visible_kinds = {v.kind for v in cases.verdicts if v.line not in hidden}
        hidden_kinds = {v.kind for v in cases.verdicts if v.line in hidden}
        assert hidden_kinds <= visible_kinds, f"{test}: hidden kinds {hidden_kinds - visible_kinds} never shown"
        assert any(v.line in hidden for v in cases.verdicts), f"{test} has no hidden case"


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.name for m in MISTAKES])
def test_mistake_loses_points_in_its_own_test(mistake):
    cases = own_test(mistake)
    assert cases.score() < cases.points, f"{mistake.name} kept all {cases.points:g} points of test_{mistake.function}"


def test_a_cnn_without_batchnorm_keeps_the_share_its_output_shape_earns():
    no_batchnorm = next(m for m in MISTAKES if m.name == "no-batchnorm")
    cases = own_test(no_batchnorm)
    assert {v.kind for v in cases.failures()} == {"layers", "parameters"}
    shape = sum(v.points for v in cases.verdicts if v.kind == "output shape")
    assert shape == pytest.approx(cases.points / 3)  # output shape, layers, parameters: a third each
    assert shape <= cases.score() < cases.points  # (and the share of its convolutions' sizes, which are right)
