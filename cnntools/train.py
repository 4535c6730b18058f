"""Training for the course: choose a device, fit a classifier with a progress bar, evaluate it, plot its history.

``fit`` is written to be fast where a GPU is available and still simple to read:

* the whole data set is copied to the device once when it fits, so batches are cut out on the device
  (no host-to-device copy per batch);
* on CUDA, the forward pass runs under autocast (bfloat16 where the GPU supports it, else float16 with a gradient
  scaler) and convolutional models use the channels-last memory layout, which Tensor Cores prefer;
* losses and accuracies are summed on the device and read back once per epoch, so the GPU is not stopped after
  every batch to report a number.

On a CPU it is an ordinary float32 loop. Figures of what a network learned are in :mod:`cnntools.visualize`.
"""
import sys
import time

import numpy as np
import torch
from torch import nn
from tqdm import tqdm


def default_device():
    """CUDA when there is a GPU, else the CPU. (Choosing among CUDA, Apple's MPS and the CPU is the training
    assignment's exercise `pick_device`: the course's helpers, which students install, must not answer it.)"""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _tensors(data):
    """``(x, y)`` as tensors (x float32, y int64) from a pair of arrays/tensors or a ``TensorDataset``."""
    if isinstance(data, torch.utils.data.TensorDataset):
        data = data.tensors
    x, y = data
    x = torch.as_tensor(x)
    x = x.float() if not torch.is_floating_point(x) else x
    return x, torch.as_tensor(y).long()


def _fits_on(device, *tensors, fraction=0.5):
    """Whether the tensors would take at most ``fraction`` of the device's free memory (always on CPU and MPS)."""
    if device.type != "cuda":
        return True
    free, _ = torch.cuda.mem_get_info(device)
    return sum(t.numel() * t.element_size() for t in tensors) <= fraction * free


def _has_conv(model):
    return any(isinstance(m, nn.Conv2d) for m in model.modules())


def _amp_dtype(device):
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if device.type == "cpu" else torch.float16


def _model_device(model):
    for p in model.parameters():
        return p.device
    return torch.device("cpu")


def _place(x, y, device, channels_last):
    """Data on ``device`` if it fits there (else pinned host memory, copied batch by batch)."""
    if _fits_on(device, x, y):
        x, y = x.to(device), y.to(device)
    elif device.type == "cuda":
        x, y = x.pin_memory(), y.pin_memory()
    if channels_last and x.dim() == 4:
        x = x.contiguous(memory_format=torch.channels_last)
    return x, y


def fit(model, train, val=None, epochs=5, batch_size=128, lr=1e-3, weight_decay=0.0, optimizer=None,
        loss_fn=None, device=None, amp=None, channels_last=None, seed=0, progress=True, desc="epochs"):
    """Train ``model`` on ``train`` for ``epochs`` passes, evaluating on ``val`` after each; return the history.

    train, val:    ``(images, labels)`` pairs of arrays or tensors (or ``TensorDataset``s): images ``(N, C, H, W)``
                   (or any ``(N, ...)`` the model takes), integer labels ``(N,)``. ``val`` may be None.
    epochs:        passes over ``train``, each in a new random order drawn from ``seed``
    batch_size:    examples per gradient step
    lr, weight_decay: of the default optimizer, AdamW over the parameters that have ``requires_grad``
    optimizer:     use this optimizer instead (built on ``model``'s parameters); ``lr``/``weight_decay`` are then unused
    loss_fn:       default ``nn.CrossEntropyLoss()`` (takes raw class scores)
    device:        default :func:`default_device`; the model is moved there and left there
    amp:           mixed precision autocast; default on for CUDA only (bfloat16 if supported, else float16 with a
                   ``GradScaler``)
    channels_last: channels-last memory layout for convolutional models; default on for CUDA only
    seed:          seeds ``torch.manual_seed`` and the shuffling, for repeatable runs
    progress:      show a tqdm progress bar over the epochs, with the latest loss and accuracies

    Returns a dict of lists, one entry per epoch: ``train_loss``, ``train_acc`` (averaged over the epoch's batches,
    as they were being trained on), ``val_loss``, ``val_acc`` (after the epoch, in eval mode; empty without ``val``),
    ``seconds`` (wall time of the epoch, evaluation included).
    """
    device = torch.device(device) if device is not None else default_device()
    torch.manual_seed(seed)
    amp = (device.type == "cuda") if amp is None else amp
    channels_last = (device.type == "cuda" and _has_conv(model)) if channels_last is None else channels_last
    amp_dtype = _amp_dtype(device)
    model.to(device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    if optimizer is None:
        params = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss() if loss_fn is None else loss_fn
    scaler = torch.amp.GradScaler(device.type, enabled=amp and amp_dtype == torch.float16 and device.type == "cuda")

    x, y = _place(*_tensors(train), device, channels_last)
    n = len(y)
    if n == 0:
        raise ValueError("train is empty")
    if val is not None:
        val = _place(*_tensors(val), device, channels_last)
    shuffler = torch.Generator().manual_seed(seed)
    history = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": [], "seconds": []}

    bar = tqdm(range(epochs), desc=desc, disable=not progress, file=sys.stderr, dynamic_ncols=False, ncols=100)
    for _ in bar:
        start = time.perf_counter()
        model.train()
        order = torch.randperm(n, generator=shuffler).to(x.device)
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        for i in range(0, n, batch_size):
            idx = order[i:i + batch_size]
            xb = x.index_select(0, idx).to(device, non_blocking=True)
            yb = y.index_select(0, idx).to(device, non_blocking=True)
            with torch.autocast(device_type=device.type, dtype=amp_dtype, enabled=amp):
                scores = model(xb)
                loss = loss_fn(scores, yb)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            loss_sum += loss.detach().float() * len(yb)
            correct += (scores.argmax(1) == yb).sum()
        history["train_loss"].append(loss_sum.item() / n)
        history["train_acc"].append(correct.item() / n)
        postfix = {"loss": f"{history['train_loss'][-1]:.3f}", "acc": f"{history['train_acc'][-1]:.3f}"}
        if val is not None:
            val_loss, val_acc = evaluate(model, val, batch_size=max(batch_size, 512), loss_fn=loss_fn, amp=amp)
            history["val_loss"].append(val_loss)
            history["val_acc"].append(val_acc)
            postfix["val_acc"] = f"{val_acc:.3f}"
        history["seconds"].append(time.perf_counter() - start)
        bar.set_postfix(postfix)
    bar.close()
    return history


@torch.no_grad()
def evaluate(model, data, batch_size=512, loss_fn=None, device=None, amp=None):
    """``(mean loss, accuracy)`` of ``model`` on ``data``, an ``(images, labels)`` pair, in eval mode.

    The model keeps its device (``device`` moves it first) and its train/eval mode is restored afterwards.
    ``loss_fn`` defaults to cross-entropy; ``amp`` (autocast) defaults to on for CUDA.
    """
    if device is not None:
        model.to(device)
    device = _model_device(model)
    amp = (device.type == "cuda") if amp is None else amp
    loss_fn = nn.CrossEntropyLoss() if loss_fn is None else loss_fn
    x, y = _tensors(data)
    if len(y) == 0:
        raise ValueError("data is empty")
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.long)
    try:
        for i in range(0, len(y), batch_size):
            xb, yb = x[i:i + batch_size].to(device), y[i:i + batch_size].to(device)
            with torch.autocast(device_type=device.type, dtype=_amp_dtype(device), enabled=amp):
                scores = model(xb)
                loss_sum += loss_fn(scores, yb).float() * len(yb)
            correct += (scores.argmax(1) == yb).sum()
    finally:
        model.train(was_training)
    return loss_sum.item() / len(y), correct.item() / len(y)


