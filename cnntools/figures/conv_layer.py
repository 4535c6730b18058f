"""The figures of *The convolutional layer* (book/conv-layer.md): padding, stride, volumes, receptive fields."""
import numpy as np
from matplotlib import colors as mcolors
from matplotlib.patches import Circle, Rectangle

from .primitives import (PALETTE, WINDOW_COLORS, arrow, box, canvas, colormap, display_size, figure, fit, fmt, grid,
                         outline)


def draw_padding(x, out, kernel_size, padding):
    """Zero padding: the input surrounded by ``padding`` rings of zeros, the first window, and the output.

    x:   the input, a 2-D array.
    out: the output of convolving the padded input (computed by the caller), a 2-D array.
    """
    x, out = np.asarray(x), np.asarray(out)
    h, w = x.shape
    p, k = padding, kernel_size
    padded = np.pad(x, p)
    colors = [[PALETTE["input"] if p <= r < p + h and p <= c < p + w else PALETTE["pad"]
               for c in range(w + 2 * p)] for r in range(h + 2 * p)]
    fig = figure(8.0, 3.9)
    ax = canvas(fig)
    grid(ax, padded, 0, 0, colors=colors, fontsize=10)
    outline(ax, 0, 0, k, k, PALETTE["accent"])
    ax.text((w + 2 * p) / 2, 0.35, f"input {h}×{w}, padded with {p} ring{'s' if p > 1 else ''} of zeros",
            ha="center", va="bottom", fontsize=10)
    ox = w + 2 * p + 2.5
    oy = -((h + 2 * p) - out.shape[0]) / 2
    arrow(ax, (w + 2 * p + 0.3, -(h + 2 * p) / 2), (ox - 0.3, -(h + 2 * p) / 2), f"{k}×{k} filter\nstride 1",
           fontsize=9, text_offset=0.2)
    out_colors = [[PALETTE["output"]] * out.shape[1] for _ in range(out.shape[0])]
    grid(ax, out, ox, oy, colors=out_colors, fontsize=10)
    outline(ax, ox, oy, 1, 1, PALETTE["accent"])
    ax.text(ox + out.shape[1] / 2, oy + 0.35, f"output {out.shape[0]}×{out.shape[1]}", ha="center",
            va="bottom", fontsize=10)
    fit(ax, 0, ox + out.shape[1], -(h + 2 * p), 1.0)
    return fig


def draw_stride(n, kernel_size, strides=(1, 2)):
    """A ``kernel_size`` filter sliding along the first row of an ``n``×``n`` input, one panel per stride.

    Above the input, one bar per position the filter takes along the row shows the columns it covers; the first
    window is outlined on the input, and the output cells get the colours of the bars that produce them.
    """
    k = kernel_size
    fig = figure(3.6 * len(strides) + 0.4, 4.4)
    most = len(range(0, n - k + 1, min(strides)))
    for j, s in enumerate(strides):
        ax = canvas(fig, (j / len(strides), 0, 1 / len(strides), 1))
        starts = list(range(0, n - k + 1, s))
        m = len(starts)
        colors = [[PALETTE["input"]] * n for _ in range(n)]
        grid(ax, np.zeros((n, n)), 0, 0, colors=colors, show_values=False)
        outline(ax, starts[0], 0, k, k, WINDOW_COLORS[0], linewidth=2.6)
        for t, c0 in enumerate(starts):
            color = WINDOW_COLORS[t % len(WINDOW_COLORS)]
            y = 0.35 + 0.4 * (len(starts) - 1 - t)
            ax.add_patch(Rectangle((c0 + 0.08, y), k - 0.16, 0.26, facecolor=color, edgecolor="none"))
        top = 0.35 + 0.4 * most
        ax.text(n / 2, top + 0.1, f"stride {s}", ha="center", va="bottom", fontsize=12, fontweight="bold")
        ox, oy = n + 1.3, -(n - m) / 2
        out_colors = [[PALETTE["output"]] * m for _ in range(m)]
        for t in range(m):
            out_colors[0][t] = mcolors.to_rgba(WINDOW_COLORS[t % len(WINDOW_COLORS)], 0.6)
        grid(ax, np.zeros((m, m)), ox, oy, colors=out_colors, show_values=False)
        ax.text(n / 2, -n - 0.2, f"input {n}×{n}, filter {k}×{k}", ha="center", va="top", fontsize=11)
        ax.text(ox + m / 2, oy - m - 0.2, f"output {m}×{m}", ha="center", va="top", fontsize=11)
        arrow(ax, (n + 0.15, -n / 2), (ox - 0.15, -n / 2))
        fit(ax, 0, n + 1.3 + n - k + 1, -n - 0.9, top + 0.8, margin=0.15)
    return fig


