"""In-memory unit tests of the grader's small parts (as nbgrader tests each preprocessor): the cell kinds and hidden
regions, the rebuilt notebook, the scope of a setup cell, the limits, and the results' forms. No sandbox, no run."""

import os
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.execution import rebuild
from autograder.cells import hidden_lines, kind, strip_hidden
from autograder.errors import UsageError
from autograder.execution.execute import scope
from autograder.results.feedback import page
from autograder.limits import Limits
from autograder.results import CellError, JobResult, NotebookResult, TestResult

TEST = "x = 1\n### BEGIN HIDDEN TESTS\nassert secret\n### END HIDDEN TESTS\ny = 2"


def cell(source, **nbgrader):
    return new_code_cell(source, metadata={"nbgrader": nbgrader} if nbgrader else {})


def test_kinds_and_hidden_regions():
    assert kind(cell("def f(): ...", solution=True, grade_id="f")) == "student"
    assert kind(cell(TEST, grade=True, locked=True, grade_id="test_f", points=2)) == "test"
    assert kind(cell("import numpy as np", locked=True, grade_id="setup")) == "setup"
    assert kind(cell("scratch = 1")) == "student" and kind(new_markdown_cell("# hi")) == "text"
    answer = new_markdown_cell("YOUR ANSWER HERE", metadata={"nbgrader": {"solution": True, "grade": True,
                                                                          "grade_id": "written_a", "points": 2}})
    assert kind(answer) == "written"
    assert strip_hidden(TEST) == "x = 1\ny = 2"
    assert hidden_lines(TEST) == {3}


def test_scope_reads_what_runs_now_not_function_bodies():
    loads, binds = scope("import numpy as np\ndef f(a=g):\n    return h\nx = [conv(a) for a in cases]\n"
                         "class C(Base):\n    y = inner\nlam = lambda: q\n")
    assert loads >= {"g", "conv", "cases", "Base", "inner"} and not loads & {"h", "q"}
    assert binds == {"np", "f", "x", "C", "lam"}


class FakeGradebook:
    """What Rebuild reads of the gradebook: the source cells' saved sources."""

    def __init__(self, url):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def find_notebook(self, notebook, assignment):
        class Notebook:
            source_cells = [type("Cell", (), {"name": c.metadata["nbgrader"]["grade_id"], "source": c.source})
                            for c in SOURCE_NB.cells]
        return Notebook


SOURCE_NB = new_notebook(cells=[cell("import numpy as np", locked=True, grade_id="setup"),
                                cell("def f():\n    raise NotImplementedError", solution=True, grade_id="f"),
                                cell(TEST, grade=True, locked=True, grade_id="test_f", points=2)])


def rebuilt(cells, monkeypatch):
    monkeypatch.setattr(rebuild, "Gradebook", FakeGradebook)
    monkeypatch.setattr(rebuild.nbformat, "read", lambda *a, **k: SOURCE_NB)
    nb = new_notebook(cells=cells)
    nb, _ = rebuild.Rebuild().preprocess(nb, {"nbgrader": {"assignment": "a", "notebook": "a", "db_url": ""}})
    return nb


def test_rebuild_restores_locked_cells_and_keeps_the_students(monkeypatch):
    nb = rebuilt([cell("def f():\n    return 1", solution=True, grade_id="f"), cell("scratch = 1"),
                  cell("assert True  # my own test", grade=True, locked=True, grade_id="test_f", points=99),
                  new_code_cell("mine = 2", metadata={"nbgrader": ["not", "a", "dict"]})], monkeypatch)
    assert [c.source for c in nb.cells] == ["import numpy as np", "def f():\n    return 1", "scratch = 1", TEST,
                                            "mine = 2"]
    assert "nbgrader" not in nb.cells[-1].metadata  # the student's metadata never reaches nbgrader
    notices = nb.metadata["autograder"]["notices"]
    assert any("'test_f' was changed" in n for n in notices) and any("'setup' is missing" in n for n in notices)


