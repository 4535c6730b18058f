"""What a failing array case shows besides its message: a picture of where the answer is wrong, with alt text that
says the same in words, and the lines that reproduce the call in the student's notebook.

``checks.check_array`` raises a :class:`WrongArray` (an AssertionError) that carries the two arrays;
``grading.Cases`` keeps it with the case's verdict and turns it into a :class:`Picture` and a repro only for the cases
that failed. A *hidden* case (one the notebook does not show) is drawn from what its message already tells: the
student's own output, where it differs from the expected one (not by how much: with the output, the difference
would give the expected values away) and the one entry the message names, with its expected value; its repro
gives the shapes and arguments the message gives, with inputs drawn afresh (not the hidden test's).
"""
import ast
import base64
import dataclasses
import io
import re
import textwrap

import numpy as np

SMALL = 64          # arrays with at most this many entries are written out whole in a repro
WIDTH = 96          # characters per line of a repro (JupyterLab's output area holds ~100 at 1400 px)


class WrongArray(AssertionError):
    """``check_array``'s verdict on a wrong array: the message, and the arrays it was drawn from.

    what: the case in words; got, want: float64 arrays; tol: the tolerance; index: the entry the message names
    (None for a wrong shape).
    """

    def __init__(self, message, what, got, want, tol, index=None):
        super().__init__(message)
        self.what, self.got, self.want, self.tol, self.index = what, got, want, tol, index


@dataclasses.dataclass
class Picture:
    """A PNG (base64) and its alt text; shown as HTML in a notebook and on the feedback page."""
    png: str
    alt: str

    def html(self):
        import html
        return (f'<img src="data:image/png;base64,{self.png}" alt="{html.escape(self.alt)}" '
                f'title="{html.escape(self.alt)}" style="max-width: 100%">')

    def _repr_html_(self):
        return self.html()

    def __repr__(self):
        return self.alt


# ---------------------------------------------------------------------------------------------------------------
# Pictures

def _slice(got, want, tol, index, hidden):
    """(the leading index of the 2-D slice to show, got's slice, want's slice): the first sample that is wrong and,
    within it, the channel with the largest error (for a hidden case, the slice that holds ``index``)."""
    lead = ()
    g, w = got, want
    while g.ndim > 2:
        if hidden:
            i = index[len(lead)]
        else:
            err = np.abs(g - w).reshape(g.shape[0], -1).max(axis=1)
            i = int(np.argmax(err)) if lead else int(np.flatnonzero(err > tol)[0])
        lead += (i,)
        g, w = g[i], w[i]
    if g.ndim < 2:
        g, w = np.atleast_2d(g), np.atleast_2d(w)
    return lead, g, w


def _where(lead, got, want, tol, index, hidden):
    """The full index of the entry to mark, and its (row, column) in the slice."""
    if hidden:
        full = tuple(index)
    else:
        g, w = got[lead] if lead else got, want[lead] if lead else want
        flat = int(np.argmax(np.abs(np.atleast_1d(g - w))))
        full = lead + tuple(int(i) for i in np.unravel_index(flat, np.shape(g)))
    rc = full[len(lead):] if got.ndim >= 2 else (0,) + full
    return full, (rc[-2], rc[-1])


PANEL = 200         # pixels of a panel's longer side at most
SLOT = 150          # pixels of width a panel and its title take at least
DPI = 96            # text of 9 points is 12 pixels high
ANNOTATE = 16       # panels of at most this many entries get their values written in the cells
_RED, _GREY = (215, 48, 39), (235, 235, 235)


