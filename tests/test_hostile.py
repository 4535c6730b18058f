"""Hostile submissions, graded for real in one run beside a correct one: each earns nothing it did not write, the
grader survives them, and the correct submission keeps full marks.

Every case starts from the solution of the dimensions assignment, breaks one or more functions (so that their
tests must fail) and then tries a trick to make those tests pass anyway, or to hurt the grader, the machine or the
other students. Expected: exactly the broken functions' tests lose their points.
"""
import copy
import csv
import json
import os
import re
import sqlite3
import sys
import time

import nbformat
import pytest

import inprocess
from pipeline import REPO, autograder, read_grades, written_points
from processes import new_run, processes_of

sys.path.insert(0, str(REPO))  # the direct sandbox tests below import autograder

ASSIGNMENT = "dimensions"
SOURCE = REPO / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
POINTS = {"test_conv_output_size": 4, "test_conv_output_shape": 2, "test_conv_param_count": 2,
          "test_pool_output_size": 2, "test_fc_param_count": 1, "test_receptive_field": 3}
TIMEOUT = 10  # seconds per cell in this run; the solution's cells need well under 1 s

WRONG = {  # a wrong but harmless definition of each function (each fails its test)
    "conv_output_size": "def conv_output_size(n, kernel_size, stride=1, padding=0, dilation=1):\n    return n\n",
    "conv_output_shape": "def conv_output_shape(input_shape, num_filters, kernel_size, stride=1, padding=0, "
                         "dilation=1):\n    return tuple(input_shape)\n",
    "conv_param_count": "def conv_param_count(kernel_size, in_channels, num_filters, bias=True):\n"
                        "    return kernel_size * kernel_size * in_channels * num_filters\n",
    "pool_output_size": "def pool_output_size(n, kernel_size, stride):\n    return n // stride\n",
    "fc_param_count": "def fc_param_count(in_features, out_features, bias=True):\n"
                      "    return in_features * out_features\n",
    "receptive_field": "def receptive_field(layers):\n    return 1 + sum(k - 1 for k, s, d in layers)\n",
}


def cell(nb, grade_id):
    found = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    assert len(found) == 1, grade_id
    return found[0]


def index(nb, grade_id):
    return nb.cells.index(cell(nb, grade_id))


def free_cell(source):
    return nbformat.v4.new_code_cell(source)


def wrong(nb, *functions):
    for f in functions:
        cell(nb, f).source = WRONG[f]


# Each case: (change the notebook, the tests that must lose their points, text the feedback page must show).
def infinite_loop(nb):
    cell(nb, "conv_param_count").source = (
        "def conv_param_count(kernel_size, in_channels, num_filters, bias=True):\n    while True:\n        pass\n")


def slow_cells(nb):
    """Two slow cells of the student's own, then a test that times out: after the restart, only what fits in one
    cell's time is replayed, so the rest of the notebook is graded and the restart costs one timeout at most."""
    for _ in range(2):
        nb.cells.insert(1, free_cell(f"import time\ntime.sleep({0.6 * TIMEOUT})"))
    infinite_loop(nb)


def exit_in_cell(nb):
    cell(nb, "pool_output_size").source += "\nimport os\nos._exit(3)\n"


def segfault(nb):
    c = cell(nb, "receptive_field")
    c.source = c.source.replace("    ### BEGIN SOLUTION\n", "    ### BEGIN SOLUTION\n    import ctypes\n"
                                "    ctypes.string_at(0)\n")


def output_flood(nb):
    c = cell(nb, "fc_param_count")
    c.source = c.source.replace("    ### BEGIN SOLUTION\n", "    ### BEGIN SOLUTION\n    print('x' * 1_000_000)\n")
    nb.cells.insert(index(nb, "fc_param_count") + 1, free_cell(
        "import os, sys\nfor i in range(200):\n    print('flood ' * 20_000)\n    sys.stderr.write('err ' * 20_000)\n"
        "    os.write(1, b'fd1 ' * 20_000)\n"))


