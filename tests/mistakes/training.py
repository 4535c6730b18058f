"""Wrong answers to the training assignment: each is the solution with one plausible mistake."""
from . import mistakes_of

mistake = mistakes_of("training")

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
    mistake("mps-before-cuda", "pick_device", (_CUDA + _MPS, _MPS + _CUDA)),
    mistake("mps-ignored", "pick_device", (_MPS, "")),
    # counting parameters
    mistake("bias-forgotten", "cnn_param_count", ("channels * width + width", "channels * width"),
            ("num_classes + num_classes", "num_classes")),
    mistake("batchnorm-forgotten", "cnn_param_count", ("total += 2 * width ", "")),  # its comment stays
    # building the CNN
    mistake("no-batchnorm", "build_cnn", ("nn.BatchNorm2d(width), ", "")),
    mistake("relu-before-batchnorm", "build_cnn",
            ("nn.BatchNorm2d(width), nn.ReLU(), ", "nn.ReLU(), nn.BatchNorm2d(width), ")),
    # evaluating
    mistake("eval-in-train-mode", "evaluate_accuracy", ("    model.eval()\n", "")),
    mistake("count-not-fraction", "evaluate_accuracy", ("return correct / len(y)", "return correct")),
    # training
    mistake("no-zero-grad", "train_model", ("            optimizer.zero_grad()\n", "")),
    mistake("labels-not-shuffled", "train_model", ("y_train[idx]", "y_train[start:start + batch_size]")),
    mistake("validated-on-training-data", "train_model",
            ("evaluate_accuracy(model, x_val, y_val)", "evaluate_accuracy(model, x_train, y_train)")),
    # NumPy weights into torch, and the NumPy convolution
    mistake("bias-not-copied", "make_torch_conv", ("        conv.bias.copy_(torch.from_numpy(b))\n", "")),
    mistake("float32-layer", "make_torch_conv", (", dtype=torch.float64)", ")")),
    mistake("kernel-flipped", "conv2d_forward", ("windows, w)", "windows, w[:, :, ::-1, ::-1])")),
    mistake("padding-ignored", "conv2d_forward",
            ("np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))", "x")),
    # transfer learning
    mistake("classifier-frozen-too", "prepare_transfer", ("    model.classifier.requires_grad_(True)\n", "")),
    mistake("only-convolutions-frozen", "prepare_transfer", (_FREEZE, '''    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            m.requires_grad_(scenario == "finetune_all")''')),
    mistake("first-block-unfrozen", "prepare_transfer", ("model.features[-1]", "model.features[0]")),
    mistake("classifier-not-replaced", "prepare_transfer",
            ("    model.classifier = nn.Linear(model.classifier.in_features, num_classes).to(device)\n", "")),
]
