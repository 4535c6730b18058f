"""Visible tests that explain themselves: compare a student's answer with the expected one and, when they differ,
say which common mistake the wrong answer points to."""
import numbers
import re
import sys
from collections.abc import Hashable

import numpy as np

from . import unwritten
from .evidence import WrongArray


def require_int(name, value, minimum):
    """Raise ValueError naming ``name`` unless ``value`` is an int (not a bool) of at least ``minimum``.

    The argument check of the assignments' int arguments (sizes, strides, paddings): given, not graded.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")


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


# ---------------------------------------------------------------------------------------------------------------
# Arrays: the NumPy assignments (forward passes, backpropagation).

class ReturnedNone(AssertionError):
    """The answer to check is None: a missing ``return``, or a result an earlier failing case never computed."""


_SHOW_UP_TO = 24  # arrays with at most this many entries are printed whole in a failure message


def check_array(what, got, want, candidates=None, rtol=1e-7, atol=1e-12):
    """Assert that the array ``got`` equals ``want`` up to rounding; otherwise raise AssertionError naming the case
    and, where it can tell, the mistake behind the wrong answer.

    what:       the case in words, e.g. ``"conv2d_forward(x, w, b, stride=2)"``.
    got:        the answer to check: an array of any shape, or anything ``np.asarray`` turns into one.
    want:       the expected array, of some shape S.
    candidates: optional ``{explanation: wrong}``: ``wrong`` is either the array a known mistake returns for this case
                (any shape) or a shape (tuple of ints) that only that mistake produces. A wrong answer that matches
                one gets its explanation in the message.
    rtol, atol: ``got`` passes when it has shape S and every ``|got - want| <= atol + rtol * max|want|``; the scale
                is the largest entry of ``want``, so entries that are nearly zero do not demand extra digits.
    """
    want = np.asarray(want, dtype=np.float64)
    if got is None:
        raise ReturnedNone(f"{what} returned None: is the `return` statement missing?")
    if isinstance(got, (tuple, list)) and len(got) and all(isinstance(g, np.ndarray) for g in got):
        raise AssertionError(f"{what} returned a {type(got).__name__} of {len(got)} arrays, "
                             f"expected one array of shape {want.shape}")
    try:
        arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise AssertionError(f"{what} returned a {type(got).__name__}, expected an array of shape {want.shape}") \
            from None
    tol = atol + rtol * (float(np.max(np.abs(want))) if want.size else 0.0)
    if arr.shape == want.shape and (want.size == 0 or float(np.max(np.abs(arr - want))) <= tol):
        return
    hint, index = _candidate(arr, candidates, rtol), None
    if arr.shape != want.shape:
        message = f"{what} returned an array of shape {arr.shape}, expected {want.shape}"
        hint = hint or _shape_hint(arr.shape, want.shape)
    elif not np.all(np.isfinite(arr)):
        message = f"{what} contains NaN or inf"
        hint = hint or "look for a division by zero or an uninitialised array (np.empty)"
    else:
        diff = np.abs(arr - want)
        bad = np.argwhere(diff > tol)
        where = index = tuple(int(i) for i in bad[0])
        message = (f"{what} is wrong in {len(bad)} of {want.size} entries, e.g. at index {where}: "
                   f"got {arr[where]:.6g}, expected {want[where]:.6g}")
        hint = hint or _value_hint(arr, want, tol)
    if want.size <= _SHOW_UP_TO and arr.size <= _SHOW_UP_TO:
        message += f"\n  got:      {np.array2string(arr.ravel(), precision=6, separator=', ')}" \
                   f"\n  expected: {np.array2string(want.ravel(), precision=6, separator=', ')} (flattened)"
    raise WrongArray(f"{message}\n  likely cause: {hint}" if hint else message, what, arr, want, tol, index)


def random_arrays(seed=0, **shapes):
    """Arrays of standard normal entries with the given shapes, in order, from ``np.random.default_rng(seed)``:
    ``x, w, b = random_arrays(seed=0, x=(1, 2, 5, 5), w=(3, 2, 3, 3), b=(3,))``. The inputs of a failing case's
    repro line (see ``cnntools.evidence``)."""
    rng = np.random.default_rng(seed)
    arrays = tuple(rng.standard_normal(shape) for shape in shapes.values())
    return arrays[0] if len(arrays) == 1 else arrays


def _candidate(arr, candidates, rtol):
    """The explanation of the first known-wrong answer that ``arr`` matches, or None."""
    for explanation, wrong in (candidates or {}).items():
        if isinstance(wrong, tuple) and all(isinstance(n, int) for n in wrong):
            if arr.shape == wrong:
                return explanation
            continue
        wrong = np.asarray(wrong, dtype=np.float64)
        if wrong.shape == arr.shape and np.all(np.isfinite(arr)):
            scale = float(np.max(np.abs(wrong))) if wrong.size else 0.0
            if wrong.size == 0 or float(np.max(np.abs(arr - wrong))) <= 1e-12 + max(rtol, 1e-6) * scale:
                return explanation
    return None


def _shape_hint(got, want):
    if sorted(got) == sorted(want):
        return "the right sizes in the wrong order: are two axes swapped (H and W, or N and C)?"
    if len(got) != len(want):
        return f"{len(got)} axes instead of {len(want)}: was an axis summed away, or one too few?"
    if int(np.prod(got)) == int(np.prod(want)):
        return "the right number of entries in the wrong shape: check the reshape"
    return None


def _value_hint(arr, want, tol):
    if float(np.max(np.abs(arr))) <= tol:
        return "the answer is all zeros: is the result ever filled in?"
    if float(np.max(np.abs(arr + want))) <= tol:
        return "the sign is flipped"
    if arr.ndim >= 2 and arr.shape[-1] == arr.shape[-2] and \
            float(np.max(np.abs(arr - np.swapaxes(want, -1, -2)))) <= tol:
        return "the last two axes (H and W) are transposed"
    if arr.ndim >= 2 and float(np.max(np.abs(arr - want[..., ::-1, ::-1]))) <= tol:
        return ("the last two axes are reversed (the answer is rotated by 180 degrees): is a filter flipped where "
                "it should not be, or not flipped where it should?")
    for axis in (-1, -2):
        if arr.ndim >= -axis and arr.shape[axis] > 2:
            for step in (1, -1):
                moved, kept = (slice(step, None), slice(None, -step)) if step > 0 else (slice(None, step),
                                                                                        slice(-step, None))
                index = [slice(None)] * arr.ndim
                a, b = list(index), list(index)
                a[axis], b[axis] = moved, kept
                if float(np.max(np.abs(arr[tuple(a)] - want[tuple(b)]))) <= tol < \
                        float(np.max(np.abs(want[tuple(a)] - want[tuple(b)]))):  # want itself does not repeat
                    return (f"the answer is shifted by one {'column' if axis == -1 else 'row'}: an index off by one, "
                            "or the padding on one side only?")
    if np.allclose(np.sort(arr, axis=None), np.sort(want, axis=None), rtol=0, atol=tol):
        return ("the right values in the wrong places: are two axes swapped or one reversed, or does a reshape "
                "read them in the wrong order?")
    norm = float(np.sum(want * want))
    if norm > 0:
        factor = float(np.sum(arr * want)) / norm
        if abs(factor - 1) > 1e-6 and float(np.max(np.abs(arr - factor * want))) <= tol + 1e-9 * abs(factor):
            return f"every entry is {factor:.6g} times the expected one: check what you divide or multiply by"
    return None


def check_tuple(what, got, names):
    """Assert that ``got`` is a tuple (or list) of ``len(names)`` results, e.g. ``("dx", "dw", "db")``; return it."""
    if not isinstance(got, (tuple, list)) or len(got) != len(names):
        kind = f"a {type(got).__name__}" if not isinstance(got, (tuple, list)) else f"{len(got)} values"
        raise AssertionError(f"{what} should return the tuple ({', '.join(names)}), got {kind}")
    return tuple(got)


def check_raises(what, function, *args, names=(), error=ValueError, **kwargs):
    """Assert that ``function(*args, **kwargs)`` raises ``error`` whose message names one of ``names`` as a word.

    what:  the call in words, e.g. ``"conv2d_forward(x, w, b, stride=0)"``.
    names: the arguments the message may blame, e.g. ``("stride",)``; empty to accept any message.
    """
    try:
        function(*args, **kwargs)
    except error as e:
        message = str(e)
        if names and not any(re.search(rf"(?<![\w.]){re.escape(n)}(?!\w)", message) for n in names):
            raise AssertionError(f"{what} raised {error.__name__}({message!r}): good, but the message should name "
                                 f"the argument at fault ({' or '.join(map(repr, names))})") from None
        return
    except Exception as e:  # noqa: BLE001 (the point is to report whatever else happened)
        if unwritten.function_of(e):  # not a wrong error: a function not written yet, which the test says once
            raise
        raise AssertionError(f"{what} raised {type(e).__name__}({e}), expected {error.__name__} "
                             f"naming {' or '.join(map(repr, names)) or 'the argument at fault'}") from e
    raise AssertionError(f"{what} returned normally, expected {error.__name__} naming "
                         f"{' or '.join(map(repr, names)) or 'the argument at fault'}")


def check_unchanged(what, array, original):
    """Assert that a function left its input ``array`` equal to ``original``, a copy taken before the call."""
    if not np.array_equal(np.asarray(array), np.asarray(original)):
        raise AssertionError(f"{what} changed its input in place: compute the result in a new array "
                             "(the caller still needs the old values, for instance for the backward pass)")


# ---------------------------------------------------------------------------------------------------------------
# Code that must run where the student's functions live.

def run_in_student_process(source, **values):
    """Run ``source`` beside the student's names, with ``values`` bound too, and return its variable ``result``.

    In a notebook the student's names are the notebook's own, so this runs in place, in the namespace of the cell
    that called it. The grader replaces it with a version that runs ``source`` in the student's sandboxed process
    (the values cross as data), for tests that must change or observe the student's world there.
    """
    frame = sys._getframe(1)
    while frame.f_back is not None and str(frame.f_globals.get("__name__", "")).startswith("cnntools"):
        frame = frame.f_back
    scope = dict(frame.f_globals, **values)
    exec(source, scope)
    return scope.get("result")


_PRETEND = """
import torch
saved = torch.cuda.is_available, torch.backends.mps.is_available
torch.cuda.is_available, torch.backends.mps.is_available = (lambda: cuda), (lambda: mps)
try:
    result = globals()[function_name]()
