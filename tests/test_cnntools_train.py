"""cnntools.train and cnntools.visualize, on the CPU with tiny models."""
import math

import matplotlib
import numpy as np
import pytest
import torch
from torch import nn

matplotlib.use("Agg")

from cnntools import train, visualize  # noqa: E402
from cnntools.data import make_shapes  # noqa: E402
from cnntools.models import SmallCNN  # noqa: E402


@pytest.mark.parametrize("cuda, want", [(True, "cuda"), (False, "cpu")])
def test_default_device(monkeypatch, cuda, want):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    assert train.default_device() == torch.device(want)


def _blobs(n, seed):
    """Two easy classes: a bright square on the left or on the right."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(0, 0.1, (n, 1, 8, 8)).astype(np.float32)
    for i, label in enumerate(y):
        x[i, 0, 2:6, (0 if label == 0 else 4):(4 if label == 0 else 8)] += 1.0
    return x, y


def test_fit_learns_and_reports_history():
    torch.manual_seed(0)
    model = SmallCNN(in_channels=1, num_classes=2, widths=(4,), image_size=8)
    history = train.fit(model, _blobs(256, 0), _blobs(128, 1), epochs=3, batch_size=32, lr=1e-2, device="cpu",
                        progress=False)
    assert set(history) == {"train_loss", "train_acc", "val_loss", "val_acc", "seconds"}
    assert all(len(v) == 3 for v in history.values())
    assert history["val_acc"][-1] >= 0.95
    loss, acc = train.evaluate(model, _blobs(128, 1))
    assert math.isclose(acc, history["val_acc"][-1]) and math.isclose(loss, history["val_loss"][-1], rel_tol=1e-5)


def test_fit_is_repeatable_and_respects_frozen_parameters():
    def run():
        torch.manual_seed(0)
        model = SmallCNN(in_channels=1, num_classes=2, widths=(4,), image_size=8)
        model.features.requires_grad_(False)
        before = [p.clone() for p in model.features.parameters()]
        history = train.fit(model, _blobs(64, 0), None, epochs=2, batch_size=16, device="cpu", progress=False)
        assert all(torch.equal(a, b) for a, b in zip(before, model.features.parameters()))
        assert history["val_acc"] == []
        return history["train_loss"], model.classifier.weight.detach().clone()
    (loss_a, w_a), (loss_b, w_b) = run(), run()
    assert loss_a == loss_b and torch.equal(w_a, w_b)


def test_evaluate_restores_mode_and_uses_running_statistics():
    model = nn.Sequential(nn.Flatten(), nn.BatchNorm1d(2), nn.Linear(2, 2))
    with torch.no_grad():
        model[1].running_mean.fill_(10.0)
        model[2].weight.copy_(torch.eye(2))
        model[2].bias.zero_()
    x = torch.tensor([[[[11.0, 9.0]]], [[[9.0, 11.0]]]])              # eval mode: class 0, then class 1
    model.train()
    loss, acc = train.evaluate(model, (x, torch.tensor([0, 1])))
    assert acc == 1.0 and model.training
    assert torch.equal(model[1].running_mean, torch.full((2,), 10.0))


def test_plot_history_figure():
    fig = train.plot_history({"a": {"train_loss": [1, 0.5], "train_acc": [0.5, 0.8], "val_loss": [1, 0.6],
                                    "val_acc": [0.4, 0.7]},
                              "b": {"train_loss": [2, 1], "train_acc": [0.1, 0.2], "val_loss": [], "val_acc": []}})
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 3


# ---- visualisation ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_model():
    torch.manual_seed(0)
    return SmallCNN(widths=(6, 8), image_size=16).eval()


def test_activations_and_layers(small_model):
    x, _ = make_shapes(5, seed=0, size=16)
    acts = visualize.activations(small_model, x, "features.block2.conv")
    assert acts.shape == (5, 8, 8, 8)
    assert visualize.activations(small_model, x[0]).shape == (1, 6, 16, 16)    # default: the first ReLU
    assert visualize.get_layer(small_model) is small_model.features.block1.relu
    with pytest.raises(ValueError, match="not in the model"):
        visualize.get_layer(small_model, "features.block9")


def test_top_activating(small_model):
    x, _ = make_shapes(20, seed=1, size=16)
    idx, scores = visualize.top_activating(small_model, x, unit=3, layer="features.block1.relu", k=4)
    maps = visualize.activations(small_model, x, "features.block1.relu")[:, 3].amax(dim=(1, 2))
    assert idx.tolist() == torch.argsort(maps, descending=True)[:4].tolist()
    torch.testing.assert_close(scores, maps[idx])
    with pytest.raises(ValueError, match="unit"):
        visualize.top_activating(small_model, x, unit=6, layer="features.block1.relu")


def test_dead_filter_fraction():
    model = nn.Sequential(nn.Conv2d(1, 4, 1), nn.ReLU())
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([1.0, -1.0, 0.0, 2.0]).view(4, 1, 1, 1))
        model[0].bias.copy_(torch.tensor([0.0, 0.0, -1.0, 0.0]))
    x = torch.rand(3, 1, 4, 4) + 0.1                                   # positive inputs: filters 1 and 2 never fire
    assert visualize.dead_filter_fraction(model, x) == 0.5


def test_figures(small_model):
    x, y = make_shapes(6, seed=2, size=16)
    assert len(visualize.plot_filters(small_model).axes) >= 6
    assert visualize.plot_filters(torch.randn(3, 1, 3, 3)) is not None
    assert visualize.plot_activations(small_model, x[0], "features.block1.relu", max_maps=4) is not None
    assert visualize.plot_images(x, y, ["c%d" % i for i in range(10)], ncols=3) is not None
    import matplotlib.pyplot as plt
    plt.close("all")


def test_train_reexports_the_visualisation_helpers():
    assert train.plot_filters is visualize.plot_filters and train.dead_filter_fraction is visualize.dead_filter_fraction


def test_fit_mixed_precision_and_channels_last_paths_run_on_cpu():
    # the GPU options of fit (autocast, channels-last) have CPU versions: CI exercises the code without a GPU
    torch.manual_seed(0)
    model = SmallCNN(in_channels=1, num_classes=2, widths=(4,), image_size=8)
    history = train.fit(model, _blobs(128, 0), _blobs(64, 1), epochs=2, batch_size=32, lr=1e-2, device="cpu",
                        amp=True, channels_last=True, progress=False)
    assert len(history["val_acc"]) == 2 and all(np.isfinite(history["train_loss"]))
    assert model.features.block1.conv.weight.is_contiguous(memory_format=torch.channels_last)


def test_predict_shape_and_mode():
    model = SmallCNN(in_channels=1, num_classes=3, widths=(4,), image_size=8).train()
    scores = train.predict(model, np.zeros((5, 1, 8, 8), np.float32), batch_size=2)
    assert scores.shape == (5, 3) and model.training