def test_limits_from_flags_and_environment():
    limits = Limits.from_env(timeout=30, threads=2, environ={"AUTOGRADER_MEMORY_MB": "2048"})
    assert (limits.timeout, limits.notebook_timeout, limits.memory_mb, limits.threads) == (30, 300, 2048, 2)
    assert Limits.from_json(limits.to_json()) == limits
    assert "threads" not in limits.key() and limits.key() != Limits().key()  # a changed limit regrades
    with pytest.raises(UsageError, match="AUTOGRADER_TMP_MB must be a whole number"):
        Limits.from_env(environ={"AUTOGRADER_TMP_MB": "lots"})
    with pytest.raises(UsageError, match="--timeout must be at least 1"):
        Limits.from_env(timeout=0)


def sample():
    ok = TestResult("test_f", 2.0, 2.0, True, visible_source="assert f() == 1")
    partly = TestResult("test_g", 1.5, 3.0, False, "1 of 4 cases failed <b>", student_traceback="line 3")
    return JobResult("ada", "forward", "key", "hash", {
        "forward": NotebookResult(3.5, 5.0, tests=[ok, partly], errors=[CellError("my cell", "NameError: x")],
                                  notices=["renamed"]),
        "extra": NotebookResult.zero(4, "extra.ipynb was not submitted")})


def test_results_round_trip_with_what_the_pages_show(tmp_path):
    result = sample()
    result.save(tmp_path)
    again = JobResult.load(tmp_path, "ada", "forward")
    assert again == result  # the run writes the pages again from it (with the late-work rule)
    assert again.rows() == [["ada", "forward", "extra", "0", "4"], ["ada", "forward", "forward", "3.5", "5"]]
    (tmp_path / ".results" / "forward" / "ada.json").write_text('{"notebooks": []}')
    assert JobResult.load(tmp_path, "ada", "forward") is None  # unreadable: graded again


def test_gradescope_form():
    form = sample().gradescope()
    assert form["score"] == 3.5 and form["output"].splitlines()[0] == "forward: 3.5 / 9"
    assert [t["name"] for t in form["tests"]] == ["extra", "forward: test_f", "forward: test_g"]
    assert form["tests"][2]["output"] == "1 of 4 cases failed <b>\n\nWhere it happened in your code:\nline 3"
    assert "Your cell my cell failed: NameError: x" in form["output"]


def test_page_escapes_and_shows_each_test():
    html = page("ada<script>", "forward", "forward", sample().notebooks["forward"])
    assert "<script>" not in html and "ada&lt;script&gt;" in html
    assert "partly passed" in html and "1 of 4 cases failed &lt;b&gt;" in html and "assert f() == 1" in html
    assert "Score: <b>3.5 / 5</b>" in html


