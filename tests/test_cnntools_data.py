"""cnntools.data: the procedural shapes, the offline digits, and the checksum-verifying loaders (on small files the
tests write; nothing is downloaded)."""
import gzip
import hashlib
import io
import pickle
import tarfile

import numpy as np
import pytest

from cnntools import data
from cnntools.data import SHAPE_CLASSES, make_shapes


def test_shapes_types_shapes_and_range():
    x, y = make_shapes(25, seed=3, size=24)
    assert x.shape == (25, 3, 24, 24) and x.dtype == np.float32
    assert y.shape == (25,) and y.dtype == np.int64
    assert x.min() >= 0.0 and x.max() <= 1.0
    assert set(y.tolist()) <= set(range(len(SHAPE_CLASSES)))
    assert len(SHAPE_CLASSES) == 10 and len(set(SHAPE_CLASSES)) == 10


def test_shapes_seeded():
    a, b = make_shapes(40, seed=5), make_shapes(40, seed=5)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    c = make_shapes(40, seed=6)
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("n", [0, 7, 10, 103])
def test_shapes_classes_balanced(n):
    _, y = make_shapes(n, seed=1)
    counts = np.bincount(y, minlength=10)
    assert counts.sum() == n and counts.max() - counts.min() <= 1


def test_shapes_are_distinguishable():
    # the objects differ from the background, and the ten classes' mean images all differ
    x, y = make_shapes(200, seed=2, centered=True, noise=0.0)
    means = np.stack([x[y == k].mean(0) for k in range(10)])
    distances = np.abs(means[:, None] - means[None]).mean(axis=(2, 3, 4))
    assert (distances + np.eye(10) > 0.005).all()


def test_centered_and_shift_move_the_same_objects():
    x0, y0 = make_shapes(30, seed=4, centered=True, noise=0.0)
    x1, y1 = make_shapes(30, seed=4, centered=True, noise=0.0, shift=(0, 3))
    np.testing.assert_array_equal(y0, y1)
    # shifting the whole picture by 3 pixels to the right reproduces the shifted objects (away from the border)
    np.testing.assert_allclose(x1[..., 6:-6, 9:-3], x0[..., 6:-6, 6:-6], atol=1e-6)
    x2, _ = make_shapes(30, seed=4, centered=True, noise=0.0, shift=(2, 0))
    np.testing.assert_allclose(x2[..., 8:-4, 6:-6], x0[..., 6:-6, 6:-6], atol=1e-6)


def test_centered_objects_sit_in_the_middle():
    x, _ = make_shapes(50, seed=8, centered=True, noise=0.0)
    contrast = np.abs(x - x[:, :, :1, :1]).sum(1)                   # differs from the corner colour = object
    rows, cols = np.nonzero(contrast.mean(0) > 0.05)
    assert abs(rows.mean() - 15.5) < 1.0 and abs(cols.mean() - 15.5) < 1.0


def test_shapes_bad_arguments():
    with pytest.raises(ValueError, match="n"):
        make_shapes(-1)
    with pytest.raises(ValueError, match="size"):
        make_shapes(4, size=4)


def test_balanced_subset():
    y = np.repeat(np.arange(4), 10)
    idx = data.balanced_subset(y, 3, seed=1)
    assert np.bincount(y[idx]).tolist() == [3, 3, 3, 3]
    np.testing.assert_array_equal(idx, data.balanced_subset(y, 3, seed=1))
    with pytest.raises(ValueError, match="per_class"):
        data.balanced_subset(y, 11)


def test_digits_offline():
    x, y = data.load_digits_tensors()
    assert tuple(x.shape) == (1797, 3, 32, 32) and str(x.dtype) == "torch.float32"
    assert tuple(y.shape) == (1797,) and str(y.dtype) == "torch.int64"
    assert float(x.min()) >= 0.0 and float(x.max()) <= 1.0
    assert float(x[:, :, :6].abs().max()) == 0.0                   # the padding is empty
    raw, _ = data.load_digits_tensors(size=8, channels=1, pad=0)
    from sklearn.datasets import load_digits
    np.testing.assert_allclose(raw[:, 0].numpy(), load_digits().images / 16.0, atol=1e-7)
    np.testing.assert_array_equal(y.numpy(), load_digits().target)


