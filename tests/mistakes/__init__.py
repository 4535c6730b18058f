"""Plausible wrong answers, one graded function wrong at a time: each must cost points through the real grader.

Each module here is named after an assignment and holds ``MISTAKES``, a list of :class:`Mistake`.
"""
from dataclasses import dataclass


def variant(template, *changes):
    """``template`` with each ``(old, new)`` of ``changes`` applied; ``old`` must occur in it."""
    for old, new in changes:
        assert old in template, f"{old!r} is not in the template"
        template = template.replace(old, new)
    return template


@dataclass(frozen=True)
class Mistake:
    name: str      # short id (letters, digits, '-'): the student id of this submission in the grading run
    function: str  # the graded function it replaces, defined by exactly one solution cell
    source: str    # a complete, wrong definition of that function, as a student might write it
