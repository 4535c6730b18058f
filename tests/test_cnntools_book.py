"""The helpers the book's chapters use: layer costs, photo crops and the step-through widgets' data."""
import json
import re

import numpy as np
import torch
from torch import nn

from cnntools.data import load_photo_patches
from cnntools.interactive import conv_stepper, maxpool_backward_stepper
from cnntools.models import SmallCNN, count_parameters, layer_costs


def test_layer_costs_counts_parameters_and_multiply_adds():
    model = SmallCNN()
    rows = layer_costs(model, (3, 32, 32))
    assert sum(r["params"] for r in rows) == count_parameters(model)
    conv1 = rows[0]
    assert conv1["kind"] == "Conv2d" and conv1["shape"] == (16, 32, 32)
    assert conv1["macs"] == 16 * 32 * 32 * 3 * 3 * 3
    assert rows[-1]["macs"] == 1024 * 10 and rows[-1]["shape"] == (10,)
    grouped = layer_costs(nn.Conv2d(4, 6, 3, groups=2), (4, 5, 5))
    assert grouped[0]["macs"] == 6 * 3 * 3 * 2 * 3 * 3
    assert next(model.parameters()).device.type == "cpu"      # the model itself is untouched


def test_photo_patches_are_reproducible_crops():
    a, b = load_photo_patches(5, size=16, seed=1), load_photo_patches(5, size=16, seed=1)
    assert a.shape == (5, 3, 16, 16) and a.dtype == np.float32
    assert np.array_equal(a, b) and 0.0 <= a.min() and a.max() <= 1.0


def _payload(html):
    return json.loads(re.search(r"cnnStepper\(document\.getElementById\(\"[^\"]+\"\), (.*)\);</script>",
                                html.data, re.S).group(1))


def test_conv_stepper_carries_torch_outputs_for_every_setting():
    x, w = torch.arange(36.0).reshape(6, 6), torch.ones(3, 3)
    data = _payload(conv_stepper(x, w, strides=(1, 2), paddings=(0, 1), dilations=(1, 3)))
    assert "1,0,3" not in data["outputs"]              # a 7x7 span does not fit a 6x6 input
    out = np.array(data["outputs"]["2,1,1"])
    assert out.shape == (3, 3) and out[0, 0] == 0 + 1 + 6 + 7  # the padded corner window


def test_maxpool_stepper_routes_like_autograd():
    x = torch.tensor([[1., 5., 2.], [3., 4., 0.], [2., 2., 6.]])
    data = _payload(maxpool_backward_stepper(x, lambda shape: torch.ones(shape), settings=[(2, 1)]))
    result = data["results"]["2,1"]
    assert result["out"] == [[5.0, 5.0], [4.0, 6.0]]
    assert result["dx"] == [[0.0, 2.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
