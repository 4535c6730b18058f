"""Grade a folder of submissions: check the input, grade each (student, assignment) in a fresh process of its own,
`--jobs` at a time, then write grades.csv from the per-submission results.

Each grading process is forked from a server that has already imported nbgrader, NumPy and torch, so a submission
costs no start-up time; it dies with the run. Every result is written with a rename once its submission is graded,
so a run killed at any moment keeps what it finished, and the next run grades only what is missing or has changed
(the submission, the assignment's source, the grader or the limits).
"""
import csv
import fcntl
import hashlib
import io
import json
import multiprocessing
import os
import queue
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path

from tqdm import tqdm

from . import interrupt
from .course import ROOT, SOURCE, assignment_files, notebooks
from .errors import GraderFault, UsageError, first_line
from .files import digest, write_atomic
from .late import Late, assess, load_rules
from .limits import Limits
from .nbgrader_app import template_gradebook, written_points
from .results import JobResult, NotebookResult
from .submissions import find_jobs, read_submitted

FIELDS = ["student", "assignment", "notebook", "score", "max_score"]
LATE_FIELDS = ["days_late", "late_penalty", "final_score"]  # with a late-work rule
NO_RULE = Late("", 0.0, "")


def grader_digest():
    """The code that decides grades: the grader itself and the helpers the tests call."""
    files = sorted((ROOT / "autograder").glob("*.py")) + sorted((ROOT / "cnntools").rglob("*.py"))
    return digest(files)


def check_sandbox(limits):
    """Stop with one line if no sandbox can be made here (bubblewrap missing, namespaces refused)."""
    from .errors import SandboxUnavailable
    from .sandbox import Sandbox
    box = Sandbox(limits=limits)
    try:
        box.start(time.monotonic() + 60)
    except (SandboxUnavailable, OSError) as err:
        raise UsageError(f"cannot start the sandbox for students' code: {first_line(err)}") from None
    finally:
        box.close()


