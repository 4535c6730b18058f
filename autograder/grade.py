"""Grade a folder of submissions: check the input, grade each (student, assignment) in its own process, then
write grades.csv from the per-submission results.

Every result is written with a rename once its submission is graded, so a run killed at any moment keeps what
it finished, and the next run grades only what is missing or has changed.
"""
import csv
import html
import io
import json
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import nbformat

from .course import SOURCE, UsageError, assignments, check_assignment, digest, nbgrader_api, notebooks, write_atomic

STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
FIELDS = ["student", "assignment", "notebook", "score", "max_score"]


def find_jobs(submissions, only=None):
    """[(student, assignment, {notebook: path})] for SUBMISSIONS/<student>/<assignment>/<notebook>.ipynb.

    Raises UsageError for anything an operator must fix first: the run then writes nothing.
    """
    root = Path(submissions)
    if not root.is_dir():
        raise UsageError(f"submissions folder not found: {submissions}")
    if only:
        check_assignment(only)
    known = assignments()
    students = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not students:
        raise UsageError(f"no student folders in {submissions}")
    jobs = []
    for student in students:
        if not STUDENT_ID.fullmatch(student.name):
            raise UsageError(f"{student}: a student id may hold only letters, digits, '.', '_' and '-'")
        if not any(student.glob("*/*.ipynb")):
            raise UsageError(f"{student}: no notebook in <assignment>/<notebook>.ipynb")
        for folder in sorted(p for p in student.iterdir() if p.is_dir() and not p.name.startswith(".")):
            if folder.name not in known:
                raise UsageError(f"{folder}: unknown assignment '{folder.name}' (known: {', '.join(known)})")
            if only and folder.name != only:
                continue
            found = {}
            for path in sorted(folder.glob("*.ipynb")):
                try:
                    nbformat.read(path, as_version=4)
                except Exception as err:  # any parse failure: report the file, not a traceback
                    reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
                    raise UsageError(f"{path}: not a valid notebook ({reason})") from None
                found[path.stem] = path
            jobs.append((student.name, folder.name, found))
    if not jobs:
        raise UsageError(f"no submissions of '{only}' in {submissions}")
    return jobs


def grade_all(submissions, out, only=None, jobs=1, timeout=120):
    """Grade every submission under `submissions`; write OUT/grades.csv and OUT/feedback/."""
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {jobs}")
    if timeout < 1:
        raise UsageError(f"--timeout must be at least 1 second, got {timeout}")
    work = find_jobs(submissions, only)
    out = Path(out).resolve()
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out is a file, not a folder: {out}")
    templates = {a: template_gradebook(out, a) for a in sorted({a for _, a, _ in work})}

    todo, started = [], time.monotonic()
    for student, assignment, found in work:
        spec = {"student": student, "assignment": assignment, "timeout": timeout, "out": str(out),
                "template": str(templates[assignment]), "notebooks": {k: str(v) for k, v in found.items()},
                "source_hash": digest(sorted((SOURCE / assignment).glob("*.ipynb"))),
                "submission_hash": digest(found[k] for k in sorted(found))}
        previous = load_result(out, student, assignment)
        if not previous or any(previous.get(k) != spec[k] for k in ("source_hash", "submission_hash")):
            todo.append(spec)
    print(f"grading {len(todo)} of {len(work)} submissions ({len(work) - len(todo)} already graded), "
          f"{jobs} at a time", file=sys.stderr)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(grade_one, spec) for spec in todo]
        for done, future in enumerate(as_completed(futures), start=1):
            result = future.result()
            elapsed = time.monotonic() - started
            eta = elapsed / done * (len(todo) - done)
            scores = ", ".join(f"{n} {r['score']:g}/{r['max_score']:g}" for n, r in result["notebooks"].items())
            print(f"[{done}/{len(todo)}] {result['student']}/{result['assignment']}: {scores} "
                  f"(ETA {eta:.0f} s)", file=sys.stderr)
    write_csv(out, work)


def template_gradebook(out, assignment):
    """A gradebook that knows the assignment's cells and hidden tests; each job grades on a copy of it."""
    folder = out / ".work" / "templates" / assignment
    source_hash = digest(sorted((SOURCE / assignment).glob("*.ipynb")))
    db = folder / f"{source_hash[:16]}.db"
    if not db.exists():
        scratch = folder / "course"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        result = nbgrader_api(scratch).generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            raise UsageError(f"nbgrader could not prepare '{assignment}' for grading: {result.get('error')}")
        shutil.move(scratch / "gradebook.db", db)
        shutil.rmtree(scratch)
    return db


def grade_one(spec):
    """Grade one (student, assignment) in a separate process, bounded in time; always returns a result."""
    limit = spec["timeout"] * 20 + 120  # a backstop: cells are stopped after `timeout` seconds by nbgrader
    try:
        proc = subprocess.run([sys.executable, "-m", "autograder.worker", json.dumps(spec)],
                              capture_output=True, text=True, timeout=limit)
        reason = None if proc.returncode == 0 else f"the grader stopped with status {proc.returncode}"
        log = proc.stderr[-4000:]
    except subprocess.TimeoutExpired:
        reason, log = f"grading took longer than {limit} s and was stopped", ""
    result = load_result(Path(spec["out"]), spec["student"], spec["assignment"])
    if reason or not result or result.get("submission_hash") != spec["submission_hash"]:
        result = failed_result(spec, reason or "the grader wrote no result", log)
    return result


def failed_result(spec, reason, log=""):
    """Zero for every notebook, with the reason on the feedback page; the run goes on."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{spec['template']}") as gb:
        maxima = {nb: gb.find_notebook(nb, spec["assignment"]).max_score for nb in notebooks(spec["assignment"])}
    result = {k: spec[k] for k in ("student", "assignment", "source_hash", "submission_hash")}
    result["notebooks"] = {nb: {"score": 0.0, "max_score": m, "reason": reason} for nb, m in maxima.items()}
    result["log"] = log
    out = Path(spec["out"])
    for nb in maxima:
        write_atomic(feedback_path(out, spec["student"], spec["assignment"], nb),
                     zero_page(spec["assignment"], nb, reason))
    save_result(out, result)
    return result


def zero_page(assignment, notebook, reason):
    """The feedback page of a notebook that could not be graded: the reason, in words."""
    return (f"<!DOCTYPE html><html><body><h1>{assignment}/{notebook}: 0 points</h1>"
            f"<p>{html.escape(reason)}</p></body></html>")


def result_path(out, student, assignment):
    return Path(out) / ".results" / assignment / f"{student}.json"


def feedback_path(out, student, assignment, notebook):
    return Path(out) / "feedback" / student / assignment / f"{notebook}.html"


def load_result(out, student, assignment):
    path = result_path(out, student, assignment)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def save_result(out, result):
    write_atomic(result_path(out, result["student"], result["assignment"]), json.dumps(result, indent=1))


def write_csv(out, work):
    rows = []
    for student, assignment, _ in work:
        result = load_result(out, student, assignment)
        for nb, r in sorted(result["notebooks"].items()):
            rows.append([student, assignment, nb, f"{r['score']:g}", f"{r['max_score']:g}"])
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(FIELDS)
    writer.writerows(sorted(rows))
    write_atomic(Path(out) / "grades.csv", text.getvalue())
    print(f"wrote {Path(out) / 'grades.csv'} ({len(rows)} rows) and {Path(out) / 'feedback'}/", file=sys.stderr)
