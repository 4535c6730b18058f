"""What each cell of a graded notebook is, in nbgrader's terms, and the hidden part of a test cell.

Every notebook here has been through ``Rebuild`` (rebuild.py): each cell's ``nbgrader`` metadata is the source
notebook's or absent, never the student's, so nbgrader's own predicates can read it.
"""
import ast

import nbformat
from nbgrader.preprocessors import ClearHiddenTests
from nbgrader.utils import is_grade, is_locked, is_solution

CLEAR_HIDDEN = ClearHiddenTests(enforce_metadata=False)  # what `release` removes, and how it finds it


def grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def claimed_id(cell):
    """The grade_id a student's cell claims, if it is a string (the metadata is the student's: anything goes)."""
    meta = cell.get("metadata", {}).get("nbgrader")
    gid = meta.get("grade_id") if isinstance(meta, dict) else None
    return gid if type(gid) is str else None


def kind(cell):
    """'test' (graded, locked code), 'setup' (other locked code), 'student' (other code), 'written' (a markdown
    answer graded by hand: nbgrader's manually graded answer) or 'text'."""
    if cell.cell_type != "code":
        return "written" if is_grade(cell) and is_solution(cell) else "text"
    if is_solution(cell):
        return "student"
    if is_grade(cell):
        return "test"
    return "setup" if is_locked(cell) else "student"


def student_imports(nb):
    """Top-level names of the modules imported by the cells that run in the student's process (anywhere in a cell,
    a function's body included)."""
    names = set()
    for cell in nb.cells:
        if kind(cell) not in ("student", "setup"):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def strip_hidden(source):
    """The released version of a test cell's source: its hidden region removed, by nbgrader's ClearHiddenTests."""
    cell = nbformat.v4.new_code_cell(source)
    CLEAR_HIDDEN._remove_hidden_test_region(cell)
    return cell.source


def hidden_lines(source):
    """1-based numbers of the lines inside hidden-test regions (ClearHiddenTests removes exactly these)."""
    inside, hidden = set(), False
    for number, line in enumerate(source.split("\n"), start=1):
        if CLEAR_HIDDEN.begin_test_delimeter in line:
            hidden = True
        elif CLEAR_HIDDEN.end_test_delimeter in line:
            hidden = False
        elif hidden:
            inside.add(number)
    return inside