def _canvas(width, height):
    """A matplotlib Figure of ``width`` x ``height`` pixels drawn by Agg: images go in with ``figimage`` and text with
    ``text``, so no axes are laid out (an axes costs ~10x a picture's whole drawing)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _fmt(v):
    return f"{v:.4g}"


def _outline(img, r, c, cell):
    """Mark cell (r, c) of an upscaled panel: a black frame with a yellow one inside."""
    for width, colour in ((3, (0, 0, 0)), (1, (255, 221, 0))):
        top, left, bottom, right = r * cell, c * cell, (r + 1) * cell - 1, (c + 1) * cell - 1
        if width == 1:
            top, left, bottom, right = top + 3, left + 3, bottom - 3, right - 3
        if bottom < top or right < left:
            continue
        for t in range(min(width, cell)):
            img[top + t, left:right + 1] = img[bottom - t, left:right + 1] = colour
            img[top:bottom + 1, left + t] = img[top:bottom + 1, right - t] = colour


def value_picture(what, got, want, tol, index=None, hidden=False):
    """The picture of a wrong answer of the right shape (finite ``got``); see the module docstring."""
    from matplotlib import colormaps
    lead, g, w = _slice(got, want, tol, index, hidden)
    full, (r, c) = _where(lead, got, want, tol, index, hidden)
    part = f"sample {lead[0]}, channel {lead[1]}" if len(lead) == 2 else \
        f"index {lead[0]} of the first axis" if len(lead) == 1 else "the whole array"
    where = ", ".join(map(str, full))
    diff = np.abs(g - w)
    # one scale for the panels shown, the difference's included: a sign flipped is off by twice the values' reach
    top = float(max(np.max(np.abs(g)), 0.0 if hidden else max(np.max(np.abs(w)), np.max(diff)), 1e-12))
    cmap = colormaps["RdBu_r"]

    def colours(data):
        return (cmap((data + top) / (2 * top))[..., :3] * 255).astype(np.uint8)
    if hidden:
        mask = np.where((diff > tol)[..., None], np.array(_RED, np.uint8), np.array(_GREY, np.uint8))
        panels = [("your output", g, colours(g)), ("wrong entries (red)", None, mask)]
    else:
        panels = [("expected", w, colours(w)), ("your output", g, colours(g)),
                  ("|your output - expected|", diff, colours(diff))]
    rows, cols = g.shape
    cell = int(np.clip(PANEL // max(rows, cols), 2, 36))
    pw, ph, gap, head = cols * cell, rows * cell, 18, 46
    slot = max(pw, SLOT)
    scale = 0 if hidden else 14 + 60
    title = f"{what}: {part}"
    width = max(len(panels) * (slot + gap) + gap + scale, int(7 * len(title)) + 20)
    height = ph + head + 12
    fig = _canvas(width, height)
    text = dict(ha="center", va="center", fontsize=9)
    fig.text(0.5, 1 - 13 / height, title, **text)
    small = g.size <= ANNOTATE
    for k, (title, values, rgb) in enumerate(panels):
        x0 = gap + k * (slot + gap) + (slot - pw) // 2
        img = np.kron(rgb, np.ones((cell, cell, 1), np.uint8))
        _outline(img, r, c, cell)
        fig.figimage(img, xo=x0, yo=8)
        fig.text((x0 + pw / 2) / width, (8 + ph + 14) / height, title, **text)
        if small and values is not None:
            for (i, j), v in np.ndenumerate(values):
                fig.text((x0 + (j + 0.5) * cell) / width, (8 + ph - (i + 0.5) * cell) / height, f"{v:.3g}",
                         ha="center", va="center", fontsize=8, color="white" if abs(v) > 0.6 * top else "black")
    if scale:  # the one colour scale of the three panels
        bar = (cmap(np.linspace(1, 0, ph))[:, None, :3] * 255).astype(np.uint8).repeat(12, axis=1)
        x0 = len(panels) * (slot + gap) + gap
        fig.figimage(bar, xo=x0, yo=8)
        for y, v in ((8 + ph, top), (8 + ph / 2, 0.0), (8, -top)):
            fig.text((x0 + 16) / width, y / height, _fmt(v), ha="left", va="center", fontsize=8)
    wrong = int(np.sum(np.abs(got - want) > tol))
    named = f"at index ({where}) you returned {_fmt(got[full])}, expected {_fmt(want[full])}"
    if hidden:
        alt = (f"Two maps of {what}, {part}: your output, and in red the entries that differ from the expected "
               f"ones ({wrong} of {want.size} entries in all are wrong). As the message says, {named}; that entry "
               "is outlined.")
    else:
        alt = (f"Three maps of {what}, {part}: the expected values, your output, and their absolute difference, "
               f"on one colour scale from {_fmt(-top)} to {_fmt(top)}. {wrong} of {want.size} entries are wrong; "
               f"the largest error: {named}; that entry is outlined.")
    return Picture(_png(fig), alt)


def shape_picture(what, got_shape, want_shape):
    """Two boxes to scale, the last two axes of each shape (rows, columns), labelled with the whole shapes."""
    boxes = [("your output", tuple(got_shape), (244, 165, 130)), ("expected", tuple(want_shape), (146, 197, 222))]
    dims = [((s[-2] if len(s) > 1 else 1), (s[-1] if len(s) else 1)) for _, s, _ in boxes]
    cell = int(np.clip(160 // max(max(d) for d in dims), 2, 36))
    gap, head, foot = 60, 32, 40
    title = f"{what}: the shapes (rows and columns to scale)"
    width = max(sum(c * cell for _, c in dims) + 3 * gap, 420, int(7 * len(title)) + 20)
    height = max(r for r, _ in dims) * cell + head + foot
    fig = _canvas(width, height)
    fig.text(0.5, 1 - 12 / height, title, ha="center", va="center", fontsize=9)
    x0 = gap
    for (label, shape, colour), (rows, cols) in zip(boxes, dims):
        img = np.empty((rows * cell, cols * cell, 3), np.uint8)
        img[:] = colour
        img[0], img[-1], img[:, 0], img[:, -1] = 0, 0, 0, 0
        fig.figimage(img, xo=x0, yo=height - head - rows * cell)
        fig.text((x0 + cols * cell / 2) / width, (height - head - rows * cell - 18) / height, f"{label}: {shape}",
                 ha="center", va="center", fontsize=9)
        x0 += cols * cell + gap
    alt = (f"Two boxes drawn to scale for {what}: your output has shape {tuple(got_shape)}, the expected one "
           f"{tuple(want_shape)}.")
    return Picture(_png(fig), alt)


def picture(what, error, hidden=False):
    """The Picture of a WrongArray, or None where text says it all (no entries, NaN or inf, a 0-d answer)."""
    got, want = error.got, error.want
    if got.shape != want.shape:
        return shape_picture(what, got.shape, want.shape)
    if got.ndim == 0 or got.size == 0 or not np.all(np.isfinite(got)) or error.index is None:
        return None
    return value_picture(what, got, want, error.tol, error.index, hidden)


# ---------------------------------------------------------------------------------------------------------------
# Repros

_SHAPED = re.compile(r"\b([A-Za-z_]\w*) (\((?:\d+, ?)*\d*\))")  # "x (2, 3, 5, 7)": a name and its shape, in a case


def call_of(what):
    """The call a case's description starts with (``"dx of conv2d_backward(dout, x, w)"`` -> its call), with
    ``name (shape)`` arguments made plain names, as an ast.Call; or None."""
    start = re.search(r"[A-Za-z_]\w*\(", what)
    if not start:
        return None
    depth = 0
    for end in range(start.end() - 1, len(what)):
        depth += {"(": 1, ")": -1}.get(what[end], 0)
        if depth == 0:
            break
    text = _SHAPED.sub(r"\1", what[start.start():end + 1])
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None
    return node if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else None


def inputs_of(what, names):
    """{name: a copy of the array (small ones) or its shape} of the arrays the case's call passes, taken from the
    test's namespace ``names`` when the case failed (later cases rebind them); None when the call cannot be read.
    A shape the description gives (``x (2, 3, 5, 7)``) is the one used: the test may have passed another array."""
    call = call_of(what)
    if call is None:
        return None
    told = {name: ast.literal_eval(shape) for name, shape in _SHAPED.findall(what)}
    inputs = {}
    for arg in list(call.args) + [k.value for k in call.keywords]:
        if isinstance(arg, ast.Name):
            value = names.get(arg.id) if isinstance(names, dict) else None
            shape = tuple(getattr(value, "shape", ())) if hasattr(value, "shape") else None
            if shape is None:
                return None
            if arg.id in told and tuple(told[arg.id]) != shape:
                inputs[arg.id] = tuple(told[arg.id])
            elif isinstance(value, np.ndarray) and value.size <= SMALL:
                inputs[arg.id] = value.copy()
            else:
                inputs[arg.id] = shape
        else:
            try:
                ast.literal_eval(arg)
            except ValueError:
                return None  # an expression of the test's: no line the student could paste
    return inputs


def repro(what, inputs, hidden=False):
    """The lines that rebuild a case's inputs and call the function (a str), or "" when its call cannot be read.

    inputs: from ``inputs_of``. An input array of a visible case is written out whole when small, else drawn by
    ``checks.random_arrays`` with its shape; a hidden case's always are drawn (its values are the hidden test's)."""
    call = call_of(what)
    if call is None or inputs is None:
        return ""
    lines, drawn = [], {}
    as32 = ".astype(np.float32)" if "float32" in what else ""  # the case passed float32 copies of its inputs
    for name, a in inputs.items():
        if isinstance(a, np.ndarray) and not hidden:
            whole = np.all(np.isfinite(a)) and np.array_equal(a, np.round(a))
            values = np.round(a).astype(int).tolist() if whole else a.tolist()
            dtype = "float" if a.dtype == np.float64 else f"np.{a.dtype}"
            lines.append(textwrap.fill(f"{name} = np.array({values}, dtype={dtype}){as32}", WIDTH,
                                       subsequent_indent=" " * 4, break_long_words=False, break_on_hyphens=False))
        else:
            drawn[name] = tuple(a) if isinstance(a, tuple) else a.shape
    if drawn:
        shapes = ", ".join(f"{n}={s}" for n, s in drawn.items())
        arrays = f"checks.random_arrays(seed=0, {shapes})"
        if as32:
            arrays = f"(a{as32} for a in {arrays})" if len(drawn) > 1 else arrays + as32
        note = "# random values of the hidden case's shapes" if hidden else "# random values of the case's shapes"
        lines[:0] = [note, f"{', '.join(drawn)} = {arrays}"]
    lines.append(ast.unparse(call))
    return "\n".join(lines)
