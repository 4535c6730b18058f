"""nbgrader preprocessors that grade without ever running a student's code in the grader's process.

``Rebuild`` (first of the sanitizing steps) puts the submission back into the shape of the source notebook: every
locked cell (setup code, tests, explanations) from the gradebook in the source's order, exactly once; the student's
solution cells in their places; cells the student added after the cell they followed. nbgrader's own
``OverwriteCells`` (with ``add_missing_cells``) then checks the result against the gradebook.

``SandboxExecute`` replaces nbgrader's ``Execute``. Every cell that is not a test (solution cells, the student's own
cells, setup cells) runs in a sandboxed student process (sandbox.py). Every test cell runs here, in the trusted
grader process, from the gradebook's source (never the submission's): a name the test reads that the trusted side
does not define is looked up in the sandbox when it is read, and comes back as data or as a handle whose calls run
in the sandbox. So a student who patches ``np.allclose``, ``AssertionError`` or ``sys.exit`` patches them in their
own process only; the test's comparisons and asserts run here. Setup cells also run here unless they compute with
the student's values (then their results are the student's, fetched like any other name).
"""
import ast
import builtins
import copy
import signal
import sys
import time
from collections import Counter, defaultdict

import nbformat
from nbformat.notebooknode import NotebookNode
from traitlets import Integer

from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor

from cnntools.grading import Cases

from .course import SOURCE
from .protocol import BoundedText, with_cut_note
from .sandbox import GradingStopped, Limits, NotSupported, Sandbox, SandboxDied, SandboxTimeout, SandboxUnavailable

BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
OUTPUT_LIMIT = 20_000   # characters of a cell's stdout / stderr kept in the graded notebook
MESSAGE_LIMIT = 2_000   # characters of an error message
MAX_RESTARTS = 5        # restarts of the student's process per notebook (after a crash or a timeout)


def nbgrader_meta(cell):
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def kind(cell):
    """'test' (graded, locked code), 'setup' (other locked code), 'student' (everything else) or 'text'."""
    if cell.cell_type != "code":
        return "text"
    meta = nbgrader_meta(cell)
    if meta.get("solution"):
        return "student"
    if meta.get("grade"):
        return "test"
    if meta.get("locked"):
        return "setup"
    return "student"


def strip_hidden(source):
    """The released version of a test cell: its hidden region removed, as nbgrader's ClearHiddenTests does."""
    lines, hidden = [], False
    for line in source.split("\n"):
        if BEGIN_HIDDEN in line:
            hidden = True
        elif END_HIDDEN in line:
            hidden = False
        elif not hidden:
            lines.append(line)
    return "\n".join(lines)


def hidden_lines(source):
    """1-based numbers of the lines inside hidden-test regions."""
    inside, hidden = set(), False
    for number, line in enumerate(source.split("\n"), start=1):
        if BEGIN_HIDDEN in line:
            hidden = True
        elif END_HIDDEN in line:
            hidden = False
        elif hidden:
            inside.add(number)
    return inside


def _same(a, b):
    norm = lambda s: "\n".join(line.rstrip() for line in s.strip().splitlines())  # noqa: E731
    return norm(a) == norm(b)


# ---------------------------------------------------------------------------------------------------------------
# Rebuild

