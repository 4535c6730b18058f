"""How fast are the instructor's vectorized NumPy layers next to PyTorch on the CPU (float64)? Not a test: `make bench`.

The NumPy functions are the reference solutions: the setup and solution cells of solutions/forward/forward.ipynb and
solutions/backprop/backprop.ipynb, executed here into a namespace. Each row gives the best of several runs of the
NumPy function and of PyTorch, both with their libraries' default numbers of threads and both with one thread (on a
busy machine, threads that wait for a core can make the default much slower), and the ratios NumPy time / PyTorch
time. The targets: at most 1.5 for convolution, at most 2 for pooling.

max_pool2d_backward(dout, x) has to find each window's maximum again, so PyTorch's time for that row is its forward
pass with indices plus its backward pass; the other rows time PyTorch's operation alone.
"""
from pathlib import Path

import nbformat
import numpy as np
import torch
import torch.nn.functional as tnf
from threadpoolctl import threadpool_limits  # installed with scikit-learn

from cnntools.timing import best_time

REPO = Path(__file__).resolve().parent.parent
TARGETS = {"conv": 1.5, "pool": 2.0}


def load_solutions(assignment):
    """The namespace that the setup cells and the solution cells of an assignment's source notebook define."""
    namespace = {"__name__": f"solutions.{assignment}"}
    notebook = nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and (meta.get("solution") or meta.get("grade_id", "").startswith("setup_")):
            exec(compile(cell.source, f"{assignment}.ipynb:{meta['grade_id']}", "exec"), namespace)
    return namespace


def torch_max_pool_backward(dout, x, kernel_size, stride):
    """dL/dx from (dout, x), as max_pool2d_backward computes it: the forward pass's indices, then the backward."""
    _, indices = tnf.max_pool2d(x, kernel_size, stride, return_indices=True)
    return torch.ops.aten.max_pool2d_with_indices_backward(dout, x, [kernel_size] * 2, [stride] * 2, [0, 0], [1, 1],
                                                           False, indices)


def measure(function, args, seconds=0.5):
    """Best time of at least 9 runs, and of as many as fit in about `seconds` (the best of many runs is the least
    disturbed by whatever else the machine is doing)."""
    function(*args)  # warm up (first calls allocate and, in PyTorch, pick kernels)
    once = best_time(function, *args, repeat=1)
    return min(once, best_time(function, *args, repeat=max(9, min(200, int(seconds / max(once, 1e-6))))))


def row(label, kind, ours, theirs, our_args, their_args):
    threads = torch.get_num_threads()
    times = []  # NumPy, PyTorch; then both on one thread
    for one_thread in (False, True):
        with threadpool_limits(limits=1 if one_thread else None):
            torch.set_num_threads(1 if one_thread else threads)
            for function, args in ((ours, our_args), (theirs, their_args)):
                times.append(measure(function, args))
    torch.set_num_threads(threads)
    ratios = times[0] / times[1], times[2] / times[3]
    flag = "" if max(ratios) <= TARGETS[kind] else f"  over the target of {TARGETS[kind]}"
    print(f"  {label:<18} {times[0] * 1e3:8.2f} {times[1] * 1e3:8.2f} {ratios[0]:6.2f}   "
          f"{times[2] * 1e3:8.2f} {times[3] * 1e3:8.2f} {ratios[1]:6.2f}{flag}")


def main():
    fwd, bwd = load_solutions("forward"), load_solutions("backprop")
    rng = np.random.default_rng(0)
    print(f"NumPy {np.__version__}, PyTorch {torch.__version__} (default: {torch.get_num_threads()} threads), "
          "float64, best of many runs, times in ms; ratio = NumPy / PyTorch")
    for n, c, hw, k in [(50, 3, 32, 32), (64, 64, 16, 64)]:
        x, w, b = rng.standard_normal((n, c, hw, hw)), rng.standard_normal((k, c, 3, 3)), rng.standard_normal(k)
        xt, wt, bt = map(torch.from_numpy, (x, w, b))
        y = np.maximum(fwd["conv2d_forward"](x, w, b, padding=1), 0)
        yt = torch.from_numpy(y)
        dout = rng.standard_normal(y.shape)
        dpool = rng.standard_normal((n, k, hw // 2, hw // 2))
        print(f"\nx {x.shape}, w {w.shape} (padding 1); pooling 2x2, stride 2, on the output {y.shape}")
        print(f"  {'':<18} {'default threads':^24}   {'one thread':^24}")
        print(f"  {'':<18} {'NumPy':>8} {'torch':>8} {'ratio':>6}   {'NumPy':>8} {'torch':>8} {'ratio':>6}")
        row("conv forward", "conv", fwd["conv2d_forward"], tnf.conv2d, (x, w, b, 1, 1), (xt, wt, bt, 1, 1))
        row("conv backward", "conv", bwd["conv2d_backward"], torch.ops.aten.convolution_backward, (dout, x, w, 1, 1),
            (torch.from_numpy(dout), xt, wt, [k], [1, 1], [1, 1], [1, 1], False, [0, 0], 1, [True, True, True]))
        row("max pool forward", "pool", fwd["max_pool2d_forward"], tnf.max_pool2d, (y, 2, 2), (yt, 2, 2))
        row("max pool backward", "pool", bwd["max_pool2d_backward"], torch_max_pool_backward, (dpool, y, 2, 2),
            (torch.from_numpy(dpool), yt, 2, 2))
        row("avg pool forward", "pool", fwd["avg_pool2d_forward"], tnf.avg_pool2d, (y, 2, 2), (yt, 2, 2))
        row("avg pool backward", "pool", bwd["avg_pool2d_backward"], torch.ops.aten.avg_pool2d_backward,
            (dpool, y, 2, 2), (torch.from_numpy(dpool), yt, [2, 2], [2, 2], [0, 0], False, True, None))


if __name__ == "__main__":
    main()
