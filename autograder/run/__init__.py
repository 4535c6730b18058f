"""Grade a folder of submissions: check the input, grade each (student, assignment) in a fresh process of its own,
here `--jobs` at a time, on a Dask cluster or as one shard of a batch array (runners.py), then write grades.csv.

The run package: a grading run (this module) and where its jobs go (runners.py: Local and Shard; dask_runner.py:
Dask).

May import: base, sandbox, results, execution, admin.

The run is the one writer of OUT: each job's result, pages and graded notebooks as the job comes back (`keep`),
the class gradebook, grades.csv. Every result is written with a rename once its submission is graded, so a run
killed at any moment keeps what it finished, and the next run grades only what is missing or has changed (the
submission, the assignment's source, the grader or the limits).
"""
import csv
import fcntl
import hashlib
import io
import json
import os
import shutil
import sys
import uuid
from contextlib import nullcontext
from pathlib import Path

from .. import interrupt
from ..course import ROOT, SOURCE
from ..errors import UsageError
from ..files import digest, write_atomic
from ..admin.late import Late, assess, load_rules
from ..limits import Limits
from ..execution.nbgrader_app import template_gradebook
from ..results import JobResult
from .runners import Local, Shard
from ..admin.submissions import find_jobs, read_submitted

FIELDS = ["student", "assignment", "notebook", "score", "max_score"]
LATE_FIELDS = ["days_late", "late_penalty", "final_score"]  # with a late-work rule
NO_RULE = Late("", 0.0, "")


def grader_digest():
    """The code that decides grades: the grader itself and the helpers the tests call."""
    files = sorted((ROOT / "autograder").rglob("*.py")) + sorted((ROOT / "cnntools").rglob("*.py"))
    return digest(files)


