"""The figures of *Architecture overview* (book/architecture.md): layer diagrams and what flows through them."""
import numpy as np
from matplotlib import colors as mcolors
from matplotlib.figure import Figure
from matplotlib.patches import Polygon, Rectangle

from .primitives import PALETTE, arrow, box, canvas, colormap, display_size, figure, fit


def _draw_volume_stage(ax, x, shape, largest_hw, largest_c, color, fontsize=10):
    """Draw one (C, H, W) volume or (n,) vector with its left edge at x, vertically centred on 0.

    Returns (right edge, top, bottom)."""
    if len(shape) == 3:
        c, h, w = shape
        width = display_size(w, largest_hw, 0.45, 2.0)
        height = display_size(h, largest_hw, 0.45, 2.0)
        depth = display_size(c, largest_c, 0.1, 1.1)
        y = -height / 2
        dx, dy = box(ax, x, y, width, height, depth, color)
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
    fig = figure(total * scale + 0.3, row_height * len(rows) * scale + 0.3)
    ax = canvas(fig)
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
                arrow(ax, (right + 0.08, y0), (x + arrows[i] - 0.08 + (slots[i + 1] - widths[i + 1]) / 2, y0),
                       operations[i], fontsize=9, text_offset=0.1)
                x += arrows[i]
        if r + 1 < len(rows):                    # bend the arrow from this row's end to the next row's start
            i, j = row[-1], rows[r + 1][0]
            ymid = y0 - row_height + 2.65
            xs = [spans[i][1] + 0.08, ends[i] + 0.3, ends[i] + 0.3, 0.25, 0.25]
            ys = [y0, y0, ymid, ymid, y0 - row_height]
            ax.plot(xs, ys, color=PALETTE["edge"], linewidth=1.5)
            arrow(ax, (0.25, y0 - row_height), (0.6 + (slots[j] - widths[j]) / 2 - 0.08, y0 - row_height))
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
    fit(ax, 0, total, low, 2.4, margin=0.15)
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
    fig = figure(total * scale, 3.4 * scale * 1.35)
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
                                       facecolor=colormap(cmap)(norm(v)), edgecolor=PALETTE["edge"],
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
            arrow(ax, (right + 0.08, 0), (right + arrows[i] - 0.08, 0), operations[i], fontsize=10,
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
    fit(ax, 0, x + 0.1, bottom, top, margin=0.05)
    fig.set_size_inches(total * scale, (top - bottom + 0.1) * scale)   # the drawing's own aspect: no blank bands
    return fig