def test_a_new_gradebook_is_the_one_nbgrader_makes(tmp_path, monkeypatch):
    """new_gradebook spares nbgrader its `alembic heads` subprocess: the database nbgrader then fills is the one it
    makes by itself, schema version and tables alike."""
    import sqlite3
    import sys
    from nbgrader.api import Gradebook
    from autograder.execution.nbgrader_app import new_gradebook

    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")  # its alembic
    ours, theirs = tmp_path / "ours.db", tmp_path / "theirs.db"
    new_gradebook(ours)
    for path in (ours, theirs):
        Gradebook(f"sqlite:///{path}").close()

    def schema(path):
        with sqlite3.connect(path) as db:
            return (db.execute("SELECT version_num FROM alembic_version").fetchall(),
                    sorted(db.execute("SELECT type, name, sql FROM sqlite_master").fetchall()))
    assert schema(ours) == schema(theirs) and schema(ours)[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ours.db", "theirs.db"]  # no temporary file left


def test_class_gradebook_keeps_hand_grades_through_a_regrade(tmp_path):
    """Automatic grades go in as nbgrader's auto_score; a person's score and comment (what formgrader writes) come
    back into the results and survive the next record; a source whose points changed is followed, one whose cells
    changed is refused."""
    from nbgrader.api import Gradebook
    from autograder.execution.gradebook import ClassGradebook, db_path
    from autograder.execution.nbgrader_app import template_gradebook

    templates = {"dimensions": template_gradebook(tmp_path, "dimensions")}
    tests = [TestResult("test_conv_output_size", 3.0, 4.0, False),
             TestResult("written_fc_images", 0.0, 2.0, False, written=True, pending=True)]
    result = JobResult("ada", "dimensions", "key", "hash", {"dimensions": NotebookResult(3.0, 19.0, tests=tests)})
    with ClassGradebook(tmp_path, templates) as gradebook:
        gradebook.record(result)
        assert gradebook.with_hand_grades(result).notebooks["dimensions"].pending  # nobody graded it yet
    with Gradebook(f"sqlite:///{db_path(tmp_path)}") as gb:
        grade = gb.find_grade("written_fc_images", "dimensions", "dimensions", "ada")
        assert grade.auto_score is None and grade.needs_manual_grade
        assert gb.find_grade("test_conv_output_size", "dimensions", "dimensions", "ada").auto_score == 3
        assert gb.find_grade("test_receptive_field", "dimensions", "dimensions", "ada").auto_score == 0  # not run
        grade.manual_score = 1.5                                       # as formgrader saves them
        gb.find_comment("written_fc_images", "dimensions", "dimensions", "ada").manual_comment = "Name <both>."
        gb.db.commit()
    with ClassGradebook(tmp_path, templates) as gradebook:
        gradebook.record(result)                                       # a regrade
        graded = gradebook.with_hand_grades(result).notebooks["dimensions"]
    written = graded.tests[1]
    assert (written.score, written.by_hand, written.pending) == (1.5, True, False)
    assert graded.comments["written_fc_images"] == "Name <both>."
    assert graded.score == 4.5 and result.notebooks["dimensions"].tests[1].score == 0  # a copy; the saved one stays
    assert "Name &lt;both&gt;." in page("ada", "dimensions", "dimensions", graded)

    rescored = tmp_path / "rescored.db"  # a test worth more: the same cells, so taken up after submissions too
    rescored.write_bytes(templates["dimensions"].read_bytes())
    with Gradebook(f"sqlite:///{rescored}") as template:
        template.update_or_create_grade_cell("test_conv_output_size", "dimensions", "dimensions", max_score=5)
    with ClassGradebook(tmp_path, {"dimensions": rescored}) as gradebook:
        gradebook.prepare(["dimensions"])
    with Gradebook(f"sqlite:///{db_path(tmp_path)}") as gb:
        assert gb.find_grade_cell("test_conv_output_size", "dimensions", "dimensions").max_score == 5

    changed = tmp_path / "changed.db"  # the source gains a test cell
    changed.write_bytes(templates["dimensions"].read_bytes())
    with Gradebook(f"sqlite:///{changed}") as template:
        template.update_or_create_grade_cell("test_new", "dimensions", "dimensions", max_score=1, cell_type="code")
    with ClassGradebook(tmp_path, {"dimensions": changed}) as gradebook:
        with pytest.raises(UsageError, match="cells of dimensions/dimensions changed"):
            gradebook.prepare(["dimensions"])


def fork_server(start):
    """A stand-in for the run's multiprocessing context: each process it starts is `start(job)`, which plays the
    grading process (saves a result, say) and returns its exit code."""
    class Process:
        def __init__(self, target, args, name):
            self.job, self.exitcode = args[0], None

        def start(self):
            self.exitcode = start(self.job)

        def join(self, timeout=None):
            pass

        def is_alive(self):
            return False

    class Context:
        pass
    Context.Process = Process
    return Context()


def test_a_grading_process_that_failed_is_tried_once_more(tmp_path, capsys):
    """A job whose process died (a GraderFault, say) is graded again, its first log kept; the second result counts."""
    from autograder.execution.executor import Executor

    spec = {"student": "ada", "assignment": "dimensions", "limits": Limits.from_env(timeout=5).to_json(),
            "out": str(tmp_path), "key": "k", "submission_hash": "h"}
    log = tmp_path / ".work" / "logs" / "dimensions" / "ada.log"
    tries = []

    def start(job):  # the first try dies, the second saves its result
        tries.append(len(tries) + 1)
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(f"try {tries[-1]}")
        if tries[-1] == 2:
            JobResult("ada", "dimensions", "k", "h", {"dimensions": NotebookResult(3.0, 19.0)}).save(job["work"])
        return 1 if tries[-1] == 1 else 0

    graded = Executor(fork_server(start), None, "bwrap").grade(spec)
    assert tries == [1, 2] and log.with_suffix(".first.log").read_text() == "try 1"
    assert not log.exists()  # the second try's log goes with its success
    assert graded.result.notebooks["dimensions"].score == 3.0 and Path(graded.work).parent == (
        tmp_path / ".work" / "dimensions" / "ada")  # the course folder of the second try, for the run to keep
    assert "ada/dimensions: the grader stopped with status 1; grading it once more" in capsys.readouterr().err


def test_the_zygote_empties_what_a_student_left(tmp_path, monkeypatch):
    """sandbox_main.empty, between two students on one zygote: files, folders a student locked, links (never
    followed)."""
    import os
    import sys
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent.parent / "autograder" / "sandbox"))
    sys.modules.pop("sandbox_main", None)
    import sandbox_main
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "f").write_text("x")
    (tmp_path / "planted.py").write_text("x")
    os.symlink("/etc/passwd", tmp_path / "link")
    os.chmod(tmp_path / "a" / "b", 0o500)
    os.chmod(tmp_path / "a", 0)
    sandbox_main.empty(str(tmp_path))
    assert os.listdir(tmp_path) == [] and os.path.exists("/etc/passwd")
    sandbox_main.empty(str(tmp_path / "missing"))  # nothing to do, no error


