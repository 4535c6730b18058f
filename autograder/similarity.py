"""`similarity SUBMISSIONS --assignment A --out OUT`: which students handed in the same code, answer cell by answer
cell, for the instructor's eyes only (OUT/similarity/, beside the gradebook; never under feedback/ or in a published
tree).

Every pair of students' answers to each code question (a solution cell, by grade_id) is compared by copydetect
(k-gram fingerprints, MOSS's method). Its tokenizer (Pygments) already makes each identifier 'V' (a defined
function's name 'F'), each string 'S', and drops comments and whitespace, so renamed variables, removed comments
and reflowed lines change nothing; what it keeps of a docstring, one 'S', this module removes (a copy without the
docstrings would lose every k-gram across each). The released notebook's code is boilerplate: a k-gram found in it
counts for nothing, so the code students were given never makes two of them alike.
"""
import csv
import io
import multiprocessing
import os
import signal
import sys
import tokenize
from itertools import combinations
from pathlib import Path

import nbformat
import numpy as np
from copydetect import CodeFingerprint, compare_files, defaults

from .cells import claimed_id, is_solution
from .course import RELEASE, ROOT, check_assignment, notebooks
from .errors import UsageError
from .feedback import TEMPLATES
from .files import write_atomic
from .publish import WORKFLOW
from .submissions import find_jobs

K = defaults.NOISE_THRESHOLD  # the shortest match that counts, in characters of copydetect's filtered code
# Every k-gram is a fingerprint (copydetect's default): winnowing keeps the smallest hash of each window, and
# copydetect hashes with Python's hash(), salted anew in each process, so a wider window gives another report each run.
WINDOW = 1
TOP = 10  # pairs per question shown side by side on the page
PARTS = 16  # the pairs of a question are compared in this many parts, shared among the cores


