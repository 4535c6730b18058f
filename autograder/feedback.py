"""What a student sees: per notebook, the score of each test and, for each failing test, what went wrong.

Built from the graded notebook and the gradebook, not by nbgrader's generate_feedback (which shows the hidden tests'
code, nbgrader#917): a test cell is shown as it was released, its hidden part removed, and a failure is reported by
its message only, never by a traceback through the hidden tests. Everything is escaped and capped, so the page stays
small whatever the student's code printed.
"""
import html

from .execute import kind, nbgrader_meta, strip_hidden

SHOW = 4_000         # characters of any one block of text on the page
CASES_LISTED = 40    # failing cases listed by message per test (the rest are counted)
PAGE_LIMIT = 400_000  # characters of the whole page


def _cap(text, limit=SHOW):
    text = str(text or "")
    return text if len(text) <= limit else text[:limit] + f"\n[... {len(text) - limit} more characters ...]"


def _error(cell):
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return out
    return None


def _stdout(cell):
    return "".join(out.get("text", "") for out in cell.get("outputs", [])
                   if out.get("output_type") == "stream")


def case_report(cases):
    """Every failing case of a partially credited test, a line each: its kind, where it is, its points."""
    failed = cases.get("failed", [])
    lost = sum(c["points"] for c in failed)
    lines = [f"{len(failed)} of {cases.get('total', len(failed))} cases failed, worth {lost:.3g} points:"]
    for c in failed[:CASES_LISTED]:
        where = "hidden test" if c["where"] == "hidden" else "visible test"
        lines.append(f"- [{where}, {c['kind']}, -{c['points']:.3g}] {c['message']}")
    if len(failed) > CASES_LISTED:
        lines.append(f"- ... and {len(failed) - CASES_LISTED} more, worth "
                     f"{sum(c['points'] for c in failed[CASES_LISTED:]):.3g} points")
    if any(c["where"] == "hidden" for c in failed):
        lines.append("(Hidden cases are ones the notebook does not show; their kinds are all among the visible "
                     "cases. Check the cases the docstring describes.)")
    return "\n".join(lines)


def describe(nb, scores):
    """The facts the page and Gradescope show: tests (in notebook order) and the student's cells that failed.

    scores: {grade_id: (score, max_score)} from the gradebook.
    """
    tests, errors, after = [], [], None
    for cell in nb.cells:
        meta, what = nbgrader_meta(cell), kind(cell)
        if meta.get("grade_id"):
            after = meta["grade_id"]
        extra = cell.get("metadata", {}).get("autograder", {})
        gid = meta.get("grade_id", "")
        if what == "test" and gid in scores:
            err = _error(cell)
            score, maximum = scores[gid]
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
            tests.append({"name": gid, "score": score, "max_score": maximum,
                          "passed": err is None and score >= maximum,
                          "message": _cap(message, 6_000), "output": _cap(_stdout(cell)),
                          "stderr": _cap(extra.get("stderr", "")),
                          "student_traceback": _cap(traceback),
                          "visible_source": strip_hidden(cell.source)})
        elif what in ("student", "setup") and cell.cell_type == "code":
            err = _error(cell)
            if err:
                name = gid or (f"your cell after '{after}'" if after else "your first cell")
                errors.append({"name": name, "message": _cap(f"{err['ename']}: "
                                                                               f"{err['evalue']}", 1_000),
                               "traceback": _cap("\n".join(err.get("traceback", [])))})
    return tests, errors


def page(student, assignment, notebook, score, max_score, tests, errors, notices):
    e = html.escape
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             f"<title>{e(assignment)}/{e(notebook)}: {score:g}/{max_score:g}</title>",
             "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
             "pre{background:#f6f6f6;padding:.5em;overflow-x:auto;white-space:pre-wrap}"
             ".pass{color:#176117}.fail{color:#a11}td,th{padding:.2em .8em;text-align:left}</style></head><body>",
             f"<h1>{e(assignment)} / {e(notebook)}</h1>",
             f"<p>Student: <b>{e(student)}</b>. Score: <b>{score:g} / {max_score:g}</b>.</p>"]
    if notices:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{e(n)}</li>" for n in notices) + "</ul>")
    if tests:
        parts.append("<h2>Tests</h2><table><tr><th>test</th><th>points</th><th>result</th></tr>")
        for t in tests:
            status = ("<span class='pass'>passed</span>" if t["passed"] else "<span class='fail'>partly passed</span>"
                      if t["score"] > 0 else "<span class='fail'>failed</span>")
            parts.append(f"<tr><td><a href='#{e(t['name'])}'>{e(t['name'])}</a></td>"
                         f"<td>{t['score']:g} / {t['max_score']:g}</td><td>{status}</td></tr>")
        parts.append("</table>")
        for t in tests:
            parts.append(f"<h3 id='{e(t['name'])}'>{e(t['name'])}: {t['score']:g} / {t['max_score']:g}</h3>")
            if t["message"]:
                parts.append(f"<pre class='fail'>{e(t['message'])}</pre>")
            if t["student_traceback"]:
                parts.append("<details><summary>Where it happened in your code</summary>"
                             f"<pre>{e(t['student_traceback'])}</pre></details>")
            if t["output"]:
                parts.append(f"<details><summary>Output</summary><pre>{e(t['output'])}</pre></details>")
            if t["stderr"]:
                parts.append(f"<details><summary>Warnings</summary><pre>{e(t['stderr'])}</pre></details>")
            parts.append("<details><summary>The test, as in your notebook</summary>"
                         f"<pre>{e(_cap(t['visible_source']))}</pre></details>")
    if errors:
        parts.append("<h2>Errors in your cells</h2>")
        for err in errors:
            parts.append(f"<h3>{e(err['name'])}</h3><pre class='fail'>{e(err['message'])}</pre>")
            if err["traceback"] and err["traceback"] != err["message"]:
                parts.append(f"<details><summary>Traceback</summary><pre>{e(err['traceback'])}</pre></details>")
    parts.append("</body></html>")
    text = "".join(parts)
    if len(text) > PAGE_LIMIT:  # cannot happen with the caps above unless a notebook has hundreds of tests
        text = text[:PAGE_LIMIT] + "</pre></details><p>[The rest of this page was cut.]</p></body></html>"
    return text


def zero_page(assignment, notebook, reason):
    """The feedback page of a notebook that could not be graded: the reason, in words."""
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(assignment)}/"
            f"{html.escape(notebook)}: 0</title></head><body><h1>{html.escape(assignment)} / "
            f"{html.escape(notebook)}: 0 points</h1><p>{html.escape(reason)}</p></body></html>")
