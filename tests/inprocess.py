"""The fast layer: a source notebook's given cells, its answers (or a changed one) and its test cells run in this
process, in one namespace, as a student's notebook runs them. Each test cell's ``Cases`` says which cases passed.

No sandbox and no nbgrader: what it checks is the tests' own logic (which case catches which mistake, how the
points are shared); tests/test_grading.py checks that the real pipeline grades the same way.
"""
import ast
import contextlib
import io
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat

from cnntools.grading import Cases

REPO = Path(__file__).resolve().parent.parent


def source_notebook(assignment):
    return nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)


def meta(cell):
    return cell.metadata.get("nbgrader", {})


def run_cell(source, namespace, label):
    """Run a cell's source; return the value of its last expression, as a notebook would show it."""
    tree = ast.parse(source, label)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, label, "exec"), namespace)
    return eval(compile(ast.Expression(last.value), label, "eval"), namespace) if last else None


def grade(assignment, answers=None):
    """{test grade_id: Cases} for the solution notebook with ``answers`` ({function: source}) replacing answers."""
    answers = answers or {}
    namespace, results = {"__name__": "__main__"}, {}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in source_notebook(assignment).cells:
            m = meta(cell)
            if cell.cell_type != "code" or not (m.get("solution") or m.get("locked") or m.get("grade")):
                continue  # explanations and the students' own experiment cells are not graded
            source = answers.get(m["grade_id"], cell.source) if m.get("solution") else cell.source
            if not m.get("grade"):
                with contextlib.suppress(Exception):  # a broken answer's error stays in its cell, as in Jupyter
                    run_cell(source, namespace, f"<{m['grade_id']}>")
                continue
            value = run_cell(source, namespace, f"<{m['grade_id']}>")
            assert isinstance(value, Cases), f"{m['grade_id']} does not end with its Cases"
            results[m["grade_id"]] = value
    plt.close("all")  # the notebooks' figures, drawn for nothing here
    return results
