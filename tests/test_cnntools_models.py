"""cnntools.models: the shared CNN and MLP, and the committed pretrained checkpoint."""
import hashlib
import shutil

import pytest
import torch
from torch import nn

from cnntools import models
from cnntools.data import ChecksumError, make_shapes


def test_smallcnn_shapes_and_names():
    model = models.SmallCNN(in_channels=1, num_classes=7, widths=(4, 8), image_size=16)
    assert model(torch.zeros(2, 1, 16, 16)).shape == (2, 7)
    names = dict(model.named_modules())
    for name in ("features.block1.conv", "features.block1.bn", "features.block1.relu", "features.block2.pool",
                 "classifier"):
        assert name in names
    # conv 1*9*4+4, bn 2*4, conv 4*9*8+8, bn 2*8, fc (8*4*4)*7+7
    assert models.count_parameters(model) == 40 + 8 + 296 + 16 + 903


@pytest.mark.parametrize("pool", ["avg", "max"])
def test_smallcnn_global_pool(pool):
    model = models.SmallCNN(widths=(4, 8, 16), global_pool=pool)
    assert model.classifier.in_features == 16
    assert model(torch.zeros(3, 3, 32, 32)).shape == (3, 10)


def test_smallcnn_rejects_bad_sizes():
    with pytest.raises(ValueError, match="image_size"):
        models.SmallCNN(image_size=20)
    with pytest.raises(ValueError, match="global_pool"):
        models.SmallCNN(global_pool="mean")


def test_mlp():
    model = models.MLP(in_features=12, num_classes=3, hidden=(5, 4))
    assert model(torch.zeros(2, 3, 2, 2)).shape == (2, 3)
    assert models.count_parameters(model) == 12 * 5 + 5 + 5 * 4 + 4 + 4 * 3 + 3


def test_count_trainable_only():
    model = models.MLP(in_features=4, num_classes=2, hidden=())
    model.net[1].bias.requires_grad_(False)
    assert models.count_parameters(model) == 10 and models.count_parameters(model, trainable_only=True) == 8


def test_checkpoint_is_committed_small_and_matches_its_sha256():
    data = models.SHAPES_CNN_PATH.read_bytes()
    assert len(data) < 1_000_000
    assert hashlib.sha256(data).hexdigest() == models.SHAPES_CNN_SHA256


def test_pretrained_model_recognises_shapes():
    model = models.load_pretrained()
    assert isinstance(model, models.SmallCNN) and not model.training
    x, y = make_shapes(300, seed=12345)
    with torch.no_grad():
        accuracy = (model(torch.from_numpy(x)).argmax(1) == torch.from_numpy(y)).float().mean().item()
    assert accuracy > 0.95


def test_pretrained_rejects_a_modified_file(tmp_path):
    copy = tmp_path / "shapes_cnn.pt"
    shutil.copy(models.SHAPES_CNN_PATH, copy)
    raw = bytearray(copy.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    copy.write_bytes(bytes(raw))
    with pytest.raises(ChecksumError):
        models.load_pretrained(copy, sha256=models.SHAPES_CNN_SHA256)


def test_save_and_load_round_trip(tmp_path):
    torch.manual_seed(0)
    model = models.SmallCNN(in_channels=1, num_classes=4, widths=(4, 8), image_size=8, global_pool="avg")
    path = tmp_path / "m.pt"
    models.save_checkpoint(model, path)
    loaded = models.load_pretrained(path)                    # another path: no checksum unless one is given
    x = torch.randn(2, 1, 8, 8)
    model.eval()
    torch.testing.assert_close(loaded(x), model(x))
    assert isinstance(loaded.global_pool, nn.AdaptiveAvgPool2d)
