"""Real submissions graded as clean ones: renamed by a browser, saved by Colab or an older Jupyter, with a kernel
the grader lacks, tens of MB of outputs, the student's own cells in between, junk beside them. One run, on the
real pipeline; each must get exactly the clean notebook's grade."""
import base64
import json
import os

import nbformat
import pytest

from pipeline import autograder, read_grades, submit, written_points

ASSIGNMENT = "forward"


def rename(name):
    def change(folder):
        (folder / f"{ASSIGNMENT}.ipynb").rename(folder / name)
    return change


def edit_json(edit):
    def change(folder):
        path = folder / f"{ASSIGNMENT}.ipynb"
        nb = json.loads(path.read_text())
        edit(nb)
        path.write_text(json.dumps(nb))
    return change


def colab(nb):
    nb["metadata"] = {"colab": {"provenance": [], "toc_visible": True}, "accelerator": "GPU",
                      "kernelspec": {"name": "python3", "display_name": "Python 3"},
                      "language_info": {"name": "python"}}
    for i, cell in enumerate(nb["cells"]):
        cell["metadata"]["id"] = f"colab{i}"
        cell["metadata"]["colab"] = {"base_uri": "https://localhost:8080/"}


def old_jupyter(minor):
    def edit(nb):
        nb["nbformat_minor"] = minor
        for cell in nb["cells"]:
            cell.pop("id", None)
            cell["source"] = cell["source"].splitlines(True) if isinstance(cell["source"], str) else cell["source"]
    return edit


def vscode(nb):
    nb["metadata"]["kernelspec"] = {"name": "conda-env-cnn-py", "display_name": "cnn (conda)", "language": "python"}
    nb["metadata"]["vscode"] = {"interpreter": {"hash": "0" * 64}}
    for cell in nb["cells"]:
        cell["metadata"]["vscode"] = {"languageId": "python"}
        cell["source"] = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def big_outputs(nb):
    png = base64.b64encode(os.urandom(3_000_000)).decode()  # 4 MB of "image" per cell, 12 MB in all
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    for cell in code[:3]:
        cell["outputs"] = [{"output_type": "display_data", "metadata": {}, "data": {"image/png": png}}]
    for cell in code:
        if cell["metadata"].get("nbgrader", {}).get("grade"):  # an old failure left in a test cell
            cell["outputs"] = [{"output_type": "error", "ename": "AssertionError", "evalue": "old", "traceback": []}]


def own_cells(nb):
    cells = []
    for cell in nb["cells"]:
        cells.append(cell)
        if cell["cell_type"] == "code":
            cells.append(nbformat.v4.new_code_cell("scratch = [i * i for i in range(10)]\nscratch[-1]"))
            cells.append(nbformat.v4.new_markdown_cell("My notes: *why* this works."))
    nb["cells"] = cells


def junk(folder):
    (folder / ".DS_Store").write_bytes(b"\0\1")
    (folder / f"{ASSIGNMENT}.pdf").write_bytes(b"%PDF-1.4")
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / f"{ASSIGNMENT}-checkpoint.ipynb").write_text('{"cells": [')
    (folder.parent / "__MACOSX").mkdir()
    (folder.parent / "__MACOSX" / "._forward.ipynb").write_bytes(b"\0")


def nested(junk_too):
    """The assignment's folder zipped and unpacked: forward/forward/forward.ipynb (with a zip's own junk)."""
    def change(folder):
        (folder / "forward").mkdir()
        (folder / f"{ASSIGNMENT}.ipynb").rename(folder / "forward" / f"{ASSIGNMENT}.ipynb")
        if junk_too:
            (folder / "__MACOSX" / "forward").mkdir(parents=True)
            (folder / "__MACOSX" / "forward" / f"._{ASSIGNMENT}.ipynb").write_bytes(b"\0\1")
            (folder / ".ipynb_checkpoints").mkdir()
            (folder / ".ipynb_checkpoints" / f"{ASSIGNMENT}-checkpoint.ipynb").write_text('{"cells": [')
            (folder / "notes.txt").write_text("see the notebook")
    return change


def cut(keep):
    """A notebook cut short (an upload that stopped), or empty."""
    def change(folder):
        path = folder / f"{ASSIGNMENT}.ipynb"
        path.write_bytes(path.read_bytes()[:keep])
    return change


SHAPES = {
    "browser-copy": rename(f"{ASSIGNMENT} (1).ipynb"),
    "jupyter-copy": rename(f"{ASSIGNMENT}-Copy1.ipynb"),
    "capitalized": rename(f"{ASSIGNMENT.capitalize()}.ipynb"),
    "colab": edit_json(colab),
    "nbformat-4.0": edit_json(old_jupyter(0)),
    "nbformat-4.4": edit_json(old_jupyter(4)),
    "vscode-kernel": edit_json(vscode),
    "big-outputs": edit_json(big_outputs),
    "own-cells": edit_json(own_cells),
    "junk": junk,
    "nested": nested(False),
    "nested-with-junk": nested(True),
}
BROKEN = {"truncated": cut(5000), "empty": cut(0)}  # no notebook to grade: 0, with the reason


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs, out = tmp_path_factory.mktemp("shapes"), tmp_path_factory.mktemp("shapes-out")
    submit(subs, "clean", ASSIGNMENT)
    for name, change in {**SHAPES, **BROKEN}.items():
        submit(subs, name, ASSIGNMENT)
        change(subs / name / ASSIGNMENT)
    (subs / "README.txt").write_text("exported from the LMS")
    run = autograder("grade", subs, "--out", out, "--jobs", 2)
    assert run.returncode == 0, run.stderr
    return read_grades(out / "grades.csv"), out, run.stderr


def why(out, student):
    """What the grader said of a submission: the reason, the failing tests, its log."""
    result = json.loads((out / ".results" / ASSIGNMENT / f"{student}.json").read_text())
    entry = result["notebooks"][ASSIGNMENT]
    return json.dumps({"reason": entry["reason"], "errors": entry["errors"], "log": result["log"][-2000:],
                       "failed": [t for t in entry["tests"] if t["score"] != t["max_score"] and not t["written"]]}, indent=1)


@pytest.mark.parametrize("name", list(SHAPES))
def test_graded_as_the_clean_notebook(graded, name):
    grades, out, _ = graded
    assert grades[("clean", ASSIGNMENT, ASSIGNMENT)] == (11, 11 + written_points(ASSIGNMENT)), why(out, "clean")
    assert grades[(name, ASSIGNMENT, ASSIGNMENT)] == grades[("clean", ASSIGNMENT, ASSIGNMENT)], why(out, name)


@pytest.mark.parametrize("name", ["browser-copy", "jupyter-copy", "capitalized", "nested", "nested-with-junk"])
def test_a_renamed_notebook_is_graded_with_a_notice(graded, name):
    _, out, _ = graded
    page = (out / "feedback" / name / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert f"was graded as {ASSIGNMENT}.ipynb" in page
    if name.startswith("nested"):
        assert f"forward/{ASSIGNMENT}.ipynb was graded" in page


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_broken_notebook_scores_zero_with_its_reason(graded, name):
    grades, out, _ = graded
    assert grades[(name, ASSIGNMENT, ASSIGNMENT)][0] == 0
    page = (out / "feedback" / name / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert f"{ASSIGNMENT}.ipynb is not a valid notebook" in page


def test_junk_is_passed_over_with_a_line(graded):
    _, _, stderr = graded
    assert "passed over: README.txt" in stderr and "passed over: junk/__MACOSX" in stderr
