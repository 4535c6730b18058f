"""The book's figures, drawn with matplotlib at build time (the kit ships no image files).

One function per figure. Each one only *draws*: every number it shows (an output size, a gradient, a pooled
value) is computed by the caller, usually with ``torch``, and passed in, so the chapter's code cell is the
calculation and this module is the picture. Every function returns a :class:`matplotlib.figure.Figure` that is
not registered with ``pyplot``: a notebook displays it once when it is the cell's last expression, and a script
can call ``fig.savefig(...)``.

Layout conventions: matrices are drawn with row 0 at the top; volumes are drawn in the notes' W x H x D
convention (width across, height up, depth receding), so a PyTorch tensor of shape ``(C, H, W)`` is the volume
``W x H x C``.
"""
import colorsys

import numpy as np
from matplotlib import colors as mcolors
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, Polygon, Rectangle

__all__ = [
    "PALETTE",
    "plot_param_growth",
    "plot_translation",
    "plot_shift_distance",
    "plot_locality",
    "draw_architecture",
    "draw_feature_pipeline",
    "draw_padding",
    "draw_stride",
    "draw_conv_volume",
    "draw_receptive_fields",
    "draw_pooling",
    "draw_batchnorm_axes",
    "plot_relu",
    "draw_conv_forward",
    "draw_conv_backward",
    "draw_filter_rotation",
    "draw_maxpool_backward",
    "draw_transfer_scenarios",
]

#: Colours used consistently across the book: what a colour means on one page it means on every page.
PALETTE = {
    "input": "#cfe2f3",     # input pixels / activations
    "pad": "#e6e6e6",       # zero padding
    "filter": "#f9cb9c",    # weights
    "output": "#d9ead3",    # outputs
    "grad": "#ead1dc",      # gradients
    "accent": "#cc4125",    # the thing to look at
    "accent2": "#3d85c6",
    "accent3": "#6aa84f",
    "edge": "#434343",
    "frozen": "#b7b7b7",
    "trained": "#f6b26b",
}
_WINDOW_COLORS = ["#cc4125", "#3d85c6", "#6aa84f", "#b45f06", "#674ea7", "#a61c00"]
_DPI = 140


# ----------------------------------------------------------------------------------------------- primitives
def _figure(width, height):
    return Figure(figsize=(width, height), dpi=_DPI)


def _canvas(fig, rect=(0, 0, 1, 1)):
    """An axes without ticks whose data units are drawing units (equal aspect)."""
    ax = fig.add_axes(rect)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def _shade(color, factor):
    """Lighten (factor > 1) or darken (factor < 1) a colour, keeping its hue."""
    r, g, b = mcolors.to_rgb(color)
    h, l, s = colorsys.rgb_to_hls(r, g, b)
    return colorsys.hls_to_rgb(h, min(1.0, max(0.0, l * factor)), s)


def _fmt(value):
    if isinstance(value, str):
        return value
    value = float(value)
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.2f}".rstrip("0")


def _grid(ax, values, x0, y0, cell=1.0, facecolor="white", labels=None, colors=None, fontsize=11,
          edgecolor=PALETTE["edge"], linewidth=1.0, show_values=True, hatch_mask=None):
    """Draw a matrix with its top-left corner at (x0, y0); row r spans y0 - (r+1)*cell .. y0 - r*cell.

    labels: optional matrix of strings drawn instead of (or above) the values.
    colors: optional matrix of face colours overriding ``facecolor``.
    """
    values = np.asarray(values)
    rows, cols = values.shape[:2]
    for r in range(rows):
        for c in range(cols):
            fc = colors[r][c] if colors is not None and colors[r][c] is not None else facecolor
            ax.add_patch(Rectangle((x0 + c * cell, y0 - (r + 1) * cell), cell, cell, facecolor=fc,
                                   edgecolor=edgecolor, linewidth=linewidth,
                                   hatch="//" if hatch_mask is not None and hatch_mask[r][c] else None))
            cx, cy = x0 + (c + 0.5) * cell, y0 - (r + 0.5) * cell
            text = []
            if labels is not None and labels[r][c]:
                text.append(labels[r][c])
            if show_values:
                text.append(_fmt(values[r, c]))
            if text:
                ax.text(cx, cy, "\n".join(text), ha="center", va="center", fontsize=fontsize,
                        linespacing=1.3)


def _outline(ax, x, y, width, height, color, linewidth=3.0, linestyle="-", pad=0.0):
    """A rectangle outline with top-left corner (x, y)."""
    ax.add_patch(Rectangle((x - pad, y - height - pad), width + 2 * pad, height + 2 * pad, fill=False,
                           edgecolor=color, linewidth=linewidth, linestyle=linestyle, zorder=5))


def _arrow(ax, start, end, text=None, color=PALETTE["edge"], fontsize=10, text_offset=0.25, rad=0.0):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=16, color=color, linewidth=1.5,
                                 connectionstyle=f"arc3,rad={rad}", zorder=6))
    if text:
        ax.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + text_offset, text, ha="center", va="bottom",
                fontsize=fontsize)


