"""Grade one (student, assignment) with nbgrader in a course folder of its own: ``python -m autograder.worker SPEC``.

SPEC is the JSON that ``grade.grade_one`` passes. The result file is written last, with a rename: it exists only
for a submission that was graded to the end.
"""
import json
import shutil
import sys
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from .course import last_line, nbgrader_api, notebooks, write_atomic
from .grade import feedback_path, save_result, zero_page


def main(spec):
    out, student, assignment = Path(spec["out"]), spec["student"], spec["assignment"]
    root = out / ".work" / assignment / student
    shutil.rmtree(root, ignore_errors=True)
    submitted = root / "submitted" / student / assignment
    submitted.mkdir(parents=True)
    shutil.copy(spec["template"], root / "gradebook.db")
    for name, path in spec["notebooks"].items():
        shutil.copy(path, submitted / f"{name}.ipynb")

    api = nbgrader_api(root, timeout=spec["timeout"])
    graded = api.autograde(assignment, student, force=True, create=True)
    reason = None if graded["success"] else "nbgrader could not grade this submission: " + last_line(graded)
    if graded["success"]:
        api.generate_feedback(assignment, student, force=True)

    result = {k: spec[k] for k in ("student", "assignment", "source_hash", "submission_hash")}
    result["notebooks"], result["log"] = {}, (graded.get("log") or "")[-4000:]
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for nb in notebooks(assignment):
            maximum = gb.find_notebook(nb, assignment).max_score
            try:
                score = gb.find_submission_notebook(nb, assignment, student).score
                why = reason
            except MissingEntry:
                score, why = 0.0, reason or f"{nb}.ipynb was not submitted"
            result["notebooks"][nb] = {"score": float(score), "max_score": float(maximum), "reason": why}
            page = root / "feedback" / student / assignment / f"{nb}.html"
            write_atomic(feedback_path(out, student, assignment, nb),
                         page.read_bytes() if page.exists() else zero_page(assignment, nb, why))
    save_result(out, result)
    shutil.rmtree(root, ignore_errors=True)



if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
