"""Wrong answers to the forward-pass assignment: each is a correct function with one plausible mistake."""
from . import Mistake, variant


_NAIVE = '''
def conv2d_forward_naive(x, w, b, stride=1, padding=0):
    x, w, b = (np.asarray(a, dtype=np.float64) for a in (x, w, b))
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W), got {x.shape}")
    if w.ndim != 4 or w.shape[1] != x.shape[1]:
        raise ValueError(f"w must have shape (K, C, FH, FW) matching x, got {w.shape}")
    if b.shape != (w.shape[0],):
        raise ValueError(f"b must have shape (K,), got {b.shape}")
    require_int("stride", stride, 1)
    require_int("padding", padding, 0)
    N, C, H, W = x.shape
    K, _, FH, FW = w.shape
    H2 = (H + 2 * padding - FH) // stride + 1
    W2 = (W + 2 * padding - FW) // stride + 1
    if H2 < 1 or W2 < 1:
        raise ValueError("the filters w do not fit in the padded input x")
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out = np.zeros((N, K, H2, W2))
    for n in range(N):
        for k in range(K):
            for i in range(H2):
                for j in range(W2):
                    window = xp[n, :, i * stride:i * stride + FH, j * stride:j * stride + FW]
                    out[n, k, i, j] = np.sum(window * w[k]) + b[k]
    return out
'''

_CONV = '''
def conv2d_forward(x, w, b, stride=1, padding=0, dilation=1):
    x, w, b = (np.asarray(a, dtype=np.float64) for a in (x, w, b))
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W), got {x.shape}")
    if w.ndim != 4 or w.shape[1] != x.shape[1]:
        raise ValueError(f"w must have shape (K, C, FH, FW) matching x, got {w.shape}")
    if b.shape != (w.shape[0],):
        raise ValueError(f"b must have shape (K,), got {b.shape}")
    require_int("stride", stride, 1)
    require_int("padding", padding, 0)
    require_int("dilation", dilation, 1)
    K, C, FH, FW = w.shape
    span_h, span_w = dilation * (FH - 1) + 1, dilation * (FW - 1) + 1
    if span_h > x.shape[2] + 2 * padding or span_w > x.shape[3] + 2 * padding:
        raise ValueError("the filters w do not fit in the padded input x")
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, (span_h, span_w), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride, ::dilation, ::dilation]
    out = np.einsum("nchwml,kcml->nkhw", windows, w)
    return out + b[:, None, None]
'''

_POOL = '''
def {name}(x, kernel_size=2, stride=2):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W), got {{x.shape}}")
    require_int("kernel_size", kernel_size, 1)
    require_int("stride", stride, 1)
    N, C, H, W = x.shape
    if kernel_size > H or kernel_size > W:
        raise ValueError("kernel_size is larger than the input x")
    H2, W2 = (H - kernel_size) // stride + 1, (W - kernel_size) // stride + 1
    windows = np.lib.stride_tricks.sliding_window_view(x, (kernel_size, kernel_size), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride]
    return windows.{reduce}(axis=(4, 5))
'''
_MAX_POOL = _POOL.format(name="max_pool2d_forward", reduce="max")
_AVG_POOL = _POOL.format(name="avg_pool2d_forward", reduce="mean")
# Pooling written the way many first attempts are: windows side by side, found by a reshape.
_TILED = '''
def {name}(x, kernel_size=2, stride=2):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W), got {{x.shape}}")
    require_int("kernel_size", kernel_size, 1)
    require_int("stride", stride, 1)
    N, C, H, W = x.shape
    if kernel_size > H or kernel_size > W:
        raise ValueError("kernel_size is larger than the input x")
    H2, W2 = H // kernel_size, W // kernel_size
    blocks = x[:, :, :H2 * kernel_size, :W2 * kernel_size].reshape(N, C, H2, kernel_size, W2, kernel_size)
    return blocks.{reduce}(axis=(3, 5))
'''

