"""Partial credit for a test cell: it runs every case, each case earns its share of the points, and the cell ends
with the :class:`Cases` object, whose value (its ``repr``) is the score nbgrader records.

A test cell reads::

    grade = Cases("conv_output_size", points=4)
    with grade("value"):
        checks.expect("conv_output_size(32, 5)", conv_output_size(32, 5), 28)
    with grade("bad stride"):
        checks.check_raises("conv_output_size(8, 3, stride=0)", conv_output_size, 8, 3, stride=0, names=("stride",))
    grade

Each case names its *kind*. The shares, the same for every function of the course:

* ``"bad ..."`` (an argument check and its message): ``ARGUMENTS`` of the points in all, split evenly per case;
* ``"vectorized"`` (no Python loop over output positions, where the docstring asks for it): ``VECTORIZED``;
* ``"value"`` (values on ordinary inputs): ``ORDINARY`` when the function has harder cases too, else the rest;
* every other kind (``"stride"``, ``"padding"``, ``"dilation"``, ``"ties"``, ``"float32"``, ...), the harder cases:
  the rest, split evenly per kind, then per case.

A case fails when its block raises an ``Exception`` (a failed check, or an error in the student's code); the failure
is printed at once and the cell goes on with the next case. A function not written yet is named once, and the
failures that follow are kept but not printed (:mod:`cnntools.unwritten`). Anything else (the grader stopping a test)
is not caught.
"""
import sys
from dataclasses import dataclass

from . import unwritten

ARGUMENTS = 0.10
VECTORIZED = 0.10
ORDINARY = 0.60

MESSAGE_LIMIT = 600  # characters of one failure as printed and recorded


def category(kind):
    """'arguments', 'vectorized', 'value' or 'harder'."""
    if kind.startswith("bad "):
        return "arguments"
    if kind in ("vectorized", "value"):
        return kind
    return "harder"


@dataclass
class Verdict:
    kind: str
    line: int               # line of the ``with`` in the test cell (tells the grader visible from hidden)
    passed: bool
    message: str = ""
    student_traceback: str = ""
    points: float = 0.0     # the case's share of the function's points, set when the cell is scored


class _Case:
    def __init__(self, cases, kind, what, line):
        self.cases, self.kind, self.what, self.line = cases, kind, what, line

    def __enter__(self):
        return self

    def __exit__(self, etype, exc, tb):
        if etype is None:
            self.cases.verdicts.append(Verdict(self.kind, self.line, True))
            return False
        if not issubclass(etype, Exception):
            return False
        self.cases.fail(self.kind, self.line, exc, self.what)
        return True


class Cases:
    """The cases of one function's test cell, and the score they earn (see the module docstring)."""

    def __init__(self, function, points):
        if not (isinstance(points, (int, float)) and points > 0):
            raise ValueError(f"points must be a positive number, got {points!r}")
        self.function, self.points = str(function), float(points)
        self.verdicts = []
        self.unwritten = None  # "f is not written yet", once a case found it: the failures after it follow from it

    def __call__(self, kind, what=None):
        """A case of ``kind``, as a ``with`` block; ``what`` describes it when its failure message would not."""
        if not isinstance(kind, str) or not kind:
            raise ValueError(f"kind must be a non-empty string, got {kind!r}")
        return _Case(self, kind, what, sys._getframe(1).f_lineno)

    def fail(self, kind, line, exc, what=None):
        said, stub = self.unwritten is not None, unwritten.function_of(exc)
        if isinstance(exc, AssertionError):
            message = str(exc)
        elif stub:  # said once for the cell; what fails after it (a result left None, ...) is not printed either
            message, what = unwritten.message(stub, self.function), None
            self.unwritten = self.unwritten or unwritten.message(stub)
        else:
            name = getattr(exc, "student_name", None) or type(exc).__name__
            message = f"your code raised {name}: {exc}"
        if what:
            message = f"{what}: {message}"
        if len(message) > MESSAGE_LIMIT:
            message = message[:MESSAGE_LIMIT] + " [...]"
        self.verdicts.append(Verdict(kind, line, False, message, str(getattr(exc, "student_traceback", ""))))
        if stub and not said:  # not a case gone wrong: nothing to try yet
            print(f"{message} (write it, then run this test again)")
        elif not said:
            print(f"FAILED [{kind}] {message}")

    def shares(self):
        """The points of each verdict, in order (they add up to ``points``)."""
        kinds = {}
        for v in self.verdicts:
            kinds.setdefault(category(v.kind), {}).setdefault(v.kind, []).append(v)
        whole = {c: s for c, s in (("arguments", ARGUMENTS), ("vectorized", VECTORIZED)) if c in kinds}
        rest = 1.0 - sum(whole.values())
        if "value" in kinds and "harder" in kinds:
            whole["value"], whole["harder"] = ORDINARY, rest - ORDINARY
        elif "value" in kinds or "harder" in kinds:
            whole["value" if "value" in kinds else "harder"] = rest
        elif whole:  # only checks of arguments or loops: they share all the points
            whole = {c: s / sum(whole.values()) for c, s in whole.items()}
        share = {}
        for cat, by_kind in kinds.items():
            if cat == "arguments":  # every argument case the same share, whatever its kind
                cases = [v for vs in by_kind.values() for v in vs]
                for v in cases:
                    share[id(v)] = whole[cat] / len(cases)
            else:
                for vs in by_kind.values():
                    for v in vs:
                        share[id(v)] = whole[cat] / len(by_kind) / len(vs)
        return [self.points * share[id(v)] for v in self.verdicts]

    def score(self):
        """The points earned: all of them when every case passed, else the passed cases' shares (never all)."""
        if not self.verdicts:
            return 0.0
        for v, points in zip(self.verdicts, self.shares()):
            v.points = points
        if all(v.passed for v in self.verdicts):
            return self.points
        earned = sum(v.points for v in self.verdicts if v.passed)
        return min(round(earned, 4), round(self.points - 1e-4, 4))

    def failures(self):
        self.score()
        return [v for v in self.verdicts if not v.passed]

    def __repr__(self):  # what nbgrader reads as the cell's partial credit: a bare number
        return f"{self.score():g}"

    def _repr_markdown_(self):  # what a student sees under the cell
        failed = self.failures()
        summary = f"**{self.function}: {self.score():g} of {self.points:g} points**"
        if not failed:
            return summary + f" (all {len(self.verdicts)} cases passed)"
        why = f": {self.unwritten}" if self.unwritten else " (printed above)"
        return summary + (f"; {len(failed)} of {len(self.verdicts)} cases failed{why}, worth "
                          f"{sum(v.points for v in failed):.3g} points")
