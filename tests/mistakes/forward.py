"""Wrong answers to the forward-pass assignment: each is the solution with one plausible mistake."""
from . import edits_of

edit = edits_of("forward")

_PAD = "(padding, padding), (padding, padding)"
_NAIVE_WINDOW = "np.sum(window * w[k]) + b[k]"
_SPAN = "span_h, span_w = dilation * (FH - 1) + 1, dilation * (FW - 1) + 1"
_STEPS = "::stride, ::stride, ::dilation, ::dilation"
# Pooling: the output size, and the slice of x that one tap (m, l) of every window reads.
_POOL_SIZE = "H2, W2 = (H - kernel_size) // stride + 1, (W - kernel_size) // stride + 1\n"
_TAP = "m:m + stride * (H2 - 1) + 1:stride, l:l + stride * (W2 - 1) + 1:stride"
# Windows side by side, as a reshape into blocks finds them: the stride taken to be the window's side.
_SIDE_BY_SIDE = [(_POOL_SIZE, "H2, W2 = H // kernel_size, W // kernel_size\n"),
                 (_TAP, "m:H2 * kernel_size:kernel_size, l:W2 * kernel_size:kernel_size")]
_CONV_CHECKS = [('    require_int("stride", stride, 1)\n', ""), ('    require_int("padding", padding, 0)\n', "")]

MISTAKES = [
    # conv2d_forward_naive
    edit("naive-kernel-flipped", "conv2d_forward_naive", ("window * w[k]", "window * w[k, :, ::-1, ::-1]")),
    edit("naive-padding-one-side", "conv2d_forward_naive", (_PAD, "(0, 2 * padding), (0, 2 * padding)")),
    edit("naive-padding-doubled", "conv2d_forward_naive",
            (_PAD, "(2 * padding, 2 * padding), (2 * padding, 2 * padding)")),
    edit("naive-stride-ignored-in-windows", "conv2d_forward_naive",
            ("i * stride:i * stride + FH, j * stride:j * stride + FW", "i:i + FH, j:j + FW")),
    edit("naive-bias-missing", "conv2d_forward_naive", (_NAIVE_WINDOW, "np.sum(window * w[k])")),
    edit("naive-bias-inside-sum", "conv2d_forward_naive", (_NAIVE_WINDOW, "np.sum(window * w[k] + b[k])")),
    edit("naive-no-argument-checks", "conv2d_forward_naive", *_CONV_CHECKS),
    # conv2d_forward
    edit("conv-dilation-ignored", "conv2d_forward", (_SPAN, "span_h, span_w = FH, FW"),
            (_STEPS, "::stride, ::stride")),
    edit("conv-dilation-span-too-long", "conv2d_forward", (_SPAN, "span_h, span_w = dilation * FH, dilation * FW")),
    edit("conv-stride-ignored", "conv2d_forward", (_STEPS, ":, :, ::dilation, ::dilation")),
    edit("conv-output-transposed", "conv2d_forward", ('"nchwml,kcml->nkhw"', '"nchwml,kcml->nkwh"')),
    edit("conv-kernel-flipped", "conv2d_forward", ("windows, w,", "windows, w[:, :, ::-1, ::-1],")),
    edit("conv-bias-on-last-axis", "conv2d_forward", ("return out + b[:, None, None]", "return out + b")),
    edit("conv-no-argument-checks", "conv2d_forward", *_CONV_CHECKS,
            ('    require_int("dilation", dilation, 1)\n', "")),
    # max_pool2d_forward
    edit("maxpool-windows-side-by-side", "max_pool2d_forward", *_SIDE_BY_SIDE),
    edit("maxpool-starts-from-zero", "max_pool2d_forward",
            ("np.full((N, C, H2, W2), -np.inf)", "np.zeros((N, C, H2, W2))")),
    edit("maxpool-averages", "max_pool2d_forward",  # each window's mean, the loop over its taps kept
            ("np.full((N, C, H2, W2), -np.inf)", "np.zeros((N, C, H2, W2))"),
            (f"np.maximum(out, x[:, :, {_TAP}], out=out)", f"out += x[:, :, {_TAP}] / kernel_size ** 2")),
    edit("maxpool-extra-window-for-leftovers", "max_pool2d_forward",
            (_POOL_SIZE, "H2, W2 = -(-(H - kernel_size) // stride) + 1, -(-(W - kernel_size) // stride) + 1\n"
                         "    x = np.pad(x, ((0, 0), (0, 0), (0, (H2 - 1) * stride + kernel_size - H),\n"
                         "                   (0, (W2 - 1) * stride + kernel_size - W)))\n")),
    # avg_pool2d_forward
    edit("avgpool-divides-by-kernel-size", "avg_pool2d_forward", ("out / kernel_size ** 2", "out / kernel_size")),
    edit("avgpool-windows-side-by-side", "avg_pool2d_forward", *_SIDE_BY_SIDE),
    # relu_forward
    edit("relu-np-max", "relu_forward", ("np.maximum(np.asarray(x, dtype=np.float64), 0.0)", "np.max(x, 0)")),
]


# Edits of the solution's conv2d_forward: its contraction written other ways. Right answers all, and vectorized
# (a loop over the filter's taps is allowed): each keeps every point. The last one loops over output positions and
# must cost exactly the vectorization share.
_EINSUM = '    out = np.einsum("nchwml,kcml->nkhw", windows, w, optimize=True)\n'
OTHER_VECTORIZATIONS = [
    edit("tensordot", "conv2d_forward",
         (_EINSUM, "    out = np.tensordot(windows, w, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)\n")),
    edit("im2col-matmul", "conv2d_forward",
         (_EINSUM, "    N, H2, W2 = windows.shape[0], windows.shape[2], windows.shape[3]\n"
                   "    cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(N * H2 * W2, -1)\n"
                   "    out = (cols @ w.reshape(K, -1).T).reshape(N, H2, W2, K).transpose(0, 3, 1, 2)\n")),
    edit("loop-over-taps", "conv2d_forward",
         (_EINSUM, "    out = 0\n    for m in range(FH):\n        for l in range(FW):\n"
                   "            out = out + np.einsum('nchw,kc->nkhw', windows[..., m, l], w[:, :, m, l])\n")),
]
LOOP_IN_VECTORIZED_SLOT = edit(
    "loop-in-vectorized-slot", "conv2d_forward",
    (_EINSUM, "    out = np.empty((x.shape[0], K, windows.shape[2], windows.shape[3]))\n"
              "    for i in range(windows.shape[2]):\n"
              "        for j in range(windows.shape[3]):\n"
              "            out[:, :, i, j] = np.einsum('ncml,kcml->nk', windows[:, :, i, j], w)\n"))
