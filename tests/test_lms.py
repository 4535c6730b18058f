"""The LMS in and out: a Canvas bulk download collected, graded with a late-work rule and exported as Canvas's
gradebook import (one grading run); Moodle's layout; what collect refuses; the late rule itself."""
import csv
import json
import zipfile
from datetime import datetime

import pytest

from autograder.errors import UsageError
from autograder.admin.late import Rule, assess, load_rules
from autograder.admin.lms import parse_name
from autograder.admin.submissions import as_student_id
from pipeline import REPO, autograder, read_grades, written_points

ASSIGNMENT = "dimensions"
NOTEBOOK = (REPO / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes()
ROSTER = ("Student,ID,SIS User ID,SIS Login ID,Section,Other\n"
          "    Points Possible,,,,,\n"
          "Alice Smith,101,S1,alice,A,x\n"
          "Bob Jones,102,S2,bob,A,x\n"
          "Carol Wu,103,S3,carol,B,x\n")


def one_line(run, *words):
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("autograder: error:"), run.stderr
    assert all(w in lines[0] for w in words), lines[0]


def canvas_zip(path, members):
    """members: {name: (bytes, (y, m, d, H, M, S))}."""
    with zipfile.ZipFile(path, "w") as z:
        for name, (data, when) in members.items():
            z.writestr(zipfile.ZipInfo(name, when), data)
    return path


def damaged(path):
    data = bytearray(path.read_bytes())
    data[data.find(b'"cells"')] ^= 1  # the member's bytes, not its header: only its checksum tells
    path.write_bytes(bytes(data))
    return path


@pytest.fixture
def download(tmp_path):
    return canvas_zip(tmp_path / "submissions.zip", {
        "alicesmith_101_9001_dimensions.ipynb": (NOTEBOOK, (2026, 12, 1, 20, 0, 0)),
        "bobjones_LATE_102_9002_dimensions-1.ipynb": (NOTEBOOK, (2026, 12, 3, 9, 30, 0)),  # 2 days late
        "davelee_104_9004_dimensions.ipynb": (NOTEBOOK, (2026, 12, 1, 20, 0, 0)),          # not in the roster
        "readme.txt": (b"hi", (2026, 12, 1, 0, 0, 0))})


@pytest.fixture
def roster(tmp_path):
    (tmp_path / "roster.csv").write_text(ROSTER)
    return tmp_path / "roster.csv"


def test_canvas_download_collected_graded_late_and_exported(download, roster, tmp_path):
    subs, out, late = tmp_path / "subs", tmp_path / "out", tmp_path / "late.yml"
    run = autograder("collect", download, "--assignment", ASSIGNMENT, "--out", subs, "--roster", roster)
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in subs.iterdir()) == ["alice", "bob"]
    assert (subs / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes() == NOTEBOOK  # "-1" dropped
    assert json.loads((subs / "bob" / ASSIGNMENT / ".submitted").read_text())["late"] is True
    assert "not placed: davelee_104_9004_dimensions.ipynb: LMS id 104 is not in the roster" in run.stderr
    assert "not placed: readme.txt: not named as canvas names" in run.stderr

    late.write_text(f"{ASSIGNMENT}:\n  deadline: 2026-12-01T23:59\n  penalty: 10%/day\n  zero_after: 5\n")
    run = autograder("grade", subs, "--out", out, "--late", late)
    assert run.returncode == 0, run.stderr
    with open(out / "grades.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert (rows["alice"]["score"], rows["alice"]["days_late"], rows["alice"]["final_score"]) == ("14", "0", "14")
    assert (rows["bob"]["score"], rows["bob"]["days_late"], rows["bob"]["late_penalty"],
            rows["bob"]["final_score"]) == ("14", "2", "2.8", "11.2")
    page = (out / "feedback" / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "2 days after the deadline" in page and "20% of the score is taken off" in page and f"11.2 / {14 + written_points(ASSIGNMENT)}" in page
    assert "2 days" not in (out / "feedback" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()

    late.write_text(f"{ASSIGNMENT}:\n  deadline: 2026-12-01T23:59\n  penalty: 10%/day\n  zero_after: 1\n")
    run = autograder("grade", subs, "--out", out, "--late", late)  # a new rule: nothing regraded
    assert run.returncode == 0 and "grading 0 of 2" in run.stderr, run.stderr
    assert read_grades(out / "grades.csv")[("bob", ASSIGNMENT, ASSIGNMENT)] == (14, 14 + written_points(ASSIGNMENT))  # raw score
    with open(out / "grades.csv", newline="") as f:
        assert {r["student"]: r["final_score"] for r in csv.DictReader(f)} == {"alice": "14", "bob": "0"}
    assert "more than 1 days late" in (out / "feedback" / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()

    run = autograder("export-canvas", out, "--roster", roster, "--assignment", ASSIGNMENT, "--column", "Dims (77)")
    assert run.returncode == 0, run.stderr
    assert (out / f"canvas-{ASSIGNMENT}.csv").read_text().splitlines() == [
        "Student,ID,SIS User ID,SIS Login ID,Section,Dims (77)", f"    Points Possible,,,,,{14 + written_points(ASSIGNMENT)}",
        "Alice Smith,101,S1,alice,A,14", "Bob Jones,102,S2,bob,A,0", "Carol Wu,103,S3,carol,B,"]


def test_moodle_folder_guessed_and_nothing_overwritten_silently(tmp_path):
    download, subs = tmp_path / "moodle", tmp_path / "subs"
    for who, data in [("Ann Lee_555_assignsubmission_file_", NOTEBOOK), ("Bo Ek_556_assignsubmission_file_", b"{")]:
        (download / who).mkdir(parents=True)
        (download / who / "mine.ipynb").write_bytes(data)
    (download / "stray.ipynb").write_bytes(b"{}")
    run = autograder("collect", download, "--assignment", ASSIGNMENT, "--out", subs)
    assert run.returncode == 0, run.stderr
    assert (subs / "555" / ASSIGNMENT / "mine.ipynb").read_bytes() == NOTEBOOK
    assert json.loads((subs / "556" / ASSIGNMENT / ".submitted").read_text())["time"] is None  # a folder's times
    assert "not placed: stray.ipynb" in run.stderr and "moodle layout" in run.stderr

    run = autograder("collect", download, "--assignment", ASSIGNMENT, "--out", subs)
    assert run.returncode == 0 and "unchanged: 555/dimensions" in run.stderr, run.stderr
    (download / "Bo Ek_556_assignsubmission_file_" / "mine.ipynb").write_bytes(NOTEBOOK)
    one_line(autograder("collect", download, "--assignment", ASSIGNMENT, "--out", subs), "556/dimensions",
             "--replace")
    assert (subs / "556" / ASSIGNMENT / "mine.ipynb").read_bytes() == b"{"
    run = autograder("collect", download, "--assignment", ASSIGNMENT, "--out", subs, "--replace")
    assert run.returncode == 0, run.stderr
    assert (subs / "556" / ASSIGNMENT / "mine.ipynb").read_bytes() == NOTEBOOK
    assert sorted(p.name for p in subs.iterdir()) == ["555", "556"]  # no staging folder left


def test_a_zipped_folder_is_collected_as_its_notebook(tmp_path):
    """Moodle keeps the folders a student uploads: the assignment's folder, zipped with a Mac's junk, is collected
    as the notebook it holds (grade finds a notebook one folder deeper too: test_submissions)."""
    download, subs = tmp_path / "moodle", tmp_path / "subs"
    who = download / "Ann Lee_555_assignsubmission_file_"
    for path, data in [(f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb", NOTEBOOK), (f"__MACOSX/{ASSIGNMENT}/._{ASSIGNMENT}.ipynb",
                                                                      b"\0"), (f"{ASSIGNMENT}/.DS_Store", b"\0")]:
        (who / path).parent.mkdir(parents=True, exist_ok=True)
        (who / path).write_bytes(data)
    run = autograder("collect", download, "--assignment", ASSIGNMENT, "--out", subs)
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in (subs / "555" / ASSIGNMENT).iterdir()) == [".submitted", f"{ASSIGNMENT}.ipynb"]
    assert (subs / "555" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes() == NOTEBOOK


def test_a_zip_uploaded_to_canvas_is_collected_as_the_files_it_holds(tmp_path, roster):
    """Canvas keeps a student's upload as it came: a zip of the assignment's folder is placed as its files (no
    folders, no hidden files, no Mac junk), and a zip that cannot be unpacked costs only its student."""
    upload = canvas_zip(tmp_path / "upload.zip", {
        f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb": (NOTEBOOK, (2026, 12, 1, 19, 0, 0)),
        f"{ASSIGNMENT}/notes.txt": (b"my notes", (2026, 12, 1, 19, 0, 0)),
        f"{ASSIGNMENT}/.ipynb_checkpoints/{ASSIGNMENT}-checkpoint.ipynb": (b"{}", (2026, 12, 1, 19, 0, 0)),
        f"__MACOSX/{ASSIGNMENT}/._{ASSIGNMENT}.ipynb": (b"\0", (2026, 12, 1, 19, 0, 0))})
    broken = damaged(canvas_zip(tmp_path / "broken.zip", {f"{ASSIGNMENT}.ipynb": (NOTEBOOK, (2026, 12, 1, 19, 0, 0))}))
    download = canvas_zip(tmp_path / "submissions.zip", {
        f"alicesmith_101_9001_{ASSIGNMENT}.zip": (upload.read_bytes(), (2026, 12, 1, 20, 0, 0)),
        f"bobjones_102_9002_{ASSIGNMENT}.zip": (broken.read_bytes(), (2026, 12, 1, 20, 0, 0)),
        f"carolwu_103_9003_{ASSIGNMENT}.zip": (b"not a zip", (2026, 12, 1, 20, 0, 0))})
    subs = tmp_path / "subs"
    run = autograder("collect", download, "--assignment", ASSIGNMENT, "--out", subs, "--roster", roster)
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in subs.iterdir()) == ["alice"]
    folder = subs / "alice" / ASSIGNMENT
    assert sorted(p.name for p in folder.iterdir()) == [".submitted", f"{ASSIGNMENT}.ipynb", "notes.txt"]
    assert (folder / f"{ASSIGNMENT}.ipynb").read_bytes() == NOTEBOOK
    submitted = json.loads((folder / ".submitted").read_text())
    zipped = f"alicesmith_101_9001_{ASSIGNMENT}.zip"
    assert submitted["files"][f"{ASSIGNMENT}.ipynb"] == f"{zipped}/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
    assert submitted["time"] == "2026-12-01T20:00:00"  # when Canvas took the upload, not the times inside it
    assert f"not placed: bobjones_102_9002_{ASSIGNMENT}.zip: a damaged zip" in run.stderr
    assert f"not placed: carolwu_103_9003_{ASSIGNMENT}.zip: a zip that cannot be unpacked" in run.stderr


def test_a_zip_that_unpacks_too_large_is_not_placed(tmp_path, monkeypatch):
    """The limit counts what would be placed: a Mac's junk beside the notebook is neither counted nor read."""
    from autograder.admin import collect
    monkeypatch.setattr(collect, "UPLOAD_MB", 1)
    when = (2026, 12, 1, 19, 0, 0)
    big = canvas_zip(tmp_path / "big.zip", {"big.bin": (bytes(2 << 20), when)})
    junk = canvas_zip(tmp_path / "junk.zip", {"__MACOSX/._big.bin": (bytes(2 << 20), when),
                                              "a.ipynb": (NOTEBOOK, when)})
    placed, unplaced = collect.place([("a_1_2_x.zip", big.read_bytes, None), ("b_3_4_y.zip", junk.read_bytes, None)],
                                     ASSIGNMENT, "canvas", None)
    assert unplaced == ["a_1_2_x.zip: a zip that unpacks to more than 1 MB"]
    assert list(placed) == ["3"] and placed["3"]["files"]["a.ipynb"]() == NOTEBOOK


@pytest.mark.parametrize("case", ["missing", "not a zip", "damaged", "zip slip", "absolute", "layout",
                                  "nothing placed", "assignment", "roster"])
def test_collect_refuses_bad_input_writing_nothing(case, tmp_path, roster):
    subs, options = tmp_path / "subs", []
    good = {"alicesmith_101_9001_dimensions.ipynb": (NOTEBOOK, (2026, 12, 1, 0, 0, 0))}
    download, words = {
        "missing": (tmp_path / "nowhere.zip", ["nowhere.zip", "not found"]),
        "not a zip": (tmp_path / "x.zip", ["not a zip"]),
        "damaged": (damaged(canvas_zip(tmp_path / "d.zip", good)), ["damaged", "alicesmith"]),
        "zip slip": (canvas_zip(tmp_path / "s.zip", {**good, "../evil_1_2_x.ipynb": (b"", (2026, 1, 1, 0, 0, 0))}),
                     ["refusing", "../evil"]),
        "absolute": (canvas_zip(tmp_path / "a.zip", {**good, "/etc/x_1_2_y": (b"", (2026, 1, 1, 0, 0, 0))}),
                     ["refusing", "/etc/x"]),
        "layout": (canvas_zip(tmp_path / "l.zip", good), ["unknown layout", "blackboard"]),
        "nothing placed": (canvas_zip(tmp_path / "n.zip", {"notes.txt": (b"", (2026, 1, 1, 0, 0, 0))}),
                           ["Canvas or Moodle"]),
        "assignment": (canvas_zip(tmp_path / "g.zip", good), ["unknown assignment", "nope"]),
        "roster": (canvas_zip(tmp_path / "r.zip", good), ["roster", "ID"]),
    }[case]
    (tmp_path / "x.zip").write_text("not a zip")
    (tmp_path / "bad.csv").write_text("name,email\nann,a@x\n")
    options = {"layout": ["--layout", "blackboard"], "roster": ["--roster", tmp_path / "bad.csv"]}.get(case, [])
    one_line(autograder("collect", download, "--assignment", "nope" if case == "assignment" else ASSIGNMENT,
                        "--out", subs, *options), *words)
    assert not subs.exists()


def test_export_refuses_without_grades(tmp_path, roster):
    one_line(autograder("export-canvas", tmp_path, "--roster", roster, "--assignment", ASSIGNMENT), "grades.csv")
    (tmp_path / "two.csv").write_text("lms_id,student\n101,alice\n")
    (tmp_path / "grades.csv").write_text(f"student,assignment,notebook,score,max_score\nalice,{ASSIGNMENT},a,1,2\n")
    one_line(autograder("export-canvas", tmp_path, "--roster", tmp_path / "two.csv", "--assignment", ASSIGNMENT),
             "not Canvas")
    assert not list(tmp_path.glob("canvas-*"))


def test_export_sums_notebooks_and_reports_who_the_roster_lacks(tmp_path, roster):
    (tmp_path / "grades.csv").write_text("student,assignment,notebook,score,max_score\n"
                                         f"alice,{ASSIGNMENT},a,1.5,2\nalice,{ASSIGNMENT},b,3,3\n"
                                         f"zed,{ASSIGNMENT},a,2,2\nzed,{ASSIGNMENT},b,3,3\nbob,forward,a,9,9\n")
    run = autograder("export-canvas", tmp_path, "--roster", roster, "--assignment", ASSIGNMENT)
    assert run.returncode == 0 and "not in the roster: zed (5 points not exported)" in run.stderr, run.stderr
    assert (tmp_path / f"canvas-{ASSIGNMENT}.csv").read_text().splitlines()[1:] == [
        "    Points Possible,,,,,5", "Alice Smith,101,S1,alice,A,4.5", "Bob Jones,102,S2,bob,A,",
        "Carol Wu,103,S3,carol,B,"]


def test_names_of_each_layout():
    assert parse_name("canvas", "x/smithjo_LATE_12_34_forward-2.ipynb") == ("12", True, "forward-2.ipynb")
    assert parse_name("canvas", "smithjo_12_34_my_file.ipynb") == ("12", False, "my_file.ipynb")
    assert parse_name("canvas", "forward.ipynb") is None
    assert parse_name("moodle", "Jo Smith_77_assignsubmission_file_/sub/a.ipynb") == ("77", False, "a.ipynb")
    assert as_student_id("jo smith@uni") == "jo_smith_uni" and as_student_id("._x") == "x"


def test_late_rule():
    rule = Rule(datetime(2026, 12, 1, 23, 59), per_day=0.1, zero_after=3)
    assert assess(rule, {"time": "2026-12-01T23:59:00"}).fraction == 0
    late = assess(rule, {"time": "2026-12-02T00:00:00"})  # a minute late is a day late
    assert (late.days, late.fraction) == (1, pytest.approx(0.1))
    assert assess(rule, {"time": "2026-12-05T00:00:00"}).fraction == 1.0  # 4 days: zero after 3
    assert assess(Rule(datetime(2026, 12, 1), per_day=0.5), {"time": "2026-12-04T00:00:00"}).fraction == 1.0
    assert (assess(rule, {"late": True}).days, assess(rule, {}).days) == (1, "")  # LATE without a time; unknown
    assert "not applied" in assess(rule, {}).notice


@pytest.mark.parametrize("text, words", [
    ("dimensions:\n  deadline: soon\n", ["deadline", "soon"]),
    ("dimensions:\n  deadline: 2026-12-01\n", ["deadline", "2026-12-01", "date and time"]),
    ("dimensions:\n  deadline: 2026-12-01T23:59\n  penalty: lots\n", ["penalty", "lots"]),
    ("dimensions:\n  deadline: 2026-12-01T23:59\n  zero_after: -1\n", ["zero_after"]),
    ("dimensions:\n  deadline: 2026-12-01T23:59\n  grace: 1\n", ["expected deadline"]),
    ("nope:\n  deadline: 2026-12-01T23:59\n", ["unknown assignment", "nope"]),
    ("[1, 2", ["not YAML"])])
def test_late_rules_file_errors(text, words, tmp_path):
    (tmp_path / "late.yml").write_text(text)
    with pytest.raises(UsageError) as err:
        load_rules(tmp_path / "late.yml")
    assert all(w in str(err.value) for w in words) and "\n" not in str(err.value)


def test_late_rules_with_a_zone_and_no_penalty(tmp_path):
    (tmp_path / "late.yml").write_text("forward:\n  deadline: '2026-12-01T23:59+01:00'\n  penalty: none\n")
    rule = load_rules(tmp_path / "late.yml")["forward"]
    assert rule.per_day == 0 and rule.deadline.utcoffset().total_seconds() == 3600
    assert assess(rule, {"time": "2026-12-02T00:30:00"}).days == 1  # a zip's time is read in the deadline's zone


def test_grade_with_a_bad_late_file_writes_nothing(tmp_path):
    (tmp_path / "late.yml").write_text("dimensions: 3\n")
    one_line(autograder("grade", tmp_path, "--out", tmp_path / "out", "--late", tmp_path / "late.yml"), "late.yml")
    assert not (tmp_path / "out").exists()
