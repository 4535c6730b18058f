"""solutions/ -> notebooks/: nbgrader's student version, plus tags that let the book execute the stubs."""
import re
import shutil
from pathlib import Path
import tempfile

import nbformat

from ..course import RELEASE, check_assignment
from ..errors import UsageError, last_line
from ..files import replace_dir
from ..execution.nbgrader_app import nbgrader_api
from .settings import load as load_settings

# myst-nb lets a cell with this tag raise while the book executes; the release gives it to the cells that call
# a function the student has yet to write, and to no other cell.
RAISES = "raises-exception"


def tag_stub_callers(nb):
    """Tag every code cell that uses a function defined in a solution cell (these raise NotImplementedError)."""
    stubs = set()
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            stubs.update(re.findall(r"^def (\w+)", cell.source, flags=re.M))
    if not stubs:
        return
    uses = re.compile(r"\b(" + "|".join(sorted(stubs)) + r")\b")
    for cell in nb.cells:
        if cell.cell_type != "code" or cell.metadata.get("nbgrader", {}).get("solution"):
            continue
        tags = cell.metadata.setdefault("tags", [])
        if uses.search(cell.source) and RAISES not in tags:
            tags.append(RAISES)
        if not tags:
            del cell.metadata["tags"]


def colab_setup_cell(settings):
    """A first cell that installs the course helpers where the notebook runs without this repository (Colab)."""
    return nbformat.v4.new_code_cell(
        "# Figures appear below the cells that draw them, whatever backend the environment sets.\n"
        "%matplotlib inline\n"
        "# Colab and other hosted notebooks lack the course helpers: install them from the course repository.\n"
        "try:\n"
        "    import cnntools\n"
        "except ImportError:\n"
        "    import subprocess, sys\n"
        f'    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "{settings.install_spec}"])',
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
            tag_stub_callers(nb)
            nb.cells.insert(0, colab_setup_cell(settings))
            nbformat.write(nb, path)
        staged = Path(dest) / f".{assignment}.new"
        shutil.rmtree(staged, ignore_errors=True)
        shutil.copytree(out, staged)  # beside the target, so that the final step is a rename
        replace_dir(staged, Path(dest) / assignment)

