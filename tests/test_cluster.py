"""Grading on a Dask cluster and as batch-scheduler shards gives the grades of a local run, for one class of 10
submissions (bench_cluster.py grades 24 the three ways): a Dask scheduler and two workers started from the venv on
127.0.0.1, one of them killed while it grades (its job is graded again by the other, once); two shards side by side
on one OUT, then a plain run that grades nothing and writes grades.csv."""
import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from pipeline import REPO, autograder, graded_csv, submit, submit_class
from processes import new_run, processes_of

ASSIGNMENT = "dimensions"
SLEEP = 10  # s: the sleeper's job is in flight at least this long, so its worker is killed while it grades
DASK = Path(sys.executable).with_name("dask")
MISTAKES = 6  # the first of the assignment's: a class of 10 with the release, two solutions and the sleeper


@pytest.fixture(scope="module")
def subs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cluster-subs")
    submit_class(folder, ASSIGNMENT, ("solution", "solution-2", "sleeper"), MISTAKES)
    path = folder / "sleeper" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(1, nbformat.v4.new_code_cell(f"import time\ntime.sleep({SLEEP})"))  # a cell of the student's own
    nbformat.write(nb, path)
    assert len(list(folder.iterdir())) == 4 + MISTAKES
    return folder


@pytest.fixture(scope="module")
def local(subs, tmp_path_factory):
    return graded_csv(subs, tmp_path_factory.mktemp("local"), "--jobs", 2)


def started(command, env, ready):
    """A process of the venv's `dask` command; waits (bounded) until `ready()`."""
    proc = subprocess.Popen([str(DASK), *command], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not ready():
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, f"dask {command[0]} not ready in 120 s"
        time.sleep(0.05)
    return proc


@pytest.fixture
def cluster(tmp_path):
    """A scheduler and two workers (one job at a time each, no nanny) on 127.0.0.1: (address, {pid: (worker,
    label)})."""
    from distributed import Client
    file = tmp_path / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # the workers import the grader from the shared repository
    procs = [started(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file",
                      str(file)], env, file.exists)]
    workers = {}
    try:
        for _ in range(2):
            worker_env, label = new_run()
            worker = started(["worker", "--scheduler-file", str(file), "--nthreads", "1", "--no-nanny",
                              "--no-dashboard", "--host", "127.0.0.1"], {**worker_env, **env, "AUTOGRADER_RUN": label},
                             lambda: True)
            procs.append(worker)
            workers[worker.pid] = (worker, label)
        with Client(scheduler_file=str(file), timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
            address = client.scheduler.address
        yield address, workers
    finally:
        for proc in procs:  # as a batch system ends its jobs; what a worker started dies with it (the test shows)
            proc.kill()
            proc.wait()


def test_a_dask_cluster_grades_as_the_local_run_though_a_worker_dies(subs, local, cluster, tmp_path):
    address, workers = cluster
    out = tmp_path / "out"
    run = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out),
                            "--scheduler", address], cwd=REPO, stderr=subprocess.PIPE, text=True)
    tries = out / ".work" / ASSIGNMENT / "sleeper"  # a course folder per try, named host-pid-n by its executor
    deadline = time.monotonic() + 300
    while not list(tries.glob("*")):
        assert run.poll() is None, run.stderr.read()
        assert time.monotonic() < deadline, "the sleeper was not graded in 300 s"
        time.sleep(0.05)
    pid = int(next(tries.glob("*")).name.split("-")[-2])
    worker, label = workers[pid]
    worker.send_signal(signal.SIGKILL)  # while its job sleeps (SLEEP s), before it could send a result
    worker.wait()
    stderr = run.communicate(timeout=600)[1]
    assert run.returncode == 0, stderr
    assert (out / "grades.csv").read_text() == local
    assert "sleeper/dimensions: dimensions 14/" in stderr and stderr.count("sleeper/dimensions:") == 1  # once
    deadline = time.monotonic() + 30
    while processes_of(label):  # the killed worker's fork server, grading processes and sandboxes: gone with it
        assert time.monotonic() < deadline, processes_of(label)
        time.sleep(0.2)

    rerun = autograder("grade", subs, "--out", out, "--scheduler", address)
    assert rerun.returncode == 0, rerun.stderr
    assert f"grading 0 of {len(list(subs.iterdir()))} submissions" in rerun.stderr


def test_shards_side_by_side_then_a_plain_run_give_the_local_grades(subs, local, tmp_path):
    out = tmp_path / "out"
    shards = [subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out),
                                "--shard", f"{i}/2", "--jobs", "1"], cwd=REPO, stderr=subprocess.PIPE, text=True)
              for i in (1, 2)]
    said = [shard.communicate(timeout=600)[1] for shard in shards]
    assert [shard.returncode for shard in shards] == [0, 0], said
    count = len(list(subs.iterdir()))
    assert sorted(int(s.split("grading ")[1].split(" of ")[0]) for s in said) == [count // 2, count - count // 2]
    assert len(list((out / ".results" / ASSIGNMENT).glob("*.json"))) == count
    assert not (out / "grades.csv").exists() and not (out / "gradebook.db").exists()  # left to the plain run

    run = autograder("grade", subs, "--out", out)
    assert run.returncode == 0, run.stderr
    assert f"grading 0 of {count} submissions" in run.stderr
    assert (out / "grades.csv").read_text() == local and (out / "gradebook.db").exists()


def test_shards_share_out_and_a_plain_run_waits_for_them(tmp_path):
    """A shard holds OUT's lock shared, a plain run exclusively: a plain run refuses while a shard writes, a shard
    does not."""
    subs, out = tmp_path / "subs", tmp_path / "out"
    submit(subs, "release", ASSIGNMENT, release=True)
    out.mkdir()
    with open(out / ".lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_SH)  # as another shard does
        plain = autograder("grade", subs, "--out", out)
        assert plain.returncode == 2 and "another grading run is writing to" in plain.stderr, plain.stderr
        shard = autograder("grade", subs, "--out", out, "--shard", "1/1")
        assert shard.returncode == 0, shard.stderr
    for bad in ("0/2", "3/2", "1", "a/b"):
        run = autograder("grade", subs, "--out", out, "--shard", bad)
        assert run.returncode == 2 and "--shard" in run.stderr and len(run.stderr.strip().splitlines()) == 1
