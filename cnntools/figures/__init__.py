"""The book's figures, drawn with matplotlib at build time (the kit ships no image files).

One module per chapter (``why_cnns``, ``architecture``, ``conv_layer``, ``layers``, ``backprop``,
``transfer_learning``), named after its page in ``book/``, each drawing with ``primitives``; a chapter calls them
as ``figures.draw_padding(...)``.

One function per figure. Each one only *draws*: every number it shows (an output size, a gradient, a pooled
value) is computed by the caller, usually with ``torch``, and passed in, so the chapter's code cell is the
calculation and this package is the picture. Every function returns a :class:`matplotlib.figure.Figure` that is
not registered with ``pyplot``: a notebook displays it once when it is the cell's last expression, and a script
can call ``fig.savefig(...)``.

Layout conventions: matrices are drawn with row 0 at the top; volumes are drawn in the notes' W x H x D
convention (width across, height up, depth receding), so a PyTorch tensor of shape ``(C, H, W)`` is the volume
``W x H x C``.
"""
from .architecture import draw_architecture, draw_feature_pipeline
from .backprop import draw_conv_backward, draw_conv_forward, draw_filter_rotation, draw_maxpool_backward
from .conv_layer import draw_conv_volume, draw_padding, draw_receptive_fields, draw_stride
from .layers import draw_batchnorm_axes, draw_pooling, plot_relu
from .primitives import PALETTE
from .transfer_learning import draw_transfer_scenarios
from .why_cnns import plot_locality, plot_param_growth, plot_shift_distance, plot_translation

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