class Rebuild(NbGraderPreprocessor):
    """The submission, put back into the source notebook's shape (see the module docstring)."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        source = nbformat.read(SOURCE / info["assignment"] / f"{info['notebook']}.ipynb", as_version=4)
        with Gradebook(info["db_url"]) as gb:
            saved = {c.name: c.source for c in gb.find_notebook(info["notebook"], info["assignment"]).source_cells}
        order = [c for c in source.cells if nbgrader_meta(c).get("grade_id") in saved]
        known = {nbgrader_meta(c)["grade_id"]: c for c in order}
        notices, seen = [], Counter()
        answers, added = {}, defaultdict(list)  # grade_id -> the student's cell; anchor -> the student's own cells
        anchor = None
        for cell in nb.cells:
            gid = nbgrader_meta(cell).get("grade_id")
            if gid in known:
                seen[gid] += 1
                original = known[gid]
                if nbgrader_meta(original).get("solution"):
                    if gid in answers:  # an earlier copy of a solution cell stays, as a cell of the student's own
                        added[anchor].append(_free(answers[gid]))
                        notices.append(f"Your notebook has the answer cell '{gid}' more than once; the last one "
                                       "was graded as the answer.")
                    answers[gid] = cell
                    anchor = gid
                    continue
                if original.cell_type == "code" and seen[gid] == 2:
                    notices.append(f"The locked cell '{gid}' appears more than once; it was run once, in its place.")
                elif original.cell_type == "code" and seen[gid] == 1 and not (
                        _same(cell.source, strip_hidden(saved[gid])) or _same(cell.source, saved[gid])):
                    notices.append(f"The locked cell '{gid}' was changed in your notebook; the original was used.")
                anchor = gid
            else:
                if nbgrader_meta(cell):
                    cell = _free(cell)
                added[anchor].append(cell)
        cells = list(added[None])
        for original in order:
            gid = nbgrader_meta(original)["grade_id"]
            cell = copy.deepcopy(original)
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
            if gid in answers:
                cell.source = answers[gid].source
            else:
                cell.source = saved[gid]
                if nbgrader_meta(original).get("solution"):
                    notices.append(f"The answer cell '{gid}' is missing from your notebook.")
                elif original.cell_type == "code" and not seen[gid]:
                    notices.append(f"The locked cell '{gid}' is missing from your notebook; it was put back.")
            cells.append(cell)
            cells.extend(added[gid])
        for i, cell in enumerate(cells):
            cell["id"] = f"cell-{i}"
        nb.cells = cells
        nb.nbformat, nb.nbformat_minor = 4, max(5, nb.get("nbformat_minor", 5))
        nb.metadata.setdefault("autograder", {})["notices"] = notices
        return nb, resources


def _free(cell):
    """A cell of the student's own: no nbgrader metadata, so nothing grades or restores it."""
    cell = copy.deepcopy(cell)
    cell.metadata.pop("nbgrader", None)
    return cell


# ---------------------------------------------------------------------------------------------------------------
# The trusted namespace

class StudentNames(dict):
    """The builtins of the trusted namespace: Python's own first, then, for any other name that trusted code reads
    and does not define, the student's value of that name, fetched from the sandbox when it is read."""

    def __init__(self, session):
        super().__init__(vars(builtins))
        self.session = session
        self.cache = {}

    def __missing__(self, name):
        if name in self.cache:
            return self.cache[name]
        if name.startswith("__") and name.endswith("__"):
            raise KeyError(name)
        try:
            value = self.session.fetch(name)
        except NameError:
            raise KeyError(name) from None
        self.cache[name] = value
        return value


class ScopeVisitor(ast.NodeVisitor):
    """Names a cell reads and binds while it runs: not inside function bodies (those run later)."""

    def __init__(self):
        self.loads, self.binds = set(), set()

    def visit_Name(self, node):
        (self.loads if isinstance(node.ctx, ast.Load) else self.binds).add(node.id)

    def _function(self, node):
        for d in node.decorator_list:
            self.visit(d)
        args = node.args
        for default in args.defaults + [d for d in args.kw_defaults if d is not None]:
            self.visit(default)
        if hasattr(node, "name"):
            self.binds.add(node.name)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_ClassDef(self, node):
        self.binds.add(node.name)
        for n in node.bases + node.keywords + node.decorator_list:
            self.visit(n)
        for n in node.body:
            self.visit(n)

    def visit_Import(self, node):
        for alias in node.names:
            self.binds.add((alias.asname or alias.name).split(".")[0])

    visit_ImportFrom = visit_Import

    def visit_ExceptHandler(self, node):
        if node.name:
            self.binds.add(node.name)
        self.generic_visit(node)


def scope(source):
    visitor = ScopeVisitor()
    visitor.visit(ast.parse(source))
    return visitor.loads, visitor.binds


