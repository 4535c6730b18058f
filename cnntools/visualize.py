"""Looking inside a CNN: first-layer filters, the activations of one image, the images that excite a unit most, and
the fraction of filters that never fire. One implementation each, shared by the assignment and the book.

A *layer* is named as in ``model.named_modules()`` (for :class:`cnntools.models.SmallCNN`, e.g.
``"features.block2.relu"``), or given as the module itself; left out, it is the model's first ``nn.ReLU`` (or, when
there is none, its first ``nn.Conv2d``). Images are ``(N, C, H, W)`` arrays or tensors, one image ``(C, H, W)``.
"""
import math

import numpy as np
import torch
from torch import nn


def get_layer(model, layer=None):
    """The module ``layer`` names in ``model`` (see the module docstring); raises ValueError for an unknown name."""
    if isinstance(layer, nn.Module):
        return layer
    if layer is None:
        for kind in (nn.ReLU, nn.Conv2d):
            for module in model.modules():
                if isinstance(module, kind):
                    return module
        raise ValueError("model has neither an nn.ReLU nor an nn.Conv2d layer: name the layer")
    modules = dict(model.named_modules())
    if layer not in modules:
        raise ValueError(f"layer {layer!r} is not in the model; named layers: {[k for k in modules if k]}")
    return modules[layer]


