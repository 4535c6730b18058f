"""The class gradebook: OUT/gradebook.db, in nbgrader's own format, so that nbgrader's formgrader and `nbgrader
export` see every submission a grading run graded (formgrader.py writes the rest of that course folder).

Only the run's parent process writes it, when it writes grades.csv: each job grades on a gradebook of its own
(nbgrader_app.template_gradebook), so sqlite is never written by two grading processes. The automatic grades go in
as nbgrader's ``auto_score``; the scores and comments a person gives in formgrader (``manual_score``,
``extra_credit``, ``manual_comment``) are never written here, so a regrade keeps them, and ``with_hand_grades``
reads them back into the results from which the pages and grades.csv are made.

A written answer that changed since a person graded it is flagged for grading again, as nbgrader's autograde flags
every hand-graded cell it grades again (``needs_manual_grade``): formgrader lists it among those to grade, and it
counts as pending (0) until a person saves its grade, which clears the flag. The digest of each written answer last
recorded is kept beside the gradebook (``ANSWERS``), since nbgrader's tables have no column for it.
"""
import copy
import json
import warnings
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy.exc import SAWarning

from ..errors import UsageError
from ..files import write_atomic
from .nbgrader_app import new_gradebook

CELL_KINDS = ("grade_cells", "solution_cells", "task_cells", "source_cells")
# What each kind of cell carries besides its name and notebook (nbgrader's columns).
COLUMNS = {"grade_cells": ("max_score", "cell_type"), "solution_cells": (),
           "task_cells": ("max_score", "cell_type"), "source_cells": ("cell_type", "locked", "source", "checksum")}


def cells_of(notebook):
    """An nbgrader Notebook's cells: {kind: {name: its columns}}."""
    return {kind: {c.name: tuple(getattr(c, column) for column in COLUMNS[kind]) for c in getattr(notebook, kind)}
            for kind in CELL_KINDS}


def db_path(out):
    return Path(out) / "gradebook.db"


ANSWERS = ".written-answers.json"  # {"student/assignment/notebook/cell": digest of the answer last recorded}