# ---------------------------------------------------------------------------------------------------------------
# Running a notebook

def error_output(ename, evalue, lines=None):
    evalue = str(evalue)
    if len(evalue) > MESSAGE_LIMIT:
        evalue = evalue[:MESSAGE_LIMIT] + " [...]"
    return NotebookNode(output_type="error", ename=str(ename), evalue=evalue,
                        traceback=list(lines or [f"{ename}: {evalue}"]))


def stream_output(text):
    return NotebookNode(output_type="stream", name="stdout", text=text)


class Session:
    """One notebook's run: the student's process (restarted, and the student's cells replayed, after a crash or a
    timeout) and the trusted namespace."""

    def __init__(self, files, limits, cell_timeout, notebook_timeout):
        self.sandbox = Sandbox(files, limits)
        self.cell_timeout = cell_timeout
        self.end = time.monotonic() + notebook_timeout
        self.notebook_timeout = notebook_timeout
        self.replay = []            # (source, label) of the student-side cells that ran, in order
        self.restarts = 0
        self.gave_up = None
        self.notices = []
        self.names = StudentNames(self)
        self.names["run_in_student_process"] = self.run_in_student_process
        self.trusted = {"__name__": "__main__", "__builtins__": self.names}
        try:
            from cnntools import checks
        except ImportError:
            checks = None
        if checks is not None:  # the notebook version runs the code in place; grading runs it in the sandbox
            checks.run_in_student_process = self.run_in_student_process

    def run_in_student_process(self, source, **values):
        """Run instructor code in the student's process, beside the student's names (and `values`, which cross as
        data); return its variable `result` (as data or a handle). For tests that must change the student's
        world, e.g. pretend that a GPU is present; the verdict is still computed here."""
        self.sandbox.deadline = self.sandbox.deadline or self.deadline()
        return self.sandbox.op({"op": "run", "code": str(source)}, [dict(values)], deadline=self.sandbox.deadline)

    # the student's side ------------------------------------------------------------------------------------------
    def deadline(self):
        return min(time.monotonic() + self.cell_timeout, self.end)

    def ensure_sandbox(self):
        """A live student process with every earlier student cell run in it; False if there cannot be one."""
        while not self.sandbox.alive():
            if self.gave_up:
                return False
            if self.sandbox.proc is not None or self.sandbox.generation:  # a restart
                self.restarts += 1
                if self.restarts > MAX_RESTARTS:
                    self.gave_up = (f"the student's code crashed or timed out {MAX_RESTARTS + 1} times; the rest "
                                    "of the notebook was not run")
                    self.notices.append(self.gave_up[0].upper() + self.gave_up[1:] + ".")
                    return False
                self.sandbox.kill()
            self.sandbox.start(min(time.monotonic() + 60, self.end + 60))
            for i, (source, label) in enumerate(list(self.replay)):
                try:
                    self.sandbox.op({"op": "exec", "code": source, "label": label}, deadline=self.deadline())
                except GradingStopped:
                    self.replay.remove((source, label))  # it cannot be replayed: leave it out from now on
                    break
                except Exception:
                    pass
        return True

    def fetch(self, name):
        self.sandbox.deadline = self.sandbox.deadline or self.deadline()
        return self.sandbox.op({"op": "get", "name": name}, deadline=self.sandbox.deadline)

    def run_student(self, cell, source, label):
        """Run a cell in the sandbox; its outputs go to the cell. Returns True when it ran without error."""
        self.sandbox.on_output = None
        try:
            reply, _ = self.sandbox.request({"op": "exec", "code": source, "label": label, "values": []},
                                            deadline=self.deadline())
        except SandboxTimeout:
            cell.outputs.append(error_output("TimeoutError", self.timeout_message()))
            return False
        except SandboxDied as died:
            cell.outputs.append(error_output("DeadKernelError", f"{died}; this cell did not finish"))
            return False
        self.replay.append((source, label))
        out = with_cut_note(reply.get("out"), reply.get("out_dropped"))
        err = with_cut_note(reply.get("err"), reply.get("err_dropped"))
        if out:
            cell.outputs.append(stream_output(out))
        if err:
            cell.metadata.setdefault("autograder", {})["stderr"] = err
        if reply.get("ok") is True:
            value = reply.get("value")
            if type(value) is list and value[:1] == ["str"] and type(value[1]) is str:
                cell.outputs.append(NotebookNode(output_type="execute_result", execution_count=None,
                                                 metadata={}, data={"text/plain": value[1][:OUTPUT_LIMIT]}))
            return True
        error = reply.get("error") if type(reply.get("error")) is dict else {}
        name, message = str(error.get("name", "Exception")), str(error.get("message", ""))
        trace = str(error.get("traceback", ""))[-OUTPUT_LIMIT:]
        cell.outputs.append(error_output(name, message, trace.splitlines() or None))
        return False

    def timeout_message(self):
        if time.monotonic() >= self.end - 0.5:
            return f"the notebook's time limit ({self.notebook_timeout:g} s) was reached"
        return f"this cell took longer than {self.cell_timeout:g} s and was stopped"

    # the trusted side --------------------------------------------------------------------------------------------
    def run_trusted(self, source, label):
        """Run instructor code (a test or a setup cell) here.

        Returns (stdout, stderr, exception or None, the value of the cell's last expression or None).
        """
        out, err = BoundedText(OUTPUT_LIMIT), BoundedText(OUTPUT_LIMIT)
        self.names.cache.clear()
        self.sandbox.on_output = lambda o, e: (out.write(o), err.write(e))
        self.sandbox.deadline = self.deadline()
        try:
            tree = ast.parse(source, label)
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            code = compile(tree, label, "exec")
            last = compile(ast.Expression(last.value), label, "eval") if last else None
        except SyntaxError as err:  # the instructor's mistake; the test cannot pass
            return "", "", err, None
        saved = sys.stdout, sys.stderr, signal.getsignal(signal.SIGALRM)

        def alarm(signum, frame):
            raise SandboxTimeout("the test took too long")
        signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, max(0.01, self.sandbox.deadline - time.monotonic() + 2))
        sys.stdout, sys.stderr = out, err
        error = value = None
        try:
            exec(code, self.trusted)
            if last is not None:
                value = eval(last, self.trusted)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # the test failed (or was stopped): it scores zero
            error = exc
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            sys.stdout, sys.stderr = saved[0], saved[1]
            signal.signal(signal.SIGALRM, saved[2])
            self.sandbox.on_output = None
            self.sandbox.deadline = None
            self.names.cache.clear()
        return with_cut_note(*out.take()), with_cut_note(*err.take()), error, value

    def run(self, cell, index, saved_source):
        what = kind(cell)
        gid = nbgrader_meta(cell).get("grade_id", f"cell {index}")
        if what == "test":
            cell.source = saved_source.get(gid, cell.source)  # the gradebook's test, never the submission's
        if time.monotonic() >= self.end:
            cell.outputs.append(error_output("TimeoutError", f"not run: the notebook's time limit "
                                             f"({self.notebook_timeout:g} s) was reached"))
            return
        if not self.ensure_sandbox():
            cell.outputs.append(error_output("DeadKernelError", f"not run: {self.gave_up}"))
            return
        started = time.monotonic()
        try:
            self._run(cell, what, gid)
        finally:
            cell.metadata.setdefault("autograder", {})["seconds"] = round(time.monotonic() - started, 3)

    def _run(self, cell, what, gid):
        if what == "student":
            self.run_student(cell, cell.source, gid)
        elif what == "setup":
            self.run_student(cell, cell.source, gid)
            self.run_setup_trusted(cell, gid)
        elif what == "test":
            self.run_test(cell, gid)

    def run_setup_trusted(self, cell, gid):
        loads, binds = scope(cell.source)
        outside = loads - binds - set(self.trusted) - set(vars(builtins))
        student = set()
        if outside and self.ensure_sandbox():
            try:
                student = outside & set(self.sandbox.op({"op": "names"}, deadline=self.deadline()))
            except GradingStopped:
                student = outside
        if student:  # it computes with the student's values: its results are the student's, fetched when read
            for name in binds:
                self.trusted.pop(name, None)
            return
        _, _, error, _ = self.run_trusted(cell.source, f"<setup {gid}>")
        if error is not None:
            cell.metadata.setdefault("autograder", {})["trusted_error"] = f"{type(error).__name__}: {error}"[:2000]

    def run_test(self, cell, gid):
        label = f"<test {gid}>"
        out, err, error, value = self.run_trusted(cell.source, label)
        meta = cell.metadata.setdefault("autograder", {})
        if out:
            cell.outputs.append(stream_output(out))
        if err:
            meta["stderr"] = err  # shown in the feedback; never an output, so warnings cost no points
        if error is None:
            if type(value) is Cases:  # the grader's own class: nothing of the student's can be one
                self.record_cases(cell, meta, value)
            return
        hidden = hidden_lines(cell.source)
        line = None
        tb = error.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == label:
                line = tb.tb_lineno
            tb = tb.tb_next
        meta["where"] = "hidden" if line in hidden else "visible" if line else "unknown"
        if isinstance(error, SandboxTimeout):
            name, message = "TimeoutError", self.timeout_message()
        elif isinstance(error, SandboxDied):
            name, message = "DeadKernelError", f"{error}; this test did not finish"
        elif isinstance(error, NotSupported):
            name, message = "GraderLimitation", str(error)
        else:
            name = getattr(error, "student_name", None) or type(error).__name__
            try:
                message = str(error)
            except Exception:
                message = "(no message)"
            if getattr(error, "student_traceback", None):
                meta["student_traceback"] = error.student_traceback
                meta["from_student"] = True
        cell.outputs.append(error_output(name, message))

    def record_cases(self, cell, meta, cases):
        """Partial credit: the cases' score as the cell's value (nbgrader reads it), each failure in the metadata."""
        points = float(nbgrader_meta(cell).get("points") or 0)
        score = cases.score() / cases.points * points if points else 0.0
        hidden = hidden_lines(cell.source)
        meta["cases"] = {"total": len(cases.verdicts), "failed": [
            {"kind": v.kind, "where": "hidden" if v.line in hidden else "visible", "message": v.message,
             "points": round(v.points / cases.points * points, 4), "student_traceback": v.student_traceback[-3000:]}
            for v in cases.failures()]}
        text = f"{points:g}" if score >= points else f"{min(round(score, 4), points - 1e-4):g}"
        cell.outputs.append(NotebookNode(output_type="execute_result", execution_count=None, metadata={},
                                         data={"text/plain": text}))

    def close(self):
        self.sandbox.kill()


class SandboxExecute(NbGraderPreprocessor):
    """nbgrader's Execute, replaced: see the module docstring."""

    timeout = Integer(120, help="seconds allowed to each cell").tag(config=True)
    notebook_timeout = Integer(0, help="seconds allowed to the whole notebook (0: 10 x timeout)").tag(config=True)
    threads = Integer(1, help="threads for NumPy/torch in the student's process").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            saved = {c.name: c.source for c in gb.find_notebook(info["notebook"], info["assignment"]).source_cells}
        folder = SOURCE / info["assignment"]
        files = [(p, p.name) for p in sorted(folder.iterdir())
                 if not p.name.startswith(".") and p.suffix != ".ipynb" and p.name != "__pycache__"]
        session = Session(files, Limits(threads=self.threads), self.timeout,
                          self.notebook_timeout or 10 * self.timeout)
        try:
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code":
                    cell.outputs = []
                    cell.execution_count = index + 1
                    cell.metadata.pop("autograder", None)
                    session.run(cell, index, saved)
        except SandboxUnavailable:
            raise
        finally:
            session.close()
        nb.metadata.setdefault("autograder", {}).setdefault("notices", []).extend(session.notices)
        return nb, resources
