"""A function the student has not written yet, said in one line instead of a traceback.

A released notebook's answer cells start as stubs that ``raise NotImplementedError()``. Until the student fills
one in, every cell that calls it would stop with a traceback through the course's helpers. Instead:

* a test cell's :class:`cnntools.grading.Cases` records each case as failed and prints one line naming the function
  (and a test's check of an error, ``checks.check_raises``, lets the stub's error through for it);
* any other cell (a timing, a worked example, a gradient check, an experiment) prints one line naming the function
  and, when the cell starts with a comment ``# Shows ...``, what it will show once the function is written. The
  notebook's first cell calls :func:`install`, which adds an AST transformer to IPython (IPython's own extension
  point, ``shell.ast_transformers``) so that no cell needs code of its own for this.

Only the stub's own ``NotImplementedError`` is turned into a line; every other error keeps its traceback.
"""
import ast
import linecache
import re
import sys

STUB_LINE = "raise NotImplementedError()"  # the line the release leaves in every answer (autograder.course.STUB)

# The end of a traceback as text (the grader's copy of an error raised in the student's process).
_TEXT_STUB = re.compile(r', in (\w+)\n\s*raise NotImplementedError(?:\(\))?\s*\n(?:NotImplementedError\s*)?$')
_SHOWS = re.compile(r"#\s*(Shows\b.*?)\s*$")


def function_of(error):
    """The name of the unwritten function whose stub raised ``error``, or None when it is another error."""
    if not isinstance(error, NotImplementedError):
        return None
    tb = error.__traceback__
    if tb is not None:
        while tb.tb_next is not None:
            tb = tb.tb_next
        code = tb.tb_frame.f_code
        line = linecache.getline(code.co_filename, tb.tb_lineno).strip()
        if code.co_name != "<module>" and line == STUB_LINE:
            return code.co_name
    text = str(getattr(error, "student_traceback", "") or "")  # raised in the grader's sandbox, sent as text
    found = _TEXT_STUB.search(text)
    return found.group(1) if found else None


def message(name, caller=None):
    """What a test of ``caller`` says when it meets the unwritten function ``name``."""
    if caller and caller != name:
        return f"{caller} calls {name}, which is not written yet"
    return f"{name} is not written yet"


def _cell_note(error, filename):
    """Print the line for the notebook cell in ``filename``, stopped by the stub's ``error``."""
    if "matplotlib.pyplot" in sys.modules:  # a figure half-drawn before the stub was reached means nothing
        sys.modules["matplotlib.pyplot"].close("all")
    shows = next((m.group(1) for line in linecache.getlines(filename)[:1] if (m := _SHOWS.match(line))), None)
    what = f"then this cell {shows[0].lower()}{shows[1:]}" if shows else "this cell runs once it is"
    print(f"{function_of(error)} is not written yet; {what}")


def _stub_error():
    """The class an ``except`` of a transformed cell catches: NotImplementedError while the error being handled is a
    stub's, else nothing (so that every other error leaves the cell untouched, its traceback as it was)."""
    return NotImplementedError if function_of(sys.exc_info()[1]) else ()


class _OneLineForStubs(ast.NodeTransformer):
    """Runs a cell's statements inside ``try: ... except <a stub's error>: <print the line>``.

    The cell's last expression is passed to the display hook explicitly (IPython displays only a bare last
    expression, and inside the ``try`` it no longer is one), so that the cell shows its value as before. Only the
    cell itself is changed: IPython also passes code through its AST transformers that magics such as ``%timeit``
    run within the cell, so the transformer is armed before each cell runs and changes one module only.
    """

    def __init__(self):
        super().__init__()
        self.armed = False

    def arm(self, info=None):
        self.armed = True

    def visit_Module(self, module):
        if not self.armed or not module.body:
            return module
        self.armed = False
        body = list(module.body)
        if isinstance(body[-1], ast.Expr):
            show = _located(ast.parse("__import__('sys').displayhook(_)", mode="eval").body, body[-1])
            show.args = [body[-1].value]
            body[-1] = ast.copy_location(ast.Expr(show), body[-1])
        here = f"__import__({__name__!r}, fromlist=['_'])"
        wrapper = ast.parse(f"try:\n    pass\nexcept {here}._stub_error() as _cnntools_error:\n"
                            f"    {here}._cell_note(_cnntools_error, __import__('sys')._getframe().f_code.co_filename)\n")
        wrapper = _located(wrapper.body[0], body[-1])
        wrapper.body = body
        module.body = [wrapper]
        return module


def _located(tree, where):
    """``tree`` with every node placed at ``where`` (the cell's own nodes keep their lines)."""
    for node in ast.walk(tree):
        if "lineno" in node._attributes:
            ast.copy_location(node, where)
    return tree


def install():
    """In an IPython kernel (Jupyter, Colab), make cells stopped by an unwritten function say so in one line.

    Does nothing elsewhere (a plain Python process, the grader's sandbox) or when already installed.
    """
    if "IPython" not in sys.modules:
        return
    shell = sys.modules["IPython"].get_ipython()
    if shell is None or any(isinstance(t, _OneLineForStubs) for t in shell.ast_transformers):
        return
    transformer = _OneLineForStubs()
    shell.events.register("pre_run_cell", transformer.arm)
    shell.ast_transformers.append(transformer)
