"""What can go wrong, by whose doing: the operator's (UsageError), the grader's stopping a test (GradingStopped and its
kinds), the student's own exceptions; and errors in one line."""
import os
import sys


class UsageError(Exception):
    """A mistake in how a command was called: reported as one line, exit status 2."""


def first_line(err):
    """An exception in one line: the first line of its message, or its type's name when it has none."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def last_line(result):
    """The last line of what an nbgrader API call reported: its error, or else its log."""
    text = (result.get("error") or result.get("log") or "no message").strip()
    return text.splitlines()[-1]


class GradingStopped(BaseException):
    """Raised into a test when the grader has to stop it. A BaseException, so that no ``except Exception`` in a
    test swallows it and goes on as if the student's code had answered."""


class SandboxTimeout(GradingStopped):
    pass


class SandboxDied(GradingStopped):
    pass


class NotSupported(GradingStopped):
    """A test did something with the student's code that the grader cannot do safely: the test gets no points."""


class StudentError(Exception):
    """An exception raised by the student's code that is not one of Python's own types."""


class SandboxUnavailable(Exception):
    """bubblewrap is missing or cannot create a sandbox on this machine."""


class GraderFault(BaseException):
    """The grader failed on a submission through no doing of the student's (a sandbox that would not start before any
    of the student's code ran, a run that was killed while the job graded, nbgrader grading nothing):
    the grading process stops (``stop_process``) without a result, and the run grades the submission once more before
    it records the failure. A BaseException, so that no test's ``except Exception`` takes it for its own."""
    EXIT = 3  # the grading process's exit status when one stopped it


def stop_process(fault):
    """End this grading process over a GraderFault, at once: nbgrader reports any exception as the notebook's own
    failure, which would be graded 0."""
    print(f"autograder: {fault}", file=sys.stderr, flush=True)
    os._exit(GraderFault.EXIT)
