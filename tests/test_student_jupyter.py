"""A student's own set-up shows no instructor tools: JupyterLab installed from the public tree's requirements.txt
has none of nbgrader's extensions (the "Create Assignment" panel, the formgrader, the Validate button), while this
repository's venv, the instructor's, keeps them.

The student's environment is built without a download: a venv with no site packages of its own, into which every
distribution that the public requirements resolve to is linked from this venv (the same pinned versions), with the
files each one installs outside site-packages (its lab extension under share/jupyter, its server extension's
enabling file under etc/jupyter). Its JupyterLab then lists its lab and server extensions, as
`jupyter labextension list` and `jupyter server extension list` would.
"""
import os
import subprocess
import sys
import venv
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from autograder.admin.publish import requirements

LAB = ["-m", "jupyterlab.labextensions", "list"]
SERVER = ["-m", "jupyter_server.extension.serverextension", "list"]
NBGRADER = ("@jupyter/nbgrader", "nbgrader.server_extensions")


def closure(names):
    """The distributions `names` need, with every requirement they pull in (markers evaluated, no extras)."""
    seen, todo = {}, [canonicalize_name(n) for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen[name] = dist = metadata.distribution(name)
        for line in dist.requires or []:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(req.name))
    return seen


def link_into(prefix, dist):
    """Link `dist`'s installed files (from this venv) into the venv at `prefix`, where pip would put them."""
    site = Path(dist.locate_file(""))
    target_site = next(prefix.glob("lib/python*/site-packages"))
    for file in dist.files or []:
        parts = file.parts
        if parts[0] == "..":                                  # data files: ../../../share/..., ../../../etc/...
            depth = len(target_site.relative_to(prefix).parts)
            source, target = site.joinpath(file).resolve(), prefix.joinpath(*parts[depth:])
            if parts[depth] == "bin":
                continue
        else:                                                 # a top-level package, module or .dist-info
            source, target = site / parts[0], target_site / parts[0]
        if not target.exists() and not target.is_symlink() and source.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(source)


def listing(python, home):
    """JupyterLab's lab and server extensions as `python` sees them, with a fresh user config and data folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "PYTHON", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_PLATFORM_DIRS="0", NO_COLOR="1")
    out = ""
    for command in (LAB, SERVER):
        done = subprocess.run([str(python), *command], env=env, cwd=home, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        out += done.stdout + done.stderr
    return out


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    """A venv with exactly what the public tree's requirements.txt installs; returns its python."""
    pins = [line.split("==")[0] for line in requirements().split()]
    dists = closure(pins)
    assert "jupyterlab" in dists and "ipykernel" in dists, sorted(dists)
    prefix = tmp_path_factory.mktemp("student") / "venv"
    venv.EnvBuilder(with_pip=False).create(prefix)
    for dist in dists.values():
        link_into(prefix, dist)
    return prefix / "bin" / "python", dists


def test_public_requirements_do_not_install_nbgrader(student):
    _, dists = student
    assert "nbgrader" not in dists, "the students' requirements pull in nbgrader, whose instructor tools they'd see"


def test_students_jupyterlab_has_no_instructor_tools(student, tmp_path):
    python, _ = student
    shown = listing(python, tmp_path)
    assert "jupyterlab" in shown and "enabled" in shown, shown      # the listing worked at all
    assert not [name for name in NBGRADER if name in shown], shown


def test_instructors_venv_keeps_nbgrader_extensions(tmp_path):
    """The same listing in this venv shows them (and so the check above can fail)."""
    shown = listing(Path(sys.executable), tmp_path)
    for name in ("@jupyter/nbgrader", "nbgrader.server_extensions.formgrader",
                 "nbgrader.server_extensions.validate_assignment"):
        assert name in shown, f"{name} missing from the instructor's JupyterLab:\n{shown}"
    assert "disabled" not in shown, shown
