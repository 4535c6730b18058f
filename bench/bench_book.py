"""Benchmark (not a test): how long the book takes to build, cold and cached.

    .venv/bin/python bench/bench_book.py [--keep]

Copies the repository (without _build, .venv, .git and _grading) into a temporary folder and runs the same command
as `make book` there twice: first cold (no _build: every chapter and notebook is executed), then cached (nothing
changed: the jupyter-cache in _build/.jupyter_cache answers and Sphinx rebuilds nothing). The working tree's own
_build is never touched. Goals on a 2-core machine without a GPU: cold under 5 minutes, cached under 30 seconds.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMAND = ["jupyter-book", "build", ".", "-W", "-n", "--keep-going"]
GOALS = {"cold": 300.0, "cached": 30.0}


def build(where, env):
    start = time.perf_counter()
    result = subprocess.run(COMMAND, cwd=where, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.stdout.write(result.stdout[-6000:])
        raise SystemExit(f"the book build failed (exit {result.returncode}) in {where}")
    executed = sum(1 for line in result.stdout.splitlines() if "Executed notebook in" in line)
    return seconds, executed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy and print its path")
    args = parser.parse_args()

    venv_bin = Path(sys.executable).parent
    env = dict(os.environ, MPLBACKEND="Agg", PATH=f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-book-"))
    copy = tmp / "repo"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns("_build", ".venv", ".git", "_grading", "__pycache__",
                                                               ".pytest_cache", "*.egg-info"))
    try:
        print(f"building the book in a copy of {ROOT} ({os.cpu_count()} CPU cores)", flush=True)
        results = {}
        for kind in ("cold", "cached"):
            seconds, executed = build(copy, env)
            results[kind] = seconds
            verdict = "ok" if seconds <= GOALS[kind] else f"SLOWER than the goal of {GOALS[kind]:.0f} s"
            print(f"{kind:6s} build: {seconds:6.1f} s  ({executed} notebooks executed; {verdict})", flush=True)
    finally:
        if args.keep:
            print(f"kept {copy}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return results


if __name__ == "__main__":
    main()