def _box(ax, x, y, width, height, depth, color, alpha=1.0, zorder=1, edgecolor=PALETTE["edge"]):
    """An oblique-projected cuboid: front face with bottom-left (x, y); depth recedes up and to the right."""
    dx, dy = depth * 0.6, depth * 0.45
    front = Rectangle((x, y), width, height, facecolor=color, edgecolor=edgecolor, alpha=alpha, zorder=zorder,
                      linewidth=1.0)
    top = Polygon([(x, y + height), (x + dx, y + height + dy), (x + width + dx, y + height + dy),
                   (x + width, y + height)], closed=True, facecolor=_shade(color, 1.08), edgecolor=edgecolor,
                  alpha=alpha, zorder=zorder, linewidth=1.0)
    side = Polygon([(x + width, y), (x + width + dx, y + dy), (x + width + dx, y + height + dy),
                    (x + width, y + height)], closed=True, facecolor=_shade(color, 0.85), edgecolor=edgecolor,
                   alpha=alpha, zorder=zorder, linewidth=1.0)
    for patch in (front, top, side):
        ax.add_patch(patch)
    return dx, dy


def _display_size(n, largest, low=0.35, high=3.0):
    """Map a size in pixels/channels to drawing units: square-root scaling keeps small layers visible."""
    if largest <= 0:
        return low
    return low + (high - low) * np.sqrt(n / largest)


def _symbol_labels(symbol, rows, cols):
    """Cell names indexed from 0, as in the assignments and in Python: X_00 is the top-left cell."""
    return [[f"${symbol}_{{{r}{c}}}$" for c in range(cols)] for r in range(rows)]


def _fit(ax, xmin, xmax, ymin, ymax, margin=0.3):
    ax.set_xlim(xmin - margin, xmax + margin)
    ax.set_ylim(ymin - margin, ymax + margin)


# --------------------------------------------------------------------------------------------- why CNNs
def plot_param_growth(sizes, mlp_weights, conv_weights, hidden_units=1000, conv_label="conv layer"):
    """Bar chart (log scale) of the first layer's weight count for square RGB images of each size.

    sizes:        image side lengths, e.g. ``[32, 64, 128, 256, 512, 1024]``.
    mlp_weights:  weights of a fully connected layer from the flattened image to ``hidden_units`` units.
    conv_weights: weights of the convolutional layer it is compared with (the same for every size).
    """
    fig = _figure(7.5, 3.6)
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
    fig = _figure(8.4, 3.0)
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
    fig = _figure(7.0, 3.4)
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


# ------------------------------------------------------------------------------------------ architecture
def _draw_volume_stage(ax, x, shape, largest_hw, largest_c, color, fontsize=10):
    """Draw one (C, H, W) volume or (n,) vector with its left edge at x, vertically centred on 0.

    Returns (right edge, top, bottom)."""
    if len(shape) == 3:
        c, h, w = shape
        width = _display_size(w, largest_hw, 0.45, 2.0)
        height = _display_size(h, largest_hw, 0.45, 2.0)
        depth = _display_size(c, largest_c, 0.1, 1.1)
        y = -height / 2
        dx, dy = _box(ax, x, y, width, height, depth, color)
        ax.text(x + (width + dx) / 2, -1.25, f"{w}×{h}×{c}", ha="center", va="top", fontsize=fontsize)
        return x + width + dx, y + height + dy, -1.7
    (n,) = shape
    height = 0.6 + 1.8 * min(1.0, np.log10(max(n, 1)) / 3.5)
    width = 0.2
    y = -height / 2
    ax.add_patch(Rectangle((x, y), width, height, facecolor=color, edgecolor=PALETTE["edge"]))
    for k in range(1, 6):
        ax.plot([x, x + width], [y + k * height / 6] * 2, color=PALETTE["edge"], linewidth=0.5)
    ax.text(x + width / 2, -1.25, f"{n}", ha="center", va="top", fontsize=fontsize)
    return x + width, y + height, -1.7


