"""Grade one (student, assignment) with nbgrader in a course folder of its own.

``run(spec, zygote)`` is the body of one grading process: executor.py forks it, fresh for each submission, from a
server process that has already imported nbgrader, NumPy and torch (so a submission costs no import time). The
trusted side of the tests runs in this process; the student's code runs in processes forked by the warm zygote the
executor lent it (execute.py, zygote.py). SPEC is the dict that ``run.grade_all`` builds for each submission, with
the course folder the executor gave this try. Everything this process writes stays in that folder; its result,
written last with a rename, exists only for a submission graded to the end, and the run copies it into OUT.
"""
import os
import shutil
import sys
from pathlib import Path

from ..course import notebooks
from ..errors import GraderFault, last_line, stop_process
from ..results.feedback import describe
from ..limits import Limits
from .nbgrader_app import nbgrader_api, scores_of, share_engines, warm_gradebook, written_points
from ..sandbox.procs import alive
from ..sandbox.protocol import CAPS
from ..results import JobResult, NotebookResult


def preload():
    """What every grading process needs, imported once in the server that forks them."""
    import atexit
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import nbformat
    import numpy  # noqa: F401
    from nbformat.validator import get_validator
    from nbgrader.apps import NbGraderAPI  # noqa: F401
    from nbgrader.api import Gradebook  # noqa: F401
    from nbgrader.converters import Autograde  # noqa: F401
    from . import execute  # noqa: F401
    # first uses, paid here once rather than in every job: nbformat's schema validators (strict, and relaxed for
    # nbconvert's steps), the gradebook's SQLAlchemy set-up
    for relax in (False, True):
        get_validator(4, nbformat.v4.nbformat_minor, relax_add_props=relax)
    warm_gradebook()
    share_engines()
    try:
        import torch  # noqa: F401
        # imported by the first backward() (0.3 s, sympy): once here, not in every job that checks a gradient
        import torch.fx.experimental.symbolic_shapes  # noqa: F401
        import cnntools.checks  # noqa: F401
    except ImportError:
        pass
    # The server ends when the run does. Unwinding torch, SQLAlchemy and the rest took it up to a second, while it
    # held the run's stderr open: a caller that reads the run's output to its end waited that long for nothing.
    # Registered last, so run first; a forked job leaves through os._exit, without atexit.
    atexit.register(os._exit, 0)


def run(spec, zygote=None):
    """Entry point of a forked grading process; `zygote` is the warm one the run lent it (zygote.Pool), or None."""
    import signal
    from ..sandbox.zygote import set_parent_death_signal
    set_parent_death_signal()  # if the grading run is killed, so is this process (and its sandbox)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # ^C is for the run, which stops this process itself
    os.environ["AUTOGRADER_SANDBOX"] = spec.get("sandbox", "bwrap")  # as the executor resolved it
    log = Path(spec["log"])
    log.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.stdout = open(1, "w", buffering=1, closefd=False)
    sys.stderr = open(2, "w", buffering=1, closefd=False)
    try:
        import torch
        torch.set_num_threads(spec["limits"]["threads"])
    except ImportError:
        pass
    try:
        main(spec, zygote)
    except GraderFault as fault:
        stop_process(fault)


def main(spec, zygote=None):
    from nbgrader.api import Gradebook, MissingEntry
    import nbformat

    student, assignment = spec["student"], spec["assignment"]
    root = Path(spec["work"])
    shutil.rmtree(root, ignore_errors=True)
    submitted = root / "submitted" / student / assignment
    submitted.mkdir(parents=True)
    shutil.copy(spec["template"], root / "gradebook.db")
    for name, path in spec["notebooks"].items():
        shutil.copy(path, submitted / f"{name}.ipynb")

    reason, graded = None, {}
    if spec["notebooks"]:  # nothing to run when every notebook of the submission is missing or unreadable
        api = nbgrader_api(root, Limits.from_json(spec["limits"]), zygote)
        graded = api.autograde(assignment, student, force=True, create=True)
        if not graded["success"]:
            reason = "nbgrader could not grade this submission: " + last_line(graded)

    result = JobResult(student, assignment, spec["key"], spec["submission_hash"],
                       log=(graded.get("log") or "")[-CAPS["log"]:])
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for nb_name in notebooks(assignment):
            notebook = gb.find_notebook(nb_name, assignment)
            entry = NotebookResult.zero(notebook.max_score, reason, written_points(notebook))
            path = root / "autograded" / student / assignment / f"{nb_name}.ipynb"
            try:
                submission = gb.find_submission_notebook(nb_name, assignment, student)
            except MissingEntry:
                submission = None
            if nb_name not in spec["notebooks"]:
                entry.reason = reason or spec["problems"].get(nb_name) or f"{nb_name}.ipynb was not submitted"
            elif not reason and (submission is None or not path.exists()):
                raise GraderFault(f"nbgrader reported success but graded no {nb_name}.ipynb")
            elif submission is not None and path.exists() and not reason:
                nb = nbformat.read(path, as_version=4)
                entry.score = float(submission.score or 0)
                entry.tests, entry.errors = describe(nb, scores_of(submission))
                entry.notices = list(nb.metadata.get("autograder", {}).get("notices", []))
                if nb_name in spec["renamed"]:
                    handed_in = spec["renamed"][nb_name]
                    entry.notices.insert(0, f"Your notebook {handed_in} was graded as {nb_name}.ipynb, " + (
                        f"from the one folder inside {assignment}/ that holds notebooks." if "/" in handed_in else
                        "the only notebook in the folder."))
            result.notebooks[nb_name] = entry
    if not alive(spec["run_pid"]):  # killed: its zygotes died with it, and the student's process, seen dying, with them
        raise GraderFault("the grading run was stopped while this submission was graded")
    result.save(root)  # beside the graded notebooks, last: the run takes both from here (executor.Graded)