MISTAKES = [
    # conv2d_forward_naive
    Mistake("naive-kernel-flipped", "conv2d_forward_naive",
            variant(_NAIVE, ("np.sum(window * w[k])", "np.sum(window * w[k, :, ::-1, ::-1])"))),
    Mistake("naive-padding-one-side", "conv2d_forward_naive",
            variant(_NAIVE, ("(padding, padding), (padding, padding)", "(0, 2 * padding), (0, 2 * padding)"))),
    Mistake("naive-padding-doubled", "conv2d_forward_naive",
            variant(_NAIVE, ("(padding, padding), (padding, padding)",
                              "(2 * padding, 2 * padding), (2 * padding, 2 * padding)"))),
    Mistake("naive-stride-ignored-in-windows", "conv2d_forward_naive",
            variant(_NAIVE, ("xp[n, :, i * stride:i * stride + FH, j * stride:j * stride + FW]",
                              "xp[n, :, i:i + FH, j:j + FW]"))),
    Mistake("naive-bias-missing", "conv2d_forward_naive",
            variant(_NAIVE, ("np.sum(window * w[k]) + b[k]", "np.sum(window * w[k])"))),
    Mistake("naive-bias-inside-sum", "conv2d_forward_naive",
            variant(_NAIVE, ("np.sum(window * w[k]) + b[k]", "np.sum(window * w[k] + b[k])"))),
    Mistake("naive-no-argument-checks", "conv2d_forward_naive",
            variant(_NAIVE, ('    require_int("stride", stride, 1)\n', ""),
                     ('    require_int("padding", padding, 0)\n', ""))),
    # conv2d_forward
    Mistake("conv-dilation-ignored", "conv2d_forward",
            variant(_CONV, ("span_h, span_w = dilation * (FH - 1) + 1, dilation * (FW - 1) + 1",
                             "span_h, span_w = FH, FW"),
                     ("::stride, ::stride, ::dilation, ::dilation", "::stride, ::stride"))),
    Mistake("conv-dilation-span-too-long", "conv2d_forward",
            variant(_CONV, ("span_h, span_w = dilation * (FH - 1) + 1, dilation * (FW - 1) + 1",
                             "span_h, span_w = dilation * FH, dilation * FW"))),
    Mistake("conv-stride-ignored", "conv2d_forward",
            variant(_CONV, ("::stride, ::stride, ::dilation, ::dilation", ":, :, ::dilation, ::dilation"))),
    Mistake("conv-output-transposed", "conv2d_forward",
            variant(_CONV, ('"nchwml,kcml->nkhw"', '"nchwml,kcml->nkwh"'))),
    Mistake("conv-kernel-flipped", "conv2d_forward",
            variant(_CONV, ("windows, w)", "windows, w[:, :, ::-1, ::-1])"))),
    Mistake("conv-bias-on-last-axis", "conv2d_forward",
            variant(_CONV, ("return out + b[:, None, None]", "return out + b"))),
    Mistake("conv-no-argument-checks", "conv2d_forward",
            variant(_CONV, ('    require_int("stride", stride, 1)\n', ""),
                     ('    require_int("padding", padding, 0)\n', ""),
                     ('    require_int("dilation", dilation, 1)\n', ""))),
    # max_pool2d_forward
    Mistake("maxpool-windows-side-by-side", "max_pool2d_forward",
            _TILED.format(name="max_pool2d_forward", reduce="max")),
    Mistake("maxpool-starts-from-zero", "max_pool2d_forward", '''
def max_pool2d_forward(x, kernel_size=2, stride=2):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W), got {x.shape}")
    require_int("kernel_size", kernel_size, 1)
    require_int("stride", stride, 1)
    N, C, H, W = x.shape
    if kernel_size > H or kernel_size > W:
        raise ValueError("kernel_size is larger than the input x")
    H2, W2 = (H - kernel_size) // stride + 1, (W - kernel_size) // stride + 1
    out = np.zeros((N, C, H2, W2))
    for m in range(kernel_size):
        for l in range(kernel_size):
            out = np.maximum(out, x[:, :, m:m + stride * (H2 - 1) + 1:stride, l:l + stride * (W2 - 1) + 1:stride])
    return out
'''),
    Mistake("maxpool-extra-window-for-leftovers", "max_pool2d_forward",
            variant(_MAX_POOL, ("H2, W2 = (H - kernel_size) // stride + 1, (W - kernel_size) // stride + 1\n",
                                 "H2, W2 = -(-(H - kernel_size) // stride) + 1, -(-(W - kernel_size) // stride) + 1\n"
                                 "    x = np.pad(x, ((0, 0), (0, 0), (0, (H2 - 1) * stride + kernel_size - H),\n"
                                 "                   (0, (W2 - 1) * stride + kernel_size - W)))\n"))),
    # avg_pool2d_forward
    Mistake("avgpool-divides-by-kernel-size", "avg_pool2d_forward",
            variant(_AVG_POOL, ("return windows.mean(axis=(4, 5))",
                                 "return windows.sum(axis=(4, 5)) / kernel_size"))),
    Mistake("avgpool-windows-side-by-side", "avg_pool2d_forward",
            _TILED.format(name="avg_pool2d_forward", reduce="mean")),
    # relu_forward
    Mistake("relu-np-max", "relu_forward", '''
def relu_forward(x):
    return np.max(x, 0)
'''),
]


# Edits of the solution's conv2d_forward: its contraction written other ways. Right answers all, and vectorized
# (a loop over the filter's taps is allowed): each keeps every point. The last one loops over output positions and
# must cost exactly the vectorization share.
_EINSUM = '    out = np.einsum("nchwml,kcml->nkhw", windows, w, optimize=True)\n'
OTHER_VECTORIZATIONS = {
    "tensordot": [(_EINSUM, "    out = np.tensordot(windows, w, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)\n")],
    "im2col-matmul": [(_EINSUM, "    N, H2, W2 = windows.shape[0], windows.shape[2], windows.shape[3]\n"
                                "    cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(N * H2 * W2, -1)\n"
                                "    out = (cols @ w.reshape(K, -1).T).reshape(N, H2, W2, K).transpose(0, 3, 1, 2)\n")],
    "loop-over-taps": [(_EINSUM, "    out = 0\n    for m in range(FH):\n        for l in range(FW):\n"
                                 "            out = out + np.einsum('nchw,kc->nkhw', windows[..., m, l],"
                                 " w[:, :, m, l])\n")],
}
LOOP_IN_VECTORIZED_SLOT = [(_EINSUM,
                            "    out = np.empty((x.shape[0], K, windows.shape[2], windows.shape[3]))\n"
                            "    for i in range(windows.shape[2]):\n"
                            "        for j in range(windows.shape[3]):\n"
                            "            out[:, :, i, j] = np.einsum('ncml,kcml->nk', windows[:, :, i, j], w)\n")]
