"""Rebuild cnntools/weights/shapes_cnn.pt, the SmallCNN that cnntools.models.load_pretrained() returns.

    python scripts/pretrain_shapes.py            # train, write the checkpoint, print its SHA-256
    python scripts/pretrain_shapes.py --check    # train into memory only and compare with the committed file

It trains on the CPU with one thread and fixed seeds, so the same torch version on the same kind of CPU writes the
same bytes; another CPU or torch version may round differently and give another SHA-256 (and equally good weights).
About two minutes on one core.
"""
import argparse
import hashlib
import io
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cnntools.data import make_shapes  # noqa: E402
from cnntools.models import SHAPES_CNN_PATH, SHAPES_CNN_SHA256, SmallCNN, save_checkpoint  # noqa: E402
from cnntools.train import evaluate, fit  # noqa: E402

TRAIN = dict(n=20000, seed=101)
VAL = dict(n=2000, seed=102)
EPOCHS, BATCH, LR, WEIGHT_DECAY, SEED = 6, 128, 2e-3, 1e-4, 0


def build():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(SEED)
    train, val = make_shapes(**TRAIN), make_shapes(**VAL)
    model = SmallCNN(in_channels=3, num_classes=10, widths=(16, 32, 64), image_size=32)
    fit(model, train, val, epochs=EPOCHS, batch_size=BATCH, lr=LR, weight_decay=WEIGHT_DECAY, device="cpu",
        seed=SEED, desc="pretraining")
    val_loss, val_acc = evaluate(model, val)
    buffer = io.BytesIO()      # saved through a buffer so that the archive's inner name does not depend on the path
    save_checkpoint(model.eval(), buffer, meta={
        "data": f"cnntools.data.make_shapes(n={TRAIN['n']}, seed={TRAIN['seed']})",
        "epochs": EPOCHS, "batch_size": BATCH, "lr": LR, "weight_decay": WEIGHT_DECAY,
        "val_accuracy": round(val_acc, 4), "torch": torch.__version__.split("+")[0],
    })
    return buffer.getvalue(), val_acc


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare with the committed file instead of writing")
    parser.add_argument("--out", type=Path, default=SHAPES_CNN_PATH, help="where to write the checkpoint")
    args = parser.parse_args()
    start = time.perf_counter()
    data, val_acc = build()
    digest = hashlib.sha256(data).hexdigest()
    print(f"validation accuracy {val_acc:.4f}; {len(data)} bytes; sha256 {digest}; "
          f"{time.perf_counter() - start:.0f} s")
    if args.check:
        same = digest == SHAPES_CNN_SHA256
        print("matches cnntools.models.SHAPES_CNN_SHA256" if same else
              f"differs from cnntools.models.SHAPES_CNN_SHA256 = {SHAPES_CNN_SHA256}")
        sys.exit(0 if same else 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(f"wrote {args.out}")
    if digest != SHAPES_CNN_SHA256:
        print(f"put this in cnntools/models.py: SHAPES_CNN_SHA256 = \"{digest}\"")


if __name__ == "__main__":
    main()