def draw_architecture(shapes, operations, names=None, groups=None, per_row=None, gap=0.9):
    """The layer-by-layer diagram of a CNN: one box per activation volume, one arrow per operation.

    shapes:     the activation shapes in order, each ``(C, H, W)`` for a volume or ``(n,)`` for a vector; the
                first is the input. Typically read off a real model with forward hooks.
    operations: ``len(shapes) - 1`` short labels for the arrows, e.g. ``"conv"``, ``"pool"``.
    names:      optional labels drawn above each volume.
    groups:     optional ``[(first, last, label), ...]`` brackets under ranges of stages (indices into shapes);
                a range that spans two rows gets a bracket on each.
    per_row:    stages per row (default: all on one row); a long network reads better on two rows.
    """
    if len(operations) != len(shapes) - 1:
        raise ValueError("operations must have one label fewer than shapes")
    names = names or [""] * len(shapes)
    per_row = per_row or len(shapes)
    largest_hw = max(max(s[1], s[2]) for s in shapes if len(s) == 3)
    largest_c = max(s[0] for s in shapes if len(s) == 3)
    # First pass on a throw-away axes: how wide is each stage? Then give every stage a slot wide enough for its
    # box and its labels, and every arrow room for its label. Text is sized in points and boxes in drawing units,
    # so the scale (inches per unit) sets how large the labels are compared with the boxes.
    probe = Figure().add_axes((0, 0, 1, 1))
    widths = [_draw_volume_stage(probe, 0.0, shape, largest_hw, largest_c, "white")[0] for shape in shapes]
    labels = [f"{s[2]}×{s[1]}×{s[0]}" if len(s) == 3 else str(s[0]) for s in shapes]
    rows = [list(range(i, min(i + per_row, len(shapes)))) for i in range(0, len(shapes), per_row)]

    def layout(scale):
        char = 0.085 / scale                     # drawing units per character at fontsize 10, roughly
        slots = [max(w, char * len(n), char * 0.9 * len(t)) + 0.2 for w, n, t in zip(widths, names, labels)]
        arrows = [max(gap, char * 0.9 * len(op) + 0.3) for op in operations]
        row_widths = [sum(slots[i] for i in row) + sum(arrows[i] for i in row[:-1]) for row in rows]
        return slots, arrows, max(row_widths) + (0.6 if len(rows) > 1 else 0.0)

    scale = 0.34
    slots, arrows, total = layout(scale)
    if total * scale > 10.5:                     # too wide for a page: shrink everything
        scale = scale * 10.5 / (total * scale)
        slots, arrows, total = layout(scale)
    row_height = 6.2 if groups else 5.0
    fig = _figure(total * scale + 0.3, row_height * len(rows) * scale + 0.3)
    ax = _canvas(fig)
    spans, ends = {}, {}
    for r, row in enumerate(rows):
        y0 = -r * row_height
        x = 0.6 if r else 0.0
        for i in row:
            color = PALETTE["input"] if i == 0 else (PALETTE["output"] if len(shapes[i]) == 3 else PALETTE["filter"])
            left = x + (slots[i] - widths[i]) / 2
            # _draw_volume_stage draws around y = 0: shift the row by drawing on a translated copy of the data.
            before = len(ax.patches), len(ax.texts), len(ax.lines)
            right, _, _ = _draw_volume_stage(ax, left, shapes[i], largest_hw, largest_c, color)
            for artist in ax.patches[before[0]:] + ax.texts[before[1]:] + ax.lines[before[2]:]:
                _shift_artist(artist, y0)
            ax.text(x + slots[i] / 2, y0 + 1.85, names[i], ha="center", va="bottom", fontsize=10,
                    fontweight="bold")
            spans[i], ends[i] = (left, right), x + slots[i]
            x += slots[i]
            if i < len(operations) and i != row[-1]:
                _arrow(ax, (right + 0.08, y0), (x + arrows[i] - 0.08 + (slots[i + 1] - widths[i + 1]) / 2, y0),
                       operations[i], fontsize=9, text_offset=0.1)
                x += arrows[i]
        if r + 1 < len(rows):                    # bend the arrow from this row's end to the next row's start
            i, j = row[-1], rows[r + 1][0]
            ymid = y0 - row_height + 2.65
            xs = [spans[i][1] + 0.08, ends[i] + 0.3, ends[i] + 0.3, 0.25, 0.25]
            ys = [y0, y0, ymid, ymid, y0 - row_height]
            ax.plot(xs, ys, color=PALETTE["edge"], linewidth=1.5)
            _arrow(ax, (0.25, y0 - row_height), (0.6 + (slots[j] - widths[j]) / 2 - 0.08, y0 - row_height))
            ax.text((ends[i] + 0.55) / 2, ymid + 0.1, operations[i], ha="center", va="bottom", fontsize=9)
    if groups:
        for first, last, label in groups:
            for r, row in enumerate(rows):
                members = [i for i in row if first <= i <= last]
                if not members:
                    continue
                x0, x1 = spans[members[0]][0], spans[members[-1]][1]
                yb = -r * row_height - 2.0
                ax.plot([x0, x0, x1, x1], [yb + 0.15, yb, yb, yb + 0.15], color=PALETTE["edge"], linewidth=1.2)
                ax.text((x0 + x1) / 2, yb - 0.12, label, ha="center", va="top", fontsize=10, style="italic")
    low = -(len(rows) - 1) * row_height - (2.7 if groups else 1.9)
    _fit(ax, 0, total, low, 2.4, margin=0.15)
    return fig


def _shift_artist(artist, dy):
    """Move a patch, text or line drawn by a helper up or down by ``dy`` drawing units."""
    if dy == 0:
        return
    if isinstance(artist, Rectangle):
        artist.set_y(artist.get_y() + dy)
    elif isinstance(artist, Polygon):
        xy = artist.get_xy()
        xy[:, 1] += dy
        artist.set_xy(xy)
    elif hasattr(artist, "get_position") and hasattr(artist, "set_position"):
        x, y = artist.get_position()
        artist.set_position((x, y + dy))
    elif hasattr(artist, "get_ydata"):
        artist.set_ydata(np.asarray(artist.get_ydata()) + dy)


