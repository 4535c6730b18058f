"""Wrong answers to the training assignment: each is the solution with one plausible mistake."""
from . import edits_of

edit = edits_of("training")

_CUDA = '''    if torch.cuda.is_available():
        return torch.device("cuda")
'''
_MPS = '''    if torch.backends.mps.is_available():
        return torch.device("mps")
'''
_FREEZE = '''    for p in model.parameters():
        p.requires_grad = scenario == "finetune_all"'''

MISTAKES = [
    # choosing a device
    edit("mps-before-cuda", "pick_device", (_CUDA + _MPS, _MPS + _CUDA)),
    edit("mps-ignored", "pick_device", (_MPS, "")),
    # counting parameters
    edit("bias-forgotten", "cnn_param_count", ("channels * width + width", "channels * width"),
            ("num_classes + num_classes", "num_classes")),
    edit("batchnorm-forgotten", "cnn_param_count", ("total += 2 * width ", "")),  # its comment stays
    # building the CNN
    edit("no-batchnorm", "build_cnn", ("nn.BatchNorm2d(width), ", "")),
    edit("relu-before-batchnorm", "build_cnn",
            ("nn.BatchNorm2d(width), nn.ReLU(), ", "nn.ReLU(), nn.BatchNorm2d(width), ")),
    # evaluating
    edit("eval-in-train-mode", "evaluate_accuracy", ("    model.eval()\n", "")),
    edit("count-not-fraction", "evaluate_accuracy", ("return correct / len(y)", "return correct")),
    # training
    edit("no-zero-grad", "train_model", ("            optimizer.zero_grad()\n", "")),
    edit("labels-not-shuffled", "train_model", ("y_train[idx]", "y_train[start:start + batch_size]")),
    edit("validated-on-training-data", "train_model",
            ("evaluate_accuracy(model, x_val, y_val)", "evaluate_accuracy(model, x_train, y_train)")),
    edit("seed-not-set", "train_model", ("    torch.manual_seed(seed)\n", "")),
    edit("frozen-trained-too", "train_model", ("    model.to(device)\n", "    model.to(device).requires_grad_(True)\n")),
    # NumPy weights into torch, and the NumPy convolution
    edit("bias-not-copied", "make_torch_conv", ("        conv.bias.copy_(torch.from_numpy(b))\n", "")),
    edit("float32-layer", "make_torch_conv", (", dtype=torch.float64)", ")")),
    edit("kernel-flipped", "conv2d_forward", ("windows, w)", "windows, w[:, :, ::-1, ::-1])")),
    edit("padding-ignored", "conv2d_forward",
            ("np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))", "x")),
    # transfer learning
    edit("classifier-frozen-too", "prepare_transfer", ("    model.classifier.requires_grad_(True)\n", "")),
    edit("only-convolutions-frozen", "prepare_transfer", (_FREEZE, '''    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            m.requires_grad_(scenario == "finetune_all")''')),
    edit("first-block-unfrozen", "prepare_transfer", ("model.features[-1]", "model.features[0]")),
    edit("classifier-not-replaced", "prepare_transfer",
            ("    model.classifier = nn.Linear(model.classifier.in_features, num_classes).to(device)\n", "")),
]
