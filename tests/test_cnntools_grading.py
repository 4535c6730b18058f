"""cnntools.grading.Cases: the shares of the points, and what a failing case reports."""
import linecache

import pytest

from cnntools import checks
from cnntools.grading import ARGUMENTS, ORDINARY, VECTORIZED, Cases


def cases(*outcomes):
    """A Cases whose verdicts are (kind, passed) pairs, run through real ``with`` blocks."""
    grade = Cases("f", points=10)
    for kind, passed in outcomes:
        with grade(kind):
            assert passed, f"case of kind {kind} failed"
    return grade


def test_all_passed_is_exactly_the_points():
    assert cases(("value", True), ("stride", True), ("bad stride", True)).score() == 10
    assert repr(cases(("value", True))) == "10"


def test_shares_follow_the_kinds():
    grade = cases(("value", True), ("value", True), ("stride", True), ("padding", True), ("bad n", True),
                  ("bad stride", True), ("vectorized", True))
    shares = grade.shares()
    assert sum(shares) == pytest.approx(10)
    assert shares[:2] == pytest.approx([10 * ORDINARY / 2] * 2)
    assert shares[2:4] == pytest.approx([10 * (1 - ORDINARY - ARGUMENTS - VECTORIZED) / 2] * 2)
    assert shares[4:6] == pytest.approx([10 * ARGUMENTS / 2] * 2)
    assert shares[6] == pytest.approx(10 * VECTORIZED)


def test_values_only_take_everything_but_the_argument_share():
    grade = cases(("value", True), ("value", False), ("bad n", True))
    assert grade.score() == pytest.approx(10 * (1 - ARGUMENTS) / 2 + 10 * ARGUMENTS)


def test_checks_alone_share_all_the_points():
    assert cases(("bad n", True), ("vectorized", False)).score() == pytest.approx(5)


def test_no_argument_check_keeps_at_least_85_percent():
    grade = cases(("value", True), ("dilation", True), ("bad n", False), ("bad type", False), ("bad empty", False))
    assert grade.score() == pytest.approx(10 * (1 - ARGUMENTS)) and grade.score() >= 8.5


def test_a_failing_case_never_rounds_to_full_marks():
    grade = Cases("f", points=1)
    for i in range(100_000):
        with grade("value"):
            assert i, "the first case fails"
    assert grade.score() < 1


def test_failures_are_printed_and_kept(capsys):
    grade = Cases("conv", points=2)
    with grade("stride", "conv(x, stride=2)"):
        raise IndexError("index 3 is out of bounds")
    with grade("value"):
        raise NotImplementedError("dilation")  # the student's own, not the release's stub
    printed = capsys.readouterr().out
    assert "FAILED [stride] conv(x, stride=2): your code raised IndexError: index 3 is out of bounds" in printed
    assert "FAILED [value] your code raised NotImplementedError: dilation" in printed
    assert "conv: 0 of 2 points" in grade._repr_markdown_() and "2 of 2 cases failed" in grade._repr_markdown_()


def test_a_function_not_written_yet_is_named_once(capsys):
    """The release's stub: one line for the cell, then the failures it causes are kept without being printed."""
    namespace = {}
    exec(compile("def conv(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n", "<cell conv>", "exec"),
         namespace)
    linecache.cache["<cell conv>"] = (0, None, ["def conv(x):\n", "    # YOUR CODE HERE\n",
                                               "    raise NotImplementedError()\n"], "<cell conv>")
    grade = Cases("pool", points=2)
    result = None
    with grade("value"):
        result = namespace["conv"](1)
    with grade("value"):
        if result is None:
            raise AssertionError("pool returned None")
    with grade("bad x"):
        checks.check_raises("conv(-1)", namespace["conv"], -1, names=("x",))
    printed = capsys.readouterr().out
    assert printed == "pool calls conv, which is not written yet (write it, then run this test again)\n", printed
    assert [v.message for v in grade.failures()] == [
        "pool calls conv, which is not written yet", "pool returned None", "pool calls conv, which is not written yet"]
    assert "3 of 3 cases failed: conv is not written yet" in grade._repr_markdown_()


def test_what_is_not_an_exception_is_not_caught():
    grade = Cases("f", points=1)
    with pytest.raises(KeyboardInterrupt):
        with grade("value"):
            raise KeyboardInterrupt


def test_the_with_line_is_recorded():
    grade = Cases("f", points=1)
    with grade("value"):
        pass
    import inspect
    assert grade.verdicts[0].line == inspect.currentframe().f_lineno - 3
