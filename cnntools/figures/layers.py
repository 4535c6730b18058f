"""The figures of *Pooling, batch normalization, ReLU and fully connected layers* (book/layers.md)."""
import numpy as np
from matplotlib.patches import Circle, Rectangle

from .primitives import PALETTE, arrow, box, canvas, figure, fit, grid


def draw_pooling(x, out, is_max, kernel_size, stride, in_volume=None, out_volume=None):
    """Max pooling on one depth slice (windows coloured, each maximum circled) and, optionally, on a volume.

    x, out:                 the input slice and the pooled output (computed by the caller), 2-D arrays.
    is_max:                 boolean array shaped like x, True where a window's maximum sits (from the caller,
                            e.g. the indices returned by ``torch.nn.functional.max_pool2d``).
    in_volume, out_volume:  optional ``(W, H, D)`` shapes drawn as boxes on the right, e.g. (256, 256, 64).
    """
    x, out = np.asarray(x), np.asarray(out)
    k, s = kernel_size, stride
    fig = figure(9.6 if in_volume else 6.0, 3.4)
    ax = canvas(fig, (0, 0, 0.6 if in_volume else 1, 1))
    tints = ["#f4cccc", "#cfe2f3", "#d9ead3", "#fff2cc", "#d9d2e9", "#fce5cd"]
    colors = [[None] * x.shape[1] for _ in range(x.shape[0])]
    out_colors = [[None] * out.shape[1] for _ in range(out.shape[0])]
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            tint = tints[(i * out.shape[1] + j) % len(tints)]
            out_colors[i][j] = tint
            for r in range(i * s, i * s + k):
                for c in range(j * s, j * s + k):
                    colors[r][c] = tint
    for r, c in zip(*np.nonzero(np.asarray(is_max))):
        ax.add_patch(Circle((c + 0.5, -(r + 0.5)), 0.36, fill=False, edgecolor=PALETTE["accent"], linewidth=2,
                            zorder=6))
    grid(ax, x, 0, 0, colors=colors, fontsize=14)
    ox, oy = x.shape[1] + 2.2, -(x.shape[0] - out.shape[0]) / 2
    grid(ax, out, ox, oy, colors=out_colors, fontsize=14)
    arrow(ax, (x.shape[1] + 0.2, -x.shape[0] / 2), (ox - 0.2, -x.shape[0] / 2), f"max pool\n{k}×{k}, stride {s}",
           fontsize=12)
    ax.text(x.shape[1] / 2, 0.3, f"one depth slice, {x.shape[0]}×{x.shape[1]}", ha="center", va="bottom",
            fontsize=12)
    ax.text(ox + out.shape[1] / 2, oy + 0.3, f"{out.shape[0]}×{out.shape[1]}", ha="center", va="bottom",
            fontsize=12)
    fit(ax, 0, ox + out.shape[1], -x.shape[0], 0.9)
    if in_volume:
        ax2 = canvas(fig, (0.62, 0.05, 0.37, 0.9))
        (w1, h1, d1), (w2, h2, d2) = in_volume, out_volume
        W1, W2 = 2.6, 2.6 * w2 / w1
        H1, H2 = 2.6, 2.6 * h2 / h1
        D = 1.2
        box(ax2, 0, 0, W1, H1, D, PALETTE["input"])
        ax2.text(W1 / 2 + 0.3, -0.25, f"{w1}×{h1}×{d1}", ha="center", va="top", fontsize=12)
        ox2 = W1 + D * 0.6 + 1.4
        box(ax2, ox2, (H1 - H2) / 2, W2, H2, D * d2 / d1, PALETTE["output"])
        ax2.text(ox2 + W2 / 2 + 0.3, (H1 - H2) / 2 - 0.25, f"{w2}×{h2}×{d2}", ha="center", va="top", fontsize=12)
        arrow(ax2, (W1 + D * 0.6 + 0.15, H1 / 2), (ox2 - 0.15, H1 / 2), "pool", fontsize=12)
        ax2.text((ox2 + W2) / 2 + 0.3, H1 + D * 0.45 + 0.35, "width and height halve,\ndepth unchanged",
                 ha="center", va="bottom", fontsize=12)
        fit(ax2, 0, ox2 + W2 + D * 0.6, -0.8, H1 + D * 0.45 + 1.3)
    return fig


def draw_batchnorm_axes(batch_size=4, channels=3, channel=1):
    """A mini-batch of (C, H, W) volumes with one channel highlighted in every sample: BatchNorm2d computes one
    mean and one variance per channel, over the batch and both spatial axes."""
    fig = figure(8.6, 3.2)
    ax = canvas(fig)
    side, step = 1.6, 2.6
    for n in range(batch_size):
        x0 = n * step
        for c in range(channels - 1, -1, -1):
            color = PALETTE["accent"] if c == channel else PALETTE["input"]
            dx, dy = 0.28 * c, 0.21 * c
            ax.add_patch(Rectangle((x0 + dx, dy), side, side, facecolor=color, edgecolor=PALETTE["edge"],
                                   zorder=10 - c))
        ax.text(x0 + side / 2 + 0.3, -0.2, f"sample {n + 1}", ha="center", va="top", fontsize=12)
    ax.text(batch_size * step / 2, side + 0.28 * channels + 0.3,
            f"channel {channel + 1}: one mean and one variance from all {batch_size} samples × H × W values",
            ha="center", va="bottom", fontsize=12, color=PALETTE["accent"])
    fit(ax, 0, (batch_size - 1) * step + side + 0.28 * channels, -0.7, side + 0.28 * channels + 0.8)
    return fig


def plot_relu(x, y, dydx):
    """ReLU and its derivative side by side (the derivative as computed by autograd, passed in)."""
    x, y, dydx = (np.asarray(a, dtype=float) for a in (x, y, dydx))
    fig = figure(8.0, 3.0)
    for i, (values, title) in enumerate([(y, r"$\mathrm{ReLU}(x) = \max(0, x)$"),
                                         (dydx, r"$\frac{d}{dx}\mathrm{ReLU}(x)$")]):
        ax = fig.add_axes((0.07 + i * 0.5, 0.17, 0.4, 0.68))
        if i == 0:
            ax.plot(x, values, color=PALETTE["accent2"], linewidth=2)
        else:  # draw the step without a vertical line at 0
            ax.plot(x[x <= 0], values[x <= 0], color=PALETTE["accent"], linewidth=2)
            ax.plot(x[x > 0], values[x > 0], color=PALETTE["accent"], linewidth=2)
            ax.plot([0], [0], "o", color=PALETTE["accent"])
            ax.plot([0], [1], "o", markerfacecolor="white", color=PALETTE["accent"])
            ax.set_ylim(-0.2, 1.3)
        ax.axhline(0, color="#999999", linewidth=0.8)
        ax.axvline(0, color="#999999", linewidth=0.8)
        ax.set_title(title, fontsize=12)
        ax.set_xlabel("$x$")
        ax.spines[["top", "right"]].set_visible(False)
    return fig
