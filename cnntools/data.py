"""Data sets that need no network: procedural shapes drawn by code, and scikit-learn's bundled 8x8 digits.

``make_shapes`` draws ten kinds of object (:data:`SHAPE_CLASSES`) on noisy backgrounds, with a random size, rotation
and colour, either at a random place or at the centre of the image. Because the objects are drawn by code, the same
seed always gives the same images, any number of them, and a test set can be moved by a few pixels to ask whether a
model recognises an object it has only seen elsewhere.

For students with a network there are also MNIST and CIFAR-10 readers. They never download unless asked
(``download=True``), and they check every file against its published SHA-256 sum before reading it.
"""
import gzip
import hashlib
import os
import pickle
import tarfile
import urllib.request
from pathlib import Path

import numpy as np

SHAPE_CLASSES = ("circle", "square", "triangle", "cross", "ring",
                 "diamond", "star", "horizontal bar", "vertical bar", "L-shape")
"""Class names of :func:`make_shapes`, indexed by label."""


# --------------------------------------------------------------------------------------------------------------------
# Procedural shapes
# --------------------------------------------------------------------------------------------------------------------
# Every shape is a signed distance d(u, v) in the object's own frame, where the object spans about [-1, 1]:
# negative inside, positive outside, in units of the object's radius. Multiplying by the radius in pixels gives a
# distance in pixels, and clip(0.5 - d_px, 0, 1) is the pixel's coverage, anti-aliased over about one pixel.

def _box(u, v, half_u, half_v, cu=0.0, cv=0.0):
    qu, qv = np.abs(u - cu) - half_u, np.abs(v - cv) - half_v
    outside = np.hypot(np.maximum(qu, 0.0), np.maximum(qv, 0.0))
    return outside + np.minimum(np.maximum(qu, qv), 0.0)


def _circle(u, v):
    return np.hypot(u, v) - 0.9


def _square(u, v):
    return _box(u, v, 0.72, 0.72)


def _triangle(u, v):
    # equilateral, circumradius 1, pointing up (v grows downwards, as image rows do)
    d = v - 0.5                                   # bottom edge, outward normal (0, 1)
    for angle in (np.deg2rad(-30.0), np.deg2rad(210.0)):
        d = np.maximum(d, np.cos(angle) * u + np.sin(angle) * v - 0.5)
    return d


def _cross(u, v):
    return np.minimum(_box(u, v, 0.92, 0.27), _box(u, v, 0.27, 0.92))


def _ring(u, v):
    return np.abs(np.hypot(u, v) - 0.68) - 0.24


def _diamond(u, v):
    # a rhombus taller than wide, so that a small rotation never turns it into a square
    a, b = 0.62, 0.98
    return (b * np.abs(u) + a * np.abs(v) - a * b) / np.hypot(a, b)


def _star(u, v):
    r, theta = np.hypot(u, v), np.arctan2(v, u) + np.pi / 2
    sector = 2 * np.pi / 5
    t = np.abs(np.mod(theta, sector) / sector * 2.0 - 1.0)        # 1 at a point, 0 between two points
    return r - (0.42 + 0.58 * t)


def _hbar(u, v):
    return _box(u, v, 0.95, 0.26)


def _vbar(u, v):
    return _box(u, v, 0.26, 0.95)


def _lshape(u, v):
    return np.minimum(_box(u, v, 0.26, 0.92, cu=-0.5), _box(u, v, 0.76, 0.26, cu=0.0, cv=0.66))


_SDF = (_circle, _square, _triangle, _cross, _ring, _diamond, _star, _hbar, _vbar, _lshape)


def _shift_pair(shift):
    if shift is None:
        return 0.0, 0.0
    if np.ndim(shift) == 0:
        return 0.0, float(shift)
    dy, dx = shift
    return float(dy), float(dx)


