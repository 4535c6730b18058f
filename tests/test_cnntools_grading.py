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


# ---------------------------------------------------------------------------------------------------------------
# What a failing case shows: whose assertion failed, a result never computed, pictures and repros of array cases

import base64  # noqa: E402
import linecache  # noqa: E402

import numpy as np  # noqa: E402

from cnntools import checks, evidence  # noqa: E402


NOTEBOOK = """
def student_function(x):
    assert x.ndim == 4
    return x

grade = Cases("f", points=1)
with grade("value"):
    student_function(np.zeros(3))
with grade("value"):
    assert False
with grade("value"):
    checks.check_array("f(x)", np.zeros(2), np.ones(2))
"""


def test_the_students_assert_is_told_from_the_tests():
    """A notebook's cells (not rewritten by pytest): the student's function and the test share its namespace."""
    namespace = {"np": np, "checks": checks, "Cases": Cases}
    linecache.cache["<notebook>"] = (len(NOTEBOOK), None, NOTEBOOK.splitlines(True), "<notebook>")  # as IPython does
    exec(compile(NOTEBOOK, "<notebook>", "exec"), namespace)
    student, test, check = (v.message for v in namespace["grade"].failures())
    assert student == "an assert in your own code failed (assert x.ndim == 4) (it gives no message)"
    assert test == "a check of the test failed (the test's own assert, with no message)"
    assert check.startswith("f(x) is wrong in 2 of 2 entries")


def test_results_never_computed_say_what_the_function_raised():
    def backward(dout):
        raise ValueError("shapes (2,3) and (4,) do not align")
    grade = Cases("backward", points=1)
    dx = dw = None
    with grade("value"):
        dx, dw = checks.check_tuple("backward(dout)", backward(1), ("dx", "dw"))
    for name, got in (("dx", dx), ("dw", dw)):
        with grade("value"):
            checks.check_array(f"{name} of backward(dout)", got, np.ones(2))
    with grade("value"):  # a function that returns None, called on its own, is told so
        checks.check_array("f(x)", None, np.ones(2))
    messages = [v.message for v in grade.failures()]
    assert messages[1] == ("dx of backward(dout) was not computed: backward raised ValueError: shapes (2,3) and (4,) "
                           "do not align (see the case above)")
    assert "returned None" not in messages[2] and "returned None: is the `return`" in messages[3]


def test_printed_lines_fit_the_output_area(capsys):
    grade = Cases("f", points=1)
    with grade("value"):
        checks.check_array("conv2d_forward(x (2, 3, 5, 7), w (4, 3, 2, 2), b, stride=1, padding=0, dilation=1)",
                           np.zeros((2, 4, 4, 6)), np.ones((2, 4, 4, 6)))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) > 1 and all(len(line) <= 100 for line in lines)
    assert " ".join(lines).split() == f"FAILED [value] {grade.failures()[0].message}".split()  # whole words


def flipped_conv_case():
    """A case as the tests write one: a convolution whose filter is flipped, on the test's own arrays."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 3))
    want = np.einsum("nchwij,kcij->nkhw", np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(2, 3)), w)
    got = np.einsum("nchwij,kcij->nkhw", np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(2, 3)),
                    w[:, :, ::-1, ::-1])
    return x, w, got, want


def failing_verdict(got, want, what="conv(x, w)", **names):
    grade = Cases("conv", points=1)
    globals().update(names)  # the test's namespace, where the case's call finds its inputs
    with grade("value"):
        checks.check_array(what, got, want)
    return grade.failures()[0]


def png_of(picture):
    data = base64.b64decode(picture.png)
    assert data.startswith(b"\x89PNG") and len(data) < 40_000
    return data


def test_a_wrong_array_is_drawn_with_its_worst_entry_in_words():
    x, w, got, want = flipped_conv_case()
    verdict = failing_verdict(got, want, x=x, w=w)
    picture = verdict.picture()
    png_of(picture)
    worst = np.unravel_index(np.argmax(np.abs(got - want)[0]), got.shape[1:])
    n, k, i, j = (0,) + tuple(int(a) for a in worst)
    assert f"sample 0, channel {k}" in picture.alt
    assert f"at index ({n}, {k}, {i}, {j}) you returned {got[n, k, i, j]:.4g}, expected {want[n, k, i, j]:.4g}" \
        in picture.alt


def test_the_colour_scale_reaches_the_largest_difference():
    """An answer with every sign flipped is off by twice the largest value: the one colour scale of the three panels
    reaches that difference instead of drawing it at the values' end."""
    want = np.array([[[[9.0, -4.0], [1.0, 2.0]]]])
    picture = failing_verdict(-want, want, x=np.zeros(1), w=np.zeros(1)).picture()
    png_of(picture)
    assert "on one colour scale from -18 to 18" in picture.alt, picture.alt


