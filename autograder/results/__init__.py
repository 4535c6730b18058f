"""What grading found, as typed results that own their forms: the JSON file a run keeps per (student, assignment),
the rows of grades.csv and Gradescope's results.json (as otter's GradingResults owns its Gradescope form).

The results package: these results and what is made of them (the feedback pages, the graded notebooks kept for
formgrader).

May import: base, sandbox.

A run keeps one JSON file per (student, assignment), written with a rename, and one feedback page per notebook;
grades.csv and the pages are made from the JSON files (and the late-work rule, which is never stored in them).
"""
import dataclasses
import json
from pathlib import Path

from ..files import write_atomic
from ..sandbox.protocol import CAPS


@dataclasses.dataclass
class TestResult:
    """One test cell: its points, and what the student is told when it lost some."""
    __test__ = False  # not a pytest class, whatever its name
    name: str
    score: float
    max_score: float
    passed: bool
    message: str = ""            # every failing case, or the error; never the hidden tests' code
    output: str = ""             # what the test printed
    stderr: str = ""             # warnings: shown, never costing points
    student_traceback: str = ""  # where it failed in the student's code
    visible_source: str = dataclasses.field(default="", repr=False)  # the test as released, for the page
    written: bool = False        # a written answer, graded by hand (in formgrader), never by the grader
    pending: bool = False        # a written answer nobody has graded yet: it counts 0 until then
    by_hand: bool = False        # the score was given by a person (formgrader), not by the test
    answer: str = ""             # a written answer's digest: a changed answer is graded by hand again
    cases: list = dataclasses.field(default_factory=list, repr=False)  # the failing cases, for the page (feedback.py)

    def gradescope(self, notebook):
        output = self.message or "passed"
        if self.student_traceback:
            output += "\n\nWhere it happened in your code:\n" + self.student_traceback
        return {"name": f"{notebook}: {self.name}", "score": self.score, "max_score": self.max_score,
                "status": "passed" if self.passed else "failed", "output": output[:CAPS["gradescope"]],
                "visibility": "visible"}


@dataclasses.dataclass
class CellError:
    """A student's cell (or a setup cell run with the student's values) that raised."""
    name: str
    message: str
    traceback: str = ""


@dataclasses.dataclass
class NotebookResult:
    score: float
    max_score: float
    reason: str | None = None    # why the whole notebook scores 0 (not handed in, unreadable, the grader stopped)
    tests: list = dataclasses.field(default_factory=list)    # of TestResult, in notebook order
    errors: list = dataclasses.field(default_factory=list)   # of CellError
    notices: list = dataclasses.field(default_factory=list)  # of str: what the grader did with the notebook
    written_max: float = 0.0     # the points of written answers, graded by hand (part of max_score)
    comments: dict = dataclasses.field(default_factory=dict)  # answer cell -> a person's comment (formgrader)

    @classmethod
    def zero(cls, max_score, reason, written_max=0.0):
        return cls(0.0, float(max_score), reason, written_max=float(written_max))

    @property
    def pending(self):
        """The written answers nobody has graded yet."""
        return [t for t in self.tests if t.pending]

    def gradescope(self, notebook):
        """(Gradescope tests, notes for the summary) of this notebook: the autograded part only, since written
        answers are graded by hand in Gradescope's own questions."""
        if self.reason or not self.tests:
            return [{"name": notebook, "score": 0.0, "max_score": self.max_score - self.written_max,
                     "status": "failed", "output": self.reason or "not graded", "visibility": "visible"}], \
                list(self.notices)
        notes = list(self.notices) + [f"Your cell {e.name} failed: {e.message}" for e in self.errors]
        return [t.gradescope(notebook) for t in self.tests if not t.written], notes

    @classmethod
    def from_json(cls, data):
        return cls(**{**data, "tests": [TestResult(**t) for t in data["tests"]],
                      "errors": [CellError(**e) for e in data["errors"]]})


@dataclasses.dataclass
class JobResult:
    """Everything one grading job found for one (student, assignment)."""
    student: str
    assignment: str
    key: str               # the grader, the assignment's source and the limits it was graded with
    submission_hash: str   # what was handed in
    notebooks: dict = dataclasses.field(default_factory=dict)  # notebook name -> NotebookResult
    log: str = ""          # the end of nbgrader's log, for the instructor

    @property
    def score(self):
        return sum(nb.score for nb in self.notebooks.values())

    @property
    def max_score(self):
        return sum(nb.max_score for nb in self.notebooks.values())

    def rows(self, late=None):
        """Its rows of grades.csv: student, assignment, notebook, score, max_score, and with a late.Late, the days
        late, the points it takes and the score left."""
        rows = []
        for name, nb in sorted(self.notebooks.items()):
            row = [self.student, self.assignment, name, f"{nb.score:g}", f"{nb.max_score:g}"]
            if late is not None:
                taken = round(nb.score * late.fraction, 6)
                row += [late.days, f"{taken:g}", f"{nb.score - taken:g}"]
            rows.append(row)
        return rows

    def gradescope(self):
        """Gradescope's results.json."""
        tests, notes = [], []
        for name, nb in sorted(self.notebooks.items()):
            more_tests, more_notes = nb.gradescope(name)
            tests += more_tests
            notes += more_notes
        score, maximum = sum(t["score"] for t in tests), sum(t["max_score"] for t in tests)
        lines = [f"{self.assignment}: {score:g} / {maximum:g}"] + notes
        return {"score": score, "output": "\n".join(lines), "tests": tests, "visibility": "visible",
                "stdout_visibility": "hidden"}

    def to_json(self):
        return dataclasses.asdict(self)  # recurses into the notebooks' and tests' dataclasses

    @classmethod
    def from_json(cls, data):
        return cls(**{**data, "notebooks": {n: NotebookResult.from_json(nb) for n, nb in data["notebooks"].items()}})

    def save(self, out):
        write_atomic(result_path(out, self.student, self.assignment), json.dumps(self.to_json(), indent=1))

    @classmethod
    def load(cls, out, student, assignment):
        """The result a run saved, or None (never graded, or a file this version cannot read)."""
        try:
            return cls.from_json(json.loads(result_path(out, student, assignment).read_text()))
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None


def result_path(out, student, assignment):
    return Path(out) / ".results" / assignment / f"{student}.json"


def feedback_path(out, student, assignment, notebook):
    return Path(out) / "feedback" / student / assignment / f"{notebook}.html"
