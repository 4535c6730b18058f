"""What every figure is made of: the colours, a figure and its drawing axes, cells, outlines, arrows and boxes.

Drawing units are data units on an equal-aspect axes without ticks; ``grid`` puts row 0 at the top.
"""
import colorsys

import numpy as np
from matplotlib import colors as mcolors
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Polygon, Rectangle

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
WINDOW_COLORS = ["#cc4125", "#3d85c6", "#6aa84f", "#b45f06", "#674ea7", "#a61c00"]
DPI = 140



def figure(width, height):
    return Figure(figsize=(width, height), dpi=DPI)


def canvas(fig, rect=(0, 0, 1, 1)):
    """An axes without ticks whose data units are drawing units (equal aspect)."""
    ax = fig.add_axes(rect)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def shade(color, factor):
    """Lighten (factor > 1) or darken (factor < 1) a colour, keeping its hue."""
    r, g, b = mcolors.to_rgb(color)
    h, l, s = colorsys.rgb_to_hls(r, g, b)
    return colorsys.hls_to_rgb(h, min(1.0, max(0.0, l * factor)), s)


def fmt(value):
    if isinstance(value, str):
        return value
    value = float(value)
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.2f}".rstrip("0")


def grid(ax, values, x0, y0, cell=1.0, facecolor="white", labels=None, colors=None, fontsize=11,
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
                text.append(fmt(values[r, c]))
            if text:
                ax.text(cx, cy, "\n".join(text), ha="center", va="center", fontsize=fontsize,
                        linespacing=1.3)


def outline(ax, x, y, width, height, color, linewidth=3.0, linestyle="-", pad=0.0):
    """A rectangle outline with top-left corner (x, y)."""
    ax.add_patch(Rectangle((x - pad, y - height - pad), width + 2 * pad, height + 2 * pad, fill=False,
                           edgecolor=color, linewidth=linewidth, linestyle=linestyle, zorder=5))


def arrow(ax, start, end, text=None, color=PALETTE["edge"], fontsize=10, text_offset=0.25, rad=0.0):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=16, color=color, linewidth=1.5,
                                 connectionstyle=f"arc3,rad={rad}", zorder=6))
    if text:
        ax.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + text_offset, text, ha="center", va="bottom",
                fontsize=fontsize)


def box(ax, x, y, width, height, depth, color, alpha=1.0, zorder=1, edgecolor=PALETTE["edge"]):
    """An oblique-projected cuboid: front face with bottom-left (x, y); depth recedes up and to the right."""
    dx, dy = depth * 0.6, depth * 0.45
    front = Rectangle((x, y), width, height, facecolor=color, edgecolor=edgecolor, alpha=alpha, zorder=zorder,
                      linewidth=1.0)
    top = Polygon([(x, y + height), (x + dx, y + height + dy), (x + width + dx, y + height + dy),
                   (x + width, y + height)], closed=True, facecolor=shade(color, 1.08), edgecolor=edgecolor,
                  alpha=alpha, zorder=zorder, linewidth=1.0)
    side = Polygon([(x + width, y), (x + width + dx, y + dy), (x + width + dx, y + height + dy),
                    (x + width, y + height)], closed=True, facecolor=shade(color, 0.85), edgecolor=edgecolor,
                   alpha=alpha, zorder=zorder, linewidth=1.0)
    for patch in (front, top, side):
        ax.add_patch(patch)
    return dx, dy


def display_size(n, largest, low=0.35, high=3.0):
    """Map a size in pixels/channels to drawing units: square-root scaling keeps small layers visible."""
    if largest <= 0:
        return low
    return low + (high - low) * np.sqrt(n / largest)


def symbol_labels(symbol, rows, cols):
    """Cell names indexed from 0, as in the assignments and in Python: X_00 is the top-left cell."""
    return [[f"${symbol}_{{{r}{c}}}$" for c in range(cols)] for r in range(rows)]


def fit(ax, xmin, xmax, ymin, ymax, margin=0.3):
    ax.set_xlim(xmin - margin, xmax + margin)
    ax.set_ylim(ymin - margin, ymax + margin)


def colormap(name):
    from matplotlib import colormaps
    return colormaps[name]
