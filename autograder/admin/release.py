"""solutions/ -> notebooks/: nbgrader's student version, with a first cell that sets up where it runs."""
import shutil
from pathlib import Path
import tempfile

import nbformat

from ..course import RELEASE, check_assignment
from ..errors import UsageError, last_line
from ..files import replace_dir
from ..execution.nbgrader_app import nbgrader_api
from .settings import load as load_settings


def setup_cell(settings):
    """The first cell of a student notebook: figures inline, the course helpers installed where the notebook runs
    without this repository (Colab), and a cell that needs a function not written yet saying so in one line
    (cnntools.unwritten; this is what lets the book execute the stubs). Not shown in the book."""
    return nbformat.v4.new_code_cell(
        "# Figures appear below the cells that draw them, whatever backend the environment sets.\n"
        "%matplotlib inline\n"
        "# Colab and other hosted notebooks lack the course helpers: install them from the course repository.\n"
        "try:\n"
        "    import cnntools\n"
        "except ImportError:\n"
        "    import subprocess, sys\n"
        f'    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "{settings.install_spec}"])\n'
        "# A cell that needs a function you have not written yet says so in one line, instead of a traceback.\n"
        "from cnntools import unwritten\n"
        "unwritten.install()",
        metadata={"tags": ["remove-cell"]}, id="colab-setup")


def release(assignment, dest=RELEASE, settings=None):
    """Regenerate dest/<assignment>/ from solutions/<assignment>/; the old folder goes only once the new is whole."""
    check_assignment(assignment)
    settings = settings or load_settings()
    with tempfile.TemporaryDirectory() as root:
        result = nbgrader_api(root).generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            raise UsageError(f"nbgrader could not release '{assignment}': {last_line(result)}")
        out = f"{root}/release/{assignment}"
        for path in sorted(Path(out).glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            nb.cells.insert(0, setup_cell(settings))
            nbformat.write(nb, path)
        staged = Path(dest) / f".{assignment}.new"
        shutil.rmtree(staged, ignore_errors=True)
        shutil.copytree(out, staged)  # beside the target, so that the final step is a rename
        replace_dir(staged, Path(dest) / assignment)

