"""The figures of *Why convolutional networks?* (book/why-cnns.md): weight counts, translation, locality."""
import numpy as np

from .primitives import PALETTE, figure


def plot_param_growth(sizes, mlp_weights, conv_weights, hidden_units=1000, conv_label="conv layer"):
    """Bar chart (log scale) of the first layer's weight count for square RGB images of each size.

    sizes:        image side lengths, e.g. ``[32, 64, 128, 256, 512, 1024]``.
    mlp_weights:  weights of a fully connected layer from the flattened image to ``hidden_units`` units.
    conv_weights: weights of the convolutional layer it is compared with (the same for every size).
    """
    fig = figure(7.5, 3.6)
    ax = fig.add_axes((0.11, 0.16, 0.86, 0.72))
    positions = np.arange(len(sizes))
    ax.bar(positions - 0.2, mlp_weights, width=0.4, color=PALETTE["accent"], label=f"fully connected, "
           f"{hidden_units} units")
    ax.bar(positions + 0.2, conv_weights, width=0.4, color=PALETTE["accent2"], label=conv_label)
    ax.set_yscale("log")
    ax.set_xticks(positions, [f"{s}×{s}×3" for s in sizes])
    ax.set_xlabel("input image")
    ax.set_ylabel("weights in the first layer")
    # Both series labelled, so that the conv layer's short bars read as a number and not as a sliver.
    for p, w in zip(positions, mlp_weights):
        ax.text(p - 0.2, w * 1.3, f"{w:,}", ha="center", va="bottom", fontsize=8.5)
    for p, w in zip(positions, conv_weights):
        ax.text(p + 0.2, w * 1.3, f"{w:,}", ha="center", va="bottom", fontsize=8.5, color=PALETTE["accent2"])
    ax.set_ylim(bottom=min(conv_weights) / 10, top=max(mlp_weights) * 30)
    ax.legend(loc="upper left", frameon=False, fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def plot_translation(image, shifted, shift, distance, cmap="gray_r"):
    """Show an image, the same image shifted, and where their flattened vectors differ.

    image, shifted: 2-D arrays of the same shape.
    shift:          the shift in pixels, for the title, e.g. ``(0, 3)``.
    distance:       the Euclidean distance between the flattened vectors (computed by the caller).
    """
    image, shifted = np.asarray(image), np.asarray(shifted)
    fig = figure(8.4, 3.0)
    axes = [fig.add_axes((0.02 + 0.33 * i, 0.05, 0.29, 0.76)) for i in range(3)]
    diff = shifted - image
    vmax = float(np.abs(diff).max()) or 1.0
    axes[0].imshow(image, cmap=cmap, vmin=0, vmax=max(float(image.max()), 1e-9))
    axes[0].set_title("original", fontsize=11)
    axes[1].imshow(shifted, cmap=cmap, vmin=0, vmax=max(float(shifted.max()), 1e-9))
    axes[1].set_title(f"shifted by {shift[1]} px right, {shift[0]} px down", fontsize=11)
    axes[2].imshow(diff, cmap="RdBu_r", vmin=-vmax, vmax=vmax)
    axes[2].set_title(f"difference (distance {distance:.2f})", fontsize=11)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def plot_shift_distance(shifts, distances, others):
    """How far (Euclidean, flattened) an object moves from itself when shifted, against the spread of distances
    from it to other objects.

    shifts:    shifts in pixels, e.g. ``range(13)``.
    distances: distance from the original to the copy shifted by each of ``shifts``.
    others:    distances from the original to each of a set of images of other objects (1-D).
    """
    others = np.asarray(others)
    lo, mid, hi = np.percentile(others, [10, 50, 90])
    fig = figure(7.0, 3.4)
    ax = fig.add_axes((0.1, 0.16, 0.6, 0.76))
    ax.axhspan(lo, hi, color=PALETTE["frozen"], alpha=0.35, linewidth=0)
    ax.axhline(mid, color=PALETTE["edge"], linewidth=1.2, linestyle="--")
    ax.plot(shifts, distances, "o-", color=PALETTE["accent"], markersize=5)
    ax.set_xlabel("shift of the copy (pixels)")
    ax.set_ylabel("distance to the original")
    ax.set_ylim(0, max(hi, max(distances)) * 1.1)
    ax.spines[["top", "right"]].set_visible(False)
    ax.text(1.03, (lo + hi) / 2 / ax.get_ylim()[1], "other objects:\n10th to 90th\npercentile,\nmedian dashed",
            transform=ax.transAxes, ha="left", va="center", fontsize=10)
    ax.text(1.03, 0.12, "the shifted copy", transform=ax.transAxes, ha="left", va="center", fontsize=10,
            color=PALETTE["accent"])
    return fig


def plot_locality(distances, correlations, label="pixel pairs"):
    """How alike two pixels are as a function of how far apart they are (correlations computed by the caller).

    distances:    pixel distances, e.g. ``[1, 2, ..., 15]``.
    correlations: one correlation coefficient per distance (or a dict ``{curve label: correlations}``).
    """
    fig = figure(6.4, 3.2)
    ax = fig.add_axes((0.12, 0.17, 0.84, 0.72))
    curves = correlations if isinstance(correlations, dict) else {label: correlations}
    for (name, values), color in zip(curves.items(), [PALETTE["accent2"], PALETTE["accent"], PALETTE["accent3"]]):
        ax.plot(distances, values, "o-", color=color, label=name, markersize=4)
    ax.axhline(0, color="#999999", linewidth=0.8)
    ax.set_xlabel("distance between the two pixels (pixels)")
    ax.set_ylabel("correlation")
    ax.spines[["top", "right"]].set_visible(False)
    if len(curves) > 1:
        ax.legend(frameon=False)
    return fig
