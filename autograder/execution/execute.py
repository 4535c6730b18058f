"""The step that runs a notebook while it is graded, without ever running a student's code in the grader's process.

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
import contextlib
import signal
import symtable
import time

from nbformat.v4 import new_output
from traitlets import Any, Dict

from nbgrader.preprocessors import NbGraderPreprocessor

from cnntools import checks
from cnntools.grading import Cases

from ..cells import grade_id, hidden_lines, kind
from ..course import assignment_files
from ..limits import Limits
from ..sandbox.protocol import CAPS, BoundedText, with_cut_note
from ..errors import (GraderFault, GradingStopped, NotSupported, SandboxDied, SandboxTimeout, SandboxUnavailable,
                     stop_process)
from ..sandbox import Sandbox

MAX_RESTARTS = 5        # restarts of the student's process per notebook (after a crash or a timeout)
EAGER = {"listcomp", "setcomp", "dictcomp", "genexpr"}  # scopes that run as the cell runs (function bodies do not)


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


def scope(source):
    """(names a cell reads, names it binds) while it runs: its top level, class bodies and comprehensions, not the
    bodies of the functions it defines (those run later)."""
    loads, binds = set(), set()

    def visit(table, top):
        for sym in table.get_symbols():
            if sym.is_referenced() and (top or sym.is_global()):
                loads.add(sym.get_name())
            if top and (sym.is_assigned() or sym.is_imported()):
                binds.add(sym.get_name())
        for child in table.get_children():
            if child.get_type() == "class" or child.get_name() in EAGER:
                visit(child, False)
    visit(symtable.symtable(source, "<cell>", "exec"), True)
    return loads, binds


# ---------------------------------------------------------------------------------------------------------------
# Running a notebook

def error_output(ename, evalue, lines=None):
    evalue = str(evalue)
    if len(evalue) > CAPS["message"]:
        evalue = evalue[:CAPS["message"]] + " [...]"
    return new_output("error", ename=str(ename), evalue=evalue, traceback=list(lines or [f"{ename}: {evalue}"]))


def warned(stderr):
    """What the student's code wrote to stderr, as lines of a test's output (where warnings cost no points)."""
    if not stderr:
        return ""
    return "".join(f"your code warned: {line}\n" if i == 0 else f"  {line}\n"
                   for i, line in enumerate(stderr.rstrip("\n").splitlines()))


class Session:
    """One notebook's run: the student's process (restarted, and the student's cells replayed, after a crash or a
    timeout) and the trusted namespace."""

    def __init__(self, files, limits, zygote=None):
        self.sandbox = Sandbox(files, limits, zygote=zygote)
        self.cell_timeout = limits.timeout
        self.end = time.monotonic() + limits.notebook_timeout
        self.notebook_timeout = limits.notebook_timeout
        self.replay = []            # (source, label, seconds) of the student-side cells that ran, in order
        self.restarts = 0
        self.gave_up = None
        self.notices = []
        self.names = StudentNames(self)
        self.names["run_in_student_process"] = self.run_in_student_process
        self.trusted = {"__name__": "__main__", "__builtins__": self.names}
        self.in_place = checks.run_in_student_process
        checks.run_in_student_process = self.run_in_student_process  # in a notebook it runs in place

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
            # All the replayed cells share one cell's time, so a restart never costs more than one slow cell: a cell
            # whose first run would not fit in what is left is passed over, and one that overran is left out after.
            budget = self.deadline()
            for entry in list(self.replay):
                source, label, seconds = entry
                if time.monotonic() + seconds <= budget:
                    try:
                        self.sandbox.op({"op": "exec", "code": source, "label": label}, deadline=budget)
                        continue
                    except GradingStopped:
                        pass
                    except Exception:  # it failed as it may have the first time: the student's error, replayed
                        continue
                self.replay.remove(entry)
                self.notices.append(f"After a restart, your cell '{label}' was not run again: with the cells "
                                    f"before it, it takes longer than {self.cell_timeout:g} s.")
                if not self.sandbox.alive():
                    break  # killed mid-cell: the loop starts a fresh process, which replays the rest
        return True

    def fetch(self, name):
        self.sandbox.deadline = self.sandbox.deadline or self.deadline()
        return self.sandbox.op({"op": "get", "name": name}, deadline=self.sandbox.deadline)

    def run_student(self, cell, source, label):
        """Run a cell in the sandbox; its outputs go to the cell. Returns True when it ran without error."""
        self.sandbox.on_output = None
        started = time.monotonic()
        try:
            reply, _ = self.sandbox.request({"op": "exec", "code": source, "label": label, "values": []},
                                            deadline=self.deadline())
        except SandboxTimeout:
            cell.outputs.append(error_output("TimeoutError", self.timeout_message()))
            return False
        except SandboxDied as died:
            cell.outputs.append(error_output("DeadKernelError", f"{died}; this cell did not finish"))
            return False
        self.replay.append((source, label, time.monotonic() - started))
        out = with_cut_note(reply.get("out"), reply.get("out_dropped"))
        err = with_cut_note(reply.get("err"), reply.get("err_dropped"))
        if out:
            cell.outputs.append(new_output("stream", name="stdout", text=out))
        if err:
            cell.metadata.setdefault("autograder", {})["stderr"] = err
        if reply.get("ok") is True:
            value = reply.get("value")
            if type(value) is list and value[:1] == ["str"] and type(value[1]) is str:
                cell.outputs.append(new_output("execute_result", {"text/plain": value[1][:CAPS["output"]]}))
            return True
        error = reply.get("error") if type(reply.get("error")) is dict else {}
        name, message = str(error.get("name", "Exception")), str(error.get("message", ""))
        trace = str(error.get("traceback", ""))[-CAPS["traceback"]:]
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
        out, err = BoundedText(CAPS["output"]), BoundedText(CAPS["output"])
        self.names.cache.clear()
        # what the student's code writes to stderr (a warning) goes with the output of the case that caused it
        self.sandbox.on_output = lambda o, e: (out.write(o), out.write(warned(e)))
        self.sandbox.deadline = self.deadline()
        try:
            tree = ast.parse(source, label)
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            code = compile(tree, label, "exec")
            last = compile(ast.Expression(last.value), label, "eval") if last else None
        except SyntaxError as err:  # the instructor's mistake; the test cannot pass
            return "", "", err, None
        saved = signal.getsignal(signal.SIGALRM)

        def alarm(signum, frame):
            raise SandboxTimeout("the test took too long")
        signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, max(0.01, self.sandbox.deadline - time.monotonic() + 2))
        error = value = None
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                exec(code, self.trusted)
                if last is not None:
                    value = eval(last, self.trusted)
        except (KeyboardInterrupt, GraderFault):
            raise
        except BaseException as exc:  # the test failed (or was stopped): it scores zero
            error = exc
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, saved)
            self.sandbox.on_output = None
            self.sandbox.deadline = None
            self.names.cache.clear()
        return with_cut_note(*out.take()), with_cut_note(*err.take()), error, value

    def run(self, cell, index):
        """Run one cell: every test's source is the gradebook's here (Rebuild put it back, OverwriteCells checked)."""
        what = kind(cell)
        gid = grade_id(cell) or f"cell {index}"
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
            cell.outputs.append(new_output("stream", name="stdout", text=out))
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
        points = float(cell.metadata["nbgrader"].get("points") or 0)
        score = cases.score() / cases.points * points if points else 0.0
        hidden = hidden_lines(cell.source)
        failed = []
        for v in cases.failures():
            where = "hidden" if v.line in hidden else "visible"
            case = {"kind": v.kind, "where": where, "message": v.message,
                    "points": round(v.points / cases.points * points, 4),
                    "student_traceback": v.student_traceback[-3000:], "repro": v.repro(where == "hidden")}
            # drawn here, for failing cases only, as the hidden ones must be (cnntools.evidence)
            picture = v.picture(where == "hidden") if sum("picture" in c for c in failed) < CAPS["pictures"] else None
            if picture is not None:
                case["picture"] = {"png": picture.png, "alt": picture.alt}
            failed.append(case)
        meta["cases"] = {"total": len(cases.verdicts), "failed": failed}
        text = f"{points:g}" if score >= points else f"{min(round(score, 4), points - 1e-4):g}"
        cell.outputs.append(new_output("execute_result", {"text/plain": text}))

    def close(self):
        # in place again: whatever this process runs next must not reach this notebook's closed sandbox
        checks.run_in_student_process = self.in_place
        self.sandbox.close()


class SandboxExecute(NbGraderPreprocessor):
    """nbgrader's Execute, replaced: see the module docstring."""

    limits = Dict(help="the run's limits.Limits, as JSON").tag(config=True)
    zygote = Any(None, allow_none=True, help="a warm zygote.Zygote the run lent this job").tag(config=True)

    def preprocess(self, nb, resources):
        try:
            return self._preprocess(nb, resources)
        except GraderFault as fault:
            stop_process(fault)

    def _preprocess(self, nb, resources):
        session = Session(assignment_files(resources["nbgrader"]["assignment"]), Limits.from_json(self.limits),
                          self.zygote)
        try:
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code":
                    cell.outputs = []
                    cell.execution_count = index + 1
                    cell.metadata.pop("autograder", None)
                    session.run(cell, index)
        except SandboxUnavailable as err:  # it starts before any of the student's code runs: never theirs
            raise GraderFault(str(err)) from None
        finally:
            session.close()
        nb.metadata.setdefault("autograder", {}).setdefault("notices", []).extend(session.notices)
        return nb, resources