def memory_bomb(nb):
    cell(nb, "conv_output_shape").source = (
        "def conv_output_shape(input_shape, num_filters, kernel_size, stride=1, padding=0, dilation=1):\n"
        "    hog = []\n    while True:\n        hog.append(bytearray(50_000_000))\n")
    nb.cells.insert(1, free_cell("try:\n    import numpy as np\n    big = np.ones(10**11)\nexcept MemoryError:\n"
                                 "    pass\n"))


def fork_memory_bomb(nb):
    c = cell(nb, "fc_param_count")
    c.source = c.source.replace("    ### BEGIN SOLUTION\n", """    ### BEGIN SOLUTION
    import os, time
    for _ in range(6):  # each child stays under the limit of one process; together they are far over it
        if os.fork() == 0:
            block = b"x" * 400_000_000
            time.sleep(60)
            os._exit(0)
    time.sleep(60)
""")


MONKEYPATCH = """
import builtins, math, sys, numpy as np, torch, torch.nn.functional as F
import cnntools.checks

np.allclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
math.floor = lambda x: 0
sys.exit = lambda *a: None
builtins.AssertionError = type("AssertionError", (Exception,), {})
builtins.isinstance = lambda *a: True
cnntools.checks.expect = lambda *a, **k: None
expect = lambda *a, **k: None
require_int.__code__ = (lambda name, value, minimum: None).__code__
torch.nn.functional = type(sys)("fake")
torch.nn.Conv2d.forward = lambda self, x: torch.zeros(1, 1, 1, 1)
torch.nn.MaxPool2d.forward = lambda self, x: torch.zeros(1, 1, 1, 1)
torch.Tensor.numel = lambda self: 0
int.__eq__  # (cannot be patched: the grader's ints are its own anyway)
"""


def monkeypatch(nb):
    wrong(nb, *[f for f in WRONG])
    nb.cells.insert(index(nb, "conv_output_size"), free_cell(MONKEYPATCH))


ALWAYS_EQUAL = """
class Anything(int):
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = int.__hash__
"""


def always_equal(nb):
    cell(nb, "conv_output_size").source = ALWAYS_EQUAL + "\ndef conv_output_size(*args, **kwargs):\n" \
                                                         "    return Anything(0)\n"
    cell(nb, "conv_output_shape").source = "def conv_output_shape(*args, **kwargs):\n    return Anything(0)\n"
    cell(nb, "receptive_field").source = "def receptive_field(*args, **kwargs):\n    return Anything(0)\n"


def edited_test(nb):
    wrong(nb, "conv_param_count")
    test = cell(nb, "test_conv_param_count")
    test.source = "print('conv_param_count: visible tests passed')"
    test.metadata["nbgrader"]["points"] = 100
    fc = cell(nb, "test_fc_param_count")
    wrong(nb, "fc_param_count")
    fc.metadata["nbgrader"]["grade"] = False  # no longer a test?
    fc.source = "pass"


def deleted_test(nb):
    wrong(nb, "fc_param_count", "pool_output_size")
    nb.cells.remove(cell(nb, "test_fc_param_count"))
    test = cell(nb, "test_pool_output_size")
    test.metadata.pop("nbgrader")  # turned into a cell of the student's own
    test.source = "pass"


def duplicated_test(nb):
    wrong(nb, "pool_output_size", "receptive_field")
    test = cell(nb, "test_pool_output_size")
    fake = copy.deepcopy(test)
    fake.source = "print('pool_output_size: visible tests passed')"
    fake["id"] = "fake-test"
    nb.cells.insert(index(nb, "test_pool_output_size") + 1, fake)  # the later copy is the one nbgrader keeps
    moved = cell(nb, "test_receptive_field")
    nb.cells.remove(moved)
    nb.cells.insert(0, moved)  # a test moved before the function it tests
    setup = copy.deepcopy(cell(nb, "setup_1"))
    setup["id"] = "setup-copy"
    nb.cells.insert(0, setup)