def test_a_zygote_imports_what_the_students_cells_import():
    """The warm zygote's imports (zygote.warm_for) come from the cells that run in the student's process: not from a
    test's, not from a comment; NumPy always."""
    from autograder.cells import student_imports
    from autograder.sandbox.zygote import warm_for
    nb = new_notebook(cells=[
        cell("import matplotlib.pyplot as plt", locked=True, grade_id="setup"),
        cell("def f(x):\n    import torch.nn.functional as F\n    return x", solution=True, grade_id="f"),
        cell("import tqdm  # a test's own import", grade=True, locked=True, grade_id="test_f", points=1),
        cell("# import sklearn"),
        cell("this is not python ("),
    ])
    assert student_imports(nb) == {"matplotlib", "torch"}
    assert warm_for(student_imports(nb)) == ("numpy", "matplotlib.pyplot", "torch")
    assert warm_for({"math"}) == ("numpy",)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the dropped KeyboardInterrupt
def test_a_sigint_that_a_finaliser_dropped_still_stops_the_run(tmp_path):
    """^C whose KeyboardInterrupt Python raised inside a finaliser (and so printed and dropped) stops the run at its
    next wait, before another result is taken; it once graded everything and exited 0."""
    import os
    import signal
    from concurrent.futures import ThreadPoolExecutor
    from autograder import interrupt
    from autograder.execution.executor import Executor
    from autograder.run.runners import collect

    specs = [{"student": s, "assignment": "dimensions", "limits": Limits.from_env(timeout=5).to_json(),
              "out": str(tmp_path), "key": "k", "submission_hash": "h"} for s in ("ada", "bob", "cy")]
    taken = []

    def start(job):  # each "grading process" saves its result at once, in its course folder
        JobResult(job["student"], "dimensions", "k", "h", {"dimensions": NotebookResult(1.0, 2.0)}).save(job["work"])
        return 0

    class Finaliser:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):  # the handler runs here, and its KeyboardInterrupt goes nowhere
                pass

    def on_result(graded):
        taken.append(graded.result.student)
        Finaliser()

    executor = Executor(fork_server(start), None, "bwrap")
    interrupt.install()
    try:
        with ThreadPoolExecutor(max_workers=1, initializer=interrupt.main_thread_only) as pool:
            with pytest.raises(KeyboardInterrupt):
                collect([pool.submit(executor.grade, spec) for spec in specs], lambda f: f.result(), on_result)
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    assert taken == ["ada"] and interrupt.noted()
