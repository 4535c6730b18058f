"""A released notebook where Colab runs it: a fresh venv with no checkout on sys.path, its first cell installing
cnntools from the public repository, here a published tree reached through a file URL (so the test is offline).

The helpers install and the whole notebook runs without an error: each cell that calls a function the student has
yet to write says so in one line (cnntools.unwritten, which the first cell installs), and the others make the data
sets, load and verify the checkpoint and draw their figures; then a cell of ours reports where cnntools came from.
The experiments, which would train, stop at the stubs; CNN_MODE=tiny keeps the data sets small.
"""
import os
import subprocess
import sysconfig
import venv
from dataclasses import replace
from pathlib import Path

import nbformat

from autograder.admin.publish import publish
from public import HTML, REPO, SETTINGS
from test_book import require_build

NOTEBOOK = "notebooks/training/training.ipynb"   # the one that loads data sets and the pretrained checkpoint
REPORT = "import cnntools, sys\nprint(cnntools.__file__)\nprint(sys.prefix)\nprint(sys.path)"
LATER = ("x, y = shapes(8, seed=0)\nmodel = load_pretrained()\nfig = plot_images(x[:4], y[:4], ncols=4)\n"
         "print(tuple(x.shape), type(model).__name__)")
RUN = """import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}}).execute()
nbformat.write(nb, sys.argv[1])
"""


def git(*args, cwd):
    subprocess.run(["git", "-c", "user.name=course", "-c", "user.email=course@example.org", *args], cwd=cwd,
                   check=True, capture_output=True)


def fresh_venv(path):
    """A venv that sees this one's packages (numpy, torch, nbclient, ...) but not cnntools, nor this checkout.

    Its .pth file names a folder of links to this venv's packages, all but cnntools' (its editable install and
    metadata): pip there then finds cnntools not installed, as on Colab.
    """
    venv.EnvBuilder(with_pip=True).create(path)
    deps = path / "course-deps"
    deps.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(("cnntools", "__editable__")):
            (deps / entry.name).symlink_to(entry)
    purelib = subprocess.run([str(path / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()"
                              "['purelib'])"], check=True, capture_output=True, text=True).stdout.strip()
    Path(purelib, "course-deps.pth").write_text(f"{deps}\n")
    return path / "bin" / "python"


def test_install_cell_installs_cnntools_and_the_notebook_runs(tmp_path):
    require_build()
    public = tmp_path / "cnn-course"
    publish(public, HTML, replace(SETTINGS, repository=public.as_uri(), branch="main"))
    git("init", "-q", "-b", "main", cwd=public)
    git("add", "-A", cwd=public)
    git("commit", "-q", "-m", "publish", cwd=public)
    python = fresh_venv(tmp_path / "venv")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "PIP_"))}
    # Offline: no index, so pip builds cnntools with the setuptools it sees instead of fetching one into an
    # isolated build environment (PIP_NO_BUILD_ISOLATION=0 turns isolation off: pip reads that variable inverted).
    env.update(PIP_NO_INDEX="1", PIP_NO_BUILD_ISOLATION="0", PATH=f"{python.parent}{os.pathsep}{env['PATH']}")
    assert subprocess.run([str(python), "-c", "import cnntools"], env=env, cwd=tmp_path,
                          capture_output=True).returncode != 0, "cnntools is importable before the install cell"

    content = tmp_path / "content"   # Colab's working folder: nothing but the notebook
    content.mkdir()
    nb = nbformat.read(public / NOTEBOOK, as_version=4)
    assert f"git+{public.as_uri()}@main" in nb.cells[0].source
    nb.cells = nb.cells + [nbformat.v4.new_code_cell(LATER), nbformat.v4.new_code_cell(REPORT)]
    nbformat.write(nb, content / "training.ipynb")
    env["CNN_MODE"] = "tiny"
    done = subprocess.run([str(python), "-c", RUN, str(content / "training.ipynb"), str(content)], env=env,
                          cwd=content, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]  # a cell that raised would have stopped the run

    cells = [c for c in nbformat.read(content / "training.ipynb", as_version=4).cells if c.cell_type == "code"]
    installed, prefix, path = cells[-1].outputs[0]["text"].splitlines()
    assert Path(installed).is_relative_to(tmp_path / "venv") and Path(prefix) == tmp_path / "venv"
    assert str(REPO) not in eval(path) and not Path(installed).is_relative_to(REPO)
    printed = ["".join(o.get("text", "") for o in c.outputs if o.output_type == "stream") for c in cells]
    unwritten = [i for i, text in enumerate(printed) if "is not written yet; then this cell shows" in text]
    assert len(unwritten) >= 5, printed  # the experiments, each with what it will show
    assert all(cells[i].source.startswith("# Shows") for i in unwritten)
    assert printed[-2].strip() == "(8, 3, 32, 32) SmallCNN", printed[-2]  # the data and the verified checkpoint
    assert any(o.get("data", {}).get("image/png") for o in cells[-2].outputs), "no figure was drawn inline"
