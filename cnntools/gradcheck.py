"""Numerical gradients, to check a backward pass against its forward pass (in the style of CS231n's gradient_check).

A backward pass gets ``dout = dL/dout``, the gradient of the loss with respect to the layer's output, and returns the
gradient with respect to an input ``x``. Centered differences estimate the same vector-Jacobian product:

    dL/dx[i] = sum(dout * df/dx[i])  ~  sum(dout * (f(x + h e_i) - f(x - h e_i))) / (2 h)

with an error of order ``h**2`` plus rounding of order ``eps * |f| / h``; in float64, ``h = 1e-5`` balances the two.
"""
import numpy as np


def eval_numerical_gradient(f, x, h=1e-5):
    """Numerical gradient of a scalar function.

    f: callable; ``f(x)`` returns a float. It is called with ``x`` itself, nudged in place, so a closure that reads
       ``x`` through another name (``lambda _: loss(params)``) works too.
    x: float64 array of any shape S; changed during the call and restored afterwards.

    Returns an array of shape S: ``df/dx``.
    """
    return eval_numerical_gradient_array(lambda arg: np.asarray(f(arg), dtype=np.float64), x, np.ones(()), h)


def eval_numerical_gradient_array(f, x, dout, h=1e-5):
    """Numerical vector-Jacobian product ``sum(dout * df/dx)`` of an array-valued function.

    f:    callable; ``f(x)`` returns an array of shape T (the layer's output). Called with ``x`` nudged in place.
    x:    float64 array of any shape S; changed during the call and restored afterwards.
    dout: array of shape T, the upstream gradient dL/df.

    Returns an array of shape S: ``dL/dx`` for ``L = sum(dout * f(x))``.
    """
    if x.dtype != np.float64:
        raise ValueError(f"x must be a float64 array (differences of size h are lost in {x.dtype}), got {x.dtype}")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        plus = np.array(f(x), dtype=np.float64)  # a copy: f may return a view of x
        x[i] = old - h
        minus = np.array(f(x), dtype=np.float64)
        x[i] = old
        grad[i] = np.sum((plus - minus) * dout) / (2 * h)
        it.iternext()
    return grad


def rel_error(x, y):
    """Largest relative difference ``|x - y| / max(1e-8, |x| + |y|)`` over the entries of two arrays of one shape.

    Gradients that agree give about 1e-7 or less; 1e-2 or more means a bug. Entries where both gradients are nearly
    zero can show a large relative error from rounding alone: look at :func:`plot_gradient_error` before worrying.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def plot_gradient_error(analytic, numeric, ax=None, title=None):
    """Draw where an analytic gradient and a numerical one disagree: an image of the difference of each entry,
    ``log10(|analytic - numeric| / max|numeric|)``, on a fixed scale from -12 (agreement up to rounding) to 0 (an
    error as large as the gradient itself).

    analytic, numeric: arrays of one shape S. A 4-d gradient (N, C, H, W) or (K, C, FH, FW) is laid out as a grid of
        H x W tiles, one row of tiles per index of the first axis and one column per index of the second; other
        shapes are shown as rows of their last axis.
    ax:    the matplotlib Axes to draw on; a new figure when None.
    title: the plot's title; by default the largest absolute difference and the relative error.

    Returns the Axes.
    """
    import matplotlib.pyplot as plt

    analytic, numeric = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    if analytic.shape != numeric.shape:
        raise ValueError(f"analytic has shape {analytic.shape} but numeric has shape {numeric.shape}")
    diff = np.abs(analytic - numeric) / max(float(np.max(np.abs(numeric), initial=0.0)), 1e-300)
    if diff.ndim == 4:
        a, b, h, w = diff.shape
        image = diff.transpose(0, 2, 1, 3).reshape(a * h, b * w)
    else:
        image = diff.reshape(-1, diff.shape[-1]) if diff.ndim else diff.reshape(1, 1)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    shown = ax.imshow(np.log10(np.maximum(image, 1e-16)), cmap="viridis", vmin=-12, vmax=0, interpolation="nearest")
    ax.figure.colorbar(shown, ax=ax, label="log10 |analytic - numeric| / max|numeric|")
    if diff.ndim == 4:  # separate the tiles
        for r in range(1, a):
            ax.axhline(r * h - 0.5, color="w", lw=0.5)
        for c in range(1, b):
            ax.axvline(c * w - 0.5, color="w", lw=0.5)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title if title is not None else
                 f"largest difference {np.max(np.abs(analytic - numeric)):.2g}, "
                 f"rel_error {rel_error(analytic, numeric):.2g}")
    return ax