def steal(paths):
    """A definition of conv_output_size that is the solution's if it can read solutions/ from disk, else wrong."""
    return f"""
import glob, json, os

def _stolen():
    candidates = {paths!r}
    for top in candidates[2:]:
        candidates += glob.glob(top + "/**/*.ipynb", recursive=True)
    for path in candidates:
        try:
            with open(path) as f:
                cells = json.load(f)["cells"]
        except Exception:
            continue
        for c in cells:
            code = "".join(c["source"])
            if code.startswith("def conv_output_size") and "### BEGIN SOLUTION" in code:
                return code
    return None

_code = _stolen()
if _code:
    exec(_code)
else:
    def conv_output_size(n, kernel_size, stride=1, padding=0, dilation=1):
        return n
"""


def read_solutions(nb, out):
    cell(nb, "conv_output_size").source = steal([str(SOURCE), str(out), str(REPO), "/work", "/root", "/home"])


def test_the_thief_would_succeed_outside_the_sandbox(tmp_path):
    """The read-solutions case is a real threat: run where solutions/ is readable, it gets the right answer."""
    namespace = {"require_int": lambda name, value, minimum: None}
    exec(steal([str(SOURCE)]), namespace)
    assert namespace["conv_output_size"](32, 5) == 28


FORGE = """
import json, os, sqlite3

def forge(out, top):
    \"\"\"Write zeros over the control's result, grades.csv and its own result in OUT, and full marks into every
    database under `top` it may write to (not the read-only mounts, which it could not change; links not followed).
    Returns what it changed.\"\"\"
    changed = []
    for target in [out + "/.results/ASSIGNMENT/control.json", out + "/grades.csv",
                   out + "/.results/ASSIGNMENT/write-gradebook.json"]:
        try:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "w") as f:
                f.write(FORGED)
            changed.append(target)
        except OSError:
            pass
    read_only = {"/proc", "/sys"} | {line.split()[4] for line in open("/proc/self/mountinfo")
                                     if "ro" in line.split()[5].split(",")}
    for folder, subfolders, files in os.walk(top):
        subfolders[:] = [s for s in subfolders if os.path.join(folder, s) not in read_only]
        for name in files:
            if name.endswith(".db"):
                try:
                    with sqlite3.connect(os.path.join(folder, name)) as con:
                        con.execute("UPDATE grade SET auto_score = 100")
                    changed.append(os.path.join(folder, name))
                except Exception:
                    pass
    return changed
""".replace("ASSIGNMENT", ASSIGNMENT).replace("FORGED", repr(json.dumps(
    {"student": "control", "assignment": ASSIGNMENT, "notebooks": {ASSIGNMENT: {"score": 0.0}}})))


def write_gradebook(nb, out):
    """Forge results and gradebooks: in OUT, and in every place of the sandbox where it may write."""
    wrong(nb, "conv_param_count")
    nb.cells.append(free_cell(FORGE + f"print('changed:', forge({str(out)!r}, '/'))"))


def test_the_forger_would_succeed_outside_the_sandbox(tmp_path):
    """The write-gradebook case is a real threat: given OUT and a gradebook it can reach, it changes both."""
    with sqlite3.connect(tmp_path / "gradebook.db") as con:
        con.execute("CREATE TABLE grade (id TEXT, auto_score FLOAT)")  # nbgrader's table, as far as the forger cares
        con.execute("INSERT INTO grade VALUES ('test_conv_param_count', 0)")
    namespace = {}
    exec(FORGE, namespace)
    out = tmp_path / "out"
    changed = namespace["forge"](str(out), str(tmp_path))
    assert str(tmp_path / "gradebook.db") in changed and (out / "grades.csv").exists()
    assert json.loads((out / ".results" / ASSIGNMENT / "control.json").read_text())["notebooks"] == {
        ASSIGNMENT: {"score": 0.0}}
    with sqlite3.connect(tmp_path / "gradebook.db") as con:
        assert con.execute("SELECT auto_score FROM grade").fetchall() == [(100,)]