def first_conv(model):
    """The first ``nn.Conv2d`` of ``model``."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            return module
    raise ValueError("model has no nn.Conv2d layer")


def _device(model):
    for p in model.parameters():
        return p.device
    return torch.device("cpu")


@torch.no_grad()
def activations(model, images, layer=None, batch_size=256):
    """Output of ``layer`` for ``images`` (eval mode, no gradients), as a float32 CPU tensor ``(N, K, H', W')``.

    A single image ``(C, H, W)`` is treated as a batch of one. The model's train/eval mode is restored afterwards.
    """
    module = get_layer(model, layer)
    x = torch.as_tensor(np.asarray(images) if not torch.is_tensor(images) else images).float()
    if x.dim() == 3:
        x = x.unsqueeze(0)
    captured = []
    handle = module.register_forward_hook(lambda m, inputs, output: captured.append(output.detach().float().cpu()))
    was_training, device = model.training, _device(model)
    model.eval()
    try:
        for i in range(0, len(x), batch_size):
            model(x[i:i + batch_size].to(device))
    finally:
        handle.remove()
        model.train(was_training)
    return torch.cat(captured) if captured else torch.zeros(0)


def _to_display(image):
    """``(C, H, W)`` -> what ``imshow`` takes: ``(H, W, 3)`` RGB or ``(H, W)`` grey, scaled into [0, 1] if outside."""
    image = image.detach().cpu().numpy() if torch.is_tensor(image) else np.asarray(image)
    image = image.astype(np.float64)
    if image.min() < 0 or image.max() > 1:
        lo, hi = image.min(), image.max()
        image = (image - lo) / (hi - lo) if hi > lo else np.zeros_like(image)
    return image.transpose(1, 2, 0) if image.shape[0] == 3 else image[0]


# Widest figure, in inches: 760 px at matplotlib's 100 dpi, within the book's 768 px column, so that a figure is
# never shrunk to fit and its text keeps its size (at least 9 pt = 12.5 px).
MAX_WIDTH = 7.6


def _grid_figure(nrows, ncols, scale, extra_height):
    """pyplot subplots of ``scale``-inch cells, narrowed to MAX_WIDTH; the cells stay square."""
    import matplotlib.pyplot as plt

    scale = min(scale, MAX_WIDTH / ncols)
    return plt.subplots(nrows, ncols, figsize=(scale * ncols, scale * nrows + extra_height), squeeze=False)


def plot_images(images, labels=None, class_names=None, titles=None, ncols=8, scale=1.3, suptitle=None):
    """A grid of images ``(N, C, H, W)`` (C = 1 or 3), titled by ``titles`` or else by class name or label.

    Returns the Figure.
    """
    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = max(1, math.ceil(n / ncols))
    lines = max((str(t).count("\n") + 1 for t in titles), default=1) if titles is not None else 1
    fig, axes = _grid_figure(nrows, ncols, scale, (0.5 if suptitle else 0) + 0.15 * lines * nrows)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(_to_display(images[i]), cmap="gray", interpolation="nearest")
        title = None
        if titles is not None:
            title = titles[i]
        elif labels is not None:
            label = int(labels[i])
            title = class_names[label] if class_names is not None else str(label)
        if title is not None:
            ax.set_title(str(title), fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_filters(model, ncols=8, scale=0.9, title=None):
    """The first convolutional layer's filters as small images; returns the Figure.

    model: a model (its first ``nn.Conv2d`` is shown) or a weight tensor/array ``(K, C, FH, FW)``. With C = 3 each
           filter is shown in colour, every filter scaled on its own so that its most negative weight is black and
           its most positive white (0 is not mid-grey); with another C, channel 0 in grey.
    """
    if isinstance(model, nn.Module):
        weights = first_conv(model).weight.detach().float().cpu().numpy()
    else:
        weights = np.asarray(model.detach().cpu() if torch.is_tensor(model) else model, dtype=np.float64)
    k = weights.shape[0]
    ncols = max(1, min(ncols, k))
    nrows = math.ceil(k / ncols)
    fig, axes = _grid_figure(nrows, ncols, scale, 0.5 + 0.15 * nrows)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i < k:
            w = weights[i] if weights.shape[1] == 3 else weights[i, :1]
            lo, hi = w.min(), w.max()
            ax.imshow(_to_display((w - lo) / (hi - lo) if hi > lo else np.zeros_like(w)), cmap="gray",
                      interpolation="nearest")
            ax.set_title(str(i), fontsize=9)
    fig.suptitle(title or f"first-layer filters ({k} x {weights.shape[1]} x {weights.shape[2]} x {weights.shape[3]})")
    fig.tight_layout()
    return fig


def plot_activations(model, image, layer=None, max_maps=16, ncols=8, scale=1.1, title=None):
    """The input image and the feature maps of ``layer`` for it (the first ``max_maps`` channels); returns the Figure.

    image: one image ``(C, H, W)``. Every map shares one colour scale (0 is black), so a map that stays black is a
    filter that did not respond to this image at all.
    """
    acts = activations(model, image, layer)[0]
    maps = acts[:max_maps].numpy()
    n = len(maps)
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig, axes = _grid_figure(nrows, ncols + 1, scale, 0.6 + 0.15 * nrows)
    for ax in axes.ravel():
        ax.axis("off")
    axes[0, 0].imshow(_to_display(torch.as_tensor(np.asarray(image) if not torch.is_tensor(image) else image)),
                      cmap="gray", interpolation="nearest")
    axes[0, 0].set_title("input", fontsize=9)
    vmax = max(float(maps.max()), 1e-8)
    vmin = min(float(maps.min()), 0.0)
    for i in range(n):
        ax = axes[i // ncols, 1 + i % ncols]
        ax.imshow(maps[i], cmap="magma", vmin=vmin, vmax=vmax, interpolation="nearest")
        ax.set_title(str(i), fontsize=9)
    name = layer if isinstance(layer, str) else type(get_layer(model, layer)).__name__
    fig.suptitle(title or f"activations of {name}: {acts.shape[0]} maps of {acts.shape[1]} x {acts.shape[2]}"
                 + (f" (first {n} shown)" if n < acts.shape[0] else ""))
    fig.tight_layout()
    return fig


def top_activating(model, images, unit, layer=None, k=9, reduce="max"):
    """Indices of the ``k`` images that excite channel ``unit`` of ``layer`` most, and their scores, best first.

    The score of an image is the ``reduce`` ("max" or "mean") of that channel's map over positions. Returns
    ``(indices, scores)``: int64 and float32 tensors of shape ``(k,)`` (fewer if there are fewer images); show them
    with ``plot_images(images[indices])``.
    """
    acts = activations(model, images, layer)
    if not 0 <= unit < acts.shape[1]:
        raise ValueError(f"unit={unit} but the layer has {acts.shape[1]} channels")
    maps = acts[:, unit].reshape(len(acts), -1)
    if reduce == "max":
        scores = maps.max(dim=1).values
    elif reduce == "mean":
        scores = maps.mean(dim=1)
    else:
        raise ValueError(f"reduce must be 'max' or 'mean', got {reduce!r}")
    top = torch.topk(scores, min(k, len(scores)))
    return top.indices, top.values


def dead_filter_fraction(model, images, layer=None):
    """Fraction of the channels of ``layer`` whose output is zero (or below) for every position of every image.

    Measured after a ReLU (the default layer), such a filter is "dead": it passes no signal and gets no gradient, a
    common result of a too large learning rate. Returns a float in [0, 1].
    """
    acts = activations(model, images, layer)
    channels = acts.transpose(0, 1).reshape(acts.shape[1], -1)
    alive = (channels > 0).any(dim=1)
    return 1.0 - alive.float().mean().item()