# ---- checksum-verifying loaders, on files written here --------------------------------------------------------------
def _idx_gz(path, array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_mnist_reads_verified_files(tmp_path):
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (5, 28, 28)), rng.integers(0, 10, 5)
    sums = {"t10k-images-idx3-ubyte.gz": _idx_gz(tmp_path / "t10k-images-idx3-ubyte.gz", images),
            "t10k-labels-idx1-ubyte.gz": _idx_gz(tmp_path / "t10k-labels-idx1-ubyte.gz", labels)}
    x, y = data.load_mnist(tmp_path, train=False, checksums=sums)
    assert x.shape == (5, 1, 28, 28) and x.dtype == np.float32
    np.testing.assert_allclose(x[:, 0] * 255, images, atol=1e-4)
    np.testing.assert_array_equal(y, labels)


def test_mnist_rejects_a_corrupted_file(tmp_path):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (2, 28, 28))
    sums = {"t10k-images-idx3-ubyte.gz": _idx_gz(tmp_path / "t10k-images-idx3-ubyte.gz", images),
            "t10k-labels-idx1-ubyte.gz": _idx_gz(tmp_path / "t10k-labels-idx1-ubyte.gz", np.array([1, 2]))}
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    corrupted = bytearray(path.read_bytes())
    corrupted[-3] ^= 0xFF
    path.write_bytes(bytes(corrupted))
    with pytest.raises(data.ChecksumError, match="SHA-256"):
        data.load_mnist(tmp_path, train=False, checksums=sums)


def test_the_real_checksums_reject_a_stand_in(tmp_path):
    # a small file under the real name fails the published checksum, and nothing is downloaded
    _idx_gz(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((1, 28, 28)))
    _idx_gz(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(1))
    with pytest.raises(data.ChecksumError):
        data.load_mnist(tmp_path, train=False)


def test_missing_file_is_not_downloaded(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("tried to download")
    monkeypatch.setattr(data.urllib.request, "urlopen", no_network)
    with pytest.raises(FileNotFoundError, match="download=True"):
        data.load_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="download=True"):
        data.load_cifar10(tmp_path)


def test_fetch_checks_a_download_before_keeping_it(tmp_path, monkeypatch):
    payload = b"not what was published"
    monkeypatch.setattr(data.urllib.request, "urlopen", lambda url, timeout: io.BytesIO(payload))
    target = tmp_path / "file.bin"
    with pytest.raises(data.ChecksumError):
        data.fetch("https://example.invalid/file.bin", target, "0" * 64, download=True)
    assert not target.exists() and not list(tmp_path.iterdir())
    good = hashlib.sha256(payload).hexdigest()
    assert data.fetch("https://example.invalid/file.bin", target, good, download=True) == target
    assert target.read_bytes() == payload


def test_cifar10_reads_a_verified_archive(tmp_path):
    rng = np.random.default_rng(2)
    pixels, labels = rng.integers(0, 256, (3, 3072), dtype=np.uint8), [4, 0, 9]
    member = pickle.dumps({b"data": pixels, b"labels": labels})
    archive = tmp_path / data.CIFAR10_FILE
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("cifar-10-batches-py/test_batch")
        info.size = len(member)
        tar.addfile(info, io.BytesIO(member))
    x, y = data.load_cifar10(tmp_path, train=False, sha256=hashlib.sha256(archive.read_bytes()).hexdigest())
    assert x.shape == (3, 3, 32, 32) and y.tolist() == labels
    np.testing.assert_allclose(x.reshape(3, -1) * 255, pixels, atol=1e-4)
    with pytest.raises(data.ChecksumError):
        data.load_cifar10(tmp_path, train=False)                    # the published sum of the real archive
