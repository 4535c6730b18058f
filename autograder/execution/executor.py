"""One machine's grading of jobs: the fork server, the sandbox as it is made here, and the warm zygotes; a job in,
its result out. The run's local pool (a shard's too) and each Dask worker grade through an `Executor`.

A job is graded in a process forked from a server that has already imported nbgrader, NumPy and torch (worker.py),
in a course folder of its own that no other try shares (`OUT/.work/<assignment>/<student>/<try>`). The job writes
nothing else: its result and graded notebooks stay in that folder, and the run, which alone writes OUT's results,
pages and gradebook, takes them from there (`Graded`). So a try that dies, or outlives a Dask worker that was
killed, can leave only a folder of its own behind, never a grade.
"""
import itertools
import multiprocessing
import os
import socket
import sys
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from ..course import assignment_files, notebooks
from ..errors import GraderFault, UsageError, first_line
from ..limits import Limits
from ..results import JobResult, NotebookResult

PRELOAD = "autograder.execution.preload"  # what the fork server imports (worker.preload)


@dataclass
class Graded:
    """A job's result, and the course folder holding its graded notebooks (None: it has none, e.g. a failed job)."""
    result: JobResult
    work: str | None

    def to_json(self):  # what a Dask worker sends back
        return {"result": self.result.to_json(), "work": self.work}

    @classmethod
    def from_json(cls, data):
        return cls(JobResult.from_json(data["result"]), data["work"])


def check_sandbox(limits):
    """Stop with one line if no sandbox can be made here (bubblewrap missing, namespaces refused)."""
    from ..errors import SandboxUnavailable
    from ..sandbox import Sandbox
    box = Sandbox(limits=limits)
    try:
        box.start(time.monotonic() + 60)
    except (SandboxUnavailable, OSError) as err:
        raise UsageError(f"cannot start the sandbox for students' code: {first_line(err)}") from None
    finally:
        box.close()


class Executor:
    """Grades jobs on this machine, as many at a time as threads call `grade`: forked from the fork server of `ctx`,
    each lent a warm zygote of `zygotes` (a zygote.Pool, or None) and isolated by sandbox `mode`."""
    _tries = itertools.count(1)

    def __init__(self, ctx, zygotes, mode):
        self.ctx, self.zygotes, self.mode = ctx, zygotes, mode
        self.running, self.guard, self.stopping = set(), threading.Lock(), threading.Event()

    @classmethod
    def here(cls, limits, warm):
        """The executor of this process: checks the sandbox, starts the fork server (if `fork_server` has not); its
        zygotes import `warm` (zygote.warm_for)."""
        from ..sandbox.zygote import Pool, mode
        check_sandbox(limits)
        # warm zygotes where each has a pid namespace of its own (bubblewrap), with what the notebooks import
        return cls(fork_server(), Pool(limits, warm) if mode() == "bwrap" else None, mode())

    def grade(self, spec):
        """Grade one job of the run's (run.py builds `spec`) in a forked process, bounded in time; a Graded, or None
        once `stop` was called. A grading process that failed (errors.GraderFault, or it died) is tried once more:
        not a timeout, which the student may cause."""
        out, student, assignment = Path(spec["out"]), spec["student"], spec["assignment"]
        log = out / ".work" / "logs" / assignment / f"{student}.log"
        limit = len(notebooks(assignment)) * Limits.from_json(spec["limits"]).notebook_timeout + 120
        for attempt in (1, 2):
            work = out / ".work" / assignment / student / f"{socket.gethostname()}-{os.getpid()}-{next(self._tries)}"
            job = {**spec, "work": str(work), "log": str(log), "run_pid": os.getpid(), "sandbox": self.mode}
            with self.zygotes.lend(assignment_files(assignment)) if self.zygotes else nullcontext() as zygote:
                proc = self.ctx.Process(target=_run_worker, args=(job, zygote), name=f"grade {student}")
                with self.guard:
                    if self.stopping.is_set():
                        return None
                    proc.start()
                    self.running.add(proc)
                proc.join(limit)
                timed_out = proc.is_alive()
                if timed_out:  # stopped before its zygote is reset and lent again
                    proc.kill()
                    proc.join()
            reason = None
            if timed_out:
                reason = f"grading took longer than {limit} s and was stopped"
            elif proc.exitcode == GraderFault.EXIT:  # its log ends with why
                why = (_read(log).strip().splitlines() or ["no log"])[-1].removeprefix("autograder: ")
                reason = f"the grader failed on it: {why}"
            elif proc.exitcode != 0:
                reason = f"the grader stopped with status {proc.exitcode}"
            with self.guard:
                self.running.discard(proc)
                if self.stopping.is_set():  # killed by us, because the run is being stopped: not the student's fault
                    return None
            result = JobResult.load(work, student, assignment)  # the worker saves it in its course folder
            if not reason and result and (result.key, result.submission_hash) == (spec["key"], spec["submission_hash"]):
                log.unlink(missing_ok=True)
                return Graded(result, str(work))
            reason = reason or "the grader wrote no result"
            if attempt == 1 and not timed_out:
                kept = log.with_suffix(".first.log")
                if log.exists():
                    log.replace(kept)
                tqdm.write(f"{student}/{assignment}: {reason}; grading it once more "
                           f"(the first try's log: {kept})", file=sys.stderr)
                continue
            return Graded(failed_result(spec, reason, _read(log)[-4000:]), None)

    def stop(self):
        """Kill the jobs grading now; `grade` returns None from now on."""
        with self.guard:
            self.stopping.set()
            for proc in self.running:
                proc.kill()

    def close(self):
        if self.zygotes:
            self.zygotes.close()


def fork_server():
    """The fork server's context, its server started: its imports take seconds, so a run starts it early."""
    from multiprocessing import forkserver
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([PRELOAD])
    forkserver.ensure_running()
    return ctx


def _read(path):
    path = Path(path)
    return path.read_text(errors="replace") if path.exists() else ""


def _run_worker(spec, zygote):
    from .worker import run
    run(spec, zygote)


def failed_result(spec, reason, log=""):
    """Zero for every notebook, with the reason on the feedback page; the run goes on."""
    from nbgrader.api import Gradebook
    from .nbgrader_app import written_points

    with Gradebook(f"sqlite:///{spec['template']}") as gb:
        found = {nb: gb.find_notebook(nb, spec["assignment"]) for nb in notebooks(spec["assignment"])}
        zeros = {name: NotebookResult.zero(nb.max_score, reason, written_points(nb)) for name, nb in found.items()}
    return JobResult(spec["student"], spec["assignment"], spec["key"], spec["submission_hash"], zeros, log)