@torch.no_grad()
def predict(model, images, batch_size=512):
    """Class scores ``(N, num_classes)`` (float32, on the CPU) of ``model`` for ``images``, in eval mode."""
    device = _model_device(model)
    x = torch.as_tensor(images).float()
    was_training = model.training
    model.eval()
    try:
        out = [model(x[i:i + batch_size].to(device)).float().cpu() for i in range(0, len(x), batch_size)]
    finally:
        model.train(was_training)
    return torch.cat(out) if out else torch.zeros(0)


def plot_history(history, title=None, axes=None):
    """Loss and accuracy per epoch (train, and validation when recorded) side by side; returns the Figure.

    history: the dict :func:`fit` returns (or any dict with ``train_loss``/``train_acc`` and optional
             ``val_loss``/``val_acc`` lists); a list of such dicts, or a ``{label: history}`` dict, overlays them.
    axes:    two matplotlib Axes to draw on (default: a new figure)
    """
    import matplotlib.pyplot as plt

    if isinstance(history, dict) and "train_loss" in history:
        runs = {"": history}
    elif isinstance(history, dict):
        runs = history
    else:
        runs = {f"run {i + 1}": h for i, h in enumerate(history)}
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(7.6, 3.6))   # 760 px: the book shows it unshrunk
    else:
        fig = axes[0].figure
    for label, h in runs.items():
        prefix = f"{label} " if label else ""
        epochs = np.arange(1, len(h["train_loss"]) + 1)
        for ax, key in zip(axes, ("loss", "acc")):
            line, = ax.plot(epochs, h[f"train_{key}"], marker="o", ms=3, label=f"{prefix}train")
            if h.get(f"val_{key}"):
                ax.plot(epochs, h[f"val_{key}"], marker="s", ms=3, ls="--", color=line.get_color(),
                        label=f"{prefix}validation")
    for ax, name in zip(axes, ("cross-entropy loss", "accuracy")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
    axes[1].set_ylim(0, 1.02)
    if title:
        fig.suptitle(title)
    if len(runs) > 1:
        # One legend under both plots: six entries inside a plot would hide its curves.
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=len(runs), fontsize=9, frameon=False)
        fig.set_figheight(fig.get_figheight() + 0.6)
        fig.tight_layout(rect=(0, 0.6 / fig.get_figheight(), 1, 1))
    else:
        for ax in axes:
            ax.legend(fontsize=9)
        fig.tight_layout()
    return fig


# The figures of what a network learned live in cnntools.visualize; these names are kept here too for convenience.
from cnntools.visualize import (activations, dead_filter_fraction, plot_activations, plot_filters,  # noqa: E402,F401
                                plot_images, top_activating)
