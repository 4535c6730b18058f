"""Step-through widgets for the book that run in the reader's browser: no server, no kernel, no outside request.

Each function computes every number it will show with ``torch`` (for every setting the reader can choose) and
returns an :class:`IPython.display.HTML` object: a self-contained ``<div>`` with inline CSS and an inline script
that only *animates* those numbers. The script also recomputes each multiply-add (or routed gradient) from the
input it was given and logs a console error if its result ever disagrees with torch's, which the browser tests
would catch.

* :func:`conv_stepper`: a filter sliding over a zero-padded input, with a chosen stride, padding and dilation; the
  output fills in cell by cell and each output's multiply-adds are written out.
* :func:`maxpool_backward_stepper`: max pooling's backward pass, window by window: each upstream gradient is
  routed to its window's maximum and added into dL/dX.
"""
import itertools
import json
from importlib import resources

import torch
import torch.nn.functional as F

__all__ = ["conv_stepper", "maxpool_backward_stepper"]

_counter = itertools.count()


def _html(kind, data):
    from IPython.display import HTML

    uid = f"cnnstep-{kind}-{next(_counter)}"
    css = resources.files("cnntools").joinpath("stepper.css").read_text()
    js = resources.files("cnntools").joinpath("stepper.js").read_text()
    payload = json.dumps(data, separators=(",", ":"))
    return HTML(f'<div class="cnnstep" id="{uid}" data-kind="{kind}"></div>\n<style>{css}</style>\n'
                f'<script>{js}\ncnnStepper(document.getElementById("{uid}"), {payload});</script>')


def conv_stepper(x, w, strides=(1, 2), paddings=(0, 1), dilations=(1, 2)):
    """An interactive 2-D convolution (one channel, no bias) of ``x`` ``(H, W)`` with the filter ``w`` ``(k, k)``.

    The reader picks a stride, padding and dilation from the given choices; for each combination the output
    ``(H2, W2)`` is computed here with ``F.conv2d``. Returns an ``IPython.display.HTML``.
    """
    x, w = torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(w, dtype=torch.float64)
    outputs = {}
    for s, p, d in itertools.product(strides, paddings, dilations):
        if x.shape[0] + 2 * p < d * (w.shape[0] - 1) + 1:
            continue                                    # the dilated filter does not fit
        out = F.conv2d(x[None, None], w[None, None], stride=s, padding=p, dilation=d)[0, 0]
        outputs[f"{s},{p},{d}"] = out.tolist()
    return _html("conv", {"x": x.tolist(), "w": w.tolist(), "strides": list(strides), "paddings": list(paddings),
                          "dilations": list(dilations), "outputs": outputs})


def maxpool_backward_stepper(x, upstream, settings=((2, 2), (3, 1))):
    """Max pooling's backward pass on ``x`` ``(H, W)``, one window at a time, for each ``(kernel, stride)`` setting.

    upstream: ``{(kernel, stride): dL/dO}``, or a function ``(H2, W2) -> dL/dO``; the upstream gradient of each
    setting, shaped like its pooled output. The pooled output, the index of each window's maximum and dL/dX are
    computed here with ``F.max_pool2d`` and autograd. Returns an ``IPython.display.HTML``.
    """
    x = torch.as_tensor(x, dtype=torch.float64)
    results = {}
    for k, s in settings:
        xg = x.clone().requires_grad_(True)
        out, idx = F.max_pool2d(xg[None, None], kernel_size=k, stride=s, return_indices=True)
        g = upstream[(k, s)] if isinstance(upstream, dict) else upstream(tuple(out.shape[2:]))
        g = torch.as_tensor(g, dtype=torch.float64)
        out[0, 0].backward(g)
        results[f"{k},{s}"] = {"out": out[0, 0].tolist(), "argmax": idx[0, 0].tolist(), "upstream": g.tolist(),
                               "dx": xg.grad.tolist()}
    return _html("maxpool", {"x": x.tolist(), "settings": [list(ks) for ks in settings], "results": results})