def draw_conv_volume(in_shape, kernel_size, out_shape, position=(0.25, 0.6)):
    """A convolutional layer in 3-D: the input volume, one filter's receptive field through its full depth,
    and the output volume with the column of neurons (one per filter) that all look at that field.

    in_shape, out_shape: ``(W, H, D)`` in the notes' convention, e.g. ``(32, 32, 3)`` and ``(28, 28, 5)``.
    position:            where the receptive field sits on the input's face, as fractions of (width, height).
    """
    w1, h1, d1 = in_shape
    w2, h2, d2 = out_shape
    largest = max(w1, h1, w2, h2)
    fig = figure(9.0, 4.4)
    ax = canvas(fig)
    # The input volume.
    W1, H1 = display_size(w1, largest, 1, 3.4), display_size(h1, largest, 1, 3.4)
    D1 = display_size(d1, max(d1, d2), 0.3, 1.4)
    box(ax, 0, 0, W1, H1, D1, PALETTE["input"], alpha=0.9)
    # The receptive field: kernel_size x kernel_size on the face, spanning the full depth.
    fw, fh = W1 * kernel_size / w1, H1 * kernel_size / h1
    fx, fy = position[0] * (W1 - fw), position[1] * (H1 - fh)
    box(ax, fx, fy, fw, fh, D1, PALETTE["filter"], zorder=3)
    ax.text(W1 / 2, -0.3, f"input {w1}×{h1}×{d1}", ha="center", va="top", fontsize=11)
    ax.annotate(f"receptive field\n{kernel_size}×{kernel_size}×{d1}", xy=(fx + fw / 2, fy + fh + D1 * 0.3),
                xytext=(W1 * 0.35, H1 + D1 * 0.45 + 0.9), ha="center", fontsize=10,
                arrowprops=dict(arrowstyle="-", color=PALETTE["edge"]))
    # The output volume and its column of d2 neurons.
    ox = W1 + D1 * 0.6 + 2.4
    W2, H2 = display_size(w2, largest, 1, 3.4), display_size(h2, largest, 1, 3.4)
    D2 = display_size(d2, max(d1, d2), 0.3, 1.4)
    oy = (H1 - H2) / 2
    box(ax, ox, oy, W2, H2, D2, PALETTE["output"], alpha=0.55)
    nx, ny = ox + position[0] * (W2 - 0.1) + 0.05, oy + position[1] * (H2 - 0.1) + 0.05
    for k in range(d2):
        t = k / max(d2 - 1, 1)
        cx, cy = nx + t * D2 * 0.6, ny + t * D2 * 0.45
        ax.add_patch(Circle((cx, cy), 0.09, facecolor=WINDOW_COLORS[k % len(WINDOW_COLORS)],
                            edgecolor=PALETTE["edge"], zorder=8))
        ax.plot([fx + fw + D1 * 0.6, cx], [fy + fh / 2 + D1 * 0.45, cy], color=WINDOW_COLORS[k % 6],
                linewidth=0.8, alpha=0.8, zorder=7)
    ax.text(ox + W2 / 2, oy - 0.3, f"output {w2}×{h2}×{d2}", ha="center", va="top", fontsize=11)
    ax.text(ox + W2 / 2 + D2 * 0.3, oy + H2 + D2 * 0.45 + 0.25,
            f"{d2} neurons on one column:\nsame receptive field, {d2} different filters", ha="center",
            va="bottom", fontsize=10)
    fit(ax, 0, ox + W2 + D2 * 0.6, -0.9, H1 + D1 * 0.45 + 1.6)
    return fig


def draw_receptive_fields(maps, titles, annotate=True, cmap="Oranges"):
    """Which input pixels one output unit depends on, for several layer stacks side by side.

    maps:   2-D arrays over the input, non-zero where the centre output unit depends on the pixel; the value is
            how many paths lead there (e.g. the gradient of that unit when all weights are 1).
    titles: one title per map.
    annotate: write the path counts in the cells (best for small grids).
    """
    fig = figure(3.3 * len(maps), 3.9)
    for i, (m, title) in enumerate(zip(maps, titles)):
        m = np.asarray(m)
        ax = canvas(fig, (i / len(maps) + 0.01, 0.0, 1 / len(maps) - 0.02, 0.82))
        n_r, n_c = m.shape
        norm = mcolors.Normalize(0, float(m.max()) or 1.0)
        # Light end of the colour map only: the path counts are printed in black on these cells.
        colors = [[colormap(cmap)(0.12 + 0.43 * norm(v)) if v else "white" for v in row] for row in m]
        labels = [[fmt(v) if v and annotate else "" for v in row] for row in m]
        grid(ax, m, 0, 0, colors=colors, labels=labels, show_values=False, fontsize=12, linewidth=0.6)
        rows, cols = np.nonzero(m)
        outline(ax, cols.min(), -rows.min(), cols.max() - cols.min() + 1, rows.max() - rows.min() + 1,
                 PALETTE["accent"], linewidth=2.2)
        fig.text((i + 0.5) / len(maps), 0.97, title, ha="center", va="top", fontsize=13)
        fit(ax, 0, n_c, -n_r, 0, margin=0.2)
    return fig
