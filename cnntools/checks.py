"""Visible tests that explain themselves: compare a student's answer with the expected one and, when they differ,
say which common mistake the wrong answer points to."""
import numbers
from collections.abc import Hashable


def expect(what, got, want, hints=None):
    """Assert ``got == want`` for a scalar or tuple answer; otherwise raise AssertionError naming the case.

    what:  the case in words, e.g. ``"conv_output_size(32, 5)"``.
    hints: optional ``{wrong_answer: explanation}`` for the mistakes that produce a known wrong answer.
    """
    if isinstance(got, numbers.Real) and not isinstance(got, numbers.Integral) and not isinstance(got, bool):
        raise AssertionError(f"{what} returned {got!r}, a {type(got).__name__}: sizes and counts are ints "
                             "(use floor division // rather than /)")
    if got == want:
        return
    message = f"{what} returned {got!r}, expected {want!r}"
    hint = hints.get(got) if hints and isinstance(got, Hashable) else None
    raise AssertionError(f"{message}: {hint}" if hint else message)
