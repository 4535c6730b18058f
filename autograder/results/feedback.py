"""What a student sees: per notebook, the score of each test and, for each failing test, what went wrong.

Built from the graded notebook and the gradebook, not by nbgrader's generate_feedback (which shows the hidden tests'
code, nbgrader#917): a test cell is shown as it was released, its hidden part removed, and a failure is reported by
its message only, never by a traceback through the hidden tests. Everything is escaped and capped, so the page stays
small whatever the student's code printed.
"""
import hashlib
from pathlib import Path

import jinja2

from ..cells import grade_id, kind, strip_hidden
from ..files import write_atomic
from ..sandbox.protocol import CAPS
from . import CellError, TestResult, feedback_path

TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                               autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
PAGE = "feedback.html.j2"


def _cap(text, limit=CAPS["shown"]):
    text = str(text or "")
    return text if len(text) <= limit else text[:limit] + f"\n[... {len(text) - limit} more characters ...]"


TEMPLATES.filters.update(cap=_cap, points=lambda x: f"{x:g}")
def _error(cell):
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return out
    return None


def _stdout(cell):
    return "".join(out.get("text", "") for out in cell.get("outputs", [])
                   if out.get("output_type") == "stream")


def case_label(case):
    where = "hidden test" if case["where"] == "hidden" else "visible test"
    return f"[{where}, {case['kind']}, -{case['points']:.3g}]"


def failed_cases(cases):
    """The failing cases the page lists one by one: [{"label", "message", "repro", "picture": {png, alt} or None}]."""
    return [{"label": case_label(c), "message": c["message"], "repro": c.get("repro", ""),
             "picture": c.get("picture")} for c in cases.get("failed", [])[:CAPS["cases_listed"]]]


def case_report(cases):
    """Every failing case of a partially credited test, a line each: its kind, where it is, its points."""
    failed = cases.get("failed", [])
    lost = sum(c["points"] for c in failed)
    lines = [f"{len(failed)} of {cases.get('total', len(failed))} cases failed, worth {lost:.3g} points:"]
    for c in failed[:CAPS["cases_listed"]]:
        lines.append(f"- {case_label(c)} {c['message']}")
    if len(failed) > CAPS["cases_listed"]:
        rest = failed[CAPS["cases_listed"]:]
        lines.append(f"- ... and {len(rest)} more, worth {sum(c['points'] for c in rest):.3g} points")
    if any(c["where"] == "hidden" for c in failed):
        lines.append("(Hidden cases are ones the notebook does not show; their kinds are all among the visible "
                     "cases. Check the cases the docstring describes.)")
    return "\n".join(lines)


def describe(nb, scores):
    """The facts the page and Gradescope show: TestResults (in notebook order) and CellErrors (the student's
    cells that failed, the first CAPS["errors_listed"] of them).

    scores: {grade_id: (score, max_score, needs_manual_grade)} from the gradebook.
    """
    tests, errors, after = [], [], None
    for cell in nb.cells:
        gid, what = grade_id(cell) or "", kind(cell)
        after = gid or after
        extra = cell.get("metadata", {}).get("autograder", {})
        if what == "written" and gid in scores:
            score, maximum, pending = scores[gid]
            message = "" if pending else "You left this answer empty."  # nbgrader scores an unchanged stub 0
            tests.append(TestResult(gid, score, maximum, False, message, written=True, pending=pending,
                                    answer=hashlib.sha256(cell.source.encode()).hexdigest()[:16]))
        elif what == "test" and gid in scores:
            err = _error(cell)
            score, maximum, _ = scores[gid]
            message = (f"{err['ename']}: {err['evalue']}" if err and err["evalue"] else err["ename"]) if err else ""
            if err and err["ename"] == "NotImplementedError":
                message += " (this function is not written yet: replace the raise NotImplementedError())"
            where = extra.get("where")
            if err and where == "hidden":
                message += ("\n(This failed in the hidden tests: your code is wrong on cases the notebook does "
                            "not show. Check the cases the docstring describes.)")
            cases = extra.get("cases") if not err else None
            if cases and cases.get("failed"):
                message = case_report(cases)
            traceback = extra.get("student_traceback", "") or next(
                (c["student_traceback"] for c in (cases or {}).get("failed", []) if c.get("student_traceback")), "")
            tests.append(TestResult(gid, score, maximum, err is None and score >= maximum,
                                    _cap(message, CAPS["test_message"]), _cap(_stdout(cell)),
                                    _cap(extra.get("stderr", "")), _cap(traceback), strip_hidden(cell.source),
                                    cases=failed_cases(cases or {}) if not err else []))
        elif what in ("student", "setup") and len(errors) < CAPS["errors_listed"]:
            err = _error(cell)
            if err:
                name = gid or (f"your cell after '{after}'" if after else "your first cell")
                errors.append(CellError(name, _cap(f"{err['ename']}: {err['evalue']}", CAPS["message"]),
                                        _cap("\n".join(err.get("traceback", [])))))
    return tests, errors


def page(student, assignment, notebook, result, late=None):
    """The feedback page of one notebook (a results.NotebookResult), with what a late.Late took from it."""
    return TEMPLATES.get_template(PAGE).render(student=student, assignment=assignment, notebook=notebook,
                                               result=result, late=late)


def write_pages(out, result, late=None):
    """The pages of every notebook of a results.JobResult, each written with a rename."""
    for name, nb in result.notebooks.items():
        write_atomic(feedback_path(out, result.student, result.assignment, name),
                     page(result.student, result.assignment, name, nb, late))