def draw_feature_pipeline(stages, operations, groups=None, cmap="viridis", max_maps=4, class_names=None):
    """What flows through a CNN for one image: the input, a few feature maps per layer, the class scores.

    stages:     list of ``(label, array)``; a 2-D array is drawn as an image, a 3-D ``(C, H, W)`` array as a
                stack of its first ``max_maps`` channels, a 1-D array as a column of cells coloured by value
                (class scores: the largest is outlined).
    operations: ``len(stages) - 1`` short arrow labels (``"\\n"`` splits a label over two lines).
    groups:     optional ``[(first, last, label), ...]`` brackets under ranges of stages.
    class_names: optional names written beside the cells of a 1-D stage (one per score).
    """
    scale = 0.6                                  # inches per drawing unit
    char = 0.085 / scale                         # drawing units per character at fontsize 10, roughly
    size, offset = 1.3, 0.18
    arrows = [max(0.9, char * max(len(line) for line in op.split("\n")) + 0.3) for op in operations]
    widths = []
    for _, array in stages:
        array = np.asarray(array)
        column = 0.26 + char * 0.95 * max(map(len, class_names)) if class_names else min(0.3, 1.7 / len(array))
        widths.append(column if array.ndim == 1 else
                      size + (min(len(array), max_maps) - 1) * offset if array.ndim == 3 else size)
    total = sum(widths) + sum(arrows) + 0.2
    fig = _figure(total * scale, 3.4 * scale * 1.35)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.axis("off")
    ax.set_aspect("equal")
    x, spans, column_top = 0.1, [], 0.0
    for i, (label, array) in enumerate(stages):
        array = np.asarray(array, dtype=float)
        if array.ndim == 1:
            n = len(array)
            cell = 0.26 if class_names else widths[i]
            y_top = n * cell / 2
            lo, hi = float(array.min()), float(array.max())
            norm = mcolors.Normalize(lo, hi if hi > lo else lo + 1)
            for k, v in enumerate(array):
                ax.add_patch(Rectangle((x, y_top - (k + 1) * cell), cell, cell,
                                       facecolor=_colormap(cmap)(norm(v)), edgecolor=PALETTE["edge"],
                                       linewidth=0.6))
            best = int(np.argmax(array))
            ax.add_patch(Rectangle((x, y_top - (best + 1) * cell), cell, cell, fill=False,
                                   edgecolor=PALETTE["accent"], linewidth=2.2, zorder=5))
            ax.text(x + cell / 2, y_top + 0.12, label, ha="center", va="bottom", fontsize=10)
            for k, name in enumerate(class_names or []):
                ax.text(x + cell + 0.06, y_top - (k + 0.5) * cell, name, ha="left", va="center", fontsize=9.5,
                        fontweight="bold" if k == best else "normal")
            column_top = y_top + 0.45
        else:
            maps = array[None] if array.ndim == 2 else array[:max_maps]
            for k in range(len(maps) - 1, -1, -1):
                x0, y0 = x + k * offset, -size / 2 + k * offset
                ax.imshow(maps[k], cmap="gray" if i == 0 else cmap, extent=(x0, x0 + size, y0, y0 + size),
                          interpolation="nearest", zorder=10 - k)
                ax.add_patch(Rectangle((x0, y0), size, size, fill=False, edgecolor=PALETTE["edge"],
                                       linewidth=0.8, zorder=10 - k))
            top = size / 2 + (len(maps) - 1) * offset
            ax.text(x + widths[i] / 2, top + 0.1, label, ha="center", va="bottom", fontsize=10)
        right = x + widths[i]
        spans.append((x, right))
        if i < len(operations):
            _arrow(ax, (right + 0.08, 0), (right + arrows[i] - 0.08, 0), operations[i], fontsize=10,
                   text_offset=0.08)
        x = right + (arrows[i] if i < len(operations) else 0)
    bottom = min(-size / 2, -column_top + 0.45) - 0.25
    if groups:
        for first, last, label in groups:
            x0, x1 = spans[first][0], spans[last][1]
            ax.plot([x0, x0, x1, x1], [bottom + 0.12, bottom, bottom, bottom + 0.12], color=PALETTE["edge"],
                    linewidth=1.2)
            ax.text((x0 + x1) / 2, bottom - 0.08, label, ha="center", va="top", fontsize=10, style="italic")
        bottom -= 0.45
    top = max(size / 2 + (max_maps - 1) * offset + 0.45, column_top)
    _fit(ax, 0, x + 0.1, bottom, top, margin=0.05)
    fig.set_size_inches(total * scale, (top - bottom + 0.1) * scale)   # the drawing's own aspect: no blank bands
    return fig


def _colormap(name):
    from matplotlib import colormaps
    return colormaps[name]


# ------------------------------------------------------------------------------------ convolutional layer
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
    fig = _figure(8.0, 3.9)
    ax = _canvas(fig)
    _grid(ax, padded, 0, 0, colors=colors, fontsize=10)
    _outline(ax, 0, 0, k, k, PALETTE["accent"])
    ax.text((w + 2 * p) / 2, 0.35, f"input {h}×{w}, padded with {p} ring{'s' if p > 1 else ''} of zeros",
            ha="center", va="bottom", fontsize=10)
    ox = w + 2 * p + 2.5
    oy = -((h + 2 * p) - out.shape[0]) / 2
    _arrow(ax, (w + 2 * p + 0.3, -(h + 2 * p) / 2), (ox - 0.3, -(h + 2 * p) / 2), f"{k}×{k} filter\nstride 1",
           fontsize=9, text_offset=0.2)
    out_colors = [[PALETTE["output"]] * out.shape[1] for _ in range(out.shape[0])]
    _grid(ax, out, ox, oy, colors=out_colors, fontsize=10)
    _outline(ax, ox, oy, 1, 1, PALETTE["accent"])
    ax.text(ox + out.shape[1] / 2, oy + 0.35, f"output {out.shape[0]}×{out.shape[1]}", ha="center",
            va="bottom", fontsize=10)
    _fit(ax, 0, ox + out.shape[1], -(h + 2 * p), 1.0)
    return fig


