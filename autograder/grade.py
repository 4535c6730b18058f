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
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import nbformat
from tqdm import tqdm

from .course import ROOT, SOURCE, UsageError, assignments, check_assignment, digest, first_line, last_line
from .course import nbgrader_api
from .course import notebooks, write_atomic
from .results import feedback_path, load_result, result_path, save_result

STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
FIELDS = ["student", "assignment", "notebook", "score", "max_score"]


def find_jobs(submissions, only=None):
    """The submissions under SUBMISSIONS/<student>/<assignment>/, and what was passed over.

    Returns ``(jobs, skipped)``: jobs are ``(student, assignment, {notebook: path}, notes)``, where ``notes`` holds
    ``problems`` ({notebook: why it scores 0}) and ``renamed`` ({notebook: the file graded as it}); ``skipped`` is a
    line for each folder or file that is no assignment and no notebook. Only the operator's mistakes raise
    UsageError (the run then writes nothing); a student's broken submission costs that student, with its reason.
    """
    root = Path(submissions)
    if not root.is_dir():
        raise UsageError(f"submissions folder not found: {submissions}")
    if only:
        check_assignment(only)
    known = assignments()
    jobs, skipped = [], []
    for student in sorted(root.iterdir()):
        if not student.is_dir():
            skipped.append(f"{student.name}: not a student folder")
        elif not STUDENT_ID.fullmatch(student.name):
            skipped.append(f"{student.name}: not a student id (letters, digits, '.', '_' and '-' only)")
        else:
            for folder in sorted(student.iterdir()):
                if not (folder.is_dir() and folder.name in known):
                    skipped.append(f"{student.name}/{folder.name}: not an assignment (known: {', '.join(known)})")
                elif not only or folder.name == only:
                    found, notes = match_notebooks(folder, notebooks(folder.name))
                    jobs.append((student.name, folder.name, found, notes))
    if not jobs:
        raise UsageError(f"no submissions{f' of {only!r}' if only else ''} in {submissions} "
                         "(expected SUBMISSIONS/<student>/<assignment>/<notebook>.ipynb)")
    return jobs, skipped


def match_notebooks(folder, expected):
    """({notebook: path}, notes) for one assignment folder: each expected notebook by its name, or, when the
    assignment has one notebook and the folder holds one, that one whatever its name (browsers save a second
    download as 'forward (1).ipynb'). A notebook that cannot be read is a problem of that notebook only."""
    present = sorted(p for p in folder.glob("*.ipynb") if p.is_file() and not p.name.startswith("."))
    found, problems, renamed = {}, {}, {}
    for name in expected:
        path = folder / f"{name}.ipynb"
        if path in present:
            found[name] = path
    if len(expected) == 1 and not found and len(present) == 1:
        found[expected[0]], renamed[expected[0]] = present[0], present[0].name
    for name in expected:
        if name not in found:
            problems[name] = (f"no notebook in {folder.name}/ to grade as {name}.ipynb" if not present else
                              f"{name}.ipynb is not among the notebooks handed in "
                              f"({', '.join(p.name for p in present)})")
    for name, path in list(found.items()):
        try:
            nbformat.read(path, as_version=4)
        except Exception as err:  # not JSON, truncated, empty: any parse failure, reported by its first line
            problems[name] = f"{path.name} is not a valid notebook ({first_line(err)[:300]})"
            del found[name]
    return found, {"problems": problems, "renamed": renamed}


def grader_digest():
    """The code that decides grades: the grader itself and the helpers the tests call."""
    files = sorted((ROOT / "autograder").glob("*.py")) + sorted((ROOT / "cnntools").rglob("*.py"))
    return digest(files)


def check_sandbox():
    """Stop with one line if no sandbox can be made here (bubblewrap missing, namespaces refused)."""
    from .sandbox import Sandbox, SandboxUnavailable
    box = Sandbox()
    try:
        box.start(time.monotonic() + 60)
    except (SandboxUnavailable, OSError) as err:
        raise UsageError(f"cannot start the sandbox for students' code: {first_line(err)}") from None
    finally:
        box.kill()


