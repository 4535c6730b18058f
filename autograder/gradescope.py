"""Gradescope: ``python -m autograder gradescope ASSIGNMENT`` builds the autograder zip to upload; inside the
container, its ``run_autograder`` calls ``python -m autograder.gradescope run``, which grades the one submission in
/autograder/submission with the same pipeline as ``grade`` and writes /autograder/results/results.json.

Gradescope's layout (https://gradescope-autograders.readthedocs.io/en/latest/specs/): the zip is unpacked into
/autograder/source, ``setup.sh`` runs there once when the image is built, ``run_autograder`` runs for each
submission. AUTOGRADER_ROOT replaces /autograder (and AUTOGRADER_PYTHON the venv's Python) to try it elsewhere.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from .course import ROOT, SOURCE, check_assignment, notebooks
from .errors import UsageError
from .files import write_atomic
from .admin.submissions import as_student_id

VENV = "/opt/cnn-autograder"

SETUP = f"""#!/usr/bin/env bash
# Gradescope runs this once, as root, in /autograder/source, when it builds the autograder image.
# Choose the Ubuntu 24.04 base image (Python 3.12; requirements.txt pins packages that need Python >= 3.11).
set -euo pipefail
cd "$(dirname "$0")"
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv python3-pip bubblewrap
python3 -m venv {VENV}
# torch's CPU wheels (the default index serves the CUDA build, gigabytes larger)
{VENV}/bin/pip install --quiet --extra-index-url https://download.pytorch.org/whl/cpu -r requirements.txt
{VENV}/bin/pip install --quiet --no-deps .          # cnntools, readable by the sandbox's user
chmod -R a+rX {VENV}
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for each submission; it writes $ROOT/results/results.json whatever happens.
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{AUTOGRADER_PYTHON:-{venv}/bin/python}}"
# Students' code runs in bubblewrap where the container allows it, else as uid 65534 (see autograder/sandbox/zygote.py);
# then only file permissions keep it from the course's files: make them root's alone.
export AUTOGRADER_SANDBOX="${{AUTOGRADER_SANDBOX:-auto}}"
chmod 0700 "$ROOT/source/solutions" "$ROOT/source/_grading" 2>/dev/null
mkdir -p "$ROOT/results" && chmod 0700 "$ROOT/results"
cd "$ROOT/source" || exit 1
exec "$PYTHON" -m autograder.gradescope run --root "$ROOT" --assignment {assignment} --timeout {timeout}
"""


def build(assignment, dest=None, timeout=120):
    """Write the zip for `assignment`; return its path."""
    check_assignment(assignment)
    from .execution.nbgrader_app import template_gradebook
    dest = Path(dest or ROOT / "_grading" / "gradescope" / f"{assignment}.zip").resolve()
    dest.parent.mkdir(parents=True, exist_ok=True)
    template = template_gradebook(dest.parent, assignment)  # made now, so that no student waits for it
    files = [*(ROOT / "autograder").rglob("*.py"), *(ROOT / "autograder" / "results" / "templates").glob("*")]
    files += [p for p in (ROOT / "cnntools").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    files += [p for p in (SOURCE / assignment).rglob("*") if p.is_file() and ".ipynb_checkpoints" not in p.parts
              and "__pycache__" not in p.parts]
    files += [ROOT / "requirements.txt", ROOT / "pyproject.toml"]
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(set(files)):
            z.write(path, path.relative_to(ROOT).as_posix())
        if template.is_relative_to(ROOT):
            z.write(template, template.relative_to(ROOT).as_posix())
        else:
            z.write(template, f"_grading/.templates/{assignment}/{template.name}")
        for name, text in [("setup.sh", SETUP), ("run_autograder", RUN.format(
                venv=VENV, assignment=assignment, timeout=int(timeout)))]:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = 0o100755 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text)
    os.replace(tmp, dest)
    return dest


class Unusable(Exception):
    """A submission that cannot be graded, in words for the student."""


def student_id(root):
    """The submitter's Gradescope id (for the file names only), or 'student'."""
    try:
        meta = json.loads((root / "submission_metadata.json").read_text())
        user = (meta.get("users") or [{}])[0]
        raw = str(user.get("id") or user.get("email") or "student")
    except (OSError, ValueError, AttributeError, IndexError):
        raw = "student"
    return as_student_id(raw)


def place(submission, target, assignment):
    """Copy the submitted notebooks to target/<notebook>.ipynb; the names must be the assignment's."""
    found = sorted(p for p in submission.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    wanted = notebooks(assignment)
    target.mkdir(parents=True)
    placed = 0
    for name in wanted:
        matches = sorted((p for p in found if p.name == f"{name}.ipynb"), key=lambda p: len(p.parts))
        if not matches and len(wanted) == 1 and len(found) == 1:
            matches = found  # one notebook, under another name: it is the one
        if matches:
            shutil.copy(matches[0], target / f"{name}.ipynb")
            placed += 1
    if not placed:
        names = ", ".join(f"{n}.ipynb" for n in wanted)
        raise Unusable(f"no notebook to grade: upload {names} (found: "
                       f"{', '.join(p.name for p in found) or 'no .ipynb file'})")


def run(root, assignment, timeout=120):
    """Grade /autograder/submission; always write /autograder/results/results.json."""
    root = Path(root).resolve()
    started = time.monotonic()
    try:
        from .results import JobResult
        from .run import grade_all
        student = student_id(root)
        with tempfile.TemporaryDirectory(prefix="gradescope-") as tmp:
            subs, out = Path(tmp) / "submissions", Path(tmp) / "graded"
            place(root / "submission", subs / student / assignment, assignment)
            grade_all(subs, out, assignment, jobs=1, timeout=timeout)
            payload = JobResult.load(out, student, assignment).gradescope()
    except Unusable as err:
        payload = {"score": 0.0, "output": f"Your submission could not be graded: {err}", "tests": []}
    except (UsageError, Exception) as err:  # the grader's own failure: say so, rather than a silent zero
        payload = {"score": 0.0, "tests": [],
                   "output": f"The autograder failed ({type(err).__name__}: {str(err)[:500]}); please tell the "
                             "course staff. Your submission was not graded."}
    payload["execution_time"] = int(time.monotonic() - started)
    write_atomic(root / "results" / "results.json", json.dumps(payload, indent=1))
    return payload


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope")
    commands = parser.add_subparsers(dest="command", required=True)
    r = commands.add_parser("run", help="grade /autograder/submission (inside Gradescope's container)")
    r.add_argument("--root", default=os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    r.add_argument("--assignment", required=True)
    r.add_argument("--timeout", type=int, default=120)
    args = parser.parse_args(argv)
    payload = run(args.root, args.assignment, args.timeout)
    print(payload.get("output", ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