def draw_stride(n, kernel_size, strides=(1, 2)):
    """A ``kernel_size`` filter sliding along the first row of an ``n``×``n`` input, one panel per stride.

    Above the input, one bar per position the filter takes along the row shows the columns it covers; the first
    window is outlined on the input, and the output cells get the colours of the bars that produce them.
    """
    k = kernel_size
    fig = _figure(3.6 * len(strides) + 0.4, 4.4)
    most = len(range(0, n - k + 1, min(strides)))
    for j, s in enumerate(strides):
        ax = _canvas(fig, (j / len(strides), 0, 1 / len(strides), 1))
        starts = list(range(0, n - k + 1, s))
        m = len(starts)
        colors = [[PALETTE["input"]] * n for _ in range(n)]
        _grid(ax, np.zeros((n, n)), 0, 0, colors=colors, show_values=False)
        _outline(ax, starts[0], 0, k, k, _WINDOW_COLORS[0], linewidth=2.6)
        for t, c0 in enumerate(starts):
            color = _WINDOW_COLORS[t % len(_WINDOW_COLORS)]
            y = 0.35 + 0.4 * (len(starts) - 1 - t)
            ax.add_patch(Rectangle((c0 + 0.08, y), k - 0.16, 0.26, facecolor=color, edgecolor="none"))
        top = 0.35 + 0.4 * most
        ax.text(n / 2, top + 0.1, f"stride {s}", ha="center", va="bottom", fontsize=12, fontweight="bold")
        ox, oy = n + 1.3, -(n - m) / 2
        out_colors = [[PALETTE["output"]] * m for _ in range(m)]
        for t in range(m):
            out_colors[0][t] = mcolors.to_rgba(_WINDOW_COLORS[t % len(_WINDOW_COLORS)], 0.6)
        _grid(ax, np.zeros((m, m)), ox, oy, colors=out_colors, show_values=False)
        ax.text(n / 2, -n - 0.2, f"input {n}×{n}, filter {k}×{k}", ha="center", va="top", fontsize=11)
        ax.text(ox + m / 2, oy - m - 0.2, f"output {m}×{m}", ha="center", va="top", fontsize=11)
        _arrow(ax, (n + 0.15, -n / 2), (ox - 0.15, -n / 2))
        _fit(ax, 0, n + 1.3 + n - k + 1, -n - 0.9, top + 0.8, margin=0.15)
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
    fig = _figure(9.0, 4.4)
    ax = _canvas(fig)
    # The input volume.
    W1, H1 = _display_size(w1, largest, 1, 3.4), _display_size(h1, largest, 1, 3.4)
    D1 = _display_size(d1, max(d1, d2), 0.3, 1.4)
    _box(ax, 0, 0, W1, H1, D1, PALETTE["input"], alpha=0.9)
    # The receptive field: kernel_size x kernel_size on the face, spanning the full depth.
    fw, fh = W1 * kernel_size / w1, H1 * kernel_size / h1
    fx, fy = position[0] * (W1 - fw), position[1] * (H1 - fh)
    _box(ax, fx, fy, fw, fh, D1, PALETTE["filter"], zorder=3)
    ax.text(W1 / 2, -0.3, f"input {w1}×{h1}×{d1}", ha="center", va="top", fontsize=11)
    ax.annotate(f"receptive field\n{kernel_size}×{kernel_size}×{d1}", xy=(fx + fw / 2, fy + fh + D1 * 0.3),
                xytext=(W1 * 0.35, H1 + D1 * 0.45 + 0.9), ha="center", fontsize=10,
                arrowprops=dict(arrowstyle="-", color=PALETTE["edge"]))
    # The output volume and its column of d2 neurons.
    ox = W1 + D1 * 0.6 + 2.4
    W2, H2 = _display_size(w2, largest, 1, 3.4), _display_size(h2, largest, 1, 3.4)
    D2 = _display_size(d2, max(d1, d2), 0.3, 1.4)
    oy = (H1 - H2) / 2
    _box(ax, ox, oy, W2, H2, D2, PALETTE["output"], alpha=0.55)
    nx, ny = ox + position[0] * (W2 - 0.1) + 0.05, oy + position[1] * (H2 - 0.1) + 0.05
    for k in range(d2):
        t = k / max(d2 - 1, 1)
        cx, cy = nx + t * D2 * 0.6, ny + t * D2 * 0.45
        ax.add_patch(Circle((cx, cy), 0.09, facecolor=_WINDOW_COLORS[k % len(_WINDOW_COLORS)],
                            edgecolor=PALETTE["edge"], zorder=8))
        ax.plot([fx + fw + D1 * 0.6, cx], [fy + fh / 2 + D1 * 0.45, cy], color=_WINDOW_COLORS[k % 6],
                linewidth=0.8, alpha=0.8, zorder=7)
    ax.text(ox + W2 / 2, oy - 0.3, f"output {w2}×{h2}×{d2}", ha="center", va="top", fontsize=11)
    ax.text(ox + W2 / 2 + D2 * 0.3, oy + H2 + D2 * 0.45 + 0.25,
            f"{d2} neurons on one column:\nsame receptive field, {d2} different filters", ha="center",
            va="bottom", fontsize=10)
    _fit(ax, 0, ox + W2 + D2 * 0.6, -0.9, H1 + D1 * 0.45 + 1.6)
    return fig


