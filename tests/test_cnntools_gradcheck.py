"""The helpers of the NumPy assignments: array checks with diagnoses, numerical gradients, the stopwatch."""
import numpy as np
import pytest

from cnntools import checks, gradcheck, timing


def test_check_array_passes_up_to_rounding_and_names_the_mistake():
    want = np.arange(6.0).reshape(2, 3)
    checks.check_array("f(x)", want + 1e-12, want)
    with pytest.raises(AssertionError, match="likely cause: bias missing"):
        checks.check_array("f(x)", want - 1, want, {"bias missing": want - 1})
    with pytest.raises(AssertionError, match=r"(?s)shape \(3, 2\), expected \(2, 3\).*wrong order"):
        checks.check_array("f(x)", want.T, want)
    with pytest.raises(AssertionError, match="likely cause: stride ignored"):
        checks.check_array("f(x)", np.zeros((4, 4)), want, {"stride ignored": (4, 4)})
    with pytest.raises(AssertionError, match="0.5 times"):
        checks.check_array("f(x)", want / 2, want)
    with pytest.raises(AssertionError, match="returned None"):
        checks.check_array("f(x)", None, want)
    with pytest.raises(AssertionError, match="NaN"):
        checks.check_array("f(x)", want * np.nan, want)


def test_check_raises_wants_the_argument_named():
    def bad(stride):
        if stride < 1:
            raise ValueError(f"stride must be at least 1, got {stride}")

    checks.check_raises("bad(0)", bad, 0, names=("stride",))
    with pytest.raises(AssertionError, match="should name"):
        checks.check_raises("bad(0)", bad, 0, names=("padding",))
    with pytest.raises(AssertionError, match="returned normally"):
        checks.check_raises("bad(1)", bad, 1, names=("stride",))
    with pytest.raises(AssertionError, match="raised ZeroDivisionError"):
        checks.check_raises("1 / 0", lambda: 1 / 0)


def test_check_tuple_and_check_unchanged():
    assert checks.check_tuple("g()", (1, 2), ("a", "b")) == (1, 2)
    with pytest.raises(AssertionError, match=r"tuple \(a, b\)"):
        checks.check_tuple("g()", np.zeros(2), ("a", "b"))
    x = np.ones(3)
    checks.check_unchanged("h(x)", x, x.copy())
    with pytest.raises(AssertionError, match="in place"):
        checks.check_unchanged("h(x)", x, x + 1)


def test_numerical_gradients_match_known_derivatives():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    dout = rng.standard_normal((3, 4))
    before = x.copy()
    assert gradcheck.rel_error(gradcheck.eval_numerical_gradient(lambda a: np.sum(a ** 3), x), 3 * x ** 2) < 1e-7
    assert gradcheck.rel_error(gradcheck.eval_numerical_gradient_array(np.sin, x, dout), np.cos(x) * dout) < 1e-7
    assert np.array_equal(x, before)  # restored after nudging
    with pytest.raises(ValueError, match="float64"):
        gradcheck.eval_numerical_gradient(np.sum, x.astype(np.float32))


def test_plot_gradient_error_draws_a_tile_per_slice():
    import matplotlib
    matplotlib.use("Agg")
    a = np.zeros((2, 3, 4, 5))
    ax = gradcheck.plot_gradient_error(a, a + 1e-3)
    assert ax.images[0].get_array().shape == (8, 15)
    with pytest.raises(ValueError, match="shape"):
        gradcheck.plot_gradient_error(a, a[0])


def test_best_time():
    assert 0 <= timing.best_time(sorted, [3, 1, 2], repeat=2, number=3) < 1
    with pytest.raises(ValueError, match="repeat"):
        timing.best_time(sorted, [], repeat=0)