def network(nb):
    cell(nb, "conv_param_count").source = """
import socket

def _online():
    for host, port in [("1.1.1.1", 53), ("8.8.8.8", 53), ("pypi.org", 443)]:
        try:
            socket.create_connection((host, port), timeout=2).close()
            return True
        except OSError:
            pass
    return False

if _online():
    def conv_param_count(kernel_size, in_channels, num_filters, bias=True):
        return kernel_size * kernel_size * in_channels * num_filters + (num_filters if bias else 0)
else:
    def conv_param_count(kernel_size, in_channels, num_filters, bias=True):
        return 0
"""


def kill_everything(nb):
    nb.cells.insert(1, free_cell("import subprocess\nsleeper = subprocess.Popen(['sleep', '600'])"))
    nb.cells.append(free_cell("import os, signal\nos.kill(-1, signal.SIGKILL)"))


FORGE_SCORE = """
import cnntools.grading

class Cases:  # a look-alike of the grader's class, with a score of its own choosing
    def __init__(self, *args, **kwargs):
        pass
    def __call__(self, *args, **kwargs):
        return self
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        return True
    def score(self):
        return 100.0
    def __repr__(self):
        return "100"

cnntools.grading.Cases.score = lambda self: 100.0
cnntools.grading.Cases.__repr__ = lambda self: "100"
cnntools.grading.ARGUMENTS = cnntools.grading.ORDINARY = 0.0
grade = Cases()
print("100")
"""


def forged_score(nb):
    wrong(nb, *WRONG)
    nb.cells.insert(index(nb, "conv_output_size"), free_cell(FORGE_SCORE))
    for f in WRONG:  # and a score left as the last value of every answer cell
        cell(nb, f).source += "\n\nCases()"


def noisy_but_correct(nb):
    c = cell(nb, "conv_output_size")
    c.source = c.source.replace(
        "    ### BEGIN SOLUTION\n",
        "    ### BEGIN SOLUTION\n    import sys, warnings\n    warnings.warn('a warning on every call')\n"
        "    print('debug output on stderr', file=sys.stderr)\n")
    nb.cells.insert(1, free_cell("import sys\nprint('setup noise', file=sys.stderr)\nsys.exit(0)"))


CASES = {
    # name: (change, tests that must lose their points, words the feedback page must show)
    "infinite-loop": (infinite_loop, {"test_conv_param_count"}, ["longer than"]),
    "slow-cells": (slow_cells, {"test_conv_param_count"}, ["was not run again"]),
    "exit-in-cell": (exit_in_cell, {"test_pool_output_size"}, ["exited with status 3"]),
    "segfault": (segfault, {"test_receptive_field"}, ["segmentation fault"]),
    "output-flood": (output_flood, set(), []),
    "memory-bomb": (memory_bomb, {"test_conv_output_shape"}, ["MemoryError"]),
    "fork-memory-bomb": (fork_memory_bomb, {"test_fc_param_count"}, ["MB of memory together"]),
    "monkeypatch": (monkeypatch, set(POINTS), []),
    "always-equal": (always_equal, {"test_conv_output_size", "test_conv_output_shape", "test_receptive_field"},
                     []),
    "edited-test": (edited_test, {"test_conv_param_count", "test_fc_param_count"},
                    ["was changed in your notebook"]),
    "deleted-test": (deleted_test, {"test_fc_param_count", "test_pool_output_size"}, ["is missing"]),
    "duplicated-test": (duplicated_test, {"test_pool_output_size", "test_receptive_field"},
                        ["more than once"]),
    "read-solutions": (read_solutions, {"test_conv_output_size", "test_conv_output_shape"}, []),
    "write-gradebook": (write_gradebook, {"test_conv_param_count"}, []),
    "network": (network, {"test_conv_param_count"}, []),
    "kill-everything": (kill_everything, set(), []),
    "noisy-but-correct": (noisy_but_correct, set(), []),
    "forged-score": (forged_score, set(POINTS), []),
}
# The functions each case defines as in WRONG: their tests must get what those definitions earn, case by case,
# when graded plainly (in process), no more. The tests a case breaks otherwise (a crash, a loop) must get 0.
BROKEN = {"monkeypatch": list(WRONG), "edited-test": ["conv_param_count", "fc_param_count"],
          "deleted-test": ["fc_param_count", "pool_output_size"],
          "duplicated-test": ["pool_output_size", "receptive_field"], "read-solutions": ["conv_output_size"],
          "write-gradebook": ["conv_param_count"], "forged-score": list(WRONG)}