def draw_receptive_fields(maps, titles, annotate=True, cmap="Oranges"):
    """Which input pixels one output unit depends on, for several layer stacks side by side.

    maps:   2-D arrays over the input, non-zero where the centre output unit depends on the pixel; the value is
            how many paths lead there (e.g. the gradient of that unit when all weights are 1).
    titles: one title per map.
    annotate: write the path counts in the cells (best for small grids).
    """
    fig = _figure(3.3 * len(maps), 3.9)
    for i, (m, title) in enumerate(zip(maps, titles)):
        m = np.asarray(m)
        ax = _canvas(fig, (i / len(maps) + 0.01, 0.0, 1 / len(maps) - 0.02, 0.82))
        n_r, n_c = m.shape
        norm = mcolors.Normalize(0, float(m.max()) or 1.0)
        # Light end of the colour map only: the path counts are printed in black on these cells.
        colors = [[_colormap(cmap)(0.12 + 0.43 * norm(v)) if v else "white" for v in row] for row in m]
        labels = [[_fmt(v) if v and annotate else "" for v in row] for row in m]
        _grid(ax, m, 0, 0, colors=colors, labels=labels, show_values=False, fontsize=12, linewidth=0.6)
        rows, cols = np.nonzero(m)
        _outline(ax, cols.min(), -rows.min(), cols.max() - cols.min() + 1, rows.max() - rows.min() + 1,
                 PALETTE["accent"], linewidth=2.2)
        fig.text((i + 0.5) / len(maps), 0.97, title, ha="center", va="top", fontsize=13)
        _fit(ax, 0, n_c, -n_r, 0, margin=0.2)
    return fig


# -------------------------------------------------------------------------------- pooling, BN, ReLU
def draw_pooling(x, out, is_max, kernel_size, stride, in_volume=None, out_volume=None):
    """Max pooling on one depth slice (windows coloured, each maximum circled) and, optionally, on a volume.

    x, out:                 the input slice and the pooled output (computed by the caller), 2-D arrays.
    is_max:                 boolean array shaped like x, True where a window's maximum sits (from the caller,
                            e.g. the indices returned by ``torch.nn.functional.max_pool2d``).
    in_volume, out_volume:  optional ``(W, H, D)`` shapes drawn as boxes on the right, e.g. (256, 256, 64).
    """
    x, out = np.asarray(x), np.asarray(out)
    k, s = kernel_size, stride
    fig = _figure(9.6 if in_volume else 6.0, 3.4)
    ax = _canvas(fig, (0, 0, 0.6 if in_volume else 1, 1))
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
    _grid(ax, x, 0, 0, colors=colors, fontsize=14)
    ox, oy = x.shape[1] + 2.2, -(x.shape[0] - out.shape[0]) / 2
    _grid(ax, out, ox, oy, colors=out_colors, fontsize=14)
    _arrow(ax, (x.shape[1] + 0.2, -x.shape[0] / 2), (ox - 0.2, -x.shape[0] / 2), f"max pool\n{k}×{k}, stride {s}",
           fontsize=12)
    ax.text(x.shape[1] / 2, 0.3, f"one depth slice, {x.shape[0]}×{x.shape[1]}", ha="center", va="bottom",
            fontsize=12)
    ax.text(ox + out.shape[1] / 2, oy + 0.3, f"{out.shape[0]}×{out.shape[1]}", ha="center", va="bottom",
            fontsize=12)
    _fit(ax, 0, ox + out.shape[1], -x.shape[0], 0.9)
    if in_volume:
        ax2 = _canvas(fig, (0.62, 0.05, 0.37, 0.9))
        (w1, h1, d1), (w2, h2, d2) = in_volume, out_volume
        W1, W2 = 2.6, 2.6 * w2 / w1
        H1, H2 = 2.6, 2.6 * h2 / h1
        D = 1.2
        _box(ax2, 0, 0, W1, H1, D, PALETTE["input"])
        ax2.text(W1 / 2 + 0.3, -0.25, f"{w1}×{h1}×{d1}", ha="center", va="top", fontsize=12)
        ox2 = W1 + D * 0.6 + 1.4
        _box(ax2, ox2, (H1 - H2) / 2, W2, H2, D * d2 / d1, PALETTE["output"])
        ax2.text(ox2 + W2 / 2 + 0.3, (H1 - H2) / 2 - 0.25, f"{w2}×{h2}×{d2}", ha="center", va="top", fontsize=12)
        _arrow(ax2, (W1 + D * 0.6 + 0.15, H1 / 2), (ox2 - 0.15, H1 / 2), "pool", fontsize=12)
        ax2.text((ox2 + W2) / 2 + 0.3, H1 + D * 0.45 + 0.35, "width and height halve,\ndepth unchanged",
                 ha="center", va="bottom", fontsize=12)
        _fit(ax2, 0, ox2 + W2 + D * 0.6, -0.8, H1 + D * 0.45 + 1.3)
    return fig


def draw_batchnorm_axes(batch_size=4, channels=3, channel=1):
    """A mini-batch of (C, H, W) volumes with one channel highlighted in every sample: BatchNorm2d computes one
    mean and one variance per channel, over the batch and both spatial axes."""
    fig = _figure(8.6, 3.2)
    ax = _canvas(fig)
    side, step = 1.6, 2.6
    for n in range(batch_size):
        x0 = n * step
        for c in range(channels - 1, -1, -1):
            color = PALETTE["accent"] if c == channel else PALETTE["input"]
            dx, dy = 0.28 * c, 0.21 * c
            ax.add_patch(Rectangle((x0 + dx, dy), side, side, facecolor=color, edgecolor=PALETTE["edge"], zorder=10 - c))
        ax.text(x0 + side / 2 + 0.3, -0.2, f"sample {n + 1}", ha="center", va="top", fontsize=12)
    ax.text(batch_size * step / 2, side + 0.28 * channels + 0.3,
            f"channel {channel + 1}: one mean and one variance from all {batch_size} samples × H × W values",
            ha="center", va="bottom", fontsize=12, color=PALETTE["accent"])
    _fit(ax, 0, (batch_size - 1) * step + side + 0.28 * channels, -0.7, side + 0.28 * channels + 0.8)
    return fig


