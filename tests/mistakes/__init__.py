"""Plausible wrong answers, one graded function wrong at a time: each must cost points through the real grader.

Each module here is named after an assignment and holds ``MISTAKES``, a list of :class:`Mistake`: small edits of
that assignment's solution cells, so that they follow the solutions as these change.
"""
from dataclasses import dataclass

from inprocess import answers


def variant(source, *edits, name="the source"):
    """``source`` with each ``(old, new)`` of ``edits`` made in turn; ``old`` must occur in it exactly once."""
    for old, new in edits:
        count = source.count(old)
        assert count == 1, f"{name}: {old!r} occurs {count} times, not once"
        source = source.replace(old, new)
    return source


@dataclass(frozen=True)
class Mistake:
    """A solution cell with a few edits: a plausible wrong answer (or a right one written another way)."""
    assignment: str
    name: str      # short id (letters, digits, '-'): the student id of this submission in the grading run
    function: str  # the graded function it replaces, defined by exactly one solution cell
    edits: tuple   # (old, new) pairs made in the solution cell of `function`

    @property
    def source(self):
        """The solution cell of ``function``, edited: a complete definition, as a student might write it."""
        return variant(answers(self.assignment)[self.function], *self.edits,
                       name=f"{self.name!r} ({self.assignment} {self.function})")


def edits_of(assignment):
    """The constructor of ``assignment``'s edited answers: ``edit(name, function, (old, new), ...)``."""
    return lambda name, function, *edits: Mistake(assignment, name, function, edits)