def expected(name):
    """{test: (score, max_score)} a hostile case must get."""
    _, lost, _ = CASES[name]
    plain = inprocess.grade(ASSIGNMENT, {f: WRONG[f] for f in BROKEN[name]}) if name in BROKEN else {}
    earned = {t: plain[t].score() if plain else 0.0 for t in lost}
    return {t: (earned.get(t, float(p)), float(p)) for t, p in POINTS.items()}


def hidden_lines():
    """Distinctive lines of the hidden tests of this assignment: no feedback page may show them."""
    lines = set()
    for c in nbformat.read(SOURCE, as_version=4).cells:
        for body in re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", c.source, re.S):
            lines.update(line.strip() for line in body.splitlines() if len(line.strip()) >= 25)
    assert lines
    return lines


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    subs, out = tmp_path_factory.mktemp("hostile-subs"), tmp_path_factory.mktemp("hostile-out")
    source = nbformat.read(SOURCE, as_version=4)
    for name, (change, _, _) in [("control", (lambda nb: None, None, None))] + list(CASES.items()):
        nb = copy.deepcopy(source)
        change(*(nb, out)[:change.__code__.co_argcount])
        (subs / name / ASSIGNMENT).mkdir(parents=True)
        nbformat.write(nb, subs / name / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    started = time.monotonic()
    env, label = new_run()
    # the memory bomb stops sooner: its children pass 1 GB together in about a second (a page fault is slow in a
    # virtual machine: 6 GB take 6 s here), well before the cell's time limit even on a busy machine
    env["AUTOGRADER_MEMORY_MB"] = "1024"
    run = autograder("grade", subs, "--out", out, "--jobs", 2, "--timeout", TIMEOUT, env=env)
    assert run.returncode == 0, run.stderr
    results = {p.stem: json.loads(p.read_text()) for p in (out / ".results" / ASSIGNMENT).glob("*.json")}
    return {"out": out, "grades": read_grades(out / "grades.csv"), "results": results, "stderr": run.stderr,
            "seconds": time.monotonic() - started, "label": label}


def scores(hostile, student):
    tests = hostile["results"][student]["notebooks"][ASSIGNMENT]["tests"]
    return {t["name"]: (t["score"], t["max_score"]) for t in tests if not t["written"]}  # those wait for a TA


def test_control_keeps_full_marks(hostile):
    assert hostile["grades"][("control", ASSIGNMENT, ASSIGNMENT)] == (14, 14 + written_points(ASSIGNMENT))
    assert scores(hostile, "control") == {k: (v, v) for k, v in POINTS.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_submission_earns_only_what_it_wrote(hostile, name):
    _, lost, words = CASES[name]
    got = scores(hostile, name)
    result = hostile["results"][name]
    why = (result["notebooks"][ASSIGNMENT].get("reason"), result.get("log", "")[-2000:])
    assert set(got) == set(POINTS), (got, why)  # every test was graded, none added, none dropped
    want = expected(name)
    assert all(want[t][0] < want[t][1] for t in lost)
    assert got == pytest.approx(want, abs=1e-3), f"{name}: {got}"
    total = sum(s for s, _ in want.values())
    assert hostile["grades"][(name, ASSIGNMENT, ASSIGNMENT)] == pytest.approx((total, 14 + written_points(ASSIGNMENT)), abs=1e-3)
    page = (hostile["out"] / "feedback" / name / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    for word in words:
        told = [(t["name"], t.get("message")) for t in result["notebooks"][ASSIGNMENT]["tests"] if t["name"] in lost]
        assert word in page, f"{name}: the feedback does not say {word!r}; it says {told}; {why}"


def test_feedback_is_small_and_shows_no_hidden_test(hostile):
    hidden = hidden_lines()
    for page in (hostile["out"] / "feedback").rglob("*.html"):
        text = page.read_text()
        assert len(text) < 150_000, (page, len(text))
        leaked = [line for line in hidden if line in text]
        assert not leaked, (page, leaked[:3])


def test_warnings_are_shown_but_cost_nothing(hostile):
    page = (hostile["out"] / "feedback" / "noisy-but-correct" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "a warning on every call" in page
    # with the test's output, where the case that caused it is (a line a call), not in a block after all of them
    assert page.count("your code warned: ") >= 2 and "<summary>Warnings</summary>" not in page.split(
        'id="test_conv_output_size"')[1].split("<h3")[0]


def test_no_forged_results_and_nothing_left_running(hostile):
    with open(hostile["out"] / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(CASES) + 1
    assert not processes_of(hostile["label"])  # of this run: the sleeper, the forks, the sandboxes all gone


def test_the_forger_ran_to_its_end(hostile):
    """The write-gradebook case walked the whole sandbox and finished: its forgeries missed because OUT and the
    gradebooks were out of its reach, not because its cell ran out of time."""
    path = hostile["out"] / "autograded" / "write-gradebook" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    (forger,) = [c for c in nbformat.read(path, as_version=4).cells if "def forge(" in c.source]
    assert [o.output_type for o in forger.outputs] == ["stream"], forger.outputs
    assert forger.outputs[0].text.startswith("changed:"), forger.outputs


SABOTEUR = """
import os, time
home = os.path.expanduser("~")
with open(os.path.join(home, "cnntools.py"), "w") as f:  # the next notebook's `import cnntools` would find it first
    f.write("raise ImportError('planted by the student before you')")
for folder in (home, "/tmp", "/dev/shm"):
    open(os.path.join(folder, "planted"), "w").close()
os.makedirs(os.path.join(home, "locked", "in"))
os.chmod(os.path.join(home, "locked"), 0)
if os.fork() == 0:  # a daemon that outlives this notebook and kills every process started after it
    os.setsid()
    if os.fork() == 0:
        me = os.getpid()
        while True:
            for pid in [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) > me]:
                try:
                    os.kill(pid, 9)
                except OSError:
                    pass
            time.sleep(0.02)
    os._exit(0)
"""


def test_a_student_leaves_nothing_for_the_next_one_on_the_same_sandbox(tmp_path):
    """Graded one after the other by one job, and so from one warm zygote: the files, the folders and the process a
    saboteur leaves behind are gone before the next student's process starts, which keeps full marks."""
    source = nbformat.read(SOURCE, as_version=4)
    for student in ("a-saboteur", "b-next"):
        nb = copy.deepcopy(source)
        if student == "a-saboteur":
            nb.cells.insert(index(nb, "setup_1") + 1, free_cell(SABOTEUR))
        else:  # what the next student's process finds
            nb.cells.insert(0, free_cell('import os\nprint("FOUND", sorted(os.listdir(os.path.expanduser("~")) + '
                                         'os.listdir("/tmp") + os.listdir("/dev/shm")))'))
        (tmp_path / "subs" / student / ASSIGNMENT).mkdir(parents=True)
        nbformat.write(nb, tmp_path / "subs" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    env, label = new_run()
    run = autograder("grade", tmp_path / "subs", "--out", tmp_path / "out", "--jobs", 1, "--timeout", TIMEOUT, env=env)
    assert run.returncode == 0, run.stderr
    grades = read_grades(tmp_path / "out" / "grades.csv")
    full = sum(POINTS.values())
    assert grades[("a-saboteur", ASSIGNMENT, ASSIGNMENT)][0] == full  # its own functions are right
    assert grades[("b-next", ASSIGNMENT, ASSIGNMENT)] == (full, full + written_points(ASSIGNMENT)), run.stderr
    graded = nbformat.read(tmp_path / "out" / "autograded" / "b-next" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    found = next(o.text for c in graded.cells if c.cell_type == "code" for o in c.get("outputs", [])
                 if o.get("name") == "stdout" and o.text.startswith("FOUND"))
    assert not {"planted", "locked", "cnntools.py"} & set(eval(found[len("FOUND"):])), found
    assert not processes_of(label)


def test_sandbox_cannot_see_the_course(tmp_path):
    """Directly: what a student's process sees of the file system, the network and the other processes."""
    from autograder.limits import Limits
    from autograder.sandbox import Sandbox
    box = Sandbox([], Limits(memory_mb=1024))
    box.start(time.monotonic() + 60)
    try:
        box.deadline = time.monotonic() + 60
        probe = box.op({"op": "exec", "code": f"""
import os, socket
seen = {{}}
for path in [{str(REPO)!r}, {str(REPO / 'solutions')!r}, {str(tmp_path)!r}, '/root', '/home', '/work', '/tmp',
             '/proc/1/cmdline']:
    try:
        seen[path] = sorted(os.listdir(path)) if os.path.isdir(path) else open(path).read()[:80]
    except OSError as err:
        seen[path] = type(err).__name__
try:
    socket.create_connection(('1.1.1.1', 53), timeout=2)
    seen['net'] = 'reachable'
except OSError as err:
    seen['net'] = type(err).__name__
seen['uid'] = os.getuid()
seen['pids'] = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())
"""}, deadline=box.deadline)
        probe = box.op({"op": "get", "name": "seen"}, deadline=box.deadline)
    finally:
        box.close()
    assert probe[str(REPO / "solutions")] == "FileNotFoundError"
    assert probe[str(REPO)] == [".venv", "cnntools"] or probe[str(REPO)] == ["cnntools"]
    assert probe[str(tmp_path)] == "FileNotFoundError"
    # a private /tmp: empty, but for the way down to the repository's own binds when it lives under /tmp
    way_down = [REPO.relative_to("/tmp").parts[0]] if REPO.is_relative_to("/tmp") else []
    assert probe["/tmp"] == way_down and probe["net"] != "reachable"
    assert len(probe["pids"]) <= 3, probe["pids"]  # its own pid namespace
    if os.geteuid() == 0:
        assert probe["uid"] == 65534


def test_a_student_who_kills_the_zygote_loses_only_that_cell():
    """The zygote runs as the student (same uid, same pid namespace), so their code can kill it: that is their
    process's death, told as such, not the grader's failure (which would zero the whole notebook); the next request
    gets a fresh student process from a zygote of the job's own."""
    from autograder.errors import SandboxDied
    from autograder.limits import Limits
    from autograder.sandbox import Sandbox
    box = Sandbox([], Limits(memory_mb=1024))
    box.start(time.monotonic() + 60)
    try:
        box.deadline = time.monotonic() + 60
        with pytest.raises(SandboxDied, match="stopped the sandbox it ran in"):
            box.op({"op": "exec", "code": "import os, signal, time\nos.kill(os.getppid(), signal.SIGKILL)\n"
                                          "time.sleep(30)"}, deadline=box.deadline)
        box.start(time.monotonic() + 60)
        box.op({"op": "exec", "code": "x = 6 * 7"}, deadline=box.deadline)
        assert box.op({"op": "get", "name": "x"}, deadline=box.deadline) == 42
    finally:
        box.close()


def test_a_test_that_sends_too_much_is_the_graders_limit_not_the_students_crash(monkeypatch):
    """A message over the frame limit, from the trusted side, fails that test as GraderLimitation; the student's
    process is not blamed (or killed) for it."""
    from autograder.sandbox import protocol
    from autograder.errors import NotSupported
    from autograder.sandbox import Sandbox
    box = Sandbox()
    box.start(time.monotonic() + 60)
    try:
        monkeypatch.setattr(protocol, "MAX_FRAME", 10_000)
        with pytest.raises(NotSupported, match="too much"):
            box.op({"op": "exec", "code": "x = " + repr("y" * 20_000)}, deadline=time.monotonic() + 60)
        assert box.alive()
        monkeypatch.undo()
        box.op({"op": "exec", "code": "x = 1"}, deadline=time.monotonic() + 60)
        assert box.op({"op": "get", "name": "x"}, deadline=time.monotonic() + 60) == 1
    finally:
        box.close()