def lock(out, shared=False):
    """Hold OUT/.lock for the run: two runs writing one folder would undo each other's work. Shards (`shared`) hold
    it side by side, each writing only its own jobs' files, and never with a plain run."""
    out.mkdir(parents=True, exist_ok=True)
    handle = open(out / ".lock", "a")
    try:
        fcntl.flock(handle, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except BlockingIOError:
        raise UsageError(f"another grading run is writing to {out}") from None
    return handle


def runner_for(jobs, scheduler=None, shard=None):
    """The runner the command line asks for."""
    if scheduler and shard:
        raise UsageError("--scheduler and --shard cannot be combined: a shard grades on this machine")
    if scheduler:
        from .dask_runner import Dask  # (it imports distributed: only for a run that asks)
        return Dask(scheduler)
    return Shard(shard, jobs) if shard else Local(jobs)


def grade_all(submissions, out, only=None, jobs=1, timeout=120, late=None, scheduler=None, shard=None):
    """Grade every submission under `submissions` (on this machine, `jobs` at a time; on the Dask workers of
    `scheduler`; or the slice `shard` of them, "I/N"); write OUT/grades.csv and OUT/feedback/, with the late-work
    rules of the file `late` applied (not a shard: a plain run afterwards writes them)."""
    runner = runner_for(jobs, scheduler, shard)
    rules = load_rules(late) if late else None
    limits = Limits.from_env(timeout=timeout, threads=max(1, (os.cpu_count() or 1) // max(1, jobs)))
    work, skipped = find_jobs(submissions, only)
    out = Path(out).resolve()
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out is a file, not a folder: {out}")
    held = lock(out, shared=not runner.writes_grades)
    try:
        # A label in the environment of every process of the run (sandboxes included): how to find them (ps e).
        os.environ.setdefault("AUTOGRADER_RUN", uuid.uuid4().hex)
        runner.open()  # only once the input is known good: it imports nbgrader and torch, or reaches a scheduler
        if runner.writes_grades:  # left by a run that was killed while writing; never read (a shard's may be live)
            for stale in [*out.glob(".results/*/.*.tmp"), *out.glob("feedback/*/*/.*.tmp"),
                          *out.glob(".grades.csv.*.tmp")]:
                stale.unlink(missing_ok=True)
        grade_with(runner, submissions, out, runner.mine(work), skipped, limits, rules)
    finally:
        runner.close()
        held.close()


def grade_with(runner, submissions, out, work, skipped, limits, rules):
    grader = grader_digest()
    todo = []
    for line in skipped:
        print(f"passed over: {line}", file=sys.stderr)
    for student, assignment, found, notes in work:
        for name, why in notes["problems"].items():
            print(f"{student}/{assignment}: {why}; {name} scores 0", file=sys.stderr)
        source = digest(sorted((SOURCE / assignment).glob("*.ipynb")))
        spec = {"student": student, "assignment": assignment, "limits": limits.to_json(), "out": str(out),
                "notebooks": {k: str(v) for k, v in found.items()}, **notes,
                "key": _key(source, grader, limits),
                "submission_hash": digest(found[k] for k in sorted(found)) + ":" + hashlib.sha256(
                    json.dumps(notes, sort_keys=True).encode()).hexdigest()[:16]}
        previous = JobResult.load(out, student, assignment)
        if not previous or (previous.key, previous.submission_hash) != (spec["key"], spec["submission_hash"]):
            todo.append(spec)
    print(f"grading {len(todo)} of {len(work)} submissions ({len(work) - len(todo)} already graded), "
          f"{runner}", file=sys.stderr)
    if not todo:
        if runner.writes_grades:
            write_grades(out, work, submissions, rules)
        return
    graded = sorted({s["assignment"] for s in todo})
    # the longest first (by the size of the assignment's notebooks), so that no long one is left for the end
    size = {a: sum(p.stat().st_size for p in (SOURCE / a).glob("*.ipynb")) for a in graded}
    todo.sort(key=lambda s: -size[s["assignment"]])
    templates = {a: template_gradebook(out, a) for a in sorted({a for _, a, *_ in work})}
    for spec in todo:
        spec["template"] = str(templates[spec["assignment"]])
    from ..execution.gradebook import ClassGradebook
    from ..sandbox.zygote import warm_for
    with ClassGradebook(out, templates) if runner.writes_grades else nullcontext() as gradebook:
        if gradebook:
            gradebook.prepare(graded)  # a source that no longer fits it stops the run here
        # each result recorded as it comes, while the other jobs grade
        runner.grade(todo, limits, warm_for(imported_by_students(graded)), lambda done: keep(out, done, gradebook))
        if gradebook:
            write_grades(out, work, submissions, rules, gradebook)


def keep(out, graded, gradebook=None):
    """Write a job's executor.Graded into OUT: its graded notebooks for formgrader, its pages (without the late-work
    rule, which the run applies when it writes the grades), its result last (what a rerun reads to skip it), and its
    grades into the class `gradebook` if the run holds it. The run alone calls this, so one process writes OUT."""
    from ..results.feedback import write_pages
    from ..results.formgrader import forget_graded, keep_graded
    result = graded.result
    if graded.work:
        keep_graded(graded.work, out, result.student, result.assignment)
    else:
        forget_graded(out, result.student, result.assignment)
    write_pages(out, result)
    result.save(out)
    if gradebook is not None:
        gradebook.record(result)
    if not os.environ.get("AUTOGRADER_KEEP_WORK"):  # kept on request, to look at the graded notebook
        shutil.rmtree(Path(out) / ".work" / result.assignment / result.student, ignore_errors=True)


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
    from ..cells import student_imports
    return set().union(*(student_imports(nbformat.read(path, as_version=4))
                         for assignment in assignments for path in (SOURCE / assignment).glob("*.ipynb")))


def _key(source, grader, limits):
    return f"{source[:24]}-{grader[:24]}-" + json.dumps(limits.key(), sort_keys=True)


def write_grades(out, work, submissions, rules, gradebook=None):
    """grades.csv and the pages from the saved results, with the grades given by hand in formgrader and the
    late-work rules (None: no rule, and grades.csv without the late columns); the automatic grades recorded in the
    class gradebook (`gradebook`, the run's open ClassGradebook, or opened here). Every page is written again, so a
    changed rule or a new hand grade shows without regrading."""
    from ..results.feedback import write_pages
    from ..results.formgrader import write_config
    from ..execution.gradebook import ClassGradebook
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
        again = f", {gradebook.regrades} of them changed since they were graded" if gradebook.regrades else ""
        print(f"{pending} written answers await grading by hand (formgrader: see README){again}; they count 0 until "
              "then", file=sys.stderr)
    interrupt.check()  # no grades.csv from a run that was stopped
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(FIELDS + (LATE_FIELDS if rules is not None else []))
    writer.writerows(sorted(rows))
    write_atomic(Path(out) / "grades.csv", text.getvalue())
    print(f"wrote {Path(out) / 'grades.csv'} ({len(rows)} rows) and {Path(out) / 'feedback'}/", file=sys.stderr)
