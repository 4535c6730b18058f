"""Wrong answers to the backpropagation assignment: each is a correct function with one plausible mistake."""
from . import Mistake, variant

_CONV = '''
def conv2d_backward(dout, x, w, stride=1, padding=0, dilation=1):
    dout, x, w = (np.asarray(a, dtype=np.float64) for a in (dout, x, w))
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W), got {x.shape}")
    if w.ndim != 4 or w.shape[1] != x.shape[1]:
        raise ValueError(f"w must have shape (K, C, FH, FW) matching x, got {w.shape}")
    require_int("stride", stride, 1)
    require_int("padding", padding, 0)
    require_int("dilation", dilation, 1)
    N, C, H, W = x.shape
    K, _, FH, FW = w.shape
    H2 = (H + 2 * padding - dilation * (FH - 1) - 1) // stride + 1
    W2 = (W + 2 * padding - dilation * (FW - 1) - 1) // stride + 1
    if dout.shape != (N, K, H2, W2):
        raise ValueError(f"dout must have shape {(N, K, H2, W2)}, got {dout.shape}")
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    db = dout.sum(axis=(0, 2, 3))
    dw = np.zeros_like(w)
    dxp = np.zeros_like(xp)
    for m in range(FH):
        for l in range(FW):
            rows = slice(m * dilation, m * dilation + stride * (H2 - 1) + 1, stride)
            cols = slice(l * dilation, l * dilation + stride * (W2 - 1) + 1, stride)
            dw[:, :, m, l] = np.einsum("nkij,ncij->kc", dout, xp[:, :, rows, cols])
            dxp[:, :, rows, cols] += np.einsum("nkij,kc->ncij", dout, w[:, :, m, l])
    dx = dxp[:, :, padding:padding + H, padding:padding + W]
    return dx, dw, db
'''

_MAX = '''
def max_pool2d_backward(dout, x, kernel_size=2, stride=2):
    dout, x = np.asarray(dout, dtype=np.float64), np.asarray(x, dtype=np.float64)
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W), got {x.shape}")
    require_int("kernel_size", kernel_size, 1)
    require_int("stride", stride, 1)
    N, C, H, W = x.shape
    if kernel_size > H or kernel_size > W:
        raise ValueError("kernel_size is larger than the input x")
    H2, W2 = (H - kernel_size) // stride + 1, (W - kernel_size) // stride + 1
    if dout.shape != (N, C, H2, W2):
        raise ValueError(f"dout must have shape {(N, C, H2, W2)}, got {dout.shape}")
    dx = np.zeros_like(x)
    for i in range(H2):
        for j in range(W2):
            window = x[:, :, i * stride:i * stride + kernel_size, j * stride:j * stride + kernel_size]
            flat = window.reshape(N, C, -1)
            first = flat.argmax(axis=2)
            mask = np.zeros_like(flat)
            np.put_along_axis(mask, first[:, :, None], 1.0, axis=2)
            mask = mask.reshape(window.shape)
            dx[:, :, i * stride:i * stride + kernel_size, j * stride:j * stride + kernel_size] += \\
                mask * dout[:, :, i, j][:, :, None, None]
    return dx
'''
_MAX_ALL_TIES = '''
            mask = (window == window.max(axis=(2, 3), keepdims=True)).astype(float)
'''

_AVG = '''
def avg_pool2d_backward(dout, x, kernel_size=2, stride=2):
    dout, x = np.asarray(dout, dtype=np.float64), np.asarray(x, dtype=np.float64)
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W), got {x.shape}")
    require_int("kernel_size", kernel_size, 1)
    require_int("stride", stride, 1)
    N, C, H, W = x.shape
    if kernel_size > H or kernel_size > W:
        raise ValueError("kernel_size is larger than the input x")
    H2, W2 = (H - kernel_size) // stride + 1, (W - kernel_size) // stride + 1
    if dout.shape != (N, C, H2, W2):
        raise ValueError(f"dout must have shape {(N, C, H2, W2)}, got {dout.shape}")
    dx = np.zeros_like(x)
    for i in range(H2):
        for j in range(W2):
            dx[:, :, i * stride:i * stride + kernel_size, j * stride:j * stride + kernel_size] += \\
                dout[:, :, i, j][:, :, None, None] / kernel_size ** 2
    return dx
'''

