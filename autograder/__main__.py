"""Command line of the grading pipeline; run from the repository root.

    python -m autograder release [ASSIGNMENT]
    python -m autograder grade SUBMISSIONS --out DIR [--assignment A] [--jobs N] [--timeout S] [--late RULES.yml]
    python -m autograder feedback SUBMISSIONS --out DIR [--assignment A] [--late RULES.yml]
    python -m autograder gradescope ASSIGNMENT [--out ZIP] [--timeout S]
    python -m autograder export-canvas OUT --roster CSV --assignment A [--column NAME]
    python -m autograder collect DOWNLOAD --assignment A --out SUBMISSIONS [--layout L] [--roster CSV] [--replace]
    python -m autograder similarity SUBMISSIONS --assignment A --out DIR [--threshold T]
    python -m autograder settings [--strict]
    python -m autograder publish [OUT] [--book DIR]
"""
import argparse
import os
import sys

from . import interrupt
from .course import assignments
from .errors import UsageError


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit status 2, as for every other usage error
        raise UsageError(message)


def main(argv=None):
    parser = Parser(prog="python -m autograder", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    rel = commands.add_parser("release", help="solutions/ -> notebooks/ (student versions)")
    rel.add_argument("assignment", nargs="?", help="one assignment (default: all)")
    grade = commands.add_parser("grade", help="grade SUBMISSIONS/<student>/<assignment>/<notebook>.ipynb")
    grade.add_argument("submissions")
    grade.add_argument("--out", required=True, help="folder for grades.csv and the feedback pages")
    grade.add_argument("--assignment", help="grade this assignment only")
    grade.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="submissions graded at once")
    grade.add_argument("--timeout", type=int, default=120, help="seconds allowed to each cell")
    grade.add_argument("--late", help="YAML file of each assignment's deadline and late penalty (see late.py)")
    fb = commands.add_parser("feedback", help="grades.csv and the feedback pages again, with the grades given "
                                              "by hand in formgrader; grades nothing")
    fb.add_argument("submissions")
    fb.add_argument("--out", required=True, help="the folder a grading run wrote")
    fb.add_argument("--assignment", help="this assignment only")
    fb.add_argument("--late", help="YAML file of each assignment's deadline and late penalty (see late.py)")
    gs = commands.add_parser("gradescope", help="build the Gradescope autograder zip of an assignment")
    gs.add_argument("assignment")
    gs.add_argument("--out", help="where to write the zip (default: _grading/gradescope/ASSIGNMENT.zip)")
    gs.add_argument("--timeout", type=int, default=120, help="seconds allowed to each cell")
    col = commands.add_parser("collect", help="an LMS's bulk download -> SUBMISSIONS/<student>/<assignment>/")
    col.add_argument("download", help="the zip, or the folder it was unpacked to")
    col.add_argument("--assignment", required=True)
    col.add_argument("--out", required=True, help="the SUBMISSIONS folder")
    col.add_argument("--layout", help="canvas or moodle (default: the one that names the download's files)")
    col.add_argument("--roster", help="CSV mapping the LMS's ids (column ID or lms_id) to student ids "
                                      "(column 'SIS Login ID' or student); default: the LMS id is the student id")
    col.add_argument("--replace", action="store_true", help="replace submissions that differ from the download")
    exp = commands.add_parser("export-canvas", help="OUT/grades.csv -> OUT/canvas-ASSIGNMENT.csv, Canvas's import")
    exp.add_argument("out", help="the folder a grading run wrote")
    exp.add_argument("--roster", required=True, help="Canvas's gradebook export (its Student, ID, SIS ... columns)")
    exp.add_argument("--assignment", required=True)
    exp.add_argument("--column", help="the assignment's column in Canvas, e.g. 'forward (123456)' "
                                      "(default: the assignment's name)")
    sim = commands.add_parser("similarity", help="how alike each pair of students' answers is, question by question: "
                                                 "OUT/similarity/A.csv and .html, for the instructor only")
    sim.add_argument("submissions")
    sim.add_argument("--assignment", required=True)
    sim.add_argument("--out", required=True, help="the grading folder (the report goes to its similarity/)")
    sim.add_argument("--threshold", type=float, default=0.0, help="list only pairs more similar than this (0-1)")
    st = commands.add_parser("settings", help="check course.yml: warn about placeholders (--strict: stop)")
    st.add_argument("--strict", action="store_true")
    pub = commands.add_parser("publish", help="write the public student repository (default: _build/public)")
    pub.add_argument("out", nargs="?", help="the folder to write (new, empty, or an earlier publish)")
    pub.add_argument("--book", help="the built book (default: _build/html)")
    interrupt.install()
    args = None
    try:
        args = parser.parse_args(argv)
        if args.command == "release":
            from .release import release
            for name in [args.assignment] if args.assignment else assignments():
                release(name)
                print(f"released notebooks/{name}")
        elif args.command in ("settings", "publish"):
            from .publish import publish_command
            publish_command(args)
        elif args.command == "gradescope":
            from .gradescope import build
            from .limits import Limits
            Limits.from_env(timeout=args.timeout)  # checked as `grade` checks it
            print(f"wrote {build(args.assignment, args.out, args.timeout)}")
        elif args.command == "export-canvas":
            from .lms import export_canvas
            export_canvas(args.out, args.roster, args.assignment, args.column)
        elif args.command == "collect":
            from .collect import collect
            collect(args.download, args.assignment, args.out, args.layout, args.roster, args.replace)
        elif args.command == "similarity":
            from .similarity import report
            report(args.submissions, args.assignment, args.out, args.threshold)
        elif args.command == "feedback":
            from .run import write_feedback
            write_feedback(args.submissions, args.out, args.assignment, args.late)
        else:
            from .run import grade_all
            grade_all(args.submissions, args.out, args.assignment, args.jobs, args.timeout, args.late)
        interrupt.check()  # a ^C that a finaliser dropped still ends the command as one
    except UsageError as err:
        print(f"autograder: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        kept = "; finished grades are kept, rerun to grade the rest" if args and args.command == "grade" else ""
        print(f"autograder: interrupted{kept}", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
