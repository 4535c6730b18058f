"""The course's small models: a CNN of conv-BatchNorm-ReLU-pool blocks, an MLP to compare it with, and a pretrained
copy of the CNN whose weights are committed with the package (``cnntools/weights/shapes_cnn.pt``).

The checkpoint is rebuilt, bit for bit on the same software, by ``python scripts/pretrain_shapes.py``; its SHA-256 is
:data:`SHAPES_CNN_SHA256`, checked by :func:`load_pretrained` before the file is read.
"""
from collections import OrderedDict
from pathlib import Path

import torch
from torch import nn

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
SHAPES_CNN_PATH = WEIGHTS_DIR / "shapes_cnn.pt"
SHAPES_CNN_SHA256 = "7bb0a1c19435547dee74701669ccb1d486eeae693d7f43d902a9c4c81b701750"
"""SHA-256 of the committed ``shapes_cnn.pt``; ``scripts/pretrain_shapes.py`` prints the value to put here."""


class SmallCNN(nn.Module):
    """A few ``conv3x3 -> BatchNorm -> ReLU -> max-pool 2x2`` blocks, then one fully connected layer.

    in_channels: channels of the input images (3 for RGB)
    num_classes: outputs of the last layer (class scores)
    widths:      number of filters of each block; block ``i`` is ``features.block{i+1}``
    image_size:  side of the (square) input images; must be divisible by ``2 ** len(widths)``
    global_pool: None (default) flattens the last feature maps into the classifier, which then weighs every
                 position separately; ``"avg"`` or ``"max"`` first pools each map to one number over all positions,
                 which makes the whole network (nearly) indifferent to where the object is

    Input ``(N, in_channels, image_size, image_size)``, output ``(N, num_classes)``. Each block keeps the spatial size
    through its convolution (padding 1) and halves it by pooling, so the classifier sees
    ``widths[-1] * (image_size // 2**len(widths))**2`` features (``widths[-1]`` with ``global_pool``). Layers are
    named for the visualisation helpers: ``features.block1.conv``, ``features.block1.bn``, ``features.block1.relu``,
    ``features.block1.pool``, ..., ``classifier`` (an ``nn.Linear``).
    """

    def __init__(self, in_channels=3, num_classes=10, widths=(16, 32, 64), image_size=32, global_pool=None):
        super().__init__()
        if image_size % (2 ** len(widths)):
            raise ValueError(f"image_size={image_size} is not divisible by 2**{len(widths)}")
        if global_pool not in (None, "avg", "max"):
            raise ValueError(f"global_pool must be None, 'avg' or 'max', got {global_pool!r}")
        self.config = dict(in_channels=in_channels, num_classes=num_classes, widths=tuple(widths),
                           image_size=image_size, global_pool=global_pool)
        blocks, channels = OrderedDict(), in_channels
        for i, width in enumerate(widths):
            blocks[f"block{i + 1}"] = nn.Sequential(OrderedDict(
                conv=nn.Conv2d(channels, width, kernel_size=3, padding=1),
                bn=nn.BatchNorm2d(width),
                relu=nn.ReLU(),
                pool=nn.MaxPool2d(2),
            ))
            channels = width
        self.features = nn.Sequential(blocks)
        side = 1 if global_pool else image_size // 2 ** len(widths)
        pool = {None: nn.Identity, "avg": nn.AdaptiveAvgPool2d, "max": nn.AdaptiveMaxPool2d}[global_pool]
        self.global_pool = pool() if global_pool is None else pool(1)
        self.flatten = nn.Flatten()
        self.classifier = nn.Linear(channels * side * side, num_classes)

    def forward(self, x):
        return self.classifier(self.flatten(self.global_pool(self.features(x))))


class MLP(nn.Module):
    """Flatten the image, then fully connected layers with ReLU between them: the baseline a CNN is compared with.

    in_features: values per input example (``C * H * W`` for images)
    num_classes: outputs of the last layer
    hidden:      sizes of the hidden layers

    Input ``(N, C, H, W)`` (or ``(N, in_features)``), output ``(N, num_classes)``.
    """

    def __init__(self, in_features=3 * 32 * 32, num_classes=10, hidden=(256,)):
        super().__init__()
        layers, width = [nn.Flatten()], in_features
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


def count_parameters(model, trainable_only=False):
    """Number of parameters of ``model`` (only those with ``requires_grad`` when ``trainable_only``)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def layer_costs(model, input_shape):
    """Per-layer output shape, activation memory, parameters and multiply-adds of ``model`` for one input.

    input_shape: ``(C, H, W)`` of one image. The model is run once on PyTorch's ``meta`` device (shapes only, no
    memory, no arithmetic; the model itself is not changed). Every leaf module (one without submodules) is a row:
    ``{"name", "kind", "shape", "activations", "params", "macs"}``, where ``activations`` counts the values of its
    output (times 4 for bytes in float32) and ``macs`` the multiply-adds of convolutional and fully connected layers
    (0 for the others). Returns the list of rows in the order the layers ran.
    """
    import copy

    meta = copy.deepcopy(model).to("meta")
    rows, handles = [], []

    def hook(name):
        def record(module, inputs, output):
            per_output = 0
            if isinstance(module, nn.Conv2d):
                per_output = module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
            elif isinstance(module, nn.Linear):
                per_output = module.in_features
            values = output[0].numel()
            rows.append({"name": name, "kind": type(module).__name__, "shape": tuple(output.shape[1:]),
                         "activations": values, "params": sum(p.numel() for p in module.parameters(recurse=False)),
                         "macs": values * per_output})
        return record

    for name, module in meta.named_modules():
        if not list(module.children()):
            handles.append(module.register_forward_hook(hook(name)))
    with torch.no_grad():
        meta.eval()(torch.empty(1, *input_shape, device="meta"))
    for h in handles:
        h.remove()
    return rows


def load_pretrained(path=None, sha256=None, map_location="cpu"):
    """A :class:`SmallCNN` with the weights trained on :func:`cnntools.data.make_shapes` images, in eval mode.

    path:   checkpoint file; default the committed ``cnntools/weights/shapes_cnn.pt``
    sha256: its expected SHA-256; default :data:`SHAPES_CNN_SHA256` for the committed file, no check for another
            ``path`` unless given

    Raises ``cnntools.data.ChecksumError`` (a ValueError) when the file is not the expected one. The file is read
    with ``weights_only=True``: tensors and plain values only, never code.
    """
    from cnntools.data import verify_sha256

    if path is None:
        path, sha256 = SHAPES_CNN_PATH, sha256 or SHAPES_CNN_SHA256
    if sha256 is not None:
        verify_sha256(path, sha256)
    checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    model = SmallCNN(**checkpoint["config"])
    model.load_state_dict(checkpoint["state_dict"])
    return model.eval()


def save_checkpoint(model, path, **extra):
    """Save a :class:`SmallCNN`'s configuration and weights (and plain ``extra`` values) for :func:`load_pretrained`.

    ``path`` is a file name or a writable binary file object.
    """
    config = dict(model.config)
    config["widths"] = list(config["widths"])
    state = OrderedDict((k, v.detach().cpu().clone()) for k, v in model.state_dict().items())
    torch.save({"config": config, "state_dict": state, **extra}, path)
