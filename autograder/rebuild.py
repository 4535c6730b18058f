"""The submission, put back into the shape of the source notebook, before anything of it runs.

The first of the sanitizing steps (see nbgrader_app.py): every locked cell (setup code, tests, explanations) from the
gradebook in the source's order, exactly once; the student's solution cells in their places; cells the student added
after the cell they followed, with any nbgrader metadata of theirs removed (so nothing grades or restores them).
nbgrader's own ``OverwriteCells`` (with ``add_missing_cells``) then checks the result against the gradebook.
"""
import copy
from collections import Counter, defaultdict

import nbformat
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor

from .cells import claimed_id, grade_id, is_solution, strip_hidden
from .course import SOURCE


def _same(a, b):
    norm = lambda s: "\n".join(line.rstrip() for line in s.strip().splitlines())  # noqa: E731
    return norm(a) == norm(b)


class Rebuild(NbGraderPreprocessor):
    """The submission, put back into the source notebook's shape (see the module docstring)."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        source = nbformat.read(SOURCE / info["assignment"] / f"{info['notebook']}.ipynb", as_version=4)
        with Gradebook(info["db_url"]) as gb:
            saved = {c.name: c.source for c in gb.find_notebook(info["notebook"], info["assignment"]).source_cells}
        order = [c for c in source.cells if grade_id(c) in saved]
        known = {grade_id(c): c for c in order}
        notices, seen = [], Counter()
        answers, added = {}, defaultdict(list)  # grade_id -> the student's cell; anchor -> the student's own cells
        anchor = None
        for cell in nb.cells:
            gid = claimed_id(cell)
            if gid in known:
                seen[gid] += 1
                original = known[gid]
                if is_solution(original):
                    if gid in answers:  # an earlier copy of a solution cell stays, as a cell of the student's own
                        added[anchor].append(_free(answers[gid]))
                        notices.append(f"Your notebook has the answer cell '{gid}' more than once; the last one "
                                       "was graded as the answer.")
                    answers[gid] = cell
                    anchor = gid
                    continue
                if original.cell_type == "code" and seen[gid] == 2:
                    notices.append(f"The locked cell '{gid}' appears more than once; it was run once, in its place.")
                elif original.cell_type == "code" and seen[gid] == 1 and not (
                        _same(cell.source, strip_hidden(saved[gid])) or _same(cell.source, saved[gid])):
                    notices.append(f"The locked cell '{gid}' was changed in your notebook; the original was used.")
                anchor = gid
            else:
                if "nbgrader" in cell.metadata:
                    cell = _free(cell)
                added[anchor].append(cell)
        cells = list(added[None])
        for original in order:
            gid = grade_id(original)
            cell = copy.deepcopy(original)
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
            if gid in answers:
                cell.source = answers[gid].source
            else:
                cell.source = saved[gid]
                if is_solution(original):
                    notices.append(f"The answer cell '{gid}' is missing from your notebook.")
                elif original.cell_type == "code" and not seen[gid]:
                    notices.append(f"The locked cell '{gid}' is missing from your notebook; it was put back.")
            cells.append(cell)
            cells.extend(added[gid])
        for i, cell in enumerate(cells):
            cell["id"] = f"cell-{i}"
        nb.cells = cells
        nb.nbformat, nb.nbformat_minor = 4, max(5, nb.get("nbformat_minor", 5))
        nb.metadata.setdefault("autograder", {})["notices"] = notices
        return nb, resources


def _free(cell):
    """A cell of the student's own: no nbgrader metadata, so nothing grades or restores it."""
    cell = copy.deepcopy(cell)
    cell.metadata.pop("nbgrader", None)
    return cell
