"""The fast layer: a source notebook's answers (or changed ones), its test cells and the given cells these need run
in this process, in one namespace, in the notebook's order, as a student's notebook runs them. Each test cell's
``Cases`` says which cases passed.

No sandbox and no nbgrader: what it checks is the tests' own logic (which case catches which mistake, how the
points are shared); tests/test_grading.py checks that the real pipeline grades the same way.
"""
import ast
import contextlib
import io
import linecache
import symtable
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat

from cnntools.grading import Cases

REPO = Path(__file__).resolve().parent.parent


def source_notebook(assignment):
    return nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)


def meta(cell):
    return cell.metadata.get("nbgrader", {})


def answers(assignment):
    """{function: source of its solution cell} (code answers; written ones are graded by hand)."""
    return {meta(c)["grade_id"]: c.source for c in source_notebook(assignment).cells
            if meta(c).get("solution") and c.cell_type == "code"}


def run_cell(source, namespace, label):
    """Run a cell's source; return the value of its last expression, as a notebook would show it."""
    linecache.cache[label] = (len(source), None, source.splitlines(True), label)  # as Jupyter keeps a cell's lines
    tree = ast.parse(source, label)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, label, "exec"), namespace)
    return eval(compile(ast.Expression(last.value), label, "eval"), namespace) if last else None


def names(source):
    """(names the cell binds at its top level, names it reads from the notebook's namespace)."""
    top = symtable.symtable(source, "<cell>", "exec")
    bound = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    read, tables = set(), [top]
    while tables:
        table = tables.pop()
        read |= {s.get_name() for s in table.get_symbols() if s.is_referenced() and s.is_global()}
        tables += table.get_children()
    return bound, read - bound  # a name the cell binds is taken as bound before it is read


def plan(assignment, answers, tests):
    """[(kind, grade_id, source)] of the cells to run, in order: every answer, the chosen tests (all when ``tests`` is
    None) and the given (locked) cells whose names these read. Explanations and the students' own experiment cells
    are not graded; a given cell nothing reads (a figure, a look at the experiments' data) is left out."""
    chosen, needed = [], set()
    for cell in reversed(source_notebook(assignment).cells):
        m = meta(cell)
        if cell.cell_type != "code" or not (m.get("solution") or m.get("locked") or m.get("grade")):
            continue
        kind = "test" if m.get("grade") else "answer" if m.get("solution") else "given"
        source = answers.get(m["grade_id"], cell.source) if kind == "answer" else cell.source
        bound, read = names(source)
        skipped_test = kind == "test" and tests is not None and m["grade_id"] not in tests
        if skipped_test or kind == "given" and not bound & needed:
            continue
        chosen.append((kind, m["grade_id"], source))
        needed |= read
    return chosen[::-1]


def run(assignment, answers=None, tests=None):
    """{test grade_id: the value its last line shows, or the exception it raised} for the solution notebook with
    ``answers`` ({function: source}) replacing answers; only the ``tests`` given, if any."""
    namespace, results = {"__name__": "__main__"}, {}
    with contextlib.redirect_stdout(io.StringIO()):
        for kind, grade_id, source in plan(assignment, answers or {}, tests):
            try:
                value = run_cell(source, namespace, f"<{grade_id}>")
            except Exception as error:  # a broken answer's error stays in its cell, as in Jupyter
                value = error
            if kind == "test":
                results[grade_id] = value
    plt.close("all")  # the notebooks' figures, drawn for nothing here
    return results


def grade(assignment, answers=None, tests=None):
    """{test grade_id: Cases} (every test cell ends with its Cases, whatever the answers raise); only the ``tests``
    given, if any."""
    results = run(assignment, answers, tests)
    for test, value in results.items():
        if isinstance(value, Exception):
            raise value
        assert isinstance(value, Cases), f"{test} does not end with its Cases"
    return results
