"""Files that a reader never sees half written, and digests of files."""
import hashlib
import os
import shutil
from pathlib import Path


def write_atomic(path, data):
    """Write text or bytes to `path` through a temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data.encode() if isinstance(data, str) else data)
    os.replace(tmp, path)


def replace_dir(new, target):
    """Put folder `new` at `target` with renames only, so a reader never sees a half-written folder."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.with_name(f".{target.name}.old")
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    if old.exists():
        shutil.rmtree(old)


def digest(paths):
    """sha256 over the contents of files, in the order given."""
    h = hashlib.sha256()
    for p in paths:
        h.update(Path(p).read_bytes())
    return h.hexdigest()
