"""nbgrader, set up for this course: an API bound to a course folder of our choosing, and the gradebook template.

Releasing uses nbgrader as it comes. Grading swaps two of its steps: ``Rebuild`` (rebuild.py) before its sanitizing
steps and ``SandboxExecute`` (execute.py) in place of its ``Execute``, so that no student code runs in the grader.
"""
import functools
import os
import shutil
import tempfile
from pathlib import Path

from ..course import ROOT, SOURCE, STUB
from ..errors import UsageError, last_line
from ..files import digest


def new_gradebook(path):
    """An empty gradebook at `path` (unless one is there) that nbgrader takes as its own: its schema version is
    nbgrader's head revision, read here. Given no database, nbgrader's Gradebook runs `alembic heads` in a
    subprocess for it, which imports nbgrader again: 3.3 s for every release, template and new class gradebook."""
    import sqlite3
    import nbgrader
    from alembic.script import ScriptDirectory
    path = Path(path)
    if path.exists():
        return
    (head,) = ScriptDirectory(str(Path(nbgrader.__file__).with_name("alembic"))).get_heads()
    fd, made = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    made = Path(made)
    try:
        with sqlite3.connect(made) as db:
            db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")  # nbgrader's own statements
            db.execute("INSERT INTO alembic_version (version_num) VALUES (?)", (head,))
        db.close()
        os.replace(made, path)  # the whole file or none
    finally:
        made.unlink(missing_ok=True)


def nbgrader_api(root, limits=None, zygote=None):
    """An nbgrader API for a course rooted at `root` whose source is this repository's solutions/; with `limits`
    (a limits.Limits), set up for grading, with the warm `zygote` if the run lent one. Each call gets its own root,
    and so its own gradebook, which keeps parallel grading jobs apart."""
    new_gradebook(Path(root) / "gradebook.db")
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.source_directory = str(SOURCE)
    config.CourseDirectory.db_url = f"sqlite:///{Path(root) / 'gradebook.db'}"
    config.ClearSolutions.code_stub = {"python": STUB}
    config.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    if limits is not None:
        from nbgrader import preprocessors as pp
        from .execute import SandboxExecute
        from .rebuild import Rebuild
        config.Autograde.sanitize_preprocessors = [Rebuild, pp.ClearOutput, pp.DeduplicateIds,
                                                   pp.OverwriteKernelspec, pp.OverwriteCells]
        config.OverwriteCells.add_missing_cells = True
        # no CheckCellMetadata: after Rebuild every cell's nbgrader metadata is the source's, which nbgrader checked
        # when it made the gradebook, each grade id once (and grading writes none); no LimitOutput: every output is
        # already capped where it is made (protocol.CAPS)
        config.Autograde.autograde_preprocessors = [SandboxExecute, pp.SaveAutoGrades, pp.AssignLatePenalties]
        config.SandboxExecute.limits = limits.to_json()
        config.SandboxExecute.zygote = zygote
    config.Application.log_level = "WARNING"
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def warm_gradebook():
    """Pay here, once, what nbgrader's gradebook costs on its first use in a process: SQLAlchemy configures its
    mappers and builds its loaders and its unit of work on the first query, insert and lazy load (0.2 s, which every
    grading job paid). Called in the server that forks the jobs, on a throw-away gradebook with a cell of each kind
    and one submission, whose grades are written and read as a job does."""
    import tempfile
    import warnings
    from nbgrader.api import Gradebook

    with tempfile.TemporaryDirectory(prefix="autograder-warm-") as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbgrader's own add_submission warns of objects not yet in its session
        path = Path(tmp) / "gradebook.db"
        new_gradebook(path)
        with Gradebook(f"sqlite:///{path}") as gb:
            gb.add_assignment("a")
            gb.add_notebook("n", "a")
            gb.add_grade_cell("g", "n", "a", max_score=1, cell_type="code")
            gb.add_solution_cell("s", "n", "a")
            gb.add_task_cell("t", "n", "a", max_score=1, cell_type="markdown")
            for name in ("g", "s", "t"):
                gb.add_source_cell(name, "n", "a", cell_type="code", source="", checksum="")
            gb.update_or_create_student("x")
            gb.update_or_create_submission("a", "x")
            gb.find_grade("g", "n", "a", "x").auto_score = 1
            gb.find_comment("s", "n", "a", "x").auto_comment = ""
            gb.db.commit()
            scores_of(gb.find_submission_notebook("n", "a", "x"))
            written_points(gb.find_notebook("n", "a"))
            gb.engine.dispose()  # no connection of the server's is inherited by the jobs


def share_engines():
    """One SQLAlchemy engine per database in this process. nbgrader opens a Gradebook, and so makes an engine, a
    dozen times while it grades one submission; SQLAlchemy keeps the SQL it compiled in the engine, so each one
    compiled the same statements again."""
    import nbgrader.api
    nbgrader.api.create_engine = functools.cache(nbgrader.api.create_engine)


def scores_of(submitted):
    """{test: (score, max score, waits for a person)} of an nbgrader SubmittedNotebook."""
    return {g.name: (float(g.score or 0), float(g.max_score), bool(g.needs_manual_grade)) for g in submitted.grades}


def written_points(notebook):
    """The points of an nbgrader Notebook's written answers (markdown grade cells), graded by hand."""
    return sum(c.max_score for c in notebook.grade_cells if c.cell_type == "markdown")


def template_gradebook(out, assignment):
    """A gradebook that knows the assignment's cells and hidden tests; each job grades on a copy of it.

    Made once per version of the assignment's source (nbgrader needs seconds for it) and kept in
    _grading/.templates/, or in OUT/.work/templates/ where the repository is read-only.
    """
    source_hash = digest(sorted((SOURCE / assignment).glob("*.ipynb")))
    for folder in (ROOT / "_grading" / ".templates" / assignment, Path(out) / ".work" / "templates" / assignment):
        db = folder / f"{source_hash[:16]}.db"
        if db.exists():
            return db
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            break
    scratch = Path(tempfile.mkdtemp(prefix="course.", dir=folder))  # its own, even beside shards on other hosts
    try:
        result = nbgrader_api(scratch).generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            raise UsageError(f"nbgrader could not prepare '{assignment}' for grading: {last_line(result)}")
        os.replace(scratch / "gradebook.db", db)  # a whole file or none, even with runs side by side
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return db