def plot_relu(x, y, dydx):
    """ReLU and its derivative side by side (the derivative as computed by autograd, passed in)."""
    x, y, dydx = (np.asarray(a, dtype=float) for a in (x, y, dydx))
    fig = _figure(8.0, 3.0)
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


# --------------------------------------------------------------------------------------- backpropagation
def draw_conv_forward(x, w, out):
    """The worked example's forward pass: X (3×3) ⋆ w (2×2) = O (2×2), with symbols and values, and below them
    the sum behind each output (indices from 0)."""
    x, w, out = np.asarray(x), np.asarray(w), np.asarray(out)
    n, k, m = x.shape[0], w.shape[0], out.shape[0]
    fig = _figure(8.0, 3.2 + 0.5 * m * m)
    ax = _canvas(fig)
    _grid(ax, x, 0, 0, facecolor=PALETTE["input"], labels=_symbol_labels("X", n, n), fontsize=12)
    _outline(ax, 0, 0, k, k, PALETTE["accent"])
    ax.text(n + 0.5, -n / 2, "⋆", fontsize=24, ha="center", va="center")
    fx = n + 1.0
    fy = -(n - k) / 2
    _grid(ax, w, fx, fy, facecolor=PALETTE["filter"], labels=_symbol_labels("w", k, k), fontsize=12)
    ax.text(fx + k + 0.5, -n / 2, "=", fontsize=22, ha="center", va="center")
    ox = fx + k + 1.0
    oy = -(n - m) / 2
    _grid(ax, out, ox, oy, facecolor=PALETTE["output"], labels=_symbol_labels("O", m, m), fontsize=12)
    _outline(ax, ox, oy, 1, 1, PALETTE["accent"])
    for label, gx, width in (("input X", 0, n), ("filter w", fx, k), ("output O", ox, m)):
        ax.text(gx + width / 2, 0.25, label, ha="center", va="bottom", fontsize=12)
    # One sum per line under the grids, as large as the grids' labels.
    for t, (i, j) in enumerate((i, j) for i in range(m) for j in range(m)):
        terms = " + ".join(f"$w_{{{a}{b}}}X_{{{i + a}{j + b}}}$" for a in range(k) for b in range(k))
        ax.text(0, -n - 0.8 - 0.75 * t, f"$O_{{{i}{j}}}$ = {terms} = {_fmt(out[i, j])}", ha="left", va="center",
                fontsize=13, color=PALETTE["accent"] if t == 0 else "black")
    _fit(ax, 0, max(ox + m, 8.6), -n - 0.8 - 0.75 * (m * m - 1) - 0.4, 0.8)
    return fig


def draw_conv_backward(dout, dw, dx):
    """The worked example's backward pass: given dL/dO (2×2), the gradients dL/dw (2×2) and dL/dX (3×3)."""
    dout, dw, dx = np.asarray(dout), np.asarray(dw), np.asarray(dx)
    fig = _figure(9.0, 3.8)
    ax = _canvas(fig)
    m, k, n = dout.shape[0], dw.shape[0], dx.shape[0]
    oy = -(n - m) / 2
    _grid(ax, dout, 0, oy, facecolor=PALETTE["grad"], labels=_symbol_labels(r"\delta", m, m))
    ax.text(m / 2, oy + 0.3, r"given $\partial L/\partial O$", ha="center", va="bottom", fontsize=11)
    fx = m + 3.2
    _grid(ax, dw, fx, 0.6, facecolor=PALETTE["filter"],
          labels=[[f"$\\partial w_{{{r}{c}}}$" for c in range(k)] for r in range(k)])
    ax.text(fx + k + 0.3, 0.6 - k / 2, r"$\partial L/\partial w$: slide $\delta$ over $X$", ha="left",
            va="center", fontsize=11)
    xx, xy = fx, -k - 0.4
    _grid(ax, dx, xx, xy, facecolor=PALETTE["input"],
          labels=[[f"$\\partial X_{{{r}{c}}}$" for c in range(n)] for r in range(n)])
    ax.text(xx + n + 0.3, xy - n / 2, r"$\partial L/\partial X$: scatter $\delta$ back through $w$",
            ha="left", va="center", fontsize=11)
    _arrow(ax, (m + 0.2, oy - m / 2 + 0.3), (fx - 0.2, 0.6 - k / 2), rad=-0.15)
    _arrow(ax, (m + 0.2, oy - m / 2 - 0.3), (xx - 0.2, xy - n / 2), rad=0.15)
    _fit(ax, 0, xx + n + 6.6, xy - n, 1.3)
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
    fig = _figure(10.5, 3.9)
    ax = _canvas(fig)
    labels = _symbol_labels("w", k, k)
    _grid(ax, w, 0, -(p - k) / 2, facecolor=PALETTE["filter"], labels=labels, fontsize=14)
    ax.text(k / 2, -(p - k) / 2 + 0.3, "w", ha="center", va="bottom", fontsize=14)
    rx = k + 2.0
    _arrow(ax, (k + 0.2, -p / 2), (rx - 0.2, -p / 2), "rotate 180°", fontsize=14)
    rot_labels = [row[::-1] for row in labels[::-1]]
    _grid(ax, np.rot90(w, 2), rx, -(p - k) / 2, facecolor=PALETTE["filter"], labels=rot_labels, fontsize=14)
    ax.text(rx + k / 2, -(p - k) / 2 + 0.3, "rotated w", ha="center", va="bottom", fontsize=14)
    px = rx + k + 1.6
    inner = (p - (p - 2 * (k - 1))) // 2
    colors = [[PALETTE["grad"] if inner <= r < p - inner and inner <= c < p - inner else PALETTE["pad"]
               for c in range(p)] for r in range(p)]
    _grid(ax, dpad, px, 0, colors=colors, fontsize=14)
    _outline(ax, px, 0, k, k, PALETTE["accent"])
    ax.text(px + p / 2, 0.3, rf"$\partial L/\partial O$ padded with {k - 1}", ha="center", va="bottom", fontsize=14)
    ax.text(px + p + 1.4, -p / 2 + 0.55, "⋆", fontsize=26, ha="center", va="center")
    ax.text(px + p + 1.4, -p / 2, "rotated w", fontsize=14, ha="center", va="center")
    ax.text(px + p + 1.4, -p / 2 - 0.6, "=", fontsize=22, ha="center", va="center")
    dxx = px + p + 2.8
    _grid(ax, dx, dxx, -(p - n) / 2, facecolor=PALETTE["input"], fontsize=14)
    _outline(ax, dxx, -(p - n) / 2, 1, 1, PALETTE["accent"])
    ax.text(dxx + n / 2, -(p - n) / 2 + 0.3, r"$\partial L/\partial X$", ha="center", va="bottom", fontsize=14)
    _fit(ax, 0, dxx + n, -p, 0.9)
    return fig


