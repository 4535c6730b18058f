"""Execute the book's notebook pages side by side, into the execution cache that `jupyter-book build` reads.

Jupyter Book executes the pages one after another (myst-nb's cache mode), on one core while the others wait; `make
book` runs this first, so that the pages whose code changed run here through jupyter-cache's own parallel executor,
one per core, and the build then finds each page's outputs in the cache, matched on its code as the build matches
them itself. A page that fails here is left out of the cache: the build executes it again and reports its error as it
always has.
"""
import os
import sys
from pathlib import Path

import yaml
from jupyter_cache import get_cache
from jupyter_cache.executors import load_executor
from jupyter_cache.readers import DEFAULT_READ_DATA
from myst_nb.core.read import is_myst_markdown_notebook

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "_build" / ".jupyter_cache"   # Jupyter Book's own place for it (execute.cache unset in _config.yml)
MYST = {"name": "myst_nb_md", "type": "plugin"}  # myst-nb's reader of MyST notebooks, as the build reads them


def pages(toc):
    """The files of the table of contents that are notebooks: .ipynb, or MyST markdown with a kernel."""
    entries = [toc["root"]] + [chapter["file"] for part in toc.get("parts", []) for chapter in part["chapters"]]
    for entry in entries:
        for path in (ROOT / f"{entry}.ipynb", ROOT / f"{entry}.md"):
            if path.suffix == ".ipynb" and path.exists():
                yield path, DEFAULT_READ_DATA
            elif path.exists() and is_myst_markdown_notebook(path.read_text(encoding="utf-8")):
                yield path, MYST


def main():
    # One page per core, so one thread for each kernel's NumPy and torch: with a thread per core each, the kernels'
    # thread pools fought over the cores (the 12 pages on 2 cores: 83 s -> 52 s, CPU time 135 -> 76 s).
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    cache = get_cache(str(CACHE))
    for path, reader in pages(toc):
        cache.add_nb_to_project(str(path), read_data=reader)
    result = load_executor("local-parallel", cache).run_and_cache(timeout=config["execute"]["timeout"])
    failed = result.excepted + result.errored
    print(f"executed {len(result.succeeded)} pages side by side"
          + (f"; left to the build, which reports why: {', '.join(failed)}" if failed else ""), file=sys.stderr)


if __name__ == "__main__":
    main()