def make_shapes(n, seed=0, size=32, shift=0, centered=False, noise=0.06, max_rotation=20.0,
                scale=(0.2, 0.3)):
    """Draw ``n`` labelled images of simple shapes, the same ones for the same arguments.

    n:            number of images; labels are balanced (each class ``n // 10`` or ``n // 10 + 1`` times) and
                  in random order
    seed:         seed of the random generator (positions, sizes, rotations, colours, noise)
    size:         side of the square image in pixels (``H = W = size``)
    shift:        pixels by which every object is moved after its position is drawn: an int moves it right,
                  a pair ``(dy, dx)`` moves it down by ``dy`` and right by ``dx``. The same seed with a different
                  shift gives the same objects, moved.
    centered:     True puts every object's centre at the centre of the image; False (default) at a random place
                  where it fits entirely
    noise:        standard deviation of the Gaussian pixel noise added to the background and the object
    max_rotation: objects are rotated by a uniform random angle in ``[-max_rotation, max_rotation]`` degrees (kept
                  small so that a horizontal bar never becomes a vertical one, nor a square a diamond)
    scale:        range of the object's radius as a fraction of ``size``

    Returns ``(images, labels)``: ``images`` float32 of shape ``(n, 3, size, size)`` with values in ``[0, 1]``,
    ``labels`` int64 of shape ``(n,)`` indexing :data:`SHAPE_CLASSES`.
    """
    if n < 0 or int(n) != n:
        raise ValueError(f"n must be a non-negative int, got {n!r}")
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels, got {size!r}")
    n, size = int(n), int(size)
    rng = np.random.default_rng(seed)
    k = len(SHAPE_CLASSES)
    labels = rng.permutation(np.arange(n) % k).astype(np.int64)

    radius = rng.uniform(scale[0], scale[1], n) * size                       # pixels
    margin = np.minimum(radius * 1.05 + 0.5, size / 2)
    cy = np.where(centered, (size - 1) / 2, rng.uniform(margin, size - 1 - margin))
    cx = np.where(centered, (size - 1) / 2, rng.uniform(margin, size - 1 - margin))
    dy, dx = _shift_pair(shift)
    cy, cx = cy + dy, cx + dx
    angle = np.deg2rad(rng.uniform(-max_rotation, max_rotation, n))
    background = rng.uniform(0.0, 0.35, (n, 3))
    foreground = rng.uniform(0.55, 1.0, (n, 3))
    pixel_noise = rng.normal(0.0, noise, (n, 3, size, size)) if noise else np.zeros((n, 3, size, size))

    rows, cols = np.mgrid[0:size, 0:size].astype(np.float64)
    coverage = np.zeros((n, size, size))
    for label, sdf in enumerate(_SDF):
        idx = np.flatnonzero(labels == label)
        if idx.size == 0:
            continue
        ry = rows[None] - cy[idx, None, None]
        rx = cols[None] - cx[idx, None, None]
        c, s = np.cos(angle[idx])[:, None, None], np.sin(angle[idx])[:, None, None]
        r = radius[idx, None, None]
        u, v = (c * rx + s * ry) / r, (-s * rx + c * ry) / r              # rotate the pixel grid into the object
        coverage[idx] = np.clip(0.5 - sdf(u, v) * r, 0.0, 1.0)

    alpha = coverage[:, None]
    images = (1 - alpha) * background[:, :, None, None] + alpha * foreground[:, :, None, None] + pixel_noise
    return np.clip(images, 0.0, 1.0).astype(np.float32), labels


def balanced_subset(labels, per_class, seed=0):
    """Indices of ``per_class`` examples of every class present in ``labels`` (shape ``(N,)``), sorted.

    For "few labels" experiments. Raises ValueError when a class has fewer than ``per_class`` examples.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    chosen = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        if idx.size < per_class:
            raise ValueError(f"per_class={per_class} but class {c} has only {idx.size} examples")
        chosen.append(rng.choice(idx, per_class, replace=False))
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)


# --------------------------------------------------------------------------------------------------------------------
# scikit-learn digits (bundled with scikit-learn: no download)
# --------------------------------------------------------------------------------------------------------------------
def load_digits_tensors(size=32, channels=3, pad=6):
    """scikit-learn's 1,797 handwritten digits (8x8, bundled, offline) as torch tensors shaped for a CNN.

    size:     side of the output images; each 8x8 digit is upsampled (bilinear) to ``size - 2*pad`` and zero-padded
              by ``pad`` on every side, so that a digit covers about as much of the image as a shape of
              :func:`make_shapes` does. ``size=8, pad=0`` keeps the original pixels.
    channels: the grey digit is repeated over this many channels (3 to feed a model trained on RGB images)
    pad:      border in pixels, see ``size``

    Returns ``(images, labels)``: float32 ``(1797, channels, size, size)`` with values in ``[0, 1]`` (ink is bright,
    as the shapes are on their dark backgrounds) and int64 ``(1797,)`` digit labels 0-9.
    """
    import torch
    import torch.nn.functional as F

    inner = size - 2 * pad
    if inner < 1 or pad < 0:
        raise ValueError(f"size={size} leaves no room for the digit with pad={pad}")
    images, labels = _digits()
    x = torch.tensor(images, dtype=torch.float32).unsqueeze(1) / 16.0
    if inner != 8:
        x = F.interpolate(x, size=(inner, inner), mode="bilinear", align_corners=False)
    if pad:
        x = F.pad(x, (pad, pad, pad, pad))
    x = x.clamp_(0.0, 1.0).repeat(1, channels, 1, 1).contiguous()
    return x, torch.tensor(labels, dtype=torch.int64)


def _digits():
    """The digits as ``sklearn.datasets.load_digits`` gives them (images ``(1797, 8, 8)``, values 0-16, and labels),
    read from the file scikit-learn bundles, as its loader does, without importing scikit-learn (0.7 s)."""
    import importlib.util

    spec = importlib.util.find_spec("sklearn")
    if spec is None:
        raise ModuleNotFoundError("the digits come with scikit-learn: pip install scikit-learn")
    data = np.loadtxt(os.path.join(spec.submodule_search_locations[0], "datasets", "data", "digits.csv.gz"),
                      delimiter=",")
    return data[:, :-1].reshape(-1, 8, 8), data[:, -1].astype(np.int64)


def load_photo_patches(n, size=32, seed=0):
    """Random ``size`` x ``size`` crops of scikit-learn's two bundled sample photographs (bundled, offline).

    Real camera pixels at their own resolution, unlike the upsampled digits (whose neighbours are alike partly
    because interpolation made them so). Returns float32 ``(n, 3, size, size)`` with values in ``[0, 1]``; the
    same ``seed`` gives the same crops.
    """
    from sklearn.datasets import load_sample_images

    photos = [np.asarray(img, dtype=np.float32) / 255.0 for img in load_sample_images().images]   # (H, W, 3)
    rng = np.random.default_rng(seed)
    out = np.empty((n, 3, size, size), dtype=np.float32)
    for i in range(n):
        photo = photos[rng.integers(len(photos))]
        r = rng.integers(photo.shape[0] - size + 1)
        c = rng.integers(photo.shape[1] - size + 1)
        out[i] = photo[r:r + size, c:c + size].transpose(2, 0, 1)
    return out


# --------------------------------------------------------------------------------------------------------------------
# MNIST and CIFAR-10 for students with a network: verified by SHA-256, downloaded only when asked
# --------------------------------------------------------------------------------------------------------------------
MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_FILE = "cifar-10-python.tar.gz"
CIFAR10_SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


class ChecksumError(ValueError):
    """A data file's SHA-256 sum is not the published one (a truncated download, or another file)."""