_RELU = '''
def relu_backward(dout, x):
    dout, x = np.asarray(dout, dtype=np.float64), np.asarray(x, dtype=np.float64)
    if dout.shape != x.shape:
        raise ValueError(f"dout must have the shape of x {x.shape}, got {dout.shape}")
    return dout * (x > 0)
'''

_BN_FORWARD = '''
def batchnorm2d_forward(x, gamma, beta, eps=1e-5):
    x, gamma, beta = (np.asarray(a, dtype=np.float64) for a in (x, gamma, beta))
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W), got {x.shape}")
    if gamma.shape != (x.shape[1],) or beta.shape != (x.shape[1],):
        raise ValueError("gamma and beta must have shape (C,)")
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    var = x.var(axis=(0, 2, 3), keepdims=True)
    xhat = (x - mean) / np.sqrt(var + eps)
    return gamma[:, None, None] * xhat + beta[:, None, None]
'''

_BN_BACKWARD = '''
def batchnorm2d_backward(dout, x, gamma, eps=1e-5):
    dout, x, gamma = (np.asarray(a, dtype=np.float64) for a in (dout, x, gamma))
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W), got {x.shape}")
    if gamma.shape != (x.shape[1],):
        raise ValueError("gamma must have shape (C,)")
    if dout.shape != x.shape:
        raise ValueError("dout must have the shape of x")
    axes = (0, 2, 3)
    m = x.shape[0] * x.shape[2] * x.shape[3]
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    xhat = (x - mean) / np.sqrt(var + eps)
    dbeta = dout.sum(axis=axes)
    dgamma = (dout * xhat).sum(axis=axes)
    dxhat = dout * gamma[:, None, None]
    dvar = np.sum(dxhat * (x - mean), axis=axes, keepdims=True) * -0.5 * (var + eps) ** -1.5
    dmean = -np.sum(dxhat, axis=axes, keepdims=True) / np.sqrt(var + eps)
    dx = dxhat / np.sqrt(var + eps) + dvar * 2 * (x - mean) / m + dmean / m
    return dx, dgamma, dbeta
'''

_CNN = '''
def small_cnn_loss(x, y, params):
    w1, b1, w2, b2 = params["w1"], params["b1"], params["w2"], params["b2"]
    N = x.shape[0]
    a = conv2d_forward(x, w1, b1, stride=1, padding=1)
    r = np.maximum(a, 0.0)
    p = max_pool2d_forward(r, kernel_size=2, stride=2)
    h = p.reshape(N, -1)
    scores = h @ w2 + b2
    probs = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(N), y]).mean()
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1.0
    dscores /= N
    grads = {"w2": h.T @ dscores, "b2": dscores.sum(axis=0)}
    dp = (dscores @ w2.T).reshape(p.shape)
    dr = max_pool2d_backward(dp, r, kernel_size=2, stride=2)
    da = relu_backward(dr, a)
    _, grads["w1"], grads["b1"] = conv2d_backward(da, x, w1, stride=1, padding=1)
    return loss, grads
'''

