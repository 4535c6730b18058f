"""The figures of *Backpropagation in CNNs* (book/backprop.md): the worked example's forward and backward grids."""
import numpy as np

from .primitives import PALETTE, arrow, canvas, figure, fit, fmt, grid, outline, symbol_labels


def draw_conv_forward(x, w, out):
    """The worked example's forward pass: X (3×3) ⋆ w (2×2) = O (2×2), with symbols and values, and below them
    the sum behind each output (indices from 0)."""
    x, w, out = np.asarray(x), np.asarray(w), np.asarray(out)
    n, k, m = x.shape[0], w.shape[0], out.shape[0]
    fig = figure(8.0, 3.2 + 0.5 * m * m)
    ax = canvas(fig)
    grid(ax, x, 0, 0, facecolor=PALETTE["input"], labels=symbol_labels("X", n, n), fontsize=12)
    outline(ax, 0, 0, k, k, PALETTE["accent"])
    ax.text(n + 0.5, -n / 2, "⋆", fontsize=24, ha="center", va="center")
    fx = n + 1.0
    fy = -(n - k) / 2
    grid(ax, w, fx, fy, facecolor=PALETTE["filter"], labels=symbol_labels("w", k, k), fontsize=12)
    ax.text(fx + k + 0.5, -n / 2, "=", fontsize=22, ha="center", va="center")
    ox = fx + k + 1.0
    oy = -(n - m) / 2
    grid(ax, out, ox, oy, facecolor=PALETTE["output"], labels=symbol_labels("O", m, m), fontsize=12)
    outline(ax, ox, oy, 1, 1, PALETTE["accent"])
    for label, gx, width in (("input X", 0, n), ("filter w", fx, k), ("output O", ox, m)):
        ax.text(gx + width / 2, 0.25, label, ha="center", va="bottom", fontsize=12)
    # One sum per line under the grids, as large as the grids' labels.
    for t, (i, j) in enumerate((i, j) for i in range(m) for j in range(m)):
        terms = " + ".join(f"$w_{{{a}{b}}}X_{{{i + a}{j + b}}}$" for a in range(k) for b in range(k))
        ax.text(0, -n - 0.8 - 0.75 * t, f"$O_{{{i}{j}}}$ = {terms} = {fmt(out[i, j])}", ha="left", va="center",
                fontsize=13, color=PALETTE["accent"] if t == 0 else "black")
    fit(ax, 0, max(ox + m, 8.6), -n - 0.8 - 0.75 * (m * m - 1) - 0.4, 0.8)
    return fig


def draw_conv_backward(dout, dw, dx):
    """The worked example's backward pass: given dL/dO (2×2), the gradients dL/dw (2×2) and dL/dX (3×3)."""
    dout, dw, dx = np.asarray(dout), np.asarray(dw), np.asarray(dx)
    fig = figure(9.0, 3.8)
    ax = canvas(fig)
    m, k, n = dout.shape[0], dw.shape[0], dx.shape[0]
    oy = -(n - m) / 2
    grid(ax, dout, 0, oy, facecolor=PALETTE["grad"], labels=symbol_labels(r"\delta", m, m))
    ax.text(m / 2, oy + 0.3, r"given $\partial L/\partial O$", ha="center", va="bottom", fontsize=11)
    fx = m + 3.2
    grid(ax, dw, fx, 0.6, facecolor=PALETTE["filter"],
          labels=[[f"$\\partial w_{{{r}{c}}}$" for c in range(k)] for r in range(k)])
    ax.text(fx + k + 0.3, 0.6 - k / 2, r"$\partial L/\partial w$: slide $\delta$ over $X$", ha="left",
            va="center", fontsize=11)
    xx, xy = fx, -k - 0.4
    grid(ax, dx, xx, xy, facecolor=PALETTE["input"],
          labels=[[f"$\\partial X_{{{r}{c}}}$" for c in range(n)] for r in range(n)])
    ax.text(xx + n + 0.3, xy - n / 2, r"$\partial L/\partial X$: scatter $\delta$ back through $w$",
            ha="left", va="center", fontsize=11)
    arrow(ax, (m + 0.2, oy - m / 2 + 0.3), (fx - 0.2, 0.6 - k / 2), rad=-0.15)
    arrow(ax, (m + 0.2, oy - m / 2 - 0.3), (xx - 0.2, xy - n / 2), rad=0.15)
    fit(ax, 0, xx + n + 6.6, xy - n, 1.3)
    return fig


