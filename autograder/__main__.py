"""Command line of the grading pipeline; run from the repository root.

    python -m autograder release [ASSIGNMENT]
    python -m autograder grade SUBMISSIONS --out DIR [--assignment A] [--jobs N] [--timeout S]
    python -m autograder gradescope ASSIGNMENT [--out ZIP] [--timeout S]
    python -m autograder settings [--strict]
    python -m autograder publish [OUT] [--book DIR]
"""
import argparse
import os
import sys

from .course import UsageError, assignments


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
    gs = commands.add_parser("gradescope", help="build the Gradescope autograder zip of an assignment")
    gs.add_argument("assignment")
    gs.add_argument("--out", help="where to write the zip (default: _grading/gradescope/ASSIGNMENT.zip)")
    gs.add_argument("--timeout", type=int, default=120, help="seconds allowed to each cell")
    st = commands.add_parser("settings", help="check course.yml: warn about placeholders (--strict: stop)")
    st.add_argument("--strict", action="store_true")
    pub = commands.add_parser("publish", help="write the public student repository (default: _build/public)")
    pub.add_argument("out", nargs="?", help="the folder to write (new, empty, or an earlier publish)")
    pub.add_argument("--book", help="the built book (default: _build/html)")
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
            if args.timeout < 1:
                raise UsageError(f"--timeout must be at least 1 second, got {args.timeout}")
            print(f"wrote {build(args.assignment, args.out, args.timeout)}")
        else:
            from .grade import grade_all
            grade_all(args.submissions, args.out, args.assignment, args.jobs, args.timeout)
    except UsageError as err:
        print(f"autograder: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("autograder: interrupted; finished grades are kept, rerun to grade the rest", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
