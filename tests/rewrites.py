"""Answers to the forward assignment written again: independently (other loops, other NumPy, other names), or
disguised as a copier would; for tests/test_similarity.py and bench/bench_similarity.py."""
import ast
import copy
import io
import tokenize

import nbformat

from pipeline import REPO, solution_cell

ASSIGNMENT = "forward"
RELEASED = nbformat.read(REPO / "notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)


def docstring_of(function):
    """The released answer cell of `function` up to its body: the signature and docstring students are given."""
    source = solution_cell(RELEASED, function).source
    return source[:source.index("# YOUR CODE HERE")]


# Correct answers written independently of the solutions: other loops, other NumPy, other names and checks.
INDEPENDENT = {
    "conv2d_forward_naive": [
        """
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    b = np.asarray(b, dtype=float)
    if x.ndim != 4:
        raise ValueError("x must be 4-d: (N, C, H, W)")
    if w.ndim != 4 or w.shape[1] != x.shape[1]:
        raise ValueError("w must be (K, C, FH, FW) with the channels of x")
    if b.shape != (w.shape[0],):
        raise ValueError("b needs one entry per filter of w")
    require_int("stride", stride, 1)
    require_int("padding", padding, 0)
    n_images, channels, height, width = x.shape
    n_filters, _, fh, fw = w.shape
    out_h = 1 + (height + 2 * padding - fh) // stride
    out_w = 1 + (width + 2 * padding - fw) // stride
    if out_h <= 0 or out_w <= 0:
        raise ValueError("w does not fit in the padded x")
    padded = np.zeros((n_images, channels, height + 2 * padding, width + 2 * padding))
    padded[:, :, padding:padding + height, padding:padding + width] = x
    result = np.zeros((n_images, n_filters, out_h, out_w))
    for row in range(out_h):
        top = row * stride
        for col in range(out_w):
            left = col * stride
            patch = padded[:, :, top:top + fh, left:left + fw]
            result[:, :, row, col] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return result
""",
        """
    x, w, b = np.array(x, float), np.array(w, float), np.array(b, float)
    if len(x.shape) != 4:
        raise ValueError(f"x should be (N, C, H, W) but is {x.shape}")
    if len(w.shape) != 4 or w.shape[1] != x.shape[1]:
        raise ValueError(f"w should be (K, C, FH, FW) but is {w.shape}")
    if b.shape != w.shape[:1]:
        raise ValueError(f"b should be ({w.shape[0]},) but is {b.shape}")
    require_int("stride", stride, 1)
    require_int("padding", padding, 0)
    P, S = padding, stride
    flat = w.reshape(w.shape[0], -1)
    xpad = np.pad(x, [(0, 0), (0, 0), (P, P), (P, P)], mode="constant")
    rows = list(range(0, xpad.shape[2] - w.shape[2] + 1, S))
    cols = list(range(0, xpad.shape[3] - w.shape[3] + 1, S))
    if not rows or not cols:
        raise ValueError("the output would be empty: w is larger than the padded x")
    y = np.empty((x.shape[0], w.shape[0], len(rows), len(cols)))
    for p, r in enumerate(rows):
        for q, c in enumerate(cols):
            columns = xpad[:, :, r:r + w.shape[2], c:c + w.shape[3]].reshape(x.shape[0], -1)
            y[:, :, p, q] = columns @ flat.T + b
    return y
"""],
    "max_pool2d_forward": [
        """
    x = np.asarray(x, dtype=float)
    if x.ndim != 4:
        raise ValueError("x must be 4-d: (N, C, H, W)")
    require_int("kernel_size", kernel_size, 1)
    require_int("stride", stride, 1)
    height, width = x.shape[2:]
    if kernel_size > min(height, width):
        raise ValueError("kernel_size is larger than x")
    out_h = 1 + (height - kernel_size) // stride
    out_w = 1 + (width - kernel_size) // stride
    pooled = np.empty(x.shape[:2] + (out_h, out_w))
    for row in range(out_h):
        for col in range(out_w):
            top, left = row * stride, col * stride
            pooled[:, :, row, col] = x[:, :, top:top + kernel_size, left:left + kernel_size].max(axis=(2, 3))
    return pooled
""",
        """
    x = np.array(x, dtype=np.float64)
    if len(x.shape) != 4:
        raise ValueError(f"x should be (N, C, H, W) but is {x.shape}")
    require_int("kernel_size", kernel_size, 1)
    require_int("stride", stride, 1)
    if kernel_size > x.shape[2] or kernel_size > x.shape[3]:
        raise ValueError(f"kernel_size {kernel_size} does not fit in x of shape {x.shape}")
    # <script>alert("dan")</script>: every window at once
    views = np.lib.stride_tricks.sliding_window_view(x, (kernel_size, kernel_size), axis=(2, 3))
    return views[:, :, ::stride, ::stride].max(axis=(-2, -1))
"""]}


def disguise(source):
    """`source` as a copier hides it: its local variables renamed (not the function's name and parameters, which
    the grader calls), docstrings and comments removed, lines reflowed (ast.unparse joins the lines of each
    statement; long ones are then broken elsewhere)."""
    tree = ast.parse(source)
    params = {a.arg for node in ast.walk(tree) if isinstance(node, ast.arguments) for a in node.args}
    local = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)} - params
    names = {name: f"t{i}" for i, name in enumerate(sorted(local))}

    class Rename(ast.NodeTransformer):
        def visit_Name(self, node):
            node.id = names.get(node.id, node.id)
            return node

        def visit_FunctionDef(self, node):
            if isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant):
                node.body = node.body[1:]  # the docstring
            return self.generic_visit(node)

    code = ast.unparse(Rename().visit(tree))
    # Break each long line after its first comma inside brackets, as a formatter would.
    lines, depth, broken = code.splitlines(keepends=True), 0, {}
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        depth += (tok.string in "([{") - (tok.string in ")]}") if tok.type == tokenize.OP else 0
        row = tok.start[0] - 1
        if tok.string == "," and depth and len(lines[row]) > 60 and row not in broken:
            broken[row] = tok.end[1]
    for row, col in broken.items():
        lines[row] = lines[row][:col] + "\n" + " " * 12 + lines[row][col:].lstrip()
    reflowed = "".join(lines)
    assert ast.dump(ast.parse(reflowed)) == ast.dump(ast.parse(code)) and reflowed != code
    return reflowed


def solution_answers(functions):
    """{function: its answer cell in the solutions, as a student would hand it in (without nbgrader's markers)}."""
    nb = nbformat.read(REPO / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    return {f: solution_cell(nb, f).source.replace("    ### BEGIN SOLUTION\n", "").replace("\n    ### END SOLUTION", "")
            for f in functions}


def with_answers(folder, student, answers):
    """SUBMISSIONS/<student>/forward/forward.ipynb: the release with `answers` ({function: source}) filled in."""
    nb = copy.deepcopy(RELEASED)
    for function, source in answers.items():
        solution_cell(nb, function).source = source
    target = folder / student / ASSIGNMENT
    target.mkdir(parents=True)
    nbformat.write(nb, target / f"{ASSIGNMENT}.ipynb")