MISTAKES = [
    # conv2d_backward
    Mistake("convbw-db-averaged", "conv2d_backward",
            variant(_CONV, ("db = dout.sum(axis=(0, 2, 3))", "db = dout.mean(axis=(0, 2, 3))"))),
    Mistake("convbw-dw-averaged-over-batch", "conv2d_backward",
            variant(_CONV, ('np.einsum("nkij,ncij->kc", dout, xp[:, :, rows, cols])',
                             'np.einsum("nkij,ncij->kc", dout, xp[:, :, rows, cols]) / N'))),
    Mistake("convbw-dx-stride-ignored", "conv2d_backward",
            variant(_CONV, ("            dxp[:, :, rows, cols] +=",
                             "            dxp[:, :, m * dilation:m * dilation + H2, l * dilation:l * dilation + W2] +="))),
    Mistake("convbw-dx-kernel-flipped", "conv2d_backward",
            variant(_CONV, ('dout, w[:, :, m, l])', 'dout, w[:, :, FH - 1 - m, FW - 1 - l])'))),
    Mistake("convbw-dx-overwritten", "conv2d_backward",
            variant(_CONV, ("dxp[:, :, rows, cols] +=", "dxp[:, :, rows, cols] ="))),
    Mistake("convbw-padding-cut-with-negative-index", "conv2d_backward",
            variant(_CONV, ("dx = dxp[:, :, padding:padding + H, padding:padding + W]",
                             "dx = dxp[:, :, padding:-padding, padding:-padding]"))),
    Mistake("convbw-dilation-ignored", "conv2d_backward",
            variant(_CONV, ("rows = slice(m * dilation, m * dilation", "rows = slice(m, m"),
                     ("cols = slice(l * dilation, l * dilation", "cols = slice(l, l"))),
    Mistake("convbw-dw-filters-and-channels-swapped", "conv2d_backward",
            variant(_CONV, ("    dw = np.zeros_like(w)\n", "    dw = np.zeros((C, K, FH, FW))\n"),
                     ('dw[:, :, m, l] = np.einsum("nkij,ncij->kc"', 'dw[:, :, m, l] = np.einsum("nkij,ncij->ck"'),
                     ("    return dx, dw, db", "    return dx, dw.reshape(K, C, FH, FW), db"))),
    Mistake("convbw-dout-not-checked", "conv2d_backward",
            variant(_CONV, ("    if dout.shape != (N, K, H2, W2):\n"
                             "        raise ValueError(f\"dout must have shape {(N, K, H2, W2)}, got {dout.shape}\")\n",
                             ""))),
    # max_pool2d_backward
    Mistake("maxbw-overlaps-overwritten", "max_pool2d_backward",
            variant(_MAX, ("kernel_size] += \\", "kernel_size] = \\"))),
    Mistake("maxbw-ties-all-get-gradient", "max_pool2d_backward",
            variant(_MAX, ("""
            flat = window.reshape(N, C, -1)
            first = flat.argmax(axis=2)
            mask = np.zeros_like(flat)
            np.put_along_axis(mask, first[:, :, None], 1.0, axis=2)
            mask = mask.reshape(window.shape)
""", _MAX_ALL_TIES))),
    Mistake("maxbw-ties-split", "max_pool2d_backward",
            variant(_MAX, ("""
            flat = window.reshape(N, C, -1)
            first = flat.argmax(axis=2)
            mask = np.zeros_like(flat)
            np.put_along_axis(mask, first[:, :, None], 1.0, axis=2)
            mask = mask.reshape(window.shape)
""", _MAX_ALL_TIES + "            mask /= mask.sum(axis=(2, 3), keepdims=True)\n"))),
    Mistake("maxbw-ties-last-maximum", "max_pool2d_backward",
            variant(_MAX, ("first = flat.argmax(axis=2)",
                            "first = flat.shape[2] - 1 - flat[:, :, ::-1].argmax(axis=2)"))),
    Mistake("maxbw-stride-ignored", "max_pool2d_backward",
            variant(_MAX, ("window = x[:, :, i * stride:i * stride + kernel_size, j * stride:j * stride + kernel_size]",
                            "window = x[:, :, i:i + kernel_size, j:j + kernel_size]"),
                     ("dx[:, :, i * stride:i * stride + kernel_size, j * stride:j * stride + kernel_size] +=",
                      "dx[:, :, i:i + kernel_size, j:j + kernel_size] +="))),
    # avg_pool2d_backward
    Mistake("avgbw-divides-by-kernel-size", "avg_pool2d_backward",
            variant(_AVG, ("/ kernel_size ** 2", "/ kernel_size"))),
    Mistake("avgbw-overlaps-overwritten", "avg_pool2d_backward",
            variant(_AVG, ("kernel_size] += \\", "kernel_size] = \\"))),
    # relu_backward
    Mistake("relubw-derivative-one-at-zero", "relu_backward", variant(_RELU, ("(x > 0)", "(x >= 0)"))),
    Mistake("relubw-masked-by-dout", "relu_backward", variant(_RELU, ("(x > 0)", "(dout > 0)"))),
    # batchnorm2d_forward
    Mistake("bn-unbiased-variance", "batchnorm2d_forward",
            variant(_BN_FORWARD, ("var = x.var(axis=(0, 2, 3), keepdims=True)",
                                   "var = x.var(axis=(0, 2, 3), keepdims=True, ddof=1)"))),
    Mistake("bn-statistics-over-batch-only", "batchnorm2d_forward",
            variant(_BN_FORWARD, ("mean = x.mean(axis=(0, 2, 3), keepdims=True)", "mean = x.mean(axis=0, keepdims=True)"),
                     ("var = x.var(axis=(0, 2, 3), keepdims=True)", "var = x.var(axis=0, keepdims=True)"))),
    Mistake("bn-statistics-per-image", "batchnorm2d_forward",
            variant(_BN_FORWARD, ("mean = x.mean(axis=(0, 2, 3), keepdims=True)",
                                   "mean = x.mean(axis=(1, 2, 3), keepdims=True)"),
                     ("var = x.var(axis=(0, 2, 3), keepdims=True)", "var = x.var(axis=(1, 2, 3), keepdims=True)"))),
    Mistake("bn-eps-outside-sqrt", "batchnorm2d_forward",
            variant(_BN_FORWARD, ("np.sqrt(var + eps)", "(np.sqrt(var) + eps)"))),
    # batchnorm2d_backward
    Mistake("bnbw-dgamma-without-xhat", "batchnorm2d_backward",
            variant(_BN_BACKWARD, ("dgamma = (dout * xhat).sum(axis=axes)", "dgamma = dout.sum(axis=axes)"))),
    Mistake("bnbw-dbeta-averaged", "batchnorm2d_backward",
            variant(_BN_BACKWARD, ("dbeta = dout.sum(axis=axes)", "dbeta = dout.mean(axis=axes)"))),
    Mistake("bnbw-dx-without-mean-and-variance", "batchnorm2d_backward",
            variant(_BN_BACKWARD, ("dx = dxhat / np.sqrt(var + eps) + dvar * 2 * (x - mean) / m + dmean / m",
                                    "dx = dxhat / np.sqrt(var + eps)"))),
    Mistake("bnbw-dx-without-variance", "batchnorm2d_backward",
            variant(_BN_BACKWARD, ("dx = dxhat / np.sqrt(var + eps) + dvar * 2 * (x - mean) / m + dmean / m",
                                    "dx = dxhat / np.sqrt(var + eps) + dmean / m"))),
    Mistake("bnbw-unbiased-variance", "batchnorm2d_backward",
            variant(_BN_BACKWARD, ("var = x.var(axis=axes, keepdims=True)",
                                    "var = x.var(axis=axes, keepdims=True, ddof=1)"))),
    # small_cnn_loss
    Mistake("cnn-loss-summed", "small_cnn_loss",
            variant(_CNN, ("np.log(probs[np.arange(N), y]).mean()", "np.log(probs[np.arange(N), y]).sum()"),
                     ("    dscores /= N\n", ""))),
    Mistake("cnn-softmax-gradient-without-label-term", "small_cnn_loss",
            variant(_CNN, ("    dscores[np.arange(N), y] -= 1.0\n", ""))),
    Mistake("cnn-pool-gradient-unflattened-in-wrong-order", "small_cnn_loss",
            variant(_CNN, ("dp = (dscores @ w2.T).reshape(p.shape)",
                            "dp = (dscores @ w2.T).reshape(N, p.shape[2], p.shape[3], -1).transpose(0, 3, 1, 2)"))),
]
