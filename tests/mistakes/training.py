"""Wrong answers to the training assignment: each is a correct function with one plausible mistake."""
from . import Mistake, variant


_DEVICE = '''
def pick_device():
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
'''

_COUNT = '''
def cnn_param_count(in_channels, num_classes, widths, image_size, kernel_size=3):
    total, channels, side = 0, in_channels, image_size
    for width in widths:
        total += kernel_size * kernel_size * channels * width + width
        total += 2 * width
        channels, side = width, side // 2
    return total + channels * side * side * num_classes + num_classes
'''

_BUILD = '''
def build_cnn(in_channels, num_classes, widths, image_size, kernel_size=3):
    layers, channels, side = [], in_channels, image_size
    for width in widths:
        layers += [nn.Conv2d(channels, width, kernel_size, padding=kernel_size // 2),
                   nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2)]
        channels, side = width, side // 2
    layers += [nn.Flatten(), nn.Linear(channels * side * side, num_classes)]
    return nn.Sequential(*layers)
'''

_EVALUATE = '''
def evaluate_accuracy(model, x, y, batch_size=500):
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(y), batch_size):
            scores = model(x[start:start + batch_size])
            correct += (scores.argmax(dim=1) == y[start:start + batch_size]).sum().item()
    return correct / len(y)
'''

_TRAIN = '''
def train_model(model, x_train, y_train, x_val, y_val, epochs=4, batch_size=64, lr=2e-3, device="cpu", seed=0):
    torch.manual_seed(seed)
    model.to(device)
    x_train, y_train = x_train.to(device), y_train.to(device)
    x_val, y_val = x_val.to(device), y_val.to(device)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    history = {"train_loss": [], "train_acc": [], "val_acc": []}
    n = len(y_train)
    bar = tqdm(range(epochs))
    for epoch in bar:
        model.train()
        order = torch.randperm(n, device=device)
        loss_sum, correct = 0.0, 0
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            xb, yb = x_train[idx], y_train[idx]
            scores = model(xb)
            loss = F.cross_entropy(scores, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(yb)
            correct += (scores.argmax(dim=1) == yb).sum().item()
        history["train_loss"].append(loss_sum / n)
        history["train_acc"].append(correct / n)
        history["val_acc"].append(evaluate_accuracy(model, x_val, y_val))
        bar.set_postfix(loss=history["train_loss"][-1], val_acc=history["val_acc"][-1])
    return history
'''

_TORCH_CONV = '''
def make_torch_conv(w, b, stride=1, padding=0):
    K, C, FH, FW = w.shape
    conv = nn.Conv2d(C, K, (FH, FW), stride=stride, padding=padding, dtype=torch.float64)
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(w))
        conv.bias.copy_(torch.from_numpy(b))
    return conv
'''

_CONV = '''
def conv2d_forward(x, w, b, stride=1, padding=0):
    N, C, H, W = x.shape
    K, _, FH, FW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    H2 = (H + 2 * padding - FH) // stride + 1
    W2 = (W + 2 * padding - FW) // stride + 1
    out = np.zeros((N, K, H2, W2))
    for i in range(H2):
        for j in range(W2):
            window = xp[:, :, i * stride:i * stride + FH, j * stride:j * stride + FW]
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out
'''

_TRANSFER = '''
def prepare_transfer(model, scenario, num_classes):
    if scenario not in ("fixed_features", "finetune_all", "finetune_top"):
        raise ValueError(f"unknown scenario {scenario!r}")
    model.classifier = nn.Linear(model.classifier.in_features, num_classes)
    for p in model.parameters():
        p.requires_grad = scenario == "finetune_all"
    if scenario == "finetune_top":
        for p in model.features[-1].parameters():
            p.requires_grad = True
    for p in model.classifier.parameters():
        p.requires_grad = True
    return model
'''

MISTAKES = [
    # choosing a device
    Mistake("mps-before-cuda", "pick_device", variant(
        _DEVICE,
        ('''    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")''', '''    if torch.backends.mps.is_available():
        return torch.device("mps")
    if torch.cuda.is_available():
        return torch.device("cuda")'''))),
    Mistake("mps-ignored", "pick_device", variant(
        _DEVICE, ('''    if torch.backends.mps.is_available():
        return torch.device("mps")
''', ""))),
    # counting parameters
    Mistake("bias-forgotten", "cnn_param_count", variant(
        _COUNT, ("channels * width + width", "channels * width"),
        ("num_classes + num_classes", "num_classes"))),
    Mistake("batchnorm-forgotten", "cnn_param_count", variant(_COUNT, ("        total += 2 * width\n", ""))),
    # building the CNN
    Mistake("no-batchnorm", "build_cnn", variant(_BUILD, ("nn.BatchNorm2d(width), ", ""))),
    Mistake("relu-before-batchnorm", "build_cnn", variant(
        _BUILD, ("nn.BatchNorm2d(width), nn.ReLU(), ", "nn.ReLU(), nn.BatchNorm2d(width), "))),
    # evaluating
    Mistake("eval-in-train-mode", "evaluate_accuracy", variant(_EVALUATE, ("    model.eval()\n", ""))),
    Mistake("count-not-fraction", "evaluate_accuracy",
            variant(_EVALUATE, ("return correct / len(y)", "return correct"))),
    # training
    Mistake("no-zero-grad", "train_model", variant(_TRAIN, ("            optimizer.zero_grad()\n", ""))),
    Mistake("labels-not-shuffled", "train_model", variant(
        _TRAIN, ("xb, yb = x_train[idx], y_train[idx]", "xb, yb = x_train[idx], y_train[start:start + batch_size]"))),
    Mistake("validated-on-training-data", "train_model", variant(
        _TRAIN, ("evaluate_accuracy(model, x_val, y_val)", "evaluate_accuracy(model, x_train, y_train)"))),
    # NumPy weights into torch, and the NumPy convolution
    Mistake("bias-not-copied", "make_torch_conv",
            variant(_TORCH_CONV, ("        conv.bias.copy_(torch.from_numpy(b))\n", ""))),
    Mistake("float32-layer", "make_torch_conv", variant(
        _TORCH_CONV, (", dtype=torch.float64)", ")"), ("torch.from_numpy(w)", "torch.from_numpy(w).float()"),
        ("torch.from_numpy(b)", "torch.from_numpy(b).float()"))),
    Mistake("kernel-flipped", "conv2d_forward", variant(
        _CONV, ("np.tensordot(window, w,", "np.tensordot(window, w[:, :, ::-1, ::-1],"))),
    Mistake("padding-ignored", "conv2d_forward", variant(
        _CONV, ("xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))", "xp = x"),
        ("H2 = (H + 2 * padding - FH)", "H2 = (H - FH)"), ("W2 = (W + 2 * padding - FW)", "W2 = (W - FW)"))),
    # transfer learning
    Mistake("classifier-frozen-too", "prepare_transfer", variant(
        _TRANSFER, ('''    for p in model.classifier.parameters():
        p.requires_grad = True
''', ""))),
    Mistake("only-convolutions-frozen", "prepare_transfer", variant(
        _TRANSFER, ('''    for p in model.parameters():
        p.requires_grad = scenario == "finetune_all"''', '''    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            m.requires_grad_(scenario == "finetune_all")'''))),
    Mistake("first-block-unfrozen", "prepare_transfer", variant(
        _TRANSFER, ("model.features[-1].parameters()", "model.features[0].parameters()"))),
    Mistake("classifier-not-replaced", "prepare_transfer", variant(
        _TRANSFER, ("    model.classifier = nn.Linear(model.classifier.in_features, num_classes)\n", ""))),
]
