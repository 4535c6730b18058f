"""The LMS's formats: how Canvas and Moodle name the files of a bulk download, the roster that maps the LMS's ids to
the course's student ids, and Canvas's gradebook import CSV (made from grades.csv by `export-canvas`)."""
import csv
import io
import re
import sys
from pathlib import Path

from ..course import check_assignment
from ..errors import UsageError
from ..files import write_atomic
from .submissions import as_student_id

# Canvas: <name>_<user id>_<submission id>_<original name>, with LATE after the name for a late submission.
CANVAS = re.compile(r"(?P<name>[^_/]+)_(?:(?P<late>LATE)_)?(?P<id>\d+)_(?P<submission>\d+)_(?P<file>[^/]+)")
# Moodle: a folder per student and plugin, <Full Name>_<participant id>_assignsubmission_<plugin>_/<file>.
MOODLE = re.compile(r"(?P<name>[^/]+)_(?P<id>\d+)_assignsubmission_[a-z]+_?/(?:.+/)?(?P<file>[^/]+)")
LAYOUTS = {"canvas": CANVAS, "moodle": MOODLE}
# Canvas's own columns of a gradebook export, in its order; a roster may have any of them and more.
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
ROSTER_LMS_ID = ("ID", "lms_id")                # the LMS's id of a student: Canvas's export, or a two-column CSV
ROSTER_STUDENT = ("SIS Login ID", "student")    # the course's student id


def parse_name(layout, path):
    """(LMS id, marked late, original file name) of a file of a download (path relative to it, with '/'), or None
    when the name is not the layout's."""
    match = LAYOUTS[layout].fullmatch(path if layout == "moodle" else path.rsplit("/", 1)[-1])
    if not match:
        return None
    return match["id"], bool(match.groupdict().get("late")), match["file"]


def guess_layout(paths):
    """The layout that names the most of these files; UsageError when neither names any."""
    counts = {layout: sum(parse_name(layout, p) is not None for p in paths) for layout in LAYOUTS}
    best = max(counts, key=counts.get)
    if not counts[best]:
        raise UsageError("no file of the download is named as Canvas or Moodle name them "
                         "(<name>_<id>_<submission>_<file> or <Full Name>_<id>_assignsubmission_file_/<file>)")
    return best


def _column(header, names, path):
    for name in names:
        if name in header:
            return name
    raise UsageError(f"roster {path} has no column {' or '.join(repr(n) for n in names)}")


def read_roster(path):
    """(header, rows, {LMS id: student id}) of a roster CSV: Canvas's gradebook export (its 'Points Possible' and
    other non-student rows are dropped) or any CSV with the columns lms_id and student."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header, rows = list(reader.fieldnames or []), list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise UsageError(f"cannot read the roster {path}: {err}") from None
    lms_id, student = _column(header, ROSTER_LMS_ID, path), _column(header, ROSTER_STUDENT, path)
    rows = [r for r in rows if (r.get(lms_id) or "").strip()]  # Points Possible, Muted: rows without a student
    ids = {}
    for r in rows:
        ids[r[lms_id].strip()] = (r.get(student) or "").strip() or as_student_id(r[lms_id].strip())
    return header, rows, ids


def canvas_csv(header, rows, ids, column, points, totals):
    """Canvas's gradebook import: the roster's Canvas columns, then `column` with each student's total (blank for
    a student without one, which Canvas leaves as it was), after a 'Points Possible' row.

    ids: {LMS id: student id} (read_roster's); totals: {student id: total}."""
    if "ID" not in header:
        raise UsageError("the roster is not Canvas's gradebook export (it has no column 'ID')")
    keep = [c for c in CANVAS_COLUMNS if c in header]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(keep + [column])
    writer.writerow(["    Points Possible"] + [""] * (len(keep) - 1) + [f"{points:g}"])
    for r in rows:
        total = totals.get(ids[r["ID"].strip()])
        writer.writerow([r.get(c, "") for c in keep] + ["" if total is None else f"{total:g}"])
    return text.getvalue()


def export_canvas(out, roster, assignment, column=None):
    """OUT/canvas-<assignment>.csv from OUT/grades.csv (the score after any late penalty); print a line for each
    graded student the roster lacks."""
    check_assignment(assignment)
    grades = Path(out) / "grades.csv"
    header, rows, ids = read_roster(roster)
    totals, maxima = {}, {}
    try:
        with open(grades, newline="") as f:
            for r in csv.DictReader(f):
                if r["assignment"] == assignment:
                    total = float(r.get("final_score") or r["score"])  # after the late penalty, when there is one
                    totals[r["student"]] = totals.get(r["student"], 0.0) + total
                    maxima.setdefault(r["student"], {})[r["notebook"]] = float(r["max_score"])
    except OSError:
        raise UsageError(f"no grades to export: {grades} not found (run grade first)") from None
    except (KeyError, ValueError, csv.Error):
        raise UsageError(f"{grades} is not a grades.csv of this grader") from None
    if not totals:
        raise UsageError(f"{grades} has no grades of {assignment}")
    points = max(sum(m.values()) for m in maxima.values())
    text = canvas_csv(header, rows, ids, column or assignment, points, totals)
    target = Path(out) / f"canvas-{assignment}.csv"
    write_atomic(target, text)
    for student in sorted(set(totals) - set(ids.values())):
        print(f"not in the roster: {student} ({totals[student]:g} points not exported)", file=sys.stderr)
    print(f"wrote {target} ({len(rows)} students, {sum(ids[r['ID'].strip()] in totals for r in rows)} with a grade)",
          file=sys.stderr)
