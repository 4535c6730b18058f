"""cnntools.unwritten in a real Jupyter kernel: a cell stopped by a function not written yet prints one line (with
what the cell shows once it is, from its `# Shows ...` comment) and ends without an error; every other cell runs as
before (its last value shown, a trailing semicolon obeyed, any other error with its own traceback and line, a
magic's code untouched)."""
import re

import nbformat
import pytest
from nbclient import NotebookClient

from cnntools import unwritten

CELLS = [
    "from cnntools import unwritten\nunwritten.install()\nunwritten.install()",
    "def area(r):\n    # YOUR CODE HERE\n    raise NotImplementedError()",
    "# Shows the area of a circle and a figure of it.\nimport matplotlib.pyplot as plt\nfig = plt.figure()\narea(2)",
    "print('before')\narea(1)",
    "x = 3\nx",
    "x;",
    "def mine():\n    raise NotImplementedError('not for 4-d input')\nmine()",
    "y = [1]\ny[5]",
    "%timeit -n 3 -r 1 x + 1",
]


@pytest.fixture(scope="module")
def cells():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    return nb.cells


def shown(cell):
    return [(o.output_type, o.get("text") or o.get("data", {}).get("text/plain") or o.get("ename"))
            for o in cell.outputs]


def test_a_cell_stopped_by_a_stub_says_so_in_one_line(cells):
    assert shown(cells[2]) == [("stream", "area is not written yet; then this cell shows the area of a circle and "
                                          "a figure of it.\n")]  # and no empty figure
    assert shown(cells[3]) == [("stream", "before\narea is not written yet; this cell runs once it is\n")]


def test_other_cells_run_as_before(cells):
    assert shown(cells[4]) == [("execute_result", "3")]
    assert shown(cells[5]) == []
    (kind, text), = shown(cells[8])  # the code a magic runs within the cell is left alone (no value shown 3 times)
    assert kind == "stream" and "per loop" in text, text


def test_other_errors_keep_their_traceback_and_line(cells):
    (kind, name), = shown(cells[6])
    assert (kind, name) == ("error", "NotImplementedError")
    (kind, name), = shown(cells[7])
    assert (kind, name) == ("error", "IndexError")
    traceback = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(cells[7].outputs[0].traceback))
    assert "line 2" in traceback and "y[5]" in traceback, traceback


def test_the_graders_copy_of_a_stub_error_is_recognised():
    error = NotImplementedError()
    error.student_traceback = ('Traceback (most recent call last):\n  File "<cell conv>", line 3, in conv\n'
                               '    raise NotImplementedError()\nNotImplementedError\n')
    assert unwritten.function_of(error) == "conv"
    error.student_traceback = error.student_traceback.replace("NotImplementedError()", "NotImplementedError('4-d')")
    assert unwritten.function_of(error) is None


def test_install_does_nothing_outside_a_kernel():
    unwritten.install()  # no IPython shell here: nothing to do, nothing raised