def without_docstrings(source):
    """`source` with every statement that is only a string removed, its line breaks kept (so line n is still the
    student's line n); unchanged when it does not tokenize."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
                  if t.type not in (tokenize.NL, tokenize.COMMENT)]
    except (tokenize.TokenError, SyntaxError):
        return source
    lines = io.StringIO(source).readlines()
    statement_start = (None, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
    strings = [t for before, t, after in zip([None, *tokens], tokens, tokens[1:])
               if t.type == tokenize.STRING and (before and before.type) in statement_start
               and after.type in (tokenize.NEWLINE, tokenize.ENDMARKER)]
    for t in reversed(strings):
        (r0, c0), (r1, c1) = t.start, t.end
        lines[r0 - 1:r1] = [lines[r0 - 1][:c0] + "\n" * (r1 - r0) + lines[r1 - 1][c1:]]
    return "".join(lines)


def fingerprint(code, boilerplate=None):
    """copydetect's fingerprint of one cell's code, less the hashes in `boilerplate` (a sorted array)."""
    return CodeFingerprint("cell.py", K, WINDOW, boilerplate, language="python",
                           fp=io.StringIO(without_docstrings(code)))


def released(assignment):
    """{notebook: ([grade_id of each code question], boilerplate hashes)} from the released notebooks."""
    found = {}
    for name in notebooks(assignment):
        path = RELEASE / assignment / f"{name}.ipynb"
        if not path.is_file():
            raise UsageError(f"{path.relative_to(ROOT)} not found: run `python -m autograder release {assignment}`")
        code = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        hashes = {h for c in code for h in fingerprint(c.source).hashes}
        found[name] = ([claimed_id(c) for c in code if is_solution(c)], np.array(sorted(hashes)))
    return found


def answers(path, questions):
    """{grade_id: source} of the code answer cells in a student's notebook (the last one, as grading takes it; a
    source that is not text, which nbformat lets through, is empty)."""
    cells = nbformat.read(path, as_version=4).cells
    return {claimed_id(c): c.source if isinstance(c.source, str) else "" for c in cells
            if c.cell_type == "code" and claimed_id(c) in questions}


def similarity(a, b):
    """The share of the two answers' fingerprinted code that they share (copydetect's per-file shares, averaged)."""
    _, shares, _ = compare_files(a, b)
    return sum(shares) / 2


_prints = None  # the fingerprints that a pool's process compares (set in it by _share)


def _share(prints):
    global _prints
    _prints = prints
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # ^C is the parent's to act on: it ends the pool


def _compare(part):
    """[(similarity, a, b)] of every `part`-th pair of the students of _prints."""
    pairs = list(combinations(sorted(_prints), 2))[part::PARTS]
    return [(similarity(_prints[a], _prints[b]), a, b) for a, b in pairs]


def ranked(prints):
    """[(similarity, a, b)] of every pair of students in `prints` ({student: fingerprint}), highest first, on every
    core. Forked, so the processes share the fingerprints (copydetect's hash() agrees only within one process)."""
    with multiprocessing.get_context("fork").Pool(len(os.sched_getaffinity(0)), _share, (prints,)) as pool:
        pairs = [pair for part in pool.map(_compare, range(PARTS)) for pair in part]
    return sorted(pairs, key=lambda p: -p[0])


def shared_lines(fp, slices):
    """Numbers (0-based) of the lines of `fp`'s code that are mostly inside `slices` (copydetect's copied ranges)."""
    covered = bytearray(len(fp.raw_code) + 1)
    for start, end in zip(*slices):
        covered[int(start):int(end)] = b"\1" * (int(end) - int(start))
    shared, offset = set(), 0
    for number, line in enumerate(io.StringIO(fp.raw_code).readlines()):
        marks = [covered[offset + i] for i, ch in enumerate(line) if not ch.isspace()]
        if marks and 2 * sum(marks) >= len(marks):
            shared.add(number)
        offset += len(line)
    return shared


def side_by_side(codes, prints, a, b):
    """The two answers as [(line, shared)] each, for the page."""
    _, _, slices = compare_files(prints[a], prints[b])
    sides = []
    for s, part in ((a, slices[0]), (b, slices[1])):
        shared = shared_lines(prints[s], part)
        sides.append([(line, n in shared) for n, line in enumerate(codes[s].split("\n"))])
    return sides


def check_out(out):
    """OUT is the instructor's: never inside this repository outside _grading/, never in a published tree."""
    out = Path(out).resolve()
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out is a file, not a folder: {out}")
    if out == ROOT or (ROOT in out.parents and ROOT / "_grading" not in [out, *out.parents]):
        raise UsageError(f"--out {out} is inside the repository: use a folder under _grading/ (never published)")
    if any((p / WORKFLOW).is_file() for p in [out, *out.parents]):
        raise UsageError(f"--out {out} is inside a published course: students would see the report")
    return out


def report(submissions, assignment, out, threshold=0.0):
    """Compare every pair of answers of `assignment`; write OUT/similarity/ASSIGNMENT.csv and .html; return their
    paths."""
    if not 0 <= threshold < 1:
        raise UsageError(f"--threshold must be at least 0 and below 1, got {threshold}")
    check_assignment(assignment)
    out = check_out(out)
    work, skipped = find_jobs(submissions, assignment)
    notes = [f"passed over: {line}" for line in skipped]
    release = released(assignment)
    codes = {}  # (notebook, grade_id) -> {student: source}
    for student, _, found, job_notes in work:
        for name, why in job_notes["problems"].items():
            notes.append(f"{student}: {why}; not compared")
        for name, file in job_notes["renamed"].items():
            notes.append(f"{student}: compared {file} as {name}.ipynb")
        for name, path in found.items():
            questions = release[name][0]
            got = answers(path, questions)
            notes += [f"{student}: no answer cell '{q}' in {path.name}" for q in questions if q not in got]
            for q, source in got.items():
                codes.setdefault((name, q), {})[student] = source
    rows, shown = [], []
    for name, (questions, boilerplate) in release.items():
        for q in questions:
            label = q if len(release) == 1 else f"{name}/{q}"
            code = codes.get((name, q), {})
            prints = {s: fingerprint(source, boilerplate) for s, source in code.items()}
            pairs = [p for p in ranked(prints) if p[0] > threshold]
            rows += [(label, a, b, f"{s:.3f}") for s, a, b in pairs]
            comparable = sum(1 for fp in prints.values() if fp.hashes)  # beyond the given code, and long enough
            shown.append((label, comparable, [(s, a, b, side_by_side(code, prints, a, b)) for s, a, b in pairs[:TOP]]))
    folder = out / "similarity"
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([("question", "student_a", "student_b", "similarity"), *rows])
    write_atomic(folder / f"{assignment}.csv", text.getvalue())
    page = TEMPLATES.get_template("similarity.html.j2").render(
        assignment=assignment, questions=shown, notes=notes, threshold=threshold, top=TOP, k=K,
        students=len(work))
    write_atomic(folder / f"{assignment}.html", page)
    for line in notes:
        print(line, file=sys.stderr)
    print(f"compared {len(work)} submissions of {assignment}: {len(rows)} pairs above {threshold:g}; report in "
          f"{folder / assignment}.csv and .html (the instructor's only: never publish it)")
    return folder / f"{assignment}.csv", folder / f"{assignment}.html"
