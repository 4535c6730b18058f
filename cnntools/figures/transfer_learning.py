"""The figures of *Transfer learning and fine-tuning* (book/transfer-learning.md): which blocks each scenario trains."""
from matplotlib.patches import Rectangle

from .primitives import PALETTE, canvas, figure


def draw_transfer_scenarios(layer_names, scenarios):
    """The transfer-learning scenarios as rows of layer blocks: grey = frozen, orange = trained.

    layer_names: the network's blocks from input to output, e.g. ``["conv1", "conv2", "fc (new)"]``.
    scenarios:   ``[(title, trained_flags), ...]`` with one bool per block.
    """
    fig = figure(8.5, 0.9 * len(scenarios) + 0.8)
    ax = canvas(fig)
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
