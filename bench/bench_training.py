"""Benchmark (not a test): how fast does the course's training loop train, against a plain loop and a hand-tuned one?

Three loops train the same SmallCNN on the same procedural shapes, with the same batch size, optimizer and seed:

* ``plain``: what a first PyTorch script does: a DataLoader over CPU tensors, a host-to-device copy of every batch,
  float32, and ``loss.item()`` after every step (which waits for the GPU);
* ``course``: ``cnntools.train.fit`` (data on the device once, AMP and channels-last on CUDA, one sync per epoch);
* ``tuned``: a loop written for speed: data on the device, channels-last, bf16 autocast (fp16 + GradScaler where bf16
  is missing), fused AdamW, whole batches only, and optionally ``torch.compile`` (``--compile``).

For each available device (the CPU always; CUDA or MPS when present) it prints the training throughput in images per
second (training steps only) and the wall time until the validation accuracy first reaches ``--target`` (training
and the per-epoch evaluation together). Run: ``python bench/bench_training.py [--device cpu] [--compile]``.
"""
import argparse
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnntools.data import make_shapes  # noqa: E402
from cnntools.models import SmallCNN  # noqa: E402
from cnntools.train import evaluate, fit  # noqa: E402


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def accuracy(model, x, y, device, batch_size=1024):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(y), batch_size):
            xb = x[i:i + batch_size].to(device)
            correct += (model(xb).argmax(1) == y[i:i + batch_size].to(device)).sum().item()
    model.train()
    return correct / len(y)


def plain_loop(model, train, val, device, epochs, batch_size, lr, target):
    """Returns (train seconds per epoch, [(wall seconds so far, val accuracy)] per epoch)."""
    x, y = train
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                                         generator=torch.Generator().manual_seed(0))
    model.to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    train_seconds, curve, wall = [], [], 0.0
    for _ in range(epochs):
        sync(device)
        start = time.perf_counter()
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss.item()
        sync(device)
        train_seconds.append(time.perf_counter() - start)
        acc = accuracy(model, *val, device)
        wall += time.perf_counter() - start
        curve.append((wall, acc))
        if acc >= target:
            break
    return train_seconds, curve


def course_loop(model, train, val, device, epochs, batch_size, lr, target):
    # fit has no early stop: run it one epoch at a time, carrying its optimizer over, and time each call
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    train_seconds, curve, wall = [], [], 0.0
    for epoch in range(epochs):
        sync(device)
        start = time.perf_counter()
        fit(model, train, None, epochs=1, batch_size=batch_size, optimizer=optimizer, device=device, seed=epoch,
            progress=False)
        sync(device)
        train_seconds.append(time.perf_counter() - start)
        _, acc = evaluate(model, val, batch_size=1024)
        wall += time.perf_counter() - start
        curve.append((wall, acc))
        if acc >= target:
            break
    return train_seconds, curve


def tuned_loop(model, train, val, device, epochs, batch_size, lr, target, compile_model=False):
    cuda = device.type == "cuda"
    amp_dtype = torch.bfloat16 if (not cuda or torch.cuda.is_bf16_supported()) else torch.float16
    amp = cuda
    memory_format = torch.channels_last if cuda else torch.contiguous_format
    x = train[0].to(device).contiguous(memory_format=memory_format)
    y = train[1].to(device)
    xv = val[0].to(device).contiguous(memory_format=memory_format)
    yv = val[1].to(device)
    model.to(device, memory_format=memory_format).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, fused=cuda)
    scaler = torch.amp.GradScaler("cuda", enabled=amp and amp_dtype == torch.float16)
    step_model = torch.compile(model) if compile_model else model
    generator = torch.Generator(device=device).manual_seed(0) if cuda else torch.Generator().manual_seed(0)
    n = len(y) - len(y) % batch_size        # whole batches only: one shape for the compiled graph
    train_seconds, curve, wall = [], [], 0.0
    for _ in range(epochs):
        sync(device)
        start = time.perf_counter()
        order = torch.randperm(len(y), device=device if cuda else "cpu", generator=generator).to(device)
        for i in range(0, n, batch_size):
            idx = order[i:i + batch_size]
            with torch.autocast(device.type, dtype=amp_dtype, enabled=amp):
                loss = F.cross_entropy(step_model(x[idx]), y[idx])
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        sync(device)
        train_seconds.append(time.perf_counter() - start)
        acc = accuracy(model, xv, yv, device)
        wall += time.perf_counter() - start
        curve.append((wall, acc))
        if acc >= target:
            break
    return train_seconds, curve


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", action="append", help="cpu, cuda or mps (repeatable); default: every one present")
    parser.add_argument("--n-train", type=int, default=None, help="training images (default 4000 CPU, 40000 GPU)")
    parser.add_argument("--n-val", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=8, help="most epochs per run")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--target", type=float, default=0.95, help="validation accuracy to reach")
    parser.add_argument("--compile", action="store_true", help="also run the tuned loop under torch.compile")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: PyTorch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    devices = args.device or (["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
                              + (["mps"] if torch.backends.mps.is_available() else []))
    if "cuda" not in devices:
        print("no CUDA GPU here: GPU figures were not measured", file=sys.stderr)
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} CPU threads, batch {args.batch_size}, "
          f"target {args.target:.0%}")
    print(f"{'device':6s} {'loop':14s} {'images/s':>10s} {'to target':>12s} {'epochs':>6s} {'final acc':>9s}")
    for name in devices:
        device = torch.device(name)
        n_train = args.n_train or (4000 if device.type == "cpu" else 40000)
        train = tuple(map(torch.from_numpy, make_shapes(n_train, seed=1)))
        val = tuple(map(torch.from_numpy, make_shapes(args.n_val, seed=2)))
        loops = [("plain", plain_loop), ("course fit", course_loop), ("tuned", tuned_loop)]
        if args.compile:
            loops.append(("tuned+compile", lambda *a: tuned_loop(*a, compile_model=True)))
        for label, loop in loops:
            # a short untimed run first: kernels are chosen, memory allocated, graphs compiled
            torch.manual_seed(0)
            warm = (train[0][:4 * args.batch_size], train[1][:4 * args.batch_size])
            loop(SmallCNN(), warm, val, device, 1, args.batch_size, args.lr, 2.0)
            torch.manual_seed(0)
            seconds, curve = loop(SmallCNN(), train, val, device, args.epochs, args.batch_size, args.lr, args.target)
            images_per_s = n_train * len(seconds) / sum(seconds)
            reached = next((wall for wall, acc in curve if acc >= args.target), None)
            to_target = f"{reached:10.1f} s" if reached is not None else f"{'not reached':>12s}"
            print(f"{name:6s} {label:14s} {images_per_s:10,.0f} {to_target} {len(curve):6d} {curve[-1][1]:9.3f}",
                  flush=True)


if __name__ == "__main__":
    main()