def sha256sum(path):
    """Hex SHA-256 digest of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_sha256(path, expected):
    """Raise :class:`ChecksumError` unless the file at ``path`` has the hex SHA-256 digest ``expected``."""
    got = sha256sum(path)
    if got != expected.lower():
        raise ChecksumError(f"{path}: SHA-256 is {got}, expected {expected}; delete the file and download it again")


def fetch(url, path, sha256, download=False):
    """Return ``path`` after checking its SHA-256; download it from ``url`` first only when missing and ``download``.

    Without ``download=True`` nothing is ever fetched: a missing file raises FileNotFoundError saying where to put it.
    A downloaded file is checked before it replaces ``path``, so a failed download leaves nothing behind.
    """
    path = Path(path)
    if not path.exists():
        if not download:
            raise FileNotFoundError(f"{path} is missing: pass download=True (needs a network), or copy {url} there")
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        with urllib.request.urlopen(url, timeout=60) as response, open(partial, "wb") as out:
            for block in iter(lambda: response.read(1 << 20), b""):
                out.write(block)
        try:
            verify_sha256(partial, sha256)
        except ChecksumError:
            partial.unlink()
            raise
        os.replace(partial, path)
    verify_sha256(path, sha256)
    return path


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    array = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if array.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header says {shape} but holds {array.size} bytes")
    return array.reshape(shape)


def load_mnist(root, train=True, download=False, checksums=None):
    """MNIST digits from the four IDX files in ``root``, each verified by SHA-256 before it is read.

    Returns ``(images, labels)``: float32 ``(N, 1, 28, 28)`` in ``[0, 1]`` and int64 ``(N,)``; N is 60,000 for
    ``train`` and 10,000 otherwise. ``checksums`` overrides :data:`MNIST_FILES` (tests use it on small files).
    """
    checksums = MNIST_FILES if checksums is None else checksums
    prefix = "train" if train else "t10k"
    arrays = []
    for kind in ("images-idx3", "labels-idx1"):
        name = f"{prefix}-{kind}-ubyte.gz"
        arrays.append(_read_idx(fetch(MNIST_URL + name, Path(root) / name, checksums[name], download)))
    images, labels = arrays
    return (images[:, None].astype(np.float32) / 255.0), labels.astype(np.int64)


def load_cifar10(root, train=True, download=False, sha256=CIFAR10_SHA256):
    """CIFAR-10 from ``root/cifar-10-python.tar.gz``, verified by SHA-256 and read without unpacking it to disk.

    Returns ``(images, labels)``: float32 ``(N, 3, 32, 32)`` in ``[0, 1]`` and int64 ``(N,)`` indexing
    :data:`CIFAR10_CLASSES`; N is 50,000 for ``train`` and 10,000 otherwise.
    """
    path = fetch(CIFAR10_URL, Path(root) / CIFAR10_FILE, sha256, download)
    wanted = [f"data_batch_{i}" for i in range(1, 6)] if train else ["test_batch"]
    batches = {}
    with tarfile.open(path, "r:gz") as tar:
        for member in tar.getmembers():
            name = member.name.rsplit("/", 1)[-1]
            if member.isfile() and name in wanted:
                # the archive's own sum was verified above, so unpickling its members is as safe as the archive
                batches[name] = pickle.load(tar.extractfile(member), encoding="bytes")
    missing = [w for w in wanted if w not in batches]
    if missing:
        raise ValueError(f"{path} lacks {missing}")
    images = np.concatenate([batches[w][b"data"] for w in wanted]).reshape(-1, 3, 32, 32)
    labels = np.concatenate([np.asarray(batches[w][b"labels"]) for w in wanted])
    return images.astype(np.float32) / 255.0, labels.astype(np.int64)
