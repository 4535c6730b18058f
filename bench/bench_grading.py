"""How much faster is `python -m autograder grade --jobs 2` than plain, sequential `nbgrader autograde` on the same
machine, for the same submissions, and does it give the same grades? Not a test: `make bench`.

N submissions (default 100) cycle through the assignments in solutions/ and, for each, through the solution, the
untouched release and the wrong submissions of tests/mistakes/<assignment>.py. Both sides start with the gradebook
already made (nbgrader's generate_assignment, not timed) and allow 120 s per cell. nbgrader is told to ignore
stderr (plain nbgrader zeroes a test that shows a progress bar or a warning; the autograder never does).
nbgrader's kernels keep their default number of threads; the autograder gives each of its 2 jobs cores / 2 threads.
The goal is a ratio of at least 1.8 on 2 cores. Measured on 2 cores: 1300 s against 595 s, 2.19x (2026-11-25), and
2408 s against 1015 s, 2.37x (2026-11-29), the same grades for all 100 notebooks both times; the training notebooks
alone give about 1.5x (compute-bound: two one-thread jobs against one two-thread kernel). The full run takes 30 to 60
minutes; `--n 12 --assignments dimensions` answers in about a minute. The NumPy assignments alone
(`--n 18 --assignments dimensions forward backprop`, a quiet machine, 2026-12-03): 65.7 s against 20.8 s (3.17x),
then 54.9 s against 17.8 s (3.08x) once the grader stopped building jsonschema's rfc3987 grammar; then, with warm
zygotes (student processes forked from one that has imported NumPy, matplotlib and torch), torch's symbolic shapes
preloaded and the class gradebook begun from a template, 54.6 s against 13.1 s (4.16x); then, with nbgrader's
first-use costs paid once in the fork server (the gradebook's SQLAlchemy set-up, 0.2 s a job; nbformat's validators;
the page template), one SQLAlchemy engine a job, the zygotes started one after the other (the fork server keeps a
core), matplotlib's font list lent to the zygotes, each result recorded as it comes and no CheckCellMetadata after
Rebuild: 60.7 s against 10.5 s (5.80x), again 54.8 s against 9.5 s (5.76x); the same grades (the same day, before
the last three of these: 71.5 s against 13.4 s, 5.32x).
The mix of all four, 40 submissions: 238.3 s against 86.6 s (2.75x), then 236.9 s against 80.4 s (2.95x), 243.9 s
against 73.7 s (3.31x) and, once cnntools read the digits without importing scikit-learn (0.7 s in the test and again
in the student's process of every training notebook, on both sides), 217.9 s against 68.6 s (3.18x); the same grades
for all 40. The ten training notebooks alone: 144.4 s against 68.4 s (2.11x). Training bounds the mix: a training
notebook is about 10.5 s of one-thread compute in the student's process (the notebook itself sets one thread, so
nbgrader's kernel runs the same compute at the same speed), and ten of them, two at a time on 2 cores, need about
52 s, where 4x of the mix would leave 54 s for all 40 submissions.
Where the time goes now (18 NumPy submissions, ~10 s): the first job starts after ~2.8 s (the fork server's imports
and warm-ups, 3.3 s of CPU on one core; the run's checks and the two zygotes, one after the other, on the other);
the jobs then take ~6.8 s, two at a time, each ~0.4 s of the grading process's CPU (the tests with their PyTorch
oracles and calls into the student's process, ~0.3 ms each; nbgrader's converters and sqlite) while the student's
process computes; grades.csv and the pages ~0.15 s.
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
    from autograder.nbgrader_app import template_gradebook  # made beforehand, as nbgrader's gradebook above
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