def test_a_hidden_case_is_drawn_from_the_students_output_and_the_message_only():
    """Two expected answers that agree where the student's is right, and at the entry the message names, give the
    same picture of a hidden case: it cannot show any other expected value."""
    x, w, got, want = flipped_conv_case()
    verdict = failing_verdict(got, want, x=x, w=w)
    index = tuple(int(i) for i in np.argwhere(np.abs(got - want) > 1e-9)[0])
    other = want + np.where(np.abs(got - want) > 1e-9, 7.0, 0.0)
    other[index] = want[index]
    verdict_other = failing_verdict(got, other, x=x, w=w)
    hidden, hidden_other = verdict.picture(hidden=True), verdict_other.picture(hidden=True)
    assert png_of(hidden) == png_of(hidden_other) and hidden.alt == hidden_other.alt
    assert png_of(verdict.picture()) != png_of(verdict_other.picture())  # the visible one shows the expected values
    assert f"at index ({', '.join(map(str, index))}) you returned {got[index]:.4g}, expected {want[index]:.4g}" \
        in hidden.alt


def test_a_wrong_shape_is_drawn_as_two_boxes():
    verdict = failing_verdict(np.zeros((1, 2, 4, 5)), np.zeros((1, 2, 2, 3)), x=np.zeros(1))
    picture = verdict.picture()
    png_of(picture)
    assert "your output has shape (1, 2, 4, 5), the expected one (1, 2, 2, 3)" in picture.alt
    assert failing_verdict(np.array([np.nan, 1.0]), np.ones(2)).picture() is None  # NaN: the message says it


def test_the_repro_rebuilds_the_visible_inputs_and_only_the_hidden_shapes():
    x = np.array([[[[1.0, -2.0, 3.0], [0.0, 5.0, -1.0]]]])
    w = np.array([[[[2.0]]]])
    verdict = failing_verdict(np.zeros((1, 1, 2, 3)), x * 2, what="conv(x, w, stride=1)", x=x, w=w)
    calls = []
    scope = {"np": np, "checks": checks, "conv": lambda *args, **kwargs: calls.append((args, kwargs))}
    exec(verdict.repro(), scope)
    (args, kwargs), = calls
    assert np.array_equal(args[0], x) and np.array_equal(args[1], w) and kwargs == {"stride": 1}
    hidden = verdict.repro(hidden=True)
    assert "checks.random_arrays(seed=0, x=(1, 1, 2, 3), w=(1, 1, 1, 1))" in hidden and "5" not in hidden
    exec(hidden, scope)
    assert calls[1][0][0].shape == x.shape and not np.array_equal(calls[1][0][0], x)
    # a hidden case's description gives the shapes the test passed
    described = failing_verdict(np.zeros(2), np.ones(2), what="conv(x (3, 4), w, stride=2)", x=x, w=w)
    assert "x=(3, 4), w=(1, 1, 1, 1)" in described.repro(hidden=True)
    assert all(len(line) <= 100 for line in verdict.repro().splitlines())


def test_pictures_are_drawn_only_for_failing_cases(monkeypatch):
    drawn = []
    monkeypatch.setattr(evidence, "picture", lambda *args, **kwargs: drawn.append(args))
    grade = Cases("f", points=1)
    for _ in range(3):
        with grade("value"):
            checks.check_array("f(x)", np.ones(4), np.ones(4))
    assert all(v.passed and v.evidence is None for v in grade.verdicts) and not drawn
