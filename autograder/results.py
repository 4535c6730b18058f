"""Where a grading run keeps what it has finished: one JSON file per (student, assignment), each written with a
rename, and one feedback page per notebook. grades.csv is made from the JSON files."""
import json
from pathlib import Path

from .course import write_atomic


def result_path(out, student, assignment):
    return Path(out) / ".results" / assignment / f"{student}.json"


def feedback_path(out, student, assignment, notebook):
    return Path(out) / "feedback" / student / assignment / f"{notebook}.html"


def load_result(out, student, assignment):
    try:
        result = json.loads(result_path(out, student, assignment).read_text())
    except (OSError, ValueError):
        return None
    return result if isinstance(result, dict) and isinstance(result.get("notebooks"), dict) else None


def save_result(out, result):
    write_atomic(result_path(out, result["student"], result["assignment"]), json.dumps(result, indent=1))
