"""nbgrader's own commands work from the root of a clean clone (nbgrader_config.py) and change no committed file.

The clone holds this working tree's tracked files as one commit, so the test checks the configuration as edited.
"""
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

from pipeline import REPO, written_points

ASSIGNMENT = "dimensions"   # the quickest to execute


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def test_nbgrader_commands_in_a_clean_clone(tmp_path):
    clone = tmp_path / "course"
    git("clone", "-q", str(REPO), str(clone), cwd=tmp_path)
    for rel in git("ls-files", "-z", cwd=REPO).split("\0"):
        if rel and (REPO / rel).is_file():
            (clone / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(REPO / rel, clone / rel)
    git("add", "-A", cwd=clone)
    git("-c", "user.name=test", "-c", "user.email=test@example.org", "commit", "-q", "--allow-empty", "-m", "tree",
        cwd=clone)
    bin_dir = Path(sys.executable).parent
    nbgrader = [str(bin_dir / "nbgrader")]
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}  # it runs the venv's alembic

    def run(*args):
        done = subprocess.run(nbgrader + list(args), cwd=clone, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"nbgrader {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout + done.stderr

    notebook = f"{ASSIGNMENT}.ipynb"
    run("generate_assignment", ASSIGNMENT, "--force")
    assert (clone / "_grading/release" / ASSIGNMENT / notebook).is_file()
    assert "Success! Your notebook passes all the tests." in run("validate", f"solutions/{ASSIGNMENT}/{notebook}")
    submitted = clone / "_grading/submitted/alice" / ASSIGNMENT
    submitted.mkdir(parents=True)
    shutil.copyfile(clone / "solutions" / ASSIGNMENT / notebook, submitted / notebook)
    run("autograde", ASSIGNMENT)
    run("export")
    with open(clone / "_grading/grades.csv") as f:
        rows = [r for r in csv.DictReader(f) if r["student_id"] == "alice"]
    # full marks but for the written answers, which wait for a person in formgrader
    assert len(rows) == 1 and float(rows[0]["score"]) == float(rows[0]["max_score"]) - written_points(ASSIGNMENT) > 0, rows
    assert git("status", "--porcelain", cwd=clone) == "", "nbgrader changed or deleted committed files"