def draw_filter_rotation(w, dout_padded, dx):
    """dL/dX as a convolution: rotate w by 180°, slide it over dL/dO padded with zeros, read off dL/dX.

    w:            the filter w, 2-D.
    dout_padded:  dL/dO with F-1 rings of zeros (computed by the caller).
    dx:           the result, dL/dX.
    """
    w, dpad, dx = np.asarray(w), np.asarray(dout_padded), np.asarray(dx)
    k, p, n = w.shape[0], dpad.shape[0], dx.shape[0]
    # Wide (four blocks in a row) and so shrunk to about half in the book: 14 pt keeps the text near 14 px.
    fig = figure(10.5, 3.9)
    ax = canvas(fig)
    labels = symbol_labels("w", k, k)
    grid(ax, w, 0, -(p - k) / 2, facecolor=PALETTE["filter"], labels=labels, fontsize=14)
    ax.text(k / 2, -(p - k) / 2 + 0.3, "w", ha="center", va="bottom", fontsize=14)
    rx = k + 2.0
    arrow(ax, (k + 0.2, -p / 2), (rx - 0.2, -p / 2), "rotate 180°", fontsize=14)
    rot_labels = [row[::-1] for row in labels[::-1]]
    grid(ax, np.rot90(w, 2), rx, -(p - k) / 2, facecolor=PALETTE["filter"], labels=rot_labels, fontsize=14)
    ax.text(rx + k / 2, -(p - k) / 2 + 0.3, "rotated w", ha="center", va="bottom", fontsize=14)
    px = rx + k + 1.6
    inner = (p - (p - 2 * (k - 1))) // 2
    colors = [[PALETTE["grad"] if inner <= r < p - inner and inner <= c < p - inner else PALETTE["pad"]
               for c in range(p)] for r in range(p)]
    grid(ax, dpad, px, 0, colors=colors, fontsize=14)
    outline(ax, px, 0, k, k, PALETTE["accent"])
    ax.text(px + p / 2, 0.3, rf"$\partial L/\partial O$ padded with {k - 1}", ha="center", va="bottom", fontsize=14)
    ax.text(px + p + 1.4, -p / 2 + 0.55, "⋆", fontsize=26, ha="center", va="center")
    ax.text(px + p + 1.4, -p / 2, "rotated w", fontsize=14, ha="center", va="center")
    ax.text(px + p + 1.4, -p / 2 - 0.6, "=", fontsize=22, ha="center", va="center")
    dxx = px + p + 2.8
    grid(ax, dx, dxx, -(p - n) / 2, facecolor=PALETTE["input"], fontsize=14)
    outline(ax, dxx, -(p - n) / 2, 1, 1, PALETTE["accent"])
    ax.text(dxx + n / 2, -(p - n) / 2 + 0.3, r"$\partial L/\partial X$", ha="center", va="bottom", fontsize=14)
    fit(ax, 0, dxx + n, -p, 0.9)
    return fig


def draw_maxpool_backward(x, dout, dx, is_max, kernel_size, stride):
    """Max-pool backprop: each upstream gradient goes to the position that held its window's maximum.

    x, dout, dx: the forward input, the upstream gradient and the result (computed by the caller), 2-D.
    is_max:      boolean array shaped like x, True where a window's maximum sits.
    """
    x, dout, dx = np.asarray(x), np.asarray(dout), np.asarray(dx)
    winner = np.asarray(is_max, dtype=bool)
    k, s = kernel_size, stride
    fig = figure(8.6, 3.3)
    ax = canvas(fig)
    n, m = x.shape[0], dout.shape[0]
    colors = [[PALETTE["output"] if winner[r, c] else PALETTE["input"] for c in range(n)] for r in range(n)]
    grid(ax, x, 0, 0, colors=colors)
    for i in range(0, n, s):
        for j in range(0, n, s):
            outline(ax, j, -i, k, k, PALETTE["edge"], linewidth=2.0)
    ax.text(n / 2, 0.3, "forward input X (maxima shaded)", ha="center", va="bottom", fontsize=12)
    gx, gy = n + 1.5, -(n - m) / 2
    grid(ax, dout, gx, gy, facecolor=PALETTE["grad"])
    ax.text(gx + m / 2, gy + 0.3, r"upstream $\partial L/\partial O$", ha="center", va="bottom", fontsize=12)
    dxx = gx + m + 2.0
    arrow(ax, (gx + m + 0.2, -n / 2), (dxx - 0.2, -n / 2), "route", fontsize=12)
    dcolors = [[PALETTE["grad"] if winner[r, c] else "white" for c in range(n)] for r in range(n)]
    grid(ax, dx, dxx, 0, colors=dcolors)
    for i in range(0, n, s):
        for j in range(0, n, s):
            outline(ax, dxx + j, -i, k, k, PALETTE["edge"], linewidth=2.0)
    ax.text(dxx + n / 2, 0.3, r"$\partial L/\partial X$", ha="center", va="bottom", fontsize=12)
    fit(ax, 0, dxx + n, -n, 0.9)
    return fig
