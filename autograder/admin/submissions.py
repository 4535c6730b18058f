"""What was handed in: SUBMISSIONS/<student>/<assignment>/<notebook>.ipynb, as jobs for the run, each notebook matched
to the assignment's, and a line for everything else in the folder."""
import json
import re
from pathlib import Path

from ..course import assignments, check_assignment, notebooks
from ..errors import UsageError, first_line

STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def as_student_id(raw, default="student"):
    """`raw` (an LMS's or Gradescope's id) made a student id: other characters become '_', at most 64 of them."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", raw).lstrip("._-")[:64] or default


SUBMITTED = ".submitted"  # what `collect` was told of a submission by the LMS (JSON), beside its notebooks


def read_submitted(folder):
    """What `collect` recorded of the submission in `folder` (its id, late mark and time), or {} when nothing."""
    try:
        data = json.loads((Path(folder) / SUBMITTED).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


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


def notebooks_in(folder):
    return sorted(p for p in folder.glob("*.ipynb") if p.is_file() and not p.name.startswith("."))


def inner_folder(folder):
    """The one sub-folder holding notebooks of a folder that holds none itself (a student who zipped the assignment's
    folder hands in forward/forward/forward.ipynb), or None. Hidden folders (.ipynb_checkpoints) and macOS's
    __MACOSX are not the student's."""
    if notebooks_in(folder):
        return None
    inner = [d for d in sorted(folder.iterdir()) if d.is_dir() and not d.name.startswith((".", "__MACOSX"))
             and notebooks_in(d)]
    return inner[0] if len(inner) == 1 else None


def match_notebooks(folder, expected):
    """({notebook: path}, notes) for one assignment folder: each expected notebook by its name, or, when the
    assignment has one notebook and the folder holds one, that one whatever its name (browsers save a second
    download as 'forward (1).ipynb'). A folder with no notebook but one sub-folder that has some is graded as that
    sub-folder, with the same notice as a renamed notebook. A notebook that cannot be read is a problem of that
    notebook only."""
    inner = inner_folder(folder)
    where = inner or folder
    present = notebooks_in(where)
    found, problems, renamed = {}, {}, {}
    for name in expected:
        path = where / f"{name}.ipynb"
        if path in present:
            found[name] = path
    if len(expected) == 1 and not found and len(present) == 1:
        found[expected[0]] = present[0]
    for name, path in found.items():
        if inner or path.name != f"{name}.ipynb":
            renamed[name] = path.relative_to(folder).as_posix()
    for name in expected:
        if name not in found:
            problems[name] = (f"no notebook in {folder.name}/ to grade as {name}.ipynb" if not present else
                              f"{name}.ipynb is not among the notebooks handed in "
                              f"({', '.join(p.name for p in present)})")
    import nbformat  # here, not at the top: a mistyped command is told at once, without its import time
    for name, path in list(found.items()):
        try:
            nbformat.read(path, as_version=4)
        except Exception as err:  # not JSON, truncated, empty: any parse failure, reported by its first line
            problems[name] = f"{path.name} is not a valid notebook ({first_line(err)[:300]})"
            del found[name]
    return found, {"problems": problems, "renamed": renamed}
