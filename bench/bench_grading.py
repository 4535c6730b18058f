"""How much faster is `python -m autograder grade --jobs 2` than plain, sequential `nbgrader autograde` on the same
machine, for the same submissions, and does it give the same grades? Not a test: `make bench`.

N submissions (default 100) cycle through the assignments in solutions/ and, for each, through the solution, the
untouched release and the wrong submissions of tests/mistakes/<assignment>.py. Both sides start with the gradebook
already made (nbgrader's generate_assignment, not timed) and allow 120 s per cell. nbgrader is told to ignore
stderr (plain nbgrader zeroes a test that shows a progress bar or a warning; the autograder never does).
nbgrader's kernels keep their default number of threads; the autograder gives each of its 2 jobs cores / 2 threads.
The goal is a ratio of at least 1.8 on 2 cores. The full run takes 30 to 60 minutes; `--n 12 --assignments
dimensions` answers in about a minute. What it measured, and where the time goes: bench/RESULTS.md.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from pipeline import graded_assignments, mistakes, read_grades, submit  # noqa: E402

TIMEOUT = 120


def make_submissions(folder, n, assignments):
    """n submissions: (student, assignment), cycling through assignments and kinds of submission."""
    made = []
    for i in range(n):
        assignment = assignments[i % len(assignments)]
        kinds = ["solution", "release"] + (mistakes(assignment) if assignment in graded_assignments() else [])
        kind = kinds[(i // len(assignments)) % len(kinds)]
        student = f"s{i:03d}"
        if kind == "solution":
            submit(folder, student, assignment)
        elif kind == "release":
            submit(folder, student, assignment, release=True)
        else:
            submit(folder, student, assignment, kind)
        made.append((student, assignment))
    return made


def same_grade(a, b):
    """Two scores equal up to the float noise of summing partial credit."""
    return a is not None and b is not None and abs(a - b) < 1e-6


def nbgrader_env():
    venv_bin = str(Path(sys.executable).parent)
    # the training notebook's experiments at the size the autograder's sandbox runs them (autograder/zygote.py)
    return dict(os.environ, PATH=venv_bin + os.pathsep + os.environ.get("PATH", ""), MPLBACKEND="Agg", CNN_MODE="tiny")


def baseline(subs, made, assignments, work):
    """Plain nbgrader: one course folder, `nbgrader autograde ASSIGNMENT` for each assignment, one after another."""
    course = work / "course"
    shutil.copytree(REPO / "solutions", course / "source")
    config = (f"c = get_config()\nc.CourseDirectory.root = {str(course)!r}\n"
              "c.ClearSolutions.code_stub = {'python': '# YOUR CODE HERE\\nraise NotImplementedError()'}\n"
              f"c.Execute.timeout = {TIMEOUT}\n"
              # plain nbgrader zeroes a test that writes to stderr (a tqdm progress bar, a warning); the autograder
              # does not, so for the same grades nbgrader is told to ignore stderr (its IgnorePattern)
              "c.IgnorePattern.enabled = True\nc.IgnorePattern.pattern = '[\\\\s\\\\S]*'\n")
    (course / "nbgrader_config.py").write_text(config)
    env = nbgrader_env()
    for assignment in assignments:  # the gradebook: not timed (the autograder's is made beforehand too)
        subprocess.run(["nbgrader", "generate_assignment", assignment, "--force", "--log-level=WARN"], cwd=course,
                       env=env, check=True, capture_output=True)
    for student, assignment in made:
        shutil.copytree(subs / student / assignment, course / "submitted" / student / assignment)
    started = time.perf_counter()
    for assignment in assignments:
        subprocess.run(["nbgrader", "autograde", assignment, "--force", "--log-level=ERROR"], cwd=course, env=env,
                       check=True, capture_output=True)
    seconds = time.perf_counter() - started
    from nbgrader.api import Gradebook, MissingEntry
    grades = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student, assignment in made:
            for path in sorted((subs / student / assignment).glob("*.ipynb")):
                try:
                    score = gb.find_submission_notebook(path.stem, assignment, student).score
                except MissingEntry:  # nbgrader failed on this submission (a dead kernel, ...)
                    score = None
                grades[(student, assignment, path.stem)] = score
    return seconds, grades


def ours(subs, work, jobs):
    from autograder.execution.nbgrader_app import template_gradebook  # made beforehand, as nbgrader's gradebook above
    out = work / "graded"
    for assignment in sorted({p.parent.name for p in subs.glob("*/*/*.ipynb")}):
        template_gradebook(out, assignment)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out), "--jobs", str(jobs),
                    "--timeout", str(TIMEOUT)], cwd=REPO, check=True, capture_output=True)
    seconds = time.perf_counter() - started
    return seconds, {k: s for k, (s, _) in read_grades(out / "grades.csv").items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="number of submissions (default 100)")
    parser.add_argument("--assignments", nargs="*", help="assignments to use (default: all in solutions/)")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    assignments = args.assignments or sorted(p.name for p in (REPO / "solutions").iterdir()
                                             if any(p.glob("*.ipynb")))
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        work = Path(tmp)
        subs = work / "submissions"
        made = make_submissions(subs, args.n, assignments)
        print(f"{len(made)} submissions of {', '.join(assignments)} on {os.cpu_count()} cores", flush=True)
        base_s, base = baseline(subs, made, assignments, work)
        print(f"nbgrader autograde, sequential: {base_s:8.1f} s ({base_s / len(made):.2f} s a submission)",
              flush=True)
        ours_s, mine = ours(subs, work, args.jobs)
        print(f"autograder grade --jobs {args.jobs}:     {ours_s:8.1f} s ({ours_s / len(made):.2f} s a submission)")
        differ = {k: (base.get(k), mine.get(k)) for k in sorted(set(base) | set(mine))
                  if not same_grade(base.get(k), mine.get(k))}
        print(f"speed ratio: {base_s / ours_s:.2f}x (goal >= 1.8x on 2 cores)")
        if differ:
            print(f"{len(differ)} grades differ (nbgrader, ours):")
            for k, v in differ.items():
                print(f"  {'/'.join(k)}: {v}")
        else:
            print(f"same grades: all {len(mine)} notebooks")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
