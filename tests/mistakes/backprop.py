"""Wrong answers to the backpropagation assignment: each is the solution with one plausible mistake."""
from . import edits_of

edit = edits_of("backprop")

_DX_TAP = "dxp[:, :, rows, columns] +="
# The solution sends each window's gradient to the index of its first maximum (flat). Sending it to every maximum
# takes a mask instead, another way to write the routing: its two lines become a loop over the taps (flat is left
# computed, unused).
_BINCOUNT = "    dx = np.bincount(flat.ravel(), weights=dout.ravel(), minlength=x.size)\n"
_ROUTING = _BINCOUNT + "    return dx.reshape(x.shape)\n"
_EVERY_MAXIMUM = '''    mask = windows == windows.max(axis=-1, keepdims=True)
{split}    dx = np.zeros_like(x)
    for m in range(kernel_size):
        for l in range(kernel_size):
            dx[:, :, m:m + stride * (H2 - 1) + 1:stride, l:l + stride * (W2 - 1) + 1:stride] += \\
                mask[..., m * kernel_size + l] * dout
    return dx
'''
_BN_MEAN = "x.mean(axis=(0, 2, 3), keepdims=True)"
_BN_VAR = "x.var(axis=(0, 2, 3), keepdims=True)"
# The two terms of batchnorm2d_backward's dx that come through the mean and the variance.
_THROUGH_MEAN = " - dxhat.sum(axis=axes, keepdims=True)"
_THROUGH_VARIANCE = "\n                        - xhat * (dxhat * xhat).sum(axis=axes, keepdims=True))"

MISTAKES = [
    # conv2d_backward
    edit("convbw-db-averaged", "conv2d_backward", ("db = dout.sum(", "db = dout.mean(")),
    edit("convbw-dw-averaged-over-batch", "conv2d_backward", (".sum(axis=0).reshape(", ".mean(axis=0).reshape(")),
    edit("convbw-dx-stride-ignored", "conv2d_backward",
            (_DX_TAP, "dxp[:, :, m * dilation:m * dilation + H2, l * dilation:l * dilation + W2] +=")),
    edit("convbw-dx-kernel-flipped", "conv2d_backward",
            ("np.matmul(w.reshape(", "np.matmul(w[:, :, ::-1, ::-1].reshape(")),
    edit("convbw-dx-overwritten", "conv2d_backward", (_DX_TAP, "dxp[:, :, rows, columns] =")),
    edit("convbw-padding-cut-with-negative-index", "conv2d_backward",
            ("dxp[:, :, padding:padding + H, padding:padding + W]", "dxp[:, :, padding:-padding, padding:-padding]")),
    edit("convbw-dilation-ignored", "conv2d_backward",
            ("slice(m * dilation, m * dilation", "slice(m, m"), ("slice(l * dilation, l * dilation", "slice(l, l")),
    edit("convbw-dw-filters-and-channels-swapped", "conv2d_backward",  # dL/dw^T, reshaped to w's shape
            ("np.matmul(dout_flat, cols.transpose(0, 2, 1))", "np.matmul(cols, dout_flat.transpose(0, 2, 1))")),
    edit("convbw-dout-not-checked", "conv2d_backward",
            ('''    if dout.shape != (N, K, H2, W2):
        raise ValueError(f"dout must have the forward output's shape {(N, K, H2, W2)}, got {dout.shape}")
''', "")),
    # max_pool2d_backward
    edit("maxbw-overlaps-overwritten", "max_pool2d_backward",
            (_BINCOUNT, "    dx = np.zeros(x.size)\n    dx[flat.ravel()] = dout.ravel()\n")),
    edit("maxbw-ties-all-get-gradient", "max_pool2d_backward", (_ROUTING, _EVERY_MAXIMUM.format(split=""))),
    edit("maxbw-ties-split", "max_pool2d_backward",
            (_ROUTING, _EVERY_MAXIMUM.format(split="    mask = mask / mask.sum(axis=-1, keepdims=True)\n"))),
    edit("maxbw-ties-last-maximum", "max_pool2d_backward",
            ("first = windows.argmax(axis=-1)", "first = windows.shape[-1] - 1 - windows[..., ::-1].argmax(axis=-1)")),
    edit("maxbw-stride-ignored", "max_pool2d_backward",
            ("np.arange(H2)[:, None] * stride + m", "np.arange(H2)[:, None] + m"),
            ("np.arange(W2) * stride + l", "np.arange(W2) + l")),
    # avg_pool2d_backward
    edit("avgbw-divides-by-kernel-size", "avg_pool2d_backward", ("dout / kernel_size ** 2", "dout / kernel_size")),
    edit("avgbw-overlaps-overwritten", "avg_pool2d_backward", ("+= share", "= share")),
    # relu_backward
    edit("relubw-derivative-one-at-zero", "relu_backward", ("where(x > 0", "where(x >= 0")),
    edit("relubw-masked-by-dout", "relu_backward", ("where(x > 0", "where(dout > 0")),
    # batchnorm2d_forward
    edit("bn-unbiased-variance", "batchnorm2d_forward", (_BN_VAR, "x.var(axis=(0, 2, 3), keepdims=True, ddof=1)")),
    edit("bn-statistics-over-batch-only", "batchnorm2d_forward",
            (_BN_MEAN, "x.mean(axis=0, keepdims=True)"), (_BN_VAR, "x.var(axis=0, keepdims=True)")),
    edit("bn-statistics-per-image", "batchnorm2d_forward",
            (_BN_MEAN, "x.mean(axis=(1, 2, 3), keepdims=True)"), (_BN_VAR, "x.var(axis=(1, 2, 3), keepdims=True)")),
    edit("bn-eps-outside-sqrt", "batchnorm2d_forward", ("np.sqrt(var + eps)", "(np.sqrt(var) + eps)")),
    # batchnorm2d_backward
    edit("bnbw-dgamma-without-xhat", "batchnorm2d_backward", ("(dout * xhat).sum(", "dout.sum(")),
    edit("bnbw-dbeta-averaged", "batchnorm2d_backward", ("dbeta = dout.sum(", "dbeta = dout.mean(")),
    edit("bnbw-dx-without-mean-and-variance", "batchnorm2d_backward", (_THROUGH_MEAN, ""), (_THROUGH_VARIANCE, ")")),
    edit("bnbw-dx-without-variance", "batchnorm2d_backward", (_THROUGH_VARIANCE, ")")),
    edit("bnbw-unbiased-variance", "batchnorm2d_backward",
            ("x.var(axis=axes, keepdims=True)", "x.var(axis=axes, keepdims=True, ddof=1)")),
    # small_cnn_loss
    edit("cnn-loss-summed", "small_cnn_loss", ("y].mean()", "y].sum()"), ("    dscores /= N\n", "")),
    edit("cnn-softmax-gradient-without-label-term", "small_cnn_loss", ("    dscores[np.arange(N), y] -= 1.0\n", "")),
    edit("cnn-pool-gradient-unflattened-in-wrong-order", "small_cnn_loss",
            ("(dscores @ w2.T).reshape(p.shape)",
             "(dscores @ w2.T).reshape(N, p.shape[2], p.shape[3], -1).transpose(0, 3, 1, 2)")),
]