def lock(out):
    """Hold OUT/.lock for the run: two runs writing one folder would undo each other's work."""
    out.mkdir(parents=True, exist_ok=True)
    handle = open(out / ".lock", "w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise UsageError(f"another grading run is writing to {out}") from None
    return handle


def grade_all(submissions, out, only=None, jobs=1, timeout=120):
    """Grade every submission under `submissions`; write OUT/grades.csv and OUT/feedback/."""
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {jobs}")
    if timeout < 1:
        raise UsageError(f"--timeout must be at least 1 second, got {timeout}")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["autograder.preload"])
    work, skipped = find_jobs(submissions, only)
    out = Path(out).resolve()
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out is a file, not a folder: {out}")
    held = lock(out)
    # Started only once the input is known good: it imports nbgrader and torch (seconds), and an operator's
    # mistake should be told at once. It keeps importing while this process reads the previous results.
    from multiprocessing import forkserver
    forkserver.ensure_running()
    for stale in [*out.glob(".results/*/.*.tmp"), *out.glob("feedback/*/*/.*.tmp"), *out.glob(".grades.csv.*.tmp")]:
        stale.unlink(missing_ok=True)  # left by a run that was killed while writing; never read
    threads = max(1, (os.cpu_count() or 1) // jobs)
    grader = grader_digest()
    limits = {"timeout": timeout, "memory_mb": os.environ.get("AUTOGRADER_MEMORY_MB", "4096")}
    todo = []
    for line in skipped:
        print(f"passed over: {line}", file=sys.stderr)
    for student, assignment, found, notes in work:
        for name, why in notes["problems"].items():
            print(f"{student}/{assignment}: {why}; {name} scores 0", file=sys.stderr)
        source = digest(sorted((SOURCE / assignment).glob("*.ipynb")))
        spec = {"student": student, "assignment": assignment, "timeout": timeout, "threads": threads,
                "out": str(out), "work": str(out / ".work" / assignment / student),
                "log": str(out / ".work" / "logs" / assignment / f"{student}.log"),
                "notebooks": {k: str(v) for k, v in found.items()}, **notes,
                "key": _key(source, grader, limits),
                "submission_hash": digest(found[k] for k in sorted(found)) + ":" + hashlib.sha256(
                    json.dumps(notes, sort_keys=True).encode()).hexdigest()[:16]}
        previous = load_result(out, student, assignment)
        if not previous or any(previous.get(k) != spec[k] for k in ("key", "submission_hash")):
            todo.append(spec)
    print(f"grading {len(todo)} of {len(work)} submissions ({len(work) - len(todo)} already graded), "
          f"{jobs} at a time", file=sys.stderr)
    if todo:
        # the longest first (by the size of the assignment's notebooks), so that no long one is left for the end
        size = {a: sum(p.stat().st_size for p in (SOURCE / a).glob("*.ipynb"))
                for a in {s["assignment"] for s in todo}}
        todo.sort(key=lambda s: -size[s["assignment"]])
        templates = {a: template_gradebook(out, a) for a in sorted({s["assignment"] for s in todo})}
        for spec in todo:
            spec["template"] = str(templates[spec["assignment"]])
        check_sandbox()
        from .sandbox import mode
        for spec in todo:
            spec["sandbox"] = mode()
        run_pool(ctx, todo, jobs)
    write_csv(out, work)
    held.close()


def _key(source, grader, limits):
    return f"{source[:24]}-{grader[:24]}-" + json.dumps(limits, sort_keys=True)


def run_pool(ctx, todo, jobs):
    running, guard, stopping = set(), threading.Lock(), threading.Event()
    started = time.monotonic()

    def grade_one(spec):
        """Grade one submission in a forked process, bounded in time; always returns a result."""
        limit = len(notebooks(spec["assignment"])) * 10 * spec["timeout"] + 120
        proc = ctx.Process(target=_run_worker, args=(spec,), name=f"grade {spec['student']}")
        with guard:
            if stopping.is_set():
                return None
            proc.start()
            running.add(proc)
        proc.join(limit)
        reason = None
        if proc.is_alive():
            proc.kill()
            proc.join()
            reason = f"grading took longer than {limit} s and was stopped"
        elif proc.exitcode != 0:
            reason = f"the grader stopped with status {proc.exitcode}"
        with guard:
            running.discard(proc)
            if stopping.is_set():  # killed by us, because the run is being stopped: not the student's fault
                return None
        log = Path(spec["log"])
        result = load_result(Path(spec["out"]), spec["student"], spec["assignment"])
        if reason or not result or result.get("submission_hash") != spec["submission_hash"] \
                or result.get("key") != spec["key"]:
            tail = log.read_text(errors="replace")[-4000:] if log.exists() else ""
            result = failed_result(spec, reason or "the grader wrote no result", tail)
        else:
            log.unlink(missing_ok=True)
        return result

    pool = ThreadPoolExecutor(max_workers=jobs)
    # a line per graded submission (what a log keeps), and on a terminal a bar below them
    bar = tqdm(total=len(todo), file=sys.stderr, disable=not sys.stderr.isatty(), unit="submission",
               bar_format="{l_bar}{bar}| {n}/{total} [{elapsed}, ETA {remaining}]")
    try:
        futures = [pool.submit(grade_one, spec) for spec in todo]
        for done, future in enumerate(as_completed(futures), start=1):
            result = future.result()
            if result is None:
                continue
            elapsed = time.monotonic() - started
            eta = elapsed / done * (len(todo) - done)
            scores = ", ".join(f"{n} {r['score']:g}/{r['max_score']:g}" for n, r in result["notebooks"].items())
            bar.write(f"[{done}/{len(todo)}] {result['student']}/{result['assignment']}: {scores} "
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


def _run_worker(spec):
    from .worker import run
    run(spec)


def template_gradebook(out, assignment):
    """A gradebook that knows the assignment's cells and hidden tests; each job grades on a copy of it.

    Made once per version of the assignment's source (nbgrader needs seconds for it) and kept in
    _grading/.templates/, or in OUT/.work/templates/ where the repository is read-only.
    """
    import shutil
    source_hash = digest(sorted((SOURCE / assignment).glob("*.ipynb")))
    for folder in (ROOT / "_grading" / ".templates" / assignment, out / ".work" / "templates" / assignment):
        db = folder / f"{source_hash[:16]}.db"
        if db.exists():
            return db
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            break
    scratch = folder / f"course.{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    try:
        result = nbgrader_api(scratch).generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            raise UsageError(f"nbgrader could not prepare '{assignment}' for grading: {last_line(result)}")
        os.replace(scratch / "gradebook.db", db)  # a whole file or none, even with runs side by side
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return db


def failed_result(spec, reason, log=""):
    """Zero for every notebook, with the reason on the feedback page; the run goes on."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{spec['template']}") as gb:
        maxima = {nb: gb.find_notebook(nb, spec["assignment"]).max_score for nb in notebooks(spec["assignment"])}
    result = {k: spec[k] for k in ("student", "assignment", "key", "submission_hash")}
    result["notebooks"] = {nb: {"score": 0.0, "max_score": float(m), "reason": reason, "tests": [], "errors": [],
                                "notices": []} for nb, m in maxima.items()}
    result["log"] = log
    out = Path(spec["out"])
    from .feedback import zero_page
    for nb in maxima:
        write_atomic(feedback_path(out, spec["student"], spec["assignment"], nb),
                     zero_page(spec["assignment"], nb, reason))
    save_result(out, result)
    return result


def write_csv(out, work):
    rows = []
    for student, assignment, *_ in work:
        result = load_result(out, student, assignment)
        for nb, r in sorted(result["notebooks"].items()):
            rows.append([student, assignment, nb, f"{r['score']:g}", f"{r['max_score']:g}"])
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(FIELDS)
    writer.writerows(sorted(rows))
    write_atomic(Path(out) / "grades.csv", text.getvalue())
    print(f"wrote {Path(out) / 'grades.csv'} ({len(rows)} rows) and {Path(out) / 'feedback'}/", file=sys.stderr)


__all__ = ["grade_all", "find_jobs", "result_path"]