def lock(out):
    """Hold OUT/.lock for the run: two runs writing one folder would undo each other's work."""
    out.mkdir(parents=True, exist_ok=True)
    handle = open(out / ".lock", "w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise UsageError(f"another grading run is writing to {out}") from None
    return handle


def grade_all(submissions, out, only=None, jobs=1, timeout=120, late=None):
    """Grade every submission under `submissions`; write OUT/grades.csv and OUT/feedback/, with the late-work
    rules of the file `late` applied."""
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {jobs}")
    rules = load_rules(late) if late else None
    limits = Limits.from_env(timeout=timeout, threads=max(1, (os.cpu_count() or 1) // jobs))
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["autograder.preload"])
    work, skipped = find_jobs(submissions, only)
    out = Path(out).resolve()
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out is a file, not a folder: {out}")
    held = lock(out)
    # A label in the environment of every process of the run (sandboxes included): how to find them (ps e).
    os.environ.setdefault("AUTOGRADER_RUN", uuid.uuid4().hex)
    # Started only once the input is known good: it imports nbgrader and torch (seconds), and an operator's
    # mistake should be told at once. It keeps importing while this process reads the previous results.
    from multiprocessing import forkserver
    forkserver.ensure_running()
    for stale in [*out.glob(".results/*/.*.tmp"), *out.glob("feedback/*/*/.*.tmp"), *out.glob(".grades.csv.*.tmp")]:
        stale.unlink(missing_ok=True)  # left by a run that was killed while writing; never read
    grader = grader_digest()
    todo = []
    for line in skipped:
        print(f"passed over: {line}", file=sys.stderr)
    for student, assignment, found, notes in work:
        for name, why in notes["problems"].items():
            print(f"{student}/{assignment}: {why}; {name} scores 0", file=sys.stderr)
        source = digest(sorted((SOURCE / assignment).glob("*.ipynb")))
        spec = {"student": student, "assignment": assignment, "limits": limits.to_json(), "out": str(out),
                "run_pid": os.getpid(),
                "work": str(out / ".work" / assignment / student),
                "log": str(out / ".work" / "logs" / assignment / f"{student}.log"),
                "notebooks": {k: str(v) for k, v in found.items()}, **notes,
                "key": _key(source, grader, limits),
                "submission_hash": digest(found[k] for k in sorted(found)) + ":" + hashlib.sha256(
                    json.dumps(notes, sort_keys=True).encode()).hexdigest()[:16]}
        previous = JobResult.load(out, student, assignment)
        if not previous or (previous.key, previous.submission_hash) != (spec["key"], spec["submission_hash"]):
            todo.append(spec)
    print(f"grading {len(todo)} of {len(work)} submissions ({len(work) - len(todo)} already graded), "
          f"{jobs} at a time", file=sys.stderr)
    if todo:
        graded = sorted({s["assignment"] for s in todo})
        # the longest first (by the size of the assignment's notebooks), so that no long one is left for the end
        size = {a: sum(p.stat().st_size for p in (SOURCE / a).glob("*.ipynb")) for a in graded}
        todo.sort(key=lambda s: -size[s["assignment"]])
        templates = {a: template_gradebook(out, a) for a in sorted({a for _, a, *_ in work})}
        from .gradebook import ClassGradebook
        with ClassGradebook(out, templates) as gradebook:
            gradebook.prepare(graded)  # a source that no longer fits it stops the run here
            for spec in todo:
                spec["template"] = str(templates[spec["assignment"]])
            check_sandbox(limits)
            from .zygote import Pool, mode, warm_for
            for spec in todo:
                spec["sandbox"] = mode()
            # warm zygotes where each has a pid namespace of its own (bubblewrap), with what the notebooks import
            zygotes = Pool(limits, warm_for(imported_by_students(graded))) if mode() == "bwrap" else None
            try:  # each result recorded as it comes, while the other jobs grade
                run_pool(ctx, todo, jobs, zygotes, on_result=gradebook.record)
            finally:
                if zygotes:
                    zygotes.close()
            write_grades(out, work, submissions, rules, gradebook)
    else:
        write_grades(out, work, submissions, rules)
    held.close()


def write_feedback(submissions, out, only=None, late=None):
    """`feedback`: grades.csv and the pages again, with the grades given by hand since; nothing is graded."""
    rules = load_rules(late) if late else None
    work, _ = find_jobs(submissions, only)
    out = Path(out).resolve()
    if not (out / ".results").is_dir():
        raise UsageError(f"no grading run has written to {out}: run grade first")
    held = lock(out)
    write_grades(out, work, submissions, rules)
    held.close()


def imported_by_students(assignments):
    """What the cells of these assignments' notebooks that run in the student's process import (top-level names)."""
    import nbformat
    from .cells import student_imports
    return set().union(*(student_imports(nbformat.read(path, as_version=4))
                         for assignment in assignments for path in (SOURCE / assignment).glob("*.ipynb")))


def _key(source, grader, limits):
    return f"{source[:24]}-{grader[:24]}-" + json.dumps(limits.key(), sort_keys=True)


def run_pool(ctx, todo, jobs, zygotes=None, on_result=None):
    """Grade each spec of `todo` in a process of its own, `jobs` at a time, each lent a warm zygote of `zygotes`
    (a zygote.Pool) if given; `on_result` is called with each results.JobResult as it comes."""
    running, guard, stopping = set(), threading.Lock(), threading.Event()
    started = time.monotonic()

    def grade_one(spec):
        """Grade one submission in a forked process, bounded in time; always returns a result. A grading process
        that failed (errors.GraderFault, or it died) is tried once more: not a timeout, which the student may cause."""
        limit = len(notebooks(spec["assignment"])) * Limits.from_json(spec["limits"]).notebook_timeout + 120
        for attempt in (1, 2):
            with zygotes.lend(assignment_files(spec["assignment"])) if zygotes else nullcontext() as zygote:
                proc = ctx.Process(target=_run_worker, args=(spec, zygote), name=f"grade {spec['student']}")
                with guard:
                    if stopping.is_set():
                        return None
                    proc.start()
                    running.add(proc)
                proc.join(limit)
                timed_out = proc.is_alive()
                if timed_out:  # stopped before its zygote is reset and lent again
                    proc.kill()
                    proc.join()
            reason = None
            if timed_out:
                reason = f"grading took longer than {limit} s and was stopped"
            elif proc.exitcode == GraderFault.EXIT:  # its log ends with why
                why = (_read(spec["log"]).strip().splitlines() or ["no log"])[-1].removeprefix("autograder: ")
                reason = f"the grader failed on it: {why}"
            elif proc.exitcode != 0:
                reason = f"the grader stopped with status {proc.exitcode}"
            with guard:
                running.discard(proc)
                if stopping.is_set():  # killed by us, because the run is being stopped: not the student's fault
                    return None
            log = Path(spec["log"])
            result = JobResult.load(spec["out"], spec["student"], spec["assignment"])
            if not reason and result and (result.key, result.submission_hash) == (spec["key"], spec["submission_hash"]):
                log.unlink(missing_ok=True)
                return result
            reason = reason or "the grader wrote no result"
            if attempt == 1 and not timed_out:
                kept = log.with_suffix(".first.log")
                if log.exists():
                    log.replace(kept)
                tqdm.write(f"{spec['student']}/{spec['assignment']}: {reason}; grading it once more "
                           f"(the first try's log: {kept})", file=sys.stderr)
                continue
            return failed_result(spec, reason, _read(log)[-4000:])

    pool = ThreadPoolExecutor(max_workers=jobs, initializer=interrupt.main_thread_only)
    # a line per graded submission (what a log keeps), and on a terminal a bar below them
    bar = tqdm(total=len(todo), file=sys.stderr, disable=not sys.stderr.isatty(), unit="submission",
               bar_format="{l_bar}{bar}| {n}/{total} [{elapsed}, ETA {remaining}]")
    arrivals = queue.SimpleQueue()  # each finished future, and None when ^C comes
    try:
        with interrupt.waking(arrivals):
            for spec in todo:
                pool.submit(grade_one, spec).add_done_callback(arrivals.put)
            for done in range(1, len(todo) + 1):
                future = arrivals.get()
                interrupt.check()  # ^C, even one whose KeyboardInterrupt a finaliser dropped
                result = future.result()
                if result is None:
                    continue
                if on_result is not None:
                    on_result(result)
                elapsed = time.monotonic() - started
                eta = elapsed / done * (len(todo) - done)
                scores = ", ".join(f"{n} {r.score:g}/{r.max_score:g}" for n, r in result.notebooks.items())
                bar.write(f"[{done}/{len(todo)}] {result.student}/{result.assignment}: {scores} "
                          f"(ETA {eta:.0f} s)", file=sys.stderr)
                bar.update()
    except BaseException:
        with guard:
            stopping.set()
            for proc in running:
                proc.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        bar.close()
    pool.shutdown()


def _read(path):
    path = Path(path)
    return path.read_text(errors="replace") if path.exists() else ""


def _run_worker(spec, zygote):
    from .worker import run
    run(spec, zygote)


def failed_result(spec, reason, log=""):
    """Zero for every notebook, with the reason on the feedback page; the run goes on."""
    from nbgrader.api import Gradebook
    from .feedback import write_pages  # (it imports nbgrader: not before the input is known good)
    from .formgrader import forget_graded

    with Gradebook(f"sqlite:///{spec['template']}") as gb:
        found = {nb: gb.find_notebook(nb, spec["assignment"]) for nb in notebooks(spec["assignment"])}
        zeros = {name: NotebookResult.zero(nb.max_score, reason, written_points(nb)) for name, nb in found.items()}
    result = JobResult(spec["student"], spec["assignment"], spec["key"], spec["submission_hash"], zeros, log)
    forget_graded(spec["out"], spec["student"], spec["assignment"])
    write_pages(spec["out"], result)
    result.save(spec["out"])
    return result


def write_grades(out, work, submissions, rules, gradebook=None):
    """grades.csv and the pages from the saved results, with the grades given by hand in formgrader and the
    late-work rules (None: no rule, and grades.csv without the late columns); the automatic grades recorded in the
    class gradebook (`gradebook`, the run's open ClassGradebook, or opened here). Every page is written again, so a
    changed rule or a new hand grade shows without regrading."""
    from .feedback import write_pages
    from .formgrader import write_config
    from .gradebook import ClassGradebook
    rows, pending, ungraded = [], 0, 0
    write_config(out)
    with nullcontext(gradebook) if gradebook else ClassGradebook(
            out, {a: template_gradebook(out, a) for a in sorted({a for _, a, *_ in work})}) as gradebook:
        for student, assignment, *_ in work:
            result = JobResult.load(out, student, assignment)
            if result is None:  # `feedback` before `grade` has graded it
                ungraded += 1
                continue
            gradebook.record(result)
            result = gradebook.with_hand_grades(result)
            pending += sum(len(nb.pending) for nb in result.notebooks.values())
            late = None
            if rules is not None:
                late = NO_RULE if assignment not in rules else assess(
                    rules[assignment], read_submitted(Path(submissions) / student / assignment))
            rows += result.rows(late)
            write_pages(out, result, late)
    if ungraded:
        print(f"{ungraded} submissions are not graded yet: run grade to grade them", file=sys.stderr)
    if pending:
        print(f"{pending} written answers await grading by hand (formgrader: see README); they count 0 until then",
              file=sys.stderr)
    interrupt.check()  # no grades.csv from a run that was stopped
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(FIELDS + (LATE_FIELDS if rules is not None else []))
    writer.writerows(sorted(rows))
    write_atomic(Path(out) / "grades.csv", text.getvalue())
    print(f"wrote {Path(out) / 'grades.csv'} ({len(rows)} rows) and {Path(out) / 'feedback'}/", file=sys.stderr)