class ClassGradebook:
    """The run's OUT/gradebook.db, open for one pass over the results (a context manager)."""

    def __init__(self, out, templates):
        self.templates = templates  # assignment -> the gradebook its jobs graded on (knows its cells)
        self.out = Path(out)
        self.gb = None
        self.synced = set()
        self.recorded = set()  # the results recorded through this object (a run records each as it comes)
        self.answers, self.answers_changed = {}, False
        self.regrades = 0      # written answers graded by hand that changed since: pending again (with_hand_grades)

    def __enter__(self):
        self.out.mkdir(parents=True, exist_ok=True)
        if not db_path(self.out).exists():
            new_gradebook(db_path(self.out))
        self.gb = Gradebook(f"sqlite:///{db_path(self.out)}")
        try:
            self.answers = json.loads((self.out / ANSWERS).read_text())
        except (OSError, ValueError):
            self.answers = {}
        return self

    def __exit__(self, *exc):
        self.gb.close()
        if self.answers_changed:
            write_atomic(self.out / ANSWERS, json.dumps(self.answers, indent=0, sort_keys=True))

    def prepare(self, assignments):
        """Check, before grading, that each assignment's cells fit what the gradebook recorded."""
        for assignment in assignments:
            self._sync(assignment)

    def _sync(self, assignment):
        """The assignment's cells as its source defines them now (nbgrader's SaveCells does the same on release);
        like SaveCells, refuse to add or remove cells once submissions of them are recorded."""
        if assignment in self.synced:
            return
        with Gradebook(f"sqlite:///{self.templates[assignment]}") as template:
            wanted = template.find_assignment(assignment)
            self.gb.update_or_create_assignment(assignment)
            for notebook in wanted.notebooks:
                try:
                    have = self.gb.find_notebook(notebook.name, assignment)
                except MissingEntry:
                    have = None
                recorded, source = (cells_of(have) if have is not None else None), cells_of(notebook)
                if recorded == source:
                    continue  # as recorded (every run after the first): nothing to write
                if have is not None and have.submissions and any(
                        recorded[kind].keys() != source[kind].keys() for kind in CELL_KINDS):
                    raise UsageError(f"the cells of {assignment}/{notebook.name} changed since {db_path(self.out)} "
                                     "recorded submissions of it: grade into a new --out folder")
                if have is not None and not have.submissions:
                    self.gb.remove_notebook(notebook.name, assignment)
                    have = None
                if have is None:
                    self.gb.add_notebook(notebook.name, assignment)
                for kind in CELL_KINDS:
                    create = getattr(self.gb, "update_or_create_" + kind[:-1])
                    for cell in getattr(notebook, kind):
                        create(cell.name, notebook.name, assignment,
                               **{column: getattr(cell, column) for column in COLUMNS[kind]})
        self.synced.add(assignment)

    def record(self, result):
        """A results.JobResult's automatic grades, as nbgrader's auto_score; a person's grades stay as they are."""
        mark = (result.student, result.assignment, result.key, result.submission_hash)
        if mark in self.recorded:
            return
        self._sync(result.assignment)
        self.gb.update_or_create_student(result.student)
        try:
            submission = self.gb.find_submission(result.assignment, result.student)
        except MissingEntry:
            with warnings.catch_warnings():  # nbgrader's add_submission trips SQLAlchemy 2's autoflush warnings
                warnings.simplefilter("ignore", SAWarning)
                submission = self.gb.add_submission(result.assignment, result.student)
        for notebook in submission.notebooks:
            found = result.notebooks.get(notebook.name)
            tests = {t.name: t for t in found.tests} if found else {}
            for grade in notebook.grades:
                test = tests.get(grade.name)
                # a test that did not run (the notebook was not handed in, the grader stopped) scores 0
                grade.auto_score = None if test is not None and test.pending else (test.score if test else 0.0)
                regrade = False
                if test is not None and test.written and test.answer:
                    key = f"{result.student}/{result.assignment}/{notebook.name}/{grade.name}"
                    changed = self.answers.get(key, test.answer) != test.answer
                    if self.answers.get(key) != test.answer:
                        self.answers[key], self.answers_changed = test.answer, True
                    # graded by hand, then changed: to grade again (flagged until a person saves a grade)
                    by_hand = grade.manual_score is not None or bool(grade.extra_credit)
                    regrade = by_hand and (changed or grade.needs_manual_grade) and test.pending
                grade.needs_manual_grade = (grade.auto_score is None and grade.manual_score is None) or regrade
        self.gb.db.commit()
        self.recorded.add(mark)

    def with_hand_grades(self, result):
        """A copy of a results.JobResult with the scores and comments people gave in formgrader."""
        result = copy.deepcopy(result)
        try:
            submission = self.gb.find_submission(result.assignment, result.student)
        except MissingEntry:
            return result
        for notebook in submission.notebooks:
            found = result.notebooks.get(notebook.name)
            if found is None:
                continue
            grades = {g.name: g for g in notebook.grades}
            for test in found.tests:
                grade = grades.get(test.name)
                if grade is None or (grade.manual_score is None and not grade.extra_credit):
                    continue
                if test.written and grade.needs_manual_grade:  # changed since it was graded: pending again
                    test.message = (f"You changed this answer after it was graded ({float(grade.manual_score or 0):g} "
                                    "points): your grader will grade it again.")
                    self.regrades += 1
                    continue
                base = test.score if grade.manual_score is None else float(grade.manual_score)
                test.score = base + float(grade.extra_credit or 0)
                test.by_hand, test.pending = True, False
                test.passed = test.score >= test.max_score
            found.comments = {c.name: c.manual_comment for c in notebook.comments if c.manual_comment}
            if found.tests:
                found.score = sum(t.score for t in found.tests)
        return result