def draw_maxpool_backward(x, dout, dx, is_max, kernel_size, stride):
    """Max-pool backprop: each upstream gradient goes to the position that held its window's maximum.

    x, dout, dx: the forward input, the upstream gradient and the result (computed by the caller), 2-D.
    is_max:      boolean array shaped like x, True where a window's maximum sits.
    """
    x, dout, dx = np.asarray(x), np.asarray(dout), np.asarray(dx)
    winner = np.asarray(is_max, dtype=bool)
    k, s = kernel_size, stride
    fig = _figure(8.6, 3.3)
    ax = _canvas(fig)
    n, m = x.shape[0], dout.shape[0]
    colors = [[PALETTE["output"] if winner[r, c] else PALETTE["input"] for c in range(n)] for r in range(n)]
    _grid(ax, x, 0, 0, colors=colors)
    for i in range(0, n, s):
        for j in range(0, n, s):
            _outline(ax, j, -i, k, k, PALETTE["edge"], linewidth=2.0)
    ax.text(n / 2, 0.3, "forward input X (maxima shaded)", ha="center", va="bottom", fontsize=12)
    gx, gy = n + 1.5, -(n - m) / 2
    _grid(ax, dout, gx, gy, facecolor=PALETTE["grad"])
    ax.text(gx + m / 2, gy + 0.3, r"upstream $\partial L/\partial O$", ha="center", va="bottom", fontsize=12)
    dxx = gx + m + 2.0
    _arrow(ax, (gx + m + 0.2, -n / 2), (dxx - 0.2, -n / 2), "route", fontsize=12)
    dcolors = [[PALETTE["grad"] if winner[r, c] else "white" for c in range(n)] for r in range(n)]
    _grid(ax, dx, dxx, 0, colors=dcolors)
    for i in range(0, n, s):
        for j in range(0, n, s):
            _outline(ax, dxx + j, -i, k, k, PALETTE["edge"], linewidth=2.0)
    ax.text(dxx + n / 2, 0.3, r"$\partial L/\partial X$", ha="center", va="bottom", fontsize=12)
    _fit(ax, 0, dxx + n, -n, 0.9)
    return fig


# ------------------------------------------------------------------------------------- transfer learning
def draw_transfer_scenarios(layer_names, scenarios):
    """The transfer-learning scenarios as rows of layer blocks: grey = frozen, orange = trained.

    layer_names: the network's blocks from input to output, e.g. ``["conv1", "conv2", "fc (new)"]``.
    scenarios:   ``[(title, trained_flags), ...]`` with one bool per block.
    """
    fig = _figure(8.5, 0.9 * len(scenarios) + 0.8)
    ax = _canvas(fig)
    bw, bh, gap = 1.5, 0.75, 0.35
    for row, (title, flags) in enumerate(scenarios):
        y = -row * 0.95
        ax.text(-0.2, y + bh / 2, title, ha="right", va="center", fontsize=11)
        for i, (name, trained) in enumerate(zip(layer_names, flags)):
            x = i * (bw + gap)
            ax.add_patch(Rectangle((x, y), bw, bh, facecolor=PALETTE["trained"] if trained else PALETTE["frozen"],
                                   edgecolor=PALETTE["edge"]))
            ax.text(x + bw / 2, y + bh / 2, name + ("" if trained else "\n(frozen)"), ha="center", va="center",
                    fontsize=10)
            if i:
                ax.plot([x - gap, x], [y + bh / 2] * 2, color=PALETTE["edge"], linewidth=1)
    ax.set_xlim(-4.3, len(layer_names) * (bw + gap))
    ax.set_ylim(-(len(scenarios) - 1) * 0.95 - 0.2, bh + 0.2)
    return fig


def plot_locality(distances, correlations, label="pixel pairs"):
    """How alike two pixels are as a function of how far apart they are (correlations computed by the caller).

    distances:    pixel distances, e.g. ``[1, 2, ..., 15]``.
    correlations: one correlation coefficient per distance (or a dict ``{curve label: correlations}``).
    """
    fig = _figure(6.4, 3.2)
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