finally:
    torch.cuda.is_available, torch.backends.mps.is_available = saved
"""


def on_machine(function_name, cuda, mps):
    """What the notebook's ``function_name()`` returns on a machine where CUDA and Apple's MPS are available as
    given: torch's two availability checks are swapped out for the call, in the process where the function lives."""
    return run_in_student_process(_PRETEND, function_name=function_name, cuda=cuda, mps=mps)


_COUNT_LINES = """
import sys

def _lines_run(function, args):
    count = 0
    def tracer(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return tracer
    before = sys.gettrace()
    sys.settrace(tracer)
    try:
        function(*args)
    finally:
        sys.settrace(before)
    return count

result = [_lines_run(globals()[function_name], args) for args in calls]
"""

LOOP_SLACK = 16  # Python lines a loop-free function may add between the two sizes (library code that branches)


def check_loop_free(what, function_name, small, large, sizes):
    """Assert that the function called ``function_name`` has no Python loop over output positions.

    It counts the Python lines the function runs (``sys.settrace``) on the arguments ``small`` and on ``large``
    (tuples of arguments that differ only in the image size), in the student's process. A loop-free version runs
    as many lines on both; a loop over output positions runs more lines the more positions there are. A loop over
    the taps of the filter (the same on both) is fine. ``sizes`` names the two output sizes for the message, e.g.
    ``("2x2", "16x16")``. Nothing is timed.
    """
    lines = run_in_student_process(_COUNT_LINES, function_name=function_name, calls=[tuple(small), tuple(large)])
    few, many = (int(n) for n in lines)
    if many - few > LOOP_SLACK:
        raise AssertionError(f"{what} ran {few:,} Python lines for a {sizes[0]} output and {many:,} for a "
                             f"{sizes[1]} output: a Python loop over output positions, where the docstring asks "
                             "for none (vectorize it; a loop over the filter's taps is fine)")
