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
is printed at once, wrapped to ``WIDTH`` characters, and the cell goes on with the next case. Anything else (the
grader stopping a test) is not caught. The message says whose assertion failed (the test's check, or an ``assert``
in the student's own code), and a case whose result an earlier case never computed (because the student's function
raised) says so. A failing array case keeps its arrays (``cnntools.evidence``): in a notebook, its picture and the
lines that reproduce it are shown under its message; the grader draws them for the feedback page. A function not
written yet is named once, and the failures that follow are kept but not printed (:mod:`cnntools.unwritten`).
"""
import linecache
import os
import re
import sys
import textwrap
from dataclasses import dataclass

from . import evidence, unwritten
from .checks import ReturnedNone

ARGUMENTS = 0.10
VECTORIZED = 0.10
ORDINARY = 0.60

MESSAGE_LIMIT = 600  # characters of one failure as printed and recorded
WIDTH = 100          # characters per printed line: JupyterLab's output area at 1400 px does not wrap them
_LIBRARY = (os.path.dirname(os.path.abspath(__file__)), os.path.dirname(os.__file__))  # cnntools, the stdlib


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
    evidence: tuple = None  # a failing array case: (WrongArray, what the case checked, its input arrays by name)

    def picture(self, hidden=False):
        """The evidence.Picture of a failing array case (see cnntools.evidence), or None."""
        if self.evidence is None:
            return None
        error, what, _ = self.evidence
        return evidence.picture(what, error, hidden)

    def repro(self, hidden=False):
        """The lines that reproduce a failing case in the student's notebook, or ""."""
        if self.evidence is None:
            return ""
        _, what, inputs = self.evidence
        return evidence.repro(what, inputs, hidden)


class _Case:
    def __init__(self, cases, kind, what, line):
        self.cases, self.kind, self.what, self.line = cases, kind, what, line

    def __enter__(self):
        return self

    def __exit__(self, etype, exc, tb):
        if etype is None:
            self.cases.raised = None
            self.cases.verdicts.append(Verdict(self.kind, self.line, True))
            return False
        if not issubclass(etype, Exception):
            return False
        self.cases.fail(self.kind, self.line, exc, self.what, tb)
        return True


def _whose(exc, tb):
    """'student' when ``exc`` was raised in the student's code, else 'test' (a check of cnntools, or the test's own
    line). The grader marks the student's exceptions (``student_name``); in a notebook, the student's functions
    are the frames below the test's that live in the notebook's own namespace."""
    if getattr(exc, "student_name", None) or getattr(exc, "student_traceback", None):
        return "student"
    if tb is None:
        return "test"
    test_globals, tb = tb.tb_frame.f_globals, tb.tb_next
    while tb is not None:
        code = tb.tb_frame.f_code
        if tb.tb_frame.f_globals is test_globals and not code.co_filename.startswith(_LIBRARY):
            return "student"
        tb = tb.tb_next
    return "test"


def _assert_line(exc, tb):
    """The student's failing ``assert`` line, as text, or ""."""
    trace = getattr(exc, "student_traceback", None)
    if trace:
        lines = [line.strip() for line in str(trace).splitlines() if line.strip()]
        asserts = [line for line in lines if line.startswith("assert")]
        return asserts[-1] if asserts else ""
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return ""
    return linecache.getline(tb.tb_frame.f_code.co_filename, tb.tb_lineno, tb.tb_frame.f_globals).strip()


def _in_notebook():
    """Whether the cell runs in a Jupyter kernel (the student's notebook), where pictures can be shown."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def wrap(text, width=WIDTH):
    """``text`` with every line wrapped at word boundaries to ``width`` characters, continued with an indent."""
    out = []
    for line in str(text).splitlines() or [""]:
        indent = " " * (len(line) - len(line.lstrip()) + 2)
        out.append(textwrap.fill(line, width, subsequent_indent=indent, break_long_words=False,
                                 break_on_hyphens=False) if len(line) > width else line)
    return "\n".join(out)


class Cases:
    """The cases of one function's test cell, and the score they earn (see the module docstring)."""

    def __init__(self, function, points):
        if not (isinstance(points, (int, float)) and points > 0):
            raise ValueError(f"points must be a positive number, got {points!r}")
        self.function, self.points = str(function), float(points)
        self.verdicts = []
        self.raised = None  # what the student's code raised in the last case, while later cases lack its results
        self.unwritten = None  # "f is not written yet", once a case found it: the failures after it follow from it

    def __call__(self, kind, what=None):
        """A case of ``kind``, as a ``with`` block; ``what`` describes it when its failure message would not."""
        if not isinstance(kind, str) or not kind:
            raise ValueError(f"kind must be a non-empty string, got {kind!r}")
        return _Case(self, kind, what, sys._getframe(1).f_lineno)

    def fail(self, kind, line, exc, what=None, tb=None):
        said, stub = self.unwritten is not None, unwritten.function_of(exc)
        whose = _whose(exc, tb)
        raised = None
        if stub:  # said once for the cell; what fails after it (a result left None, ...) is not printed either
            message, what = unwritten.message(stub, self.function), None
            self.unwritten = self.unwritten or unwritten.message(stub)
        elif isinstance(exc, ReturnedNone) and self.raised and re.match(r"\w+ of ", str(exc)):
            message = f"{str(exc).split(' returned None')[0]} was not computed: {self.raised}"
            raised = self.raised
        elif isinstance(exc, AssertionError) and whose == "student":
            line_text = _assert_line(exc, tb)
            message = (f"an assert in your own code failed{f' ({line_text})' if line_text else ''}"
                       f"{f': {exc}' if str(exc) else ' (it gives no message)'}")
            raised = f"{self.function} raised AssertionError in an assert of your own code (see the case above)"
        elif isinstance(exc, AssertionError):
            message = str(exc) or "a check of the test failed (the test's own assert, with no message)"
            raised = "the case that calls it failed (see above)"
        else:
            name = getattr(exc, "student_name", None) or type(exc).__name__
            message = f"your code raised {name}: {exc}"
            if whose == "student":
                raised = f"{self.function} raised {name}: {str(exc)[:200]} (see the case above)"
        self.raised = raised
        if what:
            message = f"{what}: {message}"
        if len(message) > MESSAGE_LIMIT:
            message = message[:MESSAGE_LIMIT] + " [...]"
        proof = None
        if isinstance(exc, evidence.WrongArray):
            proof = (exc, exc.what, evidence.inputs_of(exc.what, tb.tb_frame.f_globals if tb else {}))
        verdict = Verdict(kind, line, False, message, str(getattr(exc, "student_traceback", "")), evidence=proof)
        self.verdicts.append(verdict)
        if stub and not said:  # not a case gone wrong: nothing to try yet
            print(f"{message} (write it, then run this test again)")
        elif not said:
            print(wrap(f"FAILED [{kind}] {message}"))
            if proof is not None and _in_notebook():
                self.show(verdict)

    def show(self, verdict):
        """A failing array case's repro and picture, under its message in the notebook."""
        lines = verdict.repro()
        if lines:
            print("  to reproduce it, paste under your function:\n" + textwrap.indent(lines, "    "))
        pic = verdict.picture()
        if pic is not None:
            from IPython.display import display
            display({"text/html": pic.html(), "text/plain": pic.alt}, raw=True)

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
