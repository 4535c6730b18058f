"""Benchmark (not a test): `similarity` over a class of 300 on one question. Goal on 2 cores: under a minute.

    .venv/bin/python bench/bench_similarity.py [--students 300] [--keep]

Writes a class of generated submissions of `forward` that answer conv2d_forward_naive only: each student starts
from one of three correct answers written differently (the solution's and tests/rewrites.py's two), drops some of
its argument checks and reorders the rest, and is disguised (names, comments, docstring, layout); one in ten hands
in a disguised copy of an earlier student's answer. Then it runs the command once and prints its wall-clock and CPU
seconds (CPU time is the fairer figure on a busy machine), and the median similarity of the copies and of the other
pairs (students who started from the same answer are alike too: the variants are few).

Measured on the 2-core development machine, shared with other work (load average 11 to 13): 300 students, 44,850
pairs, 27.7 to 30.1 s of CPU in two runs (about 2 s of imports, 5 s reading the notebooks and fingerprinting the
answers in the parent, 20 s comparing pairs in the pool, split between the cores), 93 to 105 s wall-clock under that
load, which left this process about a third of the machine. On 2 idle cores that is about 7 + 20 / 2 = 17 s. Every k-gram is a fingerprint (see similarity.WINDOW): winnowing with a window of 6 halved
the pairs' time but changed the report from run to run.
"""
import argparse
import ast
import contextlib
import csv
import io
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from autograder.__main__ import main as autograder  # noqa: E402
from rewrites import ASSIGNMENT, INDEPENDENT, disguise, docstring_of, solution_answers, with_answers  # noqa: E402

QUESTION = "conv2d_forward_naive"
GOAL = 60.0


def variant(source, rng):
    """`source` written a little differently: each argument check kept with probability 0.7, the kept ones in
    another order (they are independent of each other), then disguised."""
    tree = ast.parse(source)
    body = tree.body[0].body
    checks = [i for i, node in enumerate(body) if isinstance(node, ast.If) and isinstance(node.body[0], ast.Raise)]
    kept = [body[i] for i in checks if rng.random() < 0.7]
    rng.shuffle(kept)
    rest = [node for i, node in enumerate(body) if i not in checks]
    first = checks[0] if checks else 0
    tree.body[0].body = rest[:first] + kept + rest[first:]
    return disguise(ast.unparse(tree))


def cpu_seconds():
    """CPU time of this process and of its finished children (the pool's processes)."""
    return sum(r.ru_utime + r.ru_stime for r in map(resource.getrusage, [resource.RUSAGE_SELF,
                                                                         resource.RUSAGE_CHILDREN]))


def make_class(folder, students, rng):
    """{student: the student whose answer they copied} for the copies; writes every submission."""
    bases = [solution_answers([QUESTION])[QUESTION]] + [docstring_of(QUESTION) + v for v in INDEPENDENT[QUESTION]]
    answers, copied = {}, {}
    for i in range(students):
        student = f"s{i:03d}"
        if i >= 10 and rng.random() < 0.1:
            copied[student] = rng.choice(sorted(answers))
            answers[student] = disguise(answers[copied[student]])
        else:
            answers[student] = variant(rng.choice(bases), rng)
        with_answers(folder, student, {QUESTION: answers[student]})
    return copied


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the generated class and report; print where")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-similarity-"))
    try:
        copied = make_class(tmp / "subs", args.students, random.Random(0))
        cpu, start = cpu_seconds(), time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            status = autograder(["similarity", str(tmp / "subs"), "--assignment", ASSIGNMENT, "--out", str(tmp)])
        seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
        if status:
            raise SystemExit(f"similarity failed with exit status {status}")
        with open(tmp / "similarity" / f"{ASSIGNMENT}.csv", newline="") as f:
            rows = [r for r in csv.DictReader(f) if r["question"] == QUESTION]
        copies = {frozenset(pair) for pair in copied.items()}
        score = {frozenset((r["student_a"], r["student_b"])): float(r["similarity"]) for r in rows}
        pairs_of = [[score.get(p, 0.0) for p in copies], [s for p, s in score.items() if p not in copies]]
        pairs = args.students * (args.students - 1) // 2
        verdict = "ok" if seconds <= GOAL else f"SLOWER than the goal of {GOAL:.0f} s"
        print(f"{args.students} students, {pairs} pairs of {QUESTION}: {seconds:.1f} s wall, "
              f"{cpu:.1f} s CPU ({verdict})")
        print(f"median similarity: {statistics.median(pairs_of[0]):.2f} of the {len(copied)} copies, "
              f"{statistics.median(pairs_of[1]):.2f} of the other pairs that share anything")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
